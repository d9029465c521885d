package jmck.lwk.proc;

/**
 * Pid 1: init, which runs on the host, outside the LWK (the parent an orphan reports, getppid 1). LWK pids
 * start at 100, so 1 never names an LWK process. Calls that name it answer as Linux answers for a
 * root-owned process: what can be read is the host's init's (the LWK forwards getpgid, getsid,
 * getpriority, sched_getscheduler and sched_getparam of pid 1 to the proxy, as McKernel delegates calls
 * about host processes; /proc/1 is the host's), and a change (its scheduling, its nice value) or a look
 * inside it (its robust list) is refused with EPERM, after the arguments are checked as for any process.
 * Linux would let a caller with the capability change it; the LWK changes nothing outside itself.
 */
public final class OutsideInit {
    public static final int PID = 1;

    private OutsideInit() {}

    public static boolean is(long pid) {
        return (int) pid == PID;
    }
}
