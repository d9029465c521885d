package jmck.lwk.syscall;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import jmck.lwk.abi.Errno;
import jmck.lwk.fs.ProcFs;
import jmck.lwk.proc.Thread;

/**
 * The calls that take a path, where the LWK looks first (as McKernel's sys_open does): a path under /proc
 * that names an LWK process, and the CPU lists under /sys/devices/system/cpu, are answered from the LWK
 * ({@link ProcFs}), as is the list of processes that opening /proc itself gives, and /dev/userfaultfd is the LWK's
 * (its ioctl makes userfaultfds: {@link UserfaultfdSyscalls}); any other path goes to the host as
 * the guest gave it. Relative paths under another directory fd go to the host too; relative to the working
 * directory, they are /proc's when that is /proc (chdir and fchdir keep track).
 */
final class ProcPathSyscalls implements SyscallDispatcher.Handler {
    private static final int O_ACCMODE = 3, O_RDONLY = 0, AT_FDCWD = -100;
    private static final String USERFAULTFD_DEVICE = "/dev/userfaultfd";
    /** Which argument is the path, and which the directory fd it is relative to (-1: the working directory). */
    private record PathArg(int path, int dirfd) {}

    private static final Map<Syscall, PathArg> CALLS = new EnumMap<>(Syscall.class);

    static {
        CALLS.put(Syscall.OPEN, new PathArg(0, -1));
        CALLS.put(Syscall.OPENAT, new PathArg(1, 0));
        CALLS.put(Syscall.STAT, new PathArg(0, -1));
        CALLS.put(Syscall.LSTAT, new PathArg(0, -1));
        CALLS.put(Syscall.NEWFSTATAT, new PathArg(1, 0));
        CALLS.put(Syscall.STATX, new PathArg(1, 0));
        CALLS.put(Syscall.ACCESS, new PathArg(0, -1));
        CALLS.put(Syscall.FACCESSAT, new PathArg(1, 0));
        CALLS.put(Syscall.FACCESSAT2, new PathArg(1, 0));
        CALLS.put(Syscall.READLINK, new PathArg(0, -1));
        CALLS.put(Syscall.READLINKAT, new PathArg(1, 0));
    }

    private final SyscallContext kernel;
    private final ProcFs proc;
    private final UserfaultfdSyscalls userfaultfd;

    ProcPathSyscalls(SyscallContext kernel, jmck.lwk.ipc.Ipc ipc, UserfaultfdSyscalls userfaultfd) {
        this.kernel = kernel;
        this.proc = new ProcFs(kernel, ipc);
        this.userfaultfd = userfaultfd;
    }

    void register(SyscallDispatcher d) {
        d.register(this, CALLS.keySet().toArray(new Syscall[0]));
        d.register(this, Syscall.CHDIR, Syscall.FCHDIR);
    }

    /**
     * chdir and fchdir go to the host (the proxy's working directory is the process's); the LWK notes
     * whether the new one is /proc, where relative paths are the LWK's too.
     */
    private long changeDirectory(Syscall call, Thread t, long[] a) {
        boolean toProc = call == Syscall.CHDIR && a[0] != 0 && startsWith(t, a[0], "/proc")
                && ProcFs.isRoot(t.process().mm().readCString(a[0], 4096));
        return kernel.syscalls().forwardThen(t, call, a, r -> {
            if (r == 0)
                t.process().cwdInProc = toProc;
            return r;
        });
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        if (call == Syscall.CHDIR || call == Syscall.FCHDIR)
            return changeDirectory(call, t, a);
        SyscallDispatcher d = kernel.syscalls();
        PathArg arg = CALLS.get(call);
        // readlink with a size that is not positive is refused before the path is read, as Linux does
        if (call == Syscall.READLINK && (int) a[2] <= 0 || call == Syscall.READLINKAT && (int) a[3] <= 0)
            return -Errno.EINVAL;
        long pathAddr = a[arg.path];
        if (pathAddr == 0 || arg.dirfd >= 0 && (int) a[arg.dirfd] != AT_FDCWD && !startsWithSlash(t, pathAddr))
            return d.forward(t, call, a); // the host decides (EFAULT, or relative to the directory fd)
        if ((call == Syscall.OPEN || call == Syscall.OPENAT) && startsWith(t, pathAddr, USERFAULTFD_DEVICE)
                && t.process().mm().readCString(pathAddr, 4096).equals(USERFAULTFD_DEVICE))
            return userfaultfd.openDevice(t, (int) a[arg.path + 1]); // its userfaultfds are the LWK's
        boolean underProc = t.process().cwdInProc && !startsWithSlash(t, pathAddr); // relative to /proc
        if (!underProc && !startsWith(t, pathAddr, "/proc") && !startsWith(t, pathAddr, ProcFs.CPU_DIRECTORY))
            return d.forward(t, call, a);
        String path = (underProc ? "/proc/" : "") + t.process().mm().readCString(pathAddr, 4096);
        ProcFs.Target target = proc.resolve(t, path);
        if (target == null)
            return d.forward(t, call, a);
        if (target.errno() != 0)
            return -target.errno();
        if (call == Syscall.READLINK || call == Syscall.READLINKAT) {
            if (target.link() == null)
                return d.forwarder().forwardWithPath(t, call, a, arg.path, target.hostPath());
            byte[] text = target.link().getBytes(StandardCharsets.UTF_8);
            long buf = a[arg.path + 1], size = a[arg.path + 2];
            int n = (int) Math.min(text.length, size);
            t.process().mm().copyOut(buf, text, 0, n);
            return n;
        }
        if ((call == Syscall.OPEN || call == Syscall.OPENAT) && target.listing() != null) { // to be listed
            String listing = target.listing().get();
            if (listing != null)
                return d.forwarder().forwardWithPath(t, call, a, arg.path, listing);
        }
        if ((call == Syscall.OPEN || call == Syscall.OPENAT) && target.contents() != null) {
            boolean write = ((int) a[arg.path + 1] & O_ACCMODE) != O_RDONLY;
            if (write && target.writer() == null)
                return -Errno.EACCES;
            return d.forwarder().openContents(t, path, target.contents(), write ? target.writer() : null);
        }
        if (target.hostPath().equals(path))
            return d.forward(t, call, a);
        // a trailing slash asks for a directory, following a link (lstat of /proc/self/ is its directory's)
        String host = target.hostPath();
        if (path.endsWith("/") && !host.endsWith("/"))
            host += "/";
        return d.forwarder().forwardWithPath(t, call, a, arg.path, host);
    }

    /** Whether the path starts with '/': one byte is read, since the path may end just before unmapped memory. */
    private static boolean startsWithSlash(Thread t, long path) {
        return t.process().mm().copyIn(path, 1)[0] == '/';
    }

    /** Whether the guest string at va starts with prefix, reading no further than a mismatch. */
    private static boolean startsWith(Thread t, long va, String prefix) {
        for (int i = 0; i < prefix.length(); i++)
            if (t.process().mm().copyIn(va + i, 1)[0] != prefix.charAt(i))
                return false;
        return true;
    }
}
