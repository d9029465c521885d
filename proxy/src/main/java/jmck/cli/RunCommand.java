package jmck.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Process;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;
import jmck.lwk.trace.SyscallFormat;
import jmck.proxy.HostFacts;
import jmck.proxy.LocalRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** jmck run: boot an LWK instance, run one program on it, tear it down; exit with the program's status. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Boot an LWK, run an x86-64 Linux program (static or dynamically linked) on it, and shut it down.")
class RunCommand implements Callable<Integer> {
    enum Trace { faults, syscalls, sched, signals }

    @Option(names = "--cores", paramLabel = "N", description = "emulated cores (default ${DEFAULT-VALUE})", defaultValue = "1")
    int cores;

    @Option(names = "--mem", paramLabel = "SIZE", description = "memory for the LWK, e.g. 512M, 2G (default ${DEFAULT-VALUE})",
            defaultValue = "2G")
    String mem;

    @Option(names = "--page-size", paramLabel = "4k|2m",
            description = "largest page the LWK maps: 2m (default) or 4k, the teaching mode where every 4 KiB page faults on its own",
            defaultValue = "2m")
    String pageSize;

    @Option(names = "--tlb", paramLabel = "ENTRIES", defaultValue = "16384",
            description = "software TLB entries per core, grown before each program starts (QEMU starts with 256; default ${DEFAULT-VALUE})")
    int tlbEntries;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "kill the program if it runs longer than this; jmck then exits with 124, as timeout(1)")
    double timeout;

    @Option(names = "--trace", split = ",", paramLabel = "WHAT", description = "print events to stderr: ${COMPLETION-CANDIDATES}")
    Set<Trace> trace = EnumSet.noneOf(Trace.class);

    @Option(names = {"-v", "--verbose"}, description = "echo the kernel log (kmsg) to stderr")
    boolean verbose;

    @Option(names = "--trace-out", paramLabel = "FILE",
            description = "write a Chrome trace (JSON; opens in Perfetto and chrome://tracing): one track per core, "
                    + "slices for syscalls and page faults, instants for scheduling and signals")
    Path traceOut;

    @Option(names = "--gdb", paramLabel = "[HOST]:PORT",
            description = "wait for gdb's remote protocol on HOST:PORT (default host 127.0.0.1; port 0 picks a free one) "
                    + "before the program's first instruction; then in gdb: target remote HOST:PORT")
    String gdb;

    @Option(names = "--timings", description = "print where the time went (JVM start, boot, load, run) to stderr")
    boolean timings;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "an x86-64 ELF executable")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "its arguments")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        // The launcher passes the time it started java, so the JVM's own start-up can be told apart.
        long launched = Long.getLong("jmck.launched", 0), jvmMillis = launched == 0 ? -1 : System.currentTimeMillis() - launched;
        Path exe = locate(program);
        ElfImage elf = ElfImage.open(exe);
        PageSize maxPage = switch (pageSize.toLowerCase()) {
            case "4k" -> PageSize.SMALL;
            case "2m" -> PageSize.LARGE;
            default -> throw new jmck.emulator.JmckException("bad --page-size '" + pageSize + "': use 4k or 2m");
        };
        if (traceOut != null) { // say so before the run, not after it
            Path parent = traceOut.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent))
                throw new jmck.emulator.JmckException("cannot write the trace to " + traceOut + ": no writable directory "
                        + parent);
        }
        long bytes = Sizes.parse(mem);
        long[] firstFault = {0};
        jmck.lwk.trace.ChromeTrace chrome = traceOut == null ? null : new jmck.lwk.trace.ChromeTrace(cores);
        try (Machine machine = Machine.create(cores, bytes)) {
            long t1 = System.nanoTime();
            OsInstance os = OsInstance.boot(machine, cores, List.of(machine.lwkMemory()), maxPage, tlbEntries);
            long t2 = System.nanoTime();
            Kernel k = os.kernel();
            if (verbose)
                k.echoKmsg(System.err::println);
            if (!trace.isEmpty() || chrome != null)
                k.setEventSink(EventSink.tee(trace.isEmpty() ? null : sink(), chrome));
            if (chrome != null)
                chrome.instance(String.format("boot: %d cores, %d MiB", cores, bytes >> 20), t1, t2 - t1);
            else if (timings)
                k.setEventSink(new EventSink() {
                    @Override
                    public void fault(FaultEvent e) {
                        if (firstFault[0] == 0 && !e.kernel())
                            firstFault[0] = System.nanoTime();
                    }
                });
            if (trace.contains(Trace.syscalls))
                k.syscalls().setTracer(new jmck.lwk.syscall.SyscallDispatcher.Tracer() {
                    @Override
                    public void syscall(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long nr, long[] a, long r,
                            boolean delegated) {
                        System.err.println(SyscallFormat.line(t, call, nr, a, r, delegated));
                    }

                    @Override
                    public void resumed(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long r) {
                        System.err.println(SyscallFormat.resumed(t, call, r));
                    }
                });
            List<String> argv = new ArrayList<>();
            argv.add(program);
            argv.addAll(args);
            int status;
            long t3, t4;
            try (LocalRun local = new LocalRun(k); AutoCloseable tool = attach(k, elf)) {
                Process p = local.start(elf, program, argv, HostFacts.environment());
                t3 = System.nanoTime();
                status = local.runToEnd(p, (long) (timeout * 1e9));
                t4 = System.nanoTime();
            }
            long down = System.nanoTime();
            os.shutdown();
            if (chrome != null) {
                chrome.instance("shutdown", down, System.nanoTime() - down);
                chrome.writeTo(traceOut);
            }
            if (timings)
                System.err.printf("timings: jvm start %d ms, machine %.1f ms, boot %.1f ms, load %.1f ms, run %.1f ms"
                        + " (first fault after %.1f ms), shutdown %.1f ms%n", jvmMillis, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                        (t3 - t2) / 1e6, (t4 - t3) / 1e6, firstFault[0] == 0 ? 0 : (firstFault[0] - t3) / 1e6,
                        (System.nanoTime() - t4) / 1e6);
            return status;
        }
    }

    /**
     * Attaches a debugger before the program's first instruction: `run --gdb` serves gdb's remote protocol;
     * `step` overrides this with its command line. Returns what to close after the run (or null).
     */
    AutoCloseable attach(Kernel k, ElfImage elf) throws Exception {
        if (gdb == null)
            return null;
        return jmck.debug.GdbStub.listen(k, elf, gdb, System.err);
    }

    private EventSink sink() {
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
