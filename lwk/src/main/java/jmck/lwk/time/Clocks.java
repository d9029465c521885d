package jmck.lwk.time;

import java.time.Instant;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * The clocks a guest reads (clock_gettime's ids). There is no vDSO, so every read is a syscall. They are the
 * host's: CLOCK_REALTIME from its wall clock, CLOCK_MONOTONIC from its monotonic clock; the CPU clocks
 * count the time threads spent on emulated cores.
 */
public final class Clocks {
    public static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
            CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
            CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9,
            CLOCK_TAI = 11;
    public static final long NANOS = 1_000_000_000L;
    /** Long.MIN_VALUE: no such clock. */
    public static final long NONE = Long.MIN_VALUE;

    private Clocks() {}

    public static long realtime() {
        Instant i = Instant.now();
        return i.getEpochSecond() * NANOS + i.getNano();
    }

    /** Clock id's value for thread t in nanoseconds, or {@link #NONE} for a clock Linux does not have. */
    public static long now(Thread t, int id) {
        switch (id) {
            case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM:
                return realtime();
            case CLOCK_TAI:
                return realtime() + 37 * NANOS;
            case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
            case CLOCK_BOOTTIME_ALARM:
                return System.nanoTime();
            case CLOCK_PROCESS_CPUTIME_ID:
                return t.process().usage().total();
            case CLOCK_THREAD_CPUTIME_ID:
                return t.cpu().total();
            default:
                return NONE;
        }
    }

    /** Whether the clock counts CPU time rather than passing time. */
    public static boolean isCpuClock(int id) {
        return id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID;
    }
}
