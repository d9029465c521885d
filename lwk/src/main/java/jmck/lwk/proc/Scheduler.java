package jmck.lwk.proc;

import java.util.List;
import java.util.function.BooleanSupplier;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;

/**
 * McKernel's scheduler: a round-robin run queue per core, cooperative and tickless. A thread runs until it
 * blocks, yields or exits. All cores are interleaved on one host thread (two Unicorn engines on two host
 * threads would not make guest `lock` instructions atomic against each other), so a core that has to share
 * runs in slices: a native block-count budget stops it exactly on a block boundary. A core alone with one
 * thread and nothing waiting gets no budget and no per-block hook at all.
 */
public final class Scheduler {
    /** What the kernel does around each slice: work before returning to user mode, and after. */
    public interface SliceHooks {
        /** Before a slice: deliver pending signals; returns false if the thread must not run. */
        boolean beforeRun(Core core, Thread thread);

        /** After a slice: handle how it ended (faults, exits, signals). */
        void afterRun(Core core, Thread thread, Cpu.RunResult result);

        /** A scheduling decision, for traces: t was put on core c, blocked (why), woken, or ended. */
        default void scheduled(Core c, Thread t, String what) {}

        /** After beforeRun: 0 for a normal slice, n to run just n instructions (a debugger single-steps). */
        default long instructionLimit(Core core, Thread thread) {
            return 0;
        }
    }

    /** What the kernel does between slices: work from outside the cores, and idling. */
    public interface Events {
        /** At the start of each round: run submitted work, poll, fire expired timers. */
        void tick();

        /** Nothing can run: wait for a wake-up (a delegated syscall finishing, a timer) or the deadline. */
        void idle();

        /** Whether some thread waits for an outside event, so a running core must come back to check. */
        boolean waitingForEvents();
    }

    /** Translation blocks per slice when a core shares the host thread (about a millisecond of guest code). */
    public static final long SLICE_BLOCKS = 100_000;

    private final List<Core> cores;
    private SliceHooks hooks;
    private Events events;
    /** Whether the cores have had to share the host thread yet (their block hooks are installed). */
    private boolean sharing;

    public Scheduler(List<Core> cores) {
        this.cores = cores;
    }

    /** Connects the kernel's work around slices and between them (at boot). */
    public void setHooks(SliceHooks hooks, Events events) {
        this.hooks = hooks;
        this.events = events;
    }

    public List<Core> cores() {
        return cores;
    }

    /** Makes t runnable on its core (or the least loaded core for a thread that has none). */
    public void enqueue(Thread t) {
        t.state = Thread.State.RUNNABLE;
        Core target = null;
        if (t.core >= 0 && t.core < cores.size())
            target = cores.get(t.core);
        if (target == null) {
            for (Core c : cores)
                if (target == null || c.queued() < target.queued())
                    target = c;
            t.core = target.id();
        }
        if (!target.runQueue.contains(t))
            target.runQueue.addLast(t);
    }

    /** Whether some thread other than t waits on a run queue for a core. */
    public boolean othersRunnable(Thread t) {
        for (Core c : cores)
            for (Thread q : c.runQueue)
                if (q != t && q.alive() && q.state == Thread.State.RUNNABLE)
                    return true;
        return false;
    }

    /** Picks the least loaded core for a new thread. */
    public int placeNew() {
        Core best = null;
        for (Core c : cores)
            if (best == null || load(c) < load(best))
                best = c;
        return best.id();
    }

    private static int load(Core c) {
        int n = c.queued();
        if (c.current() != null && c.current().alive() && c.current().state == Thread.State.RUNNABLE
                && !c.runQueue.contains(c.current()))
            n++;
        return n;
    }

    /** Takes t off the CPU's run queue: it waits for something outside the guest (a delegated call, a timer). */
    public void block(Thread t, String reason) {
        block(t, reason, Thread.Interrupt.NONE, null);
    }

    /**
     * Takes t off the CPU's run queue: it waits in its syscall until {@link #wake}. A signal with a handler
     * ends the wait as mode says ({@link #interrupt}); cancel then undoes the wait's bookkeeping (leaves a
     * futex queue). Returns the wait's number, for a timer that must end this wait and no later one.
     */
    public long block(Thread t, String reason, Thread.Interrupt mode, Runnable cancel) {
        hooks.scheduled(t.core >= 0 && t.core < cores.size() ? cores.get(t.core) : null, t, "blocks: " + reason);
        t.state = Thread.State.BLOCKED;
        t.waitReason = reason;
        t.interrupt = mode;
        t.cancelWait = cancel;
        return ++t.waitSeq;
    }

    /** Ends t's wait (the waker has already taken it off what it waited on): its syscall returns result. */
    public void wake(Thread t, long result) {
        if (!t.alive() || t.state != Thread.State.BLOCKED)
            return;
        t.interrupt = Thread.Interrupt.NONE;
        t.cancelWait = null;
        t.setPendingResult(result);
        enqueue(t);
    }

