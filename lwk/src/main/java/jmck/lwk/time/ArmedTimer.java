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

    /**
     * What happens at an expiry: overrun is how many further intervals passed unnoticed (0 usually). False
     * pauses a periodic timer until {@link #resume}: a POSIX timer whose signal waits to be taken, which
     * Linux re-arms only when it is (an interval of a nanosecond would otherwise expire without end).
     */
    public interface Expiry {
        boolean expired(int overrun);
    }

    /**
     * How soon a timer whose clock has not reached its expiry looks again, at the least. The kernel's
     * thread runs due timers in a loop, and a CPU-time clock stands still meanwhile (its thread is not
     * running then): looking again a few nanoseconds later would go round that loop for ever. Linux checks
     * CPU timers at its scheduler tick, milliseconds apart.
     */
    private static final long RECHECK_NANOS = 100_000;
    private final Host host;
    private final int clock;
    /** The thread whose clock a CPU-time clock reads (and whose process's, for the process clock). */
    private final Thread owner;
    private final Expiry expiry;
    private long generation;
    /** The next expiry on the clock (0: disarmed), and the interval (0: once). */
    private long next, interval;
    /** A periodic timer whose expiry asked to wait ({@link Expiry}): next is kept, nothing is scheduled. */
    private boolean paused;
    /** resume came between an expiry and its pause (the signal was taken at once): no pause then. */
    private boolean resumedEarly;

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
        paused = false;
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
        scheduleAfter(Math.max(0, next - now));
    }

    private void scheduleAfter(long wait) {
        long gen = generation;
        host.at(System.nanoTime() + wait, () -> fire(gen));
    }

    private void fire(long gen) {
        int overrun = 0;
        synchronized (this) {
            if (gen != generation || next == 0)
                return;
            long now = host.now(clock, owner);
            if (now < next) { // a CPU clock that has not got there yet, or a wall clock set back
                scheduleAfter(Math.max(next - now, RECHECK_NANOS));
                return;
            }
            resumedEarly = false;
            if (interval > 0) {
                long missed = (now - next) / interval;
                overrun = (int) Math.min(missed, Integer.MAX_VALUE);
                next += (missed + 1) * interval;
            } else {
                next = 0;
            }
        }
        boolean again = expiry.expired(overrun);
        synchronized (this) {
            if (gen == generation && next != 0) {
                if (again || resumedEarly)
                    schedule(host.now(clock, owner));
                else
                    paused = true;
            }
        }
    }

    /**
     * A paused timer runs on (its signal was taken); returns the intervals that ended while it was paused,
     * overruns of that signal, as Linux's posixtimer_rearm counts them.
     */
    public synchronized long resume() {
        if (!paused) {
            resumedEarly = true;
            return 0;
        }
        if (next == 0)
            return 0;
        paused = false;
        long now = host.now(clock, owner), missed = 0;
        if (now >= next) {
            missed = (now - next) / interval + 1;
            next += missed * interval;
        }
        schedule(now);
        return missed;
    }
}
