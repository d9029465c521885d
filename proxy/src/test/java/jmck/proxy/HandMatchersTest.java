package jmck.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The proxy's path matchers written by hand match exactly what the regular expressions they replace matched. */
class HandMatchersTest {
    private static final List<String> PATHS = List.of("/proc/self/fd/3", "/proc/self/fd/3/x", "/proc/self/fdinfo/12",
            "/proc/thread-self/fd/0", "/proc/thread-self/fdinfo/7/", "/dev/fd/1", "/dev/fd/123456789",
            "/dev/fd/1234567890", "/dev/fd/", "/dev/fd/x", "/dev/fd/3x", "/proc/self/fd", "/proc/self/fd/",
            "/proc/self/fdx/3", "/proc/self/status", "/proc/1/fd/3", "/dev/stdin", "/proc/self/fd/07", "/proc/self/fd//",
            "/proc/123/mem", "/proc/123/map_files", "/proc/123/map_files/400000-401000", "/proc/123/task/124/mem",
            "/proc/123/task/124/map_files/x", "/proc/123/task/mem", "/proc/self/mem", "/proc//mem", "/proc/123/memx",
            "/proc/123/map_filesx", "/proc/12a/mem", "/proc/123/task/12/maps", "/proc/123", "/tmp/proc/1/mem");

    @Test
    void fdPathsAsTheExpressionSaidThem() {
        Pattern was = Pattern.compile("(?:/proc/(?:self|thread-self)/(fd|fdinfo)|/dev/(fd))/([0-9]{1,9})(/.*)?");
        for (String p : PATHS) {
            Matcher m = was.matcher(p);
            String[] expected = !m.matches() ? null
                    : new String[] {m.group(1) != null ? m.group(1) : m.group(2), m.group(3), m.group(4) != null ? m.group(4) : ""};
            assertArrayEquals(expected, GuestBuffers.fdPathParts(p), p);
        }
    }

    @Test
    void processMemoryAsTheExpressionSaidIt() {
        Pattern was = Pattern.compile("/proc/\\d+/(task/\\d+/)?(mem|map_files(/.*)?)");
        for (String p : PATHS)
            assertEquals(was.matcher(p).matches(), MachineMemoryFiles.isProcessMemory(p), p);
    }
}
