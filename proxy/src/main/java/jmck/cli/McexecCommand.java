package jmck.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.cli.args.Args;
import jmck.cli.args.Command;
import jmck.cli.args.Operand;
import jmck.cli.args.Option;
import jmck.ihk.Ihk;
import jmck.proxy.HostFacts;
import jmck.proxy.Mcexec;

/**
 * jmck mcexec: run a program on a booted LWK instance, this process standing in for it on the host. The
 * instance is chosen as McKernel's mcexec chooses it: an optional number before the program (its
 * {@code [<mcos-id>]}), instance 0 without one.
 */
final class McexecCommand {
    static final Operand<Integer> OS = Operand.optional("OS", Values.instance(),
            "the OS instance to run on, a number before PROGRAM as McKernel's mcexec takes its mcos-id (default 0)");
    static final Option<Boolean> STATS = Option.flag("--stats", "print delegation statistics on exit");

    private McexecCommand() {}

    static Command command() {
        return new Command("mcexec", "Run a program on a booted LWK instance (McKernel's mcexec).")
                .describe("This process is the program's proxy on the host: the program's delegated system calls run "
                        + "here, with this process's files, working directory and credentials. Boot an instance first "
                        + "(jmck ihk reboot, or the ihk verbs one by one).")
                .options(STATS, RunCommand.SET_ENV, RunCommand.UNSET_ENV, RunCommand.ARGV0)
                .operands(OS, RunCommand.PROGRAM, RunCommand.ARGS).exits(Main.MCEXEC_EXITS)
                .hint("-n", "the instance is a number before PROGRAM, as in McKernel: jmck mcexec 1 PROGRAM "
                        + "(McKernel's -n is MPI ranks per node, which jmck does not do)")
                .example("jmck mcexec hello             # on instance 0")
                .example("jmck mcexec 1 /bin/busybox ls  # on instance 1")
                .action(McexecCommand::run);
    }

    private static int run(Args a) {
        String program = a.get(RunCommand.PROGRAM);
        Path exe = RunCommand.locate(program);
        List<String> argv = new ArrayList<>();
        argv.add(a.has(RunCommand.ARGV0) ? a.get(RunCommand.ARGV0) : program);
        argv.addAll(a.all(RunCommand.ARGS));
        List<String> env = Values.environment(HostFacts.environment(), a.all(RunCommand.SET_ENV), a.all(RunCommand.UNSET_ENV));
        int os = a.get(OS) == null ? 0 : a.get(OS);
        return new Mcexec(new Ihk(Ihk.defaultRuntimeDir()), os, a.flag(STATS)).run(exe, program, argv, env);
    }
}
