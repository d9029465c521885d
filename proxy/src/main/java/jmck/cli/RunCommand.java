package jmck.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.Executable;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Process;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;
import jmck.lwk.trace.SyscallFormat;
import jmck.proxy.HostFacts;
import jmck.proxy.LocalRun;
import jmck.cli.args.Args;
import jmck.cli.args.Command;
import jmck.cli.args.Operand;
import jmck.cli.args.Option;
import jmck.cli.args.ValueType;
import jmck.lwk.arch.KernelImage;

/**
 * jmck run: boot an LWK instance, run one program on it, tear it down; exit with the program's
 * status. The options are shared with jmck step, which attaches the stepper where run attaches gdb.
 */
final class RunCommand {
    enum Trace { faults, syscalls, sched, signals }

    static final Option<Integer> CORES = Option.value("--cores", "N", ValueType.integer(1, Machine.MAX_CORES),
            "emulated cores").defaultValue(1, "1");
    static final Option<Long> MEM = Option.value("--mem", "SIZE", Values.size(), "memory for the LWK, e.g. 512M, 2G")
            .defaultValue(2L << 30, "2G");
    static final Option<String> PAGE_SIZE = Option.value("--page-size", "4k|2m", ValueType.oneOf("4k", "2m"),
            "largest page the LWK maps: 2m, or 4k, the teaching mode where every 4 KiB page faults on its own")
            .defaultValue("2m", "2m");
    static final Option<Integer> TLB = Option.value("--tlb", "ENTRIES", ValueType.integer(0, KernelImage.WARMUP_AREA_PAGES),
            "software TLB entries per core, grown before each program starts (QEMU starts with 256)")
            .defaultValue(Kernel.DEFAULT_TLB_ENTRIES, String.valueOf(Kernel.DEFAULT_TLB_ENTRIES));
    static final Option<Double> TIMEOUT = Option.value("--timeout", "SECONDS", ValueType.decimal(0),
            "kill the program if it runs longer than this; jmck then exits with 124, as timeout(1)").defaultValue(0.0, null);
    static final Option<Trace> TRACE = Option.value("--trace", "WHAT", ValueType.oneOf(Trace.class),
            "print events to stderr").split(",");
    static final Option<Boolean> VERBOSE = Option.flag("--verbose", "echo the kernel log (kmsg) to stderr").alias("-v");
    static final Option<Path> TRACE_OUT = Option.value("--trace-out", "FILE", ValueType.file(),
            "write a Chrome trace (JSON; opens in Perfetto and chrome://tracing): one track per core, "
                    + "slices for syscalls and page faults, instants for scheduling and signals");
    static final Option<String> GDB = Option.value("--gdb", "[HOST]:PORT", Values.hostPort(),
            "wait for gdb's remote protocol on HOST:PORT (default host 127.0.0.1; port 0 picks a free one) "
                    + "before the program's first instruction; then in gdb: target remote HOST:PORT");
    static final Option<Boolean> EXACT = Option.flag("--exact", "run every core on one host thread, taking turns in "
            + "slices that end on exact block counts: deterministic, as the stepper and gdb run (by default, with more "
            + "than one core, each core runs on a host thread of its own)");
    static final Option<Boolean> TIMINGS = Option.flag("--timings",
            "print where the time went (JVM start, machine, boot, load, run, shutdown) to stderr");
    static final Option<String> SET_ENV = Option.value("--env", "VAR=VALUE", Values.assignment(),
            "set VAR in the program's environment (which is jmck's own otherwise), as qemu-x86_64 -E").alias("-E").repeatable();
    static final Option<String> UNSET_ENV = Option.value("--unset", "VAR", Values.variableName(),
            "remove VAR from the program's environment, as qemu-x86_64 -U").alias("-U").repeatable();
    static final Option<String> ARGV0 = Option.value("--argv0", "ARGV0", ValueType.text(),
            "the program's argv[0] (default: PROGRAM as given), as qemu-x86_64 -0").alias("-0");
    static final Operand<String> PROGRAM = Operand.required("PROGRAM", ValueType.text().completedAs(ValueType.Completion.PROGRAM),
            "an x86-64 Linux executable, static or dynamically linked; a name without a slash is looked up in PATH");
    static final Operand<String> ARGS = Operand.rest("ARG", "the program's arguments (options after PROGRAM are the program's)");

