package jmck.debug;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.mm.Walk;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * The kernel side of a debugging session, shared by the stepper and the gdb stub: it decides when the
 * machine stops (at the program's first instruction, a breakpoint, after a single step, or at the next
 * page fault, syscall or signal, as the user asked) and hands each stop to a {@link Frontend}, which talks
 * to the user and says how to go on. All-stop: while one thread is stopped or stepping, no other runs.
 */
public final class Debugger implements DebugHooks {
    /** What the machine runs until, after a stop. */
    public enum Until { STEP, BREAKPOINT, FAULT, SYSCALL, SIGNAL, DETACH }

    /** How to go on from a stop: run until something, or step count instructions; KILL ends the program. */
    public record Resume(Until until, long count, boolean killing) {
        public static Resume until(Until u) {
            return new Resume(u, 0, false);
        }

        public static Resume step(long count) {
            return new Resume(Until.STEP, Math.max(1, count), false);
        }

        public static Resume killProgram() {
            return new Resume(Until.DETACH, 0, true);
        }
    }

    /** Why the machine stopped. */
    public enum Kind { START, STEP, BREAKPOINT, FAULT, SYSCALL, SIGNAL, INTERRUPT }

    /** One page fault, seen from both sides of the handler: the walk before, the decision, the walk after. */
    public record FaultInfo(long rip, long address, int errorCode, Walk before, FaultOutcome outcome, Walk after) {}

    /** One syscall as it returned. */
    public record SyscallInfo(long nr, long[] args, long result, boolean delegated) {}

    /** A stop: the thread (its registers are on core's CPU) and what happened. */
    public record Stop(Kind kind, Core core, Thread thread, FaultInfo fault, SyscallInfo syscall, int signo,
            List<FaultInfo> faultsDuringStep, List<SyscallInfo> syscallsDuringStep) {
        static Stop of(Kind kind, Core core, Thread t) {
            return new Stop(kind, core, t, null, null, 0, List.of(), List.of());
        }
    }

    /** The user's side: the stepper's command line, or gdb's remote protocol. */
    public interface Frontend {
        /** The machine stopped: show it, take commands, and say how to go on. Runs on the scheduler's thread. */
        Resume stopped(Stop stop);

        /** A process ended (its status is set); the session ends with the last one. */
        void exited(Process p);
    }

    private final Kernel kernel;
    private Frontend frontend;
    private final Set<Long> breakpoints = new TreeSet<>();
    /** Whether a signal stops the machine whatever it runs until (gdb's default). */
    private boolean stopOnSignals;
    private Until until = Until.BREAKPOINT;
    private boolean started;
    private Stop pending;
    // The step in progress.
    private Thread stepping;
    private long stepsLeft, stepRip;
    private int stepRetries;
    private final List<FaultInfo> stepFaults = new ArrayList<>();
    private final List<SyscallInfo> stepSyscalls = new ArrayList<>();
    // The fault being handled, and the last one handled.
    private long faultRip, faultAddress;
    private int faultError;
    private Walk faultBefore;
    private FaultInfo lastFault;
    private long temporaryBreakpoint = -1;
    /** Interrupts (gdb's Ctrl-C) are possible: cores then run in slices that come back here. */
    private boolean interruptible;
    private volatile boolean interruptRequested;
    /** While stepping up to a breakpoint inside a block: where the block ends (0: not doing so). */
    private long approachStart, approachEnd;
    private int approachSteps;

    public Debugger(Kernel kernel) {
        this.kernel = kernel;
    }

    /** Starts watching: the machine stops at the program's first instruction. */
    public void attach(Frontend f) {
        frontend = f;
        kernel.setDebugHooks(this);
    }

    public Kernel kernel() {
        return kernel;
    }

    public void setStopOnSignals(boolean on) {
        stopOnSignals = on;
    }

    /** Lets {@link #interrupt} stop a running machine, at the cost of budgeted slices (a native block hook). */
    public void setInterruptible(boolean on) {
        interruptible = on;
    }

    /** Stops the machine at the end of the current slice (safe from any thread). */
    public void interrupt() {
        interruptRequested = true;
    }

    @Override
    public boolean wantsSlices() {
        return interruptible && until != Until.DETACH;
    }

    /** The last page fault the handler finished, or null. */
    public FaultInfo lastFault() {
        return lastFault;
    }

    // ---- breakpoints: one native code hook per address, on every core ----

    public boolean addBreakpoint(long va) {
        if (!breakpoints.add(va))
            return false;
        for (Core c : kernel.cores())
            c.cpu().setBreakpoint(va, true);
        return true;
    }

    public boolean removeBreakpoint(long va) {
        if (!breakpoints.remove(va))
            return false;
        for (Core c : kernel.cores())
            c.cpu().setBreakpoint(va, false);
        return true;
    }

    public Set<Long> breakpoints() {
        return java.util.Collections.unmodifiableSet(breakpoints);
    }

    /** Runs until the instruction at va: a breakpoint that goes away at the next stop. */
    public Resume runTo(long va) {
        if (addBreakpoint(va))
            temporaryBreakpoint = va;
        return Resume.until(Until.BREAKPOINT);
    }

