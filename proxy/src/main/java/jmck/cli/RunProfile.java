package jmck.cli;

import jmck.lwk.Kernel;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;

/**
 * Where the run phase's time went, for `jmck run --timings`: time on the cores (the scheduler's slices,
 * summed over every process) split into page faults, syscalls the LWK handled, delegated syscalls
 * (posting them, and spinning for the proxy's answer) and the rest, which is the guest's own code (Unicorn
 * translating and running it); and time off the cores, when every thread waited for the proxy. It is an
 * event sink, so the kernel measures nothing when --timings is not asked for; one that does not need to see
 * each syscall, so that the cores' hooks still answer what they can without the kernel.
 */
final class RunProfile implements EventSink, Kernel.ExitListener {
    private long firstFault;
    private long faults, faultNanos, kernelFaults;
    private long localCalls, localNanos, delegatedCalls, delegatedNanos;
    private long coreNanos;
    private int processes;
    /** CPU time of the thread that runs the cores (it runs the kernel too), from started to ended. */
    private long cpuNanos;

    /** The run phase begins on this thread (the one that runs the kernel). */
    void started() {
        cpuNanos = -jmck.emulator.host.HostSyscall.threadCpuNanos();
    }

    void ended() {
        cpuNanos += jmck.emulator.host.HostSyscall.threadCpuNanos();
    }

    @Override
    public void fault(FaultEvent e) {
        if (firstFault == 0 && !e.kernel())
            firstFault = System.nanoTime();
        if (e.kernel()) // taken inside a syscall handler: its time is the syscall's
            kernelFaults++;
        else {
            faults++;
            faultNanos += e.nanos();
        }
    }

    @Override
    public void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start, long nanos) {
        if (delegated) {
            delegatedCalls++;
            delegatedNanos += nanos;
        } else {
            localCalls++;
            localNanos += nanos;
        }
    }

    /** The profile counts syscalls, it does not list them: the hooks' own answers are added at the end. */
    @Override
    public boolean seesEverySyscall() {
        return false;
    }

    /**
     * The syscalls the cores' hooks answered themselves (futex wakes that found no waiter, in parallel mode),
     * counted with the LWK's at about no time each.
     */
    void answeredInHooks(long calls) {
        localCalls += calls;
    }

    @Override
    public void exited(jmck.lwk.proc.Process p, jmck.lwk.signal.SigInfo killedBy, long killRip) {
        coreNanos += p.usage().total();
        processes++;
    }

    /** System.nanoTime() of the program's first page fault, or 0. */
    long firstFault() {
        return firstFault;
    }

    /**
     * One line about a run phase of runNanos: "run 2615.1 ms: on the cores 1790.2 ms (guest code 1370.5,
     * 1407 page faults 180.3, 230 LWK syscalls 14.9, 470 delegated syscalls 224.5), off them 824.9 ms
     * (waiting for the proxy, idle); kernel thread CPU 1650.0 ms; 1 process". Times are wall-clock times
     * (a loaded host stretches them); the CPU time of the kernel's thread is what it used itself. With
     * several processes on several cores, time on the cores may exceed the run.
     */
    String describe(long runNanos) {
        double guest = Math.max(0, coreNanos - faultNanos - localNanos - delegatedNanos) / 1e6;
        // Written out, not String.format: the Formatter's first use costs some milliseconds, which
        // `jmck run --timings hello` (the bench's start-up row) would count.
        return "run " + ms(runNanos) + " ms: on the cores " + ms(coreNanos) + " ms (guest code " + ms((long) (guest * 1e6))
                + ", " + faults + " page faults " + ms(faultNanos) + ", " + localCalls + " LWK syscalls " + ms(localNanos)
                + " (" + kernelFaults + " faults inside), " + delegatedCalls + " delegated syscalls " + ms(delegatedNanos)
                + "), off them " + ms(Math.max(0, runNanos - coreNanos)) + " ms (waiting for the proxy, idle); "
                + "kernel thread CPU " + ms(cpuNanos) + " ms; " + processes + " process" + (processes == 1 ? "" : "es");
    }

    /** Nanoseconds as milliseconds with one decimal, as %.1f would print them. */
    static String ms(long nanos) {
        long tenths = Math.round(nanos / 1e5);
        return (tenths < 0 ? "-" : "") + Math.abs(tenths) / 10 + "." + Math.abs(tenths) % 10;
    }
}
