package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.SyscallForwarder;

/**
 * The host files behind a guest's fds that the LWK needs itself, looked up here where the fds, the working
 * directory and the guest's permissions are: a file to mmap (checked as Linux's mmap checks it) and
 * execve's file. The LWK takes its own descriptor of each through /proc/PROXY/fd/N.
 */
final class HostFilesForLwk {
    private static final int SYS_FSTAT = 5, SYS_FCNTL = 72, F_GETFL = 3, AT_FDCWD = -100, O_CLOEXEC = 02000000,
            O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, S_IFMT = 0170000, S_IFREG = 0100000, S_IFBLK = 060000,
            S_IFCHR = 020000, DEV_ZERO = 1 << 8 | 5; // makedev(1, 5)
    private final GuestBuffers mem;
    private final FdTable fds;
    /** Runs a host call with the guest's filesystem ids and capabilities (HostCalls.asGuestWhile). */
    private final java.util.function.ToLongFunction<java.util.function.LongSupplier> asGuest;

    HostFilesForLwk(GuestBuffers mem, FdTable fds, java.util.function.ToLongFunction<java.util.function.LongSupplier> asGuest) {
        this.mem = mem;
        this.fds = fds;
        this.asGuest = asGuest;
    }

    /**
     * The host fd behind guest fd, checked for an mmap: readable, writable too if write, and a regular
     * file or block device. Returns the host fd (still owned by the fd table), with
     * SyscallForwarder.SHARED_WRITABLE set if a shared mapping may become writable, or -errno.
     */
    long mappableHostFd(long guestFd, boolean write) {
        mem.arena.reset();
        int h = fds.host(guestFd);
        if (h < 0)
            return -Errno.EBADF;
        long fl = HostSyscall.call(SYS_FCNTL, h, F_GETFL, 0);
        if (fl < 0)
            return fl;
        if ((fl & O_PATH) != 0) // a path-only descriptor maps nothing (Linux's fget refuses it: EBADF)
            return -Errno.EBADF;
        int mode = (int) fl & O_ACCMODE;
        if (mode == O_WRONLY || (write && mode == O_RDONLY))
            return -Errno.EACCES;
        HostBuffer st = mem.arena.allocate(144);
        long r = HostSyscall.call(SYS_FSTAT, h, st.address(), 0);
        if (r < 0)
            return r;
        int type = st.getInt(24) & S_IFMT; // st_mode
        long writable = mode == O_RDWR ? SyscallForwarder.SHARED_WRITABLE : 0;
        if (type == S_IFCHR && st.getLong(40) == DEV_ZERO) // st_rdev: anonymous memory, which the LWK maps itself
            return SyscallForwarder.ZERO_DEVICE | writable;
        if (type != S_IFREG && type != S_IFBLK)
            return -Errno.ENODEV;
        // a sealed memfd refuses shared writable mappings (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE), as Linux's
        // memfd_check_seals_mmap
        long seals = HostSyscall.call(SYS_FCNTL, h, F_GET_SEALS, 0);
        boolean sealed = seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0;
        if (write && sealed)
            return -Errno.EPERM;
        return h | (sealed ? 0 : writable);
    }

    private static final int O_PATH = 010000000, F_GET_SEALS = 1034, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16;

    private static final int SYS_OPENAT = 257, SYS_FACCESSAT2 = 439, X_OK = 1, AT_EMPTY_PATH = 0x1000,
            AT_SYMLINK_NOFOLLOW = 0x100, AT_EACCESS = 0x200, O_NOFOLLOW = 0400000;

    /**
     * execve's file, looked up here where the guest's working directory, fds and permissions are: relative
     * to guest directory fd dirfd (or the working directory), or with execveat's AT_EMPTY_PATH and "" the
     * fd itself. ENOENT and the other lookup errors first, then EACCES for something that is not a regular
     * file or that the guest may not execute, as Linux's do_open_execat. The proxy opens it as itself, since
     * exec needs no read permission (an execute-only set-user-ID program, as prctl06's); the execute
     * permission and the search permission of the directories on the way are checked with the guest's
     * filesystem ids and capabilities. Then ETXTBSY if a host file descriptor has it open for writing (see
     * RunningPrograms). Returns a host fd the LWK opens again through /proc (kept here until the exec is
     * over), or -errno.
     */
    long openExecutable(long pathVa, int dirfd, int flags) {
        mem.arena.reset();
        long p = mem.path(pathVa);
        if (p < 0)
            return p;
        byte first = HostBuffer.over(p, 1).getByte(0);
        boolean empty = first == 0;
        long dir = AT_FDCWD;
        if (dirfd != AT_FDCWD && (empty || first != '/')) {
            dir = fds.host(dirfd);
            if (dir < 0)
                return -Errno.EBADF;
        }
        long fd;
        if (empty && (flags & AT_EMPTY_PATH) != 0) {
            HostBuffer self = mem.arena.allocate(64);
            self.setString(0, "/proc/self/fd/" + dir);
            fd = HostSyscall.call(SYS_OPENAT, AT_FDCWD, self.address(), O_RDONLY | O_CLOEXEC, 0, 0, 0);
        } else {
            int nofollow = (flags & AT_SYMLINK_NOFOLLOW) != 0 ? O_NOFOLLOW : 0;
            fd = HostSyscall.call(SYS_OPENAT, dir, p, O_RDONLY | O_CLOEXEC | nofollow, 0, 0, 0);
            if (fd == -Errno.ELOOP && nofollow != 0)
                return fd;
        }
        if (fd < 0) {
            long x = empty ? fd : HostSyscall.call(SYS_FACCESSAT2, dir, p, X_OK, 0, 0, 0);
            return x < 0 ? x : fd; // a file that can be executed but not read: the open's error
        }
        HostBuffer st = mem.arena.allocate(144);
        long r = HostSyscall.call(SYS_FSTAT, fd, st.address(), 0);
        int type = st.getInt(24) & S_IFMT;
        if (r >= 0 && type != S_IFREG)
            r = -Errno.EACCES;
        if (r >= 0) {
            HostBuffer none = mem.arena.allocate(1);
            none.setByte(0, (byte) 0);
            long opened = fd, lookup = dir, path = p;
            int nofollow = (flags & AT_SYMLINK_NOFOLLOW);
            r = empty ? asGuest.applyAsLong(() -> HostSyscall.call(SYS_FACCESSAT2, opened, none.address(), X_OK,
                    AT_EMPTY_PATH | AT_EACCESS, 0, 0))
                    : asGuest.applyAsLong(() -> HostSyscall.call(SYS_FACCESSAT2, lookup, path, X_OK, AT_EACCESS | nofollow, 0, 0));
        }
        if (r >= 0 && RunningPrograms.INSTANCE.openForWriting((int) fd))
            r = -Errno.ETXTBSY;
        if (r < 0) {
            HostSyscall.call(3, fd, 0, 0);
            return r;
        }
        fds.holdExecFile((int) fd);
        return fd;
    }

}
