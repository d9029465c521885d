package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Predicate;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.ProcessUsage;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.Ptrace;
import jmck.lwk.signal.Tracee;

/**
 * Waiting for children (wait4, waitid): their exits, job-control stops and continues, and the stops of the
 * threads the caller traces with ptrace (reported whatever the options ask, as Linux's wait_task_stopped
 * does for a tracer). A wait looks and sleeps in one step under the task lock, which a child's exit and a
 * tracee's stop take to wake the waiters.
 */
final class ChildWaits implements SyscallDispatcher.Handler {
    private static final int WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000,
            WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000;
    private static final int P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
    private final SyscallContext kernel;

    ChildWaits(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.WAIT4, Syscall.WAITID);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case WAIT4 -> wait4(t, a);
            case WAITID -> waitid(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long wait4(Thread t, long[] a) {
        synchronized (kernel.processes().taskLock()) {
            return wait4(t, (int) a[0], a[1], (int) a[2], a[3]);
        }
    }

    private long waitid(Thread t, long[] a) {
        synchronized (kernel.processes().taskLock()) {
            return waitid(t, (int) a[0], (int) a[1], a[2], (int) a[3], a[4]);
        }
    }

    /** Whether child is one that a wait for pid (wait4's encoding) and options covers. */
    private static boolean covers(Process self, Process child, int pid, int options) {
        boolean byPid = pid > 0 ? child.pid() == pid : pid == 0 ? child.pgid() == self.pgid()
                : pid == -1 || child.pgid() == -pid;
        if (!byPid)
            return false;
        if ((options & WALL) != 0)
            return true;
        boolean cloneChild = child.exitSignal() != Signals.SIGCHLD;
        return ((options & WCLONE) != 0) == cloneChild;
    }

    /** What a wait reports of a child: it ended, stopped or continued (Linux's wait status and CLD_ code). */
    private record Report(Process child, int pid, int waitStatus, int code, int status, boolean ended) {}

    /**
     * The first child that a wait covers and has something to report, or null; any[0] tells whether the
     * wait covers any child at all. keep leaves a stop or continue to be reported again (WNOWAIT).
     */
    private Report findReport(Process self, int pid, int options, boolean[] any, boolean keep) {
        Ptrace ptrace = kernel.signals().ptrace();
        Predicate<Thread> traced = th -> pid > 0 ? th.tid() == pid : pid == 0 ? th.process().pgid() == self.pgid()
                : pid == -1 || th.process().pgid() == -pid;
        Tracee tr = ptrace.unreportedStop(self, traced, keep);
        if (tr != null) {
            any[0] = true;
            return new Report(tr.thread().process(), tr.thread().tid(), tr.waitStatus(), Signals.CLD_TRAPPED,
                    tr.stopSignal(), false);
        }
        any[0] = ptrace.tracesAny(self, traced);
        for (Process c : self.children()) {
            if (!covers(self, c, pid, options))
                continue;
            any[0] = true;
            if (c.ended() && (options & WEXITED) != 0) {
                int ws = c.waitStatus();
                int code = (ws & 0x7f) == 0 ? Signals.CLD_EXITED : (ws & 0x80) != 0 ? Signals.CLD_DUMPED : Signals.CLD_KILLED;
                return new Report(c, c.pid(), ws, code, (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : ws & 0x7f, true);
            }
            if ((options & WUNTRACED) != 0 && c.hasStopReport()) {
                c.takeStopReport(keep);
                return new Report(c, c.pid(), c.stopSignal() << 8 | 0x7f, Signals.CLD_STOPPED, c.stopSignal(), false);
            }
            if ((options & WCONTINUED) != 0 && c.hasContinueReport()) {
                c.takeContinueReport(keep);
                return new Report(c, c.pid(), 0xffff, Signals.CLD_CONTINUED, Signals.SIGCONT, false);
            }
        }
        return null;
    }

    private long wait4(Thread t, int pid, long statusVa, int options, long rusageVa) {
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)) != 0)
            return -Errno.EINVAL;
        if (pid == Integer.MIN_VALUE)
            return -Errno.ESRCH;
        Process self = t.process();
        boolean[] any = {false};
        Report r = findReport(self, pid, options | WEXITED, any, false);
        if (!any[0])
            return -Errno.ECHILD;
        if (r == null)
            return (options & WNOHANG) != 0 ? 0 : sleepForChild(t, "wait4");
        // the child is reaped before its status is stored: a bad address loses the status, not the zombie
        if (r.ended())
            reap(self, r.child());
        AddressSpace mm = self.mm();
        if (statusVa != 0)
            mm.writeInt(statusVa, r.waitStatus());
        if (rusageVa != 0)
            mm.copyOut(rusageVa, rusage(r.child()));
        return r.pid();
    }

    private long waitid(Thread t, int idtype, int id, long infoVa, int options, long rusageVa) {
        if ((options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)) != 0
                || (options & (WEXITED | WUNTRACED | WCONTINUED)) == 0)
            return -Errno.EINVAL;
        int pid;
        switch (idtype) {
            case P_ALL: pid = -1; break;
            case P_PID: if (id <= 0) return -Errno.EINVAL; pid = id; break;
            case P_PGID: if (id < 0) return -Errno.EINVAL; pid = id == 0 ? 0 : -id; break;
            case P_PIDFD: // the pidfd's process, if it is a child; its fd's O_NONBLOCK makes a wait EAGAIN
                return PidfdSyscalls.withPidFile(kernel, t, id, (f, nonblock) -> {
                    Process p = f.process();
                    return p == null || p.parent() != t.process() ? -Errno.ECHILD
                            : waitid(t, p.pid(), infoVa, options, rusageVa, nonblock);
                });
            default: return -Errno.EINVAL;
        }
        return waitid(t, pid, infoVa, options, rusageVa, false);
    }

    /** waitid for the children that pid selects (as wait4's); eagain: fail where it would wait. */
    private long waitid(Thread t, int pid, long infoVa, int options, long rusageVa, boolean eagain) {
        Process self = t.process();
        boolean[] any = {false};
        boolean keep = (options & WNOWAIT) != 0;
        Report r = findReport(self, pid, options, any, keep);
        if (!any[0])
            return -Errno.ECHILD;
        AddressSpace mm = self.mm();
        if (r == null) {
            if ((options & WNOHANG) == 0)
                return eagain ? -Errno.EAGAIN : sleepForChild(t, "waitid");
            if (infoVa != 0)
                putWaitidInfo(mm, infoVa, 0, 0, 0, 0, 0); // nothing to report: si_pid 0, as Linux
            return 0;
        }
        Process child = r.child();
        if (r.ended() && !keep) // reaped first, then told, as Linux does
            reap(self, child);
        if (rusageVa != 0)
            mm.copyOut(rusageVa, rusage(child));
        if (infoVa != 0)
            putWaitidInfo(mm, infoVa, Signals.SIGCHLD, r.code(), r.pid(), (int) child.credentials().uid(), r.status());
        return 0;
    }

    /**
     * waitid's siginfo: Linux stores si_signo, si_errno, si_code, si_pid, si_uid and si_status one by one,
     * so only those bytes (the first 28) need to be writable.
     */
    private static void putWaitidInfo(AddressSpace mm, long va, int signo, int code, int pid, int uid, int status) {
        mm.writeInt(va, signo);
        mm.writeInt(va + 4, 0);
        mm.writeInt(va + 8, code);
        mm.writeInt(va + 16, pid);
        mm.writeInt(va + 20, uid);
        mm.writeInt(va + 24, status);
    }

    /**
     * Sleeps until a child changes state; the wait runs again then (a handler with SA_RESTART restarts it
     * too). Under the task lock, which a child's exit takes to wake the waiters.
     */
    private long sleepForChild(Thread t, String why) {
        Process self = t.process();
        Object taskLock = kernel.processes().taskLock();
        long seq = kernel.scheduler().block(t, why, Thread.Interrupt.RESTART, () -> {
            synchronized (taskLock) {
                self.childWaiters().removeIf(w -> w.thread() == t);
            }
        });
        self.childWaiters().add(new Process.Waiter(t, seq));
        return SyscallDispatcher.NO_RETURN;
    }

    /** The zombie child is waited for: its CPU time joins the parent's children's time; it is forgotten. */
    private void reap(Process self, Process child) {
        self.usage().childReaped(child.usage());
        kernel.processes().remove(child);
    }

    /** struct rusage of an ended child (wait4): its user and system time and peak memory with its children's. */
    private static byte[] rusage(Process child) {
        ProcessUsage u = child.usage();
        long system = u.system() + u.childrenSystem();
        byte[] usage = TimeSyscalls.rusage(Math.max(0, u.total() + u.childrenTotal() - system), system);
        ByteBuffer.wrap(usage).order(ByteOrder.LITTLE_ENDIAN).putLong(32,
                Math.max(u.maxRssBytes(), u.childrenMaxRssBytes()) / 1024); // ru_maxrss, KiB
        return usage;
    }
}
