package jmck.lwk;

import java.util.PriorityQueue;

/**
 * The kernel's timers (nanosleep, futex and sigtimedwait timeouts, `jmck run --timeout`): an action to run
 * at a deadline (System.nanoTime), on the kernel's thread, by the event loop's tick. Safe to add to from
 * any host thread.
 */
public final class Timers {
    private record Timer(long deadline, Runnable action) {}

    // not Comparator.comparingLong: its lambda is made with ASM at every start (the class-data archive cannot hold it)
    /** @GuardedBy("this") */
    // (classes, not lambdas: the kernel makes these at boot, where linking a lambda took 0.2-0.9 ms)
    private final PriorityQueue<Timer> queue = new PriorityQueue<>(new java.util.Comparator<Timer>() {
        @Override
        public int compare(Timer a, Timer b) {
            return Long.compare(a.deadline(), b.deadline());
        }
    });
    /** Told when a timer comes first: the kernel's thread may be asleep until a later deadline. */
    private volatile Runnable onEarliest = new Runnable() {
        @Override
        public void run() {}
    };

    void setOnEarliest(Runnable r) {
        onEarliest = r;
    }

    /** Runs action at deadline (System.nanoTime) on the kernel's thread. */
    public void add(long deadline, Runnable action) {
        Timer t = new Timer(deadline, action);
        boolean first;
        synchronized (this) {
            queue.add(t);
            first = queue.peek() == t;
        }
        if (first)
            onEarliest.run();
    }

    /** Runs every timer whose deadline has passed (outside the lock: an action may add a timer). */
    void fireDue() {
        while (true) {
            Timer due;
            synchronized (this) {
                due = queue.peek();
                if (due == null || due.deadline() > System.nanoTime())
                    return;
                queue.poll();
            }
            due.action().run();
        }
    }

    /** Nanoseconds until the next deadline (0 or less if one passed), or Long.MAX_VALUE if there is none. */
    synchronized long nanosToNext() {
        Timer next = queue.peek();
        return next == null ? Long.MAX_VALUE : next.deadline() - System.nanoTime();
    }

    public synchronized boolean isEmpty() {
        return queue.isEmpty();
    }
}
