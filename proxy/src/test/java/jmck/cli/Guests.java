package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs guest programs the two ways the tests compare: under jmck (a real `jmck run` in a new JVM, as a
 * user starts it) and natively on this Linux host. Both capture stdout, stderr and the exit status.
 */
final class Guests {
    static final Path ROOT = Paths.get(System.getProperty("jmck.root", "..")).toAbsolutePath().normalize();

    /** What a run printed and how it ended (the status a shell would report). */
    record Result(int status, String stdout, String stderr) {
        /** Asserts the same stdout and exit status as another run. */
        void assertSameAs(Result other) {
            if (!other.stdout.equals(stdout))
                throw new AssertionError("stdout differs from the native run: " + firstDifference(other.stdout, stdout)
                        + "\nstderr was: " + stderr.lines().limit(20).collect(java.util.stream.Collectors.joining("\n")));
            assertEquals(other.status, status, "exit status differs; stderr was: " + stderr);
        }

        /** Asserts that each of these lines is a whole line of stdout (what a check must print, not just agree on). */
        void assertHasLines(String... lines) {
            for (String line : lines)
                org.junit.jupiter.api.Assertions.assertTrue(stdout.contains(line + "\n"), line + " in\n" + stdout);
        }

        private static String firstDifference(String expected, String actual) {
            String[] e = expected.split("\n", -1), a = actual.split("\n", -1);
            for (int i = 0; i < Math.max(e.length, a.length); i++) {
                String x = i < e.length ? e[i] : "<end>", y = i < a.length ? a[i] : "<end>";
                if (!x.equals(y))
                    return "line " + (i + 1) + ": expected [" + x + "] but was [" + y + "]";
            }
            return "(same lines)";
        }
    }

    private Guests() {}

    /** A guest program built by guest-images/build.sh: flavor is gcc, gcc-pie or musl. */
    static Path guest(String flavor, String name) {
        return ROOT.resolve("guest-images/out").resolve(flavor).resolve(name);
    }

    static final String[] FLAVORS = {"gcc", "gcc-pie", "musl"};

    /**
     * Runs prog natively (it must exit 0) and under `jmck run OPTIONS... prog`, asserts the same stdout and
     * exit status, and returns jmck's run for further checks (assertHasLines).
     */
    static Result runsAsOnLinux(String prog, String... options) {
        Result linux = host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(options));
        args.add(prog);
        Result mine = jmck(args.toArray(String[]::new));
        mine.assertSameAs(linux);
        return mine;
    }

    /** `jmck ARGS...` in a new JVM with this test's class path. */
    static Result jmck(String... args) {
        return jmck(Map.of(), null, args);
    }

    static Result jmck(Map<String, String> env, byte[] stdin, String... args) {
        return exec(jmckCommand(args), env, stdin, 120);
    }

    /** `jmck ARGS...`, which must end within seconds (else the test fails and the process is killed). */
    static Result jmckWithin(int seconds, String... args) {
        return exec(jmckCommand(args), Map.of(), null, seconds);
    }

    /**
     * The prefix that starts a command with SIGINT, SIGTERM and SIGHUP at their default actions, as a shell starts one in the
     * foreground: a script that runs the tests in the background without job control leaves SIGINT
     * ignored, and a JVM keeps an ignored signal ignored (as other programs do), so Ctrl-C tests would fail.
     */
    private static final List<String> AS_IN_THE_FOREGROUND = List.of("env", "--default-signal=INT,TERM,HUP");

    /** The command line of `jmck ARGS...` in a new JVM, for tests that drive the process themselves. */
    static List<String> jmckCommand(String... args) {
        List<String> cmd = new ArrayList<>(AS_IN_THE_FOREGROUND);
        cmd.addAll(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djmck.root=" + ROOT, "-cp", System.getProperty("java.class.path"), "jmck.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The program run directly on the host. */
    static Result host(String... args) {
        return host(Map.of(), null, args);
    }

    static Result host(Map<String, String> env, byte[] stdin, String... args) {
        return exec(List.of(args), env, stdin, 120);
    }

    private static String javaBinary() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Result exec(List<String> cmd, Map<String, String> env, byte[] stdin, int seconds) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            java.lang.Thread o = pump(p.getInputStream(), out), e = pump(p.getErrorStream(), err);
            if (stdin != null)
                p.getOutputStream().write(stdin);
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                String threads = threadDump(p.pid());
                p.destroyForcibly();
                throw new AssertionError("timed out after " + seconds + " s: " + cmd + "\nits stdout ends: "
                        + tail(out) + "\nits stderr ends: " + tail(err) + "\nits threads: " + threads);
            }
            o.join();
            e.join();
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException ex) {
            throw new AssertionError("cannot run " + cmd, ex);
        }
    }

    private static String tail(ByteArrayOutputStream s) {
        String text = s.toString(StandardCharsets.UTF_8);
        return text.substring(Math.max(0, text.length() - 2000));
    }

    /** A hung JVM's threads, the main thread first, for the failure message (CI shows only the output). */
    private static String threadDump(long pid) {
        try {
            Process jcmd = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
            ByteArrayOutputStream dump = new ByteArrayOutputStream();
            java.lang.Thread pumping = pump(jcmd.getInputStream(), dump);
            if (!jcmd.waitFor(20, TimeUnit.SECONDS))
                jcmd.destroyForcibly();
            pumping.join(1000);
            String text = dump.toString(StandardCharsets.UTF_8);
            return text.substring(0, Math.min(text.length(), 6000));
        } catch (IOException | InterruptedException e) {
            return "(jcmd failed: " + e + ")";
        }
    }

    private static java.lang.Thread pump(InputStream in, ByteArrayOutputStream to) {
        java.lang.Thread t = new java.lang.Thread(() -> {
            try {
                in.transferTo(to);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.start();
        return t;
    }
}
