package jmck.ihk.ikc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * How a spinner learns its budget, on a clock the test moves: a budget that shrank (the host took the CPU
 * once, a call was slow) grows back when the other side answers quickly again. Before, one preemption put
 * the budget at 2 us, below any round trip, and no wait could succeed from then on.
 */
class AdaptiveSpinTest {
    private long now = 1_000_000;
    private final AdaptiveSpin spin = new AdaptiveSpin(() -> now, false);

    /** One wait whose answer comes after nanos (spinning in steps of 500 ns); whether it came while spinning. */
    private boolean waitFor(long nanos) {
        spin.start();
        long answer = now + nanos;
        while (now < answer) {
            now += 500;
            if (now >= answer)
                break;
            if (!spin.spin()) {
                now = answer; // slept until it came
                return false;
            }
        }
        spin.done();
        return true;
    }

    @Test
    void aPreemptionHalvesTheBudgetInsteadOfDroppingItBelowEveryRoundTrip() {
        assertTrue(waitFor(5_000));
        long learnt = spin.budgetNanos();
        assertTrue(learnt >= 12_000, "twice the 5 us wait and the least: " + learnt);
        spin.start();
        now += AdaptiveSpin.PREEMPTED_NANOS + 1; // the host took the CPU
        assertFalse(spin.spin());
        assertEquals(Math.max(AdaptiveSpin.MIN_NANOS, learnt / 2), spin.budgetNanos());
        assertTrue(waitFor(5_000), "a 5 us round trip is still caught");
    }

    @Test
    void aWaitThatEndedSoonAfterSleepingTeachesTheSpinnerToSpinLonger() {
        for (int i = 0; i < 5; i++)
            assertFalse(waitFor(200_000)); // a slow side: the budget shrinks to the least
        assertEquals(AdaptiveSpin.MIN_NANOS, spin.budgetNanos());
        spin.start();
        spin.waited(8_000); // this one was answered 8 us after the post, while the thread slept
        assertTrue(spin.budgetNanos() >= 16_000, "budget " + spin.budgetNanos());
        assertTrue(waitFor(8_000));
        spin.waited(AdaptiveSpin.MAX_NANOS * 3); // a wait longer than any spin teaches nothing
        assertTrue(spin.budgetNanos() >= 16_000);
    }

    @Test
    void afterManySpinsThatRanOutOneWaitSpinsForTheMost() {
        for (int i = 0; i < AdaptiveSpin.PROBE_AFTER; i++)
            assertFalse(waitFor(200_000));
        assertTrue(waitFor(40_000), "the probe spins up to " + AdaptiveSpin.MAX_NANOS + " ns");
        assertTrue(spin.budgetNanos() >= 80_000, "and the budget follows: " + spin.budgetNanos());
        assertFalse(waitFor(AdaptiveSpin.MAX_NANOS * 2), "no spin lasts longer than the most");
    }

    @Test
    void oneSampleOverTheCpusIsNoLoadTwoInARowAre() {
        var verdict = new AdaptiveSpin.LoadVerdict();
        assertFalse(verdict.sample(true), "a lone sample: a compiler thread, a shell's command");
        assertFalse(verdict.sample(false));
        assertFalse(verdict.sample(true));
        assertTrue(verdict.sample(true), "two in a row: another process keeps the CPUs busy");
        assertTrue(verdict.sample(true));
        assertFalse(verdict.sample(false), "quiet again at the first sample that is not over");
    }
}
