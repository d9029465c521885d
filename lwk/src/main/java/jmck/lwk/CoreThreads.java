package jmck.lwk;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Scheduler;

/**
 * Parallel mode: every core runs on a host thread of its own, as real cores run at once. Each core loops
 * (McKernel's per-CPU schedule loop): clear its kicks, do the calls other threads left for it, run one
 * slice of the next thread on its run queue, or sleep on a host park until kicked. Syscalls and faults run
 * on the trapping core's thread. The thread that called {@link #run} runs the event loop meanwhile: work
 * handed in from outside, the IKC channels' answers, timers; it sleeps on the instance's doorbell.
 */
final class CoreThreads {
    /** The longest an idle core sleeps without looking at its queue (a kick wakes it at once). */
    private static final long IDLE_NANOS = 100_000_000L;

    private final Kernel k;
    private final Map<Core, Thread> threads = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    CoreThreads(Kernel k) {
        this.k = k;
    }

    /** Starts a host thread per core, runs the event loop on the calling thread until done, stops the cores. */
    void run(BooleanSupplier done) {
        Scheduler scheduler = k.scheduler();
        stopping = false;
        scheduler.setParallel(true);
        try {
            for (Core c : k.cores())
                start(c);
            EventLoop events = k.eventLoop();
            while (!done.getAsBoolean()) {
                events.tick();
                if (done.getAsBoolean())
                    break;
                events.idle();
            }
        } finally {
            stopping = true;
            for (Core c : threads.keySet())
                stop(c);
            scheduler.setParallel(false);
        }
    }

    /** Whether the cores run on their own threads now. */
    boolean running() {
        return k.scheduler().parallel() && !stopping;
    }

    /** Starts core c's host thread (at run, or when hot-plug adds a core meanwhile). */
    void start(Core c) {
        Thread t = new Thread("jmck core " + c.id()) { // a class, not a lambda: see Kernel.LocalFilesHooks
            @Override
            public void run() {
                loop(c);
            }
        };
        t.setDaemon(true);
        c.bindHost(t);
        threads.put(c, t);
        t.start();
    }

    /** Stops core c's host thread (at the end of run, or for hot-unplug) and waits for it. */
    void stop(Core c) {
        Thread t = threads.remove(c);
        if (t == null)
            return;
        c.leave();
        while (t.isAlive()) {
            k.scheduler().kick(c);
            try {
                t.join(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        c.bindHost(null);
    }

    private void loop(Core c) {
        Scheduler scheduler = k.scheduler();
        try {
            c.enableIpis();
            c.cpu().answerFutexWakes(k.futexWakesWord()); // a core plugged in since the run began
            c.prepareTlb();
            while (!stopping && !c.leaving()) {
                c.takeKicks(); // before looking for work: a kick after this stops the next slice at once
                c.runCalls();
                if (scheduler.runNext(c) || stopping || c.leaving())
                    continue;
                // Idle. Code freed meanwhile is retired here too: it is otherwise retired before a slice,
                // and an idle core that left it pending counted it as work and spun without sleeping.
                c.retirePendingCode();
                if (!c.hasWork())
                    LockSupport.parkNanos(this, IDLE_NANOS); // kick unparks
            }
        } catch (RuntimeException | Error e) {
            k.kmsg().log("core %d: failed: %s", c.id(), e);
            System.err.println("jmck: core " + c.id() + " failed: " + e);
            throw e;
        } finally {
            c.runCalls(); // a caller waiting in callOnCore must not wait forever
        }
    }
}
