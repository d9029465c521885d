package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.ProcessUsage;
import jmck.lwk.proc.Thread;
import jmck.lwk.time.Clocks;

/**
 * Clocks and sleeping. There is no vDSO, so every clock_gettime is a syscall. The emulated machine's clocks
 * are the host's: CLOCK_REALTIME from the host's wall clock, CLOCK_MONOTONIC from its monotonic clock; CPU
 * clocks count the time a thread spent on an emulated core.
 */
final class TimeSyscalls implements SyscallDispatcher.Handler {
    static final int CLOCK_REALTIME = Clocks.CLOCK_REALTIME, CLOCK_MONOTONIC = Clocks.CLOCK_MONOTONIC,
            CLOCK_THREAD_CPUTIME_ID = Clocks.CLOCK_THREAD_CPUTIME_ID, CLOCK_REALTIME_COARSE = Clocks.CLOCK_REALTIME_COARSE,
            CLOCK_MONOTONIC_COARSE = Clocks.CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = Clocks.CLOCK_BOOTTIME,
            CLOCK_TAI = Clocks.CLOCK_TAI;
    private static final int TIMER_ABSTIME = 1;
    private static final long NANOS = 1_000_000_000L;
    private final SyscallContext kernel;

    TimeSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.CLOCK_GETTIME, Syscall.CLOCK_GETRES, Syscall.GETTIMEOFDAY, Syscall.TIME,
                Syscall.NANOSLEEP, Syscall.CLOCK_NANOSLEEP, Syscall.TIMES, Syscall.GETRUSAGE);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case CLOCK_GETTIME -> clockGettime(t, a);
            case CLOCK_GETRES -> clockGetres(t, a);
            case GETTIMEOFDAY -> gettimeofday(t, a);
            case TIME -> time(t, a);
            case NANOSLEEP -> sleep(t, CLOCK_MONOTONIC, 0, a[0], a[1]);
            case CLOCK_NANOSLEEP -> sleep(t, (int) a[0], (int) a[1], a[2], a[3]);
            case TIMES -> times(t, a);
            case GETRUSAGE -> getrusage(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long clockGettime(Thread t, long[] a) {
        long now = clock(t, (int) a[0]);
        if (now == Long.MIN_VALUE)
            return -Errno.EINVAL;
        putTimespec(t.process().mm(), a[1], now);
        return 0;
    }

    private long clockGetres(Thread t, long[] a) {
        int c = (int) a[0];
        if (clock(t, c) == Long.MIN_VALUE)
            return -Errno.EINVAL;
        if (a[1] != 0)
            putTimespec(t.process().mm(), a[1], c == CLOCK_REALTIME_COARSE || c == CLOCK_MONOTONIC_COARSE ? 4_000_000 : 1);
        return 0;
    }

    private long gettimeofday(Thread t, long[] a) {
        long now = realtime();
        if (a[0] != 0) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(now / NANOS).putLong(now % NANOS / 1000);
            t.process().mm().copyOut(a[0], b.array());
        }
        if (a[1] != 0)
            t.process().mm().copyOut(a[1], new byte[8]); // struct timezone: UTC, no DST
        return 0;
    }

    private long time(Thread t, long[] a) {
        long s = realtime() / NANOS;
        if (a[0] != 0)
            t.process().mm().writeLong(a[0], s);
        return s;
    }

    static long realtime() {
        return Clocks.realtime();
    }

    /** The clock's value in nanoseconds, or Long.MIN_VALUE for a clock Linux does not have. */
    private static long clock(Thread t, int id) {
        return Clocks.now(t, id);
    }

    private static void putTimespec(AddressSpace mm, long addr, long nanos) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(nanos / NANOS).putLong(nanos % NANOS);
        mm.copyOut(addr, b.array());
    }

    /** nanosleep and clock_nanosleep: the thread blocks on a kernel timer; other threads run meanwhile. */
    private long sleep(Thread t, int clock, int flags, long req, long rem) {
        // a clock Linux has but cannot sleep on (the thread's CPU clock, the raw and coarse ones): EOPNOTSUPP,
        // which glibc turns into EINVAL for CLOCK_THREAD_CPUTIME_ID; a clock it does not have: EINVAL
        if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME && clock != CLOCK_TAI)
            return jmck.lwk.time.Clocks.now(t, clock) == jmck.lwk.time.Clocks.NONE ? -Errno.EINVAL : -Errno.EOPNOTSUPP;
        ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(req, 16)).order(ByteOrder.LITTLE_ENDIAN);
        long sec = b.getLong(0), nsec = b.getLong(8);
        if (sec < 0 || nsec < 0 || nsec >= NANOS)
            return -Errno.EINVAL;
        long duration = sec > Long.MAX_VALUE / NANOS - 1 ? Long.MAX_VALUE / 2 : sec * NANOS + nsec;
        if ((flags & TIMER_ABSTIME) != 0)
            duration -= clock(t, clock);
        if (duration <= 0)
            return 0;
        long deadline = System.nanoTime() + duration;
        boolean relative = (flags & TIMER_ABSTIME) == 0;
        // A handler ends the sleep with EINTR; a relative sleep then tells how much was left in rem, and
        // fails with EFAULT instead if rem cannot be written (Linux's restart_block.nanosleep).
        long seq = kernel.scheduler().block(t, "nanosleep", Thread.Interrupt.EINTR, () -> {
            if (rem != 0 && relative)
                try {
                    putTimespec(t.process().mm(), rem, Math.max(0, deadline - System.nanoTime()));
                } catch (jmck.lwk.mm.BadAddressException e) {
                    t.clearInterrupted(); // the handler still runs; the call's result is EFAULT, not EINTR
                    t.setPendingResult(-Errno.EFAULT);
                }
        });
        kernel.timers().add(deadline, () -> kernel.scheduler().wakeIfWaiting(t, seq, 0));
        return SyscallDispatcher.NO_RETURN;
    }

    private static final long TICK = 10_000_000L; // USER_HZ 100

    /** times: the process's user and system time, and its waited-for children's, in clock ticks. */
    private long times(Thread t, long[] a) {
        ProcessUsage cpu = t.process().usage();
        if (a[0] != 0) {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(cpu.user() / TICK).putLong(cpu.system() / TICK).putLong(cpu.childrenUser() / TICK)
                    .putLong(cpu.childrenSystem() / TICK);
            t.process().mm().copyOut(a[0], b.array());
        }
        return kernel.uptimeNanos() / TICK;
    }

    private static final int RUSAGE_SELF = 0, RUSAGE_THREAD = 1, RUSAGE_CHILDREN = -1;

    private long getrusage(Thread t, long[] a) {
        int who = (int) a[0];
        ProcessUsage cpu = t.process().usage();
        byte[] usage;
        if (who == RUSAGE_SELF)
            usage = rusage(cpu.user(), cpu.system());
        else if (who == RUSAGE_THREAD)
            usage = rusage(t.cpu().user(), t.cpu().system());
        else if (who == RUSAGE_CHILDREN)
            usage = rusage(cpu.childrenUser(), cpu.childrenSystem());
        else
            return -Errno.EINVAL;
        ByteBuffer b = ByteBuffer.wrap(usage).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(32, (who == RUSAGE_CHILDREN ? cpu.childrenMaxRssBytes() : cpu.maxRssBytes()) / 1024); // ru_maxrss, KiB
        if (who != RUSAGE_CHILDREN)
            b.putLong(32 + 4 * 8, t.process().mm().faults()); // ru_minflt
        t.process().mm().copyOut(a[1], usage);
        return 0;
    }

    /** A struct rusage with ru_utime and ru_stime (timevals) filled in, the rest 0. */
    static byte[] rusage(long userNanos, long systemNanos) {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, userNanos / NANOS).putLong(8, userNanos % NANOS / 1000);
        b.putLong(16, systemNanos / NANOS).putLong(24, systemNanos % NANOS / 1000);
        return b.array();
    }
}
