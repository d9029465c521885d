package jmck.lwk.signal;

import jmck.emulator.Cpu;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * Sending and delivering signals (McKernel's kernel/syscall.c do_kill and check_signal, Linux's
 * kernel/signal.c). Delivery happens on the way back to user mode: the kernel calls {@link #deliver}
 * before a thread runs and after it stops. Sending and delivering hold the task lock (the process's
 * actions and its threads' fates do not change meanwhile); a thread's pending set and masks are guarded
 * by its own lock. A thread that gets a signal while it runs on another core is kicked off it, so that
 * it takes the signal at once.
 */
public final class Signals {
    /** What sending and delivery need from the kernel: to end a process, and to end a thread's wait. */
    public interface Terminator {
        /** Kills p by sig (info says why; core if the default action dumps core). */
        void killProcess(Process p, SigInfo info, boolean core);

        /** A signal t will handle is pending: end t's wait if it waits interruptibly. */
        void interrupt(Thread t);

        /** A signal t waits for in rt_sigtimedwait arrived: run that syscall again to take it. */
        void wakeSigwait(Thread t);

        /** A stop signal's default action: p's threads stop running until SIGCONT. */
        void stopProcess(Process p, int sig);

        /** SIGCONT: a stopped p runs again. */
        void continueProcess(Process p);
    }

    /** Told when a process's pending signals change: one was queued, or one was taken for delivery (signalfds poll on them). */
    public interface PendingListener {
        void changed(Process p);
    }

    private static final long UNBLOCKABLE = (1L << (jmck.lwk.abi.Signals.SIGKILL - 1))
            | (1L << (jmck.lwk.abi.Signals.SIGSTOP - 1));
    private final Terminator terminator;
    private final Object taskLock;
    private volatile PendingListener pendingListener = new PendingListener() {
        @Override
        public void changed(Process p) {} // (a class: made at boot, where a lambda's link took 0.2-0.9 ms)
    };

    public void setPendingListener(PendingListener l) {
        pendingListener = l;
    }

    public Signals(Terminator terminator, Object taskLock, jmck.lwk.proc.Scheduler scheduler) {
        this.terminator = terminator;
        this.taskLock = taskLock;
        this.ptrace = new Ptrace(taskLock, scheduler, this);
    }

    private final Ptrace ptrace;

    /** Guest processes tracing each other: traced threads stop where a signal would act. */
    public Ptrace ptrace() {
        return ptrace;
    }

    /**
     * Whether sig would kill p outright: SIGKILL, or a signal whose action is the default one and whose
     * default is to terminate, that some thread does not block. Linux then kills the process at once,
     * even its threads asleep in a syscall (complete_signal's fatal-signal path).
     */
    private boolean fatal(Process p, int sig, Thread only) {
        if (sig == jmck.lwk.abi.Signals.SIGKILL)
            return true;
        if (ptrace.tracesAnyOf(p)) // a traced thread stops for it first: its tracer decides (complete_signal)
            return false;
        SigAction a = p.action(sig);
        if (!a.isDefault() || jmck.lwk.abi.Signals.ignoredByDefault(sig) || jmck.lwk.abi.Signals.stopsByDefault(sig))
            return false;
        for (Thread t : p.threads())
            if (t.alive() && (only == null || only == t) && (t.blockedMask() & bit(sig)) == 0)
                return true;
        return false;
    }

    /** A signal for a whole process: goes to the first thread that does not block it (else the first thread). */
    public void send(Process p, SigInfo info) {
        synchronized (taskLock) {
            sendLocked(p, info);
        }
    }

    private void sendLocked(Process p, SigInfo info) {
        jobControl(p, info.signo());
        if (fatal(p, info.signo(), null)) {
            terminator.killProcess(p, info, jmck.lwk.abi.Signals.dumpsCore(info.signo()));
            return;
        }
        Thread target = null;
        for (Thread t : p.threads())
            if (t.alive() && (target == null || (t.blockedMask() & bit(info.signo())) == 0
                    && (target.blockedMask() & bit(info.signo())) != 0))
                target = t;
        for (Thread t : p.threads()) // a thread waiting for it (rt_sigtimedwait, a signalfd read) takes it first
            if (t.alive() && t.state() == Thread.State.BLOCKED && (t.sigwaitSet() & bit(info.signo())) != 0)
                target = t;
        if (target != null)
            queue(target, info);
    }

    /**
     * What sending SIGCONT or a stop signal does at once, whatever the action (Linux's prepare_signal):
     * SIGCONT continues a stopped process and discards pending stop signals; a stop signal discards a
     * pending SIGCONT.
     */
    private void jobControl(Process p, int sig) {
        long stops = bit(jmck.lwk.abi.Signals.SIGSTOP) | bit(jmck.lwk.abi.Signals.SIGTSTP)
                | bit(jmck.lwk.abi.Signals.SIGTTIN) | bit(jmck.lwk.abi.Signals.SIGTTOU);
        if (sig == jmck.lwk.abi.Signals.SIGCONT) {
            for (Thread t : p.threads())
                t.discardPending(stops);
            terminator.continueProcess(p);
        } else if ((bit(sig) & stops) != 0) {
            for (Thread t : p.threads())
                t.discardPending(bit(jmck.lwk.abi.Signals.SIGCONT));
        }
    }

    /** Makes info pending for t, and ends t's wait if the signal is one it waits for or will handle. */
    private void queue(Thread t, SigInfo info) {
        Process p = t.process();
        int sig = info.signo();
        SigAction a = p.action(sig);
        boolean discarded = sig != jmck.lwk.abi.Signals.SIGKILL && sig != jmck.lwk.abi.Signals.SIGSTOP
                && (a.isIgnore() || a.isDefault() && jmck.lwk.abi.Signals.ignoredByDefault(sig));
        if ((t.sigwaitSet() & bit(sig)) != 0 && t.state() == Thread.State.BLOCKED) {
            t.addPending(info);
            pendingListener.changed(p);
            terminator.wakeSigwait(t);
            return;
        }
        if (discarded && (t.blockedMask() & bit(sig)) == 0 && !ptrace.traced(t))
            return; // an ignored signal that is not blocked is dropped at once, as Linux's sig_ignored (not for a tracee)
        t.addPending(info);
        pendingListener.changed(p);
        if ((t.blockedMask() & bit(sig)) == 0)
            terminator.interrupt(t);
    }

    /** A signal for one thread (tgkill). */
    public void sendThread(Thread t, SigInfo info) {
        synchronized (taskLock) {
            sendThreadLocked(t, info);
        }
    }

    private void sendThreadLocked(Thread t, SigInfo info) {
        jobControl(t.process(), info.signo());
        if (t.alive() && fatal(t.process(), info.signo(), t)) {
            terminator.killProcess(t.process(), info, jmck.lwk.abi.Signals.dumpsCore(info.signo()));
            return;
        }
        if (t.alive())
            queue(t, info);
    }

    /**
     * A synchronous signal caused by the thread's own instruction (a fault): it cannot be blocked or ignored;
     * if it is, the action becomes the default one, as Linux's force_sig_fault does.
     */
    public void force(Thread t, SigInfo info) {
        synchronized (taskLock) {
            forceLocked(t, info);
        }
    }

    private void forceLocked(Thread t, SigInfo info) {
        Process p = t.process();
        int sig = info.signo();
        SigAction a = p.action(sig);
        boolean blocked = (t.blockedMask() & bit(sig)) != 0;
        if (blocked || a.isIgnore()) {
            p.setAction(sig, SigAction.DEFAULT);
            t.setBlockedMask(t.blockedMask() & ~bit(sig));
        }
        t.addPending(info);
    }

    static long bit(int sig) {
        return 1L << (sig - 1);
    }

    /** Blocking masks never include SIGKILL and SIGSTOP. */
    public static long sanitizeMask(long mask) {
        return mask & ~UNBLOCKABLE;
    }

    /**
     * Acts on the thread's deliverable signals: ignores, kills, or sets up a handler frame (one at a time,
     * like Linux). The thread's registers must be on cpu. Trap details fill the frame's sigcontext.
     */
    public SigInfo deliver(Cpu cpu, Thread t, long trapNo, long errorCode) {
        synchronized (taskLock) {
            return deliverLocked(cpu, t, trapNo, errorCode);
        }
    }

    private SigInfo deliverLocked(Cpu cpu, Thread t, long trapNo, long errorCode) {
        Process p = t.process();
        Tracee traced = ptrace.of(t);
        while (t.alive() && !p.exiting()) {
            if (traced != null && traced.stopSignal != 0)
                return null; // it stops first; nothing is delivered before its tracer resumes it
            SigInfo fromTracer = traced == null ? null : ptrace.takeResumeSignal(traced);
            SigInfo info = fromTracer != null ? fromTracer : t.takeDeliverable();
            if (info == null)
                return null;
            pendingListener.changed(p);
            int sig = info.signo();
            if (traced != null && fromTracer == null && sig != jmck.lwk.abi.Signals.SIGKILL) {
                ptrace.stopForSignal(traced, info); // a signal-delivery stop: the tracer says what becomes of it
                return null;
            }
            SigAction a = p.action(sig);
            if (sig == jmck.lwk.abi.Signals.SIGKILL || sig == jmck.lwk.abi.Signals.SIGSTOP || a.isDefault()) {
                if (jmck.lwk.abi.Signals.ignoredByDefault(sig))
                    continue;
                if (jmck.lwk.abi.Signals.stopsByDefault(sig)) {
                    terminator.stopProcess(p, sig);
                    return null;
                }
                terminator.killProcess(p, info, jmck.lwk.abi.Signals.dumpsCore(sig));
                return null;
            }
            if (a.isIgnore())
                continue;
            switch (t.interrupted()) { // the handler ended a wait: run the syscall again, or fail it with EINTR
                case RESTART -> {
                    if (a.has(SigAction.SA_RESTART) || t.restartAlways())
                        t.restartSyscall(cpu);
                    else
                        cpu.setReg(jmck.emulator.X86Reg.RAX, -jmck.lwk.abi.Errno.EINTR);
                }
                case EINTR -> cpu.setReg(jmck.emulator.X86Reg.RAX, -jmck.lwk.abi.Errno.EINTR);
                case NONE -> { }
            }
            t.clearInterrupted();
            long running = t.blockedMask();
            long restore = t.takeMaskToRestore(); // what sigreturn puts back: sigsuspend's saved mask, if any
            if (!SignalFrame.push(cpu, p.mm(), a, info, restore, t.altStackSp(), t.altStackSize(), t.altStackFlags(),
                    errorCode, trapNo, info.isFault() ? info.addr() : 0)) {
                // no room for the frame (an unwritable alternate stack, say): Linux's force_sigsegv, a SIGSEGV
                // to handle in its turn, or death if it was SIGSEGV's own frame that failed
                SigInfo segv = SigInfo.fault(jmck.lwk.abi.Signals.SIGSEGV, jmck.lwk.abi.Signals.SI_KERNEL, 0);
                if (sig == jmck.lwk.abi.Signals.SIGSEGV) {
                    terminator.killProcess(p, segv, true);
                    return null;
                }
                forceLocked(t, segv);
                continue;
            }
            long mask = running | a.mask();
            if (!a.has(SigAction.SA_NODEFER))
                mask |= bit(sig);
            t.setBlockedMask(sanitizeMask(mask));
            if (a.has(SigAction.SA_RESETHAND)) // only the handler goes back to SIG_DFL (Linux's SA_ONESHOT)
                p.setAction(sig, new SigAction(SigAction.SIG_DFL, a.flags(), a.restorer(), a.mask()));
            return info;
        }
        return null;
    }

    /** rt_sigreturn: restores what the frame saved; false if the frame was unreadable. */
    public boolean sigreturn(Cpu cpu, Thread t) {
        SignalFrame.Restored r = SignalFrame.pop(cpu, t.process().mm());
        if (r == null)
            return false;
        t.setBlockedMask(sanitizeMask(r.mask()));
        if ((r.altFlags() & 2) == 0 || r.altSize() == 0)
            t.setAltStack(r.altSp(), r.altSize(), r.altFlags() & ~1);
        return true;
    }
}
