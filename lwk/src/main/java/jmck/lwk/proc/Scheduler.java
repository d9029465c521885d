package jmck.lwk.proc;

import java.util.List;
import java.util.function.BooleanSupplier;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;

/**
 * McKernel's scheduler: a round-robin run queue per core, cooperative and tickless. A thread runs until it
 * blocks, yields or exits; a thread is placed on a core when it is created and stays there.
 *
 * <p>Two modes run the same code. In parallel mode each core has a host thread of its own that loops over
 * {@link #runNext} (see jmck.lwk.CoreThreads); a core shares itself in slices only when another thread waits
 * on its own run queue, and other cores reach it with {@link #kick}. In exact mode every core takes turns on
 * the calling host thread ({@link #run}); a core that has to share runs in slices that a native block-count
 * budget ends exactly on a block boundary, so runs are deterministic. A core alone with one thread and
 * nothing waiting gets no budget at all.
 *
 * <p>Waits and wake-ups: a thread blocks in its own syscall ({@link #block}) and a waker ends the wait under
 * the thread's lock, so exactly one of the ways a wait can end (its waker, a timeout, a signal, a kill)
 * wins. Each wait has a number: a waker that found the thread on a queue passes the number it saw, and a
 * wait that ended meanwhile is not ended again.
 */
public final class Scheduler implements Futexes.Waker {
    /** What the kernel does around each slice: work before returning to user mode, and after. */
    public interface SliceHooks {
        /** Before a slice: deliver pending signals; returns false if the thread must not run. */
        boolean beforeRun(Core core, Thread thread);

        /** After a slice: handle how it ended (faults, exits, signals). */
        void afterRun(Core core, Thread thread, Cpu.RunResult result);

        /** A dead thread left its core: the last of its process to leave gives the process's resources back. */
        default void leftCore(Core core, Thread thread) {}

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

    /** Translation blocks per slice when a core shares its host thread (about a millisecond of guest code). */
    public static final long SLICE_BLOCKS = 100_000;

    private final List<Core> cores;
    private SliceHooks hooks;
    private Events events;
    /** Whether the cores run on host threads of their own now (set while CoreThreads runs them). */
    private volatile boolean parallel;
    /** Exact mode: whether the cores have had to share the host thread yet (their block hooks are installed). */
    private boolean sharing;
    /** Exact mode: a wake-up or a kick came while a core ran without a budget: it stops at its next trap. */
    private volatile boolean rescheduleAtTrap;
    private volatile boolean preemptible;

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

    /** Parallel mode begins (each core on a host thread of its own) or ends. */
    public void setParallel(boolean on) {
        parallel = on;
    }

    public boolean parallel() {
        return parallel;
    }

    private Core coreOf(Thread t) {
        int i = t.core;
        List<Core> l = cores;
        return i >= 0 && i < l.size() ? l.get(i) : null;
    }

    // ---- placing threads ----

    /** Makes t runnable on its core (or the least loaded core for a thread that has none); a dead t stays dead. */
    public void enqueue(Thread t) {
        Core target;
        synchronized (t.lock) {
            if (t.state == Thread.State.DEAD)
                return;
            t.state = Thread.State.RUNNABLE;
            target = queueOn(t);
        }
        kick(target);
    }

    private Core queueOn(Thread t) {
        return queueOn(t, false);
    }

    /**
     * Puts t on its core's run queue, at the front if it is to finish its slice, or the least loaded online
     * core's. Under t's lock.
     */
    private Core queueOn(Thread t, boolean front) {
        Core target = coreOf(t);
        while (true) {
            if (target != null)
                synchronized (target.runQueue) {
                    if (target.online) {
                        if (target.runQueue.contains(t))
                            return target;
                        if (front)
                            target.runQueue.addFirst(t);
                        else
                            target.runQueue.addLast(t);
                        return target;
                    }
                }
            target = null;
            for (Core c : cores)
                if (c.online && (target == null || c.queued() < target.queued()))
                    target = c;
            t.core = target.id();
        }
    }

