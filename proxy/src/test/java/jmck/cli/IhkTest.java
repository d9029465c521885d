package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5: the IHK verbs, booted instances that outlive one program, and mcexec as a separate process
 * serving its guest's delegated syscalls through IKC and the unified address space.
 */
class IhkTest {
    @TempDir
    Path runtime;

    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
    }

    @AfterEach
    void tearDown() {
        jmck("ihk", "stop"); // never leave a daemon behind
    }

    private Guests.Result jmck(String... args) {
        return Guests.jmck(env, null, args);
    }

    private Guests.Result ok(String... args) {
        Guests.Result r = jmck(args);
        assertEquals(0, r.status(), String.join(" ", args) + ": " + r.stderr());
        return r;
    }

    private static void assertOneLineError(Guests.Result r, String expected) {
        assertNotEquals(0, r.status());
        String err = r.stderr().strip();
        assertFalse(err.contains("\n") || err.contains("Exception"), err);
        assertTrue(err.startsWith("jmck: ") && err.contains(expected), "expected '" + expected + "' in: " + err);
    }

    private static String guest(String name) {
        return Guests.guest("gcc", name).toString();
    }

    /** Free memory as `jmck ihk status` reports it. */
    private long freeMiB(int os) {
        Matcher m = Pattern.compile("memory: \\d+ MiB, (\\d+) MiB free").matcher(ok("ihk", "status", "-n", "" + os).stdout());
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }

    @Test
    void walkthroughFromReserveToRelease() {
        ok("ihk", "reserve", "cpu", "1-2");
        assertTrue(ok("ihk", "reserve", "mem", "256M").stdout().contains("256 MiB"));
        assertEquals("0", ok("ihk", "create").stdout().strip());
        ok("ihk", "assign", "cpu", "1-2", "-n", "0");
        ok("ihk", "assign", "mem", "all", "-n", "0");
        assertEquals("NOT_BOOTED", ok("ihk", "status").stdout().strip());
        ok("ihk", "boot", "-n", "0");
        String status = ok("ihk", "status", "-n", "0").stdout();
        assertTrue(status.startsWith("RUNNING") && status.contains("cores: 2"), status);

        Guests.Result hello = ok("mcexec", "0", guest("hello"));
        assertEquals("hello\n", hello.stdout());
        Guests.Result exit = jmck("mcexec", guest("exit_with"), "42");
        assertEquals(42, exit.status());

        String kmsg = ok("ihk", "kmsg", "-n", "0").stdout();
        assertTrue(kmsg.contains("hello loaded") && kmsg.contains("exit_with loaded"), kmsg);

        ok("ihk", "shutdown", "-n", "0");
        assertEquals("SHUTDOWN", ok("ihk", "status", "-n", "0").stdout().strip());
        ok("ihk", "destroy", "-n", "0");
        ok("ihk", "release", "mem", "all");
        ok("ihk", "release", "cpu", "1-2");
        assertEquals("", ok("ihk", "query", "cpu").stdout().strip());
        assertEquals("none", ok("ihk", "query", "mem").stdout().strip());
    }

    @Test
    void badRequestsAreClearErrorsAndChangeNothing() {
        assertOneLineError(jmck("ihk", "reserve", "cpu", "99"), "the machine has cores");
        assertOneLineError(jmck("ihk", "reserve", "cpu", "0"), "core 0 runs the host");
        ok("ihk", "reserve", "cpu", "1");
        assertOneLineError(jmck("ihk", "reserve", "cpu", "1"), "already reserved");
        assertOneLineError(jmck("ihk", "reserve", "mem", "1000G"), "not enough free machine memory");
        assertOneLineError(jmck("ihk", "boot", "-n", "0"), "no OS instance 0");
        ok("ihk", "create");
        assertOneLineError(jmck("ihk", "assign", "cpu", "2", "-n", "0"), "not reserved");
        assertOneLineError(jmck("ihk", "boot", "-n", "0"), "has no cores");
        ok("ihk", "assign", "cpu", "1", "-n", "0");
        assertOneLineError(jmck("ihk", "boot", "-n", "0"), "has no memory");
        assertOneLineError(jmck("mcexec", "0", guest("hello")), "not running");
        ok("ihk", "assign", "mem", "64M", "-n", "0");
        ok("ihk", "boot", "-n", "0");
        assertOneLineError(jmck("ihk", "boot", "-n", "0"), "already RUNNING");
        assertOneLineError(jmck("ihk", "release", "cpu", "1"), "assigned to an OS instance");
        assertOneLineError(jmck("mcexec", "0", Guests.guest("gcc-dynamic", "no_interp").toString()),
                "its interpreter /nonexistent/ld-linux-x86-64.so.2: no such file or directory");
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout()); // still serving
        assertEquals("hello\n", ok("mcexec", Guests.guest("gcc-dynamic", "hello").toString()).stdout());
    }

    /** Issue 9: the guest's frames, channel and files come back; the daemon holds no more fds than before. */
    @Test
    void killingTheProxyKillsTheGuestAndTheInstanceServesTheNext() throws Exception {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "128M");
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout()); // the daemon has opened what it keeps open
        long free = freeMiB(0);
        Map<String, Long> baseline = LeaksAndLimitsTest.counters(env);
        Process mcexec = start("mcexec", guest("wait_stdin"));
        assertEquals("ready", readLine(mcexec));
        assertTrue(ok("ihk", "status").stdout().contains("wait_stdin"));
        mcexec.destroyForcibly(); // SIGKILL: no chance to say goodbye
        mcexec.waitFor(10, TimeUnit.SECONDS);
        for (int i = 0; i < 100 && ok("ihk", "status").stdout().contains("wait_stdin"); i++)
            java.lang.Thread.sleep(50);
        assertFalse(ok("ihk", "status").stdout().contains("wait_stdin"), "the guest outlived its proxy");
        assertEquals(free, freeMiB(0), "frames not returned");
        LeaksAndLimitsTest.assertBackToBaseline(env, baseline, "killing the proxy");
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout());
    }

    @Test
    void ctrlCGoesToTheGuestAndAGuestsDeathEndsItsProxy() throws Exception {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "128M");
        Process mcexec = start("mcexec", guest("wait_stdin"));
        assertEquals("ready", readLine(mcexec));
        new ProcessBuilder("kill", "-INT", String.valueOf(mcexec.pid())).start().waitFor();
        assertTrue(mcexec.waitFor(20, TimeUnit.SECONDS), "mcexec still running after SIGINT");
        assertEquals(130, mcexec.exitValue());

        Guests.Result r = jmck("mcexec", guest("kill_self"), "15");
        assertEquals(143, r.status(), r.stderr());
        assertTrue(r.stderr().contains("SIGTERM"), r.stderr());
        assertFalse(ok("ihk", "status").stdout().contains("process "), "a process is left");
    }

    /** From a pipe (a regular file the LWK reads itself, see DirectReadsTest), so every read crosses. */
    @Test
    void delegatedReadsLandInGuestPagesWithoutCopies() throws IOException {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "256M");
        byte[] data = new byte[16 << 20];
        new Random(3).nextBytes(data);
        Guests.Result r = Guests.jmck(env, data, "mcexec", "--stats", "/bin/busybox", "md5sum");
        assertEquals(0, r.status(), r.stderr());
        assertEquals(Guests.host(Map.of(), data, "/bin/busybox", "md5sum").stdout(), r.stdout());
        Matcher m = Pattern.compile("(\\d+) bytes moved in place, (\\d+) bytes through bounce").matcher(r.stderr());
        assertTrue(m.find(), r.stderr());
        assertTrue(Long.parseLong(m.group(1)) >= data.length, "read in place: " + r.stderr());
        assertTrue(Long.parseLong(m.group(2)) < 4096, "bounced: " + r.stderr());
    }

    /**
     * The other way: a buffer in physically separate 4 KiB pages (find's getdents64 buffer, in its heap) goes
     * through a bounce copy in and out, and the program still gets what Linux gives it.
     */
    @Test
    void bouncedBuffersCarryWhatLinuxWrites() throws IOException {
        Path tree = Files.createDirectories(runtime.resolve("tree"));
        for (int d = 0; d < 20; d++) {
            Path dir = Files.createDirectories(tree.resolve("d" + d));
            for (int f = 0; f < 40; f++)
                Files.writeString(dir.resolve("a-file-with-a-rather-long-name-number-" + f), "" + f);
        }
        ok("ihk", "reboot", "--cpus", "1", "--mem", "256M", "--kargs", "page_size=4k");
        Guests.Result r = jmck("mcexec", "--stats", "/usr/bin/find", tree.toString());
        assertEquals(0, r.status(), r.stderr());
        assertEquals(Guests.host("/usr/bin/find", tree.toString()).stdout(), r.stdout());
        Matcher m = Pattern.compile("(\\d+) bytes through bounce").matcher(r.stderr());
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, "nothing bounced: " + r.stderr());
    }

    @Test
    void mcexecRunsFileProgramsLikeLinux() throws IOException {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "256M");
        for (String prog : new String[] {"mmap_file", "fileio"}) {
            Path mine = Files.createDirectories(runtime.resolve(prog + "-jmck"));
            Path linux = Files.createDirectories(runtime.resolve(prog + "-linux"));
            Guests.Result r = jmck("mcexec", guest(prog), mine.toString());
            r.assertSameAs(Guests.host(guest(prog), linux.toString()));
        }
        Guests.Result maps = ok("mcexec", Guests.guest("musl", "maps").toString());
        assertTrue(maps.stdout().contains("[stack] rw-p"), maps.stdout());
        // a signal ends a call that mcexec, a process of its own, runs on the host
        jmck("mcexec", guest("interrupts")).assertSameAs(Guests.host(guest("interrupts")));
    }

    @Test
    void coresAndMemoryComeAndGoWhileTheInstanceRuns() {
        ok("ihk", "reserve", "cpu", "1-3");
        ok("ihk", "create");
        ok("ihk", "assign", "cpu", "1", "-n", "0");
        ok("ihk", "assign", "mem", "64M", "-n", "0");
        ok("ihk", "boot");
        ok("ihk", "assign", "cpu", "2-3");
        assertTrue(ok("ihk", "status").stdout().contains("cores: 3"));
        ok("ihk", "assign", "mem", "128M");
        assertTrue(ok("ihk", "status").stdout().contains("memory: 192 MiB"), ok("ihk", "status").stdout());
        assertEquals("touched 150 MiB, checksum 4896000\n", ok("mcexec", guest("touch_mem"), "150").stdout());
        ok("ihk", "release", "cpu", "3", "-n", "0");
        assertTrue(ok("ihk", "status").stdout().contains("cores: 2"));
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout());
    }

    @Test
    void twoInstancesRunSideBySide() {
        ok("ihk", "reserve", "cpu", "1-2");
        for (int os = 0; os < 2; os++) {
            assertEquals(String.valueOf(os), ok("ihk", "create").stdout().strip());
            ok("ihk", "assign", "cpu", String.valueOf(os + 1), "-n", "" + os);
            ok("ihk", "assign", "mem", "64M", "-n", "" + os);
            ok("ihk", "boot", "-n", "" + os);
        }
        assertEquals("hello\n", ok("mcexec", "0", guest("hello")).stdout());
        assertEquals("hello\n", ok("mcexec", "1", guest("hello")).stdout());
        assertTrue(ok("ihk", "kmsg", "-n", "1").stdout().contains("hello loaded"));
    }

    /**
     * Isolation: instance 0's memory is not reachable from a guest of instance 1, nor its own from itself,
     * through the host's files (see docs/robustness.md): every RAM file of this IHK set-up, opened directly,
     * through a hard link or a symbolic link, or truncated, is refused; the instances run on unharmed.
     */
    @Test
    void aGuestCannotReachAnyInstancesMemoryThroughHostFiles() throws IOException {
        twoInstancesRunSideBySide();
        String prefix = String.format("jmck-ihk-%08x-", runtime.toAbsolutePath().toString().hashCode());
        List<Path> ram;
        try (var files = Files.list(Path.of("/dev/shm"))) {
            ram = files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
        }
        assertFalse(ram.isEmpty());
        Path link = runtime.resolve("link.ram"), hard = Path.of("/dev/shm", prefix + "hardlink");
        try {
            for (Path f : ram) {
                long size = Files.size(f);
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, f);
                Files.deleteIfExists(hard);
                Files.createLink(hard, f);
                for (String path : new String[] {f.toString(), link.toString(), hard.toString()}) {
                    for (int os = 0; os < 2; os++) {
                        Guests.Result r = jmck("mcexec", "" + os, "/bin/busybox", "head", "-c", "16", path);
                        assertEquals(1, r.status(), path + " read by a guest of instance " + os);
                        assertTrue(r.stderr().contains("Permission denied"), r.stderr());
                        assertEquals("", r.stdout());
                    }
                }
                Guests.Result r = jmck("mcexec", "1", "/bin/busybox", "truncate", "-s", "0", link.toString());
                assertEquals(1, r.status(), r.stderr());
                r = jmck("mcexec", "1", "/bin/busybox", "sh", "-c", ": > " + hard);
                assertEquals(1, r.status(), r.stderr());
                assertEquals(size, Files.size(f));
            }
        } finally {
            Files.deleteIfExists(hard);
        }
        assertEquals("hello\n", ok("mcexec", "0", guest("hello")).stdout());
        assertEquals("hello\n", ok("mcexec", "1", guest("hello")).stdout());
    }

    private Process start(String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Guests.jmckCommand(args)).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String readLine(Process p) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = p.getInputStream().read()) >= 0 && c != '\n'; )
            b.append((char) c);
        return b.toString();
    }
}
