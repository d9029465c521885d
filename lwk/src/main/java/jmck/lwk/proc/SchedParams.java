package jmck.lwk.proc;

/**
 * A process's scheduling settings as the scheduling calls see them: policy and real-time priority
 * (sched_setscheduler, sched_setattr), nice value (setpriority), I/O priority (ioprio_set). jmck's
 * scheduler, like McKernel's, is round-robin: the values are kept and reported, and a forked child
 * inherits them (SCHED_RESET_ON_FORK resets policy and nice), but they do not change who runs.
 */
public final class SchedParams {
    public static final int SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5,
            SCHED_DEADLINE = 6;

    public int policy = SCHED_OTHER, priority, nice;
    public boolean resetOnFork;
    /** ioprio_set's value (class << 13 | data); 0: none set, which ioprio_get reports as Linux does. */
    public int ioprio;
    /** SCHED_DEADLINE's runtime, deadline and period, in nanoseconds. */
    public long runtime, deadline, period;

    /** What a forked child starts with. */
    SchedParams forChild() {
        SchedParams c = new SchedParams();
        c.policy = policy;
        c.priority = priority;
        c.nice = nice;
        c.ioprio = ioprio;
        c.resetOnFork = resetOnFork;
        if (resetOnFork) {
            if (policy == SCHED_FIFO || policy == SCHED_RR) {
                c.policy = SCHED_OTHER;
                c.priority = 0;
            }
            c.nice = Math.max(0, nice);
            c.resetOnFork = false;
        }
        return c;
    }
}
