package jmck.lwk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jmck.lwk.time.ArmedTimer;
import jmck.lwk.time.Clocks;
import jmck.lwk.proc.Thread;
import org.junit.jupiter.api.Test;

/** The kernel's timer queue with the interval timers that run on it. */
class TimersTest {
    /**
     * A CPU-time timer whose clock stands a nanosecond short of its expiry while the kernel's thread runs
     * the due timers (the owner is not running then, so its clock does not move): the timer looks again
     * later instead of going round the loop for ever (a guest hung so, once in some thirty runs of
     * timers.c's ITIMER_PROF), and expires once its clock gets there.
     */
    @Test
    void aCpuClockShortOfItsExpiryDoesNotSpinTheTimerLoop() throws InterruptedException {
        Timers timers = new Timers();
        AtomicLong cpuClock = new AtomicLong(0);
        AtomicInteger expiries = new AtomicInteger();
        ArmedTimer.Host host = new ArmedTimer.Host() {
            @Override
            public void at(long hostNanos, Runnable action) {
                timers.add(hostNanos, action);
            }

            @Override
            public long now(int clock, Thread owner) {
                return cpuClock.get();
            }
        };
        ArmedTimer prof = new ArmedTimer(host, Clocks.CLOCK_PROCESS_CPUTIME_ID, null, overrun -> {
            expiries.incrementAndGet();
            return true;
        });
        prof.set(1000, 0, false);
        cpuClock.set(999);
        java.lang.Thread.sleep(1);
        assertTimeoutPreemptively(Duration.ofSeconds(5), timers::fireDue);
        assertEquals(0, expiries.get());

        cpuClock.set(1000);
        java.lang.Thread.sleep(1);
        assertTimeoutPreemptively(Duration.ofSeconds(5), timers::fireDue);
        assertEquals(1, expiries.get());
    }
}
