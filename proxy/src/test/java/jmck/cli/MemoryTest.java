package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 4: memory management seen from real guest programs, compared with the same programs on Linux. */
class MemoryTest {
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void mmapFamilyEdgesMatchLinux(String flavor) {
        String prog = Guests.guest(flavor, "mmap_edges").toString();
        Guests.Result r = Guests.jmck("run", prog);
        r.assertSameAs(Guests.host(prog));
        assertTrue(r.stdout().contains("write PROT_READ page                     SIGSEGV SEGV_ACCERR, si_addr exact"),
                r.stdout());
    }

    /**
     * Where mmap puts mappings (top-down, the highest hole that fits, hints, MAP_FIXED_NOREPLACE, mremap's
     * move) as on Linux; the free-gap index must not change it. A hint off a page boundary was rounded up
     * instead of down (round_hint_to_min).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void placementMatchesLinux(String flavor) {
        String prog = Guests.guest(flavor, "mmap_placement").toString();
        Guests.Result r = Guests.jmck("run", prog);
        r.assertSameAs(Guests.host(prog));
        assertTrue(r.stdout().contains("two pages skip it, below the lowest: 1"), r.stdout());
        assertFalse(r.stdout().contains(": 0"), r.stdout());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void procSelfMapsMatchesLinux(String flavor) {
        String prog = Guests.guest(flavor, "maps").toString();
        Guests.Result r = Guests.jmck("run", prog);
        r.assertSameAs(Guests.host(prog));
        assertTrue(r.stdout().contains("200001000-200002000 r--p 0 anon"), r.stdout());
        assertTrue(r.stdout().contains("[stack] rw-p"), r.stdout());
    }

    /** Random mmap/munmap/mprotect/madvise scripts: what the CPU can read and write afterwards, as on Linux. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void randomMappingScriptsLeaveTheCpuWithLinuxsView(String flavor) {
        String prog = Guests.guest(flavor, "mm_probe").toString();
        for (int seed = 1; seed <= 4; seed++) {
            byte[] script = script(new Random(seed), 400);
            for (String mode : new String[] {"2m", "4k"}) {
                Guests.Result mine = Guests.jmck(Map.of(), script, "run", "--page-size", mode, prog);
                Guests.Result linux = Guests.host(Map.of(), script, prog);
                mine.assertSameAs(linux);
                assertTrue(linux.stdout().contains("fault") && linux.stdout().contains("ok"), "weak script");
            }
        }
    }

    private static byte[] script(Random r, int steps) {
        StringBuilder b = new StringBuilder();
        String[] prots = {"none", "r", "rw", "rx"};
        for (int i = 0; i < steps; i++) {
            int page = r.nextInt(600), n = 1 + r.nextInt(r.nextBoolean() ? 4 : 600);
            switch (r.nextInt(8)) {
                case 0, 1 -> b.append("m ").append(page).append(' ').append(n).append(' ').append(prots[r.nextInt(4)]);
                case 2 -> b.append("u ").append(page).append(' ').append(n);
                case 3 -> b.append("p ").append(page).append(' ').append(n).append(' ').append(prots[r.nextInt(4)]);
                case 4 -> b.append("d ").append(page).append(' ').append(n);
                case 5 -> b.append("r ").append(r.nextInt(700));
                default -> b.append("w ").append(r.nextInt(700));
            }
            b.append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17})
    void teachingModeTakesOneFaultPerFreshPage(int pages) {
        for (String flavor : Guests.FLAVORS) {
            Guests.Result r = Guests.jmck("run", "--page-size", "4k", "--trace", "faults",
                    Guests.guest(flavor, "touch_pages").toString(), String.valueOf(pages));
            assertEquals(0, r.status(), r.stderr());
            Matcher m = Pattern.compile("mapping 0x([0-9a-f]+) ").matcher(r.stderr());
            assertTrue(m.find(), r.stderr());
            long start = Long.parseUnsignedLong(m.group(1), 16), end = start + pages * 4096L;
            long faults = r.stderr().lines().filter(l -> l.startsWith("fault ")).filter(l -> {
                long addr = Long.parseUnsignedLong(l.replaceAll(".* addr=0x([0-9a-f]+) .*", "$1"), 16);
                return addr >= start && addr < end;
            }).peek(l -> assertTrue(l.contains("-> mapped 4K"), l)).count();
            assertEquals(pages, faults, flavor + "\n" + r.stderr());
        }
    }

    @Test
    void touchingOneGibTakesAbout512LargePageFaults() {
        String prog = Guests.guest("gcc", "touch_mem").toString();
        Guests.Result r = Guests.jmck("run", "--trace", "faults", prog, "1024");
        assertEquals("touched 1024 MiB, checksum 33423360\n", r.stdout());
        long large = r.stderr().lines().filter(l -> l.contains("-> mapped 2M")).count();
        assertTrue(large >= 500 && large <= 512, "2 MiB faults: " + large);
        assertTrue(r.stderr().lines().filter(l -> l.startsWith("fault ")).count() < 1100, "too many faults");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void fileMappingsReadAndWriteTheFileAsOnLinux(String flavor, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path mine = java.nio.file.Files.createDirectory(dir.resolve("jmck"));
        java.nio.file.Path linux = java.nio.file.Files.createDirectory(dir.resolve("linux"));
        String prog = Guests.guest(flavor, "mmap_file").toString();
        Guests.Result r = Guests.jmck("run", prog, mine.toString());
        r.assertSameAs(Guests.host(prog, linux.toString()));
        assertTrue(r.stdout().contains("file after munmap: !"), r.stdout());
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.nio.file.Files.readAllBytes(linux.resolve("mapped.txt")),
                java.nio.file.Files.readAllBytes(mine.resolve("mapped.txt")));
    }

    @Test
    void exhaustingThePartitionKillsTheGuestCleanly() {
        Guests.Result r = Guests.jmck("run", "--mem", "64M", Guests.guest("gcc", "touch_mem").toString(), "256");
        assertEquals(137, r.status(), r.stderr());
        assertTrue(r.stderr().contains("out of memory"), r.stderr());
        assertFalse(r.stderr().contains("Exception") || r.stderr().contains("\tat "), r.stderr());
    }
}
