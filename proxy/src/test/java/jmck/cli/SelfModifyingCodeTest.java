package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Code a program rewrites in place runs as rewritten (selfmod.c): mid-page, an instruction that crosses a
 * page boundary with only its tail rewritten, and code that ran hot first. Under jmck this rests on the
 * emulator marking the TLB entry of every page it translates code from, so that a later store drops the
 * translation (Unicorn patch 07 looks at that page's entry only).
 */
class SelfModifyingCodeTest {
    @ParameterizedTest
    @CsvSource({"gcc, 1", "musl, 1", "gcc, 2"})
    void rewrittenCodeRunsAsRewritten(String flavor, int cores) {
        String prog = Guests.guest(flavor, "selfmod").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        assertTrue(linux.stdout().contains("mid-page: 0 wrong") && linux.stdout().contains("hot: sum 100000, then 2"),
                linux.stdout());
        Guests.jmck("run", "--cores", String.valueOf(cores), prog).assertSameAs(linux);
    }
}
