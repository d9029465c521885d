package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.fs.ProcFiles;
import jmck.lwk.proc.Thread;

/**
 * open and openat: the LWK looks first (as McKernel's sys_open does) so that /proc files describing the
 * guest come from the LWK; every other path is opened on the host by the proxy.
 */
final class FileSyscalls {
    private static final int O_ACCMODE = 3, O_RDONLY = 0, AT_FDCWD = -100;
    private final ProcFiles proc;

    FileSyscalls(SyscallContext kernel) {
        this.proc = new ProcFiles(kernel);
    }

    void register(SyscallDispatcher d) {
        d.register(Syscall.OPEN, (t, a) -> open(d, t, Syscall.OPEN, a, a[0], (int) a[1]));
        d.register(Syscall.OPENAT, (t, a) -> (int) a[0] == AT_FDCWD || isAbsolute(t, a[1])
                ? open(d, t, Syscall.OPENAT, a, a[1], (int) a[2]) : d.forward(t, Syscall.OPENAT, a));
    }

    /** Whether the path starts with '/': one byte is read, since the path may end just before unmapped memory. */
    private static boolean isAbsolute(Thread t, long path) {
        return path != 0 && t.process().mm().copyIn(path, 1)[0] == '/';
    }

    private long open(SyscallDispatcher d, Thread t, Syscall call, long[] a, long pathAddr, int flags) {
        if (pathAddr == 0)
            return -Errno.EFAULT;
        String path = t.process().mm().readCString(pathAddr, 4096);
        if (!path.startsWith("/proc/") || proc.contents(t, path) == null)
            return d.forward(t, call, a);
        if ((flags & O_ACCMODE) != O_RDONLY)
            return -Errno.EACCES;
        return d.forwarder().openContents(t, path, () -> {
            byte[] b = proc.contents(t, path);
            return b == null ? new byte[0] : b;
        });
    }
}
