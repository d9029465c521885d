package jmck.lwk.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** How /proc paths are cut into names before the LWK resolves them. */
class ProcFsTest {
    @Test
    void emptyNamesAreSkippedAsThePathWalkSkipsThem() {
        assertArrayEquals(new String[] {"self", "fd", "3"}, ProcFs.components("self/fd/3"));
        assertArrayEquals(new String[] {"self", "fd", "3"}, ProcFs.components("//self///fd/3/"));
        assertArrayEquals(new String[] {"meminfo"}, ProcFs.components("meminfo"));
        assertArrayEquals(new String[0], ProcFs.components(""));
        assertArrayEquals(new String[0], ProcFs.components("///"));
    }
}
