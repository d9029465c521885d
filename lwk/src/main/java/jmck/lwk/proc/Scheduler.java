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
    /** What the kernel does around each slice: work before returning to user mode, and idling. */
    public interface Hooks {
        /** Before a slice: deliver pending signals; returns false if the thread must not run. */
        boolean beforeRun(Core core, Thread thread);

        /** After a slice: handle how it ended (faults, exits, signals). */
        void afterRun(Core core, Thread thread, Cpu.RunResult result);

        /** At the start of each round: fire expired timers. */
        void tick();

        /** Nothing can run: wait for a wake-up (a delegated syscall finishing, a timer) or the deadline. */
        void idle();

        /** Whether some thread waits for an outside event, so a running core must come back to check. */
        boolean waitingForEvents();

        /** After beforeRun: 0 for a normal slice, n to run just n instructions (a debugger single-steps). */
        default long instructionLimit(Core core, Thread thread) {
            return 0;
        }
    }

    /** Translation blocks per slice when a core shares the host thread (about a millisecond of guest code). */
    public static final long SLICE_BLOCKS = 100_000;

    private final List<Core> cores;
    private final Hooks hooks;

    public Scheduler(List<Core> cores, Hooks hooks) {
        this.cores = cores;
        this.hooks = hooks;
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

    /** Takes t off the CPU's run queue: it waits for something. */
    public void block(Thread t, String reason) {
        t.state = Thread.State.BLOCKED;
        t.waitReason = reason;
    }

    /** Runs threads until done says stop. */
    public void run(BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            hooks.tick();
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
                hooks.idle();
        }
    }

    private void runSlice(Core c, Thread t) {
        c.load(t);
        if (!hooks.beforeRun(c, t))
            return;
        c.setBudget(mustShare(c) ? SLICE_BLOCKS : 0);
        t.sliceStart = System.nanoTime();
        long steps = hooks.instructionLimit(c, t);
        Cpu.RunResult r = steps > 0 ? c.cpu().step(t.rip, steps) : c.cpu().run(t.rip);
        t.cpuNanos += System.nanoTime() - t.sliceStart;
        t.sliceStart = 0;
        t.yieldRequested = false;
        if (t.alive())
            t.rip = c.cpu().reg(X86Reg.RIP);
        hooks.afterRun(c, t, r);
        if (!t.alive())
            c.dropCurrent(t);
    }

    /** Whether the core must give the host thread back after a slice. */
    private boolean mustShare(Core self) {
        if (!self.runQueue.isEmpty() || hooks.waitingForEvents())
            return true;
        for (Core c : cores)
            if (c != self && !c.runQueue.isEmpty())
                return true;
        return false;
    }
}
