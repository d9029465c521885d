package jmck.ihk;

import jmck.emulator.host.HostSyscall;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;

/**
 * Signals for threads that wait for a delegated call: as Linux interrupts a blocking syscall when a signal
 * comes for its thread (and McKernel signals the mcexec thread that runs the call), the LWK marks the call's
 * slot and sends the proxy worker running it {@link HostSyscall#SIG_INTERRUPT}, which ends its host call
 * with EINTR. The answer wakes the thread, and signal delivery restarts the call or fails it with EINTR.
 * The signal may reach the worker just before it enters the host call, so it is sent again at the LWK's
 * ticks while the call runs on.
 */
final class HostCallInterrupts {
    private static final long RESEND_NANOS = 5_000_000L;

    private HostCallInterrupts() {}

    /**
     * How an interrupted call ends: restarted after a handler with SA_RESTART (Linux's -ERESTARTSYS), or,
     * for the waits Linux never restarts after a handler (-ERESTARTNOHAND), EINTR.
     */
    static Thread.Interrupt modeOf(Syscall call) {
        return switch (call) {
            case POLL, PPOLL, SELECT, PSELECT6, EPOLL_WAIT, EPOLL_PWAIT, EPOLL_PWAIT2, IO_GETEVENTS, IO_PGETEVENTS ->
                    Thread.Interrupt.EINTR;
            default -> Thread.Interrupt.RESTART;
        };
    }

    /**
     * Asks that call number seq, in slot, end: marks it, and signals its worker if one runs it; sentAt[slot]
     * notes when. Nothing happens if the call has ended and the slot serves another (the request came late:
     * a signal sender on another core); a mark that lands on the next call anyway names seq, not that call.
     */
    static void request(IkcChannel channel, int slot, long seq, long proxyPid, long[] sentAt) {
        int worker = channel.requestInterrupt(slot, seq);
        if (worker < 0)
            return;
        if (worker != 0)
            HostSyscall.call(HostSyscall.SYS_TGKILL, proxyPid, worker, HostSyscall.SIG_INTERRUPT);
        sentAt[slot] = Math.max(1, System.nanoTime());
    }

    /** At a tick: signals again the worker of an interrupted call that still runs, every RESEND_NANOS. */
    static void resend(IkcChannel channel, int slot, long proxyPid, long[] sentAt) {
        if (sentAt[slot] != 0 && System.nanoTime() - sentAt[slot] > RESEND_NANOS
                && channel.state(slot) == IkcChannel.CLAIMED && channel.interruptRequested(slot))
            request(channel, slot, channel.sequence(slot), proxyPid, sentAt);
    }
}
