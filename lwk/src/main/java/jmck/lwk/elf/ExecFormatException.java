package jmck.lwk.elf;

import jmck.emulator.JmckException;

/** The file cannot be run: not an ELF file, wrong class or machine, dynamically linked, or malformed. */
public final class ExecFormatException extends JmckException {
    private static final long serialVersionUID = 1L;

    public ExecFormatException(String message) {
        super(message);
    }
}
