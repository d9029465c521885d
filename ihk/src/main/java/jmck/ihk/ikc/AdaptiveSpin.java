package jmck.ihk.ikc;

/**
 * How long a thread spins for the other side of an IKC channel before it sleeps in the kernel, learnt from
 * its recent waits, as HotSpot's adaptive spinning and glibc's adaptive mutexes learn theirs. A futex sleep
 * and wake-up costs tens of microseconds, a delegated call's round trip a few: spinning pays while the
 * answer comes soon and both sides have a CPU.
 *
 * <ul>
 * <li>A wait that ends while spinning lets the budget grow to twice that wait (at most {@link #MAX_NANOS}).
 * <li>A spin that runs out halves it (at least {@link #MIN_NANOS}): the other side is slow (a read from a
 *     terminal, a wait for a child), sleeping costs little beside it.
 * <li>A spin that sees the host take its CPU away (a gap between two looks at the clock) stops at once and
 *     halves the budget: the host is oversubscribed, the side it waits for is probably waiting for a CPU
 *     too, and spinning would only delay it. (A spinner does not call sched_yield: on a loaded host that
 *     gave the CPU away for a whole time slice while the answer waited, 45 us a call.)
 * <li>A wait that ended after the thread slept, but within {@link #MAX_NANOS} of its start, lets the budget
 *     grow to twice that wait too ({@link #waited}): a spin that had gone on would have caught it. Without
 *     this, two sides that both sleep never learn that spinning would pay: each one's wait is long because
 *     the other sleeps.
 * <li>After {@link #PROBE_AFTER} spins in a row that ran out, the next wait spins for the most once: a budget
 *     that has shrunk below the other side's answer time (one preemption, one slow call) could otherwise
 *     never succeed again, and every wait would pay a sleep and a wake-up.
 * <li>No spin at all while the host has more runnable threads than CPUs (procs_running in /proc/stat,
 *     looked at every {@link #LOAD_SAMPLE_NANOS}): then a futex sleep hands the CPU over at once, and
 *     the woken side runs sooner than a spinner that must wait for its turn.
 * </ul>
 * One per waiting thread: not thread-safe, no locks. Use: {@code start()}; check; while not ready:
 * {@code if (!spin()) sleep}; when ready after spinning, {@code done()}; when ready after sleeping,
 * {@code waited(nanos)}.
 */
public final class AdaptiveSpin {
    /** The least and most a wait spins (jmck.ikc.spin sets the most; 0 turns spinning off). */
    static final long MIN_NANOS = 2_000, MAX_NANOS = Long.getLong("jmck.ikc.spin", 100_000);
    /** A gap this long between two looks at the clock means the thread lost its CPU meanwhile. */
    static final long PREEMPTED_NANOS = 30_000;
    /** How often the host's load is looked at. */
    static final long LOAD_SAMPLE_NANOS = 50_000_000;
    /** Spins that ran out in a row before a wait spins for the most again. */
    static final int PROBE_AFTER = 8;
    private static final int CPUS = Runtime.getRuntime().availableProcessors();
    private static volatile long loadSampled;
    private static volatile boolean hostBusy;
    private static final LoadVerdict LOAD = new LoadVerdict();

    /** The clock, and whether the host's load is looked at (tests drive both). */
    private final java.util.function.LongSupplier clock;
    private final boolean watchHost;
    private long budget = Math.min(MAX_NANOS, 20_000);
    private long start, last, end;
    private int misses;

    public AdaptiveSpin() {
        this(SYSTEM_CLOCK, true);
    }

    /** System.nanoTime (a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms). */
    private static final java.util.function.LongSupplier SYSTEM_CLOCK = new java.util.function.LongSupplier() {
        @Override
        public long getAsLong() {
            return System.nanoTime();
        }
    };

    AdaptiveSpin(java.util.function.LongSupplier clock, boolean watchHost) {
        this.clock = clock;
        this.watchHost = watchHost;
    }

    /** Begins a wait. */
    public void start() {
        start = last = clock.getAsLong();
        long spin = budget;
        if (misses >= PROBE_AFTER) {
            misses = 0;
            spin = MAX_NANOS;
        }
        end = watchHost && hostBusy(start) ? start : start + spin;
    }

    /** Whether the host is busy, as {@link LoadVerdict} judges its samples (races between samplers are harmless). */
    static boolean hostBusy(long now) {
        if (now - loadSampled > LOAD_SAMPLE_NANOS) {
            loadSampled = now;
            hostBusy = LOAD.sample(runnableThreads() > CPUS);
        }
        return hostBusy;
    }

    /**
     * Busy once two samples in a row saw more runnable threads than CPUs, quiet again at the first sample that
     * did not. A lone sample over the CPUs is no load: on a quiet host the JVM's own periodic threads, a
     * compiler thread or a shell's command are caught by one now and then, and every wait of the next
     * {@link #LOAD_SAMPLE_NANOS} then slept instead of spinning (a delegated call's round trip became a futex
     * hand-over each way). A CPU-bound process beside is caught by every sample: spinning stops 50 ms later.
     */
    static final class LoadVerdict {
        private boolean overBefore;

        synchronized boolean sample(boolean over) {
            boolean busy = over && overBefore;
            overBefore = over;
            return busy;
        }
    }

    /** procs_running of /proc/stat (this process's own running threads included), or 0 if unknown. */
    private static int runnableThreads() {
        try {
            String stat = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/stat")),
                    java.nio.charset.StandardCharsets.US_ASCII);
            int i = stat.indexOf("procs_running ");
            if (i < 0)
                return 0;
            int j = i + 14, k = j;
            while (k < stat.length() && Character.isDigit(stat.charAt(k)))
                k++;
            return Integer.parseInt(stat.substring(j, k));
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** One round of spinning after a look that found nothing: false when the thread should sleep instead. */
    public boolean spin() {
        long now = clock.getAsLong();
        if (now - last > PREEMPTED_NANOS || now >= end) {
            if (end > start) { // it spun: the wait was longer than the budget, or the host took the CPU
                budget = Math.min(MAX_NANOS, Math.max(MIN_NANOS, budget / 2));
                misses++;
            }
            return false;
        }
        last = now;
        java.lang.Thread.onSpinWait();
        return true;
    }

    /**
     * The wait begun with {@link #start} ended after the thread stopped spinning and slept, nanos after it
     * began (measured by whoever saw it end; a race with the waiting thread's own updates is harmless).
     */
    public void waited(long nanos) {
        if (nanos < MAX_NANOS) {
            budget = Math.min(MAX_NANOS, Math.max(budget, 2 * nanos + MIN_NANOS));
            misses = 0;
        }
    }

    /** The wait begun with {@link #start} ended while spinning. */
    public void done() {
        long took = clock.getAsLong() - start;
        budget = Math.min(MAX_NANOS, Math.max(budget, 2 * took + MIN_NANOS));
        misses = 0;
    }

    /** The current budget, for tests and statistics. */
    public long budgetNanos() {
        return budget;
    }
}
