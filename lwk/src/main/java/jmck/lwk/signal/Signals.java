package jmck.lwk.signal;

import jmck.emulator.Cpu;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * Sending and delivering signals (McKernel's kernel/syscall.c do_kill and check_signal, Linux's
 * kernel/signal.c). Delivery happens on the way back to user mode: the kernel calls {@link #deliver}
 * before a thread runs and after it stops.
 */
public final class Signals {
    /** What delivery needs from the kernel: to end a process. */
    public interface Terminator {
        /** Kills p by sig (info says why; core if the default action dumps core). */
        void killProcess(Process p, SigInfo info, boolean core);
    }

    private static final long UNBLOCKABLE = (1L << (jmck.lwk.abi.Signals.SIGKILL - 1))
            | (1L << (jmck.lwk.abi.Signals.SIGSTOP - 1));
    private final Terminator terminator;

    public Signals(Terminator terminator) {
        this.terminator = terminator;
    }

    /**
     * Whether sig would kill p outright: SIGKILL, or a signal whose action is the default one and whose
     * default is to terminate, that some thread does not block. Linux then kills the process at once,
     * even its threads asleep in a syscall (complete_signal's fatal-signal path).
     */
    private static boolean fatal(Process p, int sig, Thread only) {
        if (sig == jmck.lwk.abi.Signals.SIGKILL)
            return true;
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
        if (fatal(p, info.signo(), null)) {
            terminator.killProcess(p, info, jmck.lwk.abi.Signals.dumpsCore(info.signo()));
            return;
        }
        Thread target = null;
        for (Thread t : p.threads())
            if (t.alive() && (target == null || (t.blockedMask() & bit(info.signo())) == 0
                    && (target.blockedMask() & bit(info.signo())) != 0))
                target = t;
        if (target != null)
            target.addPending(info);
    }

    /** A signal for one thread (tgkill). */
    public void sendThread(Thread t, SigInfo info) {
        if (t.alive() && fatal(t.process(), info.signo(), t)) {
            terminator.killProcess(t.process(), info, jmck.lwk.abi.Signals.dumpsCore(info.signo()));
            return;
        }
        if (t.alive())
            t.addPending(info);
    }

    /**
     * A synchronous signal caused by the thread's own instruction (a fault): it cannot be blocked or ignored;
     * if it is, the action becomes the default one, as Linux's force_sig_fault does.
     */
    public void force(Thread t, SigInfo info) {
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
    public void deliver(Cpu cpu, Thread t, long trapNo, long errorCode) {
        Process p = t.process();
        while (t.alive() && !p.exiting()) {
            SigInfo info = t.takeDeliverable();
            if (info == null)
                return;
            int sig = info.signo();
            SigAction a = p.action(sig);
            if (sig == jmck.lwk.abi.Signals.SIGKILL || a.isDefault()) {
                if (jmck.lwk.abi.Signals.ignoredByDefault(sig) || jmck.lwk.abi.Signals.stopsByDefault(sig))
                    continue; // job control stops are not emulated: a stop signal is ignored
                terminator.killProcess(p, info, jmck.lwk.abi.Signals.dumpsCore(sig));
                return;
            }
            if (a.isIgnore())
                continue;
            long oldMask = t.blockedMask();
            if (!SignalFrame.push(cpu, p.mm(), a, info, oldMask, t.altStackSp(), t.altStackSize(), t.altStackFlags(),
                    errorCode, trapNo, info.isFault() ? info.addr() : 0)) {
                terminator.killProcess(p, SigInfo.fault(jmck.lwk.abi.Signals.SIGSEGV, jmck.lwk.abi.Signals.SI_KERNEL, 0), true);
                return;
            }
            long mask = oldMask | a.mask();
            if (!a.has(SigAction.SA_NODEFER))
                mask |= bit(sig);
            t.setBlockedMask(sanitizeMask(mask));
            if (a.has(SigAction.SA_RESETHAND))
                p.setAction(sig, SigAction.DEFAULT);
            return;
        }
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
