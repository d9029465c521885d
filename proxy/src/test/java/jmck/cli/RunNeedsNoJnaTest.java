package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A program's run, delegated calls included, starts no JNA: its start-up is tens of milliseconds of CPU
 * (java.util.logging among it) that every run paid while the proxy's buffers were JNA memory. Only
 * stepping, tracing and the disassembler use it now. Each program also gives its native output.
 */
class RunNeedsNoJnaTest {
    static Stream<List<String>> programs() {
        return Stream.of(List.of(Guests.guest("gcc", "hello").toString()), List.of("/bin/cat", "/etc/os-release"),
                List.of("/bin/ls", "-l", "/usr/lib"), List.of("/bin/sh", "-c", "echo piped | /bin/wc -c"));
    }

    @ParameterizedTest
    @MethodSource("programs")
    void aRunLoadsNoJnaNative(List<String> program, @TempDir Path dir) throws IOException {
        Guests.Result linux = Guests.host(program.toArray(String[]::new));
        List<String> run = new ArrayList<>(List.of("run"));
        run.addAll(program);
        // %p: one file per JVM, should anything start another
        String options = "-Xlog:class+load=info:file=" + dir.resolve("classes-%p.txt");
        Guests.Result mine = Guests.jmck(Map.of("JAVA_TOOL_OPTIONS", options), null, run.toArray(String[]::new));
        mine.assertSameAs(linux);
        StringBuilder classes = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : (Iterable<Path>) logs::iterator)
                classes.append(Files.readString(log));
        }
        assertTrue(classes.indexOf("jmck.proxy.HostCalls ") >= 0, "the log lists the proxy's classes");
        assertFalse(classes.indexOf("com.sun.jna.Native ") >= 0, "JNA's Native was loaded");
        assertFalse(classes.indexOf("com.sun.jna.Memory ") >= 0, "JNA's Memory was loaded");
    }
}
