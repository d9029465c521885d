package jmck.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jmck.ihk.Ihk;
import jmck.proxy.Mcexec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** jmck mcexec: run a program on a booted LWK instance, this process standing in for it on the host. */
@Command(name = "mcexec", mixinStandardHelpOptions = true, description = "Run a static program on a booted LWK instance (McKernel's mcexec).")
final class McexecCommand implements Callable<Integer> {
    @Option(names = "-n", paramLabel = "OS", description = "the OS instance (default 0)", defaultValue = "0")
    int os;

    @Option(names = "--stats", description = "print delegation statistics on exit")
    boolean stats;

    @Parameters(index = "0", paramLabel = "PROGRAM")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARG")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        Path exe = RunCommand.locate(program);
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(args);
        return new Mcexec(new Ihk(Ihk.defaultRuntimeDir()), os, stats).run(exe, program, argv);
    }
}
