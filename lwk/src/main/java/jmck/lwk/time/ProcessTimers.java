package jmck.lwk.time;

import java.util.Map;
import java.util.TreeMap;
import jmck.lwk.abi.Signals;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * A process's timers: the three interval timers (setitimer, alarm), its POSIX timers (timer_create) and
 * the CPU-time limit's (RLIMIT_CPU).
 * A forked child starts with none; execve keeps the interval timers and deletes the POSIX timers; they all
 * stop when the process ends. Synchronized on itself.
 */
public final class ProcessTimers {
    public static final int ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
    public static final int SI_TIMER = -2;
    public static final int SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
    /** Linux's default limit on POSIX timers is RLIMIT_SIGPENDING; this bound keeps a runaway guest in check. */
    private static final int MAX_POSIX = 1 << 15;

    /** What the timers need from the kernel: wake-ups and clocks, and sending their signals. */
    public interface Host extends ArmedTimer.Host {
        void send(Process p, SigInfo info);

        void sendThread(Thread t, SigInfo info);
    }

    /**
     * A POSIX timer: how it notifies (a signal to the process or one thread, or nothing) and its overruns.
     * Its signal is queued once: expiries while it waits count as overruns, reported when it is taken.
     */
    public static final class PosixTimer {
        final ArmedTimer timer;
        final int signo, notify;
        final Thread target;
        final long value;
        /** Overruns reported with the last signal taken (timer_getoverrun). */
        int overrun;
        /** Whether its signal waits in a queue, and the overruns since it was sent. */
        boolean signalQueued;
        int overrunQueued;
        /** Bumped when the timer is set or deleted: a signal sent before that is dropped when taken (Linux 6.13). */
        int generation;

        PosixTimer(ArmedTimer timer, int signo, int notify, Thread target, long value) {
            this.timer = timer;
            this.signo = signo;
            this.notify = notify;
            this.target = target;
            this.value = value;
        }

        public ArmedTimer timer() {
            return timer;
        }


    }

    private final Process process;
    private final Host host;
    private final ArmedTimer[] itimers = new ArmedTimer[3];
    private ArmedTimer cpuLimit;
    private final Map<Integer, PosixTimer> posix = new TreeMap<>();

    public ProcessTimers(Process process, Host host) {
        this.process = process;
        this.host = host;
    }

    /** Interval timer which (ITIMER_*): ITIMER_REAL counts passing time, the others the process's CPU time. */
    public synchronized ArmedTimer itimer(int which) {
        if (itimers[which] == null) {
            int clock = which == ITIMER_REAL ? Clocks.CLOCK_MONOTONIC : Clocks.CLOCK_PROCESS_CPUTIME_ID;
            int sig = which == ITIMER_REAL ? Signals.SIGALRM : which == ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF;
            // ITIMER_REAL waits for its SIGALRM to be taken before it runs on (alarmTaken), as Linux's does
            // (it_real_fn, dequeue_signal): a short interval would otherwise keep the kernel's thread expiring it
            itimers[which] = new ArmedTimer(host, clock, leader(), overrun -> {
                if (!process.exiting())
                    host.send(process, SigInfo.sent(sig, Signals.SI_KERNEL, 0, 0));
                return which != ITIMER_REAL;
            });
        }
        return itimers[which];
    }

    private static final int SIGVTALRM = 26, SIGPROF = 27;

    private Thread leader() {
        return process.threads().isEmpty() ? null : process.threads().get(0);
    }

    /**
     * timer_create: a new POSIX timer on clock for thread t's process; returns its id, or -1 if the process
     * has too many.
     */
    public synchronized int create(int clock, Thread t, int signo, int notify, Thread target, long value,
            boolean valueIsId) {
        if (posix.size() >= MAX_POSIX)
            return -1;
        int id = 0;
        while (posix.containsKey(id))
            id++;
        int timerId = id;
        PosixTimer[] self = new PosixTimer[1];
        ArmedTimer timer = new ArmedTimer(host, clock, t, overrun -> expired(self[0], timerId, overrun));
        self[0] = new PosixTimer(timer, signo, notify, target, valueIsId ? id : value);
        posix.put(id, self[0]);
        return id;
    }

