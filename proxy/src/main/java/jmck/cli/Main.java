package jmck.cli;

import jmck.emulator.JmckException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The jmck command. Verbs follow the tools of McKernel and IHK: {@code run} is the one-shot path that boots
 * an LWK instance, runs one program on it and tears it down.
 */
@Command(name = "jmck", mixinStandardHelpOptions = true, version = "jmck 0.1",
        description = "An x86-64 machine emulator that boots a McKernel-like lightweight kernel and runs static Linux programs on it.",
        subcommands = {RunCommand.class, StepCommand.class, McexecCommand.class, IhkCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status; errors meant for the user print as one line. */
    public static int execute(String... args) {
        // `run` and `mcexec` are started often and want to start fast: for them picocli builds the model of
        // that one command only (the whole tree, with every ihk verb, costs some 100 ms of start-up).
        CommandLine cl;
        if (args.length > 0 && (args[0].equals("run") || args[0].equals("mcexec"))) {
            cl = new CommandLine(args[0].equals("run") ? new RunCommand() : new McexecCommand());
            cl.setCommandName("jmck " + args[0]);
            cl.setStopAtPositional(true); // after the program's name, everything is the program's
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            cl = new CommandLine(new Main());
            for (String verb : new String[] {"run", "step", "mcexec"})
                cl.getSubcommands().get(verb).setStopAtPositional(true);
        }
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof JmckException) {
                System.err.println("jmck: " + e.getMessage());
                if (e instanceof NotFoundException || e instanceof jmck.lwk.elf.ExecFormatException x
                        && x.errno() == jmck.lwk.abi.Errno.ENOENT)
                    return 127; // as a shell: command not found, or its interpreter not found
                return e instanceof jmck.lwk.elf.ExecFormatException ? 126 : 1;
            }
            throw e;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The program to run does not exist (a shell exits 127 then). */
    static final class NotFoundException extends JmckException {
        private static final long serialVersionUID = 1L;

        NotFoundException(String message) {
            super(message);
        }
    }
}
