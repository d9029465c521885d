package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: Linux ABI details that programs from elsewhere (test suites, libraries) depend on, each a guest
 * program run natively and under jmck with the same output and status.
 */
class LinuxAbiTest {
    /**
     * The FPU state a process, a thread, a forked child, a signal handler and an execve'd image start with,
     * and the floating-point output of printf ("%g", "%.17g", "%La") and strtod/strtold that depends on it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void fpuStartsAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "fpu").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        // lines that differed before the fix (x87 control word and MXCSR started at 0)
        for (String line : new String[] {"start: fcw 0x37f mxcsr 0x1f80", "new thread: fcw 0x37f mxcsr 0x1f80",
                "signal handler: fcw 0x37f mxcsr 0x1f80", "after the handler: fcw 0xe7f mxcsr 0x9f80",
                "after execve: fcw 0x37f mxcsr 0x1f80", "strtod: 0.10000000000000001 2.2250738585072014e-308 9007199254740992"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }
}
