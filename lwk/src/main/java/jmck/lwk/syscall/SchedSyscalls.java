package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Capabilities;
import jmck.lwk.proc.OutsideInit;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.SchedParams;
import jmck.lwk.proc.Thread;

/**
 * sched_yield, CPU affinity, and the scheduling settings: policy and priority (sched_setscheduler,
 * sched_setparam, sched_setattr), nice (setpriority) and I/O priority (ioprio_set), with Linux's checks
 * and permission rules (kernel/sched/syscalls.c, kernel/sys.c, block/ioprio.c). McKernel's scheduler is
 * round-robin, and so is jmck's: the settings are kept per process and reported ({@link SchedParams}).
 */
final class SchedSyscalls implements SyscallDispatcher.Handler {
    private static final int SCHED_OTHER = SchedParams.SCHED_OTHER, SCHED_FIFO = SchedParams.SCHED_FIFO,
            SCHED_RR = SchedParams.SCHED_RR, SCHED_BATCH = SchedParams.SCHED_BATCH, SCHED_IDLE = SchedParams.SCHED_IDLE,
            SCHED_DEADLINE = SchedParams.SCHED_DEADLINE, SCHED_RESET_ON_FORK = 0x40000000;
    private static final int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
    private static final int IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3,
            IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
    private static final int RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14, CAP_SYS_ADMIN = 21;
    private static final int SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56;
    private static final long SCHED_FLAG_RESET_ON_FORK = 1, SCHED_FLAG_ALL = 0x7f;
    private final SyscallContext kernel;

    SchedSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.SCHED_YIELD, Syscall.SCHED_GETAFFINITY, Syscall.SCHED_SETAFFINITY, Syscall.GETCPU,
                Syscall.SCHED_GETSCHEDULER, Syscall.SCHED_SETSCHEDULER, Syscall.SCHED_SETPARAM,
                Syscall.SCHED_GETPARAM, Syscall.SCHED_SETATTR, Syscall.SCHED_GETATTR, Syscall.SCHED_GET_PRIORITY_MAX,
                Syscall.SCHED_GET_PRIORITY_MIN, Syscall.SCHED_RR_GET_INTERVAL, Syscall.GETPRIORITY,
                Syscall.SETPRIORITY, Syscall.IOPRIO_GET, Syscall.IOPRIO_SET);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case SCHED_YIELD -> schedYield(t, a);
            case SCHED_GETAFFINITY -> schedGetaffinity(t, a);
            case SCHED_SETAFFINITY -> schedSetaffinity(t, a);
            case GETCPU -> getcpu(t, a);
            case SCHED_GETSCHEDULER -> schedGetscheduler(t, a);
            // the sched_param calls refuse a NULL param with EINVAL and read it before they look for the thread
            case SCHED_SETSCHEDULER -> schedSetscheduler(t, a);
            case SCHED_SETPARAM -> schedSetparam(t, a);
            case SCHED_GETPARAM -> schedGetparam(t, a);
            case SCHED_SETATTR -> setattr(t, a);
            case SCHED_GETATTR -> getattr(t, a);
            case SCHED_GET_PRIORITY_MAX -> realtime((int) a[0]) ? 99 : known((int) a[0]) ? 0 : -Errno.EINVAL;
            case SCHED_GET_PRIORITY_MIN -> realtime((int) a[0]) ? 1 : known((int) a[0]) ? 0 : -Errno.EINVAL;
            case SCHED_RR_GET_INTERVAL -> schedRrGetInterval(t, a);
            case GETPRIORITY -> getpriority(t, (int) a[0], (int) a[1]);
            case SETPRIORITY -> setpriority(t, (int) a[0], (int) a[1], (int) a[2]);
            case IOPRIO_GET -> ioprioGet(t, (int) a[0], (int) a[1]);
            case IOPRIO_SET -> ioprioSet(t, (int) a[0], (int) a[1], (int) a[2]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long schedYield(Thread t, long[] a) {
        t.requestYield();
        return 0;
    }

    private long schedGetaffinity(Thread t, long[] a) {
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
    }

    private long schedSetaffinity(Thread t, long[] a) {
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        // another owner's thread needs CAP_SYS_NICE (Linux's check_same_owner)
        if (!t.process().capabilities().has(Capabilities.CAP_SYS_NICE) && !mayChange(t, target.process()))
            return -Errno.EPERM;
        byte[] b = t.process().mm().copyIn(a[2], (int) Math.min(a[1], 128));
        for (int core = 0; core < kernel.coreCount() && core / 8 < b.length; core++)
            if ((b[core / 8] & (1 << (core % 8))) != 0)
                return 0; // threads stay on the core they were placed on; any allowed core is accepted
        return -Errno.EINVAL;
    }

    private long getcpu(Thread t, long[] a) {
        if (a[0] != 0)
            t.process().mm().writeInt(a[0], t.core());
        if (a[1] != 0)
            t.process().mm().writeInt(a[1], 0);
        return 0;
    }

    private long schedGetscheduler(Thread t, long[] a) {
        if ((int) a[0] < 0)
            return -Errno.EINVAL;
        if (OutsideInit.is(a[0]))
            return kernel.syscalls().forward(t, Syscall.SCHED_GETSCHEDULER, a);
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        SchedParams s = target.process().sched();
        return s.policy | (s.resetOnFork ? SCHED_RESET_ON_FORK : 0);
    }

    private long schedSetscheduler(Thread t, long[] a) {
        if (a[2] == 0 || (int) a[0] < 0)
            return -Errno.EINVAL;
        int priority = t.process().mm().readInt(a[2]);
        int policy = (int) a[1];
        if (OutsideInit.is(a[0]))
            return outsideInit(policy & ~SCHED_RESET_ON_FORK, priority);
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        return set(t, target.process(), policy & ~SCHED_RESET_ON_FORK, priority, (policy & SCHED_RESET_ON_FORK) != 0,
                target.process().sched().nice, false);
    }

    private long schedSetparam(Thread t, long[] a) {
        if (a[1] == 0 || (int) a[0] < 0)
            return -Errno.EINVAL;
        int priority = t.process().mm().readInt(a[1]);
        if (OutsideInit.is(a[0]))
            return outsideInit(SCHED_OTHER, priority);
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        SchedParams s = target.process().sched();
        return set(t, target.process(), s.policy, priority, s.resetOnFork, s.nice, false);
    }

    private long schedGetparam(Thread t, long[] a) {
        if (a[1] == 0 || (int) a[0] < 0)
            return -Errno.EINVAL;
        if (OutsideInit.is(a[0]))
            return kernel.syscalls().forward(t, Syscall.SCHED_GETPARAM, a);
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        t.process().mm().writeInt(a[1], target.process().sched().priority);
        return 0;
    }

    private long schedRrGetInterval(Thread t, long[] a) {
        if ((int) a[0] < 0)
            return -Errno.EINVAL;
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        // Linux: a round-robin time slice for SCHED_RR (100 ms), 0 for FIFO; CFS's slice for the others
        int policy = target.process().sched().policy;
        long nanos = policy == SCHED_FIFO ? 0 : policy == SCHED_RR ? 100_000_000L : 4_000_000L;
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(nanos / 1_000_000_000L).putLong(nanos % 1_000_000_000L);
        t.process().mm().copyOut(a[1], b.array());
        return 0;
    }

    /** The thread pid names (0: t): a live one, or the main thread of a zombie, which Linux still finds. */
    private Thread target(Thread t, long pid) {
        Thread th = pid == 0 ? t : kernel.processes().thread((int) pid);
        return th == null || !th.alive() && !(th.process().ended() && th.tid() == th.process().pid()) ? null : th;
    }

    /** sched_setscheduler or sched_setparam of init (OutsideInit): the arguments' EINVAL, else EPERM. */
    private static long outsideInit(int policy, int priority) {
        if (!known(policy) || policy == SCHED_DEADLINE || priority < 0 || priority > 99 || realtime(policy) != (priority != 0))
            return -Errno.EINVAL;
        return -Errno.EPERM;
    }

    private static boolean realtime(int policy) {
        return policy == SCHED_FIFO || policy == SCHED_RR;
    }

    private static boolean known(int policy) {
        return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE || realtime(policy)
                || policy == SCHED_DEADLINE;
    }

    /** Whether t may change p's settings at all: its own, or the same user, or CAP_SYS_NICE. */
    private static boolean mayChange(Thread t, Process p) {
        var me = t.process().credentials();
        var them = p.credentials();
        return t.process() == p || me.euid() == them.uid() || me.euid() == them.euid()
                || t.process().capabilities().has(Capabilities.CAP_SYS_NICE);
    }

    /** Linux's __sched_setscheduler checks, then the new settings. */
    private long set(Thread t, Process p, int policy, int priority, boolean resetOnFork, int nice, boolean attr) {
        if (!known(policy) || policy == SCHED_DEADLINE && !attr)
            return -Errno.EINVAL;
        if (priority < 0 || priority > 99 || realtime(policy) != (priority != 0))
            return -Errno.EINVAL;
        boolean privileged = t.process().capabilities().has(Capabilities.CAP_SYS_NICE);
        SchedParams s = p.sched();
        if (!privileged) {
            if (realtime(policy)) {
                long rtprio = t.process().rlimits().soft(RLIMIT_RTPRIO);
                if (!realtime(s.policy) && rtprio == 0 || priority > Math.max(s.priority, rtprio))
                    return -Errno.EPERM;
            }
            if (policy == SCHED_DEADLINE || s.policy == SCHED_IDLE && policy != SCHED_IDLE && !realtime(policy)
                    && 20 - nice > t.process().rlimits().soft(RLIMIT_NICE) && nice < s.nice)
                return -Errno.EPERM;
            if (!mayChange(t, p))
                return -Errno.EPERM;
            if (s.resetOnFork && !resetOnFork)
                return -Errno.EPERM;
        }
        s.policy = policy;
        s.priority = priority;
        s.resetOnFork = resetOnFork;
        s.nice = nice;
        return 0;
    }

    /** sched_setattr(pid, attr, flags): struct sched_attr, size first. */
    private long setattr(Thread t, long[] a) {
        if (a[1] == 0 || (int) a[0] < 0 || a[2] != 0)
            return -Errno.EINVAL;
        int size = t.process().mm().readInt(a[1]);
        if (size == 0)
            size = SCHED_ATTR_SIZE_VER0;
        if (size < SCHED_ATTR_SIZE_VER0 || size > 4096) {
            t.process().mm().writeInt(a[1], SCHED_ATTR_SIZE_VER1); // the size the kernel knows
            return -Errno.E2BIG;
        }
        ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[1], Math.min(size, SCHED_ATTR_SIZE_VER1)))
                .order(ByteOrder.LITTLE_ENDIAN);
        int policy = b.getInt(4), nice = b.getInt(16), priority = b.getInt(20);
        long flags = b.getLong(8);
        if ((flags & ~SCHED_FLAG_ALL) != 0)
            return -Errno.EINVAL;
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        nice = Math.max(-20, Math.min(19, nice));
        if (policy == SCHED_DEADLINE) {
            long runtime = b.getLong(24), deadline = b.getLong(32), period = b.getLong(40);
            if (runtime < 1024 || deadline < runtime || period != 0 && period < deadline)
                return -Errno.EINVAL;
        }
        SchedParams before = target.process().sched();
        if (nice < before.nice && !t.process().capabilities().has(Capabilities.CAP_SYS_NICE))
            return -Errno.EPERM;
        long r = set(t, target.process(), policy, priority, (flags & SCHED_FLAG_RESET_ON_FORK) != 0, nice, true);
        if (r == 0 && policy == SCHED_DEADLINE) {
            before.runtime = b.getLong(24);
            before.deadline = b.getLong(32);
            before.period = b.getLong(40);
        }
        return r;
    }

    /** sched_getattr(pid, attr, size, flags). */
    private long getattr(Thread t, long[] a) {
        int size = (int) a[2];
        if (a[1] == 0 || (int) a[0] < 0 || a[3] != 0 || size < SCHED_ATTR_SIZE_VER0 || size > 4096)
            return -Errno.EINVAL;
        Thread target = target(t, a[0]);
        if (target == null)
            return -Errno.ESRCH;
        SchedParams s = target.process().sched();
        ByteBuffer b = ByteBuffer.allocate(SCHED_ATTR_SIZE_VER1).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, Math.min(size, SCHED_ATTR_SIZE_VER1)).putInt(4, s.policy)
                .putLong(8, s.resetOnFork ? SCHED_FLAG_RESET_ON_FORK : 0).putInt(16, s.nice).putInt(20, s.priority);
        if (s.policy == SCHED_DEADLINE)
            b.putLong(24, s.runtime).putLong(32, s.deadline).putLong(40, s.period);
        b.putInt(52, 1024); // util_max
        t.process().mm().copyOut(a[1], java.util.Arrays.copyOf(b.array(), Math.min(size, SCHED_ATTR_SIZE_VER1)));
        return 0;
    }

    /** The processes which/who name (PRIO_PROCESS, PRIO_PGRP, PRIO_USER; who 0: the caller's). */
    private List<Process> whom(Thread t, int which, int who, boolean io) {
        List<Process> l = new ArrayList<>();
        Process me = t.process();
        int process = io ? IOPRIO_WHO_PROCESS : PRIO_PROCESS, group = io ? IOPRIO_WHO_PGRP : PRIO_PGRP;
        for (Process p : kernel.processes().processes()) {
            if (p.ended() || p.exiting())
                continue;
            if (which == process && (who == 0 ? p == me : p.pid() == who || threadOf(p, who))
                    || which == group && p.pgid() == (who == 0 ? me.pgid() : who)
                    || which == (io ? IOPRIO_WHO_USER : PRIO_USER)
                    && p.credentials().uid() == (who == 0 ? me.credentials().uid() : who))
                l.add(p);
        }
        return l;
    }

    private static boolean threadOf(Process p, int tid) {
        for (Thread th : p.threads())
            if (th.tid() == tid && th.alive())
                return true;
        return false;
    }

    /** getpriority: the highest priority (lowest nice) of the processes named, as 20 - nice. */
    private long getpriority(Thread t, int which, int who) {
        if (which < PRIO_PROCESS || which > PRIO_USER)
            return -Errno.EINVAL;
        if (which == PRIO_PROCESS && OutsideInit.is(who))
            return kernel.syscalls().forward(t, Syscall.GETPRIORITY, new long[] {which, who, 0, 0, 0, 0});
        int best = Integer.MAX_VALUE;
        for (Process p : whom(t, which, who, false))
            best = Math.min(best, p.sched().nice);
        return best == Integer.MAX_VALUE ? -Errno.ESRCH : 20 - best;
    }

    private long setpriority(Thread t, int which, int who, int nice) {
        if (which < PRIO_PROCESS || which > PRIO_USER)
            return -Errno.EINVAL;
        if (which == PRIO_PROCESS && OutsideInit.is(who))
            return -Errno.EPERM;
        nice = Math.max(-20, Math.min(19, nice));
        List<Process> l = whom(t, which, who, false);
        if (l.isEmpty())
            return -Errno.ESRCH;
        long r = 0;
        for (Process p : l) {
            if (!mayChange(t, p)) {
                r = -Errno.EPERM;
                continue;
            }
            long limit = 20 - t.process().rlimits().soft(RLIMIT_NICE);
            if (nice < p.sched().nice && nice < limit && !t.process().capabilities().has(Capabilities.CAP_SYS_NICE)) {
                r = -Errno.EACCES;
                continue;
            }
            p.sched().nice = nice;
        }
        return r;
    }

    private long ioprioGet(Thread t, int which, int who) {
        if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER)
            return -Errno.EINVAL;
        List<Process> l = whom(t, which, who, true);
        if (l.isEmpty())
            return -Errno.ESRCH;
        // Linux's block/ioprio.c: a process's own value as set (0, class NONE, until one is); of several, the
        // best, with NONE counting as best-effort level 4 (ioprio_best)
        int best = -1;
        for (Process p : l)
            best = best < 0 ? p.sched().ioprio : Math.min(bestEffortIfNone(best), bestEffortIfNone(p.sched().ioprio));
        return best;
    }

    private static int bestEffortIfNone(int ioprio) {
        return ioprio >> 13 == IOPRIO_CLASS_NONE ? IOPRIO_CLASS_BE << 13 | 4 : ioprio;
    }

    private long ioprioSet(Thread t, int which, int who, int ioprio) {
        int cls = ioprio >> 13, data = ioprio & 0x1fff;
        switch (cls) {
            case IOPRIO_CLASS_RT:
                if (!t.process().capabilities().has(CAP_SYS_ADMIN) && !t.process().capabilities().has(Capabilities.CAP_SYS_NICE))
                    return -Errno.EPERM;
                if (data > 7)
                    return -Errno.EINVAL;
                break;
            case IOPRIO_CLASS_BE:
                if (data > 7)
                    return -Errno.EINVAL;
                break;
            case IOPRIO_CLASS_IDLE:
                break;
            case IOPRIO_CLASS_NONE:
                if (data != 0)
                    return -Errno.EINVAL;
                break;
            default:
                return -Errno.EINVAL;
        }
        if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER)
            return -Errno.EINVAL;
        List<Process> l = whom(t, which, who, true);
        if (l.isEmpty())
            return -Errno.ESRCH;
        for (Process p : l) {
            if (!mayChange(t, p))
                return -Errno.EPERM;
            p.sched().ioprio = ioprio;
        }
        return 0;
    }
}
