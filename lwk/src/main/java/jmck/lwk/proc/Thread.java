package jmck.lwk.proc;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import jmck.emulator.Cpu;
import jmck.lwk.signal.SigInfo;

/**
 * A thread of a guest process: its saved registers while it is not on a core, its scheduling state,
 * and its per-thread kernel state (signal mask and queue, TID addresses, the alternate signal stack).
 *
 * <p>Locking (see {@code jmck.lwk.proc} for the order): {@link #lock} guards the scheduling state (state,
 * the wait fields, the pending result, onCore), the pending signals and the masks, and the saved context
 * against a reaper. Fields with no mark are the thread's own: touched only by the core running it (or,
 * while it is blocked and off every core, by whoever handles its syscall).
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
    /** The thread's lock: taken after the task lock, futex lock or an mm lock; only run-queue locks after it. */
    public final Object lock = new Object();
    /** @GuardedBy("lock") for writes; read without it for a glance. */
    volatile State state = State.RUNNABLE;
    /** A core is running this thread (from picking it to the end of its slice). @GuardedBy("lock") */
    boolean onCore;
    /** Registers saved when the thread left its core; null before its first run. */
    Cpu.Context context;
    /** Where a new thread starts: entry rip and rsp (first run only). */
    long startRip;
    long startRsp;
    /** The next instruction to run when the thread goes back on a core. */
    long rip;

    // signals; @GuardedBy("lock") for writes, the masks read without it for a glance
    volatile long blockedMask;
    volatile long pendingMask;
    final ArrayDeque<SigInfo> pending = new ArrayDeque<>();
    long altStackSp, altStackSize;
    int altStackFlags = 2; // SS_DISABLE

    // set_tid_address / set_robust_list
    long clearChildTid;
    long robustList;
    long robustListLen;

    /** The core this thread runs on. */
    volatile int core;
    /** Time spent running on a core, user and system. */
    final CpuTime cpu = new CpuTime();
    /** sched_yield asked to go to the back of the run queue. */
    volatile boolean yieldRequested;
    /** Why a blocked thread waits (for traces and ps). */
    volatile String waitReason = "";
    /** The trap being handled, for the signal frame's sigcontext (trapno, err). */
    private int trapNo;
    private long trapError;
    /** A syscall result to put in rax before the thread runs again (it was blocked). @GuardedBy("lock") */
    boolean hasPendingResult;
    long pendingResult;
    /** Work a syscall left for after the core stopped, when registers may be rewritten (rt_sigreturn, execve). */
    private Consumer<Cpu> afterStop;
    /** The context's CR3 is stale (a forked child's copy of its parent's registers): load writes the root. */
    boolean rootChanged;
    /**
     * The context's rip is stale: a forked or cloned child's copy of its parent's registers was taken in the
     * syscall hook, where rip is still on the syscall instruction; load writes rip, the instruction after it.
     * Until then only rip says where the child starts (a signal delivered before its first instruction reads
     * the CPU's rip: a child that was sent SIGSTOP before it ran then ran its fork again, as read(2)).
     */
    boolean ripStale;
    /** The number of the syscall the thread is in or last made (to run it again after a signal). */
    long syscallNr;

    /** What a signal does to a blocked thread's syscall (Linux's -ERESTARTSYS family). */
    public enum Interrupt {
        /** The wait ignores signals (a delegated call the host is running). */
        NONE,
        /** The syscall runs again after a handler with SA_RESTART, else fails with EINTR (wait4, futex). */
        RESTART,
        /** The syscall fails with EINTR once a handler runs (pause, sigsuspend, nanosleep). */
        EINTR,
        /** The syscall runs again after any handler (Linux's -ERESTARTNOINTR: FUTEX_LOCK_PI). */
        RESTART_ALWAYS,
        /**
         * A delegated call the host is running: a signal asks the proxy to end it (the wait's cancel action),
         * and the thread waits on for the answer, which says whether the call ended early (EINTR).
         */
        HOST
    }

    /** How the current wait reacts to a signal, and how to undo its bookkeeping (leave a futex queue). */
    /** @GuardedBy("lock") */
    Interrupt interrupt = Interrupt.NONE;
    /** @GuardedBy("lock") */
    Runnable cancelWait;
    /** Counts waits, so that a timer set for an earlier wait does not end a later one. @GuardedBy("lock") */
    long waitSeq;
    /** A signal ended the wait; delivery decides between EINTR and running the syscall again. */
    volatile Interrupt interrupted = Interrupt.NONE;
    /** The syscall runs again whether or not a handler runs first (its wait ended for a reason to look again). */
    volatile boolean restartAlways;
    /** rt_sigsuspend: the mask to restore once the handler returns (Linux's saved_sigmask). */
    long savedMask;
    boolean hasSavedMask;
    /** The futex queue the thread sleeps on, if any. @GuardedBy("Futexes") */
    Futexes.Key futexKey;
    /** rt_sigtimedwait: the signals the thread waits for. */
    volatile long sigwaitSet;

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
        synchronized (lock) {
            pendingResult = value;
            hasPendingResult = true;
        }
    }

    /** Puts a pending syscall result into rax; the thread's registers must be on cpu. */
    public void applyPendingResult(Cpu cpu) {
        long value;
        synchronized (lock) {
            if (!hasPendingResult)
                return;
            hasPendingResult = false;
            value = pendingResult;
        }
        cpu.setReg(jmck.emulator.X86Reg.RAX, value);
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

    /** Frees the saved register context (the thread is dead, or starts afresh). */
    public void releaseContext() {
        synchronized (lock) {
            if (context != null) {
                context.close();
                context = null;
            }
        }
    }

    /** Whether a core is running this thread now (between picking it and the end of its slice). */
    public boolean onCore() {
        synchronized (lock) {
            return onCore;
        }
    }

    /** Gives a forked or cloned child its first registers: a copy of its parent's, taken at the syscall. */
    public void setContext(Cpu.Context context, long rip, boolean newRoot) {
        this.context = context;
        this.rip = rip;
        this.rootChanged = newRoot;
        this.ripStale = true;
    }

    /** Drops the registers so the thread starts afresh at the start set by {@link #setStart} (execve). */
    public void resetContext() {
        releaseContext();
        rootChanged = false;
        ripStale = false;
    }

    public long syscallNr() {
        return syscallNr;
    }

    public void setSyscallNr(long nr) {
        syscallNr = nr;
    }

    public long waitSeq() {
        return waitSeq;
    }

    public Interrupt interrupted() {
        return interrupted;
    }

    /** The wait's undo, if it ended some other way than by its waker (see Scheduler.block); taken once. */
    public Runnable takeCancel() {
        synchronized (lock) {
            Runnable c = cancelWait;
            cancelWait = null;
            return c;
        }
    }

    public void clearInterrupted() {
        interrupted = Interrupt.NONE;
        restartAlways = false;
    }

    /** Whether the syscall that a signal or a wake-up ended must run again even after a handler without SA_RESTART. */
    public boolean restartAlways() {
        return restartAlways;
    }

    /**
     * Sets the thread up to execute its syscall again: rip back on the 2-byte `syscall` instruction, rax the
     * syscall's number (the other argument registers are as the syscall left them). Registers must be on cpu.
     */
    public void restartSyscall(Cpu cpu) {
        long at = cpu.reg(jmck.emulator.X86Reg.RIP) - 2;
        cpu.setReg(jmck.emulator.X86Reg.RIP, at);
        cpu.setReg(jmck.emulator.X86Reg.RAX, syscallNr);
        rip = at;
        clearInterrupted();
    }

    /** Whether a signal may end this thread's wait: it is blocked in an interruptible syscall. */
    public boolean interruptible() {
        synchronized (lock) {
            return state == State.BLOCKED && interrupt != Interrupt.NONE;
        }
    }

    /** sigsuspend's mask: the mask the handler frame saves and sigreturn restores. */
    public void saveMask(long mask) {
        savedMask = mask;
        hasSavedMask = true;
    }

    /** The mask to put back after a handler: the saved one if sigsuspend set it (then forgotten), else the current one. */
    public long takeMaskToRestore() {
        if (hasSavedMask) {
            hasSavedMask = false;
            return savedMask;
        }
        return blockedMask;
    }

    /** Restores sigsuspend's mask if no handler took it (the wait ended without one). */
    public void restoreSavedMask() {
        synchronized (lock) {
            if (hasSavedMask) {
                hasSavedMask = false;
                blockedMask = savedMask;
            }
        }
    }

    public long sigwaitSet() {
        return sigwaitSet;
    }

    public void setSigwaitSet(long set) {
        sigwaitSet = set;
    }

    public String waitReason() {
        return waitReason;
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

    public CpuTime cpu() {
        return cpu;
    }

    /** Queues a signal for this thread; a standard signal already pending is not queued twice. */
    public void addPending(SigInfo info) {
        long bit = 1L << (info.signo() - 1);
        synchronized (lock) {
            if (info.signo() < jmck.lwk.abi.Signals.SIGRTMIN && (pendingMask & bit) != 0)
                return;
            pendingMask |= bit;
            pending.addLast(info);
        }
    }

    /** How many signals are queued for this thread (what RLIMIT_SIGPENDING limits). */
    public int queuedSignals() {
        synchronized (lock) {
            return pending.size();
        }
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
        synchronized (lock) {
            return takeDeliverable(blockedMask);
        }
    }

    private SigInfo takeDeliverable(long blocked) {
        long ready = pendingMask & ~blocked;
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
        SigInfo taken = process.timerSignalTaken(found);
        return taken != null ? taken : takeDeliverable(); // a timer's signal after the timer changed is dropped
    }

    /** Forgets pending signals in set (SIGCONT discards pending stops, and the reverse). */
    public void discardPending(long set) {
        synchronized (lock) {
            if ((pendingMask & set) == 0)
                return;
            pending.removeIf(si -> (set & (1L << (si.signo() - 1))) != 0);
            pendingMask &= ~set;
        }
    }

    /** Removes and returns the lowest-numbered pending signal in set, blocked or not, or null (sigtimedwait). */
    public SigInfo takePending(long set) {
        synchronized (lock) {
            long ready = pendingMask & set;
            if (ready == 0)
                return null;
            return takeDeliverable(~ready); // picks among "unblocked" signals: unblock just these
        }
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
        synchronized (lock) {
            blockedMask = mask;
        }
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

    /**
     * The thread's memory policy (set_mempolicy), null for the default; a new thread or process has its
     * creator's.
     */
    private volatile jmck.lwk.mm.MemoryPolicy memoryPolicy;

    public jmck.lwk.mm.MemoryPolicy memoryPolicy() {
        return memoryPolicy;
    }

    public void setMemoryPolicy(jmck.lwk.mm.MemoryPolicy p) {
        memoryPolicy = p;
    }

    /** PR_SET_TIMERSLACK's value and the default 0 goes back to (the creating thread's slack), in ns. */
    private volatile long timerSlack = 50_000, defaultTimerSlack = 50_000;

    public long timerSlack() {
        return timerSlack;
    }

    public long defaultTimerSlack() {
        return defaultTimerSlack;
    }

    public void setTimerSlack(long ns) {
        timerSlack = ns;
    }

    /** A new thread or process starts with its creator's slack, which is also its default. */
    public void inheritTimerSlack(Thread creator) {
        timerSlack = defaultTimerSlack = creator.timerSlack;
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
