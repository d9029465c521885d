package jmck.emulator.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** HostMemory's copies by host address, on direct buffers. */
class HostMemoryTest {
    private static byte[] counting(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
            b[i] = (byte) (i * 7 + 1);
        return b;
    }

    @Test
    void copyMovesBytesBetweenAddresses() {
        ByteBuffer from = ByteBuffer.allocateDirect(8192), to = ByteBuffer.allocateDirect(8192);
        long f = HostMemory.address(from), t = HostMemory.address(to);
        byte[] data = counting(5000);
        HostMemory.write(f + 100, data, 0, data.length);
        HostMemory.copy(f + 100, t + 3, data.length);
        byte[] back = new byte[data.length + 2];
        HostMemory.read(t + 2, back, 0, back.length);
        byte[] want = new byte[data.length + 2];
        System.arraycopy(data, 0, want, 1, data.length); // the bytes around the copy stay zero
        assertArrayEquals(want, back);
    }

    @Test
    void copyWithinOneRangeIsAMemmove() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        long a = HostMemory.address(buf);
        byte[] data = counting(1000);
        HostMemory.write(a, data, 0, data.length);
        HostMemory.copy(a, a + 10, data.length); // overlapping, forwards
        byte[] back = new byte[data.length];
        HostMemory.read(a + 10, back, 0, back.length);
        assertArrayEquals(data, back);
        HostMemory.copy(a + 10, a + 5, data.length); // overlapping, backwards
        HostMemory.read(a + 5, back, 0, back.length);
        assertArrayEquals(data, back);
    }
}
