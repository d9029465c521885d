package jmck.proxy;

import java.util.List;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallArg;

/**
 * The generic path of delegation: a call whose arguments the {@link Syscall} table describes is passed to
 * the host argument by argument, by kind: values as they are, guest fds translated through the
 * {@link FdTable}, guest strings copied, guest buffers as host pointers into the guest's pages (or a bounce
 * copy, or a mirror where the guest may not access all of it, so that the host faults where Linux would).
 * A new fd the host returns is installed in the guest's table.
 */
final class GenericCalls {
    private static final int AT_FDCWD = -100, O_CLOEXEC = 02000000;
    /** A host fd number no process has open (above any RLIMIT_NOFILE): EBADF wherever the host needs it. */
    private static final int NOT_OPEN = Integer.MAX_VALUE;
    private static final long PAGE = GuestBuffers.PAGE;
    private final HostCalls calls; // the call being served: its umask and path override
    private final GuestBuffers mem;
    private final FdTable fds;

    GenericCalls(HostCalls calls, GuestBuffers mem, FdTable fds) {
        this.calls = calls;
        this.mem = mem;
        this.fds = fds;
    }

    /** Runs call with guest arguments a, passed as the table describes them. */
    long run(Syscall call, long[] a) {
        return run(call, call.args(), a);
    }

    /**
     * Runs call with guest arguments a passed as args describes them: for a call whose arguments' kinds
     * depend on another argument (keyctl's operation, fsconfig's command), its rule picks the description.
     */
    long run(Syscall call, List<SyscallArg> args, long[] a) {
        GuestBuffers.Mirror[] mirrors = new GuestBuffers.Mirror[6];
        try {
            return run(call, args, a, mirrors);
        } finally {
            for (GuestBuffers.Mirror m : mirrors)
                if (m != null)
                    m.close();
        }
    }

    private long run(Syscall call, List<SyscallArg> args, long[] a, GuestBuffers.Mirror[] mirrors) {
        long[] h = new long[6];
        GuestBuffers.Bounce[] bounces = new GuestBuffers.Bounce[6];
        int pathOverrideArg = calls.pathOverrideArg;
        String pathOverride = calls.pathOverride;
        for (int i = 0; i < args.size(); i++) {
            SyscallArg arg = args.get(i);
            switch (arg.kind()) {
                case FD:
                    h[i] = fds.host(a[i]);
                    if (h[i] < 0)
                        return -Errno.EBADF;
                    break;
                case DIRFD:
                    // A guest fd that is not open becomes one the host has not open either, which it rejects
                    // with EBADF only if it needs it (like Linux, it ignores dirfd for an absolute path); a
                    // negative one stays as it is (AT_FDCWD, or -1, which some calls take for "none")
                    int fd = (int) a[i] < 0 ? (int) a[i] : fds.host(a[i]);
                    h[i] = fd < 0 && (int) a[i] >= 0 ? NOT_OPEN : fd;
                    break;
                case PATH:
                case STRING:
                    if (i == pathOverrideArg) {
                        h[i] = mem.hostPath(pathOverride);
                    } else if (a[i] == 0) {
                        h[i] = 0;
                        break;
                    } else {
                        h[i] = mem.string(a[i], arg.kind() == SyscallArg.Kind.PATH);
                    }
                    if (h[i] < 0)
                        return h[i];
                    break;
                case IN:
                case OUT:
                case INOUT: {
                    long len = arg.length(a);
                    if (a[i] == 0 || len <= 0) {
                        // an unused host address for an empty buffer, in the kernel half if the guest's is
                        h[i] = a[i] == 0 ? 0 : X86.accessOk(a[i], 0) ? PAGE : GuestBuffers.NOT_USER;
                        break;
                    }
                    boolean write = arg.kind() != SyscallArg.Kind.IN;
                    long host = mem.contiguous(a[i], len, write);
                    if (host == -2) {
                        bounces[i] = mem.new Bounce(a[i], len, true, write); // copied in even for OUT: bytes the host leaves stay
                        host = bounces[i].host;
                    }
                    if (host < 0) { // the guest may not access all of it: the host faults where Linux would
                        bounces[i] = null;
                        mirrors[i] = mem.new Mirror(a[i], len, write);
                        host = mirrors[i].host;
                    }
                    h[i] = host;
                    break;
                }
                default: // a value
                    h[i] = a[i];
            }
        }
        boolean newFd = call.has(Syscall.Flag.NEW_FD);
        int cloexecArg = call.cloexecArg();
        long cloexecBit = cloexecArg >= 0 ? args.get(cloexecArg).cloexecBit() : 0;
        if (newFd && cloexecArg >= 0)
            h[cloexecArg] |= cloexecBit; // the proxy's own fds are close-on-exec; the guest's flag is kept in fds
        if (truncatesMemory(call, h))
            return -Errno.EACCES;
        long r = calls.umask >= 0 && call.has(Syscall.Flag.UMASKED) && mayCreate(call, h) ? withGuestUmask(call, h)
                : HostSyscall.call(call.nr, h[0], h[1], h[2], h[3], h[4], h[5]);
        for (GuestBuffers.Bounce b : bounces)
            if (b != null && b.write && !b.copyBack()) { // the guest unmapped it meanwhile
                if (newFd && r >= 0)
                    HostSyscall.call(3, r, 0, 0);
                return -Errno.EFAULT;
            }
        if (newFd && r >= 0 && MachineMemoryFiles.isMemory((int) r)) { // see MachineMemoryFiles
            HostSyscall.call(3, r, 0, 0);
            return -Errno.EACCES;
        }
        if (newFd && r >= 0)
            r = fds.install((int) r, cloexecArg >= 0 && (a[cloexecArg] & cloexecBit) != 0, 0);
        return r;
    }

