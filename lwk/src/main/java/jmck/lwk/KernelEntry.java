package jmck.lwk;

import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.X86;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;

/**
 * Where every trap from a core arrives (Linux's entry_64.S and traps.c, McKernel's arch/x86_64 interrupt
 * code): a `syscall` instruction ({@link #syscall}) or a CPU exception ({@link #interrupt}), the #PF among
 * them ({@link #pageFault}; a userfaultfd's faults: {@link UserFaults}). Both run inside the CPU's native hook, on the host thread running that core,
 * and return whether the core goes on running guest code or stops.
 */
final class KernelEntry implements Core.TrapEntry {
    private final Kernel k;
    private final UserFaults userFaults;

    KernelEntry(Kernel k) {
        this.k = k;
        this.userFaults = new UserFaults(k);
    }

    /** A core executed `syscall`. Runs inside the CPU's syscall hook. */
    @Override
    public int syscall(Core core, Thread t) {
        Cpu cpu = core.cpu();
        long[] a = core.args;
        for (int i = 0; i < 6; i++)
            a[i] = cpu.syscallArg(i);
        EventSink sink = k.eventSink();
        DebugHooks d = k.debugHooks();
        SyscallDispatcher syscalls = k.syscalls();
        long nr = cpu.syscallNumber();
        t.setSyscallNr(nr);
        long[] args = d == null ? null : a.clone(); // handlers may reuse a
        long start = System.nanoTime();
        long r = syscalls.dispatch(t, nr, a);
        long took = System.nanoTime() - start;
        t.cpu().addSystem(took); // the thread's system time (a delegated call's wait is no one's CPU time)
        if (sink != null)
            sink.syscall(core.id(), t.process().pid(), t.tid(), nr, r, syscalls.lastForwarded(), start, took);
        boolean stop = d != null && d.syscallReturned(core, t, nr, args, r, syscalls.lastForwarded());
        if (r == SyscallDispatcher.NO_RETURN)
            return Cpu.STOP | Cpu.KEEP_RAX;
        cpu.setSyscallResult(r);
        // a slice is counted in blocks, and a guest that mostly makes syscalls runs few blocks in a long time:
        // it also ends when a kernel timer is due, so that the timer fires (exact mode; in parallel mode the
        // event loop fires it meanwhile)
        if (stop || t.hasDeliverable() || t.state() != Thread.State.RUNNABLE || t.yieldRequested() || core.mustRetireCode()
                || k.scheduler().mustStopAtTrap(core) || !k.parallel() && k.timers().nanosToNext() <= 0)
            return Cpu.STOP;
        return Cpu.CONTINUE;
    }

    /** A core raised an exception. Runs inside the CPU's interrupt hook. */
    @Override
    public int interrupt(Core core, Thread t) {
        Cpu cpu = core.cpu();
        int vector = cpu.trapVector();
        if (vector == X86.VEC_PF)
            return pageFault(core, t, cpu);
        if (Traps.softwareInterrupt(vector))
            cpu.setReg(X86Reg.RIP, cpu.trapRip() - 2); // a #GP at the int instruction, as Linux reports it
        long ioFrom = cpu.trapIoFrom();
        if (ioFrom != 0) // in/out: a #GP at the instruction, which decoding finds
            cpu.setReg(X86Reg.RIP, Traps.portIoInstruction(codeFrom(t.process().mm(), ioFrom), ioFrom));
        k.signals().force(t, Traps.signalFor(vector, cpu.trapRip()));
        t.setTrap(vector, 0);
        return Cpu.STOP;
    }

    /**
     * The #PF entry: decode the error code, let the address space's fault handler decide, and either resume
     * the instruction or raise SIGSEGV (SIGKILL when memory is exhausted).
     */
    private int pageFault(Core core, Thread t, Cpu cpu) {
        long addr = cpu.trapCr2();
        int err = cpu.trapErrorCode();
        FaultOutcome.Access access = (err & X86.PF_FETCH) != 0 ? FaultOutcome.Access.EXEC
                : (err & X86.PF_WRITE) != 0 ? FaultOutcome.Access.WRITE : FaultOutcome.Access.READ;
        if (userFaults.caught(t, cpu, addr, access, err))
            return Cpu.STOP; // a userfaultfd answers it: t waits (or gets SIGBUS)
        EventSink sink = k.eventSink();
        DebugHooks d = k.debugHooks();
        if (d != null)
            d.faultEntered(core, t, addr, err);
        long start = System.nanoTime();
        FaultOutcome o = t.process().mm().fault(addr, access, (err & X86.PF_PRESENT) != 0);
        long took = System.nanoTime() - start;
        t.cpu().addSystem(took);
        if (sink != null)
            sink.fault(new FaultEvent(core.id(), t.process().pid(), t.tid(), cpu.trapRip(), o, false, took));
        if (o.resolved())
            return d != null && d.faultHandled(core, t, o) ? Cpu.STOP : Cpu.CONTINUE;
        if (d != null)
            d.faultHandled(core, t, o);
        t.setTrap(X86.VEC_PF, err);
        if (o.decision() == FaultOutcome.Decision.OUT_OF_MEMORY) {
            k.kmsg().log("pid %d: out of memory at %#x: killed", t.process().pid(), addr);
            t.process().setOutOfMemory(); // its death line says so
            k.signals().force(t, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
        } else if (o.decision() == FaultOutcome.Decision.BUS_ADRERR) {
            k.signals().force(t, SigInfo.fault(Signals.SIGBUS, Signals.BUS_ADRERR, addr));
        } else {
            int code = o.decision() == FaultOutcome.Decision.SEGV_MAPERR ? Signals.SEGV_MAPERR : Signals.SEGV_ACCERR;
            k.signals().force(t, SigInfo.fault(Signals.SIGSEGV, code, addr));
        }
        return Cpu.STOP;
    }

    /** The code at va up to the end of the next page (less where that is not mapped). */
    private static byte[] codeFrom(AddressSpace mm, long va) {
        int len = (int) (2 * 4096 - (va & (4096 - 1)));
        while (true) {
            try {
                return mm.copyIn(va, len);
            } catch (BadAddressException e) {
                if (len <= 4096)
                    return new byte[0];
                len -= 4096;
            }
        }
    }
}
