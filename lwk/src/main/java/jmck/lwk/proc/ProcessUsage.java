package jmck.lwk.proc;

/**
 * What getrusage(2) and times(2) report of a process, Linux's accounting in signal_struct: its CPU time
 * (also for /proc/PID/stat and its CPU clock), its live threads' ({@link CpuTime}) and its ended threads';
 * its peak resident memory (ru_maxrss), over the programs it ran; and the same of the children it waited
 * for (cutime, cstime, the children's ru_maxrss: each child's own and its children's, added when it is
 * reaped; a child reaped unwaited, SIGCHLD ignored, counts for nothing).
 */
public final class ProcessUsage {
    private final Process process;
    private volatile long endedTotal, endedSystem;
    private volatile long childrenTotal, childrenSystem;
    /** The highest peak RSS of the programs the process ran before its current one (execve), and of its children. */
    private volatile long earlierMaxRss, childrenMaxRss;

    ProcessUsage(Process process) {
        this.process = process;
    }

    /** A thread ended and is forgotten: its time stays with the process. Under the process table's lock. */
    void threadEnded(CpuTime t) {
        endedTotal += t.total(); // it may end inside its slice
        endedSystem += t.system();
    }

    /** The parent reaped child: its time and its children's count as the parent's children's. */
    public synchronized void childReaped(ProcessUsage child) {
        childrenTotal += child.total() + child.childrenTotal;
        childrenSystem += child.system() + child.childrenSystem;
        childrenMaxRss = Math.max(childrenMaxRss, Math.max(child.maxRssBytes(), child.childrenMaxRss));
    }

    /** execve: the old program's peak memory still counts (Linux's setmax_mm_hiwater_rss). */
    void programReplaced(jmck.lwk.mm.AddressSpace old) {
        earlierMaxRss = Math.max(earlierMaxRss, old.peakResidentBytes());
    }

    /** ru_maxrss of RUSAGE_SELF, in bytes. */
    public long maxRssBytes() {
        return Math.max(earlierMaxRss, process.mm().peakResidentBytes());
    }

    /** ru_maxrss of RUSAGE_CHILDREN, in bytes. */
    public long childrenMaxRssBytes() {
        return childrenMaxRss;
    }

    /** All threads' time, live and ended, with the slices running now. */
    public long total() {
        long sum = endedTotal;
        for (Thread t : process.threads()) // a loop, not a stream: every process's exit runs this, the first in the interpreter
            sum += t.cpu().total();
        return sum;
    }

    public long system() {
        long sum = endedSystem;
        for (Thread t : process.threads())
            sum += t.cpu().system();
        return sum;
    }

    public long user() {
        return Math.max(0, total() - system());
    }

    public long childrenTotal() {
        return childrenTotal;
    }

    public long childrenSystem() {
        return childrenSystem;
    }

    public long childrenUser() {
        return Math.max(0, childrenTotal - childrenSystem);
    }
}
