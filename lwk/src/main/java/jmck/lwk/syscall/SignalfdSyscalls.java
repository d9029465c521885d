package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.file.LocalFiles;
import jmck.lwk.file.SignalFile;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.Signals;

/**
 * signalfd and signalfd4 (Linux's fs/signalfd.c): a file to read the LWK's signals from, a local file
 * ({@link SignalFile}) since the signals are the LWK's and the fd the proxy's. A read with nothing to
 * take waits here, as rt_sigtimedwait does.
 */
final class SignalfdSyscalls implements SyscallDispatcher.Handler {
    private static final int SFD_NONBLOCK = 04000, SFD_CLOEXEC = 02000000;
    private final SyscallContext kernel;

    SignalfdSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
        kernel.localFiles().signalFiles().setWaiter(new jmck.lwk.file.SignalFiles.Waiter() { // a class: see IpcSyscalls
            @Override
            public long waitFor(Thread t, long mask) {
                return SignalfdSyscalls.this.waitFor(t, mask);
            }
        });
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.SIGNALFD, Syscall.SIGNALFD4);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case SIGNALFD -> signalfd(t, (int) a[0], a[1], a[2], 0);
            case SIGNALFD4 -> signalfd(t, (int) a[0], a[1], a[2], (int) a[3]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /**
     * signalfd4(fd, mask, sizemask, flags): fd -1 makes a new signalfd; an fd that is one gets the new mask;
     * any other is EINVAL. SIGKILL and SIGSTOP are never in a mask.
     */
    private long signalfd(Thread t, int fd, long maskVa, long sizemask, int flags) {
        if ((flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) != 0 || sizemask != 8)
            return -Errno.EINVAL;
        long mask = Signals.sanitizeMask(t.process().mm().readLong(maskVa));
        if (fd != -1)
            return kernel.syscalls().forwarder().localFileOf(t, fd, answer -> {
                if (answer < 0)
                    return answer;
                if (LocalFiles.isProcDirectory(answer)
                        || !(kernel.localFiles().get(LocalFiles.idOf(answer)) instanceof SignalFile f))
                    return -Errno.EINVAL;
                f.setMask(mask);
                return fd;
            });
        SignalFile f = kernel.localFiles().signalFiles().create(t.process(), mask);
        if (f == null)
            return -Errno.ENFILE;
        LocalFiles files = kernel.localFiles();
        int pipe = files.reserve(f.id());
        return kernel.syscalls().forwarder().openLocalFile(t, files.hostPid, pipe, f.id(), flags, r -> {
            files.opened(f.id());
            return r;
        });
    }

    /** A read found nothing: t waits for a signal of mask and then reads again (a handler may end the wait first). */
    private long waitFor(Thread t, long mask) {
        t.setSigwaitSet(mask);
        kernel.scheduler().block(t, "signalfd read", Thread.Interrupt.RESTART, () -> t.setSigwaitSet(0));
        return SyscallDispatcher.NO_RETURN;
    }
}
