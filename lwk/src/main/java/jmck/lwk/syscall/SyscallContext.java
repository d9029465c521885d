package jmck.lwk.syscall;

import jmck.emulator.Cpu;
import jmck.lwk.KernelLog;
import jmck.lwk.ProcessExit;
import jmck.lwk.ProcessLifecycle;
import jmck.lwk.Timers;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.ProcessTable;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.Signals;

/**
 * What syscall handlers may use of the kernel: the instance's tables and the mechanisms a syscall drives
 * (process life cycle, scheduler, signals, futexes, timers). Handlers get this, not the whole Kernel.
 */
public interface SyscallContext {
    KernelLog kmsg();

    /** The buddy allocator (sysinfo, /proc/meminfo). */
    FrameAllocator frames();

    /** Processes and threads by id. */
    ProcessTable processes();

    /** Blocking, waking and placing threads. */
    Scheduler scheduler();

    /** Sending signals. */
    Signals signals();

    /** The futex wait queues. */
    Futexes futexes();

    /** The syscall table (and the forwarder to the proxy). */
    SyscallDispatcher syscalls();

    /** Kernel timers (timeouts, sleeps). */
    Timers timers();

    /** spawn, prepare, start, exec, fork, cloneThread, childRegisters, discard. */
    ProcessLifecycle lifecycle();

    /** exitThread, exitProcess, killProcess. */
    ProcessExit exits();

    /** The number of cores the instance has now. */
    int coreCount();

    /** What the emulated CPU says of itself (cpuid, read at boot). */
    jmck.lwk.arch.Cpuid cpuid();

    /** The CPU a thread is on during its syscall: the one running it. */
    Cpu cpuOf(Thread t);

    /** Nanoseconds since boot. */
    long uptimeNanos();

    /** The instance's physical memory (System V shared memory lives in it). */
    jmck.emulator.PhysicalMemory memory();

    /** Calls l when a process has ended, before its parent hears of it (SEM_UNDO, shared memory attaches). */
    void addExitListener(jmck.lwk.Kernel.ExitListener l);

    /** The files the LWK implements itself (pidfds, signalfds). */
    jmck.lwk.file.LocalFiles localFiles();
}
