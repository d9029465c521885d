package jmck.lwk.trace;

/**
 * Where the kernel's events go when tracing is on. With no sink installed the kernel builds no event
 * objects at all, so tracing costs nothing when off.
 */
public interface EventSink {
    default void fault(FaultEvent e) {}

    /**
     * A syscall returned to the core (result NO_RETURN: it blocked or does not return); delegated: the host
     * ran it. start is System.nanoTime() at entry, nanos the time spent in the kernel.
     */
    default void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start, long nanos) {}

    /**
     * Whether this sink must see every syscall. If not, a FUTEX_WAKE_PRIVATE that finds no waiter may be
     * answered inside a core's hook in parallel mode and never reach {@link #syscall} (Kernel.answeredInHooks
     * counts those).
     */
    default boolean seesEverySyscall() {
        return true;
    }

    /** The scheduler put a thread on a core or took it off. */
    default void schedule(int core, int pid, int tid, String what) {}

    /** A signal was delivered or killed a process. */
    default void signal(int core, int pid, int tid, String what) {}

    /** An IKC message between the LWK and the proxy: a request posted, a call-back served, an answer taken. */
    default void ikc(int core, int pid, int tid, String what) {}

    /** The frames in use changed: an allocation or a free in the LWK's physical allocator. */
    default void frames(long used) {}

    /** The instance did something as a whole (what: boot, shutdown), from start (System.nanoTime()) for nanos. */
    default void instance(String what, long start, long nanos) {}

    /** Both sinks (either may be null; null if both are). */
    static EventSink tee(EventSink a, EventSink b) {
        if (a == null || b == null)
            return a == null ? b : a;
        return new EventSink() {
            @Override
            public void fault(FaultEvent e) {
                a.fault(e);
                b.fault(e);
            }

            @Override
            public void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start, long nanos) {
                a.syscall(core, pid, tid, nr, result, delegated, start, nanos);
                b.syscall(core, pid, tid, nr, result, delegated, start, nanos);
            }

            @Override
            public boolean seesEverySyscall() {
                return a.seesEverySyscall() || b.seesEverySyscall();
            }

            @Override
            public void schedule(int core, int pid, int tid, String what) {
                a.schedule(core, pid, tid, what);
                b.schedule(core, pid, tid, what);
            }

            @Override
            public void signal(int core, int pid, int tid, String what) {
                a.signal(core, pid, tid, what);
                b.signal(core, pid, tid, what);
            }

            @Override
            public void ikc(int core, int pid, int tid, String what) {
                a.ikc(core, pid, tid, what);
                b.ikc(core, pid, tid, what);
            }

            @Override
            public void frames(long used) {
                a.frames(used);
                b.frames(used);
            }

            @Override
            public void instance(String what, long start, long nanos) {
                a.instance(what, start, nanos);
                b.instance(what, start, nanos);
            }
        };
    }
}
