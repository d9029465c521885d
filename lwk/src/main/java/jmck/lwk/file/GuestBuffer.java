package jmck.lwk.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.mm.AddressSpace;

/**
 * The guest memory a read fills: one buffer (read) or the pieces of an iovec array (readv), seen as one
 * run of bytes.
 */
public final class GuestBuffer {
    private final AddressSpace mm;
    private final long[] base;
    private final long[] length;
    private final long size;

    private GuestBuffer(AddressSpace mm, long[] base, long[] length) {
        this.mm = mm;
        this.base = base;
        this.length = length;
        long n = 0;
        for (long l : length)
            n += l;
        this.size = n;
    }

    /** read(fd, buf, count). */
    public static GuestBuffer of(AddressSpace mm, long buf, long count) {
        return new GuestBuffer(mm, new long[] {buf}, new long[] {count});
    }

    /** readv(fd, iov, count): the iovecs are read now; a bad array is EFAULT (BadAddressException). */
    public static GuestBuffer ofIovec(AddressSpace mm, long iov, long count) {
        int n = (int) count;
        ByteBuffer b = ByteBuffer.wrap(mm.copyIn(iov, 16 * n)).order(ByteOrder.LITTLE_ENDIAN);
        long[] base = new long[n], length = new long[n];
        for (int i = 0; i < n; i++) {
            base[i] = b.getLong(16 * i);
            length[i] = b.getLong(16 * i + 8);
        }
        return new GuestBuffer(mm, base, length);
    }

    /** Bytes it holds. */
    public long size() {
        return size;
    }

    /** Copies data to offset at of the run (BadAddressException for memory the guest cannot write). */
    public void put(long at, byte[] data) {
        int done = 0;
        long skip = at;
        for (int i = 0; i < base.length && done < data.length; i++) {
            if (skip >= length[i]) {
                skip -= length[i];
                continue;
            }
            int n = (int) Math.min(length[i] - skip, data.length - done);
            mm.copyOut(base[i] + skip, data, done, n);
            done += n;
            skip = 0;
        }
    }
}
