package jmck.lwk;

import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.KernelImage;
import jmck.lwk.arch.X86;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.Ptrace;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.trace.EventSink;

/**
 * The kernel's work around each slice a thread runs (Linux's exit_to_user_mode loop): before the thread
 * re-enters user mode, pending signals are delivered, a blocked syscall's result is put in rax, a stopped
 * process parks its thread, and a debugger may take over; after the slice, how it ended is handled.
 */
final class ReturnToUser implements Scheduler.SliceHooks {
    private final Kernel k;
    /** What the debugger asked for at this slice's beforeRun: instructions to step, 0 for a normal run. */
    private long debugSteps;

    ReturnToUser(Kernel k) {
        this.k = k;
    }

    @Override
    public void scheduled(Core c, Thread t, String what) {
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.schedule(c == null ? t.core() : c.id(), t.process().pid(), t.tid(), what);
    }

    @Override
    public boolean beforeRun(Core core, Thread t) {
        core.retirePendingCode();
        Runnable cancel = t.takeCancel(); // the wait ended otherwise than by its waker: undo its bookkeeping
        if (cancel != null)
            cancel.run();
        t.applyPendingResult(core.cpu());
        Ptrace ptrace = k.signals().ptrace();
        boolean traced = ptrace.traced(t);
        if (t.rip() == KernelImage.SYSRET_VA && (traced || t.hasDeliverable()))
            enterUserMode(core, t);
        if (traced)
            ptrace.applyChanges(core.cpu(), t); // what its tracer changed while it was stopped
        if (t.hasDeliverable() || traced && ptrace.hasResumeSignal(t))
            deliverSignals(core, t);
        if (traced && ptrace.parkIfStopped(core.cpu(), t)) // a ptrace stop: off the core until its tracer resumes it
            return false;
        if (t.alive() && t.interrupted() != Thread.Interrupt.NONE) { // no handler took the signal: look again
            t.restoreSavedMask();
            t.restartSyscall(core.cpu());
        }
        t.restoreSavedMask(); // a wait's mask (ppoll) that no handler frame took: the call returned
        if (t.alive() && t.process().stopSignal() != 0 && !traced) // job control: off the core until SIGCONT
            synchronized (k.processes().taskLock()) { // SIGCONT takes it to resume the parked threads
                if (t.process().stopSignal() != 0) {
                    if (ptrace.traced(t)) // attached just now: it traps for its tracer on its next way out
                        return false;
                    k.scheduler().block(t, "stopped");
                    t.process().park(t);
                    return false;
                }
            }
        DebugHooks d = k.debugHooks();
        debugSteps = 0;
        if (d != null && t.alive() && t.state() == Thread.State.RUNNABLE)
            debugSteps = d.beforeSlice(core, t); // a debugger's stop: it may step, hold or kill the thread
        return debugSteps >= 0 && t.alive() && t.state() == Thread.State.RUNNABLE;
    }

    /**
     * A new program's thread starts in the kernel's sysret trampoline, its user registers in rcx, r11 and
     * rsp: it executes the sysret now, so that a signal's frame and a tracer see the registers it has in
     * user mode (the entry point), as a new program stops for SIGTRAP after execve on Linux.
     */
    private static void enterUserMode(Core core, Thread t) {
        core.cpu().step(t.rip(), 1);
        t.setRip(core.cpu().reg(X86Reg.RIP));
    }

    @Override
    public void leftCore(Core core, Thread t) {
        k.exits().leftCore(t);
    }

    @Override
    public long instructionLimit(Core core, Thread t) {
        return debugSteps;
    }

    @Override
    public void afterRun(Core core, Thread t, Cpu.RunResult result) {
        if (!t.alive())
            return;
        if (result == Cpu.RunResult.INVALID_INSTRUCTION) {
            k.signals().force(t, SigInfo.fault(Signals.SIGILL, Signals.ILL_ILLOPN, t.rip()));
            t.setTrap(X86.VEC_UD, 0);
        } else if (result == Cpu.RunResult.FAILED) {
            k.kmsg().log("pid %d: core %d failed: %s", t.process().pid(), core.id(), core.cpu().lastRunError());
            System.err.println("jmck: core " + core.id() + " failed: " + core.cpu().lastRunError());
            k.exits().killProcess(t.process(), SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
            return;
        }
        t.runKernelWork(core.cpu());
        if (t.alive() && t.hasDeliverable())
            deliverSignals(core, t);
    }

    private void deliverSignals(Core core, Thread t) {
        DebugHooks d = k.debugHooks();
        long ready = t.pendingMask() & ~t.blockedMask();
        if (d != null && ready != 0)
            d.signalDelivering(core, t, Long.numberOfTrailingZeros(ready) + 1);
        SigInfo handled = k.signals().deliver(core.cpu(), t, t.trapNo(), t.trapError());
        EventSink sink = k.eventSink();
        if (handled != null && sink != null)
            sink.signal(core.id(), t.process().pid(), t.tid(), "handler for " + Signals.name(handled.signo()) + " runs");
        t.setTrap(0, 0);
        if (t.alive())
            t.setRip(core.cpu().reg(X86Reg.RIP));
    }
}
