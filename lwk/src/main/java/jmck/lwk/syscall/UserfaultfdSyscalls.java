package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.file.LocalFiles;
import jmck.lwk.file.UserfaultDevice;
import jmck.lwk.file.UserfaultFile;
import jmck.lwk.proc.Thread;

/**
 * userfaultfd(2) and /dev/userfaultfd (Linux's fs/userfaultfd.c): a file through which a process answers its
 * own page faults. The page faults are the LWK's, so the file is a local one ({@link UserfaultFile}); the
 * fault path catches faults of registered memory ({@link jmck.lwk.UserFaults}).
 */
final class UserfaultfdSyscalls implements SyscallDispatcher.Handler {
    private static final int O_NONBLOCK = 04000, O_CLOEXEC = 02000000, O_RDWR = 2, UFFD_USER_MODE_ONLY = 1;
    private static final int CAP_SYS_PTRACE = 19;
    private final SyscallContext kernel;

    UserfaultfdSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.USERFAULTFD);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case USERFAULTFD -> userfaultfd(t, (int) a[0]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /**
     * userfaultfd(flags): O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY. Without the last it takes
     * CAP_SYS_PTRACE, as Linux with vm.unprivileged_userfaultfd 0 (kernel faults are never caught here).
     */
    long userfaultfd(Thread t, int flags) {
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY)) != 0)
            return -Errno.EINVAL;
        if ((flags & UFFD_USER_MODE_ONLY) == 0 && !t.process().capabilities().has(CAP_SYS_PTRACE))
            return -Errno.EPERM;
        UserfaultFile f = UserfaultFile.create(kernel.localFiles(), kernel.scheduler(), t.process().mm());
        if (f == null)
            return -Errno.ENFILE;
        return open(t, f.id(), flags);
    }

    /** open("/dev/userfaultfd", flags): root's alone (the node is 0600 root). */
    long openDevice(Thread t, int flags) {
        if (t.process().credentials().fsuid() != 0)
            return -Errno.EACCES;
        UserfaultDevice dev = UserfaultDevice.create(kernel.localFiles(), this::userfaultfd);
        if (dev == null)
            return -Errno.ENFILE;
        return open(t, dev.id(), flags);
    }

    private long open(Thread t, long id, int flags) {
        LocalFiles files = kernel.localFiles();
        int pipe = files.reserve(id);
        return kernel.syscalls().forwarder().openLocalFile(t, files.hostPid, pipe, id, flags & (O_CLOEXEC | O_NONBLOCK), r -> {
            files.opened(id);
            return r;
        });
    }
}
