package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;
import jmck.lwk.elf.ExecFormatException;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Process;
import jmck.lwk.signal.SigInfo;
import jmck.proxy.HostFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9: a corpus of hostile ELF files, run in this JVM through the path `jmck run` takes (ElfImage checks
 * the file, Kernel.prepare maps it and builds its stack) on one booted LWK. Each case must end either in
 * an ExecFormatException with one clear line, or in a load; a loaded mutant then runs (its delegated
 * syscalls fail with ENOSYS: no proxy is attached, so a mutant jumping into random code cannot touch the
 * host) until it ends or a short timeout kills it. Anything else is a failure that names the case: its
 * base program, the seed, its number and the mutation. Afterwards every frame is free again.
 *
 * <p>-Djmck.elfcorpus.seed=N and -Djmck.elfcorpus.cases=N (random mutants per program) change the corpus.
 */
class ElfCorpusTest {
    private static final long SEED = Long.getLong("jmck.elfcorpus.seed", 0x9e1f_c0de_2024L);
    private static final int RANDOM_CASES = Integer.getInteger("jmck.elfcorpus.cases", 2500);
    private static final long MEMORY = 64L << 20;
    /** How long a loaded mutant may run before it is killed. */
    private static final long RUN_NANOS = 2_000_000_000L;
    /** How long one case may take before the test calls it a hang. */
    private static final long HANG_SECONDS = 20;

    private enum Outcome { REFUSED, RAN, TIMED_OUT }

    /** Refusals by message, with the file name and numbers taken out: what the corpus saw, for the log. */
    private static final java.util.Map<String, Integer> MESSAGES = new java.util.TreeMap<>();
    /** How the mutants that loaded ended (their shell status), and how long they ran in all. */
    private static final java.util.Map<Integer, Integer> STATUSES = new java.util.TreeMap<>();
    private static final long[] RUN_NANOS_SPENT = {0};

    /** One program the mutants are made from. */
    private record Base(String label, Path path, int randomCases) {}

    private static List<Base> bases() {
        List<Base> l = new ArrayList<>();
        l.add(new Base("gcc/hello", Guests.guest("gcc", "hello"), RANDOM_CASES));
        l.add(new Base("gcc-pie/hello", Guests.guest("gcc-pie", "hello"), RANDOM_CASES));
        l.add(new Base("musl/hello", Guests.guest("musl", "hello"), RANDOM_CASES));
        Path busybox = Paths.get("/bin/busybox");
        if (isStaticX86(busybox)) // big: fewer cases
            l.add(new Base("busybox", busybox, RANDOM_CASES / 4));
        return l;
    }

