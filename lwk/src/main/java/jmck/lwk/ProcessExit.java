package jmck.lwk;

import java.util.ArrayList;
import jmck.lwk.abi.Signals;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.RobustList;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigAction;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.trace.EventSink;

/**
 * How threads and processes end (exit, exit_group, a fatal signal), what the parent hears (SIGCHLD, its
 * waits run again), and job control's stop and continue. It is what signal delivery calls when a signal's
 * action is to end or stop a process ({@link jmck.lwk.signal.Signals.Terminator}).
 *
 * <p>Ending is in two steps, as in Linux: a process's threads are marked dead at once (under the task
 * lock) and the cores running them are kicked; its resources (address space, futex waits, channel) are
 * given back by {@link #maybeReap} only when no core runs any of its threads any more, by whoever sees that
 * last: the killer, or the core whose slice of the last thread ends. A core may still be in guest code on
 * the address space when the kill happens; freeing the page tables under it would let it write into
 * frames given to someone else.
 */
public final class ProcessExit implements jmck.lwk.signal.Signals.Terminator {
    private final Kernel k;

    ProcessExit(Kernel k) {
        this.k = k;
    }

    /**
     * Ends thread t (exit). The robust mutexes it holds pass to their next lockers as EOWNERDEAD; its
     * CLONE_CHILD_CLEARTID word is cleared and one waiter on it woken (that is how pthread_join learns of
     * the exit). When it was the last thread, the process ends with waitStatus.
     */
    public void exitThread(Thread t, int waitStatus) {
        Process p = t.process();
        if (!p.exiting())
            releaseLocks(t);
        long tidAddress = t.clearChildTid();
        if (tidAddress != 0 && !p.exiting()) {
            try {
                p.mm().writeInt(tidAddress, 0);
                k.futexes().wake(Futexes.keyOf(p.mm(), tidAddress), 1, Futexes.ANY, k.scheduler());
            } catch (jmck.lwk.mm.BadAddressException e) {
                // the word is gone (the stack was unmapped): nothing to clear, as Linux
            }
        }
        synchronized (k.processes().taskLock()) {
            k.processes().kill(t);
            if (p.dead())
                k.processes().exit(p, waitStatus);
        }
        // t leaves its core at the end of this slice (leftCore); the last one out gives p's resources back
    }

    /** exit_group: ends every thread of p with the given wait status. */
    public void exitProcess(Process p, int waitStatus) {
        endAll(p, waitStatus, null);
        maybeReap(p);
    }

    /**
     * The robust futexes t holds get FUTEX_OWNER_DIED and a waiter each is woken ({@link RobustList}), and
     * the priority-inheritance locks it holds go to their next sleepers; done for every thread as it ends,
     * before its memory goes, whether it exits alone or its process ends.
     */
    void releaseLocks(Thread t) {
        RobustList.release(t, k.futexes(), k.scheduler());
        k.futexes().pi().ownerExited(t, k.scheduler());
    }

