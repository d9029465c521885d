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
 *     drops to the least: the host is oversubscribed, the side it waits for is probably waiting for a CPU
 *     too, and spinning would only delay it. Every 64 rounds the spinner also yields its CPU to whoever
 *     else is runnable on it.
 * <li>No spin at all while the host has more runnable threads than CPUs (procs_running in /proc/stat,
 *     looked at every {@link #LOAD_SAMPLE_NANOS}): then a futex sleep hands the CPU over at once, and
 *     the woken side runs sooner than a spinner that must wait for its turn.
 * </ul>
 * One per waiting thread: not thread-safe, no locks. Use: {@code start()}; check; while not ready:
 * {@code if (!spin()) sleep}; when ready after spinning, {@code done()}.
 */
public final class AdaptiveSpin {
    /** The least and most a wait spins (jmck.ikc.spin sets the most; 0 turns spinning off). */
    static final long MIN_NANOS = 2_000, MAX_NANOS = Long.getLong("jmck.ikc.spin", 100_000);
    /** A gap this long between two looks at the clock means the thread lost its CPU meanwhile. */
    static final long PREEMPTED_NANOS = 30_000;
    /** How often the host's load is looked at. */
    static final long LOAD_SAMPLE_NANOS = 50_000_000;
    private static final int CPUS = Runtime.getRuntime().availableProcessors();
    private static volatile long loadSampled;
    private static volatile boolean hostBusy;

    private long budget = Math.min(MAX_NANOS, 20_000);
    private long start, last, end;
    private int rounds;

    /** Begins a wait. */
    public void start() {
        start = last = System.nanoTime();
        end = hostBusy(start) ? start : start + budget;
    }

    /** Whether the host has more runnable threads than CPUs (sampled; races between samplers are harmless). */
    static boolean hostBusy(long now) {
        if (now - loadSampled > LOAD_SAMPLE_NANOS) {
            loadSampled = now;
            hostBusy = runnableThreads() > CPUS;
        }
        return hostBusy;
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
        long now = System.nanoTime();
        if (now - last > PREEMPTED_NANOS) {
            budget = Math.min(MIN_NANOS, MAX_NANOS);
            return false;
        }
        if (now >= end) {
            if (end > start) // it spun: the wait was longer than the budget
                budget = Math.min(MAX_NANOS, Math.max(MIN_NANOS, budget / 2));
            return false;
        }
        last = now;
        if ((++rounds & 63) == 0)
            java.lang.Thread.yield();
        else
            java.lang.Thread.onSpinWait();
        return true;
    }

    /** The wait begun with {@link #start} ended while spinning. */
    public void done() {
        long took = System.nanoTime() - start;
        budget = Math.min(MAX_NANOS, Math.max(budget, 2 * took + MIN_NANOS));
    }

    /** The current budget, for tests and statistics. */
    public long budgetNanos() {
        return budget;
    }
}
