package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/** sched_yield, CPU affinity and scheduling parameters. McKernel's scheduler is round-robin only. */
final class SchedSyscalls {
    private static final int SCHED_OTHER = 0;
    private final SyscallContext kernel;

    SchedSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(Syscall.SCHED_YIELD, (t, a) -> {
            t.requestYield();
            return 0;
        });
        d.register(Syscall.SCHED_GETAFFINITY, (t, a) -> {
            int bytes = ((kernel.coreCount() + 63) / 64) * 8;
            if (a[1] < bytes || (a[1] & 7) != 0)
                return -Errno.EINVAL;
            if (target(t, a[0]) == null)
                return -Errno.ESRCH;
            long mask = kernel.coreCount() >= 64 ? -1L : (1L << kernel.coreCount()) - 1;
            byte[] b = new byte[bytes];
            for (int i = 0; i < 8; i++)
                b[i] = (byte) (mask >>> (8 * i));
            t.process().mm().copyOut(a[2], b);
            return bytes;
        });
        d.register(Syscall.SCHED_SETAFFINITY, (t, a) -> {
            Thread target = target(t, a[0]);
            if (target == null)
                return -Errno.ESRCH;
            byte[] b = t.process().mm().copyIn(a[2], (int) Math.min(a[1], 128));
            for (int core = 0; core < kernel.coreCount() && core / 8 < b.length; core++)
                if ((b[core / 8] & (1 << (core % 8))) != 0)
                    return 0; // threads stay on the core they were placed on; any allowed core is accepted
            return -Errno.EINVAL;
        });
        d.register(Syscall.GETCPU, (t, a) -> {
            if (a[0] != 0)
                t.process().mm().writeInt(a[0], t.core());
            if (a[1] != 0)
                t.process().mm().writeInt(a[1], 0);
            return 0;
        });
        d.register(Syscall.SCHED_GETSCHEDULER, (t, a) -> target(t, a[0]) == null ? -Errno.ESRCH : SCHED_OTHER);
        // the sched_param calls refuse a NULL param with EINVAL and read it before they look for the thread
        d.register(Syscall.SCHED_SETSCHEDULER, (t, a) -> {
            if ((int) a[1] < 0 || a[2] == 0 || (int) a[0] < 0)
                return -Errno.EINVAL;
            int priority = t.process().mm().readInt(a[2]);
            if (target(t, a[0]) == null)
                return -Errno.ESRCH;
            if (a[1] != SCHED_OTHER)
                return -Errno.EPERM;
            return priority == 0 ? 0 : -Errno.EINVAL;
        });
        d.register(Syscall.SCHED_GETPARAM, (t, a) -> {
            if (a[1] == 0 || (int) a[0] < 0)
                return -Errno.EINVAL;
            if (target(t, a[0]) == null)
                return -Errno.ESRCH;
            t.process().mm().writeInt(a[1], 0);
            return 0;
        });
        d.register(Syscall.SCHED_SETPARAM, (t, a) -> {
            if (a[1] == 0 || (int) a[0] < 0)
                return -Errno.EINVAL;
            int priority = t.process().mm().readInt(a[1]);
            if (target(t, a[0]) == null)
                return -Errno.ESRCH;
            return priority == 0 ? 0 : -Errno.EINVAL; // SCHED_OTHER has priority 0 only
        });
        d.register(Syscall.SCHED_GET_PRIORITY_MAX, (t, a) -> a[0] == SCHED_OTHER ? 0 : a[0] == 1 || a[0] == 2 ? 99 : -Errno.EINVAL);
        d.register(Syscall.SCHED_GET_PRIORITY_MIN, (t, a) -> a[0] == SCHED_OTHER ? 0 : a[0] == 1 || a[0] == 2 ? 1 : -Errno.EINVAL);
        d.register(Syscall.SCHED_RR_GET_INTERVAL, (t, a) -> {
            if (target(t, a[0]) == null)
                return -Errno.ESRCH;
            t.process().mm().copyOut(a[1], new byte[16]);
            return 0;
        });
    }

    private Thread target(Thread t, long pid) {
        return pid == 0 ? t : kernel.processes().thread((int) pid);
    }
}
