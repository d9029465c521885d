package jmck.lwk.proc;

/**
 * A thread's CPU time, as Linux's utime and stime: the slices it ran on a core, measured by the scheduler
 * around each, and the kernel's share of them (the syscalls and faults it trapped into, measured by the
 * trap entry). Written only on the thread's own core; read from anywhere (a reading may lag a slice).
 */
public final class CpuTime {
    private volatile long total;
    private volatile long system;
    /** When the slice running now started (0 when off the core). */
    private volatile long sliceStart;

    void sliceStarts(long now) {
        sliceStart = now;
    }

    void sliceEnds(long now) {
        total += now - sliceStart;
        sliceStart = 0;
    }

    /** Time in the kernel on the thread's behalf (a syscall's handler, a fault), inside its slice. */
    public void addSystem(long nanos) {
        system += nanos;
    }

    /**
     * Time inside the slice running now and inside a syscall that the thread's core slept for it (for a
     * delegated call's answer): no one's CPU time, as a thread blocked in a syscall on Linux uses none.
     */
    public void slept(long nanos) {
        total -= nanos;
        system -= nanos; // the trap entry adds the syscall's whole time afterwards
    }

    /** All of it, the slice running now included. */
    public long total() {
        long s = sliceStart;
        return total + (s == 0 ? 0 : System.nanoTime() - s);
    }

    public long system() {
        return system;
    }

    /** The rest: the guest's own instructions. */
    public long user() {
        return Math.max(0, total() - system);
    }
}
