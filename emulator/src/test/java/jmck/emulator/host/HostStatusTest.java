package jmck.emulator.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostStatusTest {
    @Test
    void aFieldIsItsLinesValueAsTheFileSaysIt() throws Exception {
        for (String field : new String[] {"Umask", "CapBnd", "Name"}) {
            String expected = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(field + ":"))
                    expected = line.substring(field.length() + 1).trim();
            assertEquals(expected, HostStatus.field(field), field);
        }
        assertNull(HostStatus.field("Cap"), "a prefix of a field is not a field");
        assertNull(HostStatus.field("NoSuchField"));
    }
}
