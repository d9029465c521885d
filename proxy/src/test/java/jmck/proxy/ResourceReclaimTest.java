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
    private static long openHostFds() throws IOException {
        try (var s = Files.list(Paths.get("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    return !target.endsWith(".jar") && !target.startsWith(System.getProperty("java.home"));
                } catch (IOException e) {
                    return false; // the listing's own fd, gone already
                }
            }).count();
        }
    }

    @Test
    void manyRunsLeaveNoFrameOrFileBehind() throws IOException {
        try (Machine machine = Machine.create(2, 64L << 20)) {
            OsInstance os = OsInstance.boot(machine, 2, List.of(machine.lwkMemory()), PageSize.LARGE);
            Kernel k = os.kernel();
            long freeAtBoot = k.frames().freeFrames();
            long fdsAtBoot = -1;
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
                    if (fdsAtBoot < 0) // after the first run: the JVM keeps a few files open for good (/dev/urandom)
                        fdsAtBoot = openHostFds();
                    assertEquals(freeAtBoot, k.frames().freeFrames(), "frames leaked by " + flavor + "/" + name);
                    assertEquals(fdsAtBoot, openHostFds(), "host fds leaked by " + flavor + "/" + name);
                }
            }
            os.shutdown();
            assertEquals(k.frames().totalFrames(), k.frames().freeFrames(), "kernel frames not returned");
        }
    }
}
