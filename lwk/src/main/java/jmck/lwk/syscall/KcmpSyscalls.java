package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/**
 * kcmp(pid1, pid2, type, idx1, idx2): whether two tasks share a kernel resource (Linux's kernel/kcmp.c).
 * The answer is 0 for the same, 1 or 2 ordering two different ones. The resources are jmck's: an address
 * space (KCMP_VM) may be shared between processes (CLONE_VM); the fd table, filesystem context, signal
 * handlers, I/O context and System V undo list are per process here (threads share them; processes never
 * do, whatever their clone flags said), so they compare by process. Open files (KCMP_FILE) are the
 * proxy's: it compares the host files behind the two fds.
 */
final class KcmpSyscalls implements SyscallDispatcher.Handler {
    private static final int KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5,
            KCMP_SYSVSEM = 6, KCMP_EPOLL_TFD = 7;
    private final SyscallContext kernel;

    KcmpSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.KCMP);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case KCMP -> kcmp(t, (int) a[0], (int) a[1], (int) a[2], a[3], a[4]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /** Linux's order: both tasks must exist (ESRCH), the caller may read them as a tracer (EPERM), then the type. */
    private long kcmp(Thread t, int pid1, int pid2, int type, long idx1, long idx2) {
        Thread t1 = kernel.processes().thread(pid1), t2 = kernel.processes().thread(pid2);
        if (t1 == null || t2 == null || !t1.alive() || !t2.alive())
            return -Errno.ESRCH;
        if (!PidfdSyscalls.mayPtrace(t.process(), t1.process()) || !PidfdSyscalls.mayPtrace(t.process(), t2.process()))
            return -Errno.EPERM;
        switch (type) {
            case KCMP_FILE:
                return kernel.syscalls().forwarder().compareFiles(t, t1.process().pid(), (int) idx1, t2.process().pid(),
                        (int) idx2, r -> r);
            case KCMP_VM:
                return order(t1.process().mm(), t2.process().mm());
            case KCMP_FILES:
            case KCMP_FS:
            case KCMP_SIGHAND:
            case KCMP_IO:
            case KCMP_SYSVSEM:
                return order(t1.process(), t2.process());
            case KCMP_EPOLL_TFD:
                return -Errno.EOPNOTSUPP; // the epoll sets are the host's, keyed by the proxy's fds
            default:
                return -Errno.EINVAL;
        }
    }

    /** kcmp_ptr's answer for two objects: 0 if they are one, else 1 or 2 by a stable order. */
    private static long order(Object a, Object b) {
        if (a == b)
            return 0;
        int ha = System.identityHashCode(a), hb = System.identityHashCode(b);
        return ha < hb ? 1 : ha > hb ? 2 : 1;
    }
}
