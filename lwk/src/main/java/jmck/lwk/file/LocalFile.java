package jmck.lwk.file;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/**
 * A file the LWK implements itself: what it does on the guest's read, write and ioctl. Each returns the
 * syscall's result, -errno, or SyscallDispatcher.NO_RETURN when the thread waits (it runs its syscall
 * again when woken). They run on the kernel's side of a delegated call: on the caller's core, or from the
 * IKC poll when the proxy's answer arrives while the thread is blocked.
 */
public interface LocalFile {
    /** read and readv: fills buf; nonblock is the guest fd's O_NONBLOCK. */
    long read(Thread t, GuestBuffer buf, boolean nonblock);

    /** write and writev: the files here take no writes (Linux: EINVAL). */
    default long write(Thread t, GuestBuffer buf, boolean nonblock) {
        return -Errno.EINVAL;
    }

    /** ioctl(cmd, arg); the generic requests (FIOCLEX, FIONBIO, ...) never come here. */
    default long ioctl(Thread t, long cmd, long arg) {
        return -Errno.ENOTTY;
    }

    /** The kind of file, for /proc and messages: "pidfd", "signalfd". */
    String kind();
}