    /** What a run attaches before the program's first instruction (gdb, the stepper); returns what to close after, or null. */
    interface Attach {
        AutoCloseable attach(Kernel k, ElfImage elf) throws Exception;
    }

    private RunCommand() {}

    /** The options of run that step shares (all but --gdb). */
    static List<Option<?>> options() {
        return List.of(CORES, MEM, PAGE_SIZE, TLB, TIMEOUT, TRACE, VERBOSE, TRACE_OUT, TIMINGS, SET_ENV, UNSET_ENV, ARGV0);
    }

    static Command command() {
        return new Command("run", "Boot an LWK, run an x86-64 Linux program on it, and shut it down.")
                .describe("The one-shot path: the LWK, its proxy and the program's host side live in this one process, "
                        + "talking through the same IKC channels an instance daemon and mcexec use. The program's "
                        + "standard input, output and error are jmck's; its exit status is jmck's.")
                .options(options()).options(GDB, EXACT).operands(PROGRAM, ARGS).exits(Main.PROGRAM_EXITS)
                .action(new Command.Action() { // classes, not lambdas: see Option.SHORT_FIRST
                    @Override
                    public int run(Args a) throws Exception {
                        return RunCommand.run(a, new Attach() {
                            @Override
                            public AutoCloseable attach(Kernel k, ElfImage elf) throws Exception {
                                return a.has(GDB) ? jmck.debug.GdbStub.listen(k, elf, a.get(GDB), System.err) : null;
                            }
                        }, parallel(a));
                    }
                });
    }

    /**
     * Whether the run's cores go on host threads of their own: not for gdb (it needs exact mode: one host
     * thread, deterministic), and not for one core, which has nothing to run beside it while parallel mode's
     * block hook (kept for IPIs) costs a CPU-bound program about 1.6x (docs/performance.md). A run cannot
     * add cores later; a booted instance can, so it keeps the mode it was booted with.
     */
    static boolean parallel(Args a) {
        return !a.flag(EXACT) && !a.has(GDB) && a.get(CORES) > 1;
    }

