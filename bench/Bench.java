import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * jmck's benchmarks, run by bench/run.sh: every row is measured in this run, side by side with its
 * reference (native Linux, qemu-x86_64, or the figures the seed papers publish), repeated, and printed as a
 * median with the minimum and maximum. Ratios are taken run by run, then their median is shown.
 * Usage: java bench/Bench.java [--quick] [--reps N] [--only SECTION,...]   (from the repository root, after
 * bench/run.sh built it); sections: cpu, openmp, startup, dynamic, syscalls, frontdoor, faults, mmap, ihk,
 * noise, threads.
 */
public class Bench {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path OUT = ROOT.resolve("bench/out");
    static int reps = 5;
    static boolean quick;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick"))
                quick = true;
            else if (args[i].equals("--reps"))
                reps = Integer.parseInt(args[++i]);
        }
        if (quick)
            reps = Math.min(reps, 2);
        for (int i = 0; i < args.length; i++)
            if (args[i].equals("--baseline")) { // bench/debug-off.sh: this tree against an older build, nothing else
                debugOff(Path.of(args[i + 1]));
                return;
            }
        Map<String, Section> sections = new LinkedHashMap<>();
        sections.put("cpu", Bench::cpuBound);
        sections.put("openmp", Bench::openMp);
        sections.put("startup", Bench::startup);
        sections.put("dynamic", Bench::dynamicStartup);
        sections.put("syscalls", Bench::syscalls);
        sections.put("frontdoor", Bench::frontDoor);
        sections.put("faults", Bench::pageFaults);
        sections.put("mmap", Bench::manyMappings);
        sections.put("ihk", Bench::ihk);
        sections.put("noise", Bench::noise);
        sections.put("threads", Bench::threads);
        for (int i = 0; i < args.length; i++)
            if (args[i].equals("--only")) { // bench/run.sh --only frontdoor,startup
                sections.keySet().retainAll(List.of(args[i + 1].split(",")));
                if (sections.isEmpty())
                    throw new IllegalArgumentException("--only: sections are cpu, openmp, startup, dynamic, syscalls, frontdoor, faults, mmap, ihk, noise, threads");
            }
        long start = System.nanoTime();
        System.out.printf("# jmck benchmarks%n%n%d repetitions per figure, median (min-max). Machine: %d host cores;"
                + " load average when it began: %s.%n", reps, Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        hostCpuSpeeds();
        for (Section s : sections.values())
            s.run();
        System.out.printf("%nTotal time: %.0f s; load average at the end: %s%n", (System.nanoTime() - start) / 1e9,
                Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    /**
     * The same native loop pinned to each host CPU in turn. On a virtual machine one CPU can be much slower
     * than another (this host's second CPU ran qemu-x86_64's CG 1.8 times slower than its first on
     * 2026-12-04), and a one-thread figure then depends on where the host scheduler put the thread.
     */
    static void hostCpuSpeeds() throws Exception {
        StringBuilder line = new StringBuilder();
        for (int cpu = 0; cpu < Runtime.getRuntime().availableProcessors(); cpu++) {
            List<Double> t = new ArrayList<>();
            for (int i = 0; i < 3; i++)
                t.add(run(List.of("taskset", "-c", "" + cpu, prog("sieve"), quick ? "2000000" : "20000000", "3"), Map.of()).seconds);
            line.append(line.length() == 0 ? "" : ", ").append("cpu").append(cpu).append(' ').append(stats(t, "%.3f")).append(" s");
        }
        System.out.printf("Host CPUs, a native sieve pinned to each (a slower one skews one-thread rows): %s.%n", line);
    }

    /** One section of the report. */
    interface Section {
        void run() throws Exception;
    }

    // ---- running things ----

    record Run(double seconds, String out, String err, int status) {}

    static Run run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        Thread a = pump(p.getInputStream(), out), b = pump(p.getErrorStream(), err);
        int status = p.waitFor();
        double s = (System.nanoTime() - t0) / 1e9;
        a.join();
        b.join();
        return new Run(s, out.toString(StandardCharsets.ISO_8859_1), err.toString(StandardCharsets.UTF_8), status);
    }

    static Thread pump(InputStream in, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(to);
            } catch (IOException e) {
                // ended
            }
        });
        t.start();
        return t;
    }

    static Run run(String... cmd) throws IOException, InterruptedException {
        return run(List.of(cmd), Map.of());
    }

    static Run run(List<String> cmd) throws IOException, InterruptedException {
        return run(cmd, Map.of());
    }

    /** head, then tail: a command line with another in front (qemu-x86_64, jmck run and its options). */
    static List<String> joined(List<String> head, List<String> tail) {
        List<String> l = new ArrayList<>(head);
        l.addAll(tail);
        return l;
    }

    static List<String> jmck(String... args) {
        List<String> l = new ArrayList<>(List.of(ROOT.resolve("jmck").toString()));
        l.addAll(List.of(args));
        return l;
    }

    /** Median (min-max) of values, with a format for one value. */
    static String stats(List<Double> v, String fmt) {
        if (v.isEmpty())
            return "n/a";
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double med = a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
        return String.format(fmt + " (" + fmt + "-" + fmt + ")", med, a[0], a[a.length - 1]);
    }

    static double parse(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find())
            throw new IllegalStateException("no '" + regex + "' in: " + text);
        return Double.parseDouble(m.group(1));
    }

    static String prog(String name) {
        return OUT.resolve(name).toString();
    }

    // ---- 1. CPU-bound programs ----

    static void cpuBound() throws Exception {
        Path data = OUT.resolve("random.bin"), words = OUT.resolve("words.txt");
        int dataSize = quick ? 256 << 10 : 8 << 20;
        if (!Files.exists(data) || Files.size(data) != dataSize) {
            byte[] b = new byte[dataSize];
            new Random(1).nextBytes(b);
            Files.write(data, b);
            StringBuilder w = new StringBuilder();
            Random r = new Random(2);
            while (w.length() < dataSize / 2)
                w.append(Long.toString(r.nextLong() & Long.MAX_VALUE, 36)).append('\n');
            Files.writeString(words, w);
        }
        Map<String, List<String>> programs = new LinkedHashMap<>();
        programs.put("sieve (integer)", List.of(prog("sieve"), quick ? "200000" : "20000000", quick ? "1" : "5"));
        programs.put("n-body (floating point)", List.of(prog("nbody"), quick ? "20000" : "2000000"));
        programs.put("stream triad (memory)", List.of(prog("stream"), quick ? "100000" : "4000000", quick ? "1" : "10"));
        programs.put("busybox md5sum " + (dataSize >> 10) + " KiB", List.of("/bin/busybox", "md5sum", data.toString()));
        programs.put("busybox sort " + (dataSize >> 11) + " KiB", List.of("/bin/busybox", "sort", "-o", "/dev/null", words.toString()));
        System.out.printf("%n## CPU-bound programs: jmck vs qemu-x86_64 vs native%n%n"
                + "Wall time of the whole command in seconds; *jmck emulation* is jmck's run phase alone (from"
                + " `--timings`, without the JVM's start and the boot). Goal: emulation <= 1.2x qemu.%n%n"
                + "| program | native s | qemu-x86_64 s | jmck s | jmck emulation s | emulation / qemu | jmck / native |%n"
                + "|---|---|---|---|---|---|---|%n");
        for (var e : programs.entrySet()) {
            List<Double> nat = new ArrayList<>(), qemu = new ArrayList<>(), jm = new ArrayList<>(), emu = new ArrayList<>(),
                    ratioQ = new ArrayList<>(), ratioN = new ArrayList<>();
            List<String> cmd = e.getValue();
            for (int i = 0; i < reps; i++) {
                Run n = run(cmd, Map.of());
                List<String> q = joined(List.of("qemu-x86_64"), cmd);
                Run qr = run(q, Map.of());
                List<String> j = joined(jmck("run", "--timings"), cmd);
                Run jr = run(j, Map.of());
                if (!jr.out.equals(n.out) || !qr.out.equals(n.out))
                    throw new IllegalStateException(e.getKey() + ": outputs differ from native");
                double emulation = parse(jr.err, "run ([0-9.]+) ms") / 1000;
                nat.add(n.seconds);
                qemu.add(qr.seconds);
                jm.add(jr.seconds);
                emu.add(emulation);
                ratioQ.add(emulation / qr.seconds);
                ratioN.add(jr.seconds / n.seconds);
            }
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s |%n", e.getKey(), stats(nat, "%.3f"), stats(qemu, "%.3f"),
                    stats(jm, "%.3f"), stats(emu, "%.3f"), stats(ratioQ, "%.2f"), stats(ratioN, "%.1f"));
        }
    }

    // ---- 1b. OpenMP: the cores in parallel (issue 14) ----

    /**
     * The CG mini-app (bench/src/cg.c: a 27-point stencil on a 32^3 grid, 150 iterations, HPCCG's shape) with
     * 1, 2 and 4 OpenMP threads: native, qemu-x86_64 (a host thread per guest thread), jmck with as many
     * cores as threads (each on a host thread of its own), and jmck --exact (the cores take turns on one).
     */
    static void openMp() throws Exception {
        List<String> args = quick ? List.of("16", "16", "16", "20") : List.of("32", "32", "32", "150");
        System.out.printf("%n## OpenMP CG %s, %s iterations: the cores in parallel%n%n"
                + "Wall time of the whole command in seconds, OMP_NUM_THREADS threads, jmck with as many cores. Goals: 2"
                + " threads on 2 cores <= 1.3x qemu-x86_64 and faster than jmck on 1 core; 4 on 4 no slower than 2 on 2"
                + " (on a host with 2 cores).%n%n| threads | native s | qemu-x86_64 s | jmck s | jmck / qemu | jmck --exact s |%n"
                + "|---|---|---|---|---|---|%n", String.join("x", args.subList(0, 3)), args.get(3));
        for (int threads : new int[] {1, 2, 4}) {
            Map<String, String> env = Map.of("OMP_NUM_THREADS", "" + threads);
            List<Double> nat = new ArrayList<>(), qemu = new ArrayList<>(), jm = new ArrayList<>(), ratio = new ArrayList<>(),
                    exact = new ArrayList<>();
            List<String> cmd = new ArrayList<>(List.of(prog("cg")));
            cmd.addAll(args);
            for (int i = 0; i < reps; i++) {
                Run[] side = nativeQemuJmck("cg", cmd, env, threads);
                Run n = side[0], qr = side[1], jr = side[2];
                Run xr = run(joined(jmck("run", "--exact", "--cores", "" + threads), cmd), env);
                if (!xr.out.equals(n.out))
                    throw new IllegalStateException("cg with " + threads + " threads: jmck --exact's output differs from native:\n"
                            + n.out + xr.out + xr.err);
                nat.add(n.seconds);
                qemu.add(qr.seconds);
                jm.add(jr.seconds);
                exact.add(xr.seconds);
                ratio.add(jr.seconds / qr.seconds);
            }
            System.out.printf("| %d | %s | %s | %s | %s | %s |%n", threads, stats(nat, "%.3f"), stats(qemu, "%.3f"),
                    stats(jm, "%.3f"), stats(ratio, "%.2f"), stats(exact, "%.3f"));
        }
        openMpBusy(args);
        openMpRegions();
    }

    /**
     * cmd natively, under qemu-x86_64 and under jmck run with as many cores as threads, one after the other
     * with the same environment; their outputs must be the same.
     */
    static Run[] nativeQemuJmck(String name, List<String> cmd, Map<String, String> env, int threads) throws Exception {
        Run n = run(cmd, env);
        Run qr = run(joined(List.of("qemu-x86_64"), cmd), env);
        Run jr = run(joined(jmck("run", "--cores", "" + threads), cmd), env);
        if (!jr.out.equals(n.out) || !qr.out.equals(n.out))
            throw new IllegalStateException(name + " with " + threads + " threads: outputs differ from native:\n" + n.out
                    + qr.out + jr.out + jr.err);
        return new Run[] {n, qr, jr};
    }

    /**
     * What one parallel region (a fork and a join) costs with 2 and 4 threads (bench/src/omp_regions.c), empty and
     * with about a millisecond of emulated work split among the threads: CG pays it about 750 times a run, and
     * with 4 threads on 2 host CPUs each region also waits for the host to give every thread its turn.
     */
    static void openMpRegions() throws Exception {
        System.out.printf("%nOne parallel region, in microseconds (omp_regions: the same regions and work each way;"
                + " jmck with as many cores as threads):%n%n| threads | work per region | native us | qemu-x86_64 us"
                + " | jmck us |%n|---|---|---|---|---|%n");
        for (String work : new String[] {"0", "60000"}) {
            for (int threads : new int[] {2, 4}) {
                Map<String, String> env = Map.of("OMP_NUM_THREADS", "" + threads);
                List<String> cmd = List.of(prog("omp_regions"), work.equals("0") ? (quick ? "200" : "2000") : (quick ? "50" : "500"),
                        work);
                List<Double> nat = new ArrayList<>(), qemu = new ArrayList<>(), jm = new ArrayList<>();
                for (int i = 0; i < reps; i++) {
                    Run[] side = nativeQemuJmck("omp_regions", cmd, env, threads);
                    nat.add(parse(side[0].err, "omp_region_us ([0-9.]+)"));
                    qemu.add(parse(side[1].err, "omp_region_us ([0-9.]+)"));
                    jm.add(parse(side[2].err, "omp_region_us ([0-9.]+)"));
                }
                System.out.printf("| %d | %s | %s | %s | %s |%n", threads, work.equals("0") ? "none" : work + " steps",
                        stats(nat, "%.1f"), stats(qemu, "%.1f"), stats(jm, "%.1f"));
            }
        }
    }

    /**
     * 4 threads on 4 cores while a CPU-bound process (a shell loop) runs beside: what the host CPU tokens buy
     * (host_cpus.c counts them only while other processes keep the host busy), against the host's scheduler
     * alone (JMCK_HOST_CPUS=0).
     */
    static void openMpBusy(List<String> args) throws Exception {
        System.out.printf("%nThe same with 4 threads while a CPU-bound process runs beside (seconds):%n%n"
                + "| qemu-x86_64 s | jmck s (tokens while the host is busy) | jmck s, JMCK_HOST_CPUS=0 (host scheduler alone) |%n"
                + "|---|---|---|%n");
        List<String> cmd = new ArrayList<>(List.of(prog("cg")));
        cmd.addAll(args);
        List<Double> qemu = new ArrayList<>(), jm = new ArrayList<>(), untokened = new ArrayList<>();
        Process hog = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            for (int i = 0; i < reps; i++) {
                List<String> q = joined(List.of("qemu-x86_64"), cmd);
                qemu.add(run(q, Map.of("OMP_NUM_THREADS", "4")).seconds);
                List<String> j = joined(jmck("run", "--cores", "4"), cmd);
                jm.add(run(j, Map.of("OMP_NUM_THREADS", "4")).seconds);
                untokened.add(run(j, Map.of("OMP_NUM_THREADS", "4", "JMCK_HOST_CPUS", "0")).seconds);
            }
        } finally {
            hog.destroy();
            hog.waitFor();
        }
        System.out.printf("| %s | %s | %s |%n", stats(qemu, "%.3f"), stats(jm, "%.3f"), stats(untokened, "%.3f"));
    }

    // ---- Debugging compiled in but off (issue 7) ----

    /**
     * The debugger's hooks (DebugHooks, the breakpoint code hooks, the trace sink) are null checks on the
     * trap paths when nothing is attached. Runs the CPU-bound programs on this tree's jmck and on a baseline
     * build from before they existed, alternately, and compares the emulation phase (--timings' run).
     */
    static void debugOff(Path baseline) throws Exception {
        Map<String, List<String>> programs = new LinkedHashMap<>();
        programs.put("sieve (integer)", List.of(prog("sieve"), quick ? "200000" : "20000000", quick ? "1" : "5"));
        programs.put("n-body (floating point)", List.of(prog("nbody"), quick ? "20000" : "2000000"));
        programs.put("syscall loop (getpid, lseek)", List.of(prog("syscall_bench"), quick ? "20000" : "200000"));
        System.out.printf("%n## Debugging compiled in, nothing attached: this tree vs %s%n%n"
                + "Emulation phase (`--timings` run) in seconds, runs alternated; ratio = this tree / baseline.%n"
                + "The last column runs this tree with `--trace-out` on, for scale.%n%n"
                + "| program | baseline s | this tree s | ratio | with --trace-out s |%n|---|---|---|---|---|%n", baseline);
        for (var e : programs.entrySet()) {
            List<Double> base = new ArrayList<>(), mine = new ArrayList<>(), ratio = new ArrayList<>(), traced = new ArrayList<>();
            for (int i = 0; i < reps; i++) {
                List<String> b = new ArrayList<>(List.of(baseline.resolve("jmck").toString(), "run", "--timings"));
                b.addAll(e.getValue());
                List<String> m = joined(jmck("run", "--timings"), e.getValue());
                List<String> t = joined(jmck("run", "--timings", "--trace-out", OUT.resolve("bench-trace.json").toString()), e.getValue());
                Run br = run(b), mr = run(m), tr = run(t);
                if (!e.getKey().startsWith("syscall") && (!br.out.equals(mr.out) || !tr.out.equals(mr.out)))
                    throw new IllegalStateException(e.getKey() + ": outputs differ"); // the syscall loop prints timings
                double bs = parse(br.err, "run ([0-9.]+) ms") / 1000, ms = parse(mr.err, "run ([0-9.]+) ms") / 1000;
                base.add(bs);
                mine.add(ms);
                ratio.add(ms / bs);
                traced.add(parse(tr.err, "run ([0-9.]+) ms") / 1000);
            }
            System.out.printf("| %s | %s | %s | %s | %s |%n", e.getKey(), stats(base, "%.3f"), stats(mine, "%.3f"),
                    stats(ratio, "%.3f"), stats(traced, "%.3f"));
        }
    }

    // ---- 2. Start-up ----

    static void startup() throws Exception {
        String hello = ROOT.resolve("guest-images/out/gcc/hello").toString();
        List<Double> j = new ArrayList<>(), q = new ArrayList<>();
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        String[] names = {"jvm start", "machine", "boot", "load", "run", "first fault after", "shutdown"};
        for (String n : names)
            phases.put(n, new ArrayList<>());
        for (int i = 0; i < reps; i++) {
            Run jr = run(jmck("run", "--timings", hello));
            j.add(jr.seconds);
            for (String n : names)
                phases.get(n).add(parse(jr.err, n + " ([0-9.]+) ms"));
            q.add(run("qemu-x86_64", hello).seconds);
        }
        System.out.printf("%n## Start-up: static hello world, end to end%n%nGoal: jmck <= 0.15 s.%n%n"
                + "| | seconds |%n|---|---|%n| qemu-x86_64 | %s |%n| jmck run | %s |%n%n"
                + "Where jmck's time goes (ms):%n%n| phase | ms |%n|---|---|%n", stats(q, "%.3f"), stats(j, "%.3f"));
        for (var e : phases.entrySet())
            System.out.printf("| %s | %s |%n", e.getKey(), stats(e.getValue(), "%.1f"));
    }

    /** The host's load average over the last minute, for labelling figures taken on a shared machine. */
    static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    /**
     * A dynamically linked program's start: python3 -c pass maps some 30 files (its interpreter, libraries,
     * locale data) and takes over a thousand page faults and some 600 system calls before it runs a line.
     */
    static void dynamicStartup() throws Exception {
        String python = "/usr/bin/python3";
        List<Double> nat = new ArrayList<>(), q = new ArrayList<>(), j = new ArrayList<>();
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        String[][] names = {{"jvm start", "jvm start ([0-9.]+) ms"}, {"machine", "machine ([0-9.]+) ms"},
            {"boot", "boot ([0-9.]+) ms"}, {"load", "load ([0-9.]+) ms"}, {"run", "run ([0-9.]+) ms"},
            {"run: guest code", "guest code ([0-9.]+)"}, {"run: page faults", "page faults ([0-9.]+)"},
            {"run: LWK syscalls", "LWK syscalls ([0-9.]+)"}, {"run: delegated syscalls (on the core)", "delegated syscalls ([0-9.]+)"},
            {"run: off the cores (waiting for the proxy)", "off them ([0-9.]+) ms"},
            {"run: kernel thread CPU time", "kernel thread CPU ([0-9.]+) ms"}, {"shutdown", "shutdown ([0-9.]+) ms"}};
        for (String[] n : names)
            phases.put(n[0], new ArrayList<>());
        List<Double> faults = new ArrayList<>(), local = new ArrayList<>(), delegated = new ArrayList<>();
        double loadBefore = loadAverage();
        for (int i = 0; i < reps; i++) {
            nat.add(run(python, "-c", "pass").seconds);
            q.add(run("qemu-x86_64", python, "-c", "pass").seconds);
            Run jr = run(jmck("run", "--timings", python, "-c", "pass"));
            if (jr.status != 0)
                throw new IllegalStateException("jmck run python3 failed: " + jr.err);
            j.add(jr.seconds);
            for (String[] n : names)
                phases.get(n[0]).add(parse(jr.err, n[1]));
            faults.add(parse(jr.err, "(\\d+) page faults"));
            local.add(parse(jr.err, "(\\d+) LWK syscalls"));
            delegated.add(parse(jr.err, "(\\d+) delegated syscalls"));
        }
        double load = Math.max(loadBefore, loadAverage());
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%n## Start-up of a dynamically linked program: python3 -c pass, end to end%n%n"
                + "Load average %.1f on %d host cores while measured%s.%n%n"
                + "| | seconds |%n|---|---|%n| native | %s |%n| qemu-x86_64 | %s |%n| jmck run | %s |%n%n"
                + "Where jmck's time goes (ms; the run's parts are wall-clock time, which a loaded host stretches; "
                + "the kernel thread's CPU time is what it used). Per run: %s page faults, %s LWK syscalls, %s "
                + "delegated syscalls.%n%n| phase | ms |%n|---|---|%n", load, cores,
                load > cores ? " (**noisy: the machine was busy**)" : "", stats(nat, "%.3f"), stats(q, "%.3f"),
                stats(j, "%.3f"), stats(faults, "%.0f"), stats(local, "%.0f"), stats(delegated, "%.0f"));
        for (var e : phases.entrySet())
            System.out.printf("| %s | %s |%n", e.getKey(), stats(e.getValue(), "%.1f"));
    }

    // ---- 3. Syscall round trips ----

    static void syscalls() throws Exception {
        String bench = prog("syscall_bench"), n = quick ? "20000" : "1000000";
        Map<String, Function<Integer, List<String>>> ways = new LinkedHashMap<>();
        ways.put("native Linux", i -> List.of(bench, n));
        ways.put("qemu-x86_64", i -> List.of("qemu-x86_64", bench, n));
        ways.put("jmck run (proxy in the LWK's process)", i -> jmck("run", bench, n));
        ways.put("jmck mcexec (proxy process, IKC)", i -> jmck("mcexec", bench, n));
        Path rt = Files.createTempDirectory("jmck-bench");
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", rt.toString());
        run(jmck("ihk", "reboot", "--cpus", "1", "--mem", "256M"), env);
        System.out.printf("%n## Syscall round trips (microseconds per call, measured inside the guest)%n%n"
                + "Pisces (HPDC'15) Table 1 for reference: native getpid 0.36-0.39 us, forwarded 6.1-14.0 us,"
                + " Linux 3.05-3.48 us. Goals here: native <= 1 us, delegated <= 5 us (quiet host). Both after an"
                + " untimed warm-up of N/100 calls each, 10,000 at least (under jmck the JVM compiles the path meanwhile); the last"
                + " column is the warm-up's own delegated calls.%n%n"
                + "| where | getpid (handled locally) us | lseek on /dev/null (delegated) us | warm-up lseek us |%n"
                + "|---|---|---|---|%n");
        try {
            for (var w : ways.entrySet()) {
                List<Double> g = new ArrayList<>(), d = new ArrayList<>(), first = new ArrayList<>();
                for (int i = 0; i < reps; i++) {
                    Run r = run(w.getValue().apply(i), env);
                    g.add(parse(r.out, "getpid_us ([0-9.]+)"));
                    d.add(parse(r.out, "delegated_us ([0-9.]+)"));
                    first.add(parse(r.out, "delegated_warmup_us ([0-9.]+)"));
                }
                System.out.printf("| %s | %s | %s | %s |%n", w.getKey(), stats(g, "%.2f"), stats(d, "%.2f"),
                        stats(first, "%.2f"));
            }
        } finally {
            run(jmck("ihk", "stop"), env);
        }
    }

    // ---- 3b. The front door: start-up and delegated I/O beside qemu-x86_64, quiet and busy ----

    /**
     * What a user of a shell script of host tools meets first (issue 17): hello end to end, an empty
     * delegated call, and busybox reading 8 MiB (md5sum, sha256sum, cat, sort), each beside qemu-x86_64 in
     * the same run; then the same rows while another CPU-bound process runs, to show no collapse. Goals on
     * a quiet host: hello <= 0.15 s, a delegated call <= 5 us, the I/O rows <= 2x qemu end to end.
     */
    static void frontDoor() throws Exception {
        int size = quick ? 256 << 10 : 8 << 20;
        Path data = OUT.resolve("io-" + (size >> 10) + "k.bin"), words = OUT.resolve("io-words-" + (size >> 10) + "k.txt");
        if (!Files.exists(data) || !Files.exists(words)) {
            byte[] b = new byte[size];
            new Random(3).nextBytes(b);
            Files.write(data, b);
            StringBuilder w = new StringBuilder();
            Random r = new Random(4);
            while (w.length() < size)
                w.append(Long.toString(r.nextLong() & Long.MAX_VALUE, 36)).append('\n');
            Files.writeString(words, w.substring(0, w.lastIndexOf("\n", size - 1) + 1));
        }
        String mib = size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB";
        Map<String, List<String>> rows = new LinkedHashMap<>();
        rows.put("hello, end to end", List.of(ROOT.resolve("guest-images/out/gcc/hello").toString()));
        rows.put("busybox md5sum " + mib, List.of("/bin/busybox", "md5sum", data.toString()));
        rows.put("busybox sha256sum " + mib, List.of("/bin/busybox", "sha256sum", data.toString()));
        rows.put("busybox cat " + mib, List.of("/bin/busybox", "cat", data.toString()));
        rows.put("busybox sort " + mib, List.of("/bin/busybox", "sort", words.toString()));
        // Directory walks: thousands of small delegated calls (getdents64, statx, fstat, close) and little data
        String tree = quick ? "/usr/share/doc/dpkg" : "/usr/share/doc";
        rows.put("find " + tree + " -name '*.gz'", List.of("/usr/bin/find", tree, "-name", "*.gz"));
        rows.put("ls -lR " + tree, List.of("/usr/bin/ls", "-lR", tree));
        System.out.printf("%n## The front door: start-up and delegated I/O beside qemu-x86_64%n%n"
                + "Wall time of the whole command (a new JVM each time for jmck), and jmck's run phase alone (from"
                + " `--timings`). *Busy*: another CPU-bound process (a shell loop) runs the whole time on this %d-CPU"
                + " host. Goals (quiet): hello <= 0.15 s; busybox's I/O rows <= 2x qemu end to end; delegated call <= 5 us"
                + " (the directory walks, host programs that make thousands of small delegated calls, have none yet).%n%n"
                + "| row | host | qemu-x86_64 s | jmck s | jmck / qemu | jmck run phase / qemu |%n|---|---|---|---|---|---|%n",
                Runtime.getRuntime().availableProcessors());
        String bench = prog("syscall_bench"), n = quick ? "20000" : "400000";
        for (boolean busy : new boolean[] {false, true}) {
            Process hog = busy ? new ProcessBuilder("sh", "-c", "while :; do :; done").start() : null;
            try {
                for (var e : rows.entrySet()) {
                    List<Double> q = new ArrayList<>(), j = new ArrayList<>(), ratio = new ArrayList<>(), phase = new ArrayList<>();
                    for (int i = 0; i < reps; i++) {
                        List<String> qc = joined(List.of("qemu-x86_64"), e.getValue());
                        List<String> jc = joined(jmck("run", "--timings"), e.getValue());
                        Run qr = run(qc), jr = run(jc);
                        if (!jr.out.equals(qr.out) || jr.status != qr.status)
                            throw new IllegalStateException(e.getKey() + ": jmck's output or status differs from qemu's");
                        q.add(qr.seconds);
                        j.add(jr.seconds);
                        ratio.add(jr.seconds / qr.seconds);
                        phase.add(parse(jr.err, "run ([0-9.]+) ms") / 1000 / qr.seconds);
                    }
                    System.out.printf("| %s | %s | %s | %s | %s | %s |%n", e.getKey(), busy ? "busy" : "quiet",
                            stats(q, "%.3f"), stats(j, "%.3f"), stats(ratio, "%.2f"), stats(phase, "%.2f"));
                }
                List<Double> d = new ArrayList<>();
                for (int i = 0; i < reps; i++)
                    d.add(parse(run(jmck("run", bench, n)).out, "delegated_us ([0-9.]+)"));
                System.out.printf("| empty delegated call (lseek), us per call in the guest after a warm-up | %s | | %s | | |%n",
                        busy ? "busy" : "quiet", stats(d, "%.2f"));
            } finally {
                if (hog != null) {
                    hog.destroy();
                    hog.waitFor();
                }
            }
        }
    }

    // ---- 4. Page faults ----

    static void pageFaults() throws Exception {
        String fb = ROOT.resolve("guest-images/out/gcc/fault_bench").toString(), pages = quick ? "2000" : "20000";
        List<Double> cold = new ArrayList<>(), warm = new ArrayList<>(), nat = new ArrayList<>(), qemu = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            Run r = run(jmck("run", "--page-size", "4k", fb, pages, "4"));
            cold.add(parse(r.out, "round 0: \\d+ pages, ([0-9.]+) us"));
            warm.add(parse(r.out, "round 3: \\d+ pages, ([0-9.]+) us"));
            nat.add(parse(run(fb, pages, "4").out, "round 3: \\d+ pages, ([0-9.]+) us"));
            qemu.add(parse(run("qemu-x86_64", fb, pages, "4").out, "round 3: \\d+ pages, ([0-9.]+) us"));
        }
        System.out.printf("%n## Page faults%n%nA 4 KiB demand fault, from the guest's store to its retry, including"
                + " taking and clearing a frame (jmck in `--page-size 4k` mode). *Cold*: host memory is touched for the"
                + " first time too; *warm*: frames reused. Goal: warm fault < 3 us.%n%n| | us per 4 KiB page |%n|---|---|%n"
                + "| jmck cold | %s |%n| jmck warm | %s |%n| native Linux (warm round) | %s |%n| qemu-x86_64 (warm round) | %s |%n",
                stats(cold, "%.2f"), stats(warm, "%.2f"), stats(nat, "%.2f"), stats(qemu, "%.2f"));
        String touch = ROOT.resolve("guest-images/out/gcc/touch_mem").toString(), mib = quick ? "64" : "1024";
        List<Double> j = new ArrayList<>(), q = new ArrayList<>(), n = new ArrayList<>(), ratio = new ArrayList<>(), faults = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            Run jr = run(jmck("run", "--timings", touch, mib));
            double emulation = parse(jr.err, "run ([0-9.]+) ms") / 1000;
            Run qr = run("qemu-x86_64", touch, mib);
            j.add(emulation);
            q.add(qr.seconds);
            n.add(run(touch, mib).seconds);
            ratio.add(emulation / qr.seconds);
        }
        Run traced = run(jmck("run", "--trace", "faults", touch, mib));
        long large = traced.err.lines().filter(l -> l.contains("-> mapped 2M")).count();
        System.out.printf("%nTouching %s MiB (malloc, one write per page, then a read pass), with 2 MiB pages (%d faults"
                + " of 2 MiB in jmck). Goal: <= 1.5x qemu.%n%n| | seconds |%n|---|---|%n| native | %s |%n"
                + "| qemu-x86_64 | %s |%n| jmck emulation | %s |%n| jmck / qemu | %s |%n", mib, large, stats(n, "%.3f"),
                stats(q, "%.3f"), stats(j, "%.3f"), stats(ratio, "%.2f"));
    }

    // ---- 4b. Many mappings ----

    /**
     * mmap as the address space fills up (bench/src/mmap_bench.c): N one-page mappings that no kernel can
     * merge, half of them unmapped and mapped again (each takes the highest hole), two-page mappings that
     * must skip every one-page hole, and hints into free holes. Microseconds per call, measured inside the
     * guest, beside native Linux and qemu-x86_64. Finding a free range must not cost more as N grows.
     */
    static void manyMappings() throws Exception {
        String mb = prog("mmap_bench");
        String[] phases = {"map", "unmap", "refill", "skip", "hint"};
        System.out.printf("%n## Many mappings: mmap and munmap with thousands of VMAs%n%nMicroseconds per call inside"
                + " the guest (`bench/src/mmap_bench.c N`): *map* N one-page mappings; *unmap* every other one;"
                + " *refill* the N/2 holes top-down; *skip* N/4 two-page mappings past N/4 one-page holes; *hint*"
                + " N/4 mappings at free hints. Goal: per-call cost flat in N, within a few us of native.%n%n"
                + "| N | where | map | unmap | refill | skip | hint |%n|---|---|---|---|---|---|---|%n");
        for (String n : quick ? new String[] {"1000"} : new String[] {"2000", "8000", "32000"}) {
            Map<String, List<String>> ways = new LinkedHashMap<>();
            ways.put("native Linux", List.of(mb, n));
            ways.put("qemu-x86_64", List.of("qemu-x86_64", mb, n));
            ways.put("jmck run", jmck("run", mb, n));
            for (var w : ways.entrySet()) {
                Map<String, List<Double>> us = new LinkedHashMap<>();
                for (int i = 0; i < reps; i++) {
                    Run r = run(w.getValue());
                    if (r.status != 0)
                        throw new IllegalStateException(w.getKey() + ": mmap_bench " + n + " failed: " + r.err);
                    for (String p : phases)
                        us.computeIfAbsent(p, k -> new ArrayList<>()).add(parse(r.out, p + ": \\d+ calls, [0-9.]+ ms, ([0-9.]+) us/call"));
                }
                StringBuilder row = new StringBuilder("| " + n + " | " + w.getKey() + " |");
                for (String p : phases)
                    row.append(' ').append(stats(us.get(p), "%.2f")).append(" |");
                System.out.println(row);
            }
        }
    }

    // ---- 5. IHK ----

    static void ihk() throws Exception {
        List<Double> boot = new ArrayList<>(), core = new ArrayList<>(), mem = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            Path rt = Files.createTempDirectory("jmck-bench");
            Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", rt.toString());
            try {
                run(jmck("ihk", "reserve", "cpu", "1-2"), env);
                run(jmck("ihk", "create"), env);
                run(jmck("ihk", "assign", "cpu", "1"), env);
                run(jmck("ihk", "assign", "mem", "256M"), env);
                boot.add(run(jmck("ihk", "boot"), env).seconds * 1000);
                core.add(parse(run(jmck("ihk", "assign", "cpu", "2"), env).out, "\\(([0-9.]+) ms\\)"));
                mem.add(parse(run(jmck("ihk", "assign", "mem", "128M"), env).out, "\\(([0-9.]+) ms\\)"));
            } finally {
                run(jmck("ihk", "stop"), env);
            }
        }
        System.out.printf("%n## IHK: boot and hot-plug (ms)%n%nPisces (HPDC'15) for reference: boot 266 ms, add a core"
                + " 34 ms, add 128 MiB 83 ms. jmck's boot includes starting the instance's JVM. Goal: boot <= 100 ms.%n%n"
                + "| | jmck ms | Pisces ms |%n|---|---|---|%n| boot (jmck ihk boot) | %s | 266 |%n"
                + "| add a core to a running instance | %s | 34 |%n| add 128 MiB to a running instance | %s | 83 |%n",
                stats(boot, "%.1f"), stats(core, "%.1f"), stats(mem, "%.1f"));
    }

    // ---- 6. Noise ----

    /**
     * FWQ on one core, then on every core at once (a thread per core). In parallel mode (jmck's default) each
     * emulated core has a host thread of its own, as qemu-x86_64 gives each guest thread one; with --exact
     * the cores take turns on one host thread, so a quantum that spans a turn boundary waits for the other
     * cores' slices.
     */
    static void noise() throws Exception {
        String fwq = prog("fwq"), samples = quick ? "1000" : "10000", work = "20000";
        Map<String, List<String>> ways = new LinkedHashMap<>();
        ways.put("native, 1 thread", List.of(fwq, samples, work, "1"));
        ways.put("qemu-x86_64, 1 thread", List.of("qemu-x86_64", fwq, samples, work, "1"));
        ways.put("jmck, 1 core", jmck("run", fwq, samples, work, "1"));
        ways.put("native, 2 threads", List.of(fwq, samples, work, "2"));
        ways.put("qemu-x86_64, 2 threads", List.of("qemu-x86_64", fwq, samples, work, "2"));
        ways.put("jmck, 2 cores, a thread on each", jmck("run", "--cores", "2", fwq, samples, work, "2"));
        ways.put("jmck --exact, 2 cores, a thread on each", jmck("run", "--exact", "--cores", "2", fwq, samples, work, "2"));
        ways.put("native, 4 threads", List.of(fwq, samples, work, "4"));
        ways.put("qemu-x86_64, 4 threads", List.of("qemu-x86_64", fwq, samples, work, "4"));
        ways.put("jmck, 4 cores, a thread on each", jmck("run", "--cores", "4", fwq, samples, work, "4"));
        System.out.printf("%n## Noise: FWQ (fixed work quanta)%n%nThe same work timed %s times per thread; the spread"
                + " (max/min, the worst thread's) is the noise the system adds.%n%n| | median quantum us | max / min |%n"
                + "|---|---|---|%n", samples);
        for (var w : ways.entrySet()) {
            List<Double> med = new ArrayList<>(), spread = new ArrayList<>();
            for (int i = 0; i < reps; i++) {
                Run r = run(w.getValue(), Map.of());
                med.add(parse(r.out, "fwq_median_us ([0-9.]+)"));
                spread.add(parse(r.out, "fwq_max_over_min ([0-9.]+)"));
            }
            System.out.printf("| %s | %s | %s |%n", w.getKey(), stats(med, "%.1f"), stats(spread, "%.2f"));
        }
    }

    // ---- 7. Threads ----

    /** Futex wake latency: a token passed between two threads through a futex, per round trip (two wake-ups). */
    static void threads() throws Exception {
        String pp = prog("pingpong"), rounds = quick ? "10000" : "100000";
        Map<String, List<String>> ways = new LinkedHashMap<>();
        ways.put("native", List.of(pp, rounds));
        ways.put("qemu-x86_64", List.of("qemu-x86_64", pp, rounds));
        ways.put("jmck, both threads on 1 core", jmck("run", pp, rounds));
        ways.put("jmck, 2 cores", jmck("run", "--cores", "2", pp, rounds));
        System.out.printf("%n## Threads: futex wake-up round trip%n%nTwo threads pass a token through a futex %s"
                + " times; each round trip is two wake-ups and two context switches.%n%n| | us per round trip |%n"
                + "|---|---|%n", rounds);
        for (var w : ways.entrySet()) {
            List<Double> us = new ArrayList<>();
            for (int i = 0; i < reps; i++)
                us.add(parse(run(w.getValue(), Map.of()).out, "pingpong_round_trip_us ([0-9.]+)"));
            System.out.printf("| %s | %s |%n", w.getKey(), stats(us, "%.2f"));
        }
    }
}
