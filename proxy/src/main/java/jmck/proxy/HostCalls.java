package jmck.proxy;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * Runs a guest's delegated syscalls on the host: mcexec's main loop body. Guest pointers become host
 * pointers into the instance's physical memory (the unified address space), so data moves between host
 * files and guest pages without a copy: read() and write() become readv()/writev() over the physically
 * contiguous pieces of the guest buffer. Only small structures that straddle non-contiguous pages and path
 * strings go through a bounce buffer. Guest file descriptors are translated through the {@link FdTable}.
 */
final class HostCalls {
    private static final int SYS_READV = 19, SYS_WRITEV = 20, SYS_PREADV = 295, SYS_PWRITEV = 296, SYS_DUP = 32,
            SYS_PIPE2 = 293, SYS_FCNTL = 72, SYS_IOCTL = 16, SYS_SOCKETPAIR = 53, SYS_PPOLL = 271;
    private static final int AT_FDCWD = -100, O_CLOEXEC = 02000000, IOV_MAX = 1024, PATH_MAX = 4096;
    private static final long PAGE = 4096;

    private final GuestMemory guest;
    private final PhysicalMemory phys;
    private final FdTable fds;
    private final Arena arena = new Arena();
    /** Counts of bytes moved with and without a bounce copy, for tests and benchmarks. */
    long zeroCopyBytes, bounceBytes;

    HostCalls(GuestMemory guest, FdTable fds) {
        this.guest = guest;
        this.phys = guest.physical();
        this.fds = fds;
    }

    FdTable fds() {
        return fds;
    }

