package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * File I/O through the proxy, compared with Linux: a guest program that walks the file syscalls and their
 * errors, busybox applets on host files, and large files streamed through a guest. Each comparison runs
 * the same binary natively and under jmck, and compares what it printed, how it ended, and what it left
 * on disk.
 */
class FileIoTest {
    private static final String BUSYBOX = "/bin/busybox";
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    // ---- the fileio guest ----

    /**
     * The fileio guest natively and under jmck, with large pages and with 4 KiB pages (where a large buffer
     * is in many physical pieces), each in a fresh directory: same output, same status, same files left.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void fileSyscallsMatchLinux(String flavor, @TempDir Path nativeDir, @TempDir Path jmckDir,
            @TempDir Path smallPagesDir) throws IOException {
        String prog = Guests.guest(flavor, "fileio").toString();
        Guests.Result linux = Guests.host(prog, nativeDir.toString());
        assertEquals(0, linux.status(), linux.stderr());
        List<String> expected = tree(nativeDir);
        Guests.Result mine = Guests.jmck("run", prog, jmckDir.toString());
        mine.assertSameAs(linux);
        assertEquals(expected, tree(jmckDir), "the directories the two runs left differ");
        Guests.Result small = Guests.jmck("run", "--page-size", "4k", prog, smallPagesDir.toString());
        small.assertSameAs(linux);
        assertEquals(expected, tree(smallPagesDir), "the directories the two runs left differ (4k pages)");
        // lines that differed before the proxy was fixed, so that a weakened program shows here
        for (String line : new String[] {"F_GETFD after openat O_CLOEXEC: 1", "openat bad dirfd, absolute path: 4",
                "stat u1 (0666 under 077): file 0600 size 0 nlink 1", "SIGPIPE caught: 1",
                "lseek with bits above 32 set in the fd: 3", "openat dirfd, path ending a page: 4",
                "F_DUPFD 64: EINVAL", "pipe when full: EMFILE", "readv 8 MB in two iovecs: 8388608",
                "write /proc/self/maps opened O_RDONLY: EBADF", "read /dev/fd/N: 8 [one TWO ]",
                "close_range last < first: EINVAL", "open after it: 1 0 0"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /** The guest inherits the umask of the process that runs jmck, as a child process would. */
    @Test
    void umaskIsInheritedFromTheHost(@TempDir Path nativeDir, @TempDir Path jmckDir) throws IOException {
        String prog = Guests.guest("gcc", "fileio").toString();
        Guests.Result linux = Guests.host(withUmask("027", prog, nativeDir.toString()));
        String[] run = jmckCommand("run", prog, jmckDir.toString()).toArray(String[]::new);
        Guests.Result mine = Guests.host(withUmask("027", run));
        mine.assertSameAs(linux);
        assertTrue(mine.stdout().startsWith("initial umask: 027\n"), mine.stdout().lines().findFirst().orElse(""));
        assertEquals(tree(nativeDir), tree(jmckDir));
    }

    private static String[] withUmask(String umask, String... cmd) {
        List<String> all = new ArrayList<>(List.of("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh"));
        all.addAll(List.of(cmd));
        return all.toArray(String[]::new);
    }

