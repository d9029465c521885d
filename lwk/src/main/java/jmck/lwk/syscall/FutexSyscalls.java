package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Backing;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.Thread;

/**
 * futex(2): the sleeping half of every pthread mutex, condition variable, barrier and join. Waiting
 * compares the word and sleeps in one step under the futex lock (Linux's hash-bucket lock), which wakes
 * take too: a FUTEX_WAKE on another core either comes before the compare (which then fails with EAGAIN,
 * as the guest changed the word first) or finds the waiter queued. FUTEX_WAKE_OP changes its word with a
 * host compare-and-swap, atomic against guest code on other cores.
 */
final class FutexSyscalls implements SyscallDispatcher.Handler {
    private static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_FD = 2, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
            FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_BITSET = 9,
            FUTEX_WAKE_BITSET = 10, FUTEX_LOCK_PI2 = 13;
    private static final int FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
    private static final long NANOS = 1_000_000_000L;
    private final SyscallContext kernel;

    FutexSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.FUTEX, Syscall.FUTEX_WAITV);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case FUTEX -> futex(t, a[0], (int) a[1], (int) a[2], a[3], a[4], (int) a[5]);
            case FUTEX_WAITV -> waitv(t, a[0], (int) a[1], (int) a[2], a[3], (int) a[4]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private static final int FUTEX_WAITV_MAX = 128, FUTEX2_SIZE_U32 = 2, FUTEX2_PRIVATE = 128, WAITV_SIZE = 24;
    private static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1;

    /**
     * futex_waitv(waiters, n, flags, timeout, clockid): sleeps until one of n 32-bit futexes is woken and
     * returns its index; EAGAIN if one no longer holds its value. The checks in Linux's order: the call's
     * arguments, the absolute timeout on clockid, each struct futex_waitv {val, uaddr, flags, reserved},
     * then each word (kernel/futex/syscalls.c, waitwake.c).
     */
    private long waitv(Thread t, long waiters, int n, int flags, long timeout, int clockid) {
        if (flags != 0 || n == 0 || Integer.compareUnsigned(n, FUTEX_WAITV_MAX) > 0 || waiters == 0)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        long deadline = -1;
        if (timeout != 0) {
            if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
                return -Errno.EINVAL;
            deadline = deadline(mm, timeout, true, clockid == CLOCK_REALTIME);
            if (deadline == -Errno.EINVAL)
                return deadline;
        }
        ByteBuffer b = ByteBuffer.wrap(mm.copyIn(waiters, n * WAITV_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        long[] vals = new long[n], addrs = new long[n];
        boolean[] shared = new boolean[n];
        for (int i = 0; i < n; i++) {
            long val = b.getLong(i * WAITV_SIZE), uaddr = b.getLong(i * WAITV_SIZE + 8);
            int wflags = b.getInt(i * WAITV_SIZE + 16), reserved = b.getInt(i * WAITV_SIZE + 20);
            if ((wflags & ~(3 | FUTEX2_PRIVATE)) != 0 || reserved != 0 || (wflags & 3) != FUTEX2_SIZE_U32
                    || (val >>> 32) != 0)
                return -Errno.EINVAL; // only 32-bit futexes, as Linux; no FUTEX2_NUMA here
            vals[i] = val;
            addrs[i] = uaddr;
            shared[i] = (wflags & FUTEX2_PRIVATE) == 0;
        }
        Futexes.Key[] keys = new Futexes.Key[n];
        for (int i = 0; i < n; i++)
            keys[i] = key(mm, addrs[i], shared[i], false);
        Futexes futexes = kernel.futexes();
        long seq;
        synchronized (futexes) { // compare every word and sleep in one step
            futexes.announceWait(n); // before the words are read: see Futexes
            boolean queued = false;
            try {
                for (int i = 0; i < n; i++)
                    if (mm.readInt(addrs[i]) != (int) vals[i])
                        return -Errno.EAGAIN;
                if (deadline >= 0 && deadline <= System.nanoTime())
                    return -Errno.ETIMEDOUT;
                seq = kernel.scheduler().block(t, "futex_waitv", Thread.Interrupt.RESTART, () -> futexes.removeAll(t, keys));
                futexes.enqueueAll(keys, t, seq);
                queued = true;
            } finally {
                if (!queued)
                    futexes.withdrawWait(n);
            }
        }
        if (deadline >= 0)
            kernel.timers().add(deadline, () -> kernel.scheduler().timeout(t, seq, -Errno.ETIMEDOUT));
        return SyscallDispatcher.NO_RETURN;
    }

    private long futex(Thread t, long uaddr, int op, int val, long timeout, long uaddr2, int val3) {
        int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        boolean realtime = (op & FUTEX_CLOCK_REALTIME) != 0, shared = (op & FUTEX_PRIVATE_FLAG) == 0;
        AddressSpace mm = t.process().mm();
        long deadline = -1; // Linux reads the timeout before anything else
        if (timeout != 0 && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2)) {
            // FUTEX_WAIT's is relative; the others' absolute, FUTEX_LOCK_PI's always on CLOCK_REALTIME
            deadline = deadline(mm, timeout, cmd != FUTEX_WAIT, realtime || cmd == FUTEX_LOCK_PI);
            if (deadline == -Errno.EINVAL)
                return deadline;
        }
        if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2)
            return -Errno.ENOSYS;
        switch (cmd) {
            case FUTEX_WAIT:
                return wait(t, mm, key(mm, uaddr, shared, false), uaddr, val, deadline, Futexes.ANY);
            case FUTEX_WAIT_BITSET:
                if (val3 == 0)
                    return -Errno.EINVAL;
                return wait(t, mm, key(mm, uaddr, shared, false), uaddr, val, deadline, val3);
            case FUTEX_WAKE:
                return wake(key(mm, uaddr, shared, false), val, Futexes.ANY);
            case FUTEX_WAKE_BITSET:
                if (val3 == 0)
                    return -Errno.EINVAL;
                return wake(key(mm, uaddr, shared, false), val, val3);
            case FUTEX_REQUEUE:
                return requeue(mm, uaddr, val, (int) timeout, uaddr2, shared, false, 0);
            case FUTEX_CMP_REQUEUE:
                return requeue(mm, uaddr, val, (int) timeout, uaddr2, shared, true, val3);
            case FUTEX_WAKE_OP:
                return wakeOp(mm, uaddr, val, (int) timeout, uaddr2, shared, val3);
            case FUTEX_LOCK_PI:
            case FUTEX_LOCK_PI2:
                return lockPi(t, mm, uaddr, shared, deadline, true);
            case FUTEX_TRYLOCK_PI:
                return lockPi(t, mm, uaddr, shared, -1, false);
            case FUTEX_UNLOCK_PI: // the next sleeper's FUTEX_LOCK_PI returns 0: the lock is its
                return kernel.futexes().pi().unlock(t, mm, uaddr, key(mm, uaddr, shared, true),
                        kernel.scheduler());
            default: // FUTEX_FD (gone from Linux), the requeue-PI pair, waitv
                return -Errno.ENOSYS;
        }
    }

    /**
     * The queue of the futex word at uaddr, checked as Linux's get_futex_key: EINVAL unless aligned, EFAULT
     * outside the user half. A shared futex (no FUTEX_PRIVATE_FLAG) has its page looked up, so it must be
     * reachable (writable for write), and a read-only anonymous page is refused: it can never change.
     */
    private Futexes.Key key(AddressSpace mm, long uaddr, boolean shared, boolean write) {
        if ((uaddr & 3) != 0)
            throw new BadAddressException(Errno.EINVAL);
        if (!X86.accessOk(uaddr, 4))
            throw new BadAddressException(Errno.EFAULT);
        if (shared && mm.resolve(uaddr, true) < 0) {
            Vma v = mm.find(uaddr);
            boolean anonymous = v != null && !v.shared() && v.backing() == Backing.ANONYMOUS;
            if (write || anonymous || mm.resolve(uaddr, false) < 0)
                throw new BadAddressException(Errno.EFAULT);
        }
        return Futexes.keyOf(mm, uaddr);
    }

    /**
     * The deadline (System.nanoTime) of a timespec at va: relative for FUTEX_WAIT, absolute (CLOCK_MONOTONIC,
     * or CLOCK_REALTIME with the flag) for FUTEX_WAIT_BITSET; -EINVAL for a timespec that is not one.
     */
    private static long deadline(AddressSpace mm, long va, boolean absolute, boolean realtime) {
        ByteBuffer b = ByteBuffer.wrap(mm.copyIn(va, 16)).order(ByteOrder.LITTLE_ENDIAN);
        long sec = b.getLong(0), nsec = b.getLong(8);
        if (sec < 0 || nsec < 0 || nsec >= NANOS)
            return -Errno.EINVAL;
        long nanos = sec > Long.MAX_VALUE / NANOS / 2 ? Long.MAX_VALUE / 4 : sec * NANOS + nsec;
        long now = System.nanoTime();
        if (absolute)
            nanos -= realtime ? TimeSyscalls.realtime() : now;
        return now + Math.max(0, nanos);
    }

    /** FUTEX_WAIT: sleep on key if the word at uaddr still holds val, until deadline (-1: none). */
    private long wait(Thread t, AddressSpace mm, Futexes.Key key, long uaddr, int val, long deadline, int bitset) {
        Futexes futexes = kernel.futexes();
        long seq;
        synchronized (futexes) { // compare and sleep in one step
            futexes.announceWait(1); // before the word is read: see Futexes
            boolean queued = false;
            try {
                if (mm.readInt(uaddr) != val)
                    return -Errno.EAGAIN;
                if (deadline >= 0 && deadline <= System.nanoTime())
                    return -Errno.ETIMEDOUT;
                // (classes, not lambdas: every threaded program's first futex wait linked them, 4 ms)
                seq = kernel.scheduler().block(t, "futex", Thread.Interrupt.RESTART, new Runnable() {
                    @Override
                    public void run() {
                        futexes.remove(t);
                    }
                });
                futexes.enqueue(key, t, bitset, seq);
                queued = true;
            } finally {
                if (!queued)
                    futexes.withdrawWait(1);
            }
        }
        if (deadline >= 0)
            kernel.timers().add(deadline, new Runnable() {
                @Override
                public void run() {
                    kernel.scheduler().timeout(t, seq, -Errno.ETIMEDOUT);
                }
            });
        return SyscallDispatcher.NO_RETURN;
    }

    /**
     * FUTEX_LOCK_PI (FUTEX_TRYLOCK_PI without mayWait): takes the lock, or sleeps until its owner hands it
     * over ({@link jmck.lwk.proc.PiFutexes}) or the deadline passes. A handler interrupts the sleep, and the
     * call then runs again whatever the handler's flags (Linux's -ERESTARTNOINTR).
     */
    private long lockPi(Thread t, AddressSpace mm, long uaddr, boolean shared, long deadline, boolean mayWait) {
        Futexes.Key key = key(mm, uaddr, shared, true);
        var pi = kernel.futexes().pi();
        boolean expired = deadline >= 0 && deadline <= System.nanoTime();
        long[] seq = {0};
        long r = pi.lock(t, mm, uaddr, key, mayWait && !expired, () -> seq[0] = kernel.scheduler().block(t,
                "futex lock_pi", Thread.Interrupt.RESTART_ALWAYS, () -> pi.remove(t, key)));
        if (r == -Errno.EAGAIN && mayWait)
            return -Errno.ETIMEDOUT; // held, and the deadline has passed
        if (r != jmck.lwk.proc.PiFutexes.WAIT)
            return r;
        if (deadline >= 0)
            kernel.timers().add(deadline, () -> kernel.scheduler().timeout(t, seq[0], -Errno.ETIMEDOUT));
        return SyscallDispatcher.NO_RETURN;
    }

    /** FUTEX_WAKE: wakes up to n waiters whose bitset matches; returns how many. */
    private long wake(Futexes.Key key, int n, int bitset) {
        if (n <= 0)
            return 0;
        return kernel.futexes().wake(key, n, bitset, kernel.scheduler());
    }

    /** FUTEX_(CMP_)REQUEUE: wakes up to n, moves up to n2 more to uaddr2's queue; returns woken + moved. */
    private long requeue(AddressSpace mm, long uaddr, int n, int n2, long uaddr2, boolean shared, boolean compare,
            int expected) {
        if (n < 0 || n2 < 0)
            return -Errno.EINVAL;
        Futexes.Key from = key(mm, uaddr, shared, false), to = key(mm, uaddr2, shared, false);
        synchronized (kernel.futexes()) {
            if (compare && mm.readInt(uaddr) != expected)
                return -Errno.EAGAIN;
            long woken = wake(from, n, Futexes.ANY);
            return woken + kernel.futexes().requeue(from, to, n2);
        }
    }

    /**
     * FUTEX_WAKE_OP: changes the word at uaddr2 by an operation encoded in val3, wakes up to n on uaddr,
     * and, if the word's old value passes val3's comparison, up to n2 on uaddr2 (glibc's condvar signal).
     */
    private long wakeOp(AddressSpace mm, long uaddr, int n, int n2, long uaddr2, boolean shared, int val3) {
        Futexes.Key key = key(mm, uaddr, shared, false), key2 = key(mm, uaddr2, shared, true);
        int op = (val3 >>> 28) & 7, cmp = (val3 >>> 24) & 15;
        int oparg = (val3 << 8) >> 20, cmparg = (val3 << 20) >> 20; // 12-bit signed fields
        if ((val3 & (8 << 28)) != 0) { // FUTEX_OP_OPARG_SHIFT
            if (oparg < 0 || oparg > 31)
                return -Errno.EINVAL;
            oparg = 1 << oparg;
        }
        if (op > 4)
            return -Errno.ENOSYS;
        synchronized (kernel.futexes()) {
            int old;
            do { // the guest may change the word meanwhile: a compare-and-swap loop, as a locked instruction would
                old = mm.readInt(uaddr2);
            } while (!mm.compareAndSetInt(uaddr2, old, apply(op, old, oparg)));
            return wakeOp(key, n, key2, n2, old, cmp, cmparg);
        }
    }

    private static int apply(int op, int old, int oparg) {
        switch (op) {
            case 0: return oparg;        // SET
            case 1: return old + oparg;  // ADD
            case 2: return old | oparg;  // OR
            case 3: return old & ~oparg; // ANDN
            default: return old ^ oparg; // XOR
        }
    }

    /** FUTEX_WAKE_OP's wakes, once the word at uaddr2 changed from old. */
    private long wakeOp(Futexes.Key key, int n, Futexes.Key key2, int n2, int old, int cmp, int cmparg) {
        if (cmp > 5)
            return -Errno.ENOSYS; // after the operation, before any wake, as Linux
        long woken = wake(key, n, Futexes.ANY);
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
            woken += wake(key2, n2, Futexes.ANY);
        return woken;
    }
}
