package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 6: many cores, threads and processes. Multi-threaded and multi-process guests give exactly the
 * results they give on Linux, on 1, 2 and 4 emulated cores: shared counters under locks and lock-prefixed
 * instructions, condition variables, barriers, spin-waits without syscalls (which only preemption can
 * end on a shared core), fork/exec/wait, pipes between processes, signals, OpenMP and a busybox shell.
 */
class ProcessesTest {
    private static final Map<String, Guests.Result> NATIVE = new ConcurrentHashMap<>();

    private static Guests.Result nativeRun(String... cmd) {
        return NATIVE.computeIfAbsent(String.join(" ", cmd), k -> Guests.host(cmd));
    }

    static Stream<Arguments> threadMatrix() {
        List<Arguments> l = new ArrayList<>();
        for (String flavor : new String[] {"gcc", "musl"})
            for (int cores : new int[] {1, 2, 4})
                for (int threads : new int[] {1, 2, 4, 8})
                    l.add(Arguments.of(flavor, cores, threads));
        return l.stream();
    }

    /**
     * Each pthreads test 20 times in one guest run: mutex, lock xadd / cmpxchg / xchg / cmpxchg16b
     * counters, condvar queue, barrier, join, and a syscall-free spin-wait. Every run must be exact.
     */
    @ParameterizedTest(name = "{0}, {1} core(s), {2} thread(s)")
    @MethodSource("threadMatrix")
    void pthreadsAreExactOnEveryCoreCount(String flavor, int cores, int threads) {
        String prog = Guests.guest(flavor, "threads").toString();
        Guests.Result linux = nativeRun(prog, "" + threads, "all", "20");
        assertEquals(6, linux.stdout().lines().filter(l -> l.endsWith(": 20 of 20 runs right")).count(), linux.stdout());
        Guests.jmck("run", "--cores", "" + cores, prog, "" + threads, "all", "20").assertSameAs(linux);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void processesMatchLinux(String flavor) {
        String prog = Guests.guest(flavor, "procs").toString();
        Guests.Result linux = nativeRun(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"cow parent sees: parent's data 1", "pipe: 8890 bytes, 1000 lines, then EOF",
                "exec'd child: fd without FD_CLOEXEC open, fd with it closed", "group member: killed by signal 9",
                "shared mapping after child wrote: 99", "segfaulting child: killed by signal 11"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /** The signal test, ending by the default action of SIGTERM, SIGABRT (core) and SIGSEGV. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc/15", "musl/15", "gcc/6", "musl/11"})
    void signalsMatchLinux(String flavorAndSignal) {
        String[] f = flavorAndSignal.split("/");
        String prog = Guests.guest(f[0], "signals").toString();
        Guests.Result linux = nativeRun(prog, f[1]);
        assertEquals(128 + Integer.parseInt(f[1]), linux.status());
        Guests.Result mine = Guests.jmck("run", prog, f[1]);
        mine.assertSameAs(linux);
        for (String line : new String[] {"SIGSEGV at 0x1234: si_addr 0x1234 SEGV_MAPERR",
                "sigsuspend: -1 EINTR, handler ran 1 time(s), SIGUSR1 blocked again: yes",
                "nanosleep interrupted: -1 EINTR, time left between 25 and 30 s: yes"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
        assertTrue(mine.stderr().contains("killed by SIG"), mine.stderr());
    }

    @Test
    void busyboxShellRunsPipelinesAndExitsWithItsStatus() {
        String[] sh = {"/bin/busybox", "sh", "-c", "echo hello | tr a-z A-Z; ls / | wc -l; exit 3"};
        Guests.Result linux = nativeRun(sh);
        assertEquals(3, linux.status());
        List<String> cmd = new ArrayList<>(List.of("run", "--cores", "2"));
        cmd.addAll(List.of(sh));
        Guests.jmck(cmd.toArray(String[]::new)).assertSameAs(linux);
    }

    /** OpenMP on 4 cores: the known result, and the scheduler trace shows four threads on four cores. */
    @Test
    void openMpUsesFourCores() {
        String prog = Guests.guest("gcc", "omp").toString();
        Guests.Result linux = Guests.host(Map.of("OMP_NUM_THREADS", "4"), null, prog, "4000000");
        assertTrue(linux.stdout().startsWith("threads 4, pi 3.14159"), linux.stdout());
        Guests.Result mine = Guests.jmck(Map.of("OMP_NUM_THREADS", "4"), null, "run", "--cores", "4", "--trace", "sched",
                prog, "4000000");
        mine.assertSameAs(linux);
        Set<String> coresRunningThreads = new TreeSet<>();
        Matcher m = Pattern.compile("sched core=(\\d+) pid=\\d+ tid=(\\d+) runs").matcher(mine.stderr());
        while (m.find())
            coresRunningThreads.add(m.group(1));
        assertEquals(Set.of("0", "1", "2", "3"), coresRunningThreads, mine.stderr());
        // with no OMP_NUM_THREADS, libgomp asks sched_getaffinity and starts one thread per emulated core
        assertTrue(Guests.jmck("run", "--cores", "3", prog, "1000").stdout().startsWith("threads 3,"));
    }

    @TempDir
    Path runtime;

    @AfterEach
    void stopDaemons() {
        Guests.jmck(Map.of("JMCK_RUNTIME_DIR", runtime.toString()), null, "ihk", "stop");
    }

    /** Through a booted instance and mcexec too: the forked children are served by the same mcexec. */
    @Test
    void mcexecServesForksExecsAndPipes() {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        assertEquals(0, Guests.jmck(env, null, "ihk", "reboot", "--cpus", "2", "--mem", "256M").status());
        String prog = Guests.guest("musl", "procs").toString();
        Guests.jmck(env, null, "mcexec", prog).assertSameAs(nativeRun(prog));
        String[] sh = {"/bin/busybox", "sh", "-c", "echo hello | tr a-z A-Z; ls / | wc -l; exit 3"};
        List<String> cmd = new ArrayList<>(List.of("mcexec"));
        cmd.addAll(List.of(sh));
        Guests.jmck(env, null, cmd.toArray(String[]::new)).assertSameAs(nativeRun(sh));
    }
}
