package jmck.proxy;

import com.sun.jna.Pointer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;

/**
 * The delegated calls that work on the fd table itself or pass fds and structures the table does not
 * describe: dup, dup2, dup3, close_range, fcntl, ioctl, pipe, pipe2, socketpair. Guest fds are the proxy's
 * (see {@link FdTable}): a new host fd becomes the lowest free guest fd, close-on-exec as the guest asked.
 */
final class FdCalls {
    private static final int SYS_FCNTL = 72, SYS_IOCTL = 16, SYS_PIPE2 = 293, SYS_SOCKETPAIR = 53;
    private static final int O_CLOEXEC = 02000000, CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
    private final FdTable fds;
    private final GuestBuffers mem;

    FdCalls(FdTable fds, GuestBuffers mem) {
        this.fds = fds;
        this.mem = mem;
    }

    long dup(long fd) {
        long h = fds.dupHost(fd);
        return h < 0 ? h : fds.install((int) h, false, 0);
    }

    long dup2(long oldFd, long newFd) {
        if (fds.host(oldFd) < 0)
            return -Errno.EBADF;
        return oldFd == newFd ? newFd : dupTo(oldFd, newFd, false);
    }

    long dup3(long oldFd, long newFd, long flags) {
        if (oldFd == newFd || (flags & ~O_CLOEXEC) != 0)
            return -Errno.EINVAL;
        return dupTo(oldFd, newFd, (flags & O_CLOEXEC) != 0);
    }

    /** close_range: its three arguments are unsigned ints. */
    long closeRange(long a0, long a1, long flags) {
        long first = a0 & 0xffffffffL, last = a1 & 0xffffffffL;
        if (((int) flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0 || first > last)
            return -Errno.EINVAL;
        last = Math.min(last, fds.highest());
        for (long g = first; g <= last; g++)
            if ((flags & CLOSE_RANGE_CLOEXEC) != 0)
                fds.setCloexec(g, true);
            else if (fds.host(g) >= 0)
                fds.close(g);
        return 0;
    }

    long dupTo(long oldFd, long newFd, boolean cloexec) {
        if (newFd < 0 || newFd >= fds.limit())
            return -Errno.EBADF;
        return fds.dupOnto(oldFd, (int) newFd, cloexec);
    }

    private static final int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5,
            F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9, F_OFD_GETLK = 36, F_OFD_SETLK = 37,
            F_OFD_SETLKW = 38, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032,
            F_ADD_SEALS = 1033, F_GET_SEALS = 1034, FD_CLOEXEC = 1;

    long fcntl(long fd, int cmd, long arg) {
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
                long p = mem.structure(arg, 32, cmd == F_GETLK || cmd == F_OFD_GETLK);
                return mem.finishStructure(HostSyscall.call(SYS_FCNTL, h, cmd, p));
            }
            case F_GETFL: case F_SETFL: case F_SETOWN: case F_GETOWN: case F_SETPIPE_SZ: case F_GETPIPE_SZ:
            case F_ADD_SEALS: case F_GET_SEALS:
                return HostSyscall.call(SYS_FCNTL, h, cmd, arg);
            default:
                return -Errno.EINVAL;
        }
    }

    private static final int TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409,
            TCXONC = 0x540A, TCFLSH = 0x540B, TIOCSCTTY = 0x540E, TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410,
            TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541B, FIONBIO = 0x5421, TIOCNOTTY = 0x5422,
            TIOCGSID = 0x5429, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;

    /** ioctl: the argument's shape depends on the request; only requests whose shape is known pass. */
    long ioctl(long fd, long request, long arg) {
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
        long p = mem.structure(arg, size, write); // the host decides: a file that is not a terminal gives ENOTTY first
        return mem.finishStructure(HostSyscall.call(SYS_IOCTL, h, req, p));
    }

    /** pipe, pipe2, socketpair: two new host fds become two guest fds written to the guest's int[2]. */
    long pair(long guestFds, int flags, long socketArgs) {
        Pointer two = mem.arena.allocate(8);
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
        if (!mem.writeGuest(guestFds, out)) { // as Linux: the new descriptors go again
            fds.close(g0);
            fds.close(g1);
            return -Errno.EFAULT;
        }
        return 0;
    }
}
