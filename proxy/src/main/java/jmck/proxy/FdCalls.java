package jmck.proxy;

import jmck.emulator.host.HostBuffer;
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
        return fds.duplicate(fd, false, 0);
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

    private static final int SYS_OPENAT2 = 437, OPEN_HOW_SIZE = 24;

    /**
     * openat2(dirfd, path, how, size): struct open_how {u64 flags, mode, resolve}, which may be larger than
     * the kernel's (E2BIG unless the rest is zero); its O_CLOEXEC is the new fd's. hostPath replaces the
     * guest's path if the LWK resolved it.
     */
    long openat2(long[] a, String hostPath) {
        long size = a[3];
        if (size < OPEN_HOW_SIZE)
            return -Errno.EINVAL;
        if (size > 4096)
            return -Errno.E2BIG;
        byte[] raw = mem.readGuest(a[2], (int) size);
        if (raw == null)
            return -Errno.EFAULT;
        for (int i = OPEN_HOW_SIZE; i < raw.length; i++)
            if (raw[i] != 0)
                return -Errno.E2BIG;
        long dir = (int) a[0] == -100 ? -100 : fds.host(a[0]);
        long path = hostPath != null ? mem.hostPath(hostPath) : mem.path(a[1]);
        if (path < 0)
            return path;
        HostBuffer how = mem.arena.allocate(OPEN_HOW_SIZE);
        how.write(0, raw, 0, OPEN_HOW_SIZE);
        long flags = how.getLong(0);
        how.setLong(0, flags | O_CLOEXEC);
        long r = HostSyscall.call(SYS_OPENAT2, dir, path, how.address(), OPEN_HOW_SIZE, 0, 0);
        if (r < 0)
            return r;
        if (MachineMemoryFiles.isMemory((int) r)) {
            HostSyscall.call(3, r, 0, 0);
            return -Errno.EACCES;
        }
        return fds.install((int) r, (flags & O_CLOEXEC) != 0, 0);
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
                return fds.duplicate(fd, cmd == F_DUPFD_CLOEXEC, (int) arg);
            }
            case F_GETFD:
                return fds.cloexec(fd) ? FD_CLOEXEC : 0;
            case F_SETFD:
                fds.setCloexec(fd, (arg & FD_CLOEXEC) != 0);
                return 0;
            case F_GETLK: case F_SETLK: case F_SETLKW: {
                // struct flock, copied: F_GETLK reads and writes it, the others only read it; the guest
                // process's own locks, see RecordLocks
                byte[] flock = mem.readGuest(arg, 32);
                if (flock == null)
                    return -Errno.EFAULT;
                HostBuffer copy = HostBuffer.allocate(32);
                copy.write(0, flock, 0, 32);
                long r = RecordLocks.INSTANCE.fcntl(fds.owner(), h, cmd, copy.address());
                if (r == 0 && cmd == F_GETLK && !mem.writeGuest(arg, copy.getByteArray(0, 32)))
                    return -Errno.EFAULT;
                return r;
            }
            case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: { // the guest's descriptions are the host's
                long p = mem.structure(arg, 32, cmd == F_OFD_GETLK);
                return mem.finishStructure(HostSyscall.call(SYS_FCNTL, h, cmd, p));
            }
            case F_SETOWN: // kept by FdSignals: on the host, the guest's pid would name some other process
                FdSignals.INSTANCE.setOwner(h, (int) fd, (int) arg < 0 ? F_OWNER_PGRP : F_OWNER_PID, Math.abs((int) arg));
                return 0;
            case F_GETOWN: {
                int[] o = FdSignals.INSTANCE.owner(h);
                return o[0] == F_OWNER_PGRP ? -o[1] : o[1];
            }
            case F_SETOWN_EX: case F_GETOWN_EX:
                return ownerEx(h, fd, cmd, arg);
            case F_SETSIG:
                if (arg < 0 || arg > 64)
                    return -Errno.EINVAL;
                FdSignals.INSTANCE.setSignal(h, (int) arg);
                return 0;
            case F_GETSIG:
                return FdSignals.INSTANCE.signal(h);
            case F_SETFL: case F_NOTIFY: case F_SETLEASE: { // the host's signals for the file come to FdSignals first
                boolean signals = cmd == F_SETFL ? (arg & O_ASYNC) != 0 : cmd == F_NOTIFY ? (arg & ~DN_MULTISHOT) != 0
                        : arg != F_UNLCK;
                long r = signals ? FdSignals.INSTANCE.arm(h, (int) fd, fds.signalSink()) : 0;
                // as Linux, F_NOTIFY and a lease make the caller the owner if there is none (before the host
                // call: a lease may break at once)
                boolean owned = r == 0 && signals && cmd != F_SETFL && FdSignals.INSTANCE.ownIfNone(h, fds.owner());
                if (r == 0)
                    r = HostSyscall.call(SYS_FCNTL, h, cmd, arg);
                if (r < 0 && owned)
                    FdSignals.INSTANCE.setOwner(h, (int) fd, F_OWNER_PID, 0);
                return r;
            }
            case F_DUPFD_QUERY: {
                int other = fds.host(arg);
                return other < 0 ? -Errno.EBADF : HostSyscall.call(SYS_FCNTL, h, cmd, other);
            }
            case F_GET_RW_HINT: case F_SET_RW_HINT: { // a u64 hint the host reads or fills
                long p = mem.structure(arg, 8, cmd == F_GET_RW_HINT);
                return mem.finishStructure(p < 0 ? -Errno.EFAULT : HostSyscall.call(SYS_FCNTL, h, cmd, p));
            }
            case F_GETFL: case F_SETPIPE_SZ: case F_GETPIPE_SZ: case F_ADD_SEALS: case F_GET_SEALS:
            case F_GETLEASE: case F_CREATED_QUERY:
                return HostSyscall.call(SYS_FCNTL, h, cmd, arg);
            default:
                return -Errno.EINVAL;
        }
    }

    private static final int F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16, F_SETLEASE = 1024,
            F_GETLEASE = 1025, F_DUPFD_QUERY = 1027, F_CREATED_QUERY = 1028, F_GET_RW_HINT = 1035,
            F_SET_RW_HINT = 1036, F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2, F_NOTIFY = 1026,
            DN_MULTISHOT = 0x80000000, F_UNLCK = 2, O_ASYNC = 020000;

    /** F_SETOWN_EX and F_GETOWN_EX: struct f_owner_ex {int type; int pid}, kept with the open file (host fd h). */
    private long ownerEx(int h, long fd, int cmd, long arg) {
        if (cmd == F_GETOWN_EX) {
            int[] o = FdSignals.INSTANCE.owner(h);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putInt(o[0]).putInt(o[1]);
            return mem.writeGuest(arg, b.array()) ? 0 : -Errno.EFAULT;
        }
        byte[] raw = mem.readGuest(arg, 8);
        if (raw == null)
            return -Errno.EFAULT;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int type = b.getInt(0), pid = b.getInt(4);
        if (type != F_OWNER_TID && type != F_OWNER_PID && type != F_OWNER_PGRP)
            return -Errno.EINVAL;
        FdSignals.INSTANCE.setOwner(h, (int) fd, type, pid);
        return 0;
    }

    private static final int FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452, LOOP_SET_FD = 0x4C00, LOOP_CHANGE_FD = 0x4C06;

    /**
     * How an ioctl's argument is passed: a value, a buffer the host reads, fills or both, a guest fd, or a
     * buffer the host reads whose first field is a guest fd.
     */
    private enum Arg { VALUE, IN, OUT, INOUT, FD, IN_FD_FIRST }

    private record Shape(Arg arg, int size) {}

    /**
     * The ioctl requests whose argument the proxy knows how to pass (any other is ENOTTY: a pointer inside
     * an unknown structure would reach the proxy's own memory). Terminals and pseudo-terminals, FIONREAD/FIONBIO, loop devices
     * and their control file (as LTP's device library uses them), block device sizes, file flags.
     */
    private static final java.util.Map<Integer, Shape> IOCTLS = new java.util.HashMap<>();

    private static void ioctl(Arg arg, int size, int... requests) {
        for (int r : requests)
            IOCTLS.put(r, new Shape(arg, size));
    }

    static {
        // terminals
        ioctl(Arg.VALUE, 0, 0x5409 /* TCSBRK */, 0x540A /* TCXONC */, 0x540B /* TCFLSH */, 0x540E /* TIOCSCTTY */,
                0x5422 /* TIOCNOTTY */);
        ioctl(Arg.OUT, 36, 0x5401 /* TCGETS */);
        ioctl(Arg.IN, 36, 0x5402, 0x5403, 0x5404 /* TCSETS, TCSETSW, TCSETSF */);
        ioctl(Arg.OUT, 8, 0x5413 /* TIOCGWINSZ */);
        ioctl(Arg.IN, 8, 0x5414 /* TIOCSWINSZ */);
        ioctl(Arg.OUT, 4, 0x541B /* FIONREAD */, 0x540F /* TIOCGPGRP */, 0x5429 /* TIOCGSID */);
        ioctl(Arg.IN, 4, 0x5410 /* TIOCSPGRP */, 0x5421 /* FIONBIO */, FIOASYNC);
        ioctl(Arg.VALUE, 0, 0x540C /* TIOCEXCL */, 0x540D /* TIOCNXCL */, 0x5425 /* TCSBRKP */, 0x5427 /* TIOCSBRK */,
                0x5428 /* TIOCCBRK */, 0x40045436 /* TIOCSIG */, 0x5437 /* TIOCVHANGUP */);
        ioctl(Arg.OUT, 4, 0x5411 /* TIOCOUTQ */, 0x5415 /* TIOCMGET */, 0x5424 /* TIOCGETD */,
                0x80045440 /* TIOCGEXCL */, 0x80045432 /* TIOCGDEV */);
        ioctl(Arg.IN, 4, 0x5416, 0x5417, 0x5418 /* TIOCMBIS, TIOCMBIC, TIOCMSET */, 0x5423 /* TIOCSETD */,
                0x5420 /* TIOCPKT */);
        ioctl(Arg.IN, 1, 0x5412 /* TIOCSTI */);
        ioctl(Arg.OUT, 44, 0x802C542A /* TCGETS2 */);
        ioctl(Arg.OUT, 18, 0x5405 /* TCGETA: the old struct termio */);
        ioctl(Arg.IN, 18, 0x5406, 0x5407, 0x5408 /* TCSETA, TCSETAW, TCSETAF */);
        ioctl(Arg.IN, 44, 0x402C542B, 0x402C542C, 0x402C542D /* TCSETS2, TCSETSW2, TCSETSF2 */);
        // pseudo-terminals: the master's number and lock (grantpt, unlockpt, ptsname)
        ioctl(Arg.OUT, 4, 0x80045430 /* TIOCGPTN */, 0x80045439 /* TIOCGPTLCK */, 0x80045438 /* TIOCGPKT */);
        ioctl(Arg.IN, 4, 0x40045431 /* TIOCSPTLCK */);
        // the random device's entropy count, TUN devices' features and interface
        ioctl(Arg.OUT, 4, 0x80045200 /* RNDGETENTCNT */, 0x800454cf /* TUNGETFEATURES */);
        ioctl(Arg.INOUT, 40, 0x400454ca /* TUNSETIFF */);
        ioctl(Arg.OUT, 40, 0x800454d2 /* TUNGETIFF */);
        // loop devices: /dev/loop-control, then LOOP_SET_FD with a guest fd, status old and 64-bit
        ioctl(Arg.VALUE, 0, 0x4C80, 0x4C81, 0x4C82 /* LOOP_CTL_ADD, _REMOVE, _GET_FREE */, 0x4C01 /* LOOP_CLR_FD */,
                0x4C07 /* LOOP_SET_CAPACITY */, 0x4C08 /* LOOP_SET_DIRECT_IO */, 0x4C09 /* LOOP_SET_BLOCK_SIZE */);
        ioctl(Arg.FD, 0, LOOP_SET_FD, LOOP_CHANGE_FD);
        ioctl(Arg.IN, 168, 0x4C02 /* LOOP_SET_STATUS */);
        ioctl(Arg.OUT, 168, 0x4C03 /* LOOP_GET_STATUS */);
        ioctl(Arg.IN, 232, 0x4C04 /* LOOP_SET_STATUS64 */);
        ioctl(Arg.OUT, 232, 0x4C05 /* LOOP_GET_STATUS64 */);
        ioctl(Arg.IN_FD_FIRST, 304, 0x4C0A /* LOOP_CONFIGURE */);
        // block devices
        ioctl(Arg.OUT, 8, 0x80081272 /* BLKGETSIZE64 */, 0x1260 /* BLKGETSIZE */, 0x80081270 /* BLKBSZGET */,
                0x1263 /* BLKRAGET */);
        ioctl(Arg.OUT, 4, 0x1268 /* BLKSSZGET */, 0x125e /* BLKROGET */, 0x127b /* BLKPBSZGET */, 0x1278 /* BLKIOMIN */,
                0x1279 /* BLKIOOPT */);
        ioctl(Arg.IN, 4, 0x125d /* BLKROSET */);
        ioctl(Arg.VALUE, 0, 0x1261 /* BLKFLSBUF */, 0x1262 /* BLKRASET */, 0x125f /* BLKRRPART */);
        ioctl(Arg.IN, 16, 0x1277 /* BLKDISCARD */, 0x127f /* BLKZEROOUT */);
        // file attributes
        ioctl(Arg.OUT, 4, 0x80086601 /* FS_IOC_GETFLAGS */, 0x80087601 /* FS_IOC_GETVERSION */, 2 /* FIGETBSZ */);
        ioctl(Arg.IN, 4, 0x40086602 /* FS_IOC_SETFLAGS */, 0x40087602 /* FS_IOC_SETVERSION */);
        ioctl(Arg.INOUT, 4, 1 /* FIBMAP */);
        ioctl(Arg.OUT, 28, 0x801c581f /* FS_IOC_FSGETXATTR */);
        ioctl(Arg.IN, 28, 0x401c5820 /* FS_IOC_FSSETXATTR */);
        ioctl(Arg.FD, 0, 0x40049409 /* FICLONE */);
        ioctl(Arg.IN_FD_FIRST, 32, 0x4020940d /* FICLONERANGE: struct file_clone_range */);
        // sockets: the out-of-band mark, network interfaces by struct ifreq (SIOCGIFCONF: below)
        ioctl(Arg.OUT, 4, 0x8905 /* SIOCATMARK */);
        ioctl(Arg.INOUT, 40, 0x8910 /* SIOCGIFNAME */, 0x8913 /* SIOCGIFFLAGS */, 0x8915 /* SIOCGIFADDR */,
                0x8917 /* SIOCGIFDSTADDR */, 0x8919 /* SIOCGIFBRDADDR */, 0x891b /* SIOCGIFNETMASK */,
                0x891d /* SIOCGIFMETRIC */, 0x8921 /* SIOCGIFMTU */, 0x8927 /* SIOCGIFHWADDR */, 0x8933 /* SIOCGIFINDEX */,
                0x8942 /* SIOCGIFTXQLEN */);
        ioctl(Arg.IN, 40, 0x8914 /* SIOCSIFFLAGS */, 0x8922 /* SIOCSIFMTU */);
    }

    private static final int SIOCGIFCONF = 0x8912;

    /** ioctl: the argument's shape depends on the request; only requests whose shape is known pass. */
    long ioctl(long fd, long request, long arg) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        int req = (int) request;
        if (req == FIOCLEX || req == FIONCLEX) {
            fds.setCloexec(fd, req == FIOCLEX);
            return 0;
        }
        if (req == FIOASYNC) { // O_ASYNC by another name: the host's signals for the file come to FdSignals first
            byte[] on = mem.readGuest(arg, 4);
            long r = on == null ? -Errno.EFAULT : on[0] == 0 && on[1] == 0 && on[2] == 0 && on[3] == 0 ? 0
                    : FdSignals.INSTANCE.arm(h, (int) fd, fds.signalSink());
            if (r < 0)
                return r;
        }
        if (req == SIOCGIFCONF)
            return interfaceList(h, arg);
        Shape shape = IOCTLS.get(req);
        if (shape == null)
            return -Errno.ENOTTY; // a request whose argument layout the proxy does not know
        switch (shape.arg()) {
            case VALUE:
                return HostSyscall.call(SYS_IOCTL, h, req, arg);
            case FD: {
                int other = fds.host(arg);
                return other < 0 ? -Errno.EBADF : HostSyscall.call(SYS_IOCTL, h, req, other);
            }
            case IN_FD_FIRST:
                return withFirstFieldFd(h, req, arg, shape.size());
            default:
                break;
        }
        // the host decides: a file that is not a terminal gives ENOTTY first
        long p = mem.structure(arg, shape.size(), shape.arg() != Arg.IN);
        return mem.finishStructure(HostSyscall.call(SYS_IOCTL, h, req, p));
    }

    /**
     * A structure starting with a guest fd (LOOP_CONFIGURE's struct loop_config, FICLONERANGE's struct
     * file_clone_range: an int or an s64 whose high half is 0 for any fd): the host gets its host fd there.
     */
    private long withFirstFieldFd(int h, int req, long arg, int size) {
        byte[] struct = mem.readGuest(arg, size);
        if (struct == null)
            return -Errno.EFAULT;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(struct).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int other = fds.host(b.getInt(0));
        if (other < 0)
            return -Errno.EBADF;
        b.putInt(0, other);
        HostBuffer p = mem.arena.allocate(size);
        p.write(0, struct, 0, struct.length);
        return HostSyscall.call(SYS_IOCTL, h, req, p.address());
    }

    /**
     * SIOCGIFCONF: struct ifconf {int ifc_len; char *ifc_buf;} points to the guest's array of struct ifreq,
     * which the host fills through a host address of it; ifc_len comes back (the size needed, for a NULL buffer).
     */
    private long interfaceList(int h, long arg) {
        byte[] conf = mem.readGuest(arg, 16);
        if (conf == null)
            return -Errno.EFAULT;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(conf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(0);
        long buf = b.getLong(8);
        long hostBuf = buf == 0 || len <= 0 ? 0 : mem.structure(buf, len, true); // a bad buffer: the host's EFAULT
        HostBuffer p = mem.arena.allocate(16);
        p.setInt(0, len);
        p.setLong(8, hostBuf);
        long r = HostSyscall.call(SYS_IOCTL, h, SIOCGIFCONF, p.address());
        if (hostBuf != 0)
            r = mem.finishStructure(r);
        if (r < 0)
            return r;
        b.putInt(0, p.getInt(0));
        return mem.writeGuest(arg, conf) ? r : -Errno.EFAULT;
    }

    /** pipe, pipe2, socketpair: two new host fds become two guest fds written to the guest's int[2]. */
    long pair(long guestFds, int flags, long socketArgs) {
        HostBuffer two = mem.arena.allocate(8);
        long r = socketArgs < 0 ? HostSyscall.call(SYS_PIPE2, two.address(), flags | O_CLOEXEC, 0)
                : HostSyscall.call(SYS_SOCKETPAIR, (int) socketArgs, flags | O_CLOEXEC, socketArgs >> 32,
                        two.address(), 0, 0);
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