    /** Whether some thread other than t waits for a core: t's own core in parallel mode, any core in exact mode. */
    public boolean othersRunnable(Thread t) {
        if (parallel) {
            Core c = coreOf(t);
            return c != null && c.othersQueued(t);
        }
        // By index, not by iterator: a delegated call's wait asks this every 16 spins, and the iterators were
        // a third of the garbage of a syscall-heavy run (find). Exact mode: the cores change only on this thread.
        for (int i = 0; i < cores.size(); i++)
            if (cores.get(i).othersQueued(t))
                return true;
        return false;
    }

    /** Picks the least loaded core for a new thread. */
    public int placeNew() {
        Core best = null;
        int bestLoad = 0;
        for (Core c : cores) {
            int n = load(c);
            if (c.online && (best == null || n < bestLoad)) {
                best = c;
                bestLoad = n;
            }
        }
        return best.id();
    }

    /** Runnable threads on c: queued, and the one on the core from the moment it left the queue. */
    private static int load(Core c) {
        synchronized (c.runQueue) {
            int n = c.runQueue.size();
            Thread running = c.onCore;
            if (running != null && running.state == Thread.State.RUNNABLE && !c.runQueue.contains(running))
                n++;
            return n;
        }
    }

    // ---- kicks: the kernel has work for a core ----

    /**
     * An interprocessor interrupt to core c: in parallel mode it stops at its next block boundary (or
     * wakes from idle) and looks at its run queue; in exact mode the running core, if it runs without a
     * budget, stops at its next trap so that its next slice has one.
     */
    public void kick(Core c) {
        if (parallel) {
            if (c != null)
                c.kick();
        } else {
            rescheduleAtTrap = true;
        }
    }

    /** Kicks the core that runs t now, if one does (a signal, a kill, a stop for t). */
    public void kickIfRunning(Thread t) {
        boolean running;
        synchronized (t.lock) {
            running = t.onCore;
        }
        if (running)
            kick(coreOf(t));
    }

    /** At a syscall or fault: whether the core must stop now to look at its run queue (exact mode). */
    public boolean mustStopAtTrap(Core c) {
        return !parallel && rescheduleAtTrap && !c.hasBudget();
    }

    // ---- waiting ----

    /** Takes t off the CPU's run queue: it waits for something outside the guest (a delegated call, a timer). */
    public long block(Thread t, String reason) {
        return block(t, reason, Thread.Interrupt.NONE, null);
    }

    /**
     * Takes t off the CPU's run queue: it waits in its syscall until {@link #wake}. A signal with a handler
     * ends the wait as mode says ({@link #interrupt}). cancel undoes the wait's bookkeeping (leaves a futex
     * queue, writes nanosleep's remaining time) when the wait ends some other way than by its waker: it runs
     * on t's own core before t returns to user mode, holding no lock. Returns the wait's number. A signal
     * already pending for t ends an interruptible wait at once. A HOST wait (a delegated call) is different:
     * cancel is what asks the proxy to interrupt the call, run for each signal that comes (at once if one is
     * pending), and t waits on until the answer comes.
     */
    public long block(Thread t, String reason, Thread.Interrupt mode, Runnable cancel) {
        hooks.scheduled(coreOf(t), t, "blocks: " + reason);
        long seq;
        synchronized (t.lock) {
            t.waitReason = reason;
            t.interrupt = mode;
            t.cancelWait = cancel;
            seq = ++t.waitSeq;
            if (t.state == Thread.State.DEAD)
                return seq;
            if (mode == Thread.Interrupt.HOST) { // it waits for the host's answer even when a signal came
                t.state = Thread.State.BLOCKED;
                if ((t.pendingMask & ~t.blockedMask) == 0)
                    return seq;
            } else if (mode != Thread.Interrupt.NONE && (t.pendingMask & t.sigwaitSet) != 0) {
                t.interrupted = Thread.Interrupt.RESTART; // sigtimedwait: what it waits for came first
                t.restartAlways = true;
            } else if (mode != Thread.Interrupt.NONE && (t.pendingMask & ~t.blockedMask) != 0) {
                interruptedAs(t, mode); // a signal came before the wait began: it ends the wait now
            } else {
                t.state = Thread.State.BLOCKED;
            }
            if (mode != Thread.Interrupt.HOST)
                return seq;
        }
        cancel.run(); // a signal came while the call was posted: the host call is interrupted at once
        return seq;
    }