    private static final int O_TRUNC = 01000, O_PATH = 010000000, SYS_OPENAT = 257;

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

    private static final int O_CREAT = 0100, O_EXCL = 0200, O_TMPFILE = 020200000;

    /**
     * Whether the call may create a file, so that the guest's umask must be in force for it: an open without
     * O_CREAT (or O_TMPFILE) creates nothing, nor does one with O_CREAT and no O_EXCL of a path that is there
     * already. Such an open may block (a FIFO's waits for the other end, as in `echo x > fifo`), and it must not
     * block holding the umask's lock, which every other creating call of the proxy waits for (the reader's open
     * among them: a shell writing into a FIFO that cat reads hung). A path that goes between the look and the
     * open is created with the proxy's umask.
     */
    private static boolean mayCreate(Syscall call, long[] h) {
        long dir, path;
        int flags;
        switch (call) {
            case OPEN: dir = AT_FDCWD; path = h[0]; flags = (int) h[1]; break;
            case OPENAT: dir = h[0]; path = h[1]; flags = (int) h[2]; break;
            case CREAT: dir = AT_FDCWD; path = h[0]; flags = O_CREAT; break;
            default: return true;
        }
        if ((flags & O_TMPFILE) == O_TMPFILE || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
            return true;
        if ((flags & O_CREAT) == 0)
            return false;
        long fd = HostSyscall.call(SYS_OPENAT, dir, path, O_PATH | O_CLOEXEC, 0, 0, 0);
        if (fd < 0)
            return true; // not there (or not reachable): the call decides, and may create it
        HostSyscall.call(3, fd, 0, 0);
        return false;
    }

    private static final int SYS_UMASK = 95;
    private static final Object UMASK_LOCK = new Object();

    /**
     * Runs a call that creates something with the guest process's umask in force on the host (which then
     * applies it, or a directory's default ACL instead, exactly as Linux would). The umask belongs to the
     * whole host process, so it is switched for the call only and the switch is serialized.
     */
    private long withGuestUmask(Syscall call, long[] h) {
        synchronized (UMASK_LOCK) {
            long hostUmask = HostSyscall.call(SYS_UMASK, calls.umask, 0, 0);
            try {
                return HostSyscall.call(call.nr, h[0], h[1], h[2], h[3], h[4], h[5]);
            } finally {
                HostSyscall.call(SYS_UMASK, hostUmask, 0, 0);
            }
        }
    }
}