    /** Kills p by a signal (info says which and why; core if its default action dumps core). */
    @Override
    public void killProcess(Process p, SigInfo info, boolean core) {
        // The core flag says a dump was written; Linux writes none when RLIMIT_CORE is 0 (jmck never writes one).
        boolean dumped = core && p.rlimits().soft(Rlimits.RLIMIT_CORE) != 0;
        if (!endAll(p, info.signo() | (dumped ? 0x80 : 0), info))
            return; // it was ending already
        String why = faultAddress(info);
        k.kmsg().log("pid %d: killed by %s%s, rip %#x", p.pid(), Signals.name(info.signo()), why, p.killRip());
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "killed by " + Signals.name(info.signo()) + why);
        maybeReap(p);
    }

    /**
     * Marks p exiting with waitStatus (and killed by info, if not null) and all its threads dead, then kicks
     * the cores that run them. False if p was ending already (its first end counts).
     */
    private boolean endAll(Process p, int waitStatus, SigInfo info) {
        java.util.List<Thread> running = new ArrayList<>();
        synchronized (k.processes().taskLock()) {
            if (p.exiting() && p.dead())
                return false;
            if (info != null) {
                long rip = 0;
                java.util.List<jmck.lwk.proc.Core> cores = k.cores();
                for (Thread t : p.threads())
                    if (t.alive() && t.core() >= 0 && t.core() < cores.size() && cores.get(t.core()).current() == t)
                        rip = t.rip();
                p.setKilledBy(info, rip);
            }
            k.processes().exit(p, waitStatus);
            for (Thread t : p.threads())
                if (k.processes().kill(t))
                    running.add(t);
        }
        for (Thread t : running)
            k.scheduler().kickIfRunning(t);
        return true;
    }

    /**
     * A dead thread left its core (Scheduler.SliceHooks.leftCore): it is forgotten, and if it was the last
     * of its process on a core, the process's resources go back.
     */
    void leftCore(Thread t) {
        Process p = t.process();
        synchronized (k.processes().taskLock()) {
            if (!p.dead())
                k.processes().removeThread(t);
        }
        maybeReap(p);
    }

    /**
     * Gives p's resources back if every thread of it is dead and none is on a core any more (else the last
     * one to leave its core calls this again). Once per process.
     */
    void maybeReap(Process p) {
        synchronized (k.processes().taskLock()) {
            if (!p.dead())
                return;
            for (Thread t : p.threads())
                if (t.onCore())
                    return;
            if (!p.startReap())
                return;
            reap(p, p.killedBy(), p.killRip());
        }
    }

    /**
     * Gives back everything a dead process held (its frames and page tables, unless a vfork child still
     * shares them), tells the proxy and listeners, and leaves the process a zombie for its parent: the
     * parent gets its exit signal and its wait4 runs again. Its own children pass to init, which reaps.
     * Under the task lock.
     */
    private void reap(Process p, SigInfo killedBy, long rip) {
        for (Thread t : p.threads())
            releaseLocks(t);
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
        Process reaper = p.parent(); // the nearest live ancestor that asked for orphans (PR_SET_CHILD_SUBREAPER)
        while (reaper != null && (reaper.ended() || !reaper.flag(Process.Flag.CHILD_SUBREAPER)))
            reaper = reaper.parent();
        for (Process child : new ArrayList<>(p.children())) {
            k.processes().orphan(child, reaper);
            if (child.ended() && reaper == null)
                k.processes().remove(child);
            else if (child.ended())
                notifyParent(child); // a zombie: its new parent hears of it, as Linux's reparent_leader
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
        wakeChildWaiters(parent);
        if (p.exitSignal() != 0)
            k.signals().send(parent, new SigInfo(p.exitSignal(), code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
    }

    /** A child of parent changed state: its threads in wait4/waitid look again. Under the task lock. */
    private void wakeChildWaiters(Process parent) {
        for (Process.Waiter w : new ArrayList<>(parent.childWaiters()))
            k.scheduler().wakeToRestart(w.thread(), w.seq());
        parent.childWaiters().clear();
    }

    /**
     * "jmck: null_deref (pid 100): killed by SIGSEGV (Segmentation fault) at address 0x0, rip 0x401745", or
     * for the OOM killer's victim "jmck: touch_mem (pid 100): killed by SIGKILL (out of memory), rip 0x401567"
     */
    public static String deathMessage(Process p, SigInfo info, long rip) {
        // (not String.format: its first %d loads the default locale's digits, 10-20 ms before jmck ends)
        String where = faultAddress(info);
        boolean oom = info.signo() == Signals.SIGKILL && p.outOfMemory();
        return "jmck: " + p.comm() + " (pid " + p.pid() + "): killed by " + Signals.name(info.signo()) + " ("
                + (oom ? "out of memory" : Signals.description(info.signo())) + ")" + where + ", rip 0x"
                + Long.toHexString(rip);
    }

    /** " at address 0x..." when the signal reports a fault (SIGSEGV, SIGBUS, ...), else "". */
    private static String faultAddress(SigInfo info) {
        return info.isFault() ? " at address 0x" + Long.toHexString(info.addr()) : "";
    }

    // ---- job control ----

    /** A stop signal's default action: p's threads park as they next reach their cores, until SIGCONT. */
    @Override
    public void stopProcess(Process p, int sig) {
        synchronized (k.processes().taskLock()) {
            if (p.exiting() || p.stopSignal() != 0)
                return;
            p.stop(sig);
        }
        for (Thread t : p.threads())
            k.scheduler().kickIfRunning(t); // so that it parks at once
        k.kmsg().log("pid %d: stopped by %s", p.pid(), Signals.name(sig));
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "stopped by " + Signals.name(sig));
        tellParent(p, Signals.CLD_STOPPED, sig);
    }

    /** SIGCONT: a stopped p's parked threads go back on their run queues. */
    @Override
    public void continueProcess(Process p) {
        synchronized (k.processes().taskLock()) {
            if (p.exiting() || p.stopSignal() == 0)
                return;
            for (Thread t : p.resume())
                if (t.alive() && !k.signals().ptrace().inStop(t)) // a tracee's stop is its tracer's to end
                    k.scheduler().enqueue(t);
        }
        k.kmsg().log("pid %d: continued", p.pid());
        tellParent(p, Signals.CLD_CONTINUED, Signals.SIGCONT);
    }

    /** A child stopped or continued: the parent hears SIGCHLD (unless SA_NOCLDSTOP) and its waits look again. */
    private void tellParent(Process p, int code, int status) {
        synchronized (k.processes().taskLock()) {
            Process parent = p.parent();
            if (parent == null || parent.ended())
                return;
            wakeChildWaiters(parent); // before the signal, as for an exit
            if (!parent.action(Signals.SIGCHLD).has(SigAction.SA_NOCLDSTOP))
                k.signals().send(parent, new SigInfo(Signals.SIGCHLD, code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
        }
    }

    // ---- a signal for a waiting thread ----

    @Override
    public void interrupt(Thread t) {
        k.scheduler().interrupt(t);
    }

    @Override
    public void wakeSigwait(Thread t) {
        k.scheduler().wakeSigwait(t);
    }
}
