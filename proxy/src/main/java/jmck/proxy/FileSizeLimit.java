package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * RLIMIT_FSIZE for a delegated write or truncate. The limit is the guest process's (the LWK keeps it), but
 * the host applies only the proxy's, which serves several guest processes at once, so it is checked here
 * as Linux's generic_write_check_limits and inode_newsize_ok check it: a write to a regular file starting
 * at or past the limit fails with EFBIG, one that would cross it is shortened to end there; a truncate or
 * fallocate that would grow a file past it fails with EFBIG. The LWK raises SIGXFSZ for the EFBIG
 * (SyscallDispatcher.raiseSignals). Vectored writes crossing the limit are not shortened, only refused
 * at or past it.
 */
final class FileSizeLimit {
    private static final int SYS_LSEEK = 8, SYS_FSTAT = 5, SYS_FCNTL = 72, SYS_NEWFSTATAT = 262, F_GETFL = 3,
            SEEK_CUR = 1, AT_FDCWD = -100;
    private static final long O_APPEND = 02000, RWF_APPEND = 0x10, FALLOC_FL_KEEP_SIZE = 1, S_IFMT = 0170000,
            S_IFREG = 0100000;
    private static final int STAT_SIZE = 144, ST_MODE = 24, ST_SIZE = 48;

    private FileSizeLimit() {}

    /**
     * The arguments call runs with under limit (a's own, or a copy with a shorter count), or null if the
     * call fails with EFBIG. pathArg/hostPath: a truncate's path, as the call will use it.
     */
    static long[] apply(Syscall call, long[] a, long limit, FdTable fds, GuestBuffers mem, long hostPath) {
        switch (call) {
            case TRUNCATE: case FTRUNCATE: {
                long length = a[1];
                if (length <= limit)
                    return a;
                long[] st = call == Syscall.TRUNCATE ? statPath(hostPath) : statFd(fds.host(a[0]));
                return st == null || !regular(st) || length <= st[1] ? a : null; // its own error comes first
            }
            case FALLOCATE: {
                long end = a[2] + a[3];
                if ((a[1] & FALLOC_FL_KEEP_SIZE) != 0 || end <= limit || a[2] < 0 || a[3] <= 0)
                    return a;
                long[] st = statFd(fds.host(a[0]));
                return st == null || !regular(st) || end <= st[1] ? a : null;
            }
            default:
                return write(call, a, limit, fds.host(a[0]));
        }
    }

    private static long[] write(Syscall call, long[] a, long limit, int h) {
        long[] st = statFd(h);
        if (st == null || !regular(st)) // not open (the call's EBADF), or a pipe, a socket, a device
            return a;
        long pos;
        boolean append = (HostSyscall.call(SYS_FCNTL, h, F_GETFL, 0) & O_APPEND) != 0
                || call == Syscall.PWRITEV2 && (a[5] & RWF_APPEND) != 0;
        boolean positioned = call == Syscall.PWRITE64 || call == Syscall.PWRITEV || call == Syscall.PWRITEV2 && a[3] != -1;
        if (positioned && !(append && call == Syscall.PWRITEV2))
            pos = a[3];
        else
            pos = append ? st[1] : HostSyscall.call(SYS_LSEEK, h, 0, SEEK_CUR);
        if (pos < 0)
            return a;
        if (pos >= limit)
            return a[2] == 0 && (call == Syscall.WRITE || call == Syscall.PWRITE64) ? a : null;
        if ((call == Syscall.WRITE || call == Syscall.PWRITE64) && a[2] > limit - pos) {
            long[] shorter = a.clone();
            shorter[2] = limit - pos;
            return shorter;
        }
        return a;
    }

    private static boolean regular(long[] st) {
        return (st[0] & S_IFMT) == S_IFREG;
    }

    /** {st_mode, st_size} of host fd h, or null. */
    private static long[] statFd(int h) {
        if (h < 0)
            return null;
        HostBuffer st = HostBuffer.allocate(STAT_SIZE);
        return HostSyscall.call(SYS_FSTAT, h, st.address(), 0) < 0 ? null : fields(st);
    }

    private static long[] statPath(long hostPath) {
        if (hostPath < 0)
            return null;
        HostBuffer st = HostBuffer.allocate(STAT_SIZE);
        return HostSyscall.call(SYS_NEWFSTATAT, AT_FDCWD, hostPath, st.address(), 0, 0, 0) < 0 ? null
                : fields(st);
    }

    private static long[] fields(HostBuffer st) {
        return new long[] {st.getInt(ST_MODE) & 0xffffffffL, st.getLong(ST_SIZE)};
    }

    /** EFBIG, the result of a call that apply refused. */
    static final long REFUSED = -Errno.EFBIG;
}
