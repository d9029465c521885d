package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/**
 * The signal masks that ppoll, pselect6, epoll_pwait and epoll_pwait2 wait with (Linux's set_user_sigmask):
 * the call's mask is in force while the host runs the call, so that a signal it lets through interrupts the
 * call (jmck.ihk.HostCallInterrupts) even if the thread's own mask blocks it; the thread's own mask comes
 * back when the call returns, or, if a signal ended it (EINTR), after the handler (the frame saves it, as
 * for sigsuspend; Linux's restore_saved_sigmask_unless).
 */
final class WaitMasks {
    /** apply's answer: the call's mask is in force, the thread's is saved. */
    static final long SET = 1;
    private static final int SIGSET_SIZE = 8;

    private WaitMasks() {}

    /** Puts the mask of call (if it gives one) in force for t: SET, 0 if none is given, or -errno. */
    static long apply(Thread t, Syscall call, long[] a) {
        long mask, size;
        switch (call) {
            case PPOLL -> { // (fds, nfds, timeout, sigmask, sigsetsize)
                mask = a[3];
                size = a[4];
            }
            case EPOLL_PWAIT, EPOLL_PWAIT2 -> { // (epfd, events, maxevents, timeout, sigmask, sigsetsize)
                mask = a[4];
                size = a[5];
            }
            case PSELECT6 -> { // a struct { const sigset_t *ss; size_t ss_len; }
                if (a[5] == 0)
                    return 0;
                mask = t.process().mm().readLong(a[5]);
                size = t.process().mm().readLong(a[5] + 8);
            }
            default -> {
                return 0;
            }
        }
        if (mask == 0)
            return 0;
        if (size != SIGSET_SIZE)
            return -Errno.EINVAL;
        long set = t.process().mm().readLong(mask);
        t.saveMask(t.blockedMask());
        t.setBlockedMask(jmck.lwk.signal.Signals.sanitizeMask(set));
        return SET;
    }
}
