package jmck.lwk.signal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.FpuState;
import jmck.lwk.arch.UserRegs;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;

/**
 * Guest processes tracing each other (McKernel's ptrace support for gdb under mcexec; Linux's
 * kernel/ptrace.c and the ptrace parts of signal.c): who traces which thread, and the tracee's stops.
 *
 * <p>A traced thread stops instead of acting on a signal (every signal but SIGKILL, even an ignored one: a
 * signal-delivery stop) and when job control stops its process (a group stop). It stops on its own core on
 * the way back to user mode ({@link #parkIfStopped}): its registers are taken there, its tracer's wait
 * reports the stop and its tracer gets SIGCHLD (CLD_TRAPPED), and it leaves the core until the tracer
 * resumes it, with a signal or none. What the tracer changed of its registers goes back on the CPU before
 * it runs again ({@link #applyChanges}). All of this is the guests' own: jmck's debugger (`jmck step`,
 * `--gdb`) stops cores beneath it and does not see these stops.
 *
 * <p>Links and stops change under the task lock.
 */
public final class Ptrace {
    private static final int CAP_SYS_PTRACE = 19;
    private final Map<Thread, Tracee> tracees = new ConcurrentHashMap<>();
    private final Object taskLock;
    private final Scheduler scheduler;
    private final jmck.lwk.signal.Signals signals;

    Ptrace(Object taskLock, Scheduler scheduler, jmck.lwk.signal.Signals signals) {
        this.taskLock = taskLock;
        this.scheduler = scheduler;
        this.signals = signals;
    }

    /** t's tracing state, or null if nobody traces it (one look at an empty map on the hot paths). */
    public Tracee of(Thread t) {
        return tracees.isEmpty() ? null : tracees.get(t);
    }

    public boolean traced(Thread t) {
        return of(t) != null;
    }

    /** Whether a thread of p is traced (a fatal signal then stops it rather than killing p at once). */
    boolean tracesAnyOf(Process p) {
        if (tracees.isEmpty())
            return false;
        for (Thread t : p.threads())
            if (tracees.containsKey(t))
                return true;
        return false;
    }

    // ---- links ----

    /** PTRACE_TRACEME: t's parent traces it. EPERM if it is traced already or its parent is outside the LWK. */
    public long traceMe(Thread t) {
        synchronized (taskLock) {
            Process parent = t.process().parent();
            if (traced(t) || parent == null || parent.exiting())
                return -Errno.EPERM;
            tracees.put(t, new Tracee(t, parent, false, 0));
            return 0;
        }
    }

    /**
     * PTRACE_ATTACH (seize false: the target gets SIGSTOP) or PTRACE_SEIZE by tracer's process. Returns 0,
     * -errno, or Long.MIN_VALUE if the target's process is stopped by job control: it traps first (Linux's
     * JOBCTL_TRAPPING), and the caller sleeps until it has ({@link #waitForTrap}).
     */
    public long attach(Thread tracer, Thread target, boolean seize, long options) {
        synchronized (taskLock) {
            Process me = tracer.process(), them = target.process();
            if (them == me || !target.alive() || them.exiting() || traced(target) || !mayAttach(me, them))
                return -Errno.EPERM;
            Tracee tr = new Tracee(target, me, seize, options);
            tracees.put(target, tr);
            if (!seize) // Linux's SEND_SIG_PRIV: from the kernel
                signals.sendThread(target, SigInfo.sent(Signals.SIGSTOP, Signals.SI_KERNEL, 0, 0));
            if (them.stopSignal() == 0)
                return 0;
            // Stopped by job control (or on its way to that stop): it traps for its tracer instead, and the
            // tracer may use it as soon as ATTACH returns, as on Linux (JOBCTL_TRAPPING).
            if (target.state() == Thread.State.BLOCKED && "stopped".equals(target.waitReason()))
                scheduler.enqueue(target);
            return Long.MIN_VALUE;
        }
    }

    /**
     * The attaching tracer sleeps until target traps (its ATTACH then returns 0). False if it need not: the
     * target, running on another core, trapped already (or is gone).
     */
    public boolean waitForTrap(Thread tracer, Thread target) {
        synchronized (taskLock) {
            Tracee tr = of(target);
            if (tr == null || tr.parked)
                return false;
            tr.attachWaiter = tracer;
            tr.attachSeq = scheduler.block(tracer, "ptrace attach");
            return true;
        }
    }

