package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After ClassArchivePages.populate, every page of this JVM's writable class-data archive mappings is a private
 * copy already (Private_Dirty equals the mapping's size in /proc/self/smaps), so class loading no longer
 * faults on them one by one. The test JVM maps the JDK's own archive (CDS is on by default).
 */
class ClassArchivePagesTest {
    @Test
    void everyWritablePageOfTheArchivesIsCopiedInAdvance() throws Exception {
        assumeTrue(!writableArchiveMappings().isEmpty(), "this JVM maps no class-data archive");
        ClassArchivePages.populate();
        for (long[] m : writableArchiveMappings())
            assertEquals(m[0], m[1], "size and private dirty kB of a writable .jsa mapping");
    }

    /** {size kB, Private_Dirty kB} of each rw-p mapping of a .jsa file. */
    private static List<long[]> writableArchiveMappings() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        List<long[]> found = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.endsWith(".jsa") || !l.contains(" rw-p "))
                continue;
            long size = -1, dirty = -1;
            for (int j = i + 1; j < lines.size() && !lines.get(j).matches("^[0-9a-f]+-[0-9a-f]+ .*"); j++) {
                String[] f = lines.get(j).split("\\s+");
                if (f[0].equals("Size:"))
                    size = Long.parseLong(f[1]);
                else if (f[0].equals("Private_Dirty:"))
                    dirty = Long.parseLong(f[1]);
            }
            found.add(new long[] {size, dirty});
        }
        return found;
    }
}
