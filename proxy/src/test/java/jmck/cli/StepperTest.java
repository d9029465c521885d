package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 7: jmck step, driven by scripts as a teaching handout would drive it. */
class StepperTest {
    @TempDir
    Path dir;

    private Guests.Result step(String flavor, String... commands) throws IOException {
        Path script = dir.resolve("script.txt");
        Files.write(script, List.of(commands));
        return Guests.jmck("step", "--page-size", "4k", "--script", script.toString(),
                Guests.guest(flavor, "step_pages").toString());
    }

    /** The stops a transcript reports, each from its "stop N" line to the next prompt. */
    private static List<String> stops(String transcript, String kind) {
        List<String> l = new ArrayList<>();
        Matcher m = Pattern.compile("(?ms)^stop \\d+ [^\\n]*" + kind + ".*?(?=^\\(jmck\\))").matcher(transcript);
        while (m.find())
            l.add(m.group());
        return l;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie"})
    void threeFreshPagesStopThreeTimesWithTheWalkBeforeAndAfter(String flavor) throws IOException {
        Guests.Result r = step(flavor, "until touch", "fault", "fault", "fault", "continue");
        String out = r.stdout();
        assertEquals(0, r.status(), r.stderr());
        assertTrue(out.contains("breakpoint at 0x") && out.contains(" <touch>"), out);
        List<String> faults = stops(out, "page fault at address");
        assertEquals(3, faults.size(), out);
        long first = -1;
        for (int i = 0; i < 3; i++) {
            String s = faults.get(i);
            long addr = hex(s, "page fault at address (0x[0-9a-f]+): write, user mode, page not present");
            if (i == 0)
                first = addr;
            assertEquals(first + 4096L * i, addr, "the i-th fault is on the i-th fresh page:\n" + s);
            // the faulting instruction, disassembled, with its symbol
            assertTrue(Pattern.compile("=> 0x[0-9a-f]+ <touch\\+\\d+>:\\s+[0-9a-f ]+\\s+mov byte ptr \\[").matcher(s).find(), s);
            String before = s.substring(s.indexOf("walk before the handler"), s.indexOf("decision:"));
            String after = s.substring(s.indexOf("walk after the handler"));
            assertTrue(before.contains("PML4E [255]") && before.contains("=> not mapped"), before);
            long frame = hex(s, "decision: mapped, allocated frame (0x[0-9a-f]+) \\(4K\\)");
            assertTrue(after.contains("PTE   [" + String.format("%3d", (addr >> 12) & 511) + "]"), after);
            assertTrue(after.contains(String.format("= %#018x  P RW US NX", 1L << 63 | frame | 7)), after);
            assertTrue(after.contains(String.format("=> physical %#x (4K page)", frame)), after);
            assertTrue(s.contains("why: the address lies in VMA anon"), s);
        }
        assertTrue(out.contains("process 100 exited with status 0"), out);
        assertTrue(out.contains("pages abc"), out);
    }

    private static long hex(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no " + regex + " in:\n" + text);
        return Long.parseUnsignedLong(m.group(1).substring(2), 16);
    }

    @Test
    void stepsSignalsSyscallsAndInspection() throws IOException {
        Guests.Result r = step("gcc", "break touch", "continue", "continue", "signal", "decision", "si", "syscall", "syscall",
                "syscall", "vmas", "frames $rsp", "walk $rsp", "disas main 2", "x $rsp 16", "decision", "continue");
        String out = r.stdout();
        assertEquals(0, r.status(), r.stderr() + out);
        assertEquals(2, stops(out, "breakpoint at 0x[0-9a-f]+ <touch>").size(), out);
        assertTrue(out.contains("signal SIGSEGV delivered: the thread continues in its handler"), out);
        assertTrue(out.contains("=> 0x") && out.contains("<on_segv>:"), out);
        assertEquals(1, stops(out, "stepped").size(), out);
        assertTrue(out.contains("syscall returned: [pid 100] mprotect(") && out.contains("(handled in the LWK)"), out);
        assertTrue(out.contains("syscall returned: [pid 100] write(1, \"pages abc\\n\", 10) = 10 <host> (delegated"), out);
        assertTrue(out.contains("[stack]"), out);
        assertTrue(Pattern.compile("0x[0-9a-f]+ -> frame 0x[0-9a-f]+  4K  P RW US").matcher(out).find(), out);
        assertTrue(out.contains("<main>:"), out);
        assertTrue(out.contains("SEGV_ACCERR"), "the last fault was the write to the read-only page:\n" + out);
    }

    @Test
    void badCommandsSayWhatIsWrongAndTheSessionGoesOn() throws IOException {
        Guests.Result r = step("gcc", "walk zz", "frobnicate", "walk 0xffff800000000000", "until nosuchsym", "x",
                "step abc", "walk", "break $nosuchreg", "walk 0x10", "regs", "continue");
        String out = r.stdout();
        assertEquals(0, r.status(), r.stderr() + out);
        assertTrue(out.contains("bad address 'zz': no such symbol"), out);
        assertTrue(out.contains("unknown command 'frobnicate': type help for the list"), out);
        assertTrue(out.contains("bad address 0xffff800000000000: not in the user half of the address space"), out);
        assertTrue(out.contains("bad address 'nosuchsym': no such symbol"), out);
        assertTrue(out.contains("missing address: give a hex address (0x401000), a symbol (main) or a register ($rsp)"), out);
        assertTrue(out.contains("bad number 'abc'"), out);
        assertTrue(out.contains("bad address '$nosuchreg': no register nosuchreg"), out);
        assertTrue(out.contains("walk of 0x10") && out.contains("=> not mapped"), out);
        assertTrue(out.contains("rip  0x"), "the session went on after the errors:\n" + out);
        assertTrue(out.contains("pages abc"), out);
        assertFalse(out.contains("Exception") || r.stderr().contains("Exception"), r.stderr() + out);
    }

    @Test
    void aMissingScriptIsOneLine() {
        Guests.Result r = Guests.jmck("step", "--script", dir.resolve("none").toString(), Guests.guest("gcc", "hello").toString());
        assertEquals(1, r.status());
        assertEquals("jmck: cannot read the script " + dir.resolve("none") + "\n", r.stderr());
    }
}
