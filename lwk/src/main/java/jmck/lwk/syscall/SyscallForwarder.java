package jmck.lwk.syscall;

import jmck.lwk.proc.Thread;

/**
 * The delegation point: where DELEGATED syscalls go (McKernel's syscall_generic_forwarding). The mcexec
 * proxy implements it; it runs the call on the host with the guest's buffers reached through the unified
 * address space, and returns the result or a negated errno.
 */
public interface SyscallForwarder {
    long forward(Thread thread, Syscall call, long[] args);

    /**
     * Forwards call for a LOCAL syscall's handler (AIO's requests), then gives its result to then, whose
     * value is the syscall's result; then may forward again. Returns that, or SyscallDispatcher.NO_RETURN
     * if the answer comes later (then runs then, and the thread is woken with its value).
     */
    default long forwardThen(Thread thread, Syscall call, long[] args, java.util.function.LongUnaryOperator then) {
        long r = forward(thread, call, args);
        return r == SyscallDispatcher.NO_RETURN ? r : then.applyAsLong(r);
    }

    /**
     * Opens a read-only file for the guest whose contents the LWK generates (a /proc file): returns the new
     * guest fd, or a negated errno. As with Linux's seq_files, contents are produced when the guest first
     * uses the fd, not at open.
     */
    default long openContents(Thread thread, String name, java.util.function.Supplier<byte[]> contents) {
        return -jmck.lwk.abi.Errno.ENOSYS;
    }

    /**
     * A generated file the guest may write: each write's bytes go to writer, whose answer (the bytes taken,
     * or -errno) is the write's result, as a Linux /proc file's write handler.
     */
    default long openContents(Thread thread, String name, java.util.function.Supplier<byte[]> contents,
            java.util.function.ToLongFunction<byte[]> writer) {
        return writer == null ? openContents(thread, name, contents) : -jmck.lwk.abi.Errno.ENOSYS;
    }

    /**
     * Forwards call with the path in argument pathArg replaced by hostPath (a /proc path that the LWK
     * resolved: the proxy's own entry, or a file the LWK keeps). The other arguments are the guest's.
     */
    default long forwardWithPath(Thread thread, Syscall call, long[] args, int pathArg, String hostPath) {
        return -jmck.lwk.abi.Errno.ENOSYS;
    }

    /**
     * Whether thread, blocked in a delegated call, sleeps in it on the host (its proxy worker is in the
     * kernel's S or D state), as /proc/PID/stat shows: a call that is queued or running, such as a write to
     * a pipe, is R on Linux. null if thread waits for no delegated call.
     */
    default Boolean sleepsOnHost(Thread thread) {
        return null;
    }

    /** The host pid of the proxy serving p (whose /proc entries stand for p's where the host knows better), or -1. */
    default long hostPid(jmck.lwk.proc.Process p) {
        return -1;
    }

    /** A host directory the LWK and the proxy share, for files the LWK keeps for the guest; null if none. */
    default java.nio.file.Path sharedDirectory() {
        return null;
    }

    /**
     * For mmap of guest fd: a host descriptor of the same file that the LWK may keep (readable, and
     * writable if write), or -errno (EBADF, EACCES for a descriptor opened without the access the mapping
     * needs, ENODEV for something that is not a regular file), with {@link #SHARED_WRITABLE} set beside
     * the descriptor if the guest's fd allows a shared mapping to be writable; {@link #ZERO_DEVICE} and no
     * descriptor for /dev/zero, whose mappings are anonymous memory. The answer goes to done,
     * whose value is the syscall's result; if the answer has to come from another process, this returns
     * SyscallDispatcher.NO_RETURN and done runs later.
     */
    /** Beside hostFile's descriptor: shared mappings may be writable; the file is /dev/zero (no descriptor). */
    long SHARED_WRITABLE = 1L << 32, ZERO_DEVICE = 1L << 33;

    default long hostFile(Thread thread, int fd, boolean write, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.ENODEV);
    }

    /**
     * t's process forked child: its proxy serves the child too, with copies of the parent's files. done
     * runs once the proxy has them (so that the parent cannot close one first) and gives the syscall's
     * result; this returns it, or SyscallDispatcher.NO_RETURN if the answer comes later.
     */
    default long processForked(Thread t, jmck.lwk.proc.Process child, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(0);
    }

    /**
     * execve's file: the proxy opens the guest path at guest address path as the guest would (its working
     * directory, its permissions: ENOENT, EACCES for a directory or a file without execute permission) and
     * done receives a host descriptor of the file that the LWK owns, or -errno.
     */
    default long openExecutable(Thread t, long path, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.ENOSYS);
    }

    /** execveat's file: as openExecutable, relative to guest directory fd dirfd, with execveat's flags. */
    default long openExecutableAt(Thread t, int dirfd, long path, int flags, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.ENOSYS);
    }

    /** execve replaced t's program: the proxy closes the close-on-exec files, then done gives the result. */
    default long execDone(Thread t, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(0);
    }

    /**
     * A process the proxy serves has ended (its host side can close files and exit); message says how, if
     * a signal killed it, else it is empty.
     */
    default void processExited(jmck.lwk.proc.Process p, String message) {}

    /**
     * A guest fd for a local file ({@link jmck.lwk.file.LocalFiles}): the proxy opens a read end of the LWK's
     * pipe, host fd pipeFd of process lwkPid, through /proc, with O_NONBLOCK and O_CLOEXEC from flags, and
     * marks the fd with the file's id. done gets the guest fd or -errno; this returns done's answer, or
     * SyscallDispatcher.NO_RETURN if it comes later.
     */
    default long openLocalFile(Thread t, long lwkPid, int pipeFd, long id, int flags,
            java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.ENOSYS);
    }

    /**
     * Which local file guest fd fd is: done gets its id (with {@link jmck.lwk.file.LocalFiles#NONBLOCK} if the
     * fd has O_NONBLOCK), 0 for another kind of file, or -EBADF for an fd that is not open.
     */
    default long localFileOf(Thread t, int fd, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.EBADF);
    }

    /**
     * pidfd_getfd: a duplicate of fd of process pid (served by the same proxy as t's process) in t's
     * process, close-on-exec. done gets the new fd, or -EBADF.
     */
    default long copyFd(Thread t, int pid, int fd, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.EBADF);
    }

    /**
     * kcmp(KCMP_FILE): whether fd1 of process pid1 and fd2 of pid2 are one open file description. done gets
     * 0 if they are, 1 or 2 ordering two different ones, 3 if they cannot be compared (served by different
     * proxies), or -EBADF.
     */
    default long compareFiles(Thread t, int pid1, int fd1, int pid2, int fd2, java.util.function.LongUnaryOperator done) {
        return done.applyAsLong(-jmck.lwk.abi.Errno.EBADF);
    }

    /**
     * For debuggers (read-only): the delegated requests posted and not yet answered, one line each
     * ("pid 100 tid 101 read: slot 3, claimed by a proxy worker").
     */
    default java.util.List<String> requestsInFlight() {
        return java.util.List.of();
    }

    /** No proxy attached: every delegated call fails with ENOSYS. */
    SyscallForwarder NONE = new SyscallForwarder() { // (a class: made at boot, where a lambda's link took 0.2-0.9 ms)
        @Override
        public long forward(Thread t, Syscall call, long[] args) {
            return -jmck.lwk.abi.Errno.ENOSYS;
        }
    };
}
