package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15: dynamically linked programs. The host's own programs (Debian's, in /usr/bin: dash, coreutils,
 * findutils, python3, perl) run on the LWK with their ELF interpreter and shared libraries, and give the
 * output and exit status they give natively; static programs reach them through popen(), system() and
 * posix_spawn of /bin/sh; threads and fork/exec chains of dynamic programs work on 1 and 4 cores; a
 * program whose interpreter or library is missing fails as on Linux.
 */
class DynamicTest {
    private static final String PYTHON = "/usr/bin/python3", PERL = "/usr/bin/perl";

    private static Guests.Result jmck(String... args) {
        List<String> l = new ArrayList<>(List.of("run"));
        l.addAll(List.of(args));
        return Guests.jmck(l.toArray(String[]::new));
    }

    private static String dynamic(String name) {
        return Guests.guest("gcc-dynamic", name).toString();
    }

    static Stream<Arguments> hostPrograms() {
        String file = Guests.ROOT.resolve("README.md").toString();
        return Stream.of(
                Arguments.of((Object) new String[] {"/bin/sh", "-c", "echo hi | tr a-z A-Z; ls / | wc -l; exit 3"}),
                Arguments.of((Object) new String[] {"/usr/bin/sha256sum", file}),
                Arguments.of((Object) new String[] {"/usr/bin/find", Guests.ROOT.resolve("guest-images/src").toString(),
                        "-name", "*.c", "-newer", file, "-o", "-name", "h*"}),
                Arguments.of((Object) new String[] {PYTHON, "-c",
                        "import json,hashlib; print(json.dumps(sorted({3,1,2})), hashlib.sha256(b\"x\").hexdigest())"}),
                Arguments.of((Object) new String[] {PERL, "-e", "print join(\",\", map { $_*$_ } 1..5), \"\\n\""}),
                Arguments.of((Object) new String[] {"/usr/bin/env", "-i", "/bin/sh", "-c",
                        "cd / && /usr/bin/find usr/include/linux -maxdepth 1 -name 'e*.h' | sort | xargs cat | sha256sum"}),
                // a shell writing into a FIFO (its open waits for a reader) while cat opens it to read: the
                // writer's open held the proxy's umask lock, which cat's opens waited for, for ever
                Arguments.of((Object) new String[] {"/bin/sh", "-c", "d=$(mktemp -d) && mkfifo $d/f && "
                        + "(echo through > $d/f &) && sleep 0.2 && cat $d/f && umask 027 && echo x > $d/new && "
                        + "stat -c %a $d/new && rm -r $d"}));
    }

    /** The issue's list: each host program gives native stdout and status on the LWK. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hostPrograms")
    void hostProgramsMatchLinux(String[] cmd) {
        Guests.Result linux = Guests.host(cmd);
        jmck(cmd).assertSameAs(linux);
    }

    @Test
    void sortReadsStdin() {
        byte[] in = "pear\napple\nfig\nbanana\napple\n".getBytes(StandardCharsets.UTF_8);
        Guests.Result linux = Guests.host(Map.of(), in, "/usr/bin/sort");
        assertEquals("apple\napple\nbanana\nfig\npear\n", linux.stdout());
        Guests.jmck(Map.of(), in, "run", "/usr/bin/sort").assertSameAs(linux);
    }

    /**
     * /bin/ls -l /: the listing changes under us on a shared machine (/tmp's time changes with every file
     * made there), so the LWK's listing must equal a native one taken just before or just after it; three
     * tries. The link count of /proc is the number of processes on the host, which other users change all
     * the time: that one number is left out of the comparison.
     */
    @Test
    void lsLongListingOfRoot() {
        Guests.Result mine = null, before = null, after = null;
        for (int i = 0; i < 3; i++) {
            before = withoutProcLinks(Guests.host("/bin/ls", "-l", "/"));
            mine = withoutProcLinks(jmck("/bin/ls", "-l", "/"));
            after = withoutProcLinks(Guests.host("/bin/ls", "-l", "/"));
            if (mine.stdout().equals(before.stdout()) || mine.stdout().equals(after.stdout()))
                break;
        }
        assertEquals(0, before.status());
        assertTrue(before.stdout().contains(" usr\n") && before.stdout().contains(" N root root "), before.stdout());
        mine.assertSameAs(mine.stdout().equals(after.stdout()) ? after : before);
    }

