package jmck.lwk.signal;

import jmck.lwk.arch.DebugRegisters;
import jmck.lwk.arch.UserRegs;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * A thread traced with ptrace: its tracer, the stop it is in, and what the tracer read or changed of it
 * meanwhile (Linux keeps this in task_struct: ptrace, parent, exit_code, last_siginfo, the saved registers).
 * Its fields change under the task lock; the registers are taken on the thread's own core when it stops
 * and put back there before it runs again.
 */
public final class Tracee {
    /** PTRACE_EVENT_STOP: a seized tracee's group stop is reported with it in the status's high byte. */
    static final int EVENT_STOP = 128;
    /** PTRACE_O_EXITKILL: the tracee is killed when its tracer ends. */
    static final long O_EXITKILL = 1L << 20;

    private final Thread thread;
    private final Process tracer;
    private final boolean seized;
    long options;
    /** The signal of the stop the thread is in or about to enter; 0 while it runs. */
    int stopSignal;
    /** The stop is a group stop (job control), not a signal's delivery. */
    boolean groupStop;
    /** Trapped once for the group stop in force: the tracer's resume lets it run while the stop lasts. */
    boolean groupStopTrapped;
    /** The siginfo of a signal-delivery stop (GETSIGINFO); null for a group stop. */
    SigInfo stopInfo;
    /** Off its core in the stop: the registers below are the thread's. */
    boolean parked;
    /** The stop waits for the tracer's wait. */
    boolean toReport;
    /** The signal the tracer resumed the thread with: delivered without another stop. */
    SigInfo resumeWith;
    UserRegs regs;
    byte[] fpu;
    boolean regsChanged, fpuChanged;
    final DebugRegisters debug = new DebugRegisters();
    /** A PTRACE_ATTACH waiting until this thread, stopped by job control when attached, traps. */
    Thread attachWaiter;
    long attachSeq;

    Tracee(Thread thread, Process tracer, boolean seized, long options) {
        this.thread = thread;
        this.tracer = tracer;
        this.seized = seized;
        this.options = options;
    }

    public Thread thread() {
        return thread;
    }

    public Process tracer() {
        return tracer;
    }

    /** Attached with PTRACE_SEIZE: no SIGSTOP at attach, no SIGTRAP after execve, group stops as PTRACE_EVENT_STOP. */
    public boolean seized() {
        return seized;
    }

    /** The wait status of the stop: stopped by its signal (with PTRACE_EVENT_STOP for a seized group stop). */
    public int waitStatus() {
        int event = seized && groupStop ? EVENT_STOP << 16 : 0;
        return event | stopSignal << 8 | 0x7f;
    }

    public int stopSignal() {
        return stopSignal;
    }

    public SigInfo stopInfo() {
        return stopInfo;
    }

    /** SETSIGINFO: the signal the stop reports, delivered if the tracer resumes with its number. */
    public void setStopInfo(SigInfo info) {
        if (stopInfo != null)
            stopInfo = info;
    }

    /** The registers as the thread stopped with them (the tracer changes them through this). */
    public UserRegs regs() {
        return regs;
    }

    /** The tracer changed the registers: they go back on the CPU before the thread runs. */
    public void regsChanged() {
        regsChanged = true;
    }

    /** The 512-byte FXSAVE image of the thread's x87 and SSE state. */
    public byte[] fpu() {
        return fpu;
    }

    public void setFpu(byte[] image) {
        fpu = image;
        fpuChanged = true;
    }

    public DebugRegisters debug() {
        return debug;
    }

    public void setOptions(long options) {
        this.options = options;
    }
}