    private static boolean isStaticX86(Path p) {
        try {
            ElfImage.open(p);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void hostileElfFilesEndInOneLineOrALoad() throws Exception {
        List<String> failures = new ArrayList<>();
        int[] counts = new int[Outcome.values().length];
        int tried = 0;
        boolean hung = false;
        long t0 = System.nanoTime();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            java.lang.Thread t = new java.lang.Thread(r, "elf-corpus");
            t.setDaemon(true); // a hung case must not keep the JVM alive
            return t;
        });
        try (Machine machine = Machine.create(1, MEMORY)) {
            OsInstance os = OsInstance.boot(machine, 1, List.of(machine.lwkMemory()), PageSize.LARGE);
            Kernel k = os.kernel();
            long freeAtBoot = k.frames().freeFrames();
            long lwkBytes = k.frames().totalFrames() * 4096;
            for (Base base : bases()) {
                byte[] fit = Files.readAllBytes(base.path());
                List<ElfMutants.Mutant> targeted = ElfMutants.targeted(fit, lwkBytes);
                for (int i = 0; i < targeted.size() + base.randomCases() && !hung; i++) {
                    int r = i - targeted.size();
                    ElfMutants.Mutant m = r < 0 ? targeted.get(i) : ElfMutants.random(fit, lwkBytes, SEED, r);
                    String name = base.label() + (r < 0 ? " targeted case " + i
                            : " seed " + ElfMutants.hex(SEED) + " case " + r) + " (" + m.name() + ")";
                    tried++;
                    long free = k.frames().freeFrames();
                    Future<Outcome> f = worker.submit(() -> tryCase(k, base.path(), m.bytes()));
                    try {
                        Outcome o = f.get(HANG_SECONDS, TimeUnit.SECONDS);
                        counts[o.ordinal()]++;
                        if (m.mustRefuse() && o != Outcome.REFUSED)
                            failures.add(name + ": loaded, but must be refused");
                    } catch (TimeoutException e) {
                        failures.add(name + ": hung for " + HANG_SECONDS + " s");
                        hung = true; // the worker is stuck, and the kernel with it
                    } catch (ExecutionException e) {
                        failures.add(name + ": " + describe(e.getCause()));
                    }
                    if (!hung && k.frames().freeFrames() != free)
                        failures.add(name + ": " + (free - k.frames().freeFrames()) + " frames not given back");
                }
            }
            System.out.printf("ELF corpus: %d cases in %.1f s, %d refused with one line, %d loaded and ran, "
                    + "%d loaded and were killed after %d s; %d failures%n", tried, (System.nanoTime() - t0) / 1e9,
                    counts[Outcome.REFUSED.ordinal()], counts[Outcome.RAN.ordinal()],
                    counts[Outcome.TIMED_OUT.ordinal()], RUN_NANOS / 1_000_000_000L, failures.size());
            MESSAGES.forEach((msg, n) -> System.out.printf("  %5d  %s%n", n, msg));
            System.out.println("  loaded mutants ended with status: " + STATUSES + "; their runs took "
                    + RUN_NANOS_SPENT[0] / 1_000_000 + " ms");
            if (!failures.isEmpty())
                throw new AssertionError(failures.size() + " of " + tried + " cases failed, first ones:\n"
                        + String.join("\n", failures.subList(0, Math.min(30, failures.size()))));
            assertEquals(0, k.processes().taskCount(), "processes left in the table");
            assertEquals(freeAtBoot, k.frames().freeFrames(), "frames leaked by failed or finished loads");
            os.shutdown();
        } finally {
            worker.shutdownNow();
        }
    }

    /** The path of `jmck run` after the file is read: check, load, run. */
    private static Outcome tryCase(Kernel k, Path path, byte[] bytes) {
        String name = path.toString();
        ElfImage elf;
        Process p;
        try {
            elf = ElfImage.parse(name, path, ByteBuffer.wrap(bytes));
            ElfSymbols.read(elf); // `jmck step` and --gdb read the symbols too
            p = k.prepare(elf, name, List.of(name), List.of(), HostFacts.credentials(), HostFacts.rlimits());
        } catch (ExecFormatException e) {
            String msg = e.getMessage();
            assertTrue(msg != null && !msg.isBlank(), "empty message");
            assertTrue(!msg.contains("\n") && !msg.contains("\r"), "more than one line: " + msg);
            assertTrue(!msg.contains("Exception") && !msg.contains("at jmck.") && !msg.contains("null"),
                    "not a message for a user: " + msg);
            assertTrue(msg.startsWith(name + ": "), "does not name the file: " + msg);
            MESSAGES.merge(msg.substring(name.length() + 2).replaceAll("0x[0-9a-f]+", "N")
                    .replaceAll("(?<![\\w/-])\\d+(?![\\w-])", "N"), 1, Integer::sum);
            return Outcome.REFUSED;
        }
        long t0 = System.nanoTime();
        k.start(p);
        boolean[] timedOut = {false};
        k.addTimer(System.nanoTime() + RUN_NANOS, () -> {
            if (!p.dead()) {
                timedOut[0] = true;
                k.killProcess(p, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
            }
        });
        k.run(p::dead);
        RUN_NANOS_SPENT[0] += System.nanoTime() - t0;
        STATUSES.merge(p.shellStatus(), 1, Integer::sum);
        return timedOut[0] ? Outcome.TIMED_OUT : Outcome.RAN;
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(4, st.length); i++)
            sb.append(" at ").append(st[i]);
        return sb.toString();
    }
}
