package jmck.cli.args;

/**
 * The command line does not fit the command's definition (an unknown option, a bad value, a missing
 * operand). The message is one line and names what is wrong; the caller prints it after the command's
 * name and exits with status 2, as getopt-based tools do.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Command command;

    public UsageException(Command command, String message) {
        super(message);
        this.command = command;
    }

    /** The command whose line was wrong (its help says how to write it). */
    public Command command() {
        return command;
    }
}
