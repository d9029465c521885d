package jmck.lwk.signal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A siginfo_t (128 bytes on x86-64): signo, errno, code, then a union. For faults the union holds si_addr
 * at offset 16; for kill/tgkill it holds si_pid and si_uid; for SIGCHLD also si_status and times; for an
 * fd's signal (poll) si_band and si_fd, kept in addr and pid.
 */
public record SigInfo(int signo, int code, int errno, long addr, int pid, int uid, int status, boolean poll) {
    public static final int SIZE = 128;

    public SigInfo(int signo, int code, int errno, long addr, int pid, int uid, int status) {
        this(signo, code, errno, addr, pid, uid, status, false);
    }

    /** An fd's signal to its owner (O_ASYNC, F_NOTIFY, a lease break: Linux's send_sigio): si_band, si_fd. */
    public static SigInfo poll(int signo, int code, long band, int fd) {
        return new SigInfo(signo, code, 0, band, fd, 0, 0, true);
    }

    /** A fault signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) at address addr. */
    public static SigInfo fault(int signo, int code, long addr) {
        return new SigInfo(signo, code, 0, addr, 0, 0, 0);
    }

    /** A signal sent by a process (kill, tgkill) or by the kernel. */
    public static SigInfo sent(int signo, int code, int pid, int uid) {
        return new SigInfo(signo, code, 0, 0, pid, uid, 0);
    }

    /** Queued with a value (sigqueue, timers, message queues): si_value follows si_pid and si_uid. */
    private static final int SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3;

    /**
     * A POSIX timer's signal: si_timerid and si_overrun where pid and uid go, si_value in addr (status, not
     * part of a siginfo_t here, holds the timer's generation while it is queued).
     */
    public static SigInfo timer(int signo, int timerId, int overrun, long value) {
        return new SigInfo(signo, SI_TIMER, 0, value, timerId, overrun, 0);
    }

    /** A POSIX timer's signal as it is queued: its overruns are counted when it is taken. */
    public static SigInfo timerQueued(int signo, int timerId, long value, int generation) {
        return new SigInfo(signo, SI_TIMER, 0, value, timerId, 0, generation);
    }

    /** A signal queued with a value (rt_sigqueueinfo with SI_QUEUE, or a code the sender chose). */
    public static SigInfo queued(int signo, int code, int pid, int uid, long value) {
        return new SigInfo(signo, code, 0, value, pid, uid, 0);
    }

    private boolean carriesValue() {
        return code == SI_QUEUE || code == SI_TIMER || code == SI_MESGQ;
    }

    public boolean isFault() {
        return code > 0 && code < 0x80 && (signo == 4 || signo == 5 || signo == 7 || signo == 8 || signo == 11);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, signo);
        b.putInt(4, errno);
        b.putInt(8, code);
        if (isFault() || poll) {
            b.putLong(16, addr); // si_addr, or si_band
            if (poll)
                b.putInt(24, pid); // si_fd
        } else {
            b.putInt(16, pid);
            b.putInt(20, uid);
            if (signo == 17 && code > 0) // SIGCHLD from the kernel: si_status after pid and uid
                b.putInt(24, status);
            else if (carriesValue())
                b.putLong(24, addr); // si_value
        }
        return b.array();
    }

    public static SigInfo fromBytes(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int code = b.getInt(8);
        long addr = code == SI_QUEUE || code == SI_TIMER || code == SI_MESGQ ? b.getLong(24) : b.getLong(16);
        return new SigInfo(b.getInt(0), code, b.getInt(4), addr, b.getInt(16), b.getInt(20), b.getInt(24));
    }
}
