package jmck.cli;

import java.util.List;
import jmck.cli.args.BashCompletion;
import jmck.cli.args.Command;
import jmck.cli.args.Command.ExitStatus;
import jmck.cli.args.Command.Variable;
import jmck.cli.args.HelpText;
import jmck.cli.args.ManPage;
import jmck.cli.args.Operand;
import jmck.cli.args.Parser;
import jmck.cli.args.UsageException;
import jmck.cli.args.ValueType;
import jmck.emulator.JmckException;
import jmck.lwk.elf.ExecFormatException;

/**
 * The jmck command. Verbs follow the tools of McKernel and IHK: {@code run} is the one-shot path that boots
 * an LWK instance, runs one program on it and tears it down; {@code ihk} and {@code mcexec} are IHK's and
 * McKernel's. The commands are defined as data ({@link Command}); help, the man page and shell completion
 * are made from the definitions.
 */
public final class Main {
    /** Exit statuses of every command. */
    static final List<ExitStatus> EXITS = List.of(
            new ExitStatus("0", "success"),
            new ExitStatus("1", "jmck could not do it; one line on standard error says why"),
            new ExitStatus("2", "the command line is wrong (an unknown option, a bad value, a missing operand); "
                    + "one line on standard error names it"));
    /** Exit statuses of the commands that run a program (as a shell reports a command's). */
    static final List<ExitStatus> PROGRAM_EXITS = List.of(
            new ExitStatus("0-255", "the program's own exit status"),
            new ExitStatus("1", "also: jmck could not run it; one line on standard error says why"),
            new ExitStatus("2", "also: the command line is wrong; one line on standard error names the option or operand"),
            new ExitStatus("124", "--timeout ran out and the program was killed, as timeout(1)"),
            new ExitStatus("126", "PROGRAM cannot be run: not an x86-64 ELF executable or script, not executable, a directory"),
            new ExitStatus("127", "PROGRAM, or the ELF interpreter or #! interpreter it names, was not found"),
            new ExitStatus("128+N", "the program was killed by signal N (130 for SIGINT, 137 for SIGKILL)"));
    /** mcexec has no --timeout. */
    static final List<ExitStatus> MCEXEC_EXITS = withoutTimeout(PROGRAM_EXITS);

    /**
     * The statuses but --timeout's. (A loop: as a stream this was the first in every jmck command, and
     * loaded the stream library's classes, some 25, at each start.)
     */
    private static List<ExitStatus> withoutTimeout(List<ExitStatus> statuses) {
        List<ExitStatus> l = new java.util.ArrayList<>();
        for (ExitStatus e : statuses)
            if (!e.code().equals("124"))
                l.add(e);
        return List.copyOf(l);
    }

    private Main() {}

    public static void main(String[] args) {
        if (args.length > 0 && startsAMachine(args[0])) // the commands that load most classes
            ClassArchivePages.populate();
        int status = execute(args);
        // No orderly JVM exit: jmck registers no shutdown hooks, and that exit cost hello 4 ms of wall time
        // and 7 of CPU time (30 alternated runs). A command that ran a machine has the host's syscalls at
        // hand and ends as _exit does (halt's safepoint and JVM thread stops took some 2 ms more); the
        // others halt, rather than load JNA to end.
        System.out.flush();
        System.err.flush();
        if (args.length > 0 && startsAMachine(args[0]))
            jmck.emulator.host.HostSyscall.exitGroup(status);
        Runtime.getRuntime().halt(status);
    }

    /** Whether the command named verb runs a program on an emulated machine (run, step, mcexec). */
    private static boolean startsAMachine(String verb) {
        return verb.equals("run") || verb.equals("step") || verb.equals("mcexec");
    }

    /** The command tree. */
    static Command commands() {
        return commands("");
    }

