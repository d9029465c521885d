package jmck.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Process;
import org.junit.jupiter.api.Test;

/**
 * Issue 4: a dead guest's frames, page tables and host files all come back, run after run, and the next
 * program runs correctly in the frames the last one used (no stale translated code survives).
 */
class ResourceReclaimTest {
    private static final Path ROOT = Paths.get(System.getProperty("jmck.root", "..")).toAbsolutePath().normalize();

    /** Host fds open in this process, but for the jars the JVM opens when it first loads a class from one. */
    private static List<String> openHostFds() throws IOException {
        try (var s = Files.list(Paths.get("/proc/self/fd"))) {
            return s.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return null; // the listing's own fd, gone already
                }
            }).filter(t -> t != null && !t.endsWith(".jar") && !t.startsWith(System.getProperty("java.home")))
                    .sorted().collect(java.util.stream.Collectors.toList());
        }
    }

    /**
     * Asserts the fds are back to the baseline. Other tests in this JVM may still be closing the pipes of
     * processes they ran, so a count above the baseline is given a moment to settle before it fails.
     */
    private static void assertFdsBack(List<String> baseline, String what) throws IOException {
        List<String> now = openHostFds();
        for (int i = 0; i < 20 && now.size() > baseline.size(); i++) {
            try {
                java.lang.Thread.sleep(50);
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
            }
            now = openHostFds();
        }
        assertEquals(baseline.size(), now.size(), "host fds leaked by " + what + ": " + now + " vs " + baseline);
    }

    /** Issue 6: 4,000 threads created and joined on 2 cores leave no thread, context, futex waiter or frame. */
    @Test
    void threadChurnLeavesNothingBehind() {
        try (Machine machine = Machine.create(2, 64L << 20)) {
            OsInstance os = OsInstance.boot(machine, 2, List.of(machine.lwkMemory()), PageSize.LARGE);
            Kernel k = os.kernel();
            long freeAtBoot = k.frames().freeFrames();
            long contextsAtBoot = jmck.emulator.UnicornCpu.liveContexts();
            Path prog = ROOT.resolve("guest-images/out/gcc/churn");
            Process p;
            try (LocalRun local = new LocalRun(k)) {
                p = local.start(ElfImage.open(prog), prog.toString(), List.of(prog.toString(), "1000"), List.of());
                assertEquals(0, local.runToEnd(p));
            }
            assertEquals(freeAtBoot, k.frames().freeFrames(), "frames leaked");
            assertEquals(0, k.processes().taskCount(), "threads or processes left in the table");
            assertEquals(0, k.futexes().waiters(), "futex waiters left");
            assertEquals(0, k.futexes().waitersCounted(), "futex waiter count the cores' hooks read: not back to 0");
            assertEquals(contextsAtBoot, jmck.emulator.UnicornCpu.liveContexts(), "register contexts leaked");
            os.shutdown();
        }
    }

    @Test
    void manyRunsLeaveNoFrameOrFileBehind() throws IOException {
        try (Machine machine = Machine.create(2, 64L << 20)) {
            OsInstance os = OsInstance.boot(machine, 2, List.of(machine.lwkMemory()), PageSize.LARGE);
            Kernel k = os.kernel();
            long freeAtBoot = k.frames().freeFrames();
            List<String> fdsAtBoot = null;
            String[] programs = {"exit_with", "mmap_edges", "maps", "null_deref", "touch_pages"};
            for (int run = 0; run < 40; run++) {
                String name = programs[run % programs.length];
                for (String flavor : new String[] {"gcc", "musl"}) {
                    Path prog = ROOT.resolve("guest-images/out").resolve(flavor).resolve(name);
                    Process p;
                    try (LocalRun local = new LocalRun(k)) {
                        p = local.start(ElfImage.open(prog), prog.toString(), List.of(prog.toString(), "7"), List.of("PATH=/bin"));
                        local.runToEnd(p);
                    }
                    int expected = name.equals("exit_with") ? 7 : name.equals("null_deref") ? 139 : 0;
                    assertEquals(expected, p.shellStatus(), flavor + "/" + name + " after " + run + " runs");
                    if (fdsAtBoot == null) // after the first run: the JVM keeps a few files open for good (/dev/urandom)
                        fdsAtBoot = openHostFds();
                    assertEquals(freeAtBoot, k.frames().freeFrames(), "frames leaked by " + flavor + "/" + name);
                    assertFdsBack(fdsAtBoot, flavor + "/" + name);
                }
            }
            os.shutdown();
            assertEquals(k.frames().totalFrames(), k.frames().freeFrames(), "kernel frames not returned");
        }
    }
}