    /** Linux's __ptrace_may_access for attaching: the same user and group throughout, or CAP_SYS_PTRACE. */
    private static boolean mayAttach(Process me, Process them) {
        if (me.capabilities().has(CAP_SYS_PTRACE))
            return true;
        Credentials c = me.credentials(), t = them.credentials();
        return c.uid() == t.uid() && c.uid() == t.euid() && c.uid() == t.suid() && c.gid() == t.gid()
                && c.gid() == t.egid() && c.gid() == t.sgid() && !them.flag(Process.Flag.NOT_DUMPABLE);
    }

    /** The state of target if tracer's process traces it (PTRACE_KILL needs no stop), else null (ESRCH). */
    public Tracee tracedBy(Process tracer, Thread target) {
        Tracee tr = of(target);
        return tr != null && tr.tracer() == tracer && target.alive() ? tr : null;
    }

    /** The state of target if tracer's process traces it and it is in a stop, off its core; else null (ESRCH). */
    public Tracee stoppedFor(Process tracer, Thread target) {
        synchronized (taskLock) {
            Tracee tr = tracedBy(tracer, target);
            return tr != null && tr.parked && tr.stopSignal != 0 ? tr : null;
        }
    }

    /** PTRACE_CONT: the stopped tracee runs again, and gets sig (0: none, the stop's signal is dropped). */
    public void resume(Tracee tr, int sig) {
        synchronized (taskLock) {
            if (sig == 0)
                tr.resumeWith = null;
            else if (tr.stopInfo != null && tr.stopInfo.signo() == sig)
                tr.resumeWith = tr.stopInfo;
            else // another signal than the one it stopped for: from the tracer
                tr.resumeWith = SigInfo.sent(sig, Signals.SI_USER, tr.tracer().pid(), (int) tr.tracer().credentials().uid());
            leaveStop(tr);
        }
    }

    private void leaveStop(Tracee tr) {
        tr.stopSignal = 0;
        tr.stopInfo = null;
        tr.groupStop = false;
        tr.toReport = false;
        if (tr.parked) {
            tr.parked = false;
            scheduler.enqueue(tr.thread());
        }
    }

    /** PTRACE_DETACH: the tracee is no longer traced and runs on (with sig, if not 0). */
    public void detach(Tracee tr, int sig) {
        synchronized (taskLock) {
            tracees.remove(tr.thread());
            if (sig != 0)
                signals.sendThread(tr.thread(), SigInfo.sent(sig, Signals.SI_USER, tr.tracer().pid(),
                        (int) tr.tracer().credentials().uid()));
            leaveStop(tr); // a job-control stop still in force parks it again, as Linux's __ptrace_detach
        }
    }

