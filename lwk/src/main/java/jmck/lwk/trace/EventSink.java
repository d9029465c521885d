package jmck.lwk.trace;

/**
 * Where the kernel's events go when tracing is on. With no sink installed the kernel builds no event
 * objects at all, so tracing costs nothing when off.
 */
public interface EventSink {
    default void fault(FaultEvent e) {}

    /** A syscall finished: strace-like text and whether it ran in the LWK or on the host. */
    default void syscall(int core, int pid, int tid, String text, boolean delegated) {}

    /** The scheduler put a thread on a core or took it off. */
    default void schedule(int core, int pid, int tid, String what) {}

    /** A signal was delivered or killed a process. */
    default void signal(int core, int pid, int tid, String what) {}
}
