package jmck.debug;

/** A command the user got wrong: its message is shown on one line and the session goes on. */
public final class BadCommand extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadCommand(String message) {
        super(message, null, false, false);
    }
}
