package jmck.ihk.ikc;

import jmck.lwk.syscall.Syscall;

/**
 * The LWK's own requests to the proxy, besides delegated system calls: posted on the channel of the
 * process they concern, in the syscall-number field, with arguments and an answer like a syscall's. Their
 * numbers lie above every x86-64 syscall number. The proxy's dispatch switches on this enum
 * (ProxySession); docs/ikc.md has the same table.
 */
public enum IkcCall {
    /**
     * arg0: a token, arg1: 1 if the guest may write it. The proxy installs a guest fd for a file the LWK
     * generates (/proc); its contents are fetched with a {@link IkcChannel#CALLBACK_GENERATE} call-back when
     * the guest first uses the fd, and the guest's writes go to the LWK with {@link IkcChannel#CALLBACK_WRITE}.
     * Answer: the guest fd, or -errno.
     */
    OPEN_GENERATED(0x4a00, "open (a /proc file)"),
    /**
     * arg0: a guest fd, arg1: 1 to map it for writing. The proxy checks the fd can be mmap'ed (open for
     * that, a regular file or block device). Answer: its host fd, which the LWK opens again through
     * /proc/PROXY/fd/N for a descriptor of its own; or -errno.
     */
    MAPPABLE_FD(0x4a01, "mmap (the host file)"),
    /**
     * arg0: a guest pointer to execve's path; for execveat, arg2 has bit 32 set, arg1 is the guest directory
     * fd and arg2's low 32 bits execveat's flags. The proxy opens the file as the guest would (its working
     * directory or that fd, its permissions: ENOENT, EACCES for a directory or a file without x) and keeps it
     * open until EXEC_DONE. Answer: its host fd (the LWK opens /proc/PROXY/fd/N), or -errno.
     */
    OPEN_EXEC(0x4a02, "execve (open the file)"),
    /** No arguments. execve went through: the proxy closes the close-on-exec fds and execve's file. Answer: 0. */
    EXEC_DONE(0x4a03, "execve (close-on-exec files)"),
    /**
     * arg0: the child's pid. Posted on the parent's channel: the proxy serves the child's new channel with
     * copies of the parent's fds, before fork returns (so the parent cannot close a pipe's end first).
     * Answer: 0.
     */
    FORK(0x4a04, "fork (copy the files)"),
    /**
     * args: a syscall's, with the path argument replaced by a host path the LWK resolved (/proc for an LWK
     * process); arg5 is a token whose generated file holds "NR PATH_ARG HOST_PATH". The proxy runs syscall
     * NR with that path. Answer: the syscall's.
     */
    PATH_CALL(0x4a05, "a call on a /proc path"),
    /**
     * arg0: the LWK's host pid, arg1: a host fd of that process (a pipe's write end), arg2: open flags
     * (O_NONBLOCK, O_CLOEXEC), arg3: a local file's id. The proxy opens /proc/PID/fd/FD for reading (a read
     * end of the LWK's pipe) and installs it as a guest fd marked with the id: the guest's read, write and
     * ioctl on it are answered with a redirect to the LWK (jmck.lwk.file.LocalFiles). Answer: the guest fd,
     * or -errno.
     */
    OPEN_LOCAL_FILE(0x4a06, "open (a pidfd or signalfd)"),
    /**
     * arg0: a guest fd. Answer: the local file's id it is marked with (| NONBLOCK); if none, PROC_DIRECTORY | PID
     * for an LWK process's /proc/PID directory, else 0; or -EBADF.
     */
    LOCAL_FILE_OF(0x4a07, "which file an fd is"),
    /**
     * arg0: a pid served by the same proxy, arg1: its fd. The proxy duplicates it into the calling process's
     * table, close-on-exec (pidfd_getfd). Answer: the new guest fd, or -EBADF (-ESRCH for another proxy's pid).
     */
    COPY_FD(0x4a08, "pidfd_getfd (copy an fd)"),
    /**
     * arg0, arg1: a pid and its fd; arg2, arg3: another. Answer (kcmp KCMP_FILE): 0 if both are one open file
     * description, 1 or 2 ordering two others, 3 if one pid is another proxy's, -EBADF.
     */
    COMPARE_FILES(0x4a09, "kcmp (compare two fds)");

    /** The number in the request's syscall-number field. */
    public final long number;
    /** What the call does, for debuggers' lists of requests in flight. */
    public final String what;

    IkcCall(long number, String what) {
        this.number = number;
        this.what = what;
    }

    private static final IkcCall[] ALL = values();

    /** The call with this number, or null for a syscall number. */
    public static IkcCall of(long number) {
        long i = number - OPEN_GENERATED.number;
        return i >= 0 && i < ALL.length ? ALL[(int) i] : null;
    }

    /** What a request with this number asks for, in words: a syscall's Linux name, a pseudo-call's what. */
    public static String describe(long number) {
        IkcCall pseudo = of(number);
        Syscall call = Syscall.of(number);
        return pseudo != null ? pseudo.what : call != null ? call.linuxName : "call " + number;
    }
}
