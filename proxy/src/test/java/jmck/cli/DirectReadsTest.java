package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the LWK reads regular files itself once the proxy has offered them (jmck.ihk.DirectReads),
 * and the reads stay the host's: offsets shared with lseek, dups and a forked child, a file that another
 * descriptor rewrites, grows and truncates, an fd that comes to name another file, memory the read may not
 * write, a pipe and a terminal; and they do stop crossing to the proxy.
 */
class DirectReadsTest {
    @Test
    void regularFileReadsAreTheHostsThroughEveryChange(@TempDir Path dir) throws IOException {
        for (String flavor : Guests.FLAVORS) {
            Path mine = Files.createDirectories(dir.resolve(flavor + "-jmck")), linux = Files.createDirectories(dir.resolve(flavor));
            String reads = Guests.guest(flavor, "reads").toString();
            Guests.Result r = Guests.jmck("run", reads, mine.toString());
            r.assertSameAs(Guests.host(reads, linux.toString()));
            assertTrue(r.stdout().contains("after a write through another fd: 3 [XYZ]"), r.stdout());
            assertTrue(r.stdout().contains("after dup2 of b over it: 3 [BBB]"), r.stdout());
            assertTrue(r.stdout().contains("across into a PROT_NONE page: 2 [01]"), r.stdout());
        }
    }

    /** A terminal returns a line per read (canonical mode); the reads go through the proxy as before. */
    @Test
    void aTerminalGivesALinePerRead() {
        String reads = Guests.guest("gcc", "reads").toString();
        String jmck = String.join(" ", Guests.jmckCommand("run", reads, "-").stream().map(a -> "'" + a + "'").toList());
        byte[] input = "one\ntwo\nthree\n".getBytes();
        Guests.Result r = Guests.host(Map.of(), input, "script", "-qec", jmck, "/dev/null");
        Guests.Result linux = Guests.host(Map.of(), input, "script", "-qec", "'" + reads + "' -", "/dev/null");
        String lines = r.stdout().replace("\r", "");
        assertTrue(lines.contains("stdin: 4 [one\n]\nstdin: 4 [two\n]\nstdin: 6 [three\n]"), lines + "\n" + r.stderr());
        assertEquals(linux.stdout().replace("\r", "").lines().filter(l -> l.startsWith("stdin")).toList(),
                lines.lines().filter(l -> l.startsWith("stdin")).toList());
    }

    @Test
    void throughMcexecAFileIsReadWithoutCrossing(@TempDir Path runtime, @TempDir Path dir) throws IOException {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        Path file = dir.resolve("one-mib.bin");
        byte[] b = new byte[1 << 20];
        new Random(17).nextBytes(b);
        Files.write(file, b);
        try {
            assertEquals(0, Guests.jmck(env, null, "ihk", "reboot", "--mem", "256M").status());
            Guests.Result md5 = Guests.jmck(env, null, "mcexec", "--stats", "/bin/busybox", "md5sum", file.toString());
            assertEquals(Guests.host("/bin/busybox", "md5sum", file.toString()).stdout(), md5.stdout());
            Matcher m = Pattern.compile("mcexec: (\\d+) delegated calls").matcher(md5.stderr());
            assertTrue(m.find(), md5.stderr());
            // busybox reads the file 4 KiB at a time: 257 reads; only the first crosses (and open, close, write...)
            assertTrue(Integer.parseInt(m.group(1)) < 40, md5.stderr());
            Matcher served = Pattern.compile("ikc_direct_reads: (\\d+)").matcher(
                    Guests.jmck(env, null, "ihk", "status", "-v").stdout());
            assertTrue(served.find());
            assertTrue(Long.parseLong(served.group(1)) >= 250, "direct reads: " + served.group(1));
        } finally {
            Guests.jmck(env, null, "ihk", "stop");
        }
    }
}
