package jmck.proxy;

import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostMemory;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;

/**
 * A guest process's memory as the host sees it, for one proxy worker: guest pointers become host pointers
 * into the instance's physical memory (the unified address space), so data moves between host files and
 * guest pages without a copy. A buffer in physically separate pieces goes through a bounce copy; strings
 * are copied; where a buffer runs into memory the guest may not access, the host is handed memory that
 * faults at the same place ({@link Mirror}, {@link #GUARD}), so that the host kernel, which is Linux,
 * decides what the guest gets. Scratch memory for one call comes from an arena reset before each call.
 */
final class GuestBuffers {
    static final int IOV_MAX = 1024, PATH_MAX = 4096;
    static final long PAGE = 4096;
    /** Linux's MAX_RW_COUNT: the most one read or write moves. */
    static final long MAX_RW_COUNT = 0x7ffff000L;

    private final GuestMemory guest;
    private final PhysicalMemory phys;
    private final FdTable fds;
    final Arena arena = new Arena();
    /** Counts of bytes moved with and without a bounce copy, for tests and benchmarks. */
    long zeroCopyBytes, bounceBytes;

    GuestBuffers(GuestMemory guest, FdTable fds) {
        this.guest = guest;
        this.phys = guest.physical();
        this.fds = fds;
    }

    GuestMemory guest() {
        return guest;
    }

    /** Host address of [va, va+len) if it is one physically contiguous piece; -1 unreachable; -2 in pieces. */
    long contiguous(long va, long len, boolean write) {
        long first = guest.hostAddress(va, write);
        if (first < 0)
            return -1;
        long end = va + len;
        long next = (va | (PAGE - 1)) + 1;
        long expected = first + (next - va);
        for (long p = next; p < end; p += PAGE) {
            long h = guest.hostAddress(p, write);
            if (h < 0)
                return -1;
            if (h != expected)
                return -2;
            expected += PAGE;
        }
        return first;
    }

    /** Copies a NUL-terminated guest path into the arena; returns its host address or -errno. */
    long path(long va) {
        return string(va, true);
    }

    /**
     * Copies a NUL-terminated guest string into the arena: a path has its fd numbers translated (see
     * fdPath). Returns its host address or -errno.
     */
    long string(long va, boolean isPath) {
        HostBuffer dst = arena.allocate(PATH_MAX);
        long base = dst.address();
        int n = 0;
        while (n < PATH_MAX) {
            long h = guest.hostAddress(va + n, false);
            if (h < 0)
                return -Errno.EFAULT;
            int chunk = (int) Math.min(PAGE - ((va + n) & (PAGE - 1)), PATH_MAX - n);
            java.nio.ByteBuffer src = HostMemory.buffer(h, chunk);
            for (int i = 0; i < chunk; i++) {
                byte c = src.get(i);
                dst.setByte(n, c);
                if (c == 0)
                    return isPath ? fdPath(dst, n) : base;
                n++;
            }
        }
        return -Errno.ENAMETOOLONG;
    }

