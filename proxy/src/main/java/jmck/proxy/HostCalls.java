package jmck.proxy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.syscall.Syscall;

/**
 * Runs a guest's delegated syscalls on the host: mcexec's main loop body. Guest pointers become host
 * pointers into the instance's physical memory (the unified address space), so data moves between host
 * files and guest pages without a copy: read() and write() become readv()/writev() over the physically
 * contiguous pieces of the guest buffer. Only small structures that straddle non-contiguous pages and path
 * strings go through a bounce buffer. Guest file descriptors are translated through the {@link FdTable}.
 * Where a guest buffer runs into memory the guest may not access, the host is handed memory that faults at
 * the same place (see {@link Mirror} and {@link #GUARD}), so that the host kernel, which is Linux, decides
 * what the guest gets: EFAULT, or what moved before the fault, or another error it finds first.
 */
final class HostCalls {
    private static final int SYS_FSTAT = 5, SYS_READV = 19, SYS_WRITEV = 20, SYS_PREADV = 295, SYS_PWRITEV = 296,
            SYS_DUP = 32, SYS_PIPE2 = 293, SYS_FCNTL = 72, SYS_IOCTL = 16, SYS_SOCKETPAIR = 53, SYS_PPOLL = 271;
    private static final int CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
    private static final int AT_FDCWD = -100, O_CLOEXEC = 02000000, IOV_MAX = 1024, PATH_MAX = 4096;
    private static final long PAGE = 4096;
    /** Linux's MAX_RW_COUNT: the most one read or write moves. */
    private static final long MAX_RW_COUNT = 0x7ffff000L;

    private final GuestMemory guest;
    private final PhysicalMemory phys;
    private final FdTable fds;
    private final Arena arena = new Arena();
    /** Counts of bytes moved with and without a bounce copy, for tests and benchmarks. */
    long zeroCopyBytes, bounceBytes;
    /**
     * The guest process's umask (the LWK keeps it: umask is a LOCAL call), set before each call; -1 leaves
     * the host process's own umask in force.
     */
    int umask = -1;

    HostCalls(GuestMemory guest, FdTable fds) {
        this.guest = guest;
        this.phys = guest.physical();
        this.fds = fds;
    }

    FdTable fds() {
        return fds;
    }

    /** A path that replaces the guest's in argument pathOverrideArg for this call (see executeWithPath). */
    private String pathOverride;
    private int pathOverrideArg = -1;

    /** Executes call with the path argument pathArg replaced by hostPath (a /proc path the LWK resolved). */
    long executeWithPath(Syscall call, long[] a, int pathArg, String hostPath) {
        pathOverride = hostPath;
        pathOverrideArg = pathArg;
        try {
            return execute(call, a);
        } finally {
            pathOverride = null;
            pathOverrideArg = -1;
        }
    }

