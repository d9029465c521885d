package jmck.lwk.mm;

/**
 * A syscall touched user memory it may not: the dispatcher turns this into the errno it carries (EFAULT,
 * ENAMETOOLONG for an unterminated path, EINVAL for a misaligned futex word). Cheap to throw: no stack trace.
 */
public final class BadAddressException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public BadAddressException(int errno) {
        super("bad user address", null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
