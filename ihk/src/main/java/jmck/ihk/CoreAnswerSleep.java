package jmck.ihk;

import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.Kernel;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Thread;

/**
 * How a core with nothing else to run waits for a delegated call's answer once spinning for it has stopped
 * paying (a busy host, a slow call): in parallel mode, asleep on the slot's awaited word, so that the proxy
 * worker's answer wakes this core's host thread itself. Blocking the guest thread instead sends the answer
 * through the LWK's event loop: the worker rings the instance's doorbell, the event loop wakes, takes the
 * answer and kicks the core, which wakes from its park: three wake-ups per call (post, answer, kick) where
 * this makes two, as many as jmck run's single-threaded exact mode needs.
 *
 * <p>Anything that wants the core ends the sleep: a kick (a thread woken on this core, a signal or a kill
 * for this thread, hot-unplug, the end of the run) calls the core's waker, which wakes the sleeper; then
 * the caller blocks its thread as before, and the poll takes the answer. Not in exact mode (the core's
 * thread runs the event loop, which must not sleep here), and not with more cores than host CPUs (a core
 * asleep inside a syscall would keep the host CPU token another core waits for).
 */
final class CoreAnswerSleep {
    /** The longest a core sleeps here before it blocks the thread and goes back to its loop. */
    static final long SLEEP_NANOS = Long.getLong("jmck.ikc.sleep", 2_000_000L);
    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    private CoreAnswerSleep() {}

    /** The kick count of t's core when a call is posted (the sleep later begins only if it has not moved), or -1. */
    static long kicks(Kernel k, Thread t) {
        Core c = coreOf(k, t);
        return c == null ? -1 : c.kicks();
    }

    /**
     * Sleeps for slot's answer on t's core if nothing else wants the core; true if the answer is there.
     * The caller then calls {@code ch.answers().stop(slot)} and takes the answer, or blocks t.
     */
    static boolean sleep(Kernel k, Thread t, IkcChannel ch, int slot, long kicksAtPost) {
        Core c = coreOf(k, t);
        if (SLEEP_NANOS <= 0 || c == null || kicksAtPost < 0 || k.cores().size() > CPUS)
            return false;
        c.setWaker(new Runnable() { // a class, not a lambda: linking one cost a program's first delegated call up to 2 ms
            @Override
            public void run() {
                ch.answers().wake(slot);
            }
        });
        try {
            ch.answers().markAsleep(slot); // then look at the kicks: a kick after this finds the word and wakes the sleep
            if (c.kicks() != kicksAtPost || k.scheduler().othersRunnable(t))
                return false;
            long began = System.nanoTime();
            boolean answered = ch.answers().sleep(slot, SLEEP_NANOS);
            t.cpu().slept(System.nanoTime() - began); // not the thread's CPU time
            return answered;
        } finally {
            c.setWaker(null);
        }
    }

    /** t's core, if it runs on a host thread of its own and this is that thread. */
    private static Core coreOf(Kernel k, Thread t) {
        if (!k.scheduler().parallel())
            return null;
        int i = t.core();
        java.util.List<Core> cores = k.cores();
        Core c = i >= 0 && i < cores.size() ? cores.get(i) : null;
        return c != null && c.parallel() && c.onOwnHostThread() ? c : null;
    }
}