    /**
     * p ended (under the task lock): its threads are no longer traced, and its tracees go free (or are
     * killed, with PTRACE_O_EXITKILL), as Linux's exit_ptrace; a tracer waiting for p looks again.
     */
    public void processEnded(Process p) {
        if (tracees.isEmpty())
            return;
        List<Process> tracers = new ArrayList<>();
        for (Tracee tr : new ArrayList<>(tracees.values())) {
            if (tr.thread().process() == p) {
                tracees.remove(tr.thread());
                tracers.add(tr.tracer());
                endAttachWait(tr); // it died before it trapped: ATTACH succeeded all the same
            } else if (tr.tracer() == p) {
                tracees.remove(tr.thread());
                if ((tr.options & Tracee.O_EXITKILL) != 0)
                    signals.sendThread(tr.thread(), SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
                leaveStop(tr);
            }
        }
        for (Process tracer : tracers)
            if (tracer != p.parent())
                wakeWaiters(tracer);
    }

    /** After a successful execve: a tracee (not seized) gets SIGTRAP, so that its tracer sees the new program. */
    public void execed(Thread t) {
        Tracee tr = of(t);
        if (tr != null && !tr.seized())
            signals.sendThread(t, SigInfo.sent(Signals.SIGTRAP, Signals.SI_USER, 0, 0));
    }

    // ---- stops, on the tracee's own core ----

    /** Delivery took info for traced t: t stops instead (a signal-delivery stop). Under the task lock. */
    void stopForSignal(Tracee tr, SigInfo info) {
        tr.stopSignal = info.signo();
        tr.stopInfo = info;
        tr.groupStop = false;
    }

    /** The signal the tracer resumed t with, taken for delivery, or null. Under the task lock. */
    SigInfo takeResumeSignal(Tracee tr) {
        SigInfo s = tr.resumeWith;
        tr.resumeWith = null;
        return s;
    }

    /** Whether t has a signal from its tracer to deliver (it is not in the pending set). */
    public boolean hasResumeSignal(Thread t) {
        Tracee tr = of(t);
        return tr != null && tr.resumeWith != null;
    }

    /** Puts back on cpu what the tracer changed of t's registers while it was stopped. t's registers are on cpu. */
    public void applyChanges(Cpu cpu, Thread t) {
        Tracee tr = of(t);
        if (tr == null || !tr.regsChanged && !tr.fpuChanged)
            return;
        synchronized (taskLock) {
            if (tr.regsChanged) {
                tr.regs.write(cpu);
                t.setRip(cpu.reg(X86Reg.RIP));
                t.setSyscallNr(tr.regs.origRax());
            }
            if (tr.fpuChanged)
                FpuState.restore(cpu, tr.fpu);
            tr.regsChanged = tr.fpuChanged = false;
        }
    }

    /**
     * On t's way back to user mode, with its registers on cpu: if it is to stop (a signal's delivery, or a
     * group stop it has not trapped for yet), it stops here: its registers are taken, the tracer hears of it,
     * and it leaves the core (true) until the tracer resumes it.
     */
    public boolean parkIfStopped(Cpu cpu, Thread t) {
        Tracee tr = of(t);
        if (tr == null)
            return false;
        synchronized (taskLock) {
            if (!t.alive() || t.process().exiting())
                return false;
            int groupStop = t.process().stopSignal();
            if (groupStop == 0) {
                tr.groupStopTrapped = false;
            } else if (tr.stopSignal == 0 && !tr.groupStopTrapped) {
                tr.stopSignal = groupStop;
                tr.groupStop = true;
            }
            if (tr.stopSignal == 0) {
                endAttachWait(tr); // SIGCONT ended the job-control stop before it trapped: it runs on, traced
                return false;
            }
            tr.groupStopTrapped |= groupStop != 0;
            tr.regs = UserRegs.read(cpu, t.syscallNr());
            tr.fpu = FpuState.save(cpu);
            tr.parked = true;
            tr.toReport = true;
            scheduler.block(t, "traced");
            endAttachWait(tr);
            wakeWaiters(tr.tracer());
            if (!tr.tracer().action(Signals.SIGCHLD).has(SigAction.SA_NOCLDSTOP))
                signals.send(tr.tracer(), new SigInfo(Signals.SIGCHLD, Signals.CLD_TRAPPED, 0, 0, t.tid(),
                        (int) t.process().credentials().uid(), tr.stopSignal));
            return true;
        }
    }

    /** A tracer waiting in PTRACE_ATTACH for tr to trap returns 0. Under the task lock. */
    private void endAttachWait(Tracee tr) {
        if (tr.attachWaiter != null) {
            scheduler.wakeIfWaiting(tr.attachWaiter, tr.attachSeq, 0);
            tr.attachWaiter = null;
        }
    }

    /** The tracer's threads in wait4/waitid look again. Under the task lock. */
    private void wakeWaiters(Process tracer) {
        for (Process.Waiter w : new ArrayList<>(tracer.childWaiters()))
            scheduler.wakeToRestart(w.thread(), w.seq());
        tracer.childWaiters().clear();
    }

    /** Whether t, traced, is stopped and off its core (SIGCONT does not resume it: its tracer does). */
    public boolean inStop(Thread t) {
        Tracee tr = of(t);
        return tr != null && tr.parked;
    }

    // ---- what the tracer's wait sees (under the task lock) ----

    /** Whether tracer traces a live thread that covers accepts (its wait then has something to wait for). */
    public boolean tracesAny(Process tracer, Predicate<Thread> covers) {
        for (Tracee tr : tracees.values())
            if (tr.tracer() == tracer && tr.thread().alive() && covers.test(tr.thread()))
                return true;
        return false;
    }

    /** A stop of a thread tracer traces that covers accepts and no wait reported yet, or null; keep: report it again. */
    public Tracee unreportedStop(Process tracer, Predicate<Thread> covers, boolean keep) {
        for (Tracee tr : tracees.values())
            if (tr.tracer() == tracer && tr.toReport && tr.parked && tr.thread().alive() && covers.test(tr.thread())) {
                if (!keep)
                    tr.toReport = false;
                return tr;
            }
        return null;
    }
}
