package jmck.lwk.syscall;

import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Thread;

/**
 * personality(STICKY_TIMEOUTS): select, pselect6 and ppoll leave their timeout as the caller gave it,
 * where Linux otherwise writes back the time left (poll_select_finish). The host writes the time left
 * into the guest's buffer, as it runs these calls for the proxy; the LWK puts the caller's value back.
 */
final class StickyTimeouts {
    static final int STICKY_TIMEOUTS = 0x4000000;

    private StickyTimeouts() {}

    /** The address of call's timeout if t's persona keeps it sticky, else 0. */
    static long timeoutOf(Thread t, Syscall call, long[] a) {
        if ((t.process().personality & STICKY_TIMEOUTS) == 0)
            return 0;
        return switch (call) {
            case SELECT, PSELECT6 -> a[4];
            case PPOLL -> a[2];
            default -> 0;
        };
    }

    /** Forwards call, then puts back the timeout at va as it was (a timeval or timespec: 16 bytes). */
    static long forwardKeeping(SyscallDispatcher d, Thread t, Syscall call, long[] a, long va) {
        AddressSpace mm = t.process().mm();
        byte[] given = mm.copyIn(va, 16);
        return d.forwardThen(t, call, a, r -> {
            try {
                mm.copyOut(va, given);
            } catch (jmck.lwk.mm.BadAddressException e) {
                // unmapped meanwhile by another thread: nothing to keep
            }
            return r;
        });
    }
}
