package jmck.ihk.ikc;

/**
 * The LWK's own requests to the proxy, besides delegated system calls: posted on the channel of the
 * process they concern, in the syscall-number field, with arguments and an answer like a syscall's. Their
 * numbers lie above every x86-64 syscall number. The proxy's dispatch switches on this enum
 * (ProxySession); docs/ikc.md has the same table.
 */
public enum IkcCall {
    /**
     * arg0: a token. The proxy installs a guest fd for a file the LWK generates (/proc); its contents are
     * fetched with a {@link IkcChannel#CALLBACK_GENERATE} call-back when the guest first uses the fd.
     * Answer: the guest fd, or -errno.
     */
    OPEN_GENERATED(0x4a00),
    /**
     * arg0: a guest fd, arg1: 1 to map it for writing. The proxy checks the fd can be mmap'ed (open for
     * that, a regular file or block device). Answer: its host fd, which the LWK opens again through
     * /proc/PROXY/fd/N for a descriptor of its own; or -errno.
     */
    MAPPABLE_FD(0x4a01),
    /**
     * arg0: a guest pointer to execve's path. The proxy opens the file as the guest would (its working
     * directory and permissions: ENOENT, EACCES for a directory or a file without x) and keeps it open
     * until EXEC_DONE. Answer: its host fd (the LWK opens /proc/PROXY/fd/N), or -errno.
     */
    OPEN_EXEC(0x4a02),
    /** No arguments. execve went through: the proxy closes the close-on-exec fds and execve's file. Answer: 0. */
    EXEC_DONE(0x4a03),
    /**
     * arg0: the child's pid. Posted on the parent's channel: the proxy serves the child's new channel with
     * copies of the parent's fds, before fork returns (so the parent cannot close a pipe's end first).
     * Answer: 0.
     */
    FORK(0x4a04);

    /** The number in the request's syscall-number field. */
    public final long number;

    IkcCall(long number) {
        this.number = number;
    }

    private static final IkcCall[] ALL = values();

    /** The call with this number, or null for a syscall number. */
    public static IkcCall of(long number) {
        long i = number - OPEN_GENERATED.number;
        return i >= 0 && i < ALL.length ? ALL[(int) i] : null;
    }
}
