package jmck.lwk.proc;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import jmck.emulator.Cpu;
import jmck.lwk.signal.SigInfo;

/**
 * A thread of a guest process: its saved registers while it is not on a core, its scheduling state,
 * and its per-thread kernel state (signal mask and queue, TID addresses, the alternate signal stack).
 */
public final class Thread {
    /** Scheduling states. */
    public enum State {
        /** Ready to run, on a core's run queue or running. */
        RUNNABLE,
        /** Waiting (futex, sleep, child, delegated syscall). */
        BLOCKED,
        /** Finished; its tid may still be reported to a waiter. */
        DEAD
    }

    private final int tid;
    private final Process process;
    State state = State.RUNNABLE;
    /** Registers saved when the thread left its core; null before its first run. */
    Cpu.Context context;
    /** Where a new thread starts: entry rip and rsp (first run only). */
    long startRip;
    long startRsp;
    /** The next instruction to run when the thread goes back on a core. */
    long rip;

    // signals
    long blockedMask;
    long pendingMask;
    final ArrayDeque<SigInfo> pending = new ArrayDeque<>();
    long altStackSp, altStackSize;
    int altStackFlags = 2; // SS_DISABLE

    // set_tid_address / set_robust_list
    long clearChildTid;
    long robustList;
    long robustListLen;

    /** The core this thread runs on. */
    int core;
    /** Nanoseconds spent running on a core. */
    long cpuNanos;
    /** When the current slice started (0 when not running). */
    long sliceStart;
    /** sched_yield asked to go to the back of the run queue. */
    boolean yieldRequested;
    /** Why a blocked thread waits (for traces and ps). */
    String waitReason = "";
    /** The trap being handled, for the signal frame's sigcontext (trapno, err). */
    private int trapNo;
    private long trapError;
    /** A syscall result to put in rax before the thread runs again (it was blocked). */
    private boolean hasPendingResult;
    private long pendingResult;
    /** Work a syscall left for after the core stopped, when registers may be rewritten (rt_sigreturn, execve). */
    private Consumer<Cpu> afterStop;

    Thread(int tid, Process process) {
        this.tid = tid;
        this.process = process;
    }

    /** Sets where a new thread starts; it enters ring 3 there on its first run. */
    public void setStart(long rip, long rsp) {
        startRip = rip;
        startRsp = rsp;
    }

    public long rip() {
        return rip;
    }

    public void setRip(long rip) {
        this.rip = rip;
    }

    public void setCore(int core) {
        this.core = core;
    }

    public void setTrap(int trapNo, long error) {
        this.trapNo = trapNo;
        this.trapError = error;
    }

    public int trapNo() {
        return trapNo;
    }

    public long trapError() {
        return trapError;
    }

    /** Sets the value rax gets when the thread next runs (a blocked syscall's result). */
    public void setPendingResult(long value) {
        pendingResult = value;
        hasPendingResult = true;
    }

    /** Puts a pending syscall result into rax; the thread's registers must be on cpu. */
    public void applyPendingResult(Cpu cpu) {
        if (hasPendingResult) {
            cpu.setReg(jmck.emulator.X86Reg.RAX, pendingResult);
            hasPendingResult = false;
        }
    }

    /** Asks for work to be done once the core has stopped (the syscall returned NO_RETURN). */
    public void afterStop(Consumer<Cpu> work) {
        afterStop = work;
    }

    /** Runs the work left by afterStop, with the thread's registers on cpu; rip is re-read afterwards. */
    public void runKernelWork(Cpu cpu) {
        Consumer<Cpu> w = afterStop;
        if (w != null) {
            afterStop = null;
            w.accept(cpu);
            if (alive())
                rip = cpu.reg(jmck.emulator.X86Reg.RIP);
        }
    }

    /** Frees the saved register context (the thread is dead). */
    public void releaseContext() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    public int tid() {
        return tid;
    }

    public Process process() {
        return process;
    }

    public State state() {
        return state;
    }

    public boolean alive() {
        return state != State.DEAD;
    }

    public int core() {
        return core;
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    /** Queues a signal for this thread; a standard signal already pending is not queued twice. */
    public void addPending(SigInfo info) {
        long bit = 1L << (info.signo() - 1);
        if (info.signo() < jmck.lwk.abi.Signals.SIGRTMIN && (pendingMask & bit) != 0)
            return;
        pendingMask |= bit;
        pending.addLast(info);
    }

    /** Whether a signal outside the blocked mask is pending. */
    public boolean hasDeliverable() {
        return (pendingMask & ~blockedMask) != 0;
    }

    /** Pending signals as a mask. */
    public long pendingMask() {
        return pendingMask;
    }

    /** Removes and returns the lowest-numbered pending signal that is not blocked, or null. */
    public SigInfo takeDeliverable() {
        long ready = pendingMask & ~blockedMask;
        if (ready == 0)
            return null;
        int sig = Long.numberOfTrailingZeros(ready) + 1;
        SigInfo found = null;
        boolean more = false;
        for (var it = pending.iterator(); it.hasNext(); ) {
            SigInfo si = it.next();
            if (si.signo() != sig)
                continue;
            if (found == null) {
                found = si;
                it.remove();
            } else {
                more = true;
            }
        }
        if (!more)
            pendingMask &= ~(1L << (sig - 1));
        return found;
    }

    /** Time in the slice running now, 0 when off the core. */
    public long runningNanos() {
        long s = sliceStart;
        return s == 0 ? 0 : System.nanoTime() - s;
    }

    public void requestYield() {
        yieldRequested = true;
    }

    public boolean yieldRequested() {
        return yieldRequested;
    }

    public long blockedMask() {
        return blockedMask;
    }

    public void setBlockedMask(long mask) {
        blockedMask = mask;
    }

    public long clearChildTid() {
        return clearChildTid;
    }

    public void setClearChildTid(long addr) {
        clearChildTid = addr;
    }

    public void setRobustList(long head, long len) {
        robustList = head;
        robustListLen = len;
    }

    public long robustList() {
        return robustList;
    }

    public long robustListLen() {
        return robustListLen;
    }

    public long altStackSp() {
        return altStackSp;
    }

    public long altStackSize() {
        return altStackSize;
    }

    public int altStackFlags() {
        return altStackFlags;
    }

    public void setAltStack(long sp, long size, int flags) {
        altStackSp = sp;
        altStackSize = size;
        altStackFlags = flags;
    }

    @Override
    public String toString() {
        return "thread " + tid + " of " + process;
    }
}
