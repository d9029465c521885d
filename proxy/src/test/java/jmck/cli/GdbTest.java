package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Issue 7: the real gdb attaches to `jmck run --gdb` and debugs a guest with symbols. */
class GdbTest {
    @Test
    void gdbBreaksAtMainStepsAndSeesTheExit() throws Exception {
        String prog = Guests.guest("gcc", "hello").toString();
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djmck.root=" + Guests.ROOT, "-cp",
                System.getProperty("java.class.path"), "jmck.cli.Main", "run", "--gdb", ":0", prog));
        Process jmck = new ProcessBuilder(cmd).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(jmck.getErrorStream(), StandardCharsets.UTF_8));
            String line = err.readLine();
            Matcher m = Pattern.compile("jmck: waiting for gdb on 127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(line));
            assertTrue(m.find(), "first line on stderr: " + line);
            String port = m.group(1);
            Process gdb = new ProcessBuilder("gdb", "-nx", "-batch", "-ex", "target remote 127.0.0.1:" + port, "-ex",
                    "break main", "-ex", "c", "-ex", "info registers rip", "-ex", "stepi", "-ex", "info registers rip",
                    "-ex", "info threads", "-ex", "x/2i $pc", "-ex", "c", prog).redirectErrorStream(true).start();
            ByteArrayOutputStream gout = new ByteArrayOutputStream();
            gdb.getInputStream().transferTo(gout);
            assertTrue(gdb.waitFor(60, TimeUnit.SECONDS), "gdb did not finish");
            String g = gout.toString(StandardCharsets.UTF_8);

            long main = symbol(prog, "main");
            assertTrue(g.contains("Breakpoint 1 at 0x" + Long.toHexString(main) + ": file "), g);
            assertTrue(g.contains("Breakpoint 1, main () at "), g);
            assertTrue(Pattern.compile("rip\\s+0x" + Long.toHexString(main) + "\\s+0x" + Long.toHexString(main) + " <main>")
                    .matcher(g).find(), g);
            Matcher step = Pattern.compile("rip\\s+(0x[0-9a-f]+)\\s+0x[0-9a-f]+ <main\\+(\\d+)>").matcher(g);
            assertTrue(step.find(), "stepi moved into main's next instruction:\n" + g);
            assertEquals(main + Long.parseLong(step.group(2)), Long.decode(step.group(1)));
            assertTrue(Long.parseLong(step.group(2)) > 0 && Long.parseLong(step.group(2)) < 16, g);
            assertTrue(g.contains("* 1    Thread 100 "), "the guest's thread appears as a gdb thread:\n" + g);
            assertTrue(g.contains("=> 0x" + Long.toHexString(main + Long.parseLong(step.group(2))) + " <main+"), g);
            assertTrue(g.contains("[Inferior 1 (Remote target) exited normally]"), g);

            assertTrue(jmck.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, jmck.exitValue());
            assertEquals("hello\n", new String(jmck.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            jmck.destroyForcibly();
        }
    }

    /**
     * Under gdb the cores run in budgeted slices (so that Ctrl-C can stop them) and breakpoints and steps
     * come and go: a CPU-bound program must still compute exactly what it computes natively. (Unicorn
     * replays instructions at a slice's end while a code hook exists, its own step counter included.)
     */
    @Test
    void aProgramSteppedUnderGdbComputesWhatItDoesNatively() throws Exception {
        String prog = Guests.guest("gcc", "sieve_sum").toString();
        Process jmck = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djmck.root=" + Guests.ROOT, "-cp",
                System.getProperty("java.class.path"), "jmck.cli.Main", "run", "--gdb", ":0", prog, "20000000", "1").start();
        try {
            String line = new BufferedReader(new InputStreamReader(jmck.getErrorStream(), StandardCharsets.UTF_8)).readLine();
            Matcher m = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(line));
            assertTrue(m.find(), line);
            Process gdb = new ProcessBuilder("gdb", "-nx", "-batch", "-ex", "target remote 127.0.0.1:" + m.group(1), "-ex",
                    "break main", "-ex", "c", "-ex", "stepi", "-ex", "stepi", "-ex", "break memset", "-ex", "c", "-ex",
                    "stepi", "-ex", "delete", "-ex", "c", prog).redirectErrorStream(true).start();
            String g = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(gdb.waitFor(60, TimeUnit.SECONDS));
            assertTrue(g.contains("exited normally"), g);
            assertTrue(jmck.waitFor(60, TimeUnit.SECONDS));
            // the first slice after a step ends inside memset's 20 MB: a replayed `sub rdx, -0x40` overran it
            assertEquals(Guests.host(prog, "20000000", "1").stdout(),
                    new String(jmck.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            jmck.destroyForcibly();
        }
    }

    /**
     * Issue 15: a dynamically linked PIE under gdb: gdb relocates it from the auxiliary vector (qXfer:auxv),
     * learns the shared libraries from the dynamic linker's r_debug (qXfer:libraries-svr4), puts a
     * breakpoint in libc's puts, and shows the backtrace back into main.
     */
    @Test
    void gdbDebugsADynamicProgramAndItsLibraries() throws Exception {
        String prog = Guests.guest("gcc-dynamic", "hello").toString();
        Process jmck = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djmck.root=" + Guests.ROOT, "-cp",
                System.getProperty("java.class.path"), "jmck.cli.Main", "run", "--gdb", ":0", prog).start();
        try {
            String line = new BufferedReader(new InputStreamReader(jmck.getErrorStream(), StandardCharsets.UTF_8)).readLine();
            Matcher m = Pattern.compile("127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(line));
            assertTrue(m.find(), line);
            Process gdb = new ProcessBuilder("gdb", "-nx", "-batch", "-ex", "set sysroot /", "-ex",
                    "target remote 127.0.0.1:" + m.group(1), "-ex", "break main", "-ex", "c", "-ex", "info sharedlibrary",
                    "-ex", "break puts", "-ex", "c", "-ex", "bt", "-ex", "delete", "-ex", "c", prog)
                    .redirectErrorStream(true).start();
            String g = new String(gdb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(gdb.waitFor(60, TimeUnit.SECONDS), "gdb did not finish");
            // the PIE is relocated to where it runs (0x555555554000 up, ELF_ET_DYN_BASE), libraries are listed
            assertTrue(Pattern.compile("Breakpoint 1 at 0x5555555[0-9a-f]+: file ").matcher(g).find(), g);
            assertTrue(g.contains("Breakpoint 1, main () at "), g);
            assertTrue(Pattern.compile("(?m)^0x[0-9a-f]+\\s+0x[0-9a-f]+\\s+Yes.*\\s\\S*/libc\\.so\\.6$").matcher(g).find(),
                    "info sharedlibrary lists libc:\n" + g);
            assertTrue(Pattern.compile("(?m)^0x[0-9a-f]+\\s+0x[0-9a-f]+\\s+Yes.*/ld-linux-x86-64\\.so\\.2$").matcher(g).find(), g);
            // a breakpoint in libc, and the way back to main
            assertTrue(Pattern.compile("Breakpoint 2 at 0x7fff[0-9a-f]+").matcher(g).find(), g);
            assertTrue(Pattern.compile("Breakpoint 2, \\S*puts\\S* \\(").matcher(g).find(), g);
            assertTrue(Pattern.compile("#1 +0x0*5555555[0-9a-f]+ in main \\(\\) at ").matcher(g).find(), "backtrace into main:\n" + g);
            assertTrue(g.contains("[Inferior 1 (Remote target) exited normally]"), g);
            assertTrue(jmck.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, jmck.exitValue());
            assertEquals("hello\n", new String(jmck.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            jmck.destroyForcibly();
        }
    }

    @Test
    void aBadGdbAddressIsOneLine() {
        Guests.Result r = Guests.jmck("run", "--gdb", ":notaport", Guests.guest("gcc", "hello").toString());
        assertEquals(2, r.status());
        assertEquals("jmck run: --gdb: ':notaport' is not [HOST]:PORT (like :1234 or localhost:1234) (see jmck run --help)\n",
                r.stderr());
    }

    /** A symbol's address, read from the ELF file by nm (as gdb would find it). */
    private static long symbol(String prog, String name) throws IOException, InterruptedException {
        Process nm = new ProcessBuilder("nm", prog).start();
        String out = new String(nm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        nm.waitFor();
        Matcher m = Pattern.compile("(?m)^([0-9a-f]+) T " + name + "$").matcher(out);
        assertTrue(m.find(), "no " + name + " in nm output");
        return Long.parseLong(m.group(1), 16);
    }
}
