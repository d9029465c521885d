package jmck.ihk.ikc;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    private final MappedByteBuffer buffer;
    private final long address;
    /** A futex wait's timespec. */
    private final HostBuffer timeout = HostBuffer.allocate(16);

    private SharedWords(Path file, MappedByteBuffer buffer) {
        this.file = file;
        this.buffer = buffer;
        this.address = HostMemory.address(buffer);
    }

    /** Maps file, creating it with size bytes if create is set. */
    static SharedWords map(Path file, int size, boolean create) {
        try (FileChannel ch = create
                ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (create)
                ch.truncate(size).write(ByteBuffer.wrap(new byte[] {0}), size - 1);
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, create ? size : ch.size());
            b.order(ByteOrder.nativeOrder());
            return new SharedWords(file, b);
        } catch (IOException e) {
            throw new JmckException("cannot map " + file + ": " + e.getMessage());
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
     * Unmaps the file now rather than when the collector finds the buffer: a long-lived instance maps a
     * channel per process, and a deleted file's pages stay in memory while mapped. Nothing may touch
     * these words afterwards (the access would fault).
     */
    void unmap() {
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            ((sun.misc.Unsafe) f.get(null)).invokeCleaner(buffer);
        } catch (ReflectiveOperationException e) {
            // left to the collector
        }
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
