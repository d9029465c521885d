package jmck.lwk.abi;

/** Linux errno values (asm-generic/errno-base.h, errno.h). Syscalls return them negated. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14,
            EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
            ENFILE = 23, EMFILE = 24, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30,
            EPIPE = 32, EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOSYS = 38,
            ENOTEMPTY = 39, ELOOP = 40, ENOMSG = 42, EIDRM = 43, ENOLCK = 37, ENODATA = 61, EOVERFLOW = 75,
            ELIBBAD = 80, EMSGSIZE = 90, EOPNOTSUPP = 95, ETIMEDOUT = 110;

    /** Internal: the syscall was interrupted and restarts if the signal handler has SA_RESTART. */
    public static final int ERESTARTSYS = 512;

    /** Whether a raw syscall return value is an error (-4095..-1). */
    public static boolean isError(long ret) {
        return ret < 0 && ret >= -4095;
    }

    private static final String[] NAMES = new String[134];

    static {
        for (var f : Errno.class.getFields())
            try {
                int v = f.getInt(null);
                if (f.getName().startsWith("E") && v > 0 && v < NAMES.length)
                    NAMES[v] = f.getName();
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
    }

    /** "ENOENT" for 2; "E123" when unnamed. */
    public static String name(int errno) {
        return errno > 0 && errno < NAMES.length && NAMES[errno] != null ? NAMES[errno] : "E" + errno;
    }
}