    /** What `Guests.jmck(args)` runs, as a command line for wrapping in a shell. */
    private static List<String> jmckCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djmck.root=" + Guests.ROOT, "-cp",
                System.getProperty("java.class.path"), "jmck.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * One line per entry under root, sorted: relative path, permission bits, and the file's size and
     * SHA-256, the symlink's target, or "dir".
     */
    static List<String> tree(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
                StringBuilder b = new StringBuilder("/" + root.relativize(p)).append(' ')
                        .append(String.format("%04o", mode & 07777)).append(' ');
                if (Files.isSymbolicLink(p))
                    b.append("-> ").append(Files.readSymbolicLink(p));
                else if (Files.isDirectory(p, NOFOLLOW))
                    b.append("dir");
                else if (Files.isRegularFile(p, NOFOLLOW))
                    b.append(Files.size(p)).append(" bytes ").append(sha256(p));
                else
                    b.append("special");
                out.add(b.toString());
            }
        }
        return out;
    }

    // ---- busybox applets on host files ----

    private static final FileTime FIXED = FileTime.fromMillis(981173106000L); // 2001-02-03 04:05:06 UTC

    /** Files with known contents, modes and times (the links' own times too), so listings are stable. */
    private static Path fixture(Path dir) throws IOException {
        Path d = Files.createDirectory(dir.resolve("fixture"));
        Files.writeString(d.resolve("fruits.txt"), "banana\napple\ncherry\ndate\nApple pie\nfig\n");
        StringBuilder nums = new StringBuilder();
        for (int i = 2000; i >= 1; i--)
            nums.append(i * 7919 % 2003).append('\n');
        Files.writeString(d.resolve("nums.txt"), nums);
        byte[] blob = new byte[300_000];
        new Random(7).nextBytes(blob);
        Files.write(d.resolve("blob.bin"), blob);
        Files.write(d.resolve("empty"), new byte[0]);
        Path sub = Files.createDirectory(d.resolve("sub"));
        Files.writeString(sub.resolve("inner.txt"), "inner\n");
        Files.createDirectory(sub.resolve("deeper"));
        Files.createSymbolicLink(d.resolve("link"), Paths.get("fruits.txt"));
        Files.createSymbolicLink(d.resolve("dangling"), Paths.get("no/such/file"));
        Files.setAttribute(d.resolve("nums.txt"), "unix:mode", 0600);
        Files.setAttribute(d.resolve("blob.bin"), "unix:mode", 0750);
        Files.setAttribute(sub.resolve("deeper"), "unix:mode", 0700);
        try (Stream<Path> walk = Files.walk(d)) {
            for (Path p : (Iterable<Path>) walk::iterator)
                Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(FIXED, FIXED, null);
        }
        return d;
    }

    /** busybox ARGS... under jmck and natively: same stdout, stderr and status. */
    private static Guests.Result sameAsNative(byte[] stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(BUSYBOX));
        cmd.addAll(List.of(args));
        List<String> run = new ArrayList<>(List.of("run"));
        run.addAll(cmd);
        Guests.Result linux = Guests.host(Map.of(), stdin, cmd.toArray(String[]::new));
        Guests.Result mine = Guests.jmck(Map.of(), stdin, run.toArray(String[]::new));
        mine.assertSameAs(linux);
        assertEquals(linux.stderr(), mine.stderr(), "stderr of " + cmd);
        return mine;
    }

    @Test
    void busyboxReadingAppletsMatchNative(@TempDir Path dir) throws IOException {
        Path d = fixture(dir);
        String fruits = d.resolve("fruits.txt").toString(), nums = d.resolve("nums.txt").toString(),
                blob = d.resolve("blob.bin").toString(), empty = d.resolve("empty").toString(),
                link = d.resolve("link").toString(), inner = d.resolve("sub/inner.txt").toString();
        Guests.Result cat = sameAsNative(null, "cat", fruits, link, empty, inner);
        assertTrue(cat.stdout().startsWith("banana\napple\n"), cat.stdout());
        assertEquals(2 * Files.size(Paths.get(fruits)) + 6, cat.stdout().length());
        sameAsNative(null, "cat", fruits, d.resolve("missing").toString(), nums); // an error in the middle
        Guests.Result wc = sameAsNative(null, "wc", fruits, nums, blob, empty);
        assertTrue(wc.stdout().contains("2000"), wc.stdout());
        Guests.Result md5 = sameAsNative(null, "md5sum", fruits, nums, blob, empty);
        assertTrue(md5.stdout().contains("d41d8cd98f00b204e9800998ecf8427e  " + empty), md5.stdout());
        Guests.Result sort = sameAsNative(null, "sort", fruits);
        assertTrue(sort.stdout().startsWith("Apple pie\napple\nbanana\n"), sort.stdout());
        sameAsNative(null, "sort", "-n", "-r", nums);
        Guests.Result head = sameAsNative(null, "head", "-n", "3", nums);
        assertEquals(3, head.stdout().lines().count());
        sameAsNative(null, "head", "-n", "3", fruits, nums);
    }

    @Test
    void busyboxTrFiltersStdinLikeNative() {
        byte[] in = "Hello, World!\nabc xyz 123\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        Guests.Result tr = sameAsNative(in, "tr", "a-z", "A-Z");
        assertTrue(tr.stdout().startsWith("HELLO, WORLD!\nABC XYZ 123\n"), tr.stdout().lines().findFirst().orElse(""));
        assertEquals(in.length, tr.stdout().length());
    }

    @Test
    void busyboxLsListsLikeNative(@TempDir Path dir) throws IOException {
        Path d = fixture(dir);
        Guests.Result ls = sameAsNative(null, "ls", "-l", d.toString());
        assertTrue(ls.stdout().contains("link -> fruits.txt"), ls.stdout());
        assertTrue(ls.stdout().contains("2001"), ls.stdout());
        sameAsNative(null, "ls", "-la", d.resolve("sub").toString());
        sameAsNative(null, "ls", "-lnR", d.toString());
        sameAsNative(null, "ls", "-l", d.resolve("missing").toString());
    }

    @Test
    void busyboxCpCopiesLikeNative(@TempDir Path dir) throws IOException {
        Path d = fixture(dir);
        Path mine = Files.createDirectory(dir.resolve("mine")), linux = Files.createDirectory(dir.resolve("linux"));
        String blob = d.resolve("blob.bin").toString();
        Guests.Result m = Guests.jmck("run", BUSYBOX, "cp", blob, mine.toString());
        m.assertSameAs(Guests.host(BUSYBOX, "cp", blob, linux.toString()));
        assertEquals(0, m.status(), m.stderr());
        assertArrayEquals(Files.readAllBytes(d.resolve("blob.bin")), Files.readAllBytes(mine.resolve("blob.bin")));
        m = Guests.jmck("run", BUSYBOX, "cp", "-r", d.toString(), mine.resolve("tree").toString());
        m.assertSameAs(Guests.host(BUSYBOX, "cp", "-r", d.toString(), linux.resolve("tree").toString()));
        assertEquals(0, m.status(), m.stderr());
        assertEquals(tree(linux), tree(mine));
        assertEquals(tree(d).size(), tree(mine.resolve("tree")).size());
    }

    @Test
    void busyboxMkdirPMakesTheSameTree(@TempDir Path dir) throws IOException {
        Path mine = Files.createDirectory(dir.resolve("mine")), linux = Files.createDirectory(dir.resolve("linux"));
        String[][] runs = {{"mkdir", "-p", "a/b/c", "a/x"}, {"mkdir", "-p", "a/b/c"}, {"mkdir", "a/b"},
            {"mkdir", "-m", "0705", "-p", "m/n"}};
        for (String[] args : runs) {
            Guests.Result l = Guests.host(prepend(BUSYBOX, under(linux, args)));
            Guests.Result m = Guests.jmck(prepend("run", prepend(BUSYBOX, under(mine, args))));
            m.assertSameAs(l);
            assertEquals(l.stderr().replace(linux.toString(), ""), m.stderr().replace(mine.toString(), ""));
        }
        assertTrue(Files.isDirectory(mine.resolve("a/b/c")));
        assertEquals(tree(linux), tree(mine));
    }

    @Test
    void busyboxRmRRemovesTrees(@TempDir Path dir) throws IOException {
        Path mine = fixture(Files.createDirectory(dir.resolve("mine")));
        Path linux = fixture(Files.createDirectory(dir.resolve("linux")));
        Guests.Result m = Guests.jmck("run", BUSYBOX, "rm", "-r", mine.toString());
        Guests.Result l = Guests.host(BUSYBOX, "rm", "-r", linux.toString());
        m.assertSameAs(l);
        assertFalse(Files.exists(mine, NOFOLLOW));
        assertFalse(Files.exists(linux, NOFOLLOW));
        assertEquals(tree(dir.resolve("linux")), tree(dir.resolve("mine")));
        m = Guests.jmck("run", BUSYBOX, "rm", "-r", mine.toString());
        l = Guests.host(BUSYBOX, "rm", "-r", linux.toString());
        m.assertSameAs(l);
        assertEquals(1, m.status());
        assertEquals(l.stderr().replace(linux.toString(), ""), m.stderr().replace(mine.toString(), ""));
    }

    private static String[] under(Path dir, String[] args) {
        String[] out = args.clone();
        for (int i = 1; i < out.length; i++)
            if (!out[i].startsWith("-") && !out[i - 1].equals("-m"))
                out[i] = dir.resolve(out[i]).toString();
        return out;
    }

    private static String[] prepend(String first, String... rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    // ---- streaming a large file ----

    @TempDir
    static Path shared;
    private static Path big;
    private static String bigHash;
    private static final int BIG = 20 << 20;

    @BeforeAll
    static void makeBigFile() throws IOException {
        big = shared.resolve("big.bin");
        Random r = new Random(20);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(big)) {
            for (int i = 0; i < BIG / chunk.length; i++) {
                r.nextBytes(chunk);
                out.write(chunk);
            }
        }
        bigHash = sha256(big);
    }

    /** catn copies a 20 MB file to its stdout (a file here): every byte arrives, in order. */
    @ParameterizedTest
    @ValueSource(ints = {4096, 65536, 1048576})
    void catnStreamsA20MbFile(int bufferSize, @TempDir Path dir) throws IOException {
        for (String flavor : new String[] {"gcc", "musl"}) {
            Path out = dir.resolve(flavor + ".out");
            String catn = Guests.guest(flavor, "catn").toString();
            List<String> cmd = jmckCommand("run", catn, "-b" + bufferSize, big.toString());
            Guests.Result r = Guests.host(toFile(out, cmd));
            assertEquals(0, r.status(), r.stderr());
            assertEquals(BIG, Files.size(out), flavor);
            assertEquals(bigHash, sha256(out), flavor + ": contents differ");
        }
    }

    /** The same through a pipe: catn reads its stdin, which Java feeds. */
    @Test
    void catnStreamsA20MbPipe(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        List<String> cmd = jmckCommand("run", Guests.guest("gcc", "catn").toString(), "-b65536");
        Guests.Result r = Guests.host(Map.of(), Files.readAllBytes(big), toFile(out, cmd));
        assertEquals(0, r.status(), r.stderr());
        assertEquals(BIG, Files.size(out));
        assertEquals(bigHash, sha256(out), "contents differ");
    }

    /** A shell command line running cmd with its stdout in file out. */
    private static String[] toFile(Path out, List<String> cmd) {
        List<String> all = new ArrayList<>(List.of("/bin/sh", "-c", "out=$1; shift; exec \"$@\" > \"$out\"", "sh",
                out.toString()));
        all.addAll(cmd);
        return all.toArray(String[]::new);
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;)
                md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