    /** Ends t's wait (the waker has already taken it off what it waited on): its syscall returns result. */
    public void wake(Thread t, long result) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED)
                return;
            endWait(t, result);
        }
        kick(coreOf(t));
    }

    /** Ends wait number seq of t with result, if t still waits there; whether it did (a futex wake counts it). */
    @Override
    public boolean wakeIfWaiting(Thread t, long seq, long result) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED || t.waitSeq != seq)
                return false;
            endWait(t, result);
        }
        kick(coreOf(t));
        return true;
    }

    /** The wait ended by its waker: nothing to undo. Under t's lock. */
    private void endWait(Thread t, long result) {
        t.interrupt = Thread.Interrupt.NONE;
        t.cancelWait = null;
        t.pendingResult = result;
        t.hasPendingResult = true;
        t.state = Thread.State.RUNNABLE;
        queueOn(t);
    }

    /** Ends wait number seq of t, if it still waits there, with result (a timeout); its cancel runs on its core. */
    public void timeout(Thread t, long seq, long result) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED || t.waitSeq != seq)
                return;
            t.interrupt = Thread.Interrupt.NONE;
            t.pendingResult = result;
            t.hasPendingResult = true;
            t.state = Thread.State.RUNNABLE;
            queueOn(t);
        }
        kick(coreOf(t));
    }

    /** Ends wait number seq of t by running its syscall again (wait4 after a child changed state). */
    public void wakeToRestart(Thread t, long seq) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED || t.waitSeq != seq)
                return;
            restart(t);
        }
        kick(coreOf(t));
    }

    /** Ends t's wait, if it waits for a signal it now has, by running its syscall again (rt_sigtimedwait). */
    public void wakeSigwait(Thread t) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED || (t.pendingMask & t.sigwaitSet) == 0)
                return;
            restart(t);
        }
        kick(coreOf(t));
    }

    private void restart(Thread t) {
        t.interrupt = Thread.Interrupt.NONE;
        t.interrupted = Thread.Interrupt.RESTART;
        t.restartAlways = true;
        t.state = Thread.State.RUNNABLE;
        queueOn(t);
    }

    /**
     * A signal for t arrived: if it waits interruptibly, the wait ends and delivery decides EINTR or
     * restart; if it runs on a core, that core is kicked so that it delivers the signal soon.
     */
    public void interrupt(Thread t) {
        boolean running;
        Runnable hostCall = null;
        synchronized (t.lock) {
            running = t.onCore;
            if (t.state == Thread.State.BLOCKED && t.interrupt == Thread.Interrupt.HOST) {
                hostCall = t.cancelWait; // the proxy ends the call; its answer wakes t (wakeInterrupted)
            } else if (t.state == Thread.State.BLOCKED && t.interrupt != Thread.Interrupt.NONE) {
                interruptedAs(t, t.interrupt);
                t.interrupt = Thread.Interrupt.NONE;
                t.state = Thread.State.RUNNABLE;
                queueOn(t);
                running = true;
            }
        }
        if (hostCall != null)
            hostCall.run();
        if (running)
            kick(coreOf(t));
    }

    /** What delivery does with t's interrupted syscall. Under t's lock. */
    private static void interruptedAs(Thread t, Thread.Interrupt mode) {
        t.interrupted = mode == Thread.Interrupt.RESTART_ALWAYS ? Thread.Interrupt.RESTART : mode;
        t.restartAlways = mode == Thread.Interrupt.RESTART_ALWAYS;
    }

    /**
     * Ends t's wait for a host call that was interrupted for a signal (its answer was EINTR): delivery then
     * restarts the call or fails it as mode says (RESTART: again after a handler with SA_RESTART; EINTR: only
     * if no handler runs).
     */
    public void wakeInterrupted(Thread t, Thread.Interrupt mode) {
        synchronized (t.lock) {
            if (t.state != Thread.State.BLOCKED)
                return;
            endWait(t, -jmck.lwk.abi.Errno.EINTR);
            t.interrupted = mode;
        }
        kick(coreOf(t));
    }

    // ---- running ----

    /** Exact mode: runs every core on the calling host thread until done says stop. */
    public void run(BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            events.tick();
            boolean ran = false;
            for (Core c : cores) {
                while (runNext(c)) {
                    ran = true;
                    if (done.getAsBoolean())
                        return;
                    if (c.unfinishedSlice == null)
                        break;
                    events.tick(); // a slice a trap ended early goes on, after what may have stopped it (a timer)
                }
                if (done.getAsBoolean())
                    return;
            }
            if (!ran)
                events.idle();
        }
    }

    /** Picks the next runnable thread from c's run queue and runs one slice of it; false if there was none. */
    public boolean runNext(Core c) {
        Thread t = pick(c);
        if (t == null)
            return false;
        try {
            runSlice(c, t);
        } finally {
            putDown(c, t);
        }
        return true;
    }

    /** The first runnable thread of c's queue, now on the core (a kill after this waits for putDown). */
    private static Thread pick(Core c) {
        while (true) {
            Thread t;
            synchronized (c.runQueue) {
                t = c.runQueue.pollFirst();
                c.onCore = t; // counted in load() from now: a thread placed meanwhile must see it
            }
            if (t == null)
                return null;
            synchronized (t.lock) {
                if (t.state == Thread.State.RUNNABLE) {
                    t.onCore = true;
                    return t;
                }
            }
        }
    }

    private void runSlice(Core c, Thread t) {
        if (c.current() != t)
            hooks.scheduled(c, t, "runs");
        c.load(t);
        if (!hooks.beforeRun(c, t))
            return;
        boolean share = parallel ? c.othersQueued(t) : mustShare(c);
        if (share && !sharing && !parallel) { // the first time any core shares: every core gets its hook now (see Core)
            sharing = true;
            for (Core other : cores)
                other.prepareToShare();
        }
        if (!parallel)
            rescheduleAtTrap = false;
        boolean resumes = c.unfinishedSlice == t && c.unfinishedBlocks > 0;
        c.unfinishedSlice = null;
        c.setBudget(!share ? 0 : resumes ? c.unfinishedBlocks : SLICE_BLOCKS);
        t.cpu.sliceStarts(System.nanoTime());
        long steps = hooks.instructionLimit(c, t);
        Cpu.RunResult r = steps > 0 ? c.cpu().step(t.rip, steps) : c.cpu().run(t.rip);
        t.cpu.sliceEnds(System.nanoTime());
        long left = share && steps == 0 && !t.yieldRequested ? c.cpu().budgetLeft() : 0;
        if (left > 0) { // a trap ended it: the rest of the slice comes next (see Core.unfinishedSlice)
            c.unfinishedSlice = t;
            c.unfinishedBlocks = left;
        }
        t.yieldRequested = false;
        if (t.alive())
            t.rip = c.cpu().reg(X86Reg.RIP);
        hooks.afterRun(c, t, r);
    }

    /** The slice ended: t leaves the core; a runnable t goes to the back of the queue, a dead one is let go. */
    private void putDown(Core c, Thread t) {
        boolean dead;
        synchronized (t.lock) {
            if (!c.online && t.state != Thread.State.DEAD)
                c.saveForMigration(); // hot-unplug: its registers go with it to another core
            t.onCore = false;
            synchronized (c.runQueue) {
                c.onCore = null;
            }
            dead = t.state == Thread.State.DEAD;
            if (t.state == Thread.State.RUNNABLE)
                queueOn(t, c.unfinishedSlice == t);
        }
        if (dead) {
            hooks.scheduled(c, t, "ends");
            c.dropCurrent(t);
            t.releaseContext();
            hooks.leftCore(c, t);
        }
    }

    /**
     * Exact mode: makes every core run in slices even when it is alone, so that work arriving from other host
     * threads (a signal from the host, a new mcexec process, hot-plug) is taken within a slice even if the
     * guest spins without a syscall. It costs the per-block hook; an instance daemon, or a guest that handles
     * SIGINT/SIGTERM, needs it. A core already running without a budget gets one at its next slice, so a
     * caller on a core should end its slice (a yield). Parallel mode needs none of this: kicks reach a core.
     *
     * @return whether this changed the setting
     */
    public boolean setPreemptible(boolean on) {
        boolean changed = preemptible != on;
        preemptible = on;
        return changed;
    }

    /** Exact mode: whether the core must give the host thread back after a slice. */
    private boolean mustShare(Core self) {
        if (preemptible || self.queued() > 0 || events.waitingForEvents())
            return true;
        for (Core c : cores)
            if (c != self && c.queued() > 0)
                return true;
        return false;
    }
}