    private static Guests.Result withoutProcLinks(Guests.Result r) {
        return new Guests.Result(r.status(), r.stdout().replaceAll("(?m)^(dr-xr-xr-x)\\s+\\d+( root root .* proc)$", "$1 N$2"),
                r.stderr());
    }

    /** A static program (glibc, static-pie, musl) and a dynamic one run the host's shell through popen and system. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl", "gcc-dynamic", "musl-dynamic"})
    void popenAndSystemMatchLinux(String flavor) {
        String prog = Guests.guest(flavor, "popen").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        assertTrue(linux.stdout().contains("system(\"exit 7\"): exited 7\n"), linux.stdout());
        assertTrue(linux.stdout().contains("popen(\"ls /\"): "), linux.stdout());
        jmck(prog).assertSameAs(linux);
    }

    /**
     * The host's ps, pgrep, pidof and killall find the guest's processes, and only those besides init: they list /proc
     * (which named the host's processes, each ENOENT under the LWK's /proc/PID, so ps printed its header
     * alone), and ps's libnuma asks for the memory policy (ENOSYS, logged on every run). Natively the list
     * is the host's, so what is checked is the list itself: the shell, the sleep it started, ps, and pid 1.
     */
    @Test
    void psAndPgrepSeeTheGuestsProcesses() {
        Guests.Result r = jmck("/bin/sh", "-c",
                "sleep 30 & echo sleep $!; echo sh $$; ps -e -o pid=,comm=; echo pgrep $(pgrep -x sleep); "
                        + "echo pidof $(pidof sleep); killall sleep; echo killall $?; wait $!; echo status $?");
        assertEquals(0, r.status(), r.stderr());
        assertEquals("", r.stderr());
        Map<String, String> said = new java.util.HashMap<>();
        List<String> listed = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 2 && Character.isDigit(w[0].charAt(0)))
                listed.add(w[1] + " " + w[0]);
            else if (w.length == 2)
                said.put(w[0], w[1]);
        }
        assertEquals(said.get("sleep"), said.get("pgrep"), r.stdout());
        assertEquals(said.get("sleep"), said.get("pidof"), r.stdout()); // pidof reads PID/stat after chdir("/proc")
        assertEquals("0", said.get("killall"), r.stdout()); // killall signals through an fd of /proc/PID
        assertEquals("143", said.get("status"), r.stdout()); // the sleep ended by its SIGTERM
        assertTrue(listed.contains("sleep " + said.get("sleep")), r.stdout());
        assertTrue(listed.contains("sh " + said.get("sh")), r.stdout());
        assertEquals(4, listed.size(), r.stdout()); // init, sh, sleep, ps
        assertTrue(listed.stream().anyMatch(l -> l.endsWith(" 1")) && listed.stream().anyMatch(l -> l.startsWith("ps ")),
                r.stdout());
    }

    /** The dynamic executable's and the libraries' mappings in /proc/self/maps, as Linux names and lays them out. */
    @Test
    void mapsNameTheLibraries() {
        Guests.Result linux = Guests.host(dynamic("maps"));
        assertTrue(linux.stdout().contains("file libc.so.6 r-xp"), linux.stdout());
        assertTrue(linux.stdout().contains("file ld-linux-x86-64.so.2 r-xp"), linux.stdout());
        jmck(dynamic("maps")).assertSameAs(linux);
        // musl: its loader is its libc
        String musl = Guests.guest("musl-dynamic", "maps").toString();
        Guests.Result muslLinux = Guests.host(musl);
        assertTrue(muslLinux.stdout().contains("file libc.so r-xp"), muslLinux.stdout());
        jmck(musl).assertSameAs(muslLinux);
    }

    /**
     * The page cache: a shell and the programs it starts map the same frames for the pages of libc they
     * all read (the second program reads none of them from the file again), and a writable data page is
     * each process's own.
     */
    @Test
    void processesShareLibraryPages() {
        Guests.Result r = jmck("--trace", "faults", "/bin/sh", "-c", "/bin/true; /bin/true; echo done");
        assertEquals("done\n", r.stdout(), r.stderr());
        java.util.regex.Pattern fault = java.util.regex.Pattern.compile(
                "^fault .* pid=(\\d+) .* addr=0x([0-9a-f]+) .* vma=\\S*/libc\\.so\\.6 0x([0-9a-f]+)-\\S+ (\\S+) -> (\\w+) 4K frame=0x([0-9a-f]+)");
        Map<String, Map<Long, String>> framesByPid = new java.util.TreeMap<>(); // pid -> libc page (its VMA's offset) -> frame
        Map<String, List<String>> decisions = new java.util.TreeMap<>();
        for (String line : r.stderr().lines().toList()) {
            java.util.regex.Matcher m = fault.matcher(line);
            if (!m.find() || !m.group(4).equals("r-xp"))
                continue;
            long page = (Long.parseLong(m.group(2), 16) - Long.parseLong(m.group(3), 16)) >> 12;
            framesByPid.computeIfAbsent(m.group(1), k -> new java.util.HashMap<>()).put(page, m.group(6));
            decisions.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(5));
        }
        assertEquals(3, framesByPid.size(), "libc text faults in the shell and two programs: " + framesByPid.keySet());
        List<Map<Long, String>> byProcess = new ArrayList<>(framesByPid.values());
        int shared = 0;
        for (int i = 1; i < 3; i++)
            for (var e : byProcess.get(i).entrySet())
                if (byProcess.get(0).containsKey(e.getKey())) {
                    assertEquals(byProcess.get(0).get(e.getKey()), e.getValue(), "libc text page " + e.getKey());
                    shared++;
                }
        assertTrue(shared >= 10, "pages of libc's text shared with the shell: " + shared);
        for (List<String> d : decisions.values())
            assertTrue(d.stream().allMatch("cached"::equals), d.toString());
    }

    /**
     * A file mapped MAP_SHARED by a process and by a program it starts: each sees the other's writes at
     * once, neither's write is lost when the other unmaps, and the file keeps its size (100 bytes, not a
     * page), as on Linux.
     */
    @Test
    void sharedFileMappingsAreCoherentBetweenProcesses() throws IOException {
        Path file = Files.createTempFile("jmck-shared", ".bin");
        try {
            String script = String.join("\n",
                    "import mmap, os, subprocess, sys",
                    "path = sys.argv[1]",
                    "open(path, 'wb').write(b'A' * 100)",
                    "fd = os.open(path, os.O_RDWR)",
                    "m = mmap.mmap(fd, 100, mmap.MAP_SHARED)",
                    "print('parent reads', m[:4])",
                    "m[0:4] = b'PPPP'",
                    "child = 'import mmap,os,sys; fd=os.open(sys.argv[1], os.O_RDWR); m=mmap.mmap(fd,100,mmap.MAP_SHARED); '"
                            + " + 'print(\\'child sees\\', m[:4]); m[4:8]=b\\'CCCC\\'; m.close()'",
                    "subprocess.run([sys.executable, '-c', child, path])",
                    "print('parent sees', m[:8])",
                    "m.close()",
                    "print('file', os.path.getsize(path), open(path, 'rb').read(10))");
            Guests.Result linux = Guests.host(PYTHON, "-c", script, file.toString());
            assertTrue(linux.stdout().contains("parent sees b'PPPPCCCC'") && linux.stdout().contains("file 100 b'PPPPCCCCAA'"),
                    linux.stdout() + linux.stderr());
            jmck(PYTHON, "-c", script, file.toString()).assertSameAs(linux);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** /proc/self/exe, and the auxiliary vector the dynamic linker reads (LD_SHOW_AUXV prints it). */
    @Test
    void exeAndAuxiliaryVector() {
        Guests.Result exe = jmck("/bin/readlink", "/proc/self/exe");
        assertEquals("/usr/bin/readlink\n", exe.stdout(), exe.stderr());
        // the program's name is the path execve was given, not the file a link leads to (python3.11)
        String[] comm = {PYTHON, "-c", "import os; print(open('/proc/self/comm').read().strip(), os.readlink('/proc/self/exe'))"};
        jmck(comm).assertSameAs(Guests.host(comm));
        // Without randomization (setarch -R), Linux puts a PIE at 0x555555554000: the program's entry and
        // headers are where jmck puts them too.
        Guests.Result linux = Guests.host("/usr/bin/setarch", "-R", "/usr/bin/env", "LD_SHOW_AUXV=1", "/bin/true");
        Guests.Result mine = jmck("/usr/bin/env", "LD_SHOW_AUXV=1", "/bin/true");
        assertEquals(0, mine.status(), mine.stderr());
        for (String key : new String[] {"AT_PHDR:", "AT_PHENT:", "AT_PHNUM:", "AT_ENTRY:", "AT_EXECFN:", "AT_PAGESZ:"})
            assertEquals(auxv(linux.stdout(), key), auxv(mine.stdout(), key), key);
        assertEquals("/bin/true", auxv(mine.stdout(), "AT_EXECFN:"));
        // AT_BASE: where the interpreter went, which /proc/self/maps shows
        String base = auxv(mine.stdout(), "AT_BASE:");
        assertTrue(base.startsWith("0x7ff"), base);
        Guests.Result maps = jmck("/bin/sh", "-c", "LD_SHOW_AUXV=1 /bin/cat /proc/self/maps");
        String interpreterLine = maps.stdout().lines().filter(l -> l.contains("ld-linux-x86-64.so.2")).findFirst()
                .orElseThrow(() -> new AssertionError(maps.stdout()));
        assertEquals(Long.decode(auxv(maps.stdout(), "AT_BASE:")), Long.parseLong(interpreterLine.split("-")[0], 16),
                maps.stdout());
        // /proc/self/auxv: the same vector, as (type, value) pairs ending in AT_NULL
        Guests.Result od = jmck("/usr/bin/od", "-An", "-tx8", "-w16", "/proc/self/auxv");
        List<String> pairs = od.stdout().lines().map(String::strip).toList();
        assertEquals("0000000000000000 0000000000000000", pairs.get(pairs.size() - 1), od.stdout());
        assertTrue(pairs.stream().anyMatch(l -> l.matches("0000000000000009 00005555555[0-9a-f]{5}")), "AT_ENTRY: " + od.stdout());
        assertTrue(pairs.stream().anyMatch(l -> l.matches("0000000000000007 00007fff[0-9a-f]{8}")), "AT_BASE: " + od.stdout());
    }

    private static String auxv(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length()).strip()).findFirst()
                .orElseThrow(() -> new AssertionError(key + " not in: " + out));
    }

    /**
     * The stepper on a dynamic program: it starts in the ELF interpreter, finds main in the PIE wherever it
     * was loaded, and names libc's functions once libc is mapped.
     */
    @Test
    void stepperNamesTheProgramsAndTheLibrariesSymbols() throws IOException {
        Path script = Files.createTempFile("dyn-step", ".txt");
        try {
            Files.writeString(script, "until main\nbreak puts\ncontinue\ndisas\ncontinue\n");
            Guests.Result r = Guests.jmck("step", "--script", script.toString(), dynamic("hello"));
            String out = r.stdout();
            assertEquals(0, r.status(), out + r.stderr());
            assertTrue(java.util.regex.Pattern.compile("program start in its ELF interpreter at 0x7fff[0-9a-f]+, which maps the "
                    + "shared libraries and then jumps to the program's entry point 0x5555555[0-9a-f]+ <_start>").matcher(out).find(), out);
            assertTrue(java.util.regex.Pattern.compile("breakpoint at 0x5555555[0-9a-f]+ <main>").matcher(out).find(), out);
            assertTrue(java.util.regex.Pattern.compile("stop 3 .* breakpoint at 0x7fff[0-9a-f]+ <puts in libc\\.so\\.6>").matcher(out).find(), out);
            assertTrue(java.util.regex.Pattern.compile("0x7fff[0-9a-f]+ <puts\\+\\d+ in libc\\.so\\.6>: ").matcher(out).find(), out);
            assertTrue(out.contains("hello\nprocess 100 exited with status 0"), out);
        } finally {
            Files.delete(script);
        }
    }

    // ---- threads and processes on 1 and 4 cores ----

    static final String PYTHON_THREADS_AND_PROCESSES = String.join("\n",
            "import threading, hashlib, subprocess, os",
            "results = [None] * 6",
            "def work(i):",
            "    h = hashlib.sha256()",
            "    for k in range(1500):",
            "        h.update(b'%d:%d' % (i, k))",
            "    results[i] = h.hexdigest()[:16]",
            "ts = [threading.Thread(target=work, args=(i,)) for i in range(6)]",
            "for t in ts: t.start()",
            "for t in ts: t.join()",
            "print(results)",
            "lock, counter = threading.Lock(), [0]",
            "def add():",
            "    for _ in range(3000):",
            "        with lock: counter[0] += 1",
            "ts = [threading.Thread(target=add) for _ in range(4)]",
            "for t in ts: t.start()",
            "for t in ts: t.join()",
            "print('counter', counter[0])",
            "r = subprocess.run(['/bin/sh', '-c', 'ls / | sort -r | head -3; exit 4'], stdout=subprocess.PIPE)",
            "print(r.returncode, r.stdout.decode().split())",
            "print(subprocess.check_output(['" + PYTHON + "', '-c', 'import sys; print(sys.argv[1:])', 'a b']).decode().strip())",
            "pid = os.fork()",
            "if pid == 0:",
            "    os.execv('" + PERL + "', ['perl', '-e', 'exit 9'])",
            "print('child', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))");

    static Stream<Arguments> cores() {
        return Stream.of(Arguments.of(1), Arguments.of(4));
    }

    static Stream<Arguments> flavorsAndCores() {
        return Stream.of(Arguments.of("gcc-dynamic", 1), Arguments.of("gcc-dynamic", 4), Arguments.of("musl-dynamic", 1),
                Arguments.of("musl-dynamic", 4));
    }

    /** python3 with threads, subprocess (vfork and exec) and fork/exec of perl. */
    @ParameterizedTest(name = "{0} core(s)")
    @MethodSource("cores")
    void pythonThreadsAndSubprocesses(int cores) {
        Guests.Result linux = Guests.host(PYTHON, "-c", PYTHON_THREADS_AND_PROCESSES);
        assertEquals(0, linux.status(), linux.stderr());
        assertTrue(linux.stdout().contains("counter 12000\n"), linux.stdout());
        jmck("--cores", "" + cores, PYTHON, "-c", PYTHON_THREADS_AND_PROCESSES).assertSameAs(linux);
    }

    /** The pthreads test (mutexes, atomics, condition variables, barriers, spinning) as a dynamic program, glibc and musl. */
    @ParameterizedTest(name = "{0}, {1} core(s)")
    @MethodSource("flavorsAndCores")
    void dynamicPthreads(String flavor, int cores) {
        String prog = Guests.guest(flavor, "threads").toString();
        Guests.Result linux = Guests.host(prog, "4", "all", "5");
        assertEquals(6, linux.stdout().lines().filter(l -> l.endsWith(": 5 of 5 runs right")).count(), linux.stdout());
        jmck("--cores", "" + cores, prog, "4", "all", "5").assertSameAs(linux);
    }

    /** fork, vfork, posix_spawn, execve of itself, pipes, signals: the processes test as a dynamic program. */
    @ParameterizedTest(name = "{0}, {1} core(s)")
    @MethodSource("flavorsAndCores")
    void dynamicProcesses(String flavor, int cores) {
        String prog = Guests.guest(flavor, "procs").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        jmck("--cores", "" + cores, prog).assertSameAs(linux);
    }

    /** Shells starting shells starting tools: exec chains through pipes, several levels deep. */
    @ParameterizedTest(name = "{0} core(s)")
    @MethodSource("cores")
    void shellExecChains(int cores) {
        String script = "for i in 1 2 3; do /bin/sh -c \"echo level $i | /usr/bin/tr a-z A-Z\"; done;"
                + " /bin/sh -c '/bin/sh -c \"ls / | sort | head -2\" | wc -l';"
                + " echo x | /usr/bin/sha256sum | /usr/bin/cut -c1-16; exec /bin/sh -c 'exit 6'";
        Guests.Result linux = Guests.host("/bin/sh", "-c", script);
        assertEquals(6, linux.status());
        jmck("--cores", "" + cores, "/bin/sh", "-c", script).assertSameAs(linux);
    }

    // ---- scripts ----

    /**
     * A script runs its #! interpreter with the script's path and its arguments (binfmt_script): directly,
     * from a shell, with an interpreter argument, through a script that is itself an interpreter, a python
     * script; a text file without #! is run by the shell itself (its execve fails with ENOEXEC), and a
     * script whose interpreter is missing is "not found".
     */
    @Test
    void scriptsRunTheirInterpreter() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "js");
        try {
            Path sh = script(dir, "args.sh", "#!/bin/sh -e\necho \"$0\" \"$@\"; echo $- | grep -q e && echo errexit; exit 4\n");
            Path py = script(dir, "p.py", "#!" + PYTHON + "\nimport sys\nprint(sys.argv[1:], sys.executable)\n");
            Path inner = script(dir, "inner", "#!/bin/sh\necho inner: \"$@\"\n");
            Path outer = script(dir, "outer", "#!" + inner + " first\n");
            Path plain = script(dir, "plain", "echo no interpreter line\nexit 5\n");
            Path missing = script(dir, "missing", "#!/nonexistent/interpreter\n");
            for (String[] cmd : new String[][] {{sh.toString(), "a", "b c"}, {py.toString(), "x"}, {outer.toString(), "y"},
                    {"/bin/sh", "-c", sh + " 1; " + py + " 2; " + outer + " 3; " + plain + "; echo $?; " + missing + "; echo $?"}})
                jmck(cmd).assertSameAs(Guests.host(cmd));
            Guests.Result r = jmck(missing.toString());
            assertEquals(127, r.status());
            assertEquals(List.of("jmck: " + missing + ": its interpreter /nonexistent/interpreter: no such file or directory"),
                    r.stderr().lines().toList());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static Path script(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    // ---- what cannot run ----

    /** An interpreter that does not exist: jmck run says so in one line with a shell's 127. */
    @Test
    void missingInterpreterDirectly() {
        Guests.Result r = jmck(dynamic("no_interp"));
        assertEquals(127, r.status(), r.stderr());
        assertEquals("", r.stdout());
        assertEquals(List.of("jmck: " + dynamic("no_interp")
                + ": its interpreter /nonexistent/ld-linux-x86-64.so.2: no such file or directory"), r.stderr().lines().toList());
    }

    /** Through a shell: its own "not found" line and 127, as natively; and a missing library: the loader's message. */
    @ParameterizedTest
    @ValueSource(strings = {"no_interp", "no_lib"})
    void missingInterpreterOrLibraryAsOnLinux(String name) {
        Guests.Result linux = Guests.host("/bin/sh", "-c", dynamic(name) + "; echo status $?");
        assertEquals(1, linux.stderr().lines().count(), linux.stderr());
        Guests.Result mine = jmck("/bin/sh", "-c", dynamic(name) + "; echo status $?");
        mine.assertSameAs(linux);
        assertEquals("status 127\n", mine.stdout());
        assertEquals(linux.stderr(), mine.stderr());
    }

    /** A missing library, run directly: the dynamic linker's own line and status. */
    @Test
    void missingLibraryDirectly() {
        Guests.Result linux = Guests.host(dynamic("no_lib"));
        assertEquals(127, linux.status());
        Guests.Result mine = jmck(dynamic("no_lib"));
        mine.assertSameAs(linux);
        assertEquals(linux.stderr(), mine.stderr());
    }

    /**
     * Through a booted instance (mcexec): dynamic programs that run, fail for a missing interpreter or
     * library, and share the page cache leave the instance as it was: frames, tasks, channels, files, and
     * no page left in the cache.
     */
    @Test
    void failingAndRunningDynamicProgramsLeaveNothingBehind(@org.junit.jupiter.api.io.TempDir Path runtime) {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        try {
            assertEquals(0, Guests.jmck(env, null, "ihk", "reboot", "--cpus", "1", "--mem", "256M").status());
            assertEquals("hello\n", Guests.jmck(env, null, "mcexec", dynamic("hello")).stdout());
            Map<String, Long> baseline = LeaksAndLimitsTest.counters(env);
            assertEquals(0, baseline.get("page_cache_pages"), baseline.toString());
            Guests.Result r = Guests.jmck(env, null, "mcexec", dynamic("no_interp"));
            assertEquals(127, r.status(), r.stderr());
            assertEquals(1, r.stderr().lines().count(), r.stderr());
            Guests.Result sh = Guests.jmck(env, null, "mcexec", "/bin/sh", "-c", dynamic("no_interp") + "; " + dynamic("no_lib")
                    + "; " + PYTHON + " -c 'print(6 * 7)' & /bin/ls / | /usr/bin/wc -l; wait");
            Guests.Result linux = Guests.host("/bin/sh", "-c", dynamic("no_interp") + "; " + dynamic("no_lib")
                    + "; " + PYTHON + " -c 'print(6 * 7)' & /bin/ls / | /usr/bin/wc -l; wait");
            assertEquals(new java.util.TreeSet<>(linux.stdout().lines().toList()),
                    new java.util.TreeSet<>(sh.stdout().lines().toList()), sh.stderr());
            LeaksAndLimitsTest.assertBackToBaseline(env, baseline, "dynamic programs");
            assertEquals(0, LeaksAndLimitsTest.counters(env).get("page_cache_pages"));
        } finally {
            Guests.jmck(env, null, "ihk", "stop");
        }
    }

    /** Interpreters that are there but unfit: one line, status 126, the reason Linux gives. */
    @Test
    void unfitInterpreters() throws IOException {
        byte[] hello = Files.readAllBytes(Guests.guest("gcc-dynamic", "no_interp"));
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jd");
        try {
            Path text = dir.resolve("t"), noExec = dir.resolve("x"), i386 = dir.resolve("i");
            Files.writeString(text, "#!/bin/sh\n");
            text.toFile().setExecutable(true);
            Files.copy(Path.of("/lib64/ld-linux-x86-64.so.2"), noExec);
            Files.setPosixFilePermissions(noExec, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            byte[] elf32 = Files.readAllBytes(Guests.guest("gcc", "hello"));
            elf32[4] = 1; // ELFCLASS32
            Files.write(i386, elf32);
            i386.toFile().setExecutable(true);
            String[][] cases = {{text.toString(), "not an ELF executable (accessing a corrupted shared library)"},
                    {noExec.toString(), "permission denied"}, {i386.toString(), "32-bit ELF"}};
            for (String[] c : cases) {
                Path prog = dir.resolve("p");
                Files.write(prog, withInterpreter(hello, c[0]));
                prog.toFile().setExecutable(true);
                Guests.Result r = jmck(prog.toString());
                assertEquals(126, r.status(), r.stderr());
                assertEquals(1, r.stderr().lines().count(), r.stderr());
                assertTrue(r.stderr().startsWith("jmck: " + prog + ": its interpreter " + c[0] + ": "), r.stderr());
                assertTrue(r.stderr().contains(c[1]), r.stderr());
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The program with its PT_INTERP path (/nonexistent/ld-linux-x86-64.so.2, 35 bytes) replaced by a shorter one. */
    private static byte[] withInterpreter(byte[] elf, String path) {
        byte[] old = "/nonexistent/ld-linux-x86-64.so.2".getBytes(StandardCharsets.US_ASCII);
        byte[] now = path.getBytes(StandardCharsets.US_ASCII);
        assertTrue(now.length <= old.length, path);
        byte[] b = elf.clone();
        outer:
        for (int i = 0; i + old.length < b.length; i++) {
            for (int j = 0; j < old.length; j++)
                if (b[i + j] != old[j])
                    continue outer;
            java.util.Arrays.fill(b, i, i + old.length, (byte) 0);
            System.arraycopy(now, 0, b, i, now.length);
            return b;
        }
        throw new AssertionError("no interpreter path in the program");
    }
}