    /**
     * Runs the program as the arguments say, with attach called before its first instruction, its cores in
     * parallel (each on a host thread of its own) or in exact mode; returns its shell status.
     */
    static int run(Args a, Attach attach, boolean parallel) throws Exception {
        int cores = a.get(CORES);
        boolean timings = a.flag(TIMINGS);
        Set<Trace> trace = a.all(TRACE).isEmpty() ? EnumSet.noneOf(Trace.class) : EnumSet.copyOf(a.all(TRACE));
        Path traceOut = a.get(TRACE_OUT);
        String program = a.get(PROGRAM);
        if (cores > 1) // Main started one
            jmck.emulator.unicorn.EnginePrefetch.start(cores - 1, 0);
        long t0 = System.nanoTime();
        // The launcher passes the time it started java, so the JVM's own start-up can be told apart.
        long launched = Long.getLong("jmck.launched", 0), jvmMillis = launched == 0 ? -1 : System.currentTimeMillis() - launched;
        List<String> argv = new ArrayList<>();
        argv.add(a.has(ARGV0) ? a.get(ARGV0) : program);
        argv.addAll(a.all(ARGS));
        Executable exe = Executable.open(locate(program), program, argv); // a script runs its #! interpreter
        ElfImage elf = exe.elf();
        PageSize maxPage = a.get(PAGE_SIZE).equals("4k") ? PageSize.SMALL : PageSize.LARGE;
        if (traceOut != null) { // say so before the run, not after it
            Path parent = traceOut.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent))
                throw new jmck.emulator.JmckException("cannot write the trace to " + traceOut + ": no writable directory "
                        + parent);
        }
        long bytes = a.get(MEM);
        RunProfile profile = timings ? new RunProfile() : null;
        jmck.lwk.trace.ChromeTrace chrome = traceOut == null ? null : new jmck.lwk.trace.ChromeTrace(cores);
        try (Machine machine = Machine.create(cores, bytes)) {
            long t1 = System.nanoTime();
            OsInstance os = OsInstance.boot(machine, cores, List.of(machine.lwkMemory()), maxPage, a.get(TLB), parallel);
            long t2 = System.nanoTime();
            Kernel k = os.kernel();
            if (a.flag(VERBOSE))
                k.echoKmsg(System.err::println);
            if (!trace.isEmpty() || chrome != null || profile != null)
                k.setEventSink(EventSink.tee(EventSink.tee(trace.isEmpty() ? null : sink(trace), chrome), profile));
            if (chrome != null)
                chrome.instance(String.format("boot: %d cores, %d MiB", cores, bytes >> 20), t1, t2 - t1);
            if (profile != null)
                k.addExitListener(profile);
            if (trace.contains(Trace.syscalls))
                k.syscalls().setTracer(new jmck.lwk.syscall.SyscallDispatcher.Tracer() {
                    @Override
                    public void syscall(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long nr, long[] sysArgs,
                            long r, boolean delegated) {
                        System.err.println(SyscallFormat.line(t, call, nr, sysArgs, r, delegated));
                    }

                    @Override
                    public void resumed(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long r) {
                        System.err.println(SyscallFormat.resumed(t, call, r));
                    }
                });
            List<String> env = Values.environment(HostFacts.environment(), a.all(SET_ENV), a.all(UNSET_ENV));
            int status;
            long t3, t4;
            try (LocalRun local = new LocalRun(k); AutoCloseable tool = attach.attach(k, elf)) {
                Process p = local.start(elf, program, exe.argv(), env);
                t3 = System.nanoTime();
                if (profile != null)
                    profile.started();
                status = local.runToEnd(p, (long) (a.get(TIMEOUT) * 1e9));
                t4 = System.nanoTime();
                if (profile != null) {
                    profile.ended();
                    profile.answeredInHooks(k.answeredInHooks());
                }
            }
            long down = System.nanoTime();
            os.shutdown();
            if (chrome != null) {
                chrome.instance("shutdown", down, System.nanoTime() - down);
                chrome.writeTo(traceOut);
            }
            if (timings) {
                System.err.println("timings: jvm start " + jvmMillis + " ms, machine " + RunProfile.ms(t1 - t0) + " ms, boot "
                        + RunProfile.ms(t2 - t1) + " ms, load " + RunProfile.ms(t3 - t2) + " ms, run " + RunProfile.ms(t4 - t3)
                        + " ms (first fault after " + RunProfile.ms(profile.firstFault() == 0 ? 0 : profile.firstFault() - t3)
                        + " ms), shutdown " + RunProfile.ms(System.nanoTime() - t4) + " ms");
                System.err.println("timings: " + profile.describe(t4 - t3));
            }
            return status;
        }
    }

    private static EventSink sink(Set<Trace> trace) {
        return new EventSink() {
            @Override
            public void fault(FaultEvent e) {
                if (trace.contains(Trace.faults))
                    System.err.println(e.format());
            }

            @Override
            public void schedule(int core, int pid, int tid, String what) {
                if (trace.contains(Trace.sched))
                    System.err.printf("sched core=%d pid=%d tid=%d %s%n", core, pid, tid, what);
            }

            @Override
            public void signal(int core, int pid, int tid, String what) {
                if (trace.contains(Trace.signals))
                    System.err.printf("signal core=%d pid=%d tid=%d %s%n", core, pid, tid, what);
            }
        };
    }

    /**
     * The program's path: as given if it contains a slash, else looked up in PATH like a shell does. A path
     * that does not lead to a file is "no such file" (status 127) unless something else stops it, as a
     * loop of symbolic links or a file used as a directory stops execve (status 126, as a shell).
     */
    static Path locate(String program) {
        if (program.contains("/")) {
            Path p = Paths.get(program);
            try {
                Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new Main.NotFoundException(program + ": no such file or directory");
            } catch (java.io.IOException e) {
                String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                        : "cannot read it";
                if (why.startsWith("Too many levels of symbolic links")) // ELOOP; the JDK adds a guess of its own
                    why = "too many levels of symbolic links";
                throw new jmck.lwk.elf.ExecFormatException(program + ": "
                        + Character.toLowerCase(why.charAt(0)) + why.substring(1));
            }
            return p;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path p = Paths.get(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p))
                return p;
        }
        throw new Main.NotFoundException(program + ": command not found");
    }
}