    /** Executes call with guest arguments a; returns what the guest sees in rax. */
    long execute(Syscall call, long[] a) {
        arena.reset();
        switch (call) {
            case READ:
                return transfer(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case WRITE:
                return transfer(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PREAD64:
                return transfer(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            case PWRITE64:
                return transfer(SYS_PWRITEV, a[0], a[1], a[2], false, a[3], true);
            case READV:
                return vector(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case WRITEV:
                return vector(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PREADV:
                return vector(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            case PWRITEV:
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
                return poll(a[0], a[1], a[2] < 0 ? 0 : timeout(a[2]), a[2] < 0, 0);
            case PPOLL:
                return poll(a[0], a[1], a[2] == 0 ? 0 : bufferIn(a[2], 16), a[2] == 0, a[2]);
            case CLOSE_RANGE: {
                long last = Math.min(a[1], fds.highest());
                for (long g = a[0]; g <= last; g++)
                    if ((a[2] & 4) != 0) // CLOSE_RANGE_CLOEXEC
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

    /** A new guest fd whose contents are generated when first used (see {@link FdTable#installGenerated}). */
    long openContents(String name, java.util.function.Supplier<byte[]> contents) {
        return fds.installGenerated(name, contents);
    }

    // ---- the generic path: translate each argument by its kind ----

    private long generic(Syscall call, CallSpec.Spec spec, long[] a) {
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
                    h[i] = (int) a[i] == AT_FDCWD ? AT_FDCWD : fds.host(a[i]);
                    if (h[i] < 0 && (int) a[i] != AT_FDCWD)
                        return -Errno.EBADF;
                    break;
                case PATH:
                    if (a[i] == 0) {
                        h[i] = 0;
                        break;
                    }
                    h[i] = path(a[i]);
                    if (h[i] < 0)
                        return h[i];
                    break;
                default: {
                    long len = arg.length(a);
                    if (a[i] == 0 || len <= 0) {
                        h[i] = a[i] == 0 ? 0 : PAGE; // a valid, unused host address for an empty buffer
                        break;
                    }
                    boolean write = arg.kind() != CallSpec.Kind.IN;
                    long host = contiguous(a[i], len, write);
                    if (host == -1)
                        return -Errno.EFAULT;
                    if (host == -2) {
                        bounces[i] = new Bounce(a[i], len, true, write); // copied in even for OUT: bytes the host leaves stay
                        host = bounces[i].host;
                        if (host < 0)
                            return -Errno.EFAULT;
                    }
                    h[i] = host;
                }
            }
        }
        long r = HostSyscall.call(call.nr, h[0], h[1], h[2], h[3], h[4], h[5]);
        for (Bounce b : bounces)
            if (b != null && b.write && !b.copyBack())
                return -Errno.EFAULT;
        if (spec.returnsFd() && r >= 0)
            r = fds.install((int) r, false, 0);
        return r;
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
                    return base;
                n++;
            }
        }
        return -Errno.ENAMETOOLONG;
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
        if (count < 0)
            return -Errno.EINVAL;
        if (count == 0)
            return HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        Pointer iov = arena.allocate(16L * IOV_MAX);
        long[] covered = new long[1];
        int n = pieces(buf, Math.min(count, 0x7ffff000L), toGuest, iov, 0, covered);
        if (n == 0)
            return -Errno.EFAULT;
        zeroCopyBytes += covered[0];
        return HostSyscall.call(vecCall, h, Pointer.nativeValue(iov), n, positional ? offset : 0, 0, 0);
    }

    /** readv/writev/preadv/pwritev: each guest iovec becomes one or more host iovecs over guest pages. */
    private long vector(int vecCall, long fd, long guestIov, long iovcnt, boolean toGuest, long offset, boolean positional) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        if (iovcnt < 0 || iovcnt > IOV_MAX)
            return -Errno.EINVAL;
        Pointer iov = arena.allocate(16L * IOV_MAX);
        int n = 0;
        long[] covered = new long[1];
        for (int i = 0; i < iovcnt; i++) {
            long base = guest.hostAddress(guestIov + 16L * i, false);
            long lenAt = guest.hostAddress(guestIov + 16L * i + 8, false);
            if (base < 0 || lenAt < 0)
                return -Errno.EFAULT;
            long b = new Pointer(base).getLong(0), len = new Pointer(lenAt).getLong(0);
            if (len < 0)
                return -Errno.EINVAL;
            if (len == 0)
                continue;
            n = pieces(b, len, toGuest, iov, n, covered);
            if (covered[0] < len) {
                if (n == 0 && i == 0)
                    return -Errno.EFAULT;
                break;
            }
            zeroCopyBytes += covered[0];
        }
        return HostSyscall.call(vecCall, h, Pointer.nativeValue(iov), n, positional ? offset : 0, 0, 0);
    }

    // ---- calls with their own rules ----

    private long dupTo(long oldFd, long newFd, boolean cloexec) {
        if (newFd < 0 || newFd >= 65536)
            return -Errno.EBADF;
        long h = fds.dupHost(oldFd);
        if (h < 0)
            return h;
        fds.installAt((int) newFd, (int) h, cloexec);
        return newFd;
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
                if (arg < 0 || arg >= 65536)
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
                long p = structure(arg, 32, true);
                if (p < 0)
                    return -Errno.EFAULT;
                long r = HostSyscall.call(SYS_FCNTL, h, cmd, p);
                return finishStructure(r);
            }
            case F_GETFL: case F_SETFL: case F_SETOWN: case F_GETOWN: case F_SETPIPE_SZ: case F_GETPIPE_SZ:
            case F_ADD_SEALS: case F_GET_SEALS:
                return HostSyscall.call(SYS_FCNTL, h, cmd, arg);
            default:
                return -Errno.EINVAL;
        }
    }

    private Bounce pendingStructure;

    /** A guest structure of len bytes for the host: in place if contiguous, else bounced (copied back after). */
    private long structure(long va, int len, boolean write) {
        pendingStructure = null;
        long h = contiguous(va, len, write);
        if (h == -2) {
            pendingStructure = new Bounce(va, len, true, write);
            h = pendingStructure.host;
        }
        return h;
    }

    private long finishStructure(long r) {
        Bounce b = pendingStructure;
        pendingStructure = null;
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
        long p = structure(arg, size, write);
        if (p < 0)
            return -Errno.EFAULT;
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
        long out0 = guest.hostAddress(guestFds, true), out1 = guest.hostAddress(guestFds + 4, true);
        if (out0 < 0 || out1 < 0) {
            HostSyscall.call(3, h0, 0, 0);
            HostSyscall.call(3, h1, 0, 0);
            return -Errno.EFAULT;
        }
        int g0 = fds.install(h0, cloexec, 0);
        int g1 = fds.install(h1, cloexec, 0);
        new Pointer(out0).setInt(0, g0);
        new Pointer(out1).setInt(0, g1);
        return 0;
    }

    private long timeout(long millis) {
        Pointer ts = arena.allocate(16);
        ts.setLong(0, millis / 1000);
        ts.setLong(8, millis % 1000 * 1_000_000);
        return Pointer.nativeValue(ts);
    }

    /** poll and ppoll over translated fds; a guest fd that is not open reports POLLNVAL, as Linux does. */
    private long poll(long guestFds, long nfds, long hostTimeout, boolean infinite, long guestTimeout) {
        if (nfds < 0 || nfds > 65536)
            return -Errno.EINVAL;
        if (hostTimeout < 0)
            return -Errno.EFAULT;
        Pointer p = arena.allocate(Math.max(8, 8 * nfds));
        int invalid = 0;
        for (int i = 0; i < nfds; i++) {
            long at = guest.hostAddress(guestFds + 8L * i, true);
            if (at < 0)
                return -Errno.EFAULT;
            Pointer g = new Pointer(at);
            int fd = g.getInt(0);
            int h = fd < 0 ? -1 : fds.host(fd);
            if (fd >= 0 && h < 0)
                invalid++;
            p.setInt(8L * i, h);
            p.setShort(8L * i + 4, g.getShort(4));
            p.setShort(8L * i + 6, (short) 0);
        }
        long r = HostSyscall.call(SYS_PPOLL, Pointer.nativeValue(p), nfds, infinite ? 0 : hostTimeout, 0, 8, 0);
        if (r < 0)
            return r;
        for (int i = 0; i < nfds; i++) {
            Pointer g = new Pointer(guest.hostAddress(guestFds + 8L * i, true));
            int fd = g.getInt(0);
            short revents = fd >= 0 && fds.host(fd) < 0 ? (short) 0x20 /* POLLNVAL */ : p.getShort(8L * i + 6);
            g.setShort(6, revents);
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
