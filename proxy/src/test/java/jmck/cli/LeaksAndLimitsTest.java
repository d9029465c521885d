package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: hostile guests are bounded by their partition and leave nothing behind. A fork bomb stops at
 * the task limit (or the fork reserve) with EAGAIN; a guest that touches more memory than the partition
 * has is killed by the OOM killer with one line; and a soak of many guests through one instance returns
 * every counter (frames, tasks, IKC channels and files, the daemon's fds) to where it started.
 */
class LeaksAndLimitsTest {
    /** Counters that must come back to their baseline after any run (see `jmck ihk status -v`). */
    static final List<String> BASELINE_COUNTERS = List.of("frames_free", "tasks", "processes", "ikc_channels",
            "ikc_files", "ikc_mappings", "daemon_fds");
    private static final Pattern FORK_BOMB = Pattern.compile("fork failed with EAGAIN after at least \\d+ children; all reaped\n");

    @TempDir
    Path runtime;

    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
    }

    @AfterEach
    void tearDown() {
        Guests.jmck(env, null, "ihk", "stop"); // never leave a daemon behind
    }

    private Guests.Result ok(String... args) {
        Guests.Result r = Guests.jmck(env, null, args);
        assertEquals(0, r.status(), String.join(" ", args) + ": " + r.stderr());
        return r;
    }

    private static String guest(String name) {
        return Guests.guest("gcc", name).toString();
    }

    /** An instance's counters, from `jmck ihk status -v`. */
    static Map<String, Long> counters(Map<String, String> env) {
        Guests.Result r = Guests.jmck(env, null, "ihk", "status", "-v");
        assertEquals(0, r.status(), r.stderr());
        Map<String, Long> c = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^(\\w+): (\\d+)$").matcher(r.stdout());
        while (m.find())
            c.put(m.group(1), Long.parseLong(m.group(2)));
        assertTrue(c.containsKey("frames_free") && c.containsKey("daemon_fds"), r.stdout());
        return c;
    }

    /**
     * The counters of an idle instance, for a baseline: read until two reads a moment apart agree, since the
     * connection of the mcexec or status client that ran just before closes a moment after it ends (its
     * handler thread and socket would be counted in the baseline otherwise).
     */
    static Map<String, Long> settledCounters(Map<String, String> env) {
        Map<String, Long> before = counters(env);
        for (int i = 0; i < 20; i++) {
            sleep(250);
            Map<String, Long> now = counters(env);
            if (same(before, now))
                return now;
            before = now;
        }
        return before;
    }

    /**
     * Asserts that the baseline counters come back to baseline. The daemon reclaims a killed mcexec's
     * process when it sees its socket close, and a status client's own connection closes a moment after
     * it is answered, so a difference is given a few seconds to settle.
     */
    static void assertBackToBaseline(Map<String, String> env, Map<String, Long> baseline, String after) {
        Map<String, Long> now = counters(env);
        for (int i = 0; i < 20 && !same(baseline, now); i++) {
            sleep(250);
            now = counters(env);
        }
        for (String k : BASELINE_COUNTERS)
            assertEquals(baseline.get(k), now.get(k), k + " after " + after + ": " + now + " (baseline " + baseline + ")");
    }

    private static boolean same(Map<String, Long> a, Map<String, Long> b) {
        return BASELINE_COUNTERS.stream().allMatch(k -> a.get(k).equals(b.get(k)));
    }

    private static void sleep(long ms) {
        try {
            java.lang.Thread.sleep(ms);
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
        }
    }

    // ---- A: fork bombs ----

    @Test
    void aForkBombUnderJmckRunStopsAtTheTaskLimit() {
        Guests.Result r = Guests.jmck("run", guest("forkbomb"));
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(FORK_BOMB.matcher(r.stdout()).matches(), r.stdout());
        assertTrue(r.stdout().contains("at least 1000 children"), "the task limit is 4096: " + r.stdout());
    }

    @Test
    void aForkBombThroughMcexecLeavesTheInstanceAsItWas() {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "128M");
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout());
        Map<String, Long> baseline = settledCounters(env); // the last client's connection closes a moment after it ends
        Guests.Result r = Guests.jmck(env, null, "mcexec", "--stats", Guests.guest("musl", "forkbomb").toString());
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(FORK_BOMB.matcher(r.stdout()).matches(), r.stdout());
        // The children sleep without delegated calls: mcexec serves them all with no host thread of their own.
        Matcher workers = Pattern.compile("at most (\\d+) workers at once").matcher(r.stderr());
        assertTrue(workers.find(), r.stderr());
        assertTrue(Integer.parseInt(workers.group(1)) <= 4, r.stderr());
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout()); // the instance still serves
        assertBackToBaseline(env, baseline, "the fork bomb");
    }

    /**
     * Threads blocked in delegated reads hold their workers, so the proxy starts more and the thread that
     * wakes them is served (with a fixed four workers a process, four blocked readers hung it).
     */
    @Test
    void threadsBlockedInDelegatedReadsDoNotStallTheirProcess() {
        for (String flavor : new String[] {"gcc", "musl"}) {
            String prog = Guests.guest(flavor, "pipe_threads").toString();
            Guests.jmck("run", "--timeout", "60", "--cores", "2", prog, "32").assertSameAs(Guests.host(prog, "32"));
        }
    }

    // ---- B: out of memory ----

    /** The OOM killer's line, and only it, on stderr; status 137 as for any SIGKILL. */
    private static void assertKilledForMemory(Guests.Result r) {
        assertEquals(137, r.status(), r.stderr());
        String err = r.stderr().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.matches("jmck: touch_mem \\(pid \\d+\\): killed by SIGKILL \\(out of memory\\), rip 0x\\p{XDigit}+"), err);
    }

    @Test
    void touchingMoreThanThePartitionEndsInTheOomKiller() {
        assertKilledForMemory(Guests.jmck("run", "--mem", "64M", guest("touch_mem"), "256"));
        assertKilledForMemory(Guests.jmck("run", "--mem", "64M", "--page-size", "4k", guest("touch_mem"), "256"));
    }

    @Test
    void theInstanceSurvivesAGuestThatRunsItOutOfMemory() {
        ok("ihk", "reboot", "--cpus", "1", "--mem", "64M");
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout());
        Map<String, Long> baseline = settledCounters(env); // the last client's connection closes a moment after it ends
        assertKilledForMemory(Guests.jmck(env, null, "mcexec", guest("touch_mem"), "256"));
        assertEquals("hello\n", ok("mcexec", guest("hello")).stdout());
        assertEquals("touched 32 MiB, checksum 1044480\n", ok("mcexec", guest("touch_mem"), "32").stdout());
        assertBackToBaseline(env, baseline, "the OOM kill");
    }

    // ---- D: a soak through one instance ----

    /** One run of the soak: the guest and its arguments, and the status mcexec must end with. */
    private record Run(String name, List<String> args, int status) {}

    /**
     * Many guests, one after the other, through one booted instance: a mix of one that prints, file I/O,
     * processes, threads, one that dies of SIGSEGV, one that dies of its own SIGTERM, and one whose mcexec
     * is killed (SIGKILL) while the guest waits in a delegated read. Afterwards the instance's counters are
     * back to their baseline, no mcexec is left, and nothing is left in /dev/shm by any of them.
     * bench/soak.sh runs the same mix 10,000 times.
     */
    @Test
    void aSoakOfManyGuestsThroughOneInstanceLeavesNothingBehind() throws Exception {
        int runs = Integer.getInteger("jmck.soak.runs", 30);
        Path dir = Files.createDirectory(runtime.resolve("files"));
        List<Run> mix = List.of(new Run("hello", List.of(), 0), new Run("fileio", List.of(dir.toString()), 0),
                new Run("procs", List.of(), 0), new Run("threads", List.of(), 0), new Run("null_deref", List.of(), 139),
                new Run("kill_self", List.of("15"), 143), new Run("wait_stdin", List.of(), 137));
        ok("ihk", "reboot", "--cpus", "1-2", "--mem", "256M");
        List<Long> pids = new ArrayList<>();
        for (Run r : mix) // once round, so that the daemon has opened what it keeps open
            run(r, dir, pids);
        Map<String, Long> baseline = settledCounters(env); // the last client's connection closes a moment after it ends
        List<String> shmBefore = shm();
        for (int i = 0; i < runs; i++)
            run(mix.get(i % mix.size()), dir, pids);
        assertBackToBaseline(env, baseline, runs + " runs");
        for (long pid : pids)
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "mcexec " + pid + " is left");
        assertTrue(ProcessHandle.current().descendants().noneMatch(p -> p.info().commandLine().orElse("").contains("mcexec")),
                "an mcexec is left");
        List<String> leftover = new ArrayList<>(shm());
        leftover.removeAll(shmBefore);
        leftover.removeIf(f -> pids.stream().noneMatch(pid -> f.contains("-" + pid + "-")));
        assertEquals(List.of(), leftover, "files left in /dev/shm");
    }

    /** Runs r through mcexec (killing it once the guest is ready if r is wait_stdin); records its pid. */
    private void run(Run r, Path dir, List<Long> pids) throws IOException, InterruptedException {
        if (r.name().equals("fileio"))
            try (var files = Files.walk(dir)) { // a fresh directory for each run
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList())
                    if (!p.equals(dir))
                        Files.delete(p);
            }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djmck.root=" + Guests.ROOT, "-cp",
                System.getProperty("java.class.path"), "jmck.cli.Main", "mcexec", guest(r.name())));
        cmd.addAll(r.args());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        pids.add(p.pid());
        if (r.name().equals("wait_stdin")) { // killed while its guest waits in a delegated read of stdin
            StringBuilder line = new StringBuilder();
            for (int c; (c = p.getInputStream().read()) >= 0 && c != '\n'; )
                line.append((char) c);
            assertEquals("ready", line.toString());
            p.destroyForcibly();
        } else {
            p.getOutputStream().close();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), r.name() + " did not end");
        assertEquals(r.status(), p.exitValue(), r.name() + " " + r.args());
        p.getInputStream().close();
        p.getOutputStream().close();
    }

    /** A directory that a killed `jmck run` left in /dev/shm goes at the next run; one of a live process stays. */
    @Test
    void theNextRunRemovesWhatAKilledRunLeftInDevShm() throws Exception {
        java.lang.Process gone = new ProcessBuilder("true").start();
        assertEquals(0, gone.waitFor());
        Path stale = Path.of("/dev/shm", "jmck-" + gone.pid() + "-0");
        Path live = Path.of("/dev/shm", "jmck-" + ProcessHandle.current().pid() + "-999");
        Files.createDirectories(stale.resolve("instance"));
        Files.writeString(stale.resolve("instance/channel-100"), "left by a killed run");
        Files.createDirectories(live);
        try {
            Guests.Result r = Guests.jmck("run", guest("hello"));
            assertEquals(0, r.status(), r.stderr());
            assertFalse(Files.exists(stale), stale + " is still there");
            assertTrue(Files.isDirectory(live), live + " was removed, though its process lives");
        } finally {
            for (Path p : List.of(stale.resolve("instance/channel-100"), stale.resolve("instance"), stale, live))
                Files.deleteIfExists(p);
        }
    }

    /** The entries in /dev/shm. */
    private static List<String> shm() throws IOException {
        try (var s = Files.list(Path.of("/dev/shm"))) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
