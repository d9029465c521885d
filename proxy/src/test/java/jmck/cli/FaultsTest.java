package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9, faults: CPU exceptions a guest raises become the signals Linux gives, a spinning guest ends at
 * --timeout, and signals sent to jmck reach the guest as a terminal's would.
 */
class FaultsTest {
    /**
     * The one known difference, which QEMU's TCG does not model: SSE alignment checks (a misaligned movaps
     * runs instead of raising #GP). See docs/robustness.md.
     */
    private static final String UNMODELED = "movaps misaligned";

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void trapsBecomeTheSignalsLinuxGives(String flavor) {
        Guests.Result linux = Guests.host(Guests.guest(flavor, "traps").toString());
        assertEquals(0, linux.status(), linux.stderr());
        assertTrue(linux.stdout().contains("in al, dx                  SIGSEGV code 128, si_addr 0, rip at the instruction"));
        Guests.Result jmck = Guests.jmck("run", Guests.guest(flavor, "traps").toString());
        withoutUnmodeled(jmck).assertSameAs(withoutUnmodeled(linux));
    }

    private static Guests.Result withoutUnmodeled(Guests.Result r) {
        assertTrue(r.stdout().contains(UNMODELED), "the traps guest no longer tries " + UNMODELED);
        String out = r.stdout().lines().filter(l -> !l.startsWith(UNMODELED)).map(l -> l + "\n").collect(Collectors.joining());
        return new Guests.Result(r.status(), out, r.stderr());
    }

    @Test
    void timeoutEndsASpinningGuest() {
        long start = System.nanoTime();
        Guests.Result r = Guests.jmck("run", "--timeout", "1", "/bin/busybox", "sh", "-c", "while :; do :; done");
        assertEquals(124, r.status(), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("timed out after 1 s"), r.stderr());
        assertTrue(System.nanoTime() - start < 60e9);
    }

    @Test
    void sigtermReachesTheGuestsHandlerWhileItSpins() throws Exception {
        Process p = startSpinning("trap 'echo got TERM; exit 5' TERM; echo ready; while :; do :; done");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        kill("TERM", p);
        assertEquals("got TERM", out.readLine());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(5, p.exitValue());
    }

    @Test
    void sigintWithoutAHandlerEndsTheGuestAsAShellReports() throws Exception {
        Process p = startSpinning("echo ready; while :; do :; done");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        kill("INT", p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(130, p.exitValue());
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(err.contains("killed by SIGINT"), err);
        assertEquals(1, err.lines().count(), err);
    }

    @RegisterExtension
    final Launched launched = new Launched();

    private Process startSpinning(String script) throws IOException {
        return launched.start(new ProcessBuilder(Guests.jmckCommand("run", "/bin/busybox", "sh", "-c", script)));
    }

    private static void kill(String signal, Process p) throws Exception {
        try {
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
        } finally {
            p.getOutputStream().close();
        }
    }
}