    /**
     * The command tree for a command line whose first word is verb: for run, step and mcexec only that
     * command's branch (the other commands' definitions cost jmck run's start-up some 25 lambdas and their
     * classes, linked in the interpreter); the whole tree for anything else.
     */
    static Command commands(String verb) {
        Command root = new Command("jmck", "An x86-64 machine emulator that boots a McKernel-like lightweight kernel and "
                + "runs Linux programs on it.")
                .describe("jmck emulates an x86-64 machine with Unicorn, boots a lightweight kernel (LWK) modeled on "
                        + "RIKEN's IHK/McKernel on it, and runs unmodified Linux ELF programs, static or dynamically linked, on that kernel. The "
                        + "LWK handles memory, processes, threads, signals and scheduling itself and delegates the "
                        + "other system calls to a proxy process on the host (mcexec), as McKernel does.")
                .exits(EXITS)
                .environment(
                        new Variable("JMCK_RUNTIME_DIR", "where IHK state, booted instances' sockets, IKC channels and logs "
                                + "live (default /tmp/jmck-USER); give each user or test its own to keep instances apart"),
                        new Variable("JMCK_JAVA_OPTS", "extra options for the Java VM, added by the jmck launcher "
                                + "(e.g. -Xmx8g, or -Djmck.ikc.spin=NANOS to tune how long the LWK spins for a proxy's answer)"),
                        new Variable("JMCK_UNICORN", "debian: run on Debian's Unicorn build rather than jmck's own"
                                + " (its cores then take turns on one host thread)"),
                        new Variable("JMCK_HOST_CPUS", "how many host CPUs the cores of parallel mode run guest code on"
                                + " at once when they outnumber them (default: the CPUs jmck may use, and only while other"
                                + " processes keep the host busy; set: always; 0: no limit, the host's scheduler alone"
                                + " shares them)"),
                        new Variable("PATH", "where run, step and mcexec look for a PROGRAM named without a slash"))
                .example("jmck run guest-images/out/gcc/hello")
                .example("jmck run --cores 4 --trace sched guest-images/out/gcc/threads 4")
                .example("jmck run -E LANG=C -U DISPLAY /bin/busybox env")
                .example("jmck step --page-size 4k guest-images/out/gcc/step_pages")
                .example("jmck ihk reboot --cpus 1-2 --mem 512M && jmck mcexec /bin/busybox sh -c 'echo hi' && jmck ihk stop")
                .example("source <(jmck completion bash)")
                .example("jmck man | man -l -");
        return switch (verb) {
            case "run" -> root.subcommands(RunCommand.command());
            case "step" -> root.subcommands(StepCommand.command());
            case "mcexec" -> root.subcommands(McexecCommand.command());
            default -> root.subcommands(RunCommand.command(), StepCommand.command(), McexecCommand.command(),
                    IhkCommand.command(), completion(root), man(root));
        };
    }

    /** Runs the command line and returns the exit status; errors meant for the user print as one line. */
    public static int execute(String... argv) {
        // run and step boot a machine at once: load its native side while the JVM starts the rest
        String verb = argv.length > 0 ? argv[0] : "";
        if (startsAMachine(verb)) // mcexec's machine is the instance daemon's: just the libraries
            jmck.emulator.unicorn.EnginePrefetch.start(verb.equals("mcexec") ? 0 : 1, jmck.lwk.Kernel.DEFAULT_TLB_ENTRIES);
        Parser.Invocation inv;
        try {
            inv = Parser.parse(commands(verb), argv);
        } catch (UsageException e) {
            String name = e.command().fullName();
            System.err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        }
        switch (inv.request()) {
            case HELP -> {
                System.out.print(HelpText.of(inv.command()));
                return 0;
            }
            case VERSION -> {
                System.out.print(Versions.text());
                return 0;
            }
            default -> {
                try {
                    return inv.command().action().run(inv.args());
                } catch (JmckException e) {
                    System.err.println("jmck: " + e.getMessage());
                    if (e instanceof NotFoundException
                            || e instanceof ExecFormatException x && x.errno() == jmck.lwk.abi.Errno.ENOENT)
                        return 127; // as a shell: command not found, or its interpreter not found
                    return e instanceof ExecFormatException ? 126 : 1;
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static Command completion(Command root) {
        Operand<String> shell = Operand.required("SHELL", ValueType.oneOf("bash", "zsh"), "the shell");
        return new Command("completion", "Print a shell completion script for jmck (bash, or zsh through bashcompinit).")
                .describe("Load it in the current shell with: source <(jmck completion bash). To load it in every shell, "
                        + "put that line in ~/.bashrc, or save the output as ~/.local/share/bash-completion/completions/jmck.")
                .operands(shell).action(a -> {
                    if (a.get(shell).equals("zsh"))
                        System.out.print("autoload -U +X bashcompinit && bashcompinit\n");
                    System.out.print(BashCompletion.of(root));
                    return 0;
                });
    }

    private static Command man(Command root) {
        return new Command("man", "Print jmck's manual page (roff); read it with: jmck man | man -l -").action(a -> {
            System.out.print(ManPage.of(root, "jmck " + Versions.jmck(), List.of("qemu-x86_64(1)", "gdb(1)", "strace(1)",
                    "timeout(1)")));
            return 0;
        });
    }

    /** The program to run does not exist (a shell exits 127 then). */
    static final class NotFoundException extends JmckException {
        private static final long serialVersionUID = 1L;

        NotFoundException(String message) {
            super(message);
        }
    }
}
