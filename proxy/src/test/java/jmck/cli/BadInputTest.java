package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 3: each unfit file ends in one clear line and a non-zero exit, never a stack trace. */
class BadInputTest {
    @TempDir
    Path dir;

    private static void assertOneLineError(Guests.Result r, String expected) {
        assertNotEquals(0, r.status());
        assertEquals("", r.stdout());
        String err = r.stderr().strip();
        assertFalse(err.contains("\n"), "more than one line: " + err);
        assertTrue(err.startsWith("jmck: "), err);
        assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
    }

    private Path variant(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        p.toFile().setExecutable(true);
        return p;
    }

    private static byte[] hello() throws IOException {
        return Files.readAllBytes(Guests.guest("gcc", "hello"));
    }

    @Test
    void missingFile() {
        Guests.Result r = Guests.jmck("run", dir.resolve("nothing-here").toString());
        assertOneLineError(r, "no such file");
        assertEquals(127, r.status());
    }

    @Test
    void textFile() throws IOException {
        assertOneLineError(Guests.jmck("run", variant("script.txt", "echo hi\n".getBytes()).toString()),
                "not an ELF executable");
    }

    @Test
    void emptyFile() throws IOException {
        assertOneLineError(Guests.jmck("run", variant("empty", new byte[0]).toString()), "not an ELF executable");
    }

    @Test
    void directory() {
        assertOneLineError(Guests.jmck("run", dir.toString()), "is a directory");
    }

    @Test
    void truncatedElf() throws IOException {
        byte[] b = java.util.Arrays.copyOf(hello(), 200);
        assertOneLineError(Guests.jmck("run", variant("truncated", b).toString()), "truncated");
    }

    @Test
    void truncatedSegments() throws IOException {
        byte[] b = java.util.Arrays.copyOf(hello(), 4096);
        assertOneLineError(Guests.jmck("run", variant("half", b).toString()), "truncated");
    }

    @Test
    void thirtyTwoBitElf() throws IOException {
        byte[] b = hello();
        b[4] = 1; // EI_CLASS = ELFCLASS32
        assertOneLineError(Guests.jmck("run", variant("elf32", b).toString()), "32-bit");
    }

    @Test
    void otherMachine() throws IOException {
        byte[] b = hello();
        b[18] = (byte) 183; // EM_AARCH64
        assertOneLineError(Guests.jmck("run", variant("arm64", b).toString()), "AArch64");
    }

    @Test
    void dynamicallyLinked() {
        assertOneLineError(Guests.jmck("run", Guests.guest("gcc-dynamic", "hello").toString()),
                "dynamically linked; build with -static");
    }

    @Test
    void badMemorySize() {
        assertOneLineError(Guests.jmck("run", "--mem", "lots", Guests.guest("gcc", "hello").toString()), "bad size");
    }
}
