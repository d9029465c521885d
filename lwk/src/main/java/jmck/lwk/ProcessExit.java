package jmck.lwk;

import java.util.ArrayList;
import jmck.lwk.abi.Signals;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigAction;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.trace.EventSink;

/**
 * How threads and processes end (exit, exit_group, a fatal signal), what the parent hears (SIGCHLD, its
 * waits run again), and job control's stop and continue. It is what signal delivery calls when a signal's
 * action is to end or stop a process ({@link jmck.lwk.signal.Signals.Terminator}).
 */
public final class ProcessExit implements jmck.lwk.signal.Signals.Terminator {
    private final Kernel k;

    ProcessExit(Kernel k) {
        this.k = k;
    }

    /**
     * Ends thread t (exit). Its CLONE_CHILD_CLEARTID word is cleared and one waiter on it woken (that is
     * how pthread_join learns of the exit). When it was the last thread, the process ends with waitStatus.
     */
    public void exitThread(Thread t, int waitStatus) {
        Process p = t.process();
        long tidAddress = t.clearChildTid();
        if (tidAddress != 0 && !p.exiting()) {
            try {
                p.mm().writeInt(tidAddress, 0);
                for (Thread w : k.futexes().take(Futexes.keyOf(p.mm(), tidAddress), 1, Futexes.ANY))
                    k.scheduler().wake(w, 0);
            } catch (jmck.lwk.mm.BadAddressException e) {
                // the word is gone (the stack was unmapped): nothing to clear, as Linux
            }
        }
        k.processes().kill(t);
        if (p.dead()) {
            k.processes().exit(p, waitStatus);
            reap(p, null, 0);
        } else {
            k.processes().removeThread(t);
        }
    }

    /** exit_group: ends every thread of p with the given wait status. */
    public void exitProcess(Process p, int waitStatus) {
        k.processes().exit(p, waitStatus);
        for (Thread t : p.threads())
            k.processes().kill(t);
        reap(p, null, 0);
    }

