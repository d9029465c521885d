package jmck.emulator;

/**
 * An error whose message is written for the user: one line that says what went wrong and, where it helps,
 * what to do. The command line prints the message alone, never a stack trace, and exits non-zero.
 */
public class JmckException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JmckException(String message) {
        super(message);
    }

    public JmckException(String message, Throwable cause) {
        super(message, cause);
    }
}
