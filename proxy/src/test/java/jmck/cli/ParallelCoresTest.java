package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14: cores in parallel, each on a host thread of its own. Lock-prefixed instructions, xchg and
 * cmpxchg16b stay atomic between cores, the misaligned and page-crossing lock ops included (the engine's
 * stop-the-world step); TLB shootdowns reach every core before munmap or mprotect return; a timeout, Ctrl-C
 * and SIGTERM end a guest whose threads spin on every core, and the instance is as it was. The repetitions
 * come from -Djmck.repeat (scripts/test-long.sh runs each 20 times; scripts/test.sh a few).
 */
class ParallelCoresTest {
    /** How many times each multi-core case runs in a row. */
    static final int REPEAT = Integer.getInteger("jmck.repeat", 2);

    private static String guest(String name) {
        return Guests.guest("gcc", name).toString();
    }

    /** The shared-counter test through a real jmck: every total exact in 20 runs in a row, on 2 and 4 cores. */
    @ParameterizedTest(name = "{0} cores")
    @ValueSource(ints = {2, 4})
    void sharedCountersAreExact(int cores) {
        String prog = guest("atomics");
        Guests.Result linux = Guests.host(prog, "" + cores, "20000");
        assertTrue(linux.stdout().endsWith("all exact\n"), linux.stdout());
        for (int i = 0; i < 20; i++) {
            Guests.Result mine = Guests.jmck("run", "--cores", "" + cores, prog, "" + cores, "20000");
            mine.assertSameAs(linux);
        }
    }

    /**
     * Cores that outnumber the host CPUs take turns on them (host_cpus.c): with one host CPU lent to four
     * cores, threads spinning on an xchg spinlock and at OpenMP barriers hand it over, block in futexes and
     * are preempted between blocks, and every result is still native's; the log says how the cores run.
     */
    @Test
    void coresOutnumberingHostCpusTakeTurns() {
        Map<String, String> oneCpu = Map.of("JMCK_HOST_CPUS", "1");
        String atomics = guest("atomics"), omp = guest("omp");
        Guests.Result counters = Guests.host(atomics, "4", "5000");
        Guests.Result reduction = Guests.host(Map.of("OMP_NUM_THREADS", "4"), null, omp, "400000");
        for (int i = 0; i < REPEAT; i++) {
            Guests.Result r = Guests.jmck(oneCpu, null, "run", "-v", "--cores", "4", atomics, "4", "5000");
            r.assertSameAs(counters);
            assertTrue(r.stderr().contains("4 cores take turns on 1 host CPUs, a spinning core handing its CPU over"),
                    r.stderr());
            Map<String, String> env = new java.util.HashMap<>(oneCpu);
            env.put("OMP_NUM_THREADS", "4");
            Guests.jmck(env, null, "run", "--cores", "4", omp, "400000").assertSameAs(reduction);
        }
    }

    @Test
    void sharedCountersAreExactInExactModeToo() {
        String prog = guest("atomics");
        Guests.jmck("run", "--exact", "--cores", "2", prog, "2", "5000").assertSameAs(Guests.host(prog, "2", "5000"));
    }

    /** The kernel log names the engine and the mode. */
    @Test
    void theLogSaysWhichEngineAndModeRun() {
        String err = Guests.jmck("run", "-v", "--cores", "2", guest("hello")).stderr();
        assertTrue(err.contains("cores run on Unicorn 2.1.1 (jmck's parallel build"), err);
        assertTrue(err.contains("parallel mode: each core on a host thread of its own"), err);
        err = Guests.jmck("run", "-v", "--exact", "--cores", "2", guest("hello")).stderr();
        assertTrue(err.contains("exact mode: every core on one host thread"), err);
    }

    /**
     * Every core that runs a thread of the program has the large user-mode TLB, not only the core of its
     * first thread: the threads clone makes start elsewhere with a context (a core left at 256 entries
     * refilled its TLB 13 times as often in OpenMP CG). In both modes, and the threads still agree with Linux.
     */
    @ParameterizedTest(name = "exact mode {0}")
    @ValueSource(booleans = {false, true})
    void everyCoreRunningAThreadHasTheLargeTlb(boolean exact) {
        String prog = guest("threads");
        Guests.Result linux = Guests.host(prog, "2", "join");
        List<String> cmd = new ArrayList<>(List.of("run", "-v", "--cores", "2"));
        if (exact)
            cmd.add("--exact");
        cmd.addAll(List.of(prog, "2", "join"));
        Guests.Result r = Guests.jmck(cmd.toArray(new String[0]));
        assertEquals(linux.stdout(), r.stdout());
        for (int core = 0; core < 2; core++)
            assertTrue(r.stderr().contains("core " + core + ": user-mode TLB of 16384 entries"), r.stderr());
    }

    /**
     * The guest counts the LWK's cores however it asks, as under McKernel: sched_getaffinity (nproc) and
     * sysfs's CPU lists (getconf, which glibc answers from /sys/devices/system/cpu/online and possible)
     * agree, whatever the host has; the other files of that directory are the host's.
     */
    @ParameterizedTest(name = "{0} cores")
    @ValueSource(ints = {1, 3})
    void theGuestSeesTheLwksCoresInSysfs(int cores) {
        String n = "" + cores, list = cores == 1 ? "0" : "0-" + (cores - 1);
        String dir = "/sys/devices/system/cpu/";
        Guests.Result lists = Guests.jmck("run", "--cores", n, "/bin/busybox", "cat", dir + "online", dir + "possible",
                dir + "present");
        assertEquals(list + "\n" + list + "\n" + list + "\n", lists.stdout(), lists.stderr());
        Guests.Result counts = Guests.jmck("run", "--cores", n, "/bin/sh", "-c",
                "/usr/bin/getconf _NPROCESSORS_ONLN; /usr/bin/getconf _NPROCESSORS_CONF; /bin/busybox nproc");
        assertEquals(n + "\n" + n + "\n" + n + "\n", counts.stdout(), counts.stderr());
        Guests.jmck("run", "--cores", n, "/bin/busybox", "cat", dir + "kernel_max")
                .assertSameAs(Guests.host("/bin/busybox", "cat", dir + "kernel_max"));
    }

