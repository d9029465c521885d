package jmck.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory of a machine no other process maps (`jmck run`'s): anonymous, in huge pages where the host allows. */
class PhysicalMemoryTest {
    private static final long MIB = 1L << 20;

    @Test
    void aPrivateMachinesMemoryIsAnonymousAndInHugePagesWhereTheHostGivesThem() throws Exception {
        try (PhysicalMemory m = PhysicalMemory.create(8 * MIB)) {
            assertNull(m.file(), "no file behind it");
            assertEquals(0, m.hostAddress() % (2 * MIB), "the window is 2 MiB aligned");
            for (long pa = 0; pa < 8 * MIB; pa += PhysicalMemory.PAGE_SIZE)
                m.putLong(pa, pa + 1);
            for (long pa = 0; pa < 8 * MIB; pa += PhysicalMemory.PAGE_SIZE)
                assertEquals(pa + 1, m.getLong(pa));
            String[] mapping = mapping(m.hostAddress());
            assertEquals(5, mapping[0].trim().split("\\s+").length, "anonymous, no path: " + mapping[0]);
            String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
            if (thp.contains("[always]") || thp.contains("[madvise]"))
                assertTrue(kb(mapping, "AnonHugePages:") >= 2048, "a huge page at least: " + String.join("\n", mapping));
        }
    }

    @Test
    void releasedMemoryReadsAsZero() {
        try (PhysicalMemory m = PhysicalMemory.create(4 * MIB)) {
            m.putLong(2 * MIB, 42);
            m.putLong(2 * MIB + 4096, 43);
            m.release(2 * MIB, 4096);
            assertEquals(0, m.getLong(2 * MIB));
            assertEquals(43, m.getLong(2 * MIB + 4096), "only the range given goes");
        }
    }

    @Test
    void manyWordsAreWrittenInOneCallAsOneByOne() {
        try (PhysicalMemory m = PhysicalMemory.create(4 * MIB)) {
            long[] words = {1, -2, 0x1122334455667788L, Long.MIN_VALUE};
            m.putLongs(MIB + 8, words);
            for (int i = 0; i < words.length; i++)
                assertEquals(words[i], m.getLong(MIB + 8 + 8L * i));
            assertEquals(0x88, m.getByte(MIB + 24) & 0xff, "little-endian, as getLong reads it");
            assertEquals(0, m.getLong(MIB), "nothing before");
            assertEquals(0, m.getLong(MIB + 40), "nothing after");
            assertThrows(IndexOutOfBoundsException.class, () -> m.putLongs(4 * MIB - 8, words), "not past the end");
        }
    }

    /** The lines of /proc/self/smaps about the mapping that starts at address. */
    private static String[] mapping(long address) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        String start = Long.toHexString(address) + "-";
        for (int i = 0; i < lines.size(); i++)
            if (lines.get(i).startsWith(start)) {
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).matches("^[0-9a-f]+-[0-9a-f]+ .*"))
                    j++;
                return lines.subList(i, j).toArray(new String[0]);
            }
        throw new AssertionError("no mapping at " + start);
    }

    private static long kb(String[] mapping, String field) {
        for (String l : mapping)
            if (l.startsWith(field))
                return Long.parseLong(l.substring(field.length()).trim().split("\\s+")[0]);
        return 0;
    }
}