    /** Ends wait number seq of t, if it is still waiting there, with result (its timer expired). */
    public void wakeIfWaiting(Thread t, long seq, long result) {
        if (t.alive() && t.state == Thread.State.BLOCKED && t.waitSeq == seq)
            wake(t, result);
    }

    /** Ends wait number seq of t, if it is still waiting there, with result (a timeout), undoing its bookkeeping. */
    public void timeout(Thread t, long seq, long result) {
        if (!t.alive() || t.state != Thread.State.BLOCKED || t.waitSeq != seq)
            return;
        Runnable cancel = t.cancelWait;
        if (cancel != null)
            cancel.run();
        wake(t, result);
    }

    /** Ends t's wait by running its syscall again (wait4 after a child changed state, sigtimedwait's signal). */
    public void wakeToRestart(Thread t) {
        if (!t.alive() || t.state != Thread.State.BLOCKED)
            return;
        Runnable cancel = t.cancelWait;
        t.cancelWait = null;
        t.interrupt = Thread.Interrupt.NONE;
        if (cancel != null)
            cancel.run();
        t.interrupted = Thread.Interrupt.RESTART;
        t.restartAlways = true;
        enqueue(t);
    }

    /** A signal for t arrived: if it waits interruptibly, the wait ends and delivery decides EINTR or restart. */
    public void interrupt(Thread t) {
        if (!t.interruptible())
            return;
        if (t.interrupt == Thread.Interrupt.HOST) { // the proxy ends the call; its answer wakes t
            if (t.cancelWait != null)
                t.cancelWait.run();
            return;
        }
        Runnable cancel = t.cancelWait;
        Thread.Interrupt mode = t.interrupt;
        t.cancelWait = null;
        t.interrupt = Thread.Interrupt.NONE;
        if (cancel != null)
            cancel.run();
        t.interrupted = mode;
        enqueue(t);
    }

    /**
     * Ends t's wait with EINTR: the host call it waited for was interrupted for a signal; delivery then
     * restarts the call or fails it as mode says (RESTART: again after a handler with SA_RESTART; EINTR: only
     * if no handler runs).
     */
    public void wakeInterrupted(Thread t, Thread.Interrupt mode) {
        if (!t.alive() || t.state != Thread.State.BLOCKED)
            return;
        wake(t, -jmck.lwk.abi.Errno.EINTR);
        t.interrupted = mode;
    }

    /** Runs threads until done says stop. */
    public void run(BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            events.tick();
            boolean ran = false;
            for (Core c : cores) {
                Thread t = c.runQueue.pollFirst();
                while (t != null && (t.state != Thread.State.RUNNABLE || !t.alive()))
                    t = c.runQueue.pollFirst();
                if (t == null)
                    continue;
                ran = true;
                runSlice(c, t);
                if (t.alive() && t.state == Thread.State.RUNNABLE && !c.runQueue.contains(t))
                    c.runQueue.addLast(t);
                if (done.getAsBoolean())
                    return;
            }
            if (!ran)
                events.idle();
        }
    }

    private void runSlice(Core c, Thread t) {
        if (c.current() != t)
            hooks.scheduled(c, t, "runs");
        c.load(t);
        if (!hooks.beforeRun(c, t))
            return;
        boolean share = mustShare(c);
        if (share && !sharing) { // the first time any core shares: every core gets its hook now (see Core)
            sharing = true;
            for (Core other : cores)
                other.prepareToShare();
        }
        c.setBudget(share ? SLICE_BLOCKS : 0);
        t.sliceStart = System.nanoTime();
        long steps = hooks.instructionLimit(c, t);
        Cpu.RunResult r = steps > 0 ? c.cpu().step(t.rip, steps) : c.cpu().run(t.rip);
        t.cpuNanos += System.nanoTime() - t.sliceStart;
        t.sliceStart = 0;
        t.yieldRequested = false;
        if (t.alive())
            t.rip = c.cpu().reg(X86Reg.RIP);
        hooks.afterRun(c, t, r);
        if (!t.alive()) {
            hooks.scheduled(c, t, "ends");
            c.dropCurrent(t);
            t.releaseContext();
        }
    }

    /**
     * Makes every core run in slices even when it is alone, so that work arriving from other host threads
     * (a signal from the host, a new mcexec process, hot-plug) is taken within a slice even if the guest
     * spins without a syscall. It costs the per-block hook; an instance daemon, or a guest that handles
     * SIGINT/SIGTERM, needs it. A core already running without a budget gets one at its next slice, so a
     * caller on a core should end its slice (a yield).
     *
     * @return whether this changed the setting
     */
    public boolean setPreemptible(boolean on) {
        boolean changed = preemptible != on;
        preemptible = on;
        return changed;
    }

    private boolean preemptible;

    /** Whether the core must give the host thread back after a slice. */
    private boolean mustShare(Core self) {
        if (preemptible || !self.runQueue.isEmpty() || events.waitingForEvents())
            return true;
        for (Core c : cores)
            if (c != self && !c.runQueue.isEmpty())
                return true;
        return false;
    }
}
