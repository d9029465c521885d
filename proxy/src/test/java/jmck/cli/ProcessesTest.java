package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 6: many cores, threads and processes. Multi-threaded and multi-process guests give exactly the
 * results they give on Linux, on 1, 2 and 4 emulated cores: shared counters under locks and lock-prefixed
 * instructions, condition variables, barriers, spin-waits without syscalls (which only preemption can
 * end on a shared core), fork/exec/wait, pipes between processes, signals, OpenMP and a busybox shell.
 * Issue 14: each in both modes, parallel (each core on a host thread of its own, the default) and exact
 * (--exact: every core on one host thread); a multi-core case runs -Djmck.repeat times in a row
 * (scripts/test-long.sh: 20).
 */
class ProcessesTest {
    /** How many times each multi-core case runs in a row. */
    private static final int REPEAT = Integer.getInteger("jmck.repeat", 1);

    /** jmck run with the mode's flag (parallel: none, exact: --exact) before the other arguments. */
    private static Guests.Result jmckRun(String mode, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("run"));
        if (mode.equals("exact"))
            cmd.add("--exact");
        cmd.addAll(List.of(args));
        return Guests.jmck(env, null, cmd.toArray(String[]::new));
    }

    /** Runs check repeatedly when the case uses more than one core. */
    private static void repeat(int cores, Runnable check) {
        for (int i = 0; i < (cores > 1 ? REPEAT : 1); i++)
            check.run();
    }
    private static final Map<String, Guests.Result> NATIVE = new ConcurrentHashMap<>();

    private static Guests.Result nativeRun(String... cmd) {
        return NATIVE.computeIfAbsent(String.join(" ", cmd), k -> Guests.host(cmd));
    }

    static Stream<Arguments> threadMatrix() {
        List<Arguments> l = new ArrayList<>();
        for (String mode : new String[] {"parallel", "exact"})
            for (String flavor : mode.equals("exact") ? new String[] {"gcc"} : new String[] {"gcc", "musl"})
                for (int cores : new int[] {1, 2, 4})
                    for (int threads : new int[] {1, 2, 4, 8})
                        l.add(Arguments.of(mode, flavor, cores, threads));
        return l.stream();
    }

    /**
     * Each pthreads test 20 times in one guest run: mutex, lock xadd / cmpxchg / xchg / cmpxchg16b
     * counters, condvar queue, barrier, join, and a syscall-free spin-wait. Every run must be exact.
     */
    @ParameterizedTest(name = "{0}, {1}, {2} core(s), {3} thread(s)")
    @MethodSource("threadMatrix")
    void pthreadsAreExactOnEveryCoreCount(String mode, String flavor, int cores, int threads) {
        String prog = Guests.guest(flavor, "threads").toString();
        Guests.Result linux = nativeRun(prog, "" + threads, "all", "20");
        assertEquals(6, linux.stdout().lines().filter(l -> l.endsWith(": 20 of 20 runs right")).count(), linux.stdout());
        repeat(cores, () -> jmckRun(mode, Map.of(), "--cores", "" + cores, prog, "" + threads, "all", "20").assertSameAs(linux));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"parallel/gcc", "parallel/gcc-pie", "parallel/musl", "exact/gcc", "exact/musl"})
    void processesMatchLinux(String modeAndFlavor) {
        String mode = modeAndFlavor.split("/")[0], prog = Guests.guest(modeAndFlavor.split("/")[1], "procs").toString();
        Guests.Result linux = nativeRun(prog);
        assertEquals(0, linux.status(), linux.stderr());
        repeat(2, () -> {
            Guests.Result mine = jmckRun(mode, Map.of(), "--cores", "2", prog);
            mine.assertSameAs(linux);
            for (String line : new String[] {"cow parent sees: parent's data 1", "pipe: 8890 bytes, 1000 lines, then EOF",
                    "exec'd child: fd without FD_CLOEXEC open, fd with it closed", "group member: killed by signal 9",
                    "shared mapping after child wrote: 99", "segfaulting child: killed by signal 11"})
                assertTrue(mine.stdout().contains(line + "\n"), line);
        });
    }

    /** The signal test, ending by the default action of SIGTERM, SIGABRT (core) and SIGSEGV, on 1 and 2 cores. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"parallel/gcc/15/1", "parallel/musl/15/2", "parallel/gcc/6/2", "parallel/musl/11/1",
            "exact/gcc/15/2", "exact/musl/11/1"})
    void signalsMatchLinux(String modeFlavorSignalCores) {
        String[] f = modeFlavorSignalCores.split("/");
        String prog = Guests.guest(f[1], "signals").toString();
        Guests.Result linux = nativeRun(prog, f[2]);
        assertEquals(128 + Integer.parseInt(f[2]), linux.status());
        int cores = Integer.parseInt(f[3]);
        for (int i = 0; i < (cores > 1 ? REPEAT : 1) - 1; i++)
            jmckRun(f[0], Map.of(), "--cores", f[3], prog, f[2]).assertSameAs(linux);
        Guests.Result mine = jmckRun(f[0], Map.of(), "--cores", f[3], prog, f[2]);
        mine.assertSameAs(linux);
        for (String line : new String[] {"SIGSEGV at 0x1234: si_addr 0x1234 SEGV_MAPERR",
                "sigsuspend: -1 EINTR, handler ran 1 time(s), SIGUSR1 blocked again: yes",
                "nanosleep interrupted: -1 EINTR, time left between 25 and 30 s: yes"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
        assertTrue(mine.stderr().contains("killed by SIG"), mine.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"parallel", "exact"})
    void busyboxShellRunsPipelinesAndExitsWithItsStatus(String mode) {
        String[] sh = {"/bin/busybox", "sh", "-c", "echo hello | tr a-z A-Z; ls / | wc -l; exit 3"};
        Guests.Result linux = nativeRun(sh);
        assertEquals(3, linux.status());
        List<String> cmd = new ArrayList<>(List.of("--cores", "2"));
        cmd.addAll(List.of(sh));
        repeat(2, () -> jmckRun(mode, Map.of(), cmd.toArray(String[]::new)).assertSameAs(linux));
    }

    /**
     * A signal storm (guest-images/src/signal_storm.c): a thread sends signals as fast as it can to another
     * that counts in its own code; on one core, and on two that take turns on one host thread, the receiver
     * still gets through (it once lost the core at every handler's rt_sigreturn and never finished).
     */
    @ParameterizedTest
    @ValueSource(strings = {"parallel", "exact"})
    void aSignalStormDoesNotStarveItsReceiver(String mode) {
        String prog = Guests.guest("gcc", "signal_storm").toString();
        Guests.Result linux = nativeRun(prog, "300000");
        for (String cores : List.of("1", "2"))
            repeat(Integer.parseInt(cores), () -> jmckRun(mode, Map.of(), "--cores", cores, prog, "300000").assertSameAs(linux));
    }

    /** OpenMP on 4 cores: the known result, and the scheduler trace shows four threads on four cores. */
    @ParameterizedTest
    @ValueSource(strings = {"parallel", "exact"})
    void openMpUsesFourCores(String mode) {
        String prog = Guests.guest("gcc", "omp").toString();
        Guests.Result linux = Guests.host(Map.of("OMP_NUM_THREADS", "4"), null, prog, "4000000");
        assertTrue(linux.stdout().startsWith("threads 4, pi 3.14159"), linux.stdout());
        for (int i = 0; i < REPEAT - 1; i++)
            jmckRun(mode, Map.of("OMP_NUM_THREADS", "4"), "--cores", "4", prog, "4000000").assertSameAs(linux);
        Guests.Result mine = jmckRun(mode, Map.of("OMP_NUM_THREADS", "4"), "--cores", "4", "--trace", "sched",
                prog, "4000000");
        mine.assertSameAs(linux);
        Set<String> coresRunningThreads = new TreeSet<>();
        Matcher m = Pattern.compile("sched core=(\\d+) pid=\\d+ tid=(\\d+) runs").matcher(mine.stderr());
        while (m.find())
            coresRunningThreads.add(m.group(1));
        assertEquals(Set.of("0", "1", "2", "3"), coresRunningThreads, mine.stderr());
        // with no OMP_NUM_THREADS, libgomp asks sched_getaffinity and starts one thread per emulated core
        assertTrue(jmckRun(mode, Map.of(), "--cores", "3", prog, "1000").stdout().startsWith("threads 3,"));
    }

    /**
     * A turn handed back and forth 20,000 times through FUTEX_WAIT/FUTEX_WAKE_PRIVATE while another thread wakes
     * a word nobody waits on: no wake-up lost (a lost one hangs) with the cores' hooks answering the wakes that
     * find no waiter (parallel mode; the log counts them), and the wake's own errors still the kernel's. With
     * --trace syscalls the kernel sees every call: the trace shows the last wake, which finds no waiter. (Exact
     * mode hands over at the pace of its slices, which the waking thread fills with wakes: 100 rounds.)
     */
    @ParameterizedTest(name = "{0}, {1} cores, {2} rounds")
    @CsvSource({"parallel/gcc, 2, 20000", "parallel/musl, 3, 20000", "exact/gcc, 2, 100"})
    void futexHandOffsLoseNoWakeUp(String modeAndFlavor, int cores, String rounds) {
        String mode = modeAndFlavor.split("/")[0], prog = Guests.guest(modeAndFlavor.split("/")[1], "futex_handoff").toString();
        Guests.Result linux = nativeRun(prog, rounds);
        assertTrue(linux.stdout().contains("wakes on a word nobody waits on: woke nobody\nmisaligned: -1 EINVAL\n"), linux.stdout());
        repeat(cores, () -> {
            Guests.Result mine = jmckRun(mode, Map.of(), "-v", "--cores", "" + cores, prog, rounds);
            mine.assertSameAs(linux);
            Matcher answered = Pattern.compile("the cores' hooks answered (\\d+) futex wakes").matcher(mine.stderr());
            if (mode.equals("parallel"))
                assertTrue(answered.find() && Long.parseLong(answered.group(1)) > 0, mine.stderr());
            else
                assertFalse(answered.find(), "exact mode: every trap reaches the kernel\n" + mine.stderr());
        });
        Guests.Result traced = jmckRun(mode, Map.of(), "--trace", "syscalls", "--cores", "" + cores, prog, "100");
        assertTrue(traced.stderr().contains("futex(0x10, 129, 1, NULL, NULL, 0) = 0"), traced.stderr());
    }

    @TempDir
    Path runtime;

    @AfterEach
    void stopDaemons() {
        Guests.jmck(Map.of("JMCK_RUNTIME_DIR", runtime.toString()), null, "ihk", "stop");
    }

    /** Through a booted instance and mcexec too: the forked children are served by the same mcexec. */
    @ParameterizedTest
    @ValueSource(strings = {"parallel", "exact"})
    void mcexecServesForksExecsAndPipes(String mode) {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        assertEquals(0, Guests.jmck(env, null, "ihk", "reboot", "--cpus", "1-2", "--mem", "256M", "--kargs", "mode=" + mode)
                .status());
        String prog = Guests.guest("musl", "procs").toString();
        Guests.jmck(env, null, "mcexec", prog).assertSameAs(nativeRun(prog));
        String[] sh = {"/bin/busybox", "sh", "-c", "echo hello | tr a-z A-Z; ls / | wc -l; exit 3"};
        List<String> cmd = new ArrayList<>(List.of("mcexec"));
        cmd.addAll(List.of(sh));
        Guests.jmck(env, null, cmd.toArray(String[]::new)).assertSameAs(nativeRun(sh));
    }
}
