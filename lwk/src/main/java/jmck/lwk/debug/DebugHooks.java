package jmck.lwk.debug;

import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * Where a debugger (the stepper, the gdb stub) meets the kernel: the few points at which it may look at a
 * thread and stop it. The kernel calls these only when hooks are installed ({@code Kernel.setDebugHooks});
 * otherwise each point costs one null check. All calls come on the scheduler's host thread, which runs
 * every core, so a debugger that blocks in {@link #beforeSlice} stops the whole machine (gdb's all-stop).
 *
 * <p>A trap hook (fault, syscall) runs inside the CPU's hook, where the core cannot be single-stepped;
 * it only says "stop after this", and the debugger takes control at the next {@link #beforeSlice}, outside
 * the engine, with the thread's registers on the core.
 */
public interface DebugHooks {
    /** {@link #beforeSlice}: skip this slice (another thread is being stepped, or the debugger killed it). */
    long HOLD = -1;
    /** {@link #beforeSlice}: run a normal slice. */
    long RUN = 0;

    /**
     * Thread t is about to run on core, its registers loaded and its signals delivered. The debugger may
     * stop here and talk to its user. Returns {@link #RUN}, a number of instructions to single-step, or
     * {@link #HOLD}.
     */
    long beforeSlice(Core core, Thread t);

    /** A #PF arrived, before the fault handler looks at it (the page tables are as the MMU found them). */
    default void faultEntered(Core core, Thread t, long address, int errorCode) {}

    /** The fault handler decided; true stops the core after this fault (the instruction re-runs later). */
    default boolean faultHandled(Core core, Thread t, FaultOutcome outcome) {
        return false;
    }

    /**
     * A syscall returned (result NO_RETURN: the thread blocked, exited or had its registers replaced);
     * delegated: the proxy ran it on the host. True stops the core after it.
     */
    default boolean syscallReturned(Core core, Thread t, long nr, long[] args, long result, boolean delegated) {
        return false;
    }

    /** Signal signo is about to be delivered to t (a handler frame, or the default action). */
    default void signalDelivering(Core core, Thread t, int signo) {}

    /** Process p has ended; its wait status is set and its memory is gone. */
    default void processExited(Process p) {}

    /**
     * Whether running cores must come back to {@link #beforeSlice} every slice even with nothing else to
     * run (a debugger that can be interrupted, like gdb's Ctrl-C): the scheduler then runs in budgeted slices.
     */
    default boolean wantsSlices() {
        return false;
    }
}