    /** A host path (one the LWK resolved) in the arena, with the guest's fd numbers translated as in path(). */
    long hostPath(String p) {
        byte[] b = p.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length >= PATH_MAX)
            return -Errno.ENAMETOOLONG;
        HostBuffer dst = arena.allocate(PATH_MAX);
        dst.write(0, b, 0, b.length);
        dst.setByte(b.length, (byte) 0);
        return fdPath(dst, b.length);
    }

    /**
     * The parts of /proc/self/fd/N[/...], /proc/self/fdinfo/N[/...] (or under thread-self) and /dev/fd/N[/...],
     * N of one to nine digits: {"fd" or "fdinfo", N, the rest}; null for any other path. (By hand: as a
     * regular expression it was a run's first, 3-7 ms at the first /proc or /dev path a program used.)
     */
    static String[] fdPathParts(String p) {
        String dir;
        int at;
        String proc = p.startsWith("/proc/self/") ? "/proc/self/" : p.startsWith("/proc/thread-self/") ? "/proc/thread-self/" : null;
        if (p.startsWith("/dev/fd/")) {
            dir = "fd";
            at = 8;
        } else if (proc != null && p.startsWith("fdinfo/", proc.length())) {
            dir = "fdinfo";
            at = proc.length() + 7;
        } else if (proc != null && p.startsWith("fd/", proc.length())) {
            dir = "fd";
            at = proc.length() + 3;
        } else {
            return null;
        }
        int end = at;
        while (end < p.length() && end - at < 9 && p.charAt(end) >= '0' && p.charAt(end) <= '9')
            end++;
        if (end == at || end < p.length() && p.charAt(end) != '/')
            return null;
        return new String[] {dir, p.substring(at, end), p.substring(end)};
    }

    /** The guest's own fd directory, as a path names it (the host's would list the proxy's fds). */
    private static final java.util.Set<String> FD_DIRECTORIES = java.util.Set.of("/proc/self/fd", "/proc/self/fd/",
            "/proc/thread-self/fd", "/proc/thread-self/fd/", "/dev/fd", "/dev/fd/");

    /**
     * A path into the guest's own fd directory names a guest fd, which is some other host fd in the proxy:
     * /proc/self/fd/N, /proc/self/fdinfo/N, /dev/fd/N and /dev/stdin, /dev/stdout, /dev/stderr are rewritten
     * (in place, in the arena) to name the host fd, or an fd that does not exist when the guest's N is not
     * open; the directory itself is a listing of the guest's fds (FdTable.listing). Otherwise the guest would
     * reach the proxy's own files. Returns the path's host address or -errno.
     */
    long fdPath(HostBuffer path, int len) {
        long base = path.address();
        if (len < 7 || path.getByte(0) != '/' || path.getByte(1) != 'p' && path.getByte(1) != 'd')
            return base;
        String p = new String(path.getByteArray(0, len), java.nio.charset.StandardCharsets.ISO_8859_1);
        String q;
        int std = List.of("/dev/stdin", "/dev/stdout", "/dev/stderr").indexOf(p);
        if (FD_DIRECTORIES.contains(p)) { // the directory itself: a listing of the guest's fds
            q = fds.listing();
            if (q == null)
                return base;
        } else if (std >= 0) {
            q = "/proc/self/fd/" + fds.host(std);
        } else {
            String[] parts = fdPathParts(p);
            if (parts == null)
                return base;
            q = "/proc/self/" + parts[0] + "/" + fds.host(Long.parseLong(parts[1])) + parts[2];
        }
        byte[] b = q.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        if (b.length >= PATH_MAX)
            return -Errno.ENAMETOOLONG;
        path.write(0, b, 0, b.length);
        path.setByte(b.length, (byte) 0);
        return base;
    }

    /** len bytes of guest memory at va, read page by page (so an object may straddle pages); null on a fault. */
    byte[] readGuest(long va, int len) {
        HostBuffer p = arena.allocate(Math.max(len, 1));
        if (!copy(va, len, p.address(), false, false))
            return null;
        return p.getByteArray(0, len);
    }

    /** Writes b to guest memory at va page by page; false if the guest may not write all of it (nothing is written then). */
    boolean writeGuest(long va, byte[] b) {
        for (long page = va & -PAGE; page < va + b.length; page += PAGE)
            if (guest.hostAddress(Math.max(page, va), true) < 0)
                return false;
        HostBuffer p = arena.allocate(Math.max(b.length, 1));
        p.write(0, b, 0, b.length);
        return copy(va, b.length, p.address(), true, true);
    }

    // ---- memory the guest may not access: the host meets the fault where Linux would ----

    private static final int SYS_MMAP = 9, SYS_MPROTECT = 10, SYS_MUNMAP = 11, SYS_MREMAP = 25, PROT_NONE = 0,
            PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
            MAP_NORESERVE = 0x4000, MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
    /** A host address in the kernel half: every access_ok on the host fails for it, as for the guest's on Linux. */
    static final long NOT_USER = 0xffff_8000_0000_0000L;
    /**
     * Inaccessible host address space (PROT_NONE, nothing behind it) as long as the longest read or write,
     * shared by every call: the host iovec for the part of a guest buffer that the guest may not access.
     */
    static final long GUARD = reserve(MAX_RW_COUNT + PAGE);

    private static long reserve(long len) {
        long a = HostSyscall.call(SYS_MMAP, 0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (a < 0)
            throw new IllegalStateException("cannot reserve " + len + " bytes of address space (errno " + -a + ")");
        return a;
    }

    /**
     * A host view of a guest buffer [va, va + len) that the guest may not fully access, for a host call
     * that takes one pointer: the guest's own frames are mapped in a row with the guest's access to each
     * (read-write, or read-only), up to and including the first page the guest may not fully access, and
     * nothing after it. The host kernel then reads and writes the guest's memory in place, faults where
     * Linux would have faulted, and returns what Linux returns (a readlink that fits in the valid part
     * succeeds; a stat into a read-only page fails with EFAULT after the lookup, so ENOENT comes first).
     * A va outside the user half becomes a kernel-half host address.
     *
     * <p>Pages of memory that only this process maps (`jmck run`'s, which is private anonymous memory, see
     * PhysicalMemory) cannot be mapped twice: those are copied into the mirror instead, and on close the
     * bytes the host changed in a writable copy are written back (only those, so that what another guest
     * thread wrote meanwhile stays).
     */
    final class Mirror implements AutoCloseable {
        final long host;
        private final long base, size;
        /** Writable copies, written back on close. */
        private final java.util.List<Copy> copies = new java.util.ArrayList<>();

        /** A copy at host address at of the guest page at host address page, which held before when copied. */
        private record Copy(long page, long at, byte[] before) {}

        Mirror(long va, long len, boolean write) {
            if (!X86.accessOk(va, 0)) {
                host = NOT_USER | (va & (PAGE - 1));
                base = size = 0;
                return;
            }
            long first = va & -PAGE;
            long pages = (va - first + Math.min(len, MAX_RW_COUNT) + PAGE - 1) / PAGE;
            size = pages * PAGE;
            base = reserve(size);
            host = base + (va - first);
            for (long i = 0; i < pages; i++) {
                long page = first + i * PAGE;
                long pa = guest.resolve(page, write);
                boolean full = pa >= 0;
                if (!full && write)
                    pa = guest.resolve(page, false);
                if (pa < 0)
                    break;
                long at = base + i * PAGE, frame = phys.hostAddress() + pa;
                // a second mapping of the same shared pages (mremap of old size 0) takes the reserved page's place
                long r = HostSyscall.call(SYS_MREMAP, frame, 0, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, at, 0);
                if (r != at && !copy(frame, at, full && write))
                    break;
                if (!full) {
                    HostSyscall.call(SYS_MPROTECT, at, PAGE, PROT_READ);
                    break;
                }
            }
        }

        /** Maps a copy of the guest page (at host address page) at at; false if no memory could be had. */
        private boolean copy(long page, long at, boolean writeBack) {
            long r = HostSyscall.call(SYS_MMAP, at, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (r != at)
                return false;
            byte[] b = new byte[(int) PAGE];
            HostMemory.read(page, b, 0, b.length);
            HostMemory.write(at, b, 0, b.length);
            if (writeBack)
                copies.add(new Copy(page, at, b));
            return true;
        }

        @Override
        public void close() {
            for (Copy c : copies) {
                byte[] now = new byte[(int) PAGE];
                HostMemory.read(c.at, now, 0, now.length);
                for (int from = 0; from < now.length;) { // each run of changed bytes
                    if (now[from] == c.before[from]) {
                        from++;
                        continue;
                    }
                    int to = from;
                    while (to < now.length && now[to] != c.before[to])
                        to++;
                    HostMemory.write(c.page + from, now, from, to - from);
                    from = to;
                }
            }
            if (size > 0)
                HostSyscall.call(SYS_MUNMAP, base, size, 0);
        }
    }

    /** Copies a small guest structure into the arena (ppoll's timespec); -1 on a fault. */
    long bufferIn(long va, int len) {
        Bounce b = new Bounce(va, len, true, false);
        return b.host;
    }

    /** A bounce copy of a guest buffer that is not physically contiguous. */
    final class Bounce {
        final long va, len, host;
        final boolean write;

        Bounce(long va, long len, boolean copyIn, boolean write) {
            this.va = va;
            this.len = len;
            this.write = write;
            long h = arena.allocate(len).address();
            if (copyIn && !copy(va, len, h, false, write))
                h = -1;
            this.host = h;
            bounceBytes += len;
        }

        boolean copyBack() {
            return copy(va, len, host, true, true);
        }
    }

    /** Copies between guest memory at va and host memory at h; toGuest picks the direction. */
    boolean copy(long va, long len, long h, boolean toGuest, boolean write) {
        long done = 0;
        while (done < len) {
            long g = guest.hostAddress(va + done, write || toGuest);
            if (g < 0)
                return false;
            long n = Math.min(len - done, PAGE - ((va + done) & (PAGE - 1)));
            if (toGuest) // host to host, no Java array between: a 32 KiB getdents64 bounced 64 KiB of garbage
                HostMemory.copy(h + done, g, n);
            else
                HostMemory.copy(g, h + done, n);
            done += n;
        }
        return true;
    }

    /**
     * Host iovecs at out for count guest iovecs at guestIov (checked as Linux's import_iovec does: EINVAL
     * for more than IOV_MAX or a negative length, EFAULT for an array the guest may not read or a buffer
     * outside the user half). Each becomes host iovecs over its physically contiguous pieces; where one
     * runs into memory the guest may not access, the rest of it is {@link #GUARD}, so that the host faults
     * there. Returns the number of host iovecs, or -errno; covered[0] gets the total length.
     */
    long hostIovecs(long guestIov, long count, boolean toGuest, HostBuffer out, long[] covered) {
        if (Long.compareUnsigned(count, IOV_MAX) > 0)
            return -Errno.EINVAL;
        if (count > 0 && !X86.accessOk(guestIov, 16 * count))
            return -Errno.EFAULT;
        int n = 0;
        long total = 0;
        long[] piece = new long[1];
        for (int i = 0; i < count; i++) {
            byte[] v = readGuest(guestIov + 16L * i, 16); // an iovec may straddle two pages
            if (v == null)
                return -Errno.EFAULT;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long va = b.getLong(0), len = b.getLong(8);
            if (len < 0)
                return -Errno.EINVAL;
            if (!X86.accessOk(va, len))
                return -Errno.EFAULT;
            len = Math.min(len, MAX_RW_COUNT - total);
            if (len == 0)
                continue;
            if (n >= IOV_MAX)
                break; // in more host pieces than one call takes: the call moves what fits
            n = pieces(va, len, toGuest, out, n, piece);
            total += piece[0];
            if (piece[0] < len && n < IOV_MAX) {
                out.setLong(16L * n, GUARD + ((va + piece[0]) & (PAGE - 1)));
                out.setLong(16L * n + 8, len - piece[0]);
                n++;
                total += len - piece[0];
                break;
            }
        }
        covered[0] = total;
        zeroCopyBytes += total;
        return n;
    }

    /**
     * Appends host iovecs for the contiguous pieces of [va, va+len) at iov[count..]. Stops early at a page
     * the guest may not touch. Returns the new count, and the bytes covered in covered[0].
     */
    int pieces(long va, long len, boolean write, HostBuffer iov, int count, long[] covered) {
        long done = 0;
        while (done < len && count < IOV_MAX) {
            long h = guest.hostAddress(va + done, write);
            if (h < 0)
                break;
            long n = Math.min(len - done, PAGE - ((va + done) & (PAGE - 1)));
            if (count > 0 && iov.getLong(16L * (count - 1)) + iov.getLong(16L * (count - 1) + 8) == h) {
                iov.setLong(16L * (count - 1) + 8, iov.getLong(16L * (count - 1) + 8) + n);
            } else {
                iov.setLong(16L * count, h);
                iov.setLong(16L * count + 8, n);
                count++;
            }
            done += n;
        }
        covered[0] = done;
        return count;
    }

    private Bounce pendingStructure;
    private Mirror pendingMirror;

    /**
     * A guest structure of len bytes for the host: in place if contiguous, else bounced (copied back by
     * finishStructure), or mirrored if the guest may not access all of it.
     */
    long structure(long va, int len, boolean write) {
        pendingStructure = null;
        pendingMirror = null;
        if (va == 0)
            return 0;
        long h = contiguous(va, len, write);
        if (h == -2) {
            pendingStructure = new Bounce(va, len, true, write);
            h = pendingStructure.host;
        }
        if (h < 0) {
            pendingStructure = null;
            pendingMirror = new Mirror(va, len, write);
            h = pendingMirror.host;
        }
        return h;
    }

    long finishStructure(long r) {
        Bounce b = pendingStructure;
        pendingStructure = null;
        if (pendingMirror != null)
            pendingMirror.close();
        pendingMirror = null;
        if (b != null && b.write && !b.copyBack())
            return -Errno.EFAULT;
        return r;
    }

    /**
     * Native scratch memory for one call: bump allocation, reset before each call. It starts with room for
     * a full host iovec array (16 KB) and more, and doubles when a call needs more (256 KB at first cost
     * every worker 0.8 ms of clearing and page faults as it started, on the path of a program's first call).
     */
    static final class Arena {
        private HostBuffer block = HostBuffer.allocate(32 * 1024);
        private final java.util.List<HostBuffer> retired = new java.util.ArrayList<>(); // in use until reset
        private long used;

        HostBuffer allocate(long size) {
            long aligned = (size + 15) & ~15L;
            if (used + aligned > block.size()) {
                retired.add(block);
                block = HostBuffer.allocate(Math.max(block.size() * 2, aligned));
                used = 0;
            }
            HostBuffer p = block.share(used, aligned);
            used += aligned;
            return p;
        }

        void reset() {
            used = 0;
            retired.clear();
        }
    }
}