    /** Kills the process t belongs to (SIGKILL), as `kill` in gdb. */
    public void kill(Thread t) {
        if (t.alive())
            kernel.killProcess(t.process(), SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
    }

    // ---- DebugHooks ----

    @Override
    public long beforeSlice(Core core, Thread t) {
        if (until == Until.DETACH)
            return RUN;
        if (!jmck.lwk.arch.X86.isUserAddress(t.rip()))
            return 1; // a new thread's sysret trampoline: step into user mode, unseen
        if (blocks(pending == null ? null : pending.thread(), t) || blocks(stepping, t))
            return HOLD;
        Stop stop = null;
        if (pending != null) {
            stop = pending;
            pending = null;
            SyscallInfo c = stop.syscall();
            if (c != null && c.delegated() && c.result() == jmck.lwk.syscall.SyscallDispatcher.NO_RETURN)
                // The thread waited while the proxy ran the call; the answer is in rax now.
                stop = new Stop(stop.kind(), core, t, null, new SyscallInfo(c.nr(), c.args(),
                        core.cpu().reg(jmck.emulator.X86Reg.RAX), true), 0, List.of(), List.of());
        } else if (stepping == t) {
            // An instruction that faulted runs again once its page is in: that is still the same step.
            if (t.rip() == stepRip && !stepFaults.isEmpty() && stepRetries++ < 4)
                return 1;
            if (--stepsLeft > 0 && !breakpoints.contains(t.rip())) {
                stepRip = t.rip();
                stepRetries = 0;
                return 1;
            }
            stop = new Stop(Kind.STEP, core, t, null, null, 0, List.copyOf(stepFaults), List.copyOf(stepSyscalls));
            stepping = null;
        } else if (!started) {
            started = true;
            stop = Stop.of(Kind.START, core, t);
        } else if (breakpoints.contains(t.rip())) {
            stop = Stop.of(Kind.BREAKPOINT, core, t);
        } else if (approachEnd == 0 && core.cpu().breakpointBlockEnd() != 0) {
            // The core stopped at the start of a block that holds a breakpoint: step up to it, unseen.
            approachStart = t.rip();
            approachEnd = core.cpu().breakpointBlockEnd();
            approachSteps = 0;
            return 1;
        } else if (approachEnd != 0 && t.rip() >= approachStart && t.rip() < approachEnd && approachSteps++ < 1024) {
            return 1;
        } else if (interruptRequested) {
            stop = Stop.of(Kind.INTERRUPT, core, t);
        }
        approachEnd = 0; // stopped, or left the block without meeting the breakpoint (a fault, a syscall)
        if (stop == null)
            return RUN;
        if (temporaryBreakpoint >= 0) {
            removeBreakpoint(temporaryBreakpoint);
            temporaryBreakpoint = -1;
        }
        Resume r = frontend.stopped(stop);
        interruptRequested = false; // an interrupt that came while stopped is moot
        if (r.killing()) {
            kill(t);
            return HOLD;
        }
        until = r.until();
        if (until == Until.DETACH) {
            for (Long va : List.copyOf(breakpoints))
                removeBreakpoint(va);
            kernel.setDebugHooks(null);
            return RUN;
        }
        if (until != Until.STEP)
            return RUN;
        stepping = t;
        stepsLeft = r.count();
        stepRip = t.rip();
        stepRetries = 0;
        stepFaults.clear();
        stepSyscalls.clear();
        return 1;
    }

    /** Whether other, a thread with a stop or a step in progress, keeps t from running now. */
    private static boolean blocks(Thread other, Thread t) {
        return other != null && other != t && other.alive() && other.state() == Thread.State.RUNNABLE;
    }

    @Override
    public void faultEntered(Core core, Thread t, long address, int errorCode) {
        faultRip = core.cpu().trapRip();
        faultAddress = address;
        faultError = errorCode;
        faultBefore = t.process().mm().pageTable().walk(address);
    }

    @Override
    public boolean faultHandled(Core core, Thread t, FaultOutcome outcome) {
        FaultInfo f = new FaultInfo(faultRip, faultAddress, faultError, faultBefore, outcome,
                t.process().mm().pageTable().walk(faultAddress));
        lastFault = f;
        if (stepping == t) {
            stepFaults.add(f);
            return false;
        }
        if (until != Until.FAULT)
            return false;
        pending = new Stop(Kind.FAULT, core, t, f, null, 0, List.of(), List.of());
        return true;
    }

    @Override
    public boolean syscallReturned(Core core, Thread t, long nr, long[] args, long result, boolean delegated) {
        SyscallInfo s = new SyscallInfo(nr, args, result, delegated);
        if (stepping == t) {
            stepSyscalls.add(s);
            return false;
        }
        if (until != Until.SYSCALL)
            return false;
        pending = new Stop(Kind.SYSCALL, core, t, null, s, 0, List.of(), List.of());
        return true;
    }

    @Override
    public void signalDelivering(Core core, Thread t, int signo) {
        if (until == Until.SIGNAL || (stopOnSignals && until != Until.DETACH))
            pending = new Stop(Kind.SIGNAL, core, t, null, null, signo, List.of(), List.of());
    }

    @Override
    public void processExited(Process p) {
        if (pending != null && pending.thread().process() == p)
            pending = null;
        if (stepping != null && stepping.process() == p)
            stepping = null;
        if (frontend != null)
            frontend.exited(p);
    }
}
