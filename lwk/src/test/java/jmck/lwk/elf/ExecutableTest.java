package jmck.lwk.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import jmck.lwk.abi.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The #! line as Linux's load_script reads it, and execve's chain of interpreters. */
class ExecutableTest {
    @TempDir
    Path dir;

    private static String[] line(String text) {
        return Executable.interpreterLine("s", ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void theInterpreterAndOneArgumentThatIsTheRestOfTheLine() {
        assertArrayEquals(new String[] {"/bin/sh", null}, line("#!/bin/sh\necho hi\n"));
        assertArrayEquals(new String[] {"/bin/sh", null}, line("#! \t/bin/sh  \t\n"));
        assertArrayEquals(new String[] {"/bin/sh", "-e"}, line("#!/bin/sh -e\n"));
        assertArrayEquals(new String[] {"/usr/bin/env", "python3 -u"}, line("#!/usr/bin/env   python3 -u  \n"));
        assertArrayEquals(new String[] {"/bin/sh", null}, line("#!/bin/sh"), "no newline at all: the file's end");
        assertArrayEquals(new String[] {"/bin/sh", null}, line("#!/bin/sh\0 -x\n"), "a NUL ends the name and drops the rest");
    }

    @Test
    void noInterpreterIsExecFormatError() {
        assertEquals(Errno.ENOEXEC, assertThrows(ExecFormatException.class, () -> line("#!\n")).errno());
        assertEquals(Errno.ENOEXEC, assertThrows(ExecFormatException.class, () -> line("#!   \t \nx")).errno());
        // a name that runs past the 256 bytes Linux reads might be cut short: refused
        assertEquals(Errno.ENOEXEC, assertThrows(ExecFormatException.class, () -> line("#!/" + "a".repeat(300))).errno());
        // but a long argument is only cut
        assertEquals("/bin/sh", line("#!/bin/sh " + "b".repeat(300))[0]);
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void aChainOfScriptsEndsInAnElfProgram() throws IOException {
        Path inner = script("inner", "#!/bin/sh -x\n");
        Path outer = script("outer", "#!" + inner + " one two\n");
        Executable e = Executable.open(outer, "./outer", List.of("./outer", "a", "b"));
        assertTrue(e.elf().path().toString().equals("/bin/sh"), e.elf().path().toString());
        assertEquals(List.of("/bin/sh", "-x", inner.toString(), "one two", "./outer", "a", "b"), e.argv());
    }

    @Test
    void tooManyLevelsIsEloopAndAMissingInterpreterEnoent() throws IOException {
        Path loop = dir.resolve("loop");
        script("loop", "#!" + loop + "\n");
        assertEquals(Errno.ELOOP, assertThrows(ExecFormatException.class,
                () -> Executable.open(loop, "loop", List.of("loop"))).errno());
        Path missing = script("missing", "#!/nonexistent/sh\n");
        ExecFormatException x = assertThrows(ExecFormatException.class, () -> Executable.open(missing, "m", List.of("m")));
        assertEquals(Errno.ENOENT, x.errno());
        assertEquals("m: its interpreter /nonexistent/sh: no such file or directory", x.getMessage());
    }
}
