package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.Thread;

/**
 * futex(2): the sleeping half of every pthread mutex, condition variable, barrier and join. Waiting
 * compares the word and sleeps in one step: every syscall runs on the kernel's single thread while all
 * emulated cores are stopped, so no guest instruction can change the word in between (what Linux's
 * hash-bucket lock guarantees).
 */
final class FutexSyscalls {
    private static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
            FUTEX_WAKE_OP = 5, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
    private static final int FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
    private static final long NANOS = 1_000_000_000L;
    private final Kernel kernel;

    FutexSyscalls(Kernel kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(Syscall.FUTEX, (t, a) -> futex(t, a[0], (int) a[1], (int) a[2], a[3], a[4], (int) a[5]));
    }

    private long futex(Thread t, long uaddr, int op, int val, long timeout, long uaddr2, int val3) {
        int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        boolean realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
        if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
            return -Errno.ENOSYS;
        if ((uaddr & 3) != 0)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        switch (cmd) {
            case FUTEX_WAIT:
                return wait(t, mm, uaddr, val, timeout, false, false, Futexes.ANY);
            case FUTEX_WAIT_BITSET:
                if (val3 == 0)
                    return -Errno.EINVAL;
                return wait(t, mm, uaddr, val, timeout, true, realtime, val3);
            case FUTEX_WAKE:
                return wake(mm, uaddr, val, Futexes.ANY);
            case FUTEX_WAKE_BITSET:
                if (val3 == 0)
                    return -Errno.EINVAL;
                return wake(mm, uaddr, val, val3);
            case FUTEX_REQUEUE:
                return requeue(mm, uaddr, val, (int) timeout, uaddr2, false, 0);
            case FUTEX_CMP_REQUEUE:
                return requeue(mm, uaddr, val, (int) timeout, uaddr2, true, val3);
            case FUTEX_WAKE_OP:
                return wakeOp(mm, uaddr, val, (int) timeout, uaddr2, val3);
            default: // FUTEX_FD (gone from Linux), the PI and waitv variants
                return -Errno.ENOSYS;
        }
    }

    /**
     * FUTEX_WAIT: sleep if the word still holds val. The timeout is relative for FUTEX_WAIT and absolute
     * (CLOCK_MONOTONIC, or CLOCK_REALTIME with the flag) for FUTEX_WAIT_BITSET.
     */
    private long wait(Thread t, AddressSpace mm, long uaddr, int val, long timeoutVa, boolean absolute, boolean realtime,
            int bitset) {
        long deadline = -1;
        if (timeoutVa != 0) {
            ByteBuffer b = ByteBuffer.wrap(mm.copyIn(timeoutVa, 16)).order(ByteOrder.LITTLE_ENDIAN);
            long sec = b.getLong(0), nsec = b.getLong(8);
            if (sec < 0 || nsec < 0 || nsec >= NANOS)
                return -Errno.EINVAL;
            long nanos = sec > Long.MAX_VALUE / NANOS / 2 ? Long.MAX_VALUE / 4 : sec * NANOS + nsec;
            long now = System.nanoTime();
            if (absolute)
                nanos -= realtime ? TimeSyscalls.realtime() : now;
            deadline = now + Math.max(0, nanos);
        }
        if (mm.readInt(uaddr) != val)
            return -Errno.EAGAIN;
        if (deadline >= 0 && deadline <= System.nanoTime())
            return -Errno.ETIMEDOUT;
        Futexes futexes = kernel.futexes();
        futexes.enqueue(kernel.futexKey(mm, uaddr), t, bitset);
        long seq = kernel.scheduler().block(t, "futex", Thread.Interrupt.RESTART, () -> futexes.remove(t));
        if (deadline >= 0)
            kernel.addTimer(deadline, () -> kernel.scheduler().timeout(t, seq, -Errno.ETIMEDOUT));
        return SyscallDispatcher.NO_RETURN;
    }

    /** FUTEX_WAKE: wakes up to n waiters whose bitset matches; returns how many. */
    private long wake(AddressSpace mm, long uaddr, int n, int bitset) {
        if (n <= 0)
            return 0;
        int woken = 0;
        for (Thread w : kernel.futexes().take(kernel.futexKey(mm, uaddr), n, bitset)) {
            kernel.scheduler().wake(w, 0);
            woken++;
        }
        return woken;
    }

    /** FUTEX_(CMP_)REQUEUE: wakes up to n, moves up to n2 more to uaddr2's queue; returns woken + moved. */
    private long requeue(AddressSpace mm, long uaddr, int n, int n2, long uaddr2, boolean compare, int expected) {
        if (n < 0 || n2 < 0)
            return -Errno.EINVAL;
        if ((uaddr2 & 3) != 0)
            return -Errno.EINVAL;
        Futexes.Key from = kernel.futexKey(mm, uaddr), to = kernel.futexKey(mm, uaddr2);
        if (compare && mm.readInt(uaddr) != expected)
            return -Errno.EAGAIN;
        long woken = wake(mm, uaddr, n, Futexes.ANY);
        return woken + kernel.futexes().requeue(from, to, n2);
    }

    /**
     * FUTEX_WAKE_OP: changes the word at uaddr2 by an operation encoded in val3, wakes up to n on uaddr,
     * and, if the word's old value passes val3's comparison, up to n2 on uaddr2 (glibc's condvar signal).
     */
    private long wakeOp(AddressSpace mm, long uaddr, int n, int n2, long uaddr2, int val3) {
        if ((uaddr2 & 3) != 0)
            return -Errno.EINVAL;
        int op = (val3 >>> 28) & 7, cmp = (val3 >>> 24) & 15;
        int oparg = (val3 << 8) >> 20, cmparg = (val3 << 20) >> 20; // 12-bit signed fields
        if ((val3 & (8 << 28)) != 0) { // FUTEX_OP_OPARG_SHIFT
            if (oparg < 0 || oparg > 31)
                return -Errno.EINVAL;
            oparg = 1 << oparg;
        }
        int old = mm.readInt(uaddr2);
        int updated;
        switch (op) {
            case 0: updated = oparg; break;        // SET
            case 1: updated = old + oparg; break;  // ADD
            case 2: updated = old | oparg; break;  // OR
            case 3: updated = old & ~oparg; break; // ANDN
            case 4: updated = old ^ oparg; break;  // XOR
            default: return -Errno.ENOSYS;
        }
        mm.writeInt(uaddr2, updated);
        long woken = wake(mm, uaddr, n, Futexes.ANY);
        boolean hit;
        switch (cmp) {
            case 0: hit = old == cmparg; break;
            case 1: hit = old != cmparg; break;
            case 2: hit = old < cmparg; break;
            case 3: hit = old <= cmparg; break;
            case 4: hit = old > cmparg; break;
            case 5: hit = old >= cmparg; break;
            default: return -Errno.ENOSYS;
        }
        if (hit)
            woken += wake(mm, uaddr2, n2, Futexes.ANY);
        return woken;
    }
}