    /** Kills p by a signal (info says which and why; core if its default action dumps core). */
    @Override
    public void killProcess(Process p, SigInfo info, boolean core) {
        long rip = 0;
        for (Thread t : p.threads())
            if (t.alive() && k.cores().get(t.core()).current() == t)
                rip = t.rip();
        // The core flag says a dump was written; Linux writes none when RLIMIT_CORE is 0 (jmck never writes one).
        boolean dumped = core && p.rlimits().soft(Rlimits.RLIMIT_CORE) != 0;
        k.processes().exit(p, info.signo() | (dumped ? 0x80 : 0));
        for (Thread t : p.threads())
            k.processes().kill(t);
        String why = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        k.kmsg().log("pid %d: killed by %s%s, rip %#x", p.pid(), Signals.name(info.signo()), why, rip);
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "killed by " + Signals.name(info.signo()) + why);
        reap(p, info, rip);
    }

    /**
     * Gives back everything a dead process held (its frames and page tables, unless a vfork child still
     * shares them), tells the proxy and listeners, and leaves the process a zombie for its parent: the
     * parent gets its exit signal and its wait4 runs again. Its own children pass to init, which reaps.
     */
    private void reap(Process p, SigInfo killedBy, long rip) {
        long before = k.frames().freeFrames();
        p.mm().release();
        k.futexes().forget(p);
        for (Thread t : p.threads())
            t.releaseContext();
        p.markEnded();
        k.kmsg().log("pid %d: exited with status %#x, %d frames freed", p.pid(), p.waitStatus(),
                k.frames().freeFrames() - before);
        p.setExitMessage(killedBy == null ? "" : deathMessage(p, killedBy, rip));
        k.syscalls().forwarder().processExited(p, p.exitMessage());
        DebugHooks d = k.debugHooks();
        if (d != null)
            d.processExited(p);
        for (Kernel.ExitListener l : k.exitListeners())
            l.exited(p, killedBy, rip);
        Thread vforked = p.vforkParent();
        if (vforked != null) {
            p.setVforkParent(null);
            k.scheduler().wake(vforked, p.pid());
        }
        for (Process child : new ArrayList<>(p.children())) {
            k.processes().orphan(child);
            if (child.ended())
                k.processes().remove(child);
        }
        notifyParent(p);
        k.wake();
    }

    /** A child ended: its parent gets the exit signal (SIGCHLD) and its waiters look again; init reaps orphans. */
    private void notifyParent(Process p) {
        Process parent = p.parent();
        if (parent == null || parent.ended()) {
            k.processes().remove(p);
            return;
        }
        int ws = p.waitStatus();
        int code = (ws & 0x7f) == 0 ? Signals.CLD_EXITED : (ws & 0x80) != 0 ? Signals.CLD_DUMPED : Signals.CLD_KILLED;
        int status = (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : ws & 0x7f;
        SigAction a = parent.action(Signals.SIGCHLD);
        boolean autoReap = p.exitSignal() == Signals.SIGCHLD && (a.isIgnore() || a.has(SigAction.SA_NOCLDWAIT));
        if (autoReap)
            k.processes().remove(p);
        // the waiters look again before the signal comes: a wait the child ends returns it, even if the
        // exit signal's handler has no SA_RESTART (Linux's do_wait finds the zombie before it looks at signals)
        for (Thread w : new ArrayList<>(parent.childWaiters()))
            k.scheduler().wakeToRestart(w);
        if (p.exitSignal() != 0)
            k.signals().send(parent, new SigInfo(p.exitSignal(), code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
    }

    /**
     * "jmck: null_deref (pid 100): killed by SIGSEGV (Segmentation fault) at address 0x0, rip 0x401745", or
     * for the OOM killer's victim "jmck: touch_mem (pid 100): killed by SIGKILL (out of memory), rip 0x401567"
     */
    public static String deathMessage(Process p, SigInfo info, long rip) {
        String where = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        boolean oom = info.signo() == Signals.SIGKILL && p.outOfMemory();
        return String.format("jmck: %s (pid %d): killed by %s (%s)%s, rip %#x", p.comm(), p.pid(),
                Signals.name(info.signo()), oom ? "out of memory" : Signals.description(info.signo()), where, rip);
    }

    // ---- job control ----

    /** A stop signal's default action: p's threads park as they next reach their cores, until SIGCONT. */
    @Override
    public void stopProcess(Process p, int sig) {
        if (p.exiting() || p.stopSignal() != 0)
            return;
        p.stop(sig);
        k.kmsg().log("pid %d: stopped by %s", p.pid(), Signals.name(sig));
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "stopped by " + Signals.name(sig));
        tellParent(p, Signals.CLD_STOPPED, sig);
    }

    /** SIGCONT: a stopped p's parked threads go back on their run queues. */
    @Override
    public void continueProcess(Process p) {
        if (p.exiting() || p.stopSignal() == 0)
            return;
        for (Thread t : p.resume())
            if (t.alive())
                k.scheduler().enqueue(t);
        k.kmsg().log("pid %d: continued", p.pid());
        tellParent(p, Signals.CLD_CONTINUED, Signals.SIGCONT);
    }

    /** A child stopped or continued: the parent hears SIGCHLD (unless SA_NOCLDSTOP) and its waits look again. */
    private void tellParent(Process p, int code, int status) {
        Process parent = p.parent();
        if (parent == null || parent.ended())
            return;
        for (Thread w : new ArrayList<>(parent.childWaiters())) // before the signal, as for an exit
            k.scheduler().wakeToRestart(w);
        if (!parent.action(Signals.SIGCHLD).has(SigAction.SA_NOCLDSTOP))
            k.signals().send(parent, new SigInfo(Signals.SIGCHLD, code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
    }

    // ---- a signal for a waiting thread ----

    @Override
    public void interrupt(Thread t) {
        k.scheduler().interrupt(t);
    }

    @Override
    public void wakeSigwait(Thread t) {
        k.scheduler().wakeToRestart(t);
    }
}