    /** Executes call with guest arguments a; returns what the guest sees in rax. */
    long execute(Syscall call, long[] a) {
        arena.reset();
        switch (call) {
            case READ:
                return transfer(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case WRITE:
                if (fds.writer(a[0]) != null)
                    return writeGenerated(fds.writer(a[0]), a[1], a[2], false);
                return transfer(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PREAD64:
                return transfer(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            case PWRITE64:
                if (fds.writer(a[0]) != null) // like Linux's /proc write handlers, the offset does not count
                    return writeGenerated(fds.writer(a[0]), a[1], a[2], false);
                return transfer(SYS_PWRITEV, a[0], a[1], a[2], false, a[3], true);
            case READV:
                return vector(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case WRITEV:
                if (fds.writer(a[0]) != null)
                    return writeGenerated(fds.writer(a[0]), a[1], a[2], true);
                return vector(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PREADV:
                return vector(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            case PWRITEV:
                if (fds.writer(a[0]) != null)
                    return writeGenerated(fds.writer(a[0]), a[1], a[2], true);
                return vector(SYS_PWRITEV, a[0], a[1], a[2], false, a[3], true);
            case CLOSE:
                return fds.close(a[0]);
            case SENDFILE:
            case SPLICE:
            case COPY_FILE_RANGE:
                if (fds.isGenerated(a[call == Syscall.SENDFILE ? 1 : 0]))
                    return -Errno.EINVAL; // a generated /proc file, like a seq_file, has no splice_read
                return generic(call, CallSpec.of(call), a);
            case DUP: {
                long h = fds.dupHost(a[0]);
                return h < 0 ? h : fds.install((int) h, false, 0);
            }
            case DUP2:
                if (fds.host(a[0]) < 0)
                    return -Errno.EBADF;
                return a[0] == a[1] ? a[1] : dupTo(a[0], a[1], false);
            case DUP3:
                if (a[0] == a[1] || (a[2] & ~O_CLOEXEC) != 0)
                    return -Errno.EINVAL;
                return dupTo(a[0], a[1], (a[2] & O_CLOEXEC) != 0);
            case FCNTL:
                return fcntl(a[0], (int) a[1], a[2]);
            case IOCTL:
                return ioctl(a[0], a[1], a[2]);
            case PIPE:
                return pair(a[0], 0, -1);
            case PIPE2:
                return pair(a[0], (int) a[1], -1);
            case SOCKETPAIR:
                return pair(a[3], (int) a[1], a[0] | ((long) a[2] << 32));
            case POLL:
                return poll(a[0], a[1], a[2] < 0 ? 0 : timeout(a[2]), a[2] < 0);
            case PPOLL:
                return ppoll(a[0], a[1], a[2], a[3], a[4]);
            case CLOSE_RANGE: { // its three arguments are unsigned ints
                long first = a[0] & 0xffffffffL, last = a[1] & 0xffffffffL;
                if (((int) a[2] & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0 || first > last)
                    return -Errno.EINVAL;
                last = Math.min(last, fds.highest());
                for (long g = first; g <= last; g++)
                    if ((a[2] & CLOSE_RANGE_CLOEXEC) != 0)
                        fds.setCloexec(g, true);
                    else if (fds.host(g) >= 0)
                        fds.close(g);
                return 0;
            }
            default:
                CallSpec.Spec spec = CallSpec.of(call);
                return spec == null ? -Errno.ENOSYS : generic(call, spec, a);
        }
    }

    /**
     * A new guest fd whose contents are generated when first used, and whose writes (if writer is not null)
     * go to writer (see {@link FdTable#installGenerated}).
     */
    long openContents(String name, java.util.function.Supplier<byte[]> contents,
            java.util.function.ToLongFunction<byte[]> writer) {
        return fds.installGenerated(name, contents, writer);
    }

    /**
     * A write to a writable generated file: the bytes (of one buffer, or of count iovecs at buf if vector)
     * go to the LWK, whose answer is the result. As Linux's /proc write handlers, it takes up to a page.
     */
    private long writeGenerated(java.util.function.ToLongFunction<byte[]> writer, long buf, long count, boolean vector) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long[][] pieces = {{buf, count}};
        if (vector) {
            if (count < 0 || count > IOV_MAX)
                return -Errno.EINVAL;
            byte[] v = readGuest(buf, 16 * (int) count);
            if (v == null)
                return -Errno.EFAULT;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            pieces = new long[(int) count][];
            for (int i = 0; i < count; i++)
                pieces[i] = new long[] {b.getLong(16 * i), b.getLong(16 * i + 8)};
        }
        for (long[] piece : pieces) {
            long len = Math.min(piece[1], PAGE - out.size());
            if (len < 0)
                return -Errno.EINVAL;
            byte[] b = readGuest(piece[0], (int) len);
            if (b == null)
                return -Errno.EFAULT;
            out.write(b, 0, b.length);
        }
        return writer.applyAsLong(out.toByteArray());
    }

    private static final int O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, S_IFMT = 0170000,
            S_IFREG = 0100000, S_IFBLK = 060000;

    /**
     * The host fd behind guest fd, checked for an mmap: readable, writable too if write, and a regular
     * file or block device. Returns the host fd (still owned by the fd table), or -errno.
     */
    long mappableHostFd(long guestFd, boolean write) {
        arena.reset();
        int h = fds.host(guestFd);
        if (h < 0)
            return -Errno.EBADF;
        long fl = HostSyscall.call(SYS_FCNTL, h, F_GETFL, 0);
        if (fl < 0)
            return fl;
        int mode = (int) fl & O_ACCMODE;
        if (mode == O_WRONLY || (write && mode == O_RDONLY))
            return -Errno.EACCES;
        Pointer st = arena.allocate(144);
        long r = HostSyscall.call(SYS_FSTAT, h, Pointer.nativeValue(st), 0);
        if (r < 0)
            return r;
        int type = st.getInt(24) & S_IFMT; // st_mode
        return type == S_IFREG || type == S_IFBLK ? h : -Errno.ENODEV;
    }

    private static final int SYS_OPENAT = 257, SYS_FACCESSAT = 269, X_OK = 1, S_IFDIR = 040000;

    /**
     * execve's file, looked up here where the guest's working directory and permissions are: ENOENT and
     * the other lookup errors first, then EACCES for something that is not a regular file or has no execute
     * permission, as Linux's do_open_execat. Returns a host fd the LWK opens again through /proc (kept here
     * until the exec is over), or -errno.
     */
    long openExecutable(long pathVa) {
        arena.reset();
        long p = path(pathVa);
        if (p < 0)
            return p;
        long fd = HostSyscall.call(SYS_OPENAT, AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 0, 0, 0);
        if (fd < 0) {
            long x = HostSyscall.call(SYS_FACCESSAT, AT_FDCWD, p, X_OK);
            return x < 0 ? x : fd; // a file that can be executed but not read: the open's error
        }
        Pointer st = arena.allocate(144);
        long r = HostSyscall.call(SYS_FSTAT, fd, Pointer.nativeValue(st), 0);
        int type = st.getInt(24) & S_IFMT;
        if (r >= 0 && type != S_IFREG)
            r = -Errno.EACCES;
        if (r >= 0)
            r = HostSyscall.call(SYS_FACCESSAT, AT_FDCWD, p, X_OK);
        if (r < 0) {
            HostSyscall.call(3, fd, 0, 0);
            return r;
        }
        fds.holdExecFile((int) fd);
        return fd;
    }

    // ---- the generic path: translate each argument by its kind ----

    private long generic(Syscall call, CallSpec.Spec spec, long[] a) {
        Mirror[] mirrors = new Mirror[6];
        try {
            return generic(call, spec, a, mirrors);
        } finally {
            for (Mirror m : mirrors)
                if (m != null)
                    m.close();
        }
    }

    private long generic(Syscall call, CallSpec.Spec spec, long[] a, Mirror[] mirrors) {
        long[] h = new long[6];
        Bounce[] bounces = new Bounce[6];
        for (int i = 0; i < spec.args().length; i++) {
            CallSpec.Arg arg = spec.args()[i];
            switch (arg.kind()) {
                case VAL:
                    h[i] = a[i];
                    break;
                case FD:
                    h[i] = fds.host(a[i]);
                    if (h[i] < 0)
                        return -Errno.EBADF;
                    break;
                case DIRFD:
                    // A guest fd that is not open becomes -1, which the host rejects with EBADF only if it
                    // needs the directory: like Linux, it ignores dirfd for an absolute path.
                    h[i] = (int) a[i] == AT_FDCWD ? AT_FDCWD : fds.host(a[i]);
                    break;
                case PATH:
                    if (a[i] == 0) {
                        h[i] = 0;
                        break;
                    }
                    h[i] = i == pathOverrideArg ? hostPath(pathOverride) : path(a[i]);
                    if (h[i] < 0)
                        return h[i];
                    break;
                default: {
                    long len = arg.length(a);
                    if (a[i] == 0 || len <= 0) {
                        // an unused host address for an empty buffer, in the kernel half if the guest's is
                        h[i] = a[i] == 0 ? 0 : X86.accessOk(a[i], 0) ? PAGE : NOT_USER;
                        break;
                    }
                    boolean write = arg.kind() != CallSpec.Kind.IN;
                    long host = contiguous(a[i], len, write);
                    if (host == -2) {
                        bounces[i] = new Bounce(a[i], len, true, write); // copied in even for OUT: bytes the host leaves stay
                        host = bounces[i].host;
                    }
                    if (host < 0) { // the guest may not access all of it: the host faults where Linux would
                        bounces[i] = null;
                        mirrors[i] = new Mirror(a[i], len, write);
                        host = mirrors[i].host;
                    }
                    h[i] = host;
                }
            }
        }
        int cloexecArg = spec.cloexecArg();
        if (cloexecArg >= 0)
            h[cloexecArg] |= O_CLOEXEC; // the proxy's own fds are close-on-exec; the guest's flag is kept in fds
        if (truncatesMemory(call, h))
            return -Errno.EACCES;
        long r = umask >= 0 && UMASKED.contains(call) ? withGuestUmask(call, h)
                : HostSyscall.call(call.nr, h[0], h[1], h[2], h[3], h[4], h[5]);
        for (Bounce b : bounces)
            if (b != null && b.write && !b.copyBack()) { // the guest unmapped it meanwhile
                if (spec.returnsFd() && r >= 0)
                    HostSyscall.call(3, r, 0, 0);
                return -Errno.EFAULT;
            }
        if (spec.returnsFd() && r >= 0 && MachineMemoryFiles.isMemory((int) r)) { // see MachineMemoryFiles
            HostSyscall.call(3, r, 0, 0);
            return -Errno.EACCES;
        }
        if (spec.returnsFd() && r >= 0)
            r = fds.install((int) r, cloexecArg >= 0 && (a[cloexecArg] & O_CLOEXEC) != 0, 0);
        return r;
    }

    private static final int O_TRUNC = 01000, O_PATH = 010000000;

    /**
     * Whether the call would cut short a file that is emulated memory (see {@link MachineMemoryFiles}): a
     * truncate, or an open that truncates, which does its harm before the descriptor could be checked. The
     * path is opened with O_PATH first and looked at.
     */
    private static boolean truncatesMemory(Syscall call, long[] h) {
        long dir, path;
        switch (call) {
            case TRUNCATE: dir = AT_FDCWD; path = h[0]; break;
            case CREAT: dir = AT_FDCWD; path = h[0]; break;
            case OPEN: if ((h[1] & O_TRUNC) == 0) return false; dir = AT_FDCWD; path = h[0]; break;
            case OPENAT: if ((h[2] & O_TRUNC) == 0) return false; dir = h[0]; path = h[1]; break;
            default: return false;
        }
        long fd = HostSyscall.call(SYS_OPENAT, dir, path, O_PATH | O_CLOEXEC, 0, 0, 0);
        if (fd < 0)
            return false; // nothing there yet: the call itself decides
        try {
            return MachineMemoryFiles.isMemory((int) fd);
        } finally {
            HostSyscall.call(3, fd, 0, 0);
        }
    }

    /** Calls whose new file, directory or node gets its mode through the umask. */
    private static final java.util.Set<Syscall> UMASKED = java.util.EnumSet.of(Syscall.OPEN, Syscall.OPENAT,
            Syscall.CREAT, Syscall.MKDIR, Syscall.MKDIRAT, Syscall.MKNOD, Syscall.MKNODAT, Syscall.BIND);
    private static final int SYS_UMASK = 95;
    private static final Object UMASK_LOCK = new Object();

    /**
     * Runs a call that creates something with the guest process's umask in force on the host (which then
     * applies it, or a directory's default ACL instead, exactly as Linux would). The umask belongs to the
     * whole host process, so it is switched for the call only and the switch is serialized.
     */
    private long withGuestUmask(Syscall call, long[] h) {
        synchronized (UMASK_LOCK) {
            long hostUmask = HostSyscall.call(SYS_UMASK, umask, 0, 0);
            try {
                return HostSyscall.call(call.nr, h[0], h[1], h[2], h[3], h[4], h[5]);
            } finally {
                HostSyscall.call(SYS_UMASK, hostUmask, 0, 0);
            }
        }
    }

    // ---- guest memory ----

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
    private long path(long va) {
        Pointer dst = arena.allocate(PATH_MAX);
        long base = Pointer.nativeValue(dst);
        int n = 0;
        while (n < PATH_MAX) {
            long h = guest.hostAddress(va + n, false);
            if (h < 0)
                return -Errno.EFAULT;
            int chunk = (int) Math.min(PAGE - ((va + n) & (PAGE - 1)), PATH_MAX - n);
            Pointer src = new Pointer(h);
            for (int i = 0; i < chunk; i++) {
                byte c = src.getByte(i);
                dst.setByte(n, c);
                if (c == 0)
                    return fdPath(dst, n);
                n++;
            }
        }
        return -Errno.ENAMETOOLONG;
    }

    /** A host path (one the LWK resolved) in the arena, with the guest's fd numbers translated as in path(). */
    private long hostPath(String p) {
        byte[] b = p.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length >= PATH_MAX)
            return -Errno.ENAMETOOLONG;
        Pointer dst = arena.allocate(PATH_MAX);
        dst.write(0, b, 0, b.length);
        dst.setByte(b.length, (byte) 0);
        return fdPath(dst, b.length);
    }

    private static final java.util.regex.Pattern FD_PATH =
            java.util.regex.Pattern.compile("(?:/proc/(?:self|thread-self)/(fd|fdinfo)|/dev/(fd))/([0-9]{1,9})(/.*)?");

    /**
     * A path into the guest's own fd directory names a guest fd, which is some other host fd in the proxy:
     * /proc/self/fd/N, /proc/self/fdinfo/N, /dev/fd/N and /dev/stdin, /dev/stdout, /dev/stderr are rewritten
     * (in place, in the arena) to name the host fd, or an fd that does not exist when the guest's N is not
     * open. Otherwise the guest would reach the proxy's own files. Returns the path's host address or -errno.
     */
    private long fdPath(Pointer path, int len) {
        long base = Pointer.nativeValue(path);
        if (len < 9 || path.getByte(0) != '/' || path.getByte(1) != 'p' && path.getByte(1) != 'd')
            return base;
        String p = new String(path.getByteArray(0, len), java.nio.charset.StandardCharsets.ISO_8859_1);
        String q;
        int std = List.of("/dev/stdin", "/dev/stdout", "/dev/stderr").indexOf(p);
        if (std >= 0) {
            q = "/proc/self/fd/" + fds.host(std);
        } else {
            java.util.regex.Matcher m = FD_PATH.matcher(p);
            if (!m.matches())
                return base;
            String dir = m.group(1) != null ? m.group(1) : m.group(2), rest = m.group(4) != null ? m.group(4) : "";
            q = "/proc/self/" + dir + "/" + fds.host(Long.parseLong(m.group(3))) + rest;
        }
        byte[] b = q.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        if (b.length >= PATH_MAX)
            return -Errno.ENAMETOOLONG;
        path.write(0, b, 0, b.length);
        path.setByte(b.length, (byte) 0);
        return base;
    }

    /** len bytes of guest memory at va, read page by page (so an object may straddle pages); null on a fault. */
    private byte[] readGuest(long va, int len) {
        Pointer p = arena.allocate(Math.max(len, 1));
        if (!copy(va, len, Pointer.nativeValue(p), false, false))
            return null;
        return p.getByteArray(0, len);
    }

    /** Writes b to guest memory at va page by page; false if the guest may not write all of it (nothing is written then). */
    private boolean writeGuest(long va, byte[] b) {
        for (long page = va & -PAGE; page < va + b.length; page += PAGE)
            if (guest.hostAddress(Math.max(page, va), true) < 0)
                return false;
        Pointer p = arena.allocate(Math.max(b.length, 1));
        p.write(0, b, 0, b.length);
        return copy(va, b.length, Pointer.nativeValue(p), true, true);
    }

    // ---- memory the guest may not access: the host meets the fault where Linux would ----

    private static final int SYS_MMAP = 9, SYS_MPROTECT = 10, SYS_MUNMAP = 11, SYS_MREMAP = 25, PROT_NONE = 0,
            PROT_READ = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MREMAP_MAYMOVE = 1,
            MREMAP_FIXED = 2;
    /** A host address in the kernel half: every access_ok on the host fails for it, as for the guest's on Linux. */
    private static final long NOT_USER = 0xffff_8000_0000_0000L;
    /**
     * Inaccessible host address space (PROT_NONE, nothing behind it) as long as the longest read or write,
     * shared by every call: the host iovec for the part of a guest buffer that the guest may not access.
     */
    private static final long GUARD = reserve(MAX_RW_COUNT + PAGE);

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
     */
    private final class Mirror implements AutoCloseable {
        final long host;
        private final long base, size;

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
                long at = base + i * PAGE;
                // a second mapping of the same shared pages (mremap of old size 0) takes the reserved page's place
                long r = HostSyscall.call(SYS_MREMAP, phys.hostAddress() + pa, 0, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, at, 0);
                if (r != at)
                    break;
                if (!full) {
                    HostSyscall.call(SYS_MPROTECT, at, PAGE, PROT_READ);
                    break;
                }
            }
        }

        @Override
        public void close() {
            if (size > 0)
                HostSyscall.call(SYS_MUNMAP, base, size, 0);
        }
    }

    /** Copies a small guest structure into the arena (ppoll's timespec); -1 on a fault. */
    private long bufferIn(long va, int len) {
        Bounce b = new Bounce(va, len, true, false);
        return b.host;
    }

    /** A bounce copy of a guest buffer that is not physically contiguous. */
    private final class Bounce {
        final long va, len, host;
        final boolean write;

        Bounce(long va, long len, boolean copyIn, boolean write) {
            this.va = va;
            this.len = len;
            this.write = write;
            Pointer p = arena.allocate(len);
            long h = Pointer.nativeValue(p);
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
    private boolean copy(long va, long len, long h, boolean toGuest, boolean write) {
        long done = 0;
        while (done < len) {
            long g = guest.hostAddress(va + done, write || toGuest);
            if (g < 0)
                return false;
            long n = Math.min(len - done, PAGE - ((va + done) & (PAGE - 1)));
            byte[] tmp = new byte[(int) n];
            if (toGuest) {
                new Pointer(h + done).read(0, tmp, 0, tmp.length);
                new Pointer(g).write(0, tmp, 0, tmp.length);
            } else {
                new Pointer(g).read(0, tmp, 0, tmp.length);
                new Pointer(h + done).write(0, tmp, 0, tmp.length);
            }
            done += n;
        }
        return true;
    }

    /**
     * Appends host iovecs for the contiguous pieces of [va, va+len) at iov[count..]. Stops early at a page
     * the guest may not touch. Returns the new count, and the bytes covered in covered[0].
     */
    private int pieces(long va, long len, boolean write, Pointer iov, int count, long[] covered) {
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

    /** read/write/pread64/pwrite64 as readv-family calls over the guest buffer's pieces: no copy. */
    private long transfer(int vecCall, long fd, long buf, long count, boolean toGuest, long offset, boolean positional) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        if (!X86.accessOk(buf, count)) // Linux checks the whole range first, even for count 0
            return failed(vecCall, h, offset, -Errno.EFAULT);
        if (count == 0)
            return HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return move(vecCall, h, new long[] {buf, Math.min(count, MAX_RW_COUNT)}, toGuest, offset, positional);
    }

    /**
     * readv/writev/preadv/pwritev: each guest iovec becomes one or more host iovecs over guest pages. The
     * iovecs are read and checked before anything moves, as Linux's import_iovec does: EINVAL for a
     * negative length, EFAULT for an array the guest may not read or a buffer outside the user half.
     */
    private long vector(int vecCall, long fd, long guestIov, long iovcnt, boolean toGuest, long offset, boolean positional) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        if (Long.compareUnsigned(iovcnt, IOV_MAX) > 0)
            return failed(vecCall, h, offset, -Errno.EINVAL);
        if (iovcnt > 0 && !X86.accessOk(guestIov, 16 * iovcnt))
            return failed(vecCall, h, offset, -Errno.EFAULT);
        long[] ranges = new long[2 * (int) iovcnt];
        for (int i = 0; i < iovcnt; i++) {
            byte[] v = readGuest(guestIov + 16L * i, 16); // an iovec may straddle two pages
            if (v == null)
                return failed(vecCall, h, offset, -Errno.EFAULT);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ranges[2 * i] = b.getLong(0);
            ranges[2 * i + 1] = b.getLong(8);
            if (ranges[2 * i + 1] < 0)
                return failed(vecCall, h, offset, -Errno.EINVAL);
        }
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            long len = ranges[2 * i + 1];
            if (!X86.accessOk(ranges[2 * i], iovcnt == 1 ? Math.min(len, MAX_RW_COUNT) : len)) // one iovec: clamped first
                return failed(vecCall, h, offset, -Errno.EFAULT);
            len = Math.min(len, MAX_RW_COUNT - total);
            ranges[2 * i + 1] = len;
            total += len;
        }
        if (total == 0)
            return HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return move(vecCall, h, ranges, toGuest, offset, positional);
    }

    /**
     * The result of a read or write whose guest buffers are bad: error, unless the host finds something
     * wrong first with the descriptor (EBADF for a file not open for reading, ESPIPE for pread on a pipe,
     * EINVAL for a negative offset), as Linux checks those first. The call over no iovecs asks just that.
     */
    private static long failed(int vecCall, int h, long offset, long error) {
        long r = HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return r < 0 ? r : error;
    }

    /**
     * Moves bytes between host fd h and guest memory (ranges holds va, length pairs) with vecCall over host
     * iovecs for the ranges' physically contiguous pieces. When there are more pieces than one call takes
     * (IOV_MAX), further calls follow for as long as each moves all it was given, so that, as on Linux, one
     * write moves everything and one read fills the buffer from a regular file; a read from anything else
     * (a pipe, socket or terminal) returns what the first call found. Where a range runs into memory the
     * guest may not access, the rest of it is {@link #GUARD}: the host moves what comes before and then
     * returns what Linux would (a regular file the bytes moved, a pipe EFAULT, /dev/null everything).
     */
    private long move(int vecCall, int h, long[] ranges, boolean toGuest, long offset, boolean positional) {
        Pointer iov = arena.allocate(16L * IOV_MAX);
        long[] covered = new long[1];
        long done = 0, into = 0; // the next guest byte is at ranges[2 * i] + into
        int i = 0;
        while (true) {
            int n = 0;
            long batch = 0;
            boolean fault = false;
            while (i < ranges.length / 2 && n < IOV_MAX) {
                long left = ranges[2 * i + 1] - into;
                if (left > 0) {
                    long va = ranges[2 * i] + into;
                    n = pieces(va, left, toGuest, iov, n, covered);
                    batch += covered[0];
                    into += covered[0];
                    if (covered[0] < left) {
                        if (n == IOV_MAX)
                            break; // the host iovecs are full: the next call starts here
                        iov.setLong(16L * n, GUARD + ((va + covered[0]) & (PAGE - 1)));
                        iov.setLong(16L * n + 8, left - covered[0]);
                        n++;
                        fault = true;
                        break;
                    }
                }
                i++;
                into = 0;
            }
            zeroCopyBytes += batch;
            long r = HostSyscall.call(vecCall, h, Pointer.nativeValue(iov), n, positional ? offset + done : 0, 0, 0);
            if (r < 0)
                return done > 0 ? done : r;
            done += r;
            if (r < batch || fault || i >= ranges.length / 2 || toGuest && !fillsReads(h))
                return done;
        }
    }

    /** Whether a read from host fd h fills the buffer as far as the data goes: a regular file or block device. */
    private boolean fillsReads(int h) {
        Pointer st = arena.allocate(144);
        if (HostSyscall.call(SYS_FSTAT, h, Pointer.nativeValue(st), 0) < 0)
            return false;
        int type = st.getInt(24) & 0170000; // st_mode
        return type == 0100000 || type == 0060000;
    }

    // ---- calls with their own rules ----

    private long dupTo(long oldFd, long newFd, boolean cloexec) {
        if (newFd < 0 || newFd >= fds.limit())
            return -Errno.EBADF;
        return fds.dupOnto(oldFd, (int) newFd, cloexec);
    }

    private static final int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5,
            F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9, F_OFD_GETLK = 36, F_OFD_SETLK = 37,
            F_OFD_SETLKW = 38, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032,
            F_ADD_SEALS = 1033, F_GET_SEALS = 1034, FD_CLOEXEC = 1;

    private long fcntl(long fd, int cmd, long arg) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        switch (cmd) {
            case F_DUPFD:
            case F_DUPFD_CLOEXEC: {
                if (arg < 0 || arg >= fds.limit())
                    return -Errno.EINVAL;
                long d = fds.dupHost(fd);
                return d < 0 ? d : fds.install((int) d, cmd == F_DUPFD_CLOEXEC, (int) arg);
            }
            case F_GETFD:
                return fds.cloexec(fd) ? FD_CLOEXEC : 0;
            case F_SETFD:
                fds.setCloexec(fd, (arg & FD_CLOEXEC) != 0);
                return 0;
            case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
                // struct flock: F_GETLK reads and writes it, the others only read it
                long p = structure(arg, 32, cmd == F_GETLK || cmd == F_OFD_GETLK);
                return finishStructure(HostSyscall.call(SYS_FCNTL, h, cmd, p));
            }
            case F_GETFL: case F_SETFL: case F_SETOWN: case F_GETOWN: case F_SETPIPE_SZ: case F_GETPIPE_SZ:
            case F_ADD_SEALS: case F_GET_SEALS:
                return HostSyscall.call(SYS_FCNTL, h, cmd, arg);
            default:
                return -Errno.EINVAL;
        }
    }

    private Bounce pendingStructure;
    private Mirror pendingMirror;

    /**
     * A guest structure of len bytes for the host: in place if contiguous, else bounced (copied back by
     * finishStructure), or mirrored if the guest may not access all of it.
     */
    private long structure(long va, int len, boolean write) {
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

    private long finishStructure(long r) {
        Bounce b = pendingStructure;
        pendingStructure = null;
        if (pendingMirror != null)
            pendingMirror.close();
        pendingMirror = null;
        if (b != null && b.write && !b.copyBack())
            return -Errno.EFAULT;
        return r;
    }

    private static final int TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409,
            TCXONC = 0x540A, TCFLSH = 0x540B, TIOCSCTTY = 0x540E, TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410,
            TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541B, FIONBIO = 0x5421, TIOCNOTTY = 0x5422,
            TIOCGSID = 0x5429, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;

    /** ioctl: the argument's shape depends on the request; only requests whose shape is known pass. */
    private long ioctl(long fd, long request, long arg) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        int req = (int) request;
        switch (req) {
            case FIOCLEX:
            case FIONCLEX:
                fds.setCloexec(fd, req == FIOCLEX);
                return 0;
            case TCSBRK: case TCXONC: case TCFLSH: case TIOCSCTTY: case TIOCNOTTY:
                return HostSyscall.call(SYS_IOCTL, h, req, arg);
            default:
                break;
        }
        int size;
        boolean write;
        switch (req) {
            case TCGETS: size = 36; write = true; break;
            case TCSETS: case TCSETSW: case TCSETSF: size = 36; write = false; break;
            case TIOCGWINSZ: size = 8; write = true; break;
            case TIOCSWINSZ: size = 8; write = false; break;
            case FIONREAD: case TIOCGPGRP: case TIOCGSID: size = 4; write = true; break;
            case TIOCSPGRP: case FIONBIO: case FIOASYNC: size = 4; write = false; break;
            default:
                return -Errno.ENOTTY; // a request whose argument layout the proxy does not know
        }
        long p = structure(arg, size, write); // the host decides: a file that is not a terminal gives ENOTTY first
        return finishStructure(HostSyscall.call(SYS_IOCTL, h, req, p));
    }

    /** pipe, pipe2, socketpair: two new host fds become two guest fds written to the guest's int[2]. */
    private long pair(long guestFds, int flags, long socketArgs) {
        Pointer two = arena.allocate(8);
        long r = socketArgs < 0 ? HostSyscall.call(SYS_PIPE2, Pointer.nativeValue(two), flags | O_CLOEXEC, 0)
                : HostSyscall.call(SYS_SOCKETPAIR, (int) socketArgs, flags | O_CLOEXEC, socketArgs >> 32,
                        Pointer.nativeValue(two), 0, 0);
        if (r < 0)
            return r;
        int h0 = two.getInt(0), h1 = two.getInt(4);
        boolean cloexec = (flags & O_CLOEXEC) != 0;
        int g0 = fds.install(h0, cloexec, 0);
        if (g0 < 0) {
            HostSyscall.call(3, h1, 0, 0);
            return g0; // EMFILE: install closed h0
        }
        int g1 = fds.install(h1, cloexec, 0);
        if (g1 < 0) {
            fds.close(g0);
            return g1;
        }
        byte[] out = new byte[8];
        java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(g0).putInt(g1);
        if (!writeGuest(guestFds, out)) { // as Linux: the new descriptors go again
            fds.close(g0);
            fds.close(g1);
            return -Errno.EFAULT;
        }
        return 0;
    }

    private long timeout(long millis) {
        Pointer ts = arena.allocate(16);
        ts.setLong(0, millis / 1000);
        ts.setLong(8, millis % 1000 * 1_000_000);
        return Pointer.nativeValue(ts);
    }

    /**
     * ppoll: the timeout and the signal mask are read first, as Linux reads them. The mask is only checked:
     * signals are the LWK's, and a delegated call is not interrupted by them.
     */
    private long ppoll(long guestFds, long nfds, long guestTimeout, long mask, long maskSize) {
        long ts = 0;
        if (guestTimeout != 0) {
            ts = bufferIn(guestTimeout, 16);
            if (ts < 0)
                return -Errno.EFAULT;
            long sec = new Pointer(ts).getLong(0), nsec = new Pointer(ts).getLong(8);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L)
                return -Errno.EINVAL;
        }
        if (mask != 0 && maskSize != 8)
            return -Errno.EINVAL;
        if (mask != 0 && readGuest(mask, 8) == null)
            return -Errno.EFAULT;
        return poll(guestFds, nfds, ts, guestTimeout == 0);
    }