    /** A POSIX timer expired: its signal goes out, unless the last one is still queued (then it overran). */
    private boolean expired(PosixTimer pt, int id, int overrun) {
        if (pt.notify == SIGEV_NONE || process.exiting())
            return true;
        SigInfo info;
        synchronized (this) {
            if (pt.signalQueued) {
                pt.overrunQueued = (int) Math.min((long) pt.overrunQueued + 1 + overrun, Integer.MAX_VALUE);
                return false;
            }
            pt.signalQueued = true;
            pt.overrunQueued = overrun;
            info = SigInfo.timerQueued(pt.signo, id, pt.value, pt.generation);
        }
        Thread to = pt.notify == SIGEV_THREAD_ID ? pt.target : null;
        if (to != null) {
            if (to.alive())
                host.sendThread(to, info);
        } else {
            host.send(process, info);
        }
        return false; // until the signal is taken
    }

    /** A SIGALRM left the queue: a periodic ITIMER_REAL runs on. */
    public synchronized void alarmTaken() {
        if (itimers[ITIMER_REAL] != null)
            itimers[ITIMER_REAL].resume();
    }

    /**
     * A timer's signal leaves the queue (delivered or waited for): it carries the overruns counted until
     * now, which timer_getoverrun reports from then on; null if the timer changed since (it is dropped).
     */
    public synchronized SigInfo taken(SigInfo info) {
        PosixTimer pt = posix.get(info.pid());
        if (pt == null || pt.generation != info.status())
            return null;
        pt.signalQueued = false;
        pt.overrun = (int) Math.min(pt.overrunQueued + pt.timer.resume(), Integer.MAX_VALUE);
        pt.overrunQueued = 0;
        return SigInfo.timer(info.signo(), info.pid(), pt.overrun, info.addr());
    }

    /** timer_settime: the timer is set anew, and a signal of its that still waits will be dropped. */
    public synchronized long[] set(PosixTimer pt, long value, long interval, boolean absolute) {
        pt.generation++;
        pt.signalQueued = false;
        pt.overrunQueued = 0;
        return pt.timer.set(value, interval, absolute);
    }

    public synchronized PosixTimer posix(int id) {
        return posix.get(id);
    }

    /** timer_getoverrun: the overruns of timer id's last signal, or -1 if there is no such timer. */
    public synchronized int overrun(int id) {
        PosixTimer pt = posix.get(id);
        return pt == null ? -1 : pt.overrun;
    }

    /** timer_delete: false if there is no such timer. */
    public synchronized boolean delete(int id) {
        PosixTimer pt = posix.remove(id);
        if (pt == null)
            return false;
        pt.generation++;
        pt.timer.cancel();
        return true;
    }

    /** execve: the POSIX timers go, the interval timers stay. */
    public synchronized void execed() {
        posix.values().forEach(pt -> pt.timer.cancel());
        posix.clear();
    }

    /** The process ended: every timer stops. */
    public synchronized void cancelAll() {
        execed();
        for (ArmedTimer t : itimers)
            if (t != null)
                t.cancel();
        if (cpuLimit != null)
            cpuLimit.cancel();
    }

    private static final long NANOS = 1_000_000_000L;

    /**
     * RLIMIT_CPU was set: at the soft limit's CPU seconds SIGXCPU, then the soft limit a second higher and
     * SIGXCPU again each second, until the hard limit's SIGKILL (Linux's check_process_timers). A soft limit
     * of 0 is one second, as in Linux's do_prlimit.
     */
    public synchronized void limitCpu() {
        long soft = process.rlimits().soft(Rlimits.RLIMIT_CPU);
        if (cpuLimit == null)
            cpuLimit = new ArmedTimer(host, Clocks.CLOCK_PROCESS_CPUTIME_ID, leader(), overrun -> cpuLimitReached());
        if (soft == Rlimits.RLIM_INFINITY)
            cpuLimit.set(0, 0, false);
        else
            cpuLimit.set(nanos(Math.max(soft, 1)), NANOS, true);
    }

    /** A limit in seconds as nanoseconds, a limit too large for that as the largest. */
    private static long nanos(long seconds) {
        return Math.min(seconds, Long.MAX_VALUE / NANOS) * NANOS;
    }

    private boolean cpuLimitReached() {
        if (process.exiting())
            return true;
        Rlimits limits = process.rlimits();
        long soft = limits.soft(Rlimits.RLIMIT_CPU), hard = limits.hard(Rlimits.RLIMIT_CPU);
        if (hard != Rlimits.RLIM_INFINITY && process.usage().total() >= nanos(hard)) {
            host.send(process, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
            return true;
        }
        host.send(process, SigInfo.sent(Signals.SIGXCPU, Signals.SI_KERNEL, 0, 0));
        if (Long.compareUnsigned(soft, hard) < 0)
            limits.set(Rlimits.RLIMIT_CPU, soft + 1, hard);
        return true;
    }
}
