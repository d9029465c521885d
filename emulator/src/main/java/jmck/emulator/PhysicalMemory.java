package jmck.emulator;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicInteger;
import jmck.emulator.host.HostSyscall;

/**
 * The emulated machine's physical memory: one host block, addressed by physical address from 0, mapped
 * into every core's Unicorn engine once (uc_mem_map_ptr). It is a shared mapping of a file in /dev/shm so
 * that a separate process (the mcexec proxy) can map the same pages and read and write guest buffers
 * without copying. The file is sparse: host memory is used only for pages the guest or kernel touched.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final long PAGE_SIZE = 4096;
    private static final Path SHM_DIR = Paths.get("/dev/shm");
    private static final int SLAB_SHIFT = 30; // Java buffers are int-indexed: one ByteBuffer per GiB
    private static final AtomicInteger counter = new AtomicInteger();

    private final Path file;
    private final boolean owner;
    private final long size;
    private final long base;
    private final Pointer pointer;
    private final ByteBuffer[] slabs;
    private boolean closed;

    private PhysicalMemory(Path file, boolean owner, long size, long base) {
        this.file = file;
        this.owner = owner;
        this.size = size;
        this.base = base;
        this.pointer = new Pointer(base);
        int n = (int) ((size + (1L << SLAB_SHIFT) - 1) >>> SLAB_SHIFT);
        this.slabs = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long off = (long) i << SLAB_SHIFT;
            slabs[i] = pointer.getByteBuffer(off, Math.min(1L << SLAB_SHIFT, size - off)).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Creates a new zeroed block of size bytes (a multiple of 2 MiB) in a new file /dev/shm/jmck-PID-N.ram. */
    public static PhysicalMemory create(long size) {
        if (size <= 0 || size % (2L << 20) != 0)
            throw new JmckException("memory size must be a positive multiple of 2 MiB, not " + size);
        Path file = SHM_DIR.resolve("jmck-" + ProcessHandle.current().pid() + "-" + counter.incrementAndGet() + ".ram");
        int fd = open(file, HostSyscall.O_RDWR | HostSyscall.O_CREAT | HostSyscall.O_EXCL | HostSyscall.O_CLOEXEC);
        try {
            long r = HostSyscall.call(HostSyscall.SYS_FTRUNCATE, fd, size, 0);
            if (r < 0)
                throw new JmckException("cannot size " + file + " to " + size + " bytes (errno " + -r + ")");
            return new PhysicalMemory(file, true, size, map(file, fd, size));
        } catch (RuntimeException e) {
            unlink(file);
            throw e;
        } finally {
            HostSyscall.call(HostSyscall.SYS_CLOSE, fd, 0, 0);
        }
    }

    /** Maps an existing block that another process created (the proxy's view of an instance's memory). */
    public static PhysicalMemory attach(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new JmckException("cannot open physical memory " + file + ": " + e.getMessage());
        }
        int fd = open(file, HostSyscall.O_RDWR | HostSyscall.O_CLOEXEC);
        try {
            return new PhysicalMemory(file, false, size, map(file, fd, size));
        } finally {
            HostSyscall.call(HostSyscall.SYS_CLOSE, fd, 0, 0);
        }
    }

    private static int open(Path file, int flags) {
        Memory path = cString(file.toString());
        long fd = HostSyscall.call(HostSyscall.SYS_OPENAT, HostSyscall.AT_FDCWD, HostSyscall.address(path), flags, 0600, 0, 0);
        if (fd < 0)
            throw new JmckException("cannot open physical memory file " + file + " (errno " + -fd + ")");
        return (int) fd;
    }

    private static long map(Path file, int fd, long size) {
        long addr = HostSyscall.call(HostSyscall.SYS_MMAP, 0, size, HostSyscall.PROT_READ | HostSyscall.PROT_WRITE,
                HostSyscall.MAP_SHARED, fd, 0);
        if (addr < 0 && addr > -4096)
            throw new JmckException("cannot map " + size + " bytes of " + file + " (errno " + -addr + ")");
        return addr;
    }

    private static void unlink(Path file) {
        Memory path = cString(file.toString());
        HostSyscall.call(HostSyscall.SYS_UNLINK, HostSyscall.address(path), 0, 0);
    }

    static Memory cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }

    /** The file behind this memory, which another process can {@link #attach}. */
    public Path file() {
        return file;
    }

    public long size() {
        return size;
    }

    /** Host virtual address of physical address 0. */
    public long hostAddress() {
        return base;
    }

    /** Host virtual address of physical address pa. */
    public long hostAddress(long pa) {
        check(pa, 1);
        return base + pa;
    }

    public boolean contains(long pa, long length) {
        return pa >= 0 && length >= 0 && pa <= size && length <= size - pa;
    }

    private void check(long pa, long length) {
        if (!contains(pa, length))
            throw new IndexOutOfBoundsException("physical range " + Long.toHexString(pa) + "+" + length
                    + " outside " + Long.toHexString(size));
    }

    private ByteBuffer slab(long pa) {
        return slabs[(int) (pa >>> SLAB_SHIFT)];
    }

    private static int offset(long pa) {
        return (int) (pa & ((1L << SLAB_SHIFT) - 1));
    }

    /** Reads an aligned 64-bit little-endian value (a page-table entry, say). */
    public long getLong(long pa) {
        return slab(pa).getLong(offset(pa));
    }

    public void putLong(long pa, long value) {
        slab(pa).putLong(offset(pa), value);
    }

    public int getInt(long pa) {
        return slab(pa).getInt(offset(pa));
    }

    public void putInt(long pa, int value) {
        slab(pa).putInt(offset(pa), value);
    }

    public byte getByte(long pa) {
        return slab(pa).get(offset(pa));
    }

    public void putByte(long pa, byte value) {
        slab(pa).put(offset(pa), value);
    }

    /** Copies length bytes at pa into dst[off..]. */
    public void read(long pa, byte[] dst, int off, int length) {
        check(pa, length);
        pointer.read(pa, dst, off, length);
    }

    /** Copies src[off..off+length) to pa. */
    public void write(long pa, byte[] src, int off, int length) {
        check(pa, length);
        pointer.write(pa, src, off, length);
    }

    /** Copies the remaining bytes of src to pa. */
    public void write(long pa, ByteBuffer src) {
        check(pa, src.remaining());
        while (src.hasRemaining()) {
            ByteBuffer dst = slab(pa).duplicate();
            dst.position(offset(pa));
            int n = Math.min(src.remaining(), dst.remaining());
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            dst.put(part);
            src.position(src.position() + n);
            pa += n;
        }
    }

    /** Zeroes length bytes at pa (memset). */
    public void zero(long pa, long length) {
        check(pa, length);
        pointer.setMemory(pa, length, (byte) 0);
    }

    /** Gives the host memory behind [pa, pa+length) back to the host; it reads as zero afterwards. */
    public void release(long pa, long length) {
        check(pa, length);
        long r = HostSyscall.call(HostSyscall.SYS_MADVISE, base + pa, length, HostSyscall.MADV_REMOVE);
        if (r < 0)
            zero(pa, length);
    }

    @Override
    public void close() {
        if (closed)
            return;
        closed = true;
        HostSyscall.call(HostSyscall.SYS_MUNMAP, base, size, 0);
        if (owner)
            unlink(file);
    }
}
