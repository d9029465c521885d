package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** --timings prints milliseconds as %.1f would, without the Formatter. */
class RunProfileTest {
    @Test
    void millisecondsWithOneDecimalAsPrintfRoundsThem() {
        for (long nanos : new long[] {0, 49_999, 50_000, 1_234_567, 1_250_000, 25_049_999, 999_950_000, 123_456_789_012L})
            assertEquals(String.format("%.1f", nanos / 1e6), RunProfile.ms(nanos), nanos + " ns");
    }
}
