package jmck.lwk.ipc;

import jmck.lwk.proc.Thread;

/**
 * What System V IPC waits need from the kernel: a thread blocks in its call until the object it waits on
 * changes, and then runs the call again (it finds what changed, or waits again).
 */
public interface IpcWaits {
    /**
     * Blocks t in its syscall until {@link #restart}. A signal ends the wait: the call runs again after a
     * handler with SA_RESTART if restartable, else fails with EINTR; cancel then undoes the bookkeeping.
     * Returns the wait's number, for {@link #timeout}.
     */
    long block(Thread t, String reason, boolean restartable, Runnable cancel);

    /** Runs t's syscall again. */
    void restart(Thread t);

    /** Ends wait number seq of t at deadline (System.nanoTime) with result, if it still waits then. */
    void timeout(Thread t, long seq, long deadline, long result);
}
