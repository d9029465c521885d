package jmck.lwk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kmsg formats its lines when they are read, with the arguments as they were when they were logged. */
class KernelLogTest {
    /** An argument whose string changes after the call, as a process's state does. */
    private static final class Changing {
        String state = "running";

        @Override
        public String toString() {
            return state;
        }
    }

    @Test
    void linesReadLaterShowTheArgumentsAsTheyWereWhenLogged() {
        KernelLog log = new KernelLog();
        Changing c = new Changing();
        log.log("pid %d: %s at %#x, %c%b", 7, c, 0x1000L, 'x', true);
        c.state = "dead";
        List<String> lines = log.lines();
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).matches("\\[ *\\d+\\.\\d{6}\\] pid 7: running at 0x1000, xtrue"), lines.get(0));
    }

    @Test
    void echoSeesOldLinesThenNewOnesFormatted() {
        KernelLog log = new KernelLog();
        log.log("first %d", 1);
        List<String> seen = new ArrayList<>();
        log.setEcho(seen::add);
        log.log("second %s", "two");
        assertEquals(2, seen.size());
        assertTrue(seen.get(0).endsWith("] first 1") && seen.get(1).endsWith("] second two"), seen.toString());
        assertEquals(seen, log.lines());
    }
}
