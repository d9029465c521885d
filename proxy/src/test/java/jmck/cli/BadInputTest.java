package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issues 3 and 9: each unfit file, run by a real `jmck run` process, ends in one clear line on stderr and a
 * non-zero exit (126, a shell's "cannot execute", for a file that is there but cannot run), never a stack
 * trace, never a hang.
 *
 * <p>Permissions follow execve: a file runs only if the host's access(2) grants execute permission, so
 * for root (as these tests usually run) any execute bit will do and no read bit is needed, while mode 000
 * or 644 is refused with "permission denied" even for root. jmck reads the file itself, so a user other
 * than root also needs read permission, which execve does not ask for; such a file is refused too.
 */
class BadInputTest {
    /** How long jmck may take to refuse a file: far longer than it needs, far shorter than a hang. */
    private static final int SECONDS = 60;

    @TempDir
    Path dir;

    private static void assertOneLineError(Guests.Result r, String expected) {
        assertNotEquals(0, r.status());
        assertEquals("", r.stdout());
        assertEquals(1, r.stderr().lines().count(), "not exactly one line: " + r.stderr());
        String err = r.stderr().strip();
        assertTrue(err.startsWith("jmck: "), err);
        assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
    }

    /** One line, and the status a shell gives a file it cannot execute. */
    private static void assertRefused(Guests.Result r, String expected) {
        assertOneLineError(r, expected);
        assertEquals(126, r.status(), r.stderr());
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

    private static ElfBytes helloBytes() throws IOException {
        return new ElfBytes(hello());
    }

    private Guests.Result run(Path p) {
        return Guests.jmckWithin(SECONDS, "run", p.toString());
    }

    private Guests.Result run(String name, ElfBytes e) throws IOException {
        return run(variant(name, e.bytes));
    }

    @Test
    void missingFile() {
        Guests.Result r = Guests.jmck("run", dir.resolve("nothing-here").toString());
        assertOneLineError(r, "no such file");
        assertEquals(127, r.status());
    }

    @Test
    void textFile() throws IOException {
        assertRefused(run(variant("script.txt", "echo hi\n".getBytes())), "not an ELF executable");
    }

    @Test
    void emptyFile() throws IOException {
        assertRefused(run(variant("empty", new byte[0])), "not an ELF executable (exec format error)");
    }

    @Test
    void directory() {
        assertRefused(run(dir), "is a directory");
    }

    @Test
    void noPermissionsAtAll() throws IOException {
        Path p = variant("mode000", hello());
        Files.setPosixFilePermissions(p, Set.of());
        assertRefused(run(p), "permission denied");
    }

    @Test
    void readableButNotExecutable() throws IOException {
        Path p = variant("mode644", hello());
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        assertRefused(run(p), "permission denied (no execute permission)");
    }

    @Test
    void executableButNotReadable() throws IOException {
        Path p = variant("mode100", hello());
        Files.setPosixFilePermissions(p, Set.of(PosixFilePermission.OWNER_EXECUTE));
        Guests.Result r = run(p);
        if (Files.isReadable(p)) { // root: execve runs it, and so does jmck
            assertEquals(0, r.status(), r.stderr());
            assertEquals("hello\n", r.stdout());
        } else {
            assertRefused(r, "permission denied (no read permission)");
        }
    }

    @Test
    void fifoDoesNotHang() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        fifo.toFile().setExecutable(true);
        assertRefused(run(fifo), "not a regular file (permission denied)");
    }

    @Test
    void deviceFile() {
        assertRefused(Guests.jmckWithin(SECONDS, "run", "/dev/null"), "not a regular file");
    }

    @Test
    void symbolicLinks() throws IOException {
        Path loop = dir.resolve("loop");
        Files.createSymbolicLink(loop, loop);
        assertRefused(run(loop), "too many levels of symbolic links");
        Path dangling = dir.resolve("dangling");
        Files.createSymbolicLink(dangling, dir.resolve("nothing-here"));
        Guests.Result r = run(dangling);
        assertOneLineError(r, "no such file or directory");
        assertEquals(127, r.status());
    }

    @Test
    void pathThroughAFile() throws IOException {
        assertRefused(run(variant("hello", hello()).resolve("x")), "not a directory");
    }

    @Test
    void fileOverTwoGiB() throws IOException {
        Path p = variant("big", hello());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength((2L << 30) + 4096); // sparse: takes no space
        }
        assertRefused(run(p), "file too large");
    }

    @Test
    void truncatedElf() throws IOException {
        byte[] b = java.util.Arrays.copyOf(hello(), 200);
        assertRefused(run(variant("truncated", b)), "truncated");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] b = java.util.Arrays.copyOf(hello(), 40);
        assertRefused(run(variant("truncated-header", b)), "truncated ELF header");
    }

    @Test
    void truncatedSegments() throws IOException {
        byte[] b = java.util.Arrays.copyOf(hello(), 4096);
        assertRefused(run(variant("half", b)), "truncated");
    }

    @Test
    void segmentPastTheEndOfTheFile() throws IOException {
        ElfBytes e = helloBytes();
        int data = e.dataLoad();
        e.set(data, ElfBytes.P_FILESZ, 1L << 40).set(data, ElfBytes.P_MEMSZ, 1L << 40);
        assertRefused(run("filesz", e), "program header " + data + ": the segment's 0x10000000000 bytes at offset");
    }

    @Test
    void thirtyTwoBitElf() throws IOException {
        byte[] b = hello();
        b[4] = 1; // EI_CLASS = ELFCLASS32
        assertRefused(run(variant("elf32", b)), "32-bit");
    }

    /** A whole i386 program (exit(0) by int 0x80), as `gcc -m32 -static -nostdlib` would make one. */
    @Test
    void realThirtyTwoBitElf() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(52 + 32 + 9).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        b.putShort((short) 2).putShort((short) 3).putInt(1); // ET_EXEC, EM_386, EV_CURRENT
        b.putInt(0x08048054).putInt(52).putInt(0).putInt(0); // entry, phoff, shoff, flags
        b.putShort((short) 52).putShort((short) 32).putShort((short) 1).putShort((short) 40).putShort((short) 0)
                .putShort((short) 0);
        b.putInt(1).putInt(0).putInt(0x08048000).putInt(0x08048000).putInt(93).putInt(93).putInt(5).putInt(0x1000);
        b.put(new byte[] {(byte) 0xb8, 1, 0, 0, 0, 0x31, (byte) 0xdb, (byte) 0xcd, (byte) 0x80});
        assertRefused(run(variant("i386", b.array())), "32-bit ELF; jmck runs 64-bit x86-64 programs only");
    }

    @Test
    void bigEndian() throws IOException {
        assertRefused(run("big-endian", helloBytes().set(ElfBytes.EI_DATA, 2)), "big-endian");
    }

    @Test
    void otherMachine() throws IOException {
        byte[] b = hello();
        b[18] = (byte) 183; // EM_AARCH64
        assertRefused(run(variant("arm64", b)), "AArch64");
        assertRefused(run("riscv", helloBytes().set(ElfBytes.E_MACHINE, 243)), "ELF for RISC-V, not x86-64");
    }

    @Test
    void objectFile() throws IOException {
        assertRefused(run("object.o", helloBytes().set(ElfBytes.E_TYPE, 1)), "ELF type ET_REL (an object file)");
        assertRefused(run("core", helloBytes().set(ElfBytes.E_TYPE, 4)), "ET_CORE");
    }

    /** Issue 15: dynamic programs run (DynamicTest); one whose interpreter is missing is "not found", as in a shell. */
    @Test
    void dynamicallyLinkedWithoutItsInterpreter() {
        Guests.Result r = Guests.jmckWithin(SECONDS, "run", Guests.guest("gcc-dynamic", "no_interp").toString());
        assertOneLineError(r, "its interpreter /nonexistent/ld-linux-x86-64.so.2: no such file or directory");
        assertEquals(127, r.status());
    }

    @Test
    void badProgramHeaderTable() throws IOException {
        assertRefused(run("phnum0", helloBytes().set(ElfBytes.E_PHNUM, 0)), "no program headers");
        assertRefused(run("phnum65535", helloBytes().set(ElfBytes.E_PHNUM, 65535)), "65535 program headers");
        assertRefused(run("phentsize", helloBytes().set(ElfBytes.E_PHENTSIZE, 32)), "program header size 32");
        assertRefused(run("phoff", helloBytes().set(ElfBytes.E_PHOFF, -1)),
                "program headers at offset 0xffffffffffffffff");
    }

    @Test
    void overlappingSegments() throws IOException {
        ElfBytes e = helloBytes();
        int first = e.firstLoad(), text = e.textLoad();
        e.set(text, ElfBytes.P_VADDR, e.get(first, ElfBytes.P_VADDR));
        assertRefused(run("overlap", e), "overlap");
    }

    @Test
    void segmentBiggerThanTheLwk() throws IOException {
        ElfBytes e = helloBytes();
        e.set(e.dataLoad(), ElfBytes.P_MEMSZ, 1L << 40);
        assertRefused(run("huge", e), "need 1024.0 GiB of memory, the LWK has ");
        assertTrue(run("huge", e).stderr().contains("(cannot allocate memory)"));
    }

    @Test
    void segmentWrappingPast2To64() throws IOException {
        ElfBytes e = helloBytes();
        int data = e.dataLoad();
        e.set(data, ElfBytes.P_MEMSZ, -e.get(data, ElfBytes.P_VADDR) + 0x1000);
        assertRefused(run("wrap", e), "do not fit in the user address space");
    }

    @Test
    void segmentIntoTheStack() throws IOException {
        ElfBytes e = helloBytes();
        int data = e.dataLoad();
        e.set(data, ElfBytes.P_MEMSZ, 0x7fff_ffff_f000L - e.get(data, ElfBytes.P_VADDR));
        assertRefused(run("stack", e), "runs into the stack");
    }

    @Test
    void segmentAtPageZero() throws IOException {
        ElfBytes e = helloBytes();
        long delta = -e.get(e.firstLoad(), ElfBytes.P_VADDR);
        for (int i = 0; i < e.phnum(); i++)
            if (e.get(i, ElfBytes.P_VADDR) != 0)
                e.set(i, ElfBytes.P_VADDR, e.get(i, ElfBytes.P_VADDR) + delta);
        e.set(ElfBytes.E_ENTRY, e.get(ElfBytes.E_ENTRY) + delta);
        assertRefused(run("page0", e), "the lowest address a program may map (operation not permitted)");
    }

    @Test
    void entryOutsideEverySegment() throws IOException {
        assertRefused(run("entry", helloBytes().set(ElfBytes.E_ENTRY, 0x1000)),
                "entry point 0x1000 lies outside every executable segment");
        ElfBytes e = helloBytes();
        assertRefused(run("entry-data", e.set(ElfBytes.E_ENTRY, e.get(e.dataLoad(), ElfBytes.P_VADDR))),
                "outside every executable segment");
    }

    @Test
    void badMemorySizeIsAUsageError() {
        Guests.Result r = Guests.jmck("run", "--mem", "lots", Guests.guest("gcc", "hello").toString());
        assertEquals(2, r.status());
        assertEquals("jmck run: --mem: 'lots' is not a size (a number with K, M or G, like 512M) (see jmck run --help)\n",
                r.stderr());
    }
}
