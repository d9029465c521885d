package jmck.emulator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostMemory;
import jmck.emulator.host.HostSyscall;

/**
 * The emulated machine's physical memory as one process sees it: blocks of RAM at physical addresses,
 * each a shared mapping of a file in /dev/shm, placed in one host window so that physical address pa is
 * host address window+pa. Every core maps the same blocks (uc_mem_map_ptr), and a separate process (the
 * mcexec proxy) can map them too and read and write guest buffers without copying. A process maps only
 * the blocks it was given: an LWK instance cannot reach another instance's memory, and an access to a
 * physical address outside its blocks is refused here (and faults in the emulated CPU). Files are sparse:
 * host memory is used only for pages that were touched.
 *
 * <p>A machine whose memory no other process maps (`jmck run`: its proxy is in this process) has one
 * block of anonymous memory instead of a file, asked to be backed by transparent huge pages: where the host
 * keeps shared memory in 4 KiB pages only (shmem_enabled "never", the default), every first touch of a
 * 4 KiB page of a file in /dev/shm was a host page fault of its own (13 us each on this machine, see
 * docs/performance.md), and a program that fills 10 MB took 2,500 of them.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final long PAGE_SIZE = 4096;
    /** Blocks start and end on 2 MiB boundaries. */
    public static final long BLOCK_ALIGN = 2L << 20;
    /** Physical address space reserved in each process (40 bits, as the emulated CPU's MAXPHYADDR). */
    public static final long SPACE = 1L << 40;
    private static final Path SHM_DIR = Paths.get("/dev/shm");
    private static final int SLAB_SHIFT = 30; // Java buffers are int-indexed: one ByteBuffer per GiB
    private static final int GRANULE_SHIFT = 21;
    private static final AtomicInteger counter = new AtomicInteger();

    /**
     * One block of RAM: physical [base, base+size) backed by file (null: anonymous memory of this process
     * alone); owned blocks delete their file on close.
     */
    public record Block(long base, long size, Path file) {
        public long end() {
            return base + size;
        }

        // Written out: a record's generated equals and hashCode bootstrap through method handles the first
        // time they run, some milliseconds of jmck run's start-up (see docs/performance.md, Start-up).
        @Override
        public boolean equals(Object o) {
            return o instanceof Block b && b.base == base && b.size == size && java.util.Objects.equals(b.file, file);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(base) * 31 + Long.hashCode(size);
        }
    }

    private final long window;
    private final ByteBuffer[] slabs = new ByteBuffer[(int) (SPACE >>> SLAB_SHIFT)];
    private final java.util.BitSet present = new java.util.BitSet(); // 2 MiB granules that are mapped
    private final List<Block> blocks = new ArrayList<>();
    private final List<Block> owned = new ArrayList<>();
    private boolean closed;

    private PhysicalMemory() {
        // 2 MiB aligned, so that a 2 MiB page of physical memory can be a huge page of the host: reserved with
        // room to spare, which is then given back
        long addr = HostSyscall.call(HostSyscall.SYS_MMAP, 0, SPACE + BLOCK_ALIGN, 0 /* PROT_NONE */,
                HostSyscall.MAP_PRIVATE | HostSyscall.MAP_ANONYMOUS | HostSyscall.MAP_NORESERVE, -1, 0);
        if (addr < 0 && addr > -4096)
            throw new JmckException("cannot reserve host address space for physical memory (errno " + -addr + ")");
        long aligned = (addr + BLOCK_ALIGN - 1) & -BLOCK_ALIGN;
        if (aligned > addr)
            HostSyscall.call(HostSyscall.SYS_MUNMAP, addr, aligned - addr, 0);
        HostSyscall.call(HostSyscall.SYS_MUNMAP, aligned + SPACE, addr + BLOCK_ALIGN - aligned, 0);
        this.window = aligned;
    }

    /** A view with no memory yet: blocks come with {@link #attach(Block)}. */
    public static PhysicalMemory empty() {
        return new PhysicalMemory();
    }

    /**
     * A new zeroed block of size bytes at physical 0, private to this process: anonymous memory (no file,
     * so nothing is left behind however the process ends), in transparent huge pages where the host gives
     * them on request.
     */
    public static PhysicalMemory create(long size) {
        PhysicalMemory m = new PhysicalMemory();
        try {
            Block b = new Block(0, size, null);
            checkBlock(b);
            long addr = HostSyscall.call(HostSyscall.SYS_MMAP, m.window, size, HostSyscall.PROT_READ | HostSyscall.PROT_WRITE,
                    HostSyscall.MAP_PRIVATE | HostSyscall.MAP_ANONYMOUS | HostSyscall.MAP_NORESERVE | HostSyscall.MAP_FIXED, -1, 0);
            if (addr != m.window)
                throw new JmckException("cannot map " + (size >> 20) + " MiB of memory (errno " + -addr + ")");
            // (fails with EINVAL on a kernel without transparent huge pages: then 4 KiB pages)
            HostSyscall.call(HostSyscall.SYS_MADVISE, m.window, size, HostSyscall.MADV_HUGEPAGE);
            m.add(b);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Creates a new block at [base, base+size) in a new file in /dev/shm and maps it; this view owns the file. */
    public Block create(long base, long size) {
        Path file = SHM_DIR.resolve("jmck-" + HostSyscall.pid() + "-" + counter.incrementAndGet() + ".ram");
        Block b = new Block(base, size, file);
        createFile(b);
        try {
            attach(b);
        } catch (RuntimeException e) {
            unlink(file);
            throw e;
        }
        owned.add(b);
        return b;
    }

    /** Creates the sparse file behind a block (the block is not mapped here). */
    public static void createFile(Block b) {
        checkBlock(b);
        int fd = open(b.file(), HostSyscall.O_RDWR | HostSyscall.O_CREAT | HostSyscall.O_EXCL | HostSyscall.O_CLOEXEC);
        try {
            long r = HostSyscall.call(HostSyscall.SYS_FTRUNCATE, fd, b.size(), 0);
            if (r < 0) {
                unlink(b.file());
                throw new JmckException("cannot size " + b.file() + " to " + b.size() + " bytes (errno " + -r + ")");
            }
        } finally {
            HostSyscall.call(HostSyscall.SYS_CLOSE, fd, 0, 0);
        }
    }

    /** Deletes the file behind a block. */
    public static void deleteFile(Block b) {
        unlink(b.file());
    }

    /** Maps an existing block (created by this or another process) at its physical address. */
    public synchronized void attach(Block b) {
        checkBlock(b);
        for (Block o : blocks)
            if (b.base() < o.end() && o.base() < b.end())
                throw new JmckException("memory block " + describe(b) + " overlaps " + describe(o));
        int fd = open(b.file(), HostSyscall.O_RDWR | HostSyscall.O_CLOEXEC);
        try {
            long addr = HostSyscall.call(HostSyscall.SYS_MMAP, window + b.base(), b.size(),
                    HostSyscall.PROT_READ | HostSyscall.PROT_WRITE, HostSyscall.MAP_SHARED | HostSyscall.MAP_FIXED, fd, 0);
            if (addr != window + b.base())
                throw new JmckException("cannot map memory block " + describe(b) + " (errno " + -addr + ")");
        } finally {
            HostSyscall.call(HostSyscall.SYS_CLOSE, fd, 0, 0);
        }
        add(b);
    }

    /** Makes the block, mapped at window+base, reachable through this view. */
    private void add(Block b) {
        for (long s = b.base() >>> SLAB_SHIFT; s <= (b.end() - 1) >>> SLAB_SHIFT; s++)
            if (slabs[(int) s] == null)
                slabs[(int) s] = HostMemory.buffer(window + (s << SLAB_SHIFT), 1L << SLAB_SHIFT).order(ByteOrder.LITTLE_ENDIAN);
        present.set((int) (b.base() >>> GRANULE_SHIFT), (int) (b.end() >>> GRANULE_SHIFT));
        blocks.add(b);
    }

    /** Unmaps a block (its memory stays in the file for whoever else maps it). */
    public synchronized void detach(Block b) {
        if (!blocks.remove(b))
            throw new IllegalArgumentException("not attached: " + describe(b));
        present.clear((int) (b.base() >>> GRANULE_SHIFT), (int) (b.end() >>> GRANULE_SHIFT));
        // Back to an inaccessible reservation, so the window stays ours.
        HostSyscall.call(HostSyscall.SYS_MMAP, window + b.base(), b.size(), 0,
                HostSyscall.MAP_PRIVATE | HostSyscall.MAP_ANONYMOUS | HostSyscall.MAP_NORESERVE | HostSyscall.MAP_FIXED, -1, 0);
        if (owned.remove(b))
            unlink(b.file());
    }

    private static void checkBlock(Block b) {
        if (b.base() < 0 || b.size() <= 0 || b.base() % BLOCK_ALIGN != 0 || b.size() % BLOCK_ALIGN != 0 || b.end() > SPACE)
            throw new JmckException("memory block " + describe(b) + " must be 2 MiB aligned and below 1 TiB");
    }

    private static String describe(Block b) {
        return String.format("%#x-%#x", b.base(), b.end());
    }

    private static int open(Path file, int flags) {
        long fd = HostSyscall.open(file.toString(), flags, 0600);
        if (fd < 0)
            throw new JmckException("cannot open physical memory file " + file + " (errno " + -fd + ")");
        return (int) fd;
    }

    private static void unlink(Path file) {
        HostBuffer path = HostBuffer.cString(file.toString());
        HostSyscall.call(HostSyscall.SYS_UNLINK, path.address(), 0, 0);
        java.lang.ref.Reference.reachabilityFence(path);
    }

    /** The blocks mapped here, in the order they came. */
    public synchronized List<Block> blocks() {
        return new ArrayList<>(blocks);
    }

    /** The end of the highest block: physical addresses below it may be in use. */
    public synchronized long size() {
        long end = 0;
        for (Block b : blocks)
            end = Math.max(end, b.end());
        return end;
    }

    /** Host virtual address of physical address 0. */
    public long hostAddress() {
        return window;
    }

    /** Host virtual address of physical address pa. */
    public long hostAddress(long pa) {
        check(pa, 1);
        return window + pa;
    }

    /** Whether [pa, pa+length) lies in mapped blocks. */
    public boolean contains(long pa, long length) {
        if (pa < 0 || length < 0 || pa > SPACE - length)
            return false;
        if (length == 0)
            return true;
        int first = (int) (pa >>> GRANULE_SHIFT), last = (int) ((pa + length - 1) >>> GRANULE_SHIFT);
        return present.nextClearBit(first) > last;
    }

    private void check(long pa, long length) {
        if (!contains(pa, length))
            throw new IndexOutOfBoundsException("physical range " + Long.toHexString(pa) + "+" + length
                    + " is not memory of this instance");
    }

    private ByteBuffer slab(long pa) {
        ByteBuffer s = slabs[(int) (pa >>> SLAB_SHIFT)];
        if (s == null || !present.get((int) (pa >>> GRANULE_SHIFT)))
            throw new IndexOutOfBoundsException("physical address " + Long.toHexString(pa) + " is not memory of this instance");
        return s;
    }

    private static int offset(long pa) {
        return (int) (pa & ((1L << SLAB_SHIFT) - 1));
    }

    /** Reads an aligned 64-bit little-endian value (a page-table entry, say). */
    public long getLong(long pa) {
        return slab(pa).getLong(offset(pa));
    }

    /**
     * Writes src as aligned 64-bit little-endian values from pa on (a page table's entries) in one copy:
     * boot writes a thousand entries for its map of memory, and in the interpreter each putLong is a
     * chain of calls (2-5 ms of every boot, one by one).
     */
    public void putLongs(long pa, long[] src) {
        check(pa, 8L * src.length);
        slab(pa).slice(offset(pa), 8 * src.length).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(src);
    }

    public void putLong(long pa, long value) {
        slab(pa).putLong(offset(pa), value);
    }

    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Atomically sets the aligned 32-bit value at pa to update if it holds expect: a locked cmpxchg on the
     * host memory, atomic against guest code running on other host threads.
     */
    public boolean compareAndSetInt(long pa, int expect, int update) {
        return INT.compareAndSet(slab(pa), offset(pa), expect, update);
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
        HostMemory.read(window + pa, dst, off, length);
    }

    /** Copies src[off..off+length) to pa. */
    public void write(long pa, byte[] src, int off, int length) {
        check(pa, length);
        HostMemory.write(window + pa, src, off, length);
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
        HostMemory.fill(window + pa, length, (byte) 0);
    }

    /** Gives the host memory behind [pa, pa+length) back to the host; it reads as zero afterwards. */
    public void release(long pa, long length) {
        check(pa, length);
        long r = HostSyscall.call(HostSyscall.SYS_MADVISE, window + pa, length, HostSyscall.MADV_REMOVE); // a file's
        if (r < 0) // anonymous memory
            r = HostSyscall.call(HostSyscall.SYS_MADVISE, window + pa, length, HostSyscall.MADV_DONTNEED);
        if (r < 0)
            zero(pa, length);
    }

    /** The first block's file (for messages and tests); null if it is anonymous memory. */
    public synchronized Path file() {
        return blocks.isEmpty() ? null : blocks.get(0).file();
    }

    @Override
    public synchronized void close() {
        if (closed)
            return;
        closed = true;
        HostSyscall.call(HostSyscall.SYS_MUNMAP, window, SPACE, 0);
        for (Block b : owned)
            unlink(b.file());
        blocks.clear();
        owned.clear();
        present.clear();
    }

    /** Whether a block's file exists (a stale block of a dead instance, say). */
    public static boolean exists(Block b) {
        return Files.exists(b.file());
    }

    /** Removes leftover /dev/shm files of processes that died without cleaning up; returns how many. */
    public static int removeStaleFiles() {
        int n = 0;
        try (var s = Files.newDirectoryStream(SHM_DIR, "jmck-*.ram")) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                String[] parts = name.split("-");
                try {
                    long pid = Long.parseLong(parts[1]);
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(p);
                        n++;
                    }
                } catch (NumberFormatException | IOException e) {
                    // not one of ours, or already gone
                }
            }
        } catch (IOException e) {
            // no /dev/shm: nothing to clean
        }
        return n;
    }
}
