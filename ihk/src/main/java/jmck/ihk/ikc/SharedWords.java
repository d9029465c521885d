package jmck.ihk.ikc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import jmck.emulator.JmckException;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostMemory;
import jmck.emulator.host.HostSyscall;

/**
 * A small file of shared memory that two processes map: 32- and 64-bit words with atomic access (Java
 * VarHandles on the mapped buffer) and futex waits and wakes on 32-bit words (shared, not private, futexes:
 * they work across processes). The IKC channel and the instance doorbell are built on it.
 */
final class SharedWords {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final int SYS_FUTEX = 202, FUTEX_WAIT = 0, FUTEX_WAKE = 1;

    private final Path file;
    private final ByteBuffer buffer;
    private final long address;
    /** guarded by this: unmap() ran */
    private boolean unmapped;
    /** A futex wait's timespec. */
    private final HostBuffer timeout = HostBuffer.allocate(16);

    private SharedWords(Path file, long address, int size) {
        this.file = file;
        this.address = address;
        this.buffer = HostMemory.buffer(address, size).order(ByteOrder.nativeOrder());
    }

    /**
     * Maps file, creating it with size bytes if create is set. With the host's mmap rather than
     * FileChannel.map, whose first use runs the JDK's first lambda (5 ms of every run's start-up), and
     * whose mapping only a cleaner could take back.
     */
    static SharedWords map(Path file, int size, boolean create) {
        int flags = HostSyscall.O_RDWR | HostSyscall.O_CLOEXEC | (create ? HostSyscall.O_CREAT | HostSyscall.O_EXCL : 0);
        long fd = HostSyscall.open(file.toString(), flags, 0666);
        if (fd < 0)
            throw new JmckException("cannot map " + file + ": " + (fd == -17 ? "it exists" : "errno " + -fd));
        try {
            long length = size;
            if (create) {
                long r = HostSyscall.call(HostSyscall.SYS_FTRUNCATE, fd, size, 0);
                if (r < 0)
                    throw new JmckException("cannot map " + file + ": cannot size it (errno " + -r + ")");
            } else {
                length = HostSyscall.fileSize(fd);
                if (length <= 0 || length > Integer.MAX_VALUE)
                    throw new JmckException("cannot map " + file + ": " + (length < 0 ? "errno " + -length : "size " + length));
            }
            long address = HostSyscall.call(HostSyscall.SYS_MMAP, 0, length, HostSyscall.PROT_READ | HostSyscall.PROT_WRITE,
                    HostSyscall.MAP_SHARED, fd, 0);
            if (address < 0 && address > -4096)
                throw new JmckException("cannot map " + file + ": errno " + -address);
            return new SharedWords(file, address, (int) length);
        } finally {
            HostSyscall.call(HostSyscall.SYS_CLOSE, fd, 0, 0);
        }
    }

    Path file() {
        return file;
    }

    int size() {
        return buffer.capacity();
    }

    int getInt(int off) {
        return (int) INT.getVolatile(buffer, off);
    }

    void putInt(int off, int v) {
        INT.setVolatile(buffer, off, v);
    }

    /**
     * Release stores: ordered after every earlier store but without the full fence of a volatile store (on
     * x86 a plain store). For the fields of a slot that one volatile store of its state then publishes.
     */
    void putIntRelease(int off, int v) {
        INT.setRelease(buffer, off, v);
    }

    void putLongRelease(int off, long v) {
        LONG.setRelease(buffer, off, v);
    }

    boolean casInt(int off, int expect, int v) {
        return INT.compareAndSet(buffer, off, expect, v);
    }

    int addInt(int off, int delta) {
        return (int) INT.getAndAdd(buffer, off, delta) + delta;
    }

    long getLong(int off) {
        return (long) LONG.getVolatile(buffer, off);
    }

    void putLong(int off, long v) {
        LONG.setVolatile(buffer, off, v);
    }

    /**
     * Unmaps the file: a long-lived instance maps a channel per process, and a deleted file's pages stay in
     * memory while mapped. Nothing may touch these words afterwards (the access would fault). A second call
     * does nothing (the address may be someone else's mapping by then).
     */
    synchronized void unmap() {
        if (unmapped)
            return;
        unmapped = true;
        HostSyscall.call(HostSyscall.SYS_MUNMAP, address, buffer.capacity(), 0);
    }

    /** Sleeps while the word at off still holds expected, at most nanos (or until woken). */
    void futexWait(int off, int expected, long nanos) {
        timeout.setLong(0, nanos / 1_000_000_000L);
        timeout.setLong(8, nanos % 1_000_000_000L);
        HostSyscall.call(SYS_FUTEX, address + off, FUTEX_WAIT, expected, timeout.address(), 0, 0);
    }

    /** Wakes up to n sleepers on the word at off. */
    void futexWake(int off, int n) {
        HostSyscall.call(SYS_FUTEX, address + off, FUTEX_WAKE, n, 0, 0, 0);
    }
}