    /**
     * poll and ppoll over translated fds; a guest fd that is not open reports POLLNVAL, as Linux does. As in
     * Linux the whole array is read before the poll and each revents written after it: an array the guest
     * may read but not write is polled, then fails with EFAULT.
     */
    private long poll(long guestFds, long nfds, long hostTimeout, boolean infinite) {
        nfds &= 0xffffffffL; // an unsigned int
        if (nfds > fds.limit())
            return -Errno.EINVAL;
        if (nfds > Integer.MAX_VALUE / 8)
            return -Errno.ENOMEM; // more than the proxy reads at once (under a limit raised that far)
        byte[] in = readGuest(guestFds, (int) (8 * nfds));
        if (in == null)
            return -Errno.EFAULT;
        java.nio.ByteBuffer g = java.nio.ByteBuffer.wrap(in).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Pointer p = arena.allocate(Math.max(8, 8 * nfds));
        int invalid = 0;
        for (int i = 0; i < nfds; i++) {
            int fd = g.getInt(8 * i);
            int h = fd < 0 ? -1 : fds.host(fd);
            if (fd >= 0 && h < 0)
                invalid++;
            p.setInt(8L * i, h);
            p.setShort(8L * i + 4, g.getShort(8 * i + 4));
            p.setShort(8L * i + 6, (short) 0);
        }
        long r = HostSyscall.call(SYS_PPOLL, Pointer.nativeValue(p), nfds, infinite ? 0 : hostTimeout, 0, 8, 0);
        if (r < 0)
            return r;
        for (int i = 0; i < nfds; i++) {
            int fd = g.getInt(8 * i);
            short revents = fd >= 0 && fds.host(fd) < 0 ? (short) 0x20 /* POLLNVAL */ : p.getShort(8L * i + 6);
            if (!writeGuest(guestFds + 8L * i + 6, new byte[] {(byte) revents, (byte) (revents >> 8)}))
                return -Errno.EFAULT;
        }
        return r + invalid;
    }

    /** Native scratch memory for one call: bump allocation, reset before each call. */
    private static final class Arena {
        private Memory block = new Memory(256 * 1024);
        private final java.util.List<Memory> retired = new java.util.ArrayList<>(); // in use until reset
        private long used;

        Pointer allocate(long size) {
            long aligned = (size + 15) & ~15L;
            if (used + aligned > block.size()) {
                retired.add(block);
                block = new Memory(Math.max(block.size() * 2, aligned));
                used = 0;
            }
            Pointer p = block.share(used, aligned);
            used += aligned;
            return p;
        }

        void reset() {
            used = 0;
            retired.clear();
        }
    }
}
