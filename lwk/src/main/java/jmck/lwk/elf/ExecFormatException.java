package jmck.lwk.elf;

import jmck.emulator.JmckException;
import jmck.lwk.abi.Errno;

/**
 * The file cannot be run: not an ELF file, wrong class or machine, a missing interpreter, or malformed. The
 * message is one line for the user; errno is what a guest's execve of the file returns (ENOEXEC unless
 * Linux would fail another way: EACCES, EINVAL, ENOMEM, EPERM).
 */
public final class ExecFormatException extends JmckException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ExecFormatException(String message) {
        this(message, Errno.ENOEXEC);
    }

    public ExecFormatException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The errno execve fails with (positive). */
    public int errno() {
        return errno;
    }
}
