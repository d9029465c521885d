package jmck.lwk.signal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A siginfo_t (128 bytes on x86-64): signo, errno, code, then a union. For faults the union holds si_addr
 * at offset 16; for kill/tgkill it holds si_pid and si_uid; for SIGCHLD also si_status and times.
 */
public record SigInfo(int signo, int code, int errno, long addr, int pid, int uid, int status) {
    public static final int SIZE = 128;

    /** A fault signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) at address addr. */
    public static SigInfo fault(int signo, int code, long addr) {
        return new SigInfo(signo, code, 0, addr, 0, 0, 0);
    }

    /** A signal sent by a process (kill, tgkill) or by the kernel. */
    public static SigInfo sent(int signo, int code, int pid, int uid) {
        return new SigInfo(signo, code, 0, 0, pid, uid, 0);
    }

    public boolean isFault() {
        return code > 0 && code < 0x80 && (signo == 4 || signo == 5 || signo == 7 || signo == 8 || signo == 11);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, signo);
        b.putInt(4, errno);
        b.putInt(8, code);
        if (isFault()) {
            b.putLong(16, addr);
        } else {
            b.putInt(16, pid);
            b.putInt(20, uid);
            if (signo == 17) // SIGCHLD: si_status after pid and uid
                b.putInt(24, status);
        }
        return b.array();
    }

    public static SigInfo fromBytes(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return new SigInfo(b.getInt(0), b.getInt(8), b.getInt(4), b.getLong(16), b.getInt(16), b.getInt(20), b.getInt(24));
    }
}
