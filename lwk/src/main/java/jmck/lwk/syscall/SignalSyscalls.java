package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigAction;
import jmck.lwk.signal.SigInfo;

/** rt_sigaction, rt_sigprocmask, rt_sigreturn, sigaltstack and sending signals. */
final class SignalSyscalls implements SyscallDispatcher.Handler {
    private static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    private static final int SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
    private final SyscallContext kernel;

    SignalSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.RT_SIGACTION, Syscall.RT_SIGPROCMASK, Syscall.RT_SIGRETURN, Syscall.SIGALTSTACK,
                Syscall.RT_SIGPENDING, Syscall.PAUSE, Syscall.RT_SIGSUSPEND, Syscall.RT_SIGTIMEDWAIT, Syscall.KILL,
                Syscall.TGKILL, Syscall.TKILL, Syscall.RT_SIGQUEUEINFO, Syscall.RT_TGSIGQUEUEINFO);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case RT_SIGACTION -> sigaction(t, a);
            case RT_SIGPROCMASK -> sigprocmask(t, a);
            case RT_SIGRETURN -> sigreturn(t, a);
            case SIGALTSTACK -> sigaltstack(t, a);
            case RT_SIGPENDING -> sigpending(t, a);
            case PAUSE -> pause(t, a);
            case RT_SIGSUSPEND -> sigsuspend(t, a);
            case RT_SIGTIMEDWAIT -> sigtimedwait(t, a);
            case KILL -> kill(t, (int) a[0], (int) a[1]);
            case TGKILL -> (int) a[0] <= 0 ? -Errno.EINVAL // (tkill has no tgid)
                    : tgkill(t, (int) a[0], (int) a[1], (int) a[2]);
            case TKILL -> tgkill(t, -1, (int) a[0], (int) a[1]);
            case RT_SIGQUEUEINFO -> sigqueueinfo(t, (int) a[0], -1, (int) a[1], a[2]);
            case RT_TGSIGQUEUEINFO -> sigqueueinfo(t, (int) a[0], (int) a[1], (int) a[2], a[3]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long sigreturn(Thread t, long[] a) {
        t.afterStop(cpu -> {
            if (!kernel.signals().sigreturn(cpu, t))
                kernel.exits().killProcess(t.process(), SigInfo.sent(Signals.SIGSEGV, Signals.SI_KERNEL, 0, 0), true);
        });
        return SyscallDispatcher.NO_RETURN;
    }

    private long sigpending(Thread t, long[] a) {
        if (Long.compareUnsigned(a[1], 8) > 0)
            return -Errno.EINVAL;
        long pending = t.pendingMask() & t.blockedMask();
        byte[] b = new byte[(int) a[1]]; // the first sigsetsize bytes of the set, as Linux copies them
        for (int i = 0; i < b.length; i++)
            b[i] = (byte) (pending >>> (8 * i));
        t.process().mm().copyOut(a[0], b);
        return 0;
    }

    private long pause(Thread t, long[] a) {
        kernel.scheduler().block(t, "pause", Thread.Interrupt.EINTR, null);
        return SyscallDispatcher.NO_RETURN;
    }

    private static boolean validSignal(int sig) {
        return sig >= 1 && sig <= Signals.NSIG;
    }

    /**
     * rt_sigaction in Linux's order: the new action is read before the signal is checked, and is in force
     * before the old one is written back (a bad oldact fails with EFAULT, the action set all the same).
     */
    private long sigaction(Thread t, long[] a) {
        int sig = (int) a[0];
        long act = a[1], oldact = a[2];
        if (a[3] != 8)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        SigAction newAction = null;
        if (act != 0) {
            ByteBuffer b = ByteBuffer.wrap(mm.copyIn(act, 32)).order(ByteOrder.LITTLE_ENDIAN);
            newAction = new SigAction(b.getLong(0), b.getLong(8), b.getLong(16),
                    jmck.lwk.signal.Signals.sanitizeMask(b.getLong(24)));
        }
        if (!validSignal(sig) || newAction != null && (sig == Signals.SIGKILL || sig == Signals.SIGSTOP))
            return -Errno.EINVAL;
        SigAction old;
        synchronized (kernel.processes().taskLock()) { // senders on other cores see the old action or the new
            old = t.process().action(sig);
            if (newAction != null)
                t.process().setAction(sig, newAction);
        }
        if (newAction != null && !newAction.isDefault()
                && (sig == Signals.SIGINT || sig == Signals.SIGTERM || sig == Signals.SIGHUP)
                && kernel.scheduler().setPreemptible(true)) // exact mode: the host may forward it at any time (LocalRun)
            t.requestYield(); // this slice has no budget yet: end it, the next one has
        if (oldact != 0) {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(old.handler()).putLong(old.flags()).putLong(old.restorer()).putLong(old.mask());
            mm.copyOut(oldact, b.array());
        }
        return 0;
    }

    private long sigprocmask(Thread t, long[] a) {
        int how = (int) a[0];
        if (a[3] != 8)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        long old = t.blockedMask();
        if (a[1] != 0) {
            long set = mm.readLong(a[1]);
            long mask;
            switch (how) {
                case SIG_BLOCK: mask = old | set; break;
                case SIG_UNBLOCK: mask = old & ~set; break;
                case SIG_SETMASK: mask = set; break;
                default: return -Errno.EINVAL;
            }
            t.setBlockedMask(jmck.lwk.signal.Signals.sanitizeMask(mask));
        }
        if (a[2] != 0)
            mm.writeLong(a[2], old);
        return 0;
    }

    /** sigaltstack as Linux's: the new stack is set before the old one is written back. */
    private long sigaltstack(Thread t, long[] a) {
        AddressSpace mm = t.process().mm();
        long rsp = kernel.cpuOf(t).reg(jmck.emulator.X86Reg.RSP);
        boolean onStack = t.altStackSize() > 0 && rsp > t.altStackSp() && rsp <= t.altStackSp() + t.altStackSize();
        ByteBuffer in = null;
        if (a[0] != 0)
            in = ByteBuffer.wrap(mm.copyIn(a[0], 24)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(0, t.altStackSp());
        out.putInt(8, onStack ? SS_ONSTACK : t.altStackSize() == 0 ? SS_DISABLE : t.altStackFlags());
        out.putLong(16, t.altStackSize());
        if (in != null) {
            if (onStack)
                return -Errno.EPERM;
            long sp = in.getLong(0), size = in.getLong(16);
            int flags = in.getInt(8);
            int mode = flags & ~SS_AUTODISARM;
            if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
                return -Errno.EINVAL;
            if (mode == SS_DISABLE) {
                t.setAltStack(0, 0, SS_DISABLE);
            } else {
                if (size < jmck.lwk.signal.SignalFrame.MIN_SIGSTACK)
                    return -Errno.ENOMEM;
                t.setAltStack(sp, size, 0);
            }
        }
        if (a[1] != 0)
            mm.copyOut(a[1], out.array());
        return 0;
    }

    /**
     * kill(pid, sig): pid > 0 one process; 0 the caller's process group; -1 every process but the caller
     * (this instance's processes: its init is outside); < -1 the process group -pid.
     */
    private long kill(Thread t, int pid, int sig) {
        if (sig < 0 || sig > Signals.NSIG)
            return -Errno.EINVAL;
        Process self = t.process();
        java.util.List<Process> targets = new java.util.ArrayList<>();
        if (pid > 0) {
            Process p = processOf(pid);
            if (p != null)
                targets.add(p);
        } else {
            int group = pid == 0 ? self.pgid() : -pid;
            for (Process p : kernel.processes().processes())
                if (pid == -1 ? p != self : p.pgid() == group)
                    targets.add(p);
        }
        targets.removeIf(Process::reaped); // a zombie can still be signalled (to no effect), as on Linux
        if (targets.isEmpty())
            return -Errno.ESRCH;
        int before = targets.size();
        targets.removeIf(p -> !mayKill(self, p, sig));
        if (targets.isEmpty())
            return -Errno.EPERM;
        if (sig != 0) {
            SigInfo info = SigInfo.sent(sig, Signals.SI_USER, self.pid(), (int) self.credentials().uid());
            for (Process p : targets)
                if (!p.exiting() && !p.ended())
                    kernel.signals().send(p, info);
        }
        return 0;
    }

    /**
     * Whether sender may signal target (Linux's kill_ok_by_cred): its real or effective uid is the target's
     * real or saved uid, or it has CAP_KILL; SIGCONT within a session is always allowed.
     */
    static boolean mayKill(Process sender, Process target, int sig) {
        jmck.lwk.proc.Credentials s = sender.credentials(), t = target.credentials();
        return sender == target || s.euid() == t.suid() || s.euid() == t.uid() || s.uid() == t.suid()
                || s.uid() == t.uid() || sender.capabilities().has(jmck.lwk.proc.Capabilities.CAP_KILL)
                || sig == Signals.SIGCONT && sender.sid() == target.sid();
    }

    /**
     * rt_sigqueueinfo and rt_tgsigqueueinfo: a signal with a siginfo the sender made. Only the kernel's
     * codes are refused (si_code >= 0, or SI_TKILL), unless the sender signals itself, as on Linux.
     */
    private long sigqueueinfo(Thread t, int tgid, int tid, int sig, long infoVa) {
        if (sig < 0 || sig > Signals.NSIG)
            return -Errno.EINVAL;
        SigInfo given = SigInfo.fromBytes(t.process().mm().copyIn(infoVa, SigInfo.SIZE));
        if (tid >= 0 && (tgid <= 0 || tid <= 0))
            return -Errno.EINVAL;
        // checked before the target is looked for, as Linux does: a kernel code only toward oneself (the
        // caller's thread id: the target thread, or the process)
        if ((given.code() >= 0 || given.code() == Signals.SI_TKILL) && (tid >= 0 ? tid : tgid) != t.tid())
            return -Errno.EPERM;
        Process target;
        Thread thread = null;
        if (tid >= 0) {
            thread = tid > 0 ? kernel.processes().thread(tid) : null;
            if (tgid <= 0 || tid <= 0)
                return -Errno.EINVAL;
            if (thread == null || !thread.alive() || thread.process().pid() != tgid)
                return -Errno.ESRCH;
            target = thread.process();
        } else {
            target = processOf(tgid);
            if (target == null || target.exiting() || target.ended())
                return -Errno.ESRCH;
        }
        if (!mayKill(t.process(), target, sig))
            return -Errno.EPERM;
        if (sig == 0)
            return 0;
        if (overQueueLimit(target, sig))
            return -Errno.EAGAIN;
        SigInfo info = SigInfo.queued(sig, given.code(), given.pid(), given.uid(), given.addr());
        if (thread != null)
            kernel.signals().sendThread(thread, info);
        else
            kernel.signals().send(target, info);
        return 0;
    }

    /** rt_sigsuspend(mask): waits with mask in force until a handler runs; the old mask returns after it. */
    private long sigsuspend(Thread t, long[] a) {
        if (a[1] != 8)
            return -Errno.EINVAL;
        long mask = t.process().mm().readLong(a[0]);
        t.saveMask(t.blockedMask());
        t.setBlockedMask(jmck.lwk.signal.Signals.sanitizeMask(mask));
        if (t.hasDeliverable())
            return -Errno.EINTR; // delivered on the way out, with the saved mask in the frame
        kernel.scheduler().block(t, "sigsuspend", Thread.Interrupt.EINTR, null);
        return SyscallDispatcher.NO_RETURN;
    }

    /** rt_sigtimedwait(set, info, timeout, size): takes a pending signal of set, waiting for one if needed. */
    private long sigtimedwait(Thread t, long[] a) {
        if (a[3] != 8)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        long set = jmck.lwk.signal.Signals.sanitizeMask(mm.readLong(a[0]));
        long deadline = -1;
        if (a[2] != 0) {
            ByteBuffer b = ByteBuffer.wrap(mm.copyIn(a[2], 16)).order(ByteOrder.LITTLE_ENDIAN);
            long sec = b.getLong(0), nsec = b.getLong(8);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L)
                return -Errno.EINVAL;
            deadline = System.nanoTime() + Math.min(sec, Long.MAX_VALUE / 4_000_000_000L) * 1_000_000_000L + nsec;
        }
        SigInfo info = t.takePending(set);
        if (info != null) {
            kernel.localFiles().signalFiles().changed(t.process()); // a signalfd may poll empty now
            if (a[1] != 0)
                mm.copyOut(a[1], info.toBytes());
            return info.signo();
        }
        if (deadline >= 0 && deadline <= System.nanoTime())
            return -Errno.EAGAIN;
        // While it sleeps the set is blocked (Linux unblocks it and dequeues before any delivery: the same
        // outcome): a signal of the set that is not blocked wakes the call, which takes it, instead of
        // going to its handler on the way out. The mask comes back on the way out, or in a handler's frame.
        t.saveMask(t.blockedMask());
        t.setBlockedMask(t.blockedMask() | set);
        t.setSigwaitSet(set);
        long seq = kernel.scheduler().block(t, "sigtimedwait", Thread.Interrupt.EINTR, () -> t.setSigwaitSet(0));
        if (deadline >= 0)
            kernel.timers().add(deadline, () -> kernel.scheduler().timeout(t, seq, -Errno.EAGAIN));
        return SyscallDispatcher.NO_RETURN;
    }

    /**
     * The process whose pid is id, or for a thread's id its process (Linux finds a task by any of its
     * ids: kill and rt_sigqueueinfo with a thread's id signal its whole process).
     */
    private Process processOf(int id) {
        Process p = kernel.processes().process(id);
        Thread th = p == null ? kernel.processes().thread(id) : null;
        return p != null ? p : th != null && th.alive() ? th.process() : null;
    }

    /**
     * A real-time signal sent with a siginfo (tgkill, sigqueue) fails with EAGAIN when the target has as
     * many signals queued as its RLIMIT_SIGPENDING (Linux's __send_signal; Linux counts per user, this
     * per process).
     */
    private static boolean overQueueLimit(Process target, int sig) {
        if (sig < Signals.SIGRTMIN)
            return false;
        long limit = target.rlimits().soft(RLIMIT_SIGPENDING);
        if (limit < 0)
            return false;
        long queued = 0;
        for (Thread th : target.threads())
            queued += th.queuedSignals();
        return queued >= limit;
    }

    private static final int RLIMIT_SIGPENDING = 11;

    private long tgkill(Thread t, int tgid, int tid, int sig) {
        if (sig < 0 || sig > Signals.NSIG || tid <= 0)
            return -Errno.EINVAL;
        Thread target = kernel.processes().thread(tid);
        if (target == null || !target.alive() || (tgid > 0 && target.process().pid() != tgid))
            return -Errno.ESRCH;
        if (!mayKill(t.process(), target.process(), sig))
            return -Errno.EPERM;
        if (overQueueLimit(target.process(), sig))
            return -Errno.EAGAIN;
        if (sig != 0)
            kernel.signals().sendThread(target, SigInfo.sent(sig, Signals.SI_TKILL, t.process().pid(),
                    (int) t.process().credentials().uid()));
        return 0;
    }
}
