package jmck.emulator.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.NativeLibraries;

/**
 * Native memory by host address, through JNI (libjmckhost, jmck_host.c): copies to and from Java arrays,
 * memset, and direct buffers over a range. What JNA's Pointer and Memory did for physical memory and for
 * the engines' shared blocks, without waiting for JNA's start-up (docs/performance.md, Start-up). The
 * caller answers for the address: nothing is checked here.
 */
public final class HostMemory {
    static {
        NativeLibraries.loadHost();
    }

    private HostMemory() {}

    /** Copies length bytes at address into dst[off..]. */
    public static native void read(long address, byte[] dst, int off, int length);

    /** Copies src[off..off+length) to address. */
    public static native void write(long address, byte[] src, int off, int length);

    /** Copies length bytes from address from to address to (memmove: the ranges may overlap). */
    public static native void copy(long from, long to, long length);

    /** Sets length bytes at address to value (memset). */
    public static native void fill(long address, long length, byte value);

    /** A direct buffer over [address, address+length), in native byte order; it does not own the memory. */
    public static ByteBuffer buffer(long address, long length) {
        return newBuffer(address, length).order(ByteOrder.nativeOrder());
    }

    @SuppressWarnings("unused") // named for the JNI entry point
    private static native ByteBuffer newBuffer(long address, long length);

    /** The host address of a direct buffer's memory. */
    public static native long address(java.nio.Buffer direct);
}
