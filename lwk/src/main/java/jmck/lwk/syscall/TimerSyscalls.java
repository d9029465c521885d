package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.time.ArmedTimer;
import jmck.lwk.time.Clocks;
import jmck.lwk.time.ProcessTimers;

/**
 * Interval timers (alarm, setitimer, getitimer) and POSIX timers (timer_create ... timer_delete): LWK-local,
 * since they deliver signals and count the LWK's CPU time (McKernel handles the itimers itself). Times are
 * timevals for the interval timers and timespecs for the POSIX ones.
 */
final class TimerSyscalls implements SyscallDispatcher.Handler {
    private static final long NANOS = Clocks.NANOS, MICROS = 1000;
    private static final int TIMER_ABSTIME = 1, SIGEV_SIGNAL = ProcessTimers.SIGEV_SIGNAL,
            SIGEV_NONE = ProcessTimers.SIGEV_NONE, SIGEV_THREAD = ProcessTimers.SIGEV_THREAD,
            SIGEV_THREAD_ID = ProcessTimers.SIGEV_THREAD_ID, CAP_WAKE_ALARM = 35;
    private final SyscallContext kernel;
    private final ProcessTimers.Host host;

    TimerSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
        this.host = new ProcessTimers.Host() {
            @Override
            public void at(long hostNanos, Runnable action) {
                kernel.timers().add(hostNanos, action);
            }

            @Override
            public long now(int clock, Thread owner) {
                return Clocks.now(owner, clock);
            }

            @Override
            public void send(Process p, SigInfo info) {
                kernel.signals().send(p, info);
            }

            @Override
            public void sendThread(Thread t, SigInfo info) {
                kernel.signals().sendThread(t, info);
            }
        };
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.ALARM, Syscall.SETITIMER, Syscall.GETITIMER, Syscall.TIMER_CREATE,
                Syscall.TIMER_SETTIME, Syscall.TIMER_GETTIME, Syscall.TIMER_GETOVERRUN, Syscall.TIMER_DELETE);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case ALARM -> alarm(t, a);
            case SETITIMER -> setitimer(t, a);
            case GETITIMER -> getitimer(t, a);
            case TIMER_CREATE -> timerCreate(t, a);
            case TIMER_SETTIME -> timerSettime(t, a);
            case TIMER_GETTIME -> timerGettime(t, a);
            case TIMER_GETOVERRUN -> timerGetoverrun(t, a);
            case TIMER_DELETE -> timers(t).delete((int) a[0]) ? 0 : -Errno.EINVAL;
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long timerGetoverrun(Thread t, long[] a) {
        int overrun = timers(t).overrun((int) a[0]);
        return overrun < 0 ? -Errno.EINVAL : overrun;
    }

    private ProcessTimers timers(Thread t) {
        return t.process().timers(host);
    }

    /** setrlimit or prlimit changed p's RLIMIT_CPU: its timer is set to match. */
    void cpuLimitChanged(Process p) {
        p.timers(host).limitCpu();
    }

    // ---- interval timers ----

    /** alarm: ITIMER_REAL once, in seconds; returns the seconds that were left (rounded as Linux does). */
    private long alarm(Thread t, long[] a) {
        long seconds = a[0] & 0xffffffffL;
        long[] old = timers(t).itimer(ProcessTimers.ITIMER_REAL).set(seconds * NANOS, 0, false);
        if (old[0] == 0)
            return 0;
        long s = old[0] / NANOS, rest = old[0] % NANOS;
        return s == 0 || rest >= NANOS / 2 ? s + 1 : s; // Linux: rounds to nearest, never reports 0 for an armed one
    }

    private long setitimer(Thread t, long[] a) {
        int which = (int) a[0];
        if (which < 0 || which > 2)
            return -Errno.EINVAL;
        long interval = 0, value = 0;
        if (a[1] != 0) {
            ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[1], 32)).order(ByteOrder.LITTLE_ENDIAN);
            long[] iv = timeval(b, 0), v = timeval(b, 16);
            if (iv == null || v == null)
                return -Errno.EINVAL;
            interval = iv[0] * NANOS + iv[1] * MICROS;
            value = v[0] * NANOS + v[1] * MICROS;
        }
        ArmedTimer timer = timers(t).itimer(which);
        long[] old = a[1] != 0 ? timer.set(value, interval, false) : timer.get();
        if (a[2] != 0)
            putItimerval(t, a[2], old);
        return 0;
    }

    private long getitimer(Thread t, long[] a) {
        int which = (int) a[0];
        if (which < 0 || which > 2)
            return -Errno.EINVAL;
        putItimerval(t, a[1], timers(t).itimer(which).get());
        return 0;
    }

    /** A timeval's {seconds, microseconds} at offset, or null if out of range. */
    private static long[] timeval(ByteBuffer b, int off) {
        long s = b.getLong(off), us = b.getLong(off + 8);
        return s < 0 || us < 0 || us >= 1_000_000 || s > Long.MAX_VALUE / NANOS - 1 ? null : new long[] {s, us};
    }

    /** struct itimerval {it_interval, it_value}; a value left is rounded up to a whole microsecond. */
    private static void putItimerval(Thread t, long va, long[] leftAndInterval) {
        long left = (leftAndInterval[0] + MICROS - 1) / MICROS, interval = (leftAndInterval[1] + MICROS - 1) / MICROS;
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(interval / 1_000_000).putLong(interval % 1_000_000).putLong(left / 1_000_000).putLong(left % 1_000_000);
        t.process().mm().copyOut(va, b.array());
    }

    // ---- POSIX timers ----

    private long timerCreate(Thread t, long[] a) {
        int clock = (int) a[0];
        if (Clocks.now(t, clock) == Clocks.NONE || clock == Clocks.CLOCK_MONOTONIC_RAW
                || clock == Clocks.CLOCK_REALTIME_COARSE || clock == Clocks.CLOCK_MONOTONIC_COARSE)
            return -Errno.EINVAL;
        if ((clock == Clocks.CLOCK_REALTIME_ALARM || clock == Clocks.CLOCK_BOOTTIME_ALARM)
                && !t.process().capabilities().has(CAP_WAKE_ALARM))
            return -Errno.EPERM;
        int signo = Signals.SIGALRM, notify = SIGEV_SIGNAL;
        long value = 0;
        boolean valueIsId = true;
        Thread target = null;
        if (a[1] != 0) { // struct sigevent: sigev_value, sigev_signo, sigev_notify, then sigev_notify_thread_id
            ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[1], 20)).order(ByteOrder.LITTLE_ENDIAN);
            value = b.getLong(0);
            valueIsId = false;
            signo = b.getInt(8);
            notify = b.getInt(12);
            if (notify == SIGEV_THREAD_ID) {
                target = kernel.processes().thread(b.getInt(16));
                if (target == null || target.process() != t.process() || !target.alive())
                    return -Errno.EINVAL;
            } else if (notify == SIGEV_THREAD) {
                notify = SIGEV_SIGNAL; // the C library's notion: the kernel signals the process, as Linux's good_sigevent
            } else if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE) {
                return -Errno.EINVAL;
            }
            if (notify != SIGEV_NONE && (signo <= 0 || signo > Signals.NSIG))
                return -Errno.EINVAL;
        }
        if (a[2] == 0)
            return -Errno.EFAULT;
        t.process().mm().copyIn(a[2], 4); // the id goes there: check it before the timer exists
        int id = timers(t).create(clock, t, signo, notify, target, value, valueIsId);
        if (id < 0)
            return -Errno.EAGAIN;
        try {
            t.process().mm().writeInt(a[2], id);
        } catch (jmck.lwk.mm.BadAddressException e) {
            timers(t).delete(id);
            throw e;
        }
        return 0;
    }

    private long timerSettime(Thread t, long[] a) {
        ProcessTimers.PosixTimer pt = timers(t).posix((int) a[0]);
        if (pt == null)
            return -Errno.EINVAL;
        if (a[2] == 0)
            return -Errno.EINVAL;
        ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[2], 32)).order(ByteOrder.LITTLE_ENDIAN);
        long[] iv = timespec(b, 0), v = timespec(b, 16);
        if (iv == null || v == null)
            return -Errno.EINVAL;
        long[] old = timers(t).set(pt, v[0] * NANOS + v[1], iv[0] * NANOS + iv[1], ((int) a[1] & TIMER_ABSTIME) != 0);
        if (a[3] != 0)
            putItimerspec(t, a[3], old);
        return 0;
    }

    private long timerGettime(Thread t, long[] a) {
        ProcessTimers.PosixTimer pt = timers(t).posix((int) a[0]);
        if (pt == null)
            return -Errno.EINVAL;
        putItimerspec(t, a[1], pt.timer().get());
        return 0;
    }

    /** A timespec's {seconds, nanoseconds} at offset, or null if out of range. */
    private static long[] timespec(ByteBuffer b, int off) {
        long s = b.getLong(off), ns = b.getLong(off + 8);
        return s < 0 || ns < 0 || ns >= NANOS || s > Long.MAX_VALUE / NANOS - 1 ? null : new long[] {s, ns};
    }

    /** struct itimerspec {it_interval, it_value}. */
    private static void putItimerspec(Thread t, long va, long[] leftAndInterval) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(leftAndInterval[1] / NANOS).putLong(leftAndInterval[1] % NANOS);
        b.putLong(leftAndInterval[0] / NANOS).putLong(leftAndInterval[0] % NANOS);
        t.process().mm().copyOut(va, b.array());
    }
}