    /** With Debian's Unicorn (JMCK_UNICORN=debian) lock ops are atomic on one host thread only: exact mode. */
    @Test
    void debiansEngineRunsTheCoresInExactMode() {
        String prog = guest("atomics");
        Guests.Result r = Guests.jmck(Map.of("JMCK_UNICORN", "debian"), null, "run", "-v", "--cores", "2", prog, "2", "5000");
        assertTrue(r.stderr().contains("cores run on Unicorn 2.1.1 (Debian's build"), r.stderr());
        assertTrue(r.stderr().contains("exact mode: this engine keeps lock ops atomic on one host thread only"), r.stderr());
        assertTrue(r.stdout().endsWith("all exact\n"), r.stdout());
    }

    /**
     * The IPI stress: threads on several cores map, fill and unmap memory while the others read it; after
     * mprotect to read-only a write must fault on every other core, after munmap a read must. 1,000 rounds
     * in the long tier.
     */
    @ParameterizedTest(name = "{0} cores")
    @ValueSource(ints = {2, 4})
    void tlbShootdownsLeaveNoStaleTranslation(int cores) {
        String rounds = REPEAT >= 20 ? "1000" : "150";
        Guests.Result r = Guests.jmckWithin(900, "run", "--cores", "" + cores, guest("ipi_stress"), "" + (cores == 2 ? 3 : 4),
                rounds);
        assertEquals(0, r.status(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("stale writes 0, stale reads 0, wrong values 0\nno stale translation\n"), r.stdout());
    }

    @Test
    void aTimeoutEndsAGuestSpinningOnEveryCore() {
        long start = System.nanoTime();
        Guests.Result r = Guests.jmckWithin(120, "run", "--cores", "4", "--timeout", "2", guest("spin_all"), "4");
        assertEquals(124, r.status(), r.stderr());
        assertTrue(r.stderr().contains("timed out after 2 s"), r.stderr());
        assertTrue(System.nanoTime() - start < 100e9);
    }

    /** Ctrl-C and SIGTERM: the default action ends the guest; a handler runs while every core spins. */
    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalEndsAGuestSpinningOnEveryCore(String signal) throws Exception {
        Process p = launched.start(new ProcessBuilder(Guests.jmckCommand("run", "--cores", "2", guest("spin_all"), "2")));
        assertEquals("spinning", readLine(p));
        kill(signal, p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jmck still running after SIG" + signal);
        assertEquals(signal.equals("INT") ? 130 : 143, p.exitValue());
        p = launched.start(new ProcessBuilder(Guests.jmckCommand("run", "--cores", "2", guest("spin_all"), "2", "handle")));
        assertEquals("spinning", readLine(p));
        kill(signal, p);
        assertEquals("caught SIG" + signal, readLine(p));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jmck still running after the handler");
        assertEquals(3, p.exitValue());
    }

    @TempDir
    Path runtime;

    @RegisterExtension
    final Launched launched = new Launched();

    @AfterEach
    void stopDaemons() {
        Guests.jmck(Map.of("JMCK_RUNTIME_DIR", runtime.toString()), null, "ihk", "stop");
    }

    /**
     * Through a booted instance: SIGTERM and Ctrl-C to mcexec end a guest spinning on both cores, a kill of
     * the proxy too, and every counter of the instance comes back to its baseline.
     */
    @Test
    void signalsThroughMcexecEndSpinningGuestsAndLeaveTheInstanceAsItWas() throws Exception {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        assertEquals(0, Guests.jmck(env, null, "ihk", "reboot", "--cpus", "1-2", "--mem", "256M").status());
        assertEquals("hello\n", Guests.jmck(env, null, "mcexec", guest("hello")).stdout());
        Map<String, Long> baseline = LeaksAndLimitsTest.settledCounters(env);
        for (String signal : new String[] {"TERM", "INT", "KILL"}) {
            ProcessBuilder pb = new ProcessBuilder(Guests.jmckCommand("mcexec", guest("spin_all"), "2"));
            pb.environment().putAll(env);
            Process p = launched.start(pb);
            assertEquals("spinning", readLine(p));
            kill(signal, p);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "mcexec still running after SIG" + signal);
            LeaksAndLimitsTest.assertBackToBaseline(env, baseline, "SIG" + signal + " to mcexec");
        }
        String status = Guests.jmck(env, null, "ihk", "status").stdout();
        assertFalse(status.contains("process "), status);
        assertEquals("hello\n", Guests.jmck(env, null, "mcexec", guest("hello")).stdout());
    }

    static void kill(String signal, Process p) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
    }

    static String readLine(Process p) throws IOException {
        List<Byte> b = new ArrayList<>();
        for (int c; (c = p.getInputStream().read()) >= 0 && c != '\n'; )
            b.add((byte) c);
        byte[] a = new byte[b.size()];
        for (int i = 0; i < a.length; i++)
            a[i] = b.get(i);
        return new String(a, StandardCharsets.UTF_8);
    }
}
