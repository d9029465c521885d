package jmck.lwk;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.proc.Scheduler;

/**
 * What the kernel does between slices, and how it idles: work other host threads hand it ({@link #submit}:
 * a control request, a host signal), pollers (the IKC channels' responses), due {@link Timers}; and, with
 * nothing to run, sleeping on the {@link Idler} until someone rings it or the next timer is due.
 */
public final class EventLoop implements Scheduler.Events {
    /**
     * How an idle kernel sleeps and is woken. By default a Java monitor; an instance daemon uses its IKC
     * doorbell, a word in shared memory that proxies in other processes can ring.
     */
    public interface Idler {
        /** A value to wait for a change from. */
        int count();

        /**
         * Sleeps until count changes or nanos pass. soon: a ring is likely soon (a thread waits for the
         * host), so an idler may spin briefly before it sleeps.
         */
        void await(int count, long nanos, boolean soon);

        void wake();
    }

    /** The longest an idle kernel sleeps without looking around. */
    private static final long IDLE_NANOS = 10_000_000L;

    private final Kernel k;
    /** Work other threads hand to the kernel: it runs on the kernel's thread, between slices. */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Polled on the kernel's thread at every tick (the IKC channels' responses). */
    private final List<Runnable> pollers = new CopyOnWriteArrayList<>();
    private volatile Idler idler = new MonitorIdler();
    /** Threads blocked on something outside the cores (a delegated syscall); guarded by this. */
    private int externalWaits;
    /** The idler's count when the last tick began: a ring after it must not be slept through. */
    private int seenAtTick;

    EventLoop(Kernel k) {
        this.k = k;
    }

    public void setIdler(Idler idler) {
        this.idler = idler;
    }

    /** Runs task on the kernel's thread soon (safe from any thread). */
    public void submit(Runnable task) {
        tasks.add(task);
        wake();
    }

    /** Adds work polled at every tick on the kernel's thread. */
    public void addPoller(Runnable poller) {
        pollers.add(poller);
    }

    /** Wakes an idle kernel (a delegated syscall finished, a process ended). */
    public void wake() {
        idler.wake();
    }

    /** Counts threads blocked on something outside the cores (a delegated syscall, a timer). */
    public synchronized void externalWait(int delta) {
        externalWaits += delta;
    }

    @Override
    public void tick() {
        seenAtTick = idler.count();
        for (Runnable task; (task = tasks.poll()) != null; )
            task.run();
        for (Runnable p : pollers)
            p.run();
        k.timers().fireDue();
    }

    @Override
    public void idle() {
        Idler i = idler;
        int seen = seenAtTick;
        if (!tasks.isEmpty())
            return;
        long waitNanos = Math.min(IDLE_NANOS, k.timers().nanosToNext());
        // Spinning pays only for an answer on its way: otherwise (the cores busy with the program, nothing
        // asked of the host) it took CPU from the cores at every wake-up, 1.5-2% of a CPU during OpenMP CG
        boolean soon;
        synchronized (this) {
            soon = externalWaits > 0;
        }
        if (waitNanos > 0)
            i.await(seen, waitNanos, soon);
    }

    @Override
    public boolean waitingForEvents() {
        DebugHooks d = k.debugHooks();
        if (d != null && d.wantsSlices())
            return true;
        synchronized (this) {
            if (externalWaits > 0)
                return true;
        }
        return !k.timers().isEmpty();
    }

    /** The default idler: a Java monitor. */
    private static final class MonitorIdler implements Idler {
        private int count;

        @Override
        public synchronized int count() {
            return count;
        }

        @Override
        public synchronized void await(int seen, long nanos, boolean soon) {
            if (count != seen)
                return;
            try {
                wait(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
            }
        }

        @Override
        public synchronized void wake() {
            count++;
            notifyAll();
        }
    }
}
