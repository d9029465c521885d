package jmck.cli;

import static jmck.cli.Guests.guest;
import static jmck.cli.Guests.jmck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jmck.cli.args.Command;
import jmck.cli.args.Option;
import jmck.cli.args.Operand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as users meet it: every command answers --help and --version; a bad option value, an
 * unknown option or a missing operand is one line on stderr and status 2; the man page and the bash
 * completion are made from the same definitions and work in man and bash; -E/-U/-0 change the guest's
 * environment and argv[0] as qemu-x86_64's do.
 */
class CommandLineTest {
    /** What Main.execute printed and returned. */
    record Out(int status, String stdout, String stderr) {}

    /** Runs the parser and the command in this JVM (for the many cheap cases; a few below go through a real process). */
    static synchronized Out execute(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Main.execute(args);
            return new Out(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The words that select c: "ihk reserve cpu" for jmck ihk reserve cpu. */
    static List<String> words(Command c) {
        List<String> w = new ArrayList<>(List.of(c.fullName().split(" ")));
        w.remove(0);
        return w;
    }

    static String[] line(List<String> words, String... more) {
        List<String> l = new ArrayList<>(words);
        l.addAll(List.of(more));
        return l.toArray(String[]::new);
    }

    @Test
    void everyCommandAnswersHelpAndVersion() {
        List<Command> all = Main.commands().tree();
        assertTrue(all.size() > 20, "the whole tree: " + all.size());
        for (Command c : all) {
            for (String h : new String[] {"--help", "-h"}) {
                Out help = execute(line(words(c), h));
                assertEquals(0, help.status, c.fullName() + " " + h);
                assertTrue(help.stdout.startsWith("Usage: " + c.fullName()), c.fullName() + ": " + help.stdout);
                assertTrue(help.stdout.contains("\nExit status:\n  0"), c.fullName() + " lists its exit statuses");
                for (Option<?> o : c.options())
                    assertTrue(help.stdout.contains(o.name()), c.fullName() + " --help names " + o.name());
                assertEquals("", help.stderr);
            }
            for (String v : new String[] {"--version", "-V"}) {
                Out version = execute(line(words(c), v));
                assertEquals(0, version.status, c.fullName() + " " + v);
                String[] lines = version.stdout.split("\n");
                assertTrue(lines[0].matches("jmck \\d+\\.\\d+\\.\\d+.*"), version.stdout);
                assertTrue(lines[1].matches("Unicorn 2\\.1\\.1"), version.stdout);
                assertTrue(lines[2].matches("Capstone 5\\.\\d+"), version.stdout);
            }
        }
    }

    /** A text the option's type refuses, or null if it takes any text. */
    static String badValue(Option<?> o) {
        for (String candidate : new String[] {"x", "", "-1", "99999999999999", "1-", "=", "0x"})
            try {
                o.type().parse(candidate);
            } catch (IllegalArgumentException e) {
                return candidate;
            }
        return null;
    }

    /** The words that make the command's operands present (so that only the option is wrong). */
    static List<String> operands(Command c) {
        List<String> w = new ArrayList<>();
        for (Operand<?> o : c.operands())
            if (o.arity() == Operand.Arity.ONE)
                w.add(o.label().equals("PROGRAM") ? guest("gcc", "hello").toString()
                        : o.label().equals("LIST") ? "1" : o.label().equals("SHELL") ? "bash" : o.label().contains("all") ? "all" : "1M");
        return w;
    }

    @Test
    void badOptionValuesAreOneLineAndStatusTwo() {
        int checked = 0;
        for (Command c : Main.commands().tree())
            for (Option<?> o : c.options()) {
                if (!o.takesValue())
                    continue;
                String bad = badValue(o);
                if (bad == null)
                    continue;
                List<String> l = new ArrayList<>(words(c));
                if (o.fallback() != null) { // a value that may be left out is only taken from the next word if it fits
                    l.add(o.names().get(0) + "=" + bad);
                } else {
                    l.add(o.names().get(0));
                    l.add(bad);
                }
                l.addAll(operands(c));
                Out r = execute(l.toArray(String[]::new));
                assertEquals(2, r.status, String.join(" ", l) + ": " + r.stderr);
                assertEquals(1, r.stderr.lines().count(), String.join(" ", l) + ": " + r.stderr);
                assertTrue(r.stderr.startsWith(c.fullName() + ": " + o.names().get(0) + ": '" + bad + "' "), r.stderr);
                assertEquals("", r.stdout);
                checked++;
            }
        assertTrue(checked >= 15, "options with typed values checked: " + checked);
    }

    @Test
    void usageErrorsAreOneLineAndStatusTwo() {
        String hello = guest("gcc", "hello").toString();
        String[][] cases = {
            {"run", "--no-such-option", hello}, {"run"}, {"run", "--cores"}, {"run", "--timings=yes", hello},
            {"frobnicate"}, {"ihk", "reserve", "disk", "1"}, {"ihk", "reserve", "cpu"}, {"ihk", "create", "extra"},
            {"mcexec", "-n", "0", hello}, {"run", "--trace", "faults,bogus", hello}, {"completion", "fish"},
        };
        for (String[] c : cases) {
            Out r = execute(c);
            assertEquals(2, r.status, String.join(" ", c) + ": " + r.stderr);
            assertEquals(1, r.stderr.lines().count(), String.join(" ", c) + ": " + r.stderr);
            assertTrue(r.stderr.startsWith("jmck"), r.stderr);
        }
        assertTrue(execute("mcexec", "-n", "0", hello).stderr.contains("jmck mcexec 1 PROGRAM"), "the -n hint");
    }

    @Test
    void optionsAfterTheProgramAreTheProgramsAndTheInstanceIsAnOptionalNumber() throws Exception {
        var p = jmck.cli.args.Parser.parse(Main.commands(), "run", "--cores", "2", "prog", "--cores", "-v", "--", "x");
        assertEquals(2, p.args().get(RunCommand.CORES));
        assertEquals("prog", p.args().get(RunCommand.PROGRAM));
        assertEquals(List.of("--cores", "-v", "--", "x"), p.args().all(RunCommand.ARGS));
        assertFalse(p.args().flag(RunCommand.VERBOSE));
        var m = jmck.cli.args.Parser.parse(Main.commands(), "mcexec", "3", "prog", "4");
        assertEquals(3, m.args().get(McexecCommand.OS));
        assertEquals(List.of("4"), m.args().all(RunCommand.ARGS));
        m = jmck.cli.args.Parser.parse(Main.commands(), "mcexec", "prog", "4");
        assertEquals(null, m.args().get(McexecCommand.OS));
        assertEquals("prog", m.args().get(RunCommand.PROGRAM));
        var t = jmck.cli.args.Parser.parse(Main.commands(), "run", "--trace=faults,syscalls", "--trace", "sched", "-E", "A=1",
                "-EB=2", "prog");
        assertEquals(List.of(RunCommand.Trace.faults, RunCommand.Trace.syscalls, RunCommand.Trace.sched), t.args().all(RunCommand.TRACE));
        assertEquals(List.of("A=1", "B=2"), t.args().all(RunCommand.SET_ENV));
    }

    /** jmck run, step and mcexec build only their own branch of the command tree (start-up): it must read alike. */
    @Test
    void aVerbsOwnTreeParsesAndHelpsAsTheWholeTree() throws Exception {
        String[][] lines = {{"run", "--cores", "2", "-E", "A=1", "--trace=faults", "prog", "-v"}, {"step", "--mem", "1G", "prog"},
                {"mcexec", "3", "prog", "4"}, {"run", "--help"}, {"step", "--version"}};
        for (String[] argv : lines) {
            var whole = jmck.cli.args.Parser.parse(Main.commands(), argv);
            var own = jmck.cli.args.Parser.parse(Main.commands(argv[0]), argv);
            assertEquals(whole.request(), own.request(), String.join(" ", argv));
            assertEquals(whole.command().fullName(), own.command().fullName());
            assertEquals(jmck.cli.args.HelpText.of(whole.command()), jmck.cli.args.HelpText.of(own.command()));
            for (var o : whole.command().options())
                assertEquals(whole.args().all(o), own.args().all(o), o.names().toString());
            for (var o : whole.command().operands())
                assertEquals(whole.args().all(o), own.args().all(o));
        }
        assertEquals(1, Main.commands("run").subcommands().size());
        assertEquals(Main.commands().subcommands().size(), Main.commands("ihk").subcommands().size());
    }

    /** Through a real jmck process: the status and stderr a shell sees. */
    @Test
    void aRealProcessExitsTwoWithOneLine() {
        Guests.Result r = jmck("run", "--cores", "many", guest("gcc", "hello").toString());
        assertEquals(2, r.status(), r.stderr());
        assertEquals("jmck run: --cores: 'many' is not a whole number (see jmck run --help)\n", r.stderr());
        Guests.Result v = jmck("ihk", "boot", "--version");
        assertEquals(0, v.status());
        assertTrue(v.stdout().contains("Unicorn 2.1.1"), v.stdout());
    }

    /**
     * --timings adds up: the time on the cores holds the faults and syscalls taken there, also when the
     * program ends inside its last slice (exit_with makes no delegated call: its one slice ends in exit_group).
     */
    @Test
    void timingsAddUp() {
        for (String prog : new String[] {"hello", "exit_with"}) {
            Guests.Result r = jmck("run", "--timings", guest("gcc", prog).toString());
            assertEquals(0, r.status(), r.stderr());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("on the cores ([0-9.]+) ms \\(guest code ([0-9.]+), "
                    + "\\d+ page faults ([0-9.]+), \\d+ LWK syscalls ([0-9.]+) \\(\\d+ faults inside\\), \\d+ delegated syscalls "
                    + "([0-9.]+)\\)").matcher(r.stderr());
            assertTrue(m.find(), r.stderr());
            double cores = Double.parseDouble(m.group(1)), parts = 0;
            for (int g = 3; g <= 5; g++)
                parts += Double.parseDouble(m.group(g));
            assertTrue(cores > 0 && cores + 0.2 >= parts, prog + ": the parts are inside the time on the cores: " + r.stderr());
            assertTrue(r.stderr().matches("(?s)timings: jvm start -?\\d+ ms, machine [0-9.]+ ms, boot .*"), r.stderr());
        }
    }

    @Test
    void environmentAndArgv0AsQemu(@TempDir Path dir) throws Exception {
        String args = guest("gcc", "args").toString();
        Map<String, String> env = Map.of("JMCK_TEST_A", "1", "JMCK_TEST_C", "3");
        Guests.Result j = jmck(env, null, "run", "-E", "JMCK_TEST_B=2", "-U", "JMCK_TEST_A", "--env", "JMCK_TEST_C=three",
                "-0", "/some/where/renamed", args, "one");
        Guests.Result q = Guests.host(env, null, "qemu-x86_64", "-E", "JMCK_TEST_B=2", "-U", "JMCK_TEST_A", "-E",
                "JMCK_TEST_C=three", "-0", "/some/where/renamed", args, "one");
        assertEquals(0, j.status(), j.stderr());
        String expected = "argc=2\nargv[0]=renamed\nargv[1]=one\nenv JMCK_TEST_C=three\nenv JMCK_TEST_B=2\n";
        assertTrue(j.stdout().startsWith(expected), j.stdout());
        assertTrue(q.stdout().startsWith(expected), "qemu-x86_64 agrees: " + q.stdout());
    }

    @Test
    void manPageRendersWithEveryCommandAndOption(@TempDir Path dir) throws Exception {
        Out man = execute("man");
        assertEquals(0, man.status);
        Path page = dir.resolve("jmck.1");
        Files.writeString(page, man.stdout);
        Process p = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", page.toString()).redirectErrorStream(false).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String warnings = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals("", warnings, "groff warnings");
        String plain = text.replaceAll(".\b", ""); // overstrikes (bold, underline)
        for (Command c : Main.commands().tree()) {
            if (c.action() != null)
                assertTrue(plain.contains(c.fullName()), "the page names " + c.fullName());
            for (Option<?> o : c.options())
                assertTrue(plain.contains(o.name()), "the page names " + c.fullName() + " " + o.name());
        }
        for (String section : new String[] {"SYNOPSIS", "EXIT STATUS", "ENVIRONMENT", "JMCK_RUNTIME_DIR", "124"})
            assertTrue(plain.contains(section), section);
    }

    @Test
    void bashCompletesCommandsOptionsAndValues(@TempDir Path dir) throws IOException, InterruptedException {
        Path script = dir.resolve("jmck.bash");
        Files.writeString(script, execute("completion", "bash").stdout);
        String probe = "source " + script + "\n"
                + "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _jmck; echo \"${COMPREPLY[*]}\"; }\n"
                + "t jmck ''\nt jmck ihk res\nt jmck run --page-size ''\nt jmck run --tr\nt jmck ihk reserve ''\n"
                + "t jmck run --cores 2 prog --\n";
        Process p = new ProcessBuilder("bash", "-c", probe).redirectErrorStream(true).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(6, lines.size(), lines.toString());
        assertEquals("run step mcexec ihk completion man", lines.get(0));
        assertEquals("reserve", lines.get(1));
        assertEquals("4k 2m", lines.get(2));
        assertEquals("--trace --trace-out", lines.get(3));
        assertEquals("cpu mem", lines.get(4));
        assertEquals("", lines.get(5), "after the program, the program's arguments: no jmck options");
    }
}
