package jmck.lwk.time;

import jmck.lwk.proc.Thread;

/**
 * One timer that can be armed on a clock with a first expiry and an interval (an itimer, a POSIX timer):
 * Linux's hrtimer plus the CPU-clock timers of posix-cpu-timers.c. Expiries come from the kernel's timer
 * queue; a timer re-armed or disarmed meanwhile has a new generation, so what the queue still holds for
 * the old one does nothing. A CPU-time clock advances no faster than passing time, so its timer first
 * wakes when the remaining CPU time could at the earliest be used up, and looks again then.
 * Synchronized on itself: expiries run on the kernel's timer thread, syscalls on the cores'.
 */
public final class ArmedTimer {
    /** What the timer needs from the kernel: a wake-up at a host monotonic time, and its clock's reading. */
    public interface Host {
        void at(long hostNanos, Runnable action);

        long now(int clock, Thread owner);
    }

    /** What happens at an expiry: overrun is how many further intervals passed unnoticed (0 usually). */
    public interface Expiry {
        void expired(int overrun);
    }

    private final Host host;
    private final int clock;
    /** The thread whose clock a CPU-time clock reads (and whose process's, for the process clock). */
    private final Thread owner;
    private final Expiry expiry;
    private long generation;
    /** The next expiry on the clock (0: disarmed), and the interval (0: once). */
    private long next, interval;

    public ArmedTimer(Host host, int clock, Thread owner, Expiry expiry) {
        this.host = host;
        this.clock = clock;
        this.owner = owner;
        this.expiry = expiry;
    }

    public int clock() {
        return clock;
    }

    /**
     * Arms the timer to expire at value on its clock (or value from now if not absolute), then every
     * interval; a value of 0 disarms it. Returns the previous {remaining, interval}.
     */
    public synchronized long[] set(long value, long interval, boolean absolute) {
        long[] old = get();
        generation++;
        this.interval = interval;
        if (value == 0) {
            next = 0;
            return old;
        }
        long now = host.now(clock, owner);
        next = absolute ? value : now + value;
        if (next <= 0)
            next = 1;
        schedule(now);
        return old;
    }

    /** {time left to the next expiry (0: disarmed), interval}. */
    public synchronized long[] get() {
        if (next == 0)
            return new long[] {0, interval};
        long left = next - host.now(clock, owner);
        return new long[] {Math.max(left, 1), interval};
    }

    public synchronized boolean armed() {
        return next != 0;
    }

    /** Disarms the timer for good (its process ended, or it was deleted). */
    public synchronized void cancel() {
        generation++;
        next = 0;
    }

    private void schedule(long now) {
        long gen = generation;
        long wait = Math.max(0, next - now);
        host.at(System.nanoTime() + wait, () -> fire(gen));
    }

    private void fire(long gen) {
        int overrun = 0;
        synchronized (this) {
            if (gen != generation || next == 0)
                return;
            long now = host.now(clock, owner);
            if (now < next) { // a CPU clock that has not got there yet, or a wall clock set back
                schedule(now);
                return;
            }
            if (interval > 0) {
                long missed = (now - next) / interval;
                overrun = (int) Math.min(missed, Integer.MAX_VALUE);
                next += (missed + 1) * interval;
                schedule(now);
            } else {
                next = 0;
            }
        }
        expiry.expired(overrun);
    }
}
