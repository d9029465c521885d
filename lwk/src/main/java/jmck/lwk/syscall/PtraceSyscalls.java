package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.DebugRegisters;
import jmck.lwk.arch.FpuState;
import jmck.lwk.arch.UserRegs;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.TracerMemory;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.Ptrace;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.signal.Tracee;

/**
 * ptrace(2) between guest processes, in the LWK (McKernel runs it itself, so that gdb works under mcexec):
 * attaching (TRACEME, ATTACH, SEIZE), resuming (CONT, DETACH, KILL), a stopped tracee's memory (PEEK/POKE
 * TEXT and DATA), its registers (GETREGS, SETREGS, GETFPREGS, SETFPREGS, GETREGSET, SETREGSET, PEEKUSER and
 * POKEUSER with the debug registers), its stop's siginfo, and options. The mechanism (links, stops, what
 * wait reports) is {@link Ptrace}. Not offered (EIO): single-stepping and syscall stops (SINGLESTEP,
 * SYSCALL, SYSEMU), INTERRUPT and LISTEN; the PTRACE_O_TRACE* events are accepted but never reported.
 */
final class PtraceSyscalls implements SyscallDispatcher.Handler {
    private static final int TRACEME = 0, PEEKTEXT = 1, PEEKDATA = 2, PEEKUSER = 3, POKETEXT = 4, POKEDATA = 5,
            POKEUSER = 6, CONT = 7, KILL = 8, GETREGS = 12, SETREGS = 13, GETFPREGS = 14, SETFPREGS = 15, ATTACH = 16,
            DETACH = 17, SETOPTIONS = 0x4200, GETEVENTMSG = 0x4201, GETSIGINFO = 0x4202, SETSIGINFO = 0x4203,
            GETREGSET = 0x4204, SETREGSET = 0x4205, SEIZE = 0x4206;
    /** PTRACE_O_MASK: the option bits Linux knows. */
    private static final long OPTIONS = 0xffL | 1L << 20 | 1L << 21;
    /** sizeof(struct user) and offsetof(struct user, u_debugreg) on x86-64 (the kernel's asm/user_64.h). */
    private static final long USER_SIZE = 928, DEBUGREG = 848;
    private static final int NT_PRSTATUS = 1, NT_PRFPREG = 2, NT_X86_XSTATE = 0x202;
    private final SyscallContext kernel;
    private final java.util.Set<Long> logged = java.util.concurrent.ConcurrentHashMap.newKeySet();

    PtraceSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.PTRACE);
        kernel.addExitListener(new jmck.lwk.Kernel.ExitListener() { // a class: see IpcSyscalls
            @Override
            public void exited(Process p, jmck.lwk.signal.SigInfo killedBy, long killRip) {
                synchronized (kernel.processes().taskLock()) {
                    kernel.signals().ptrace().processEnded(p);
                }
            }
        });
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case PTRACE -> ptrace(t, a[0], (int) a[1], a[2], a[3]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long ptrace(Thread t, long request, int pid, long addr, long data) {
        Ptrace ptrace = kernel.signals().ptrace();
        if (request == TRACEME)
            return ptrace.traceMe(t);
        Thread target = kernel.processes().thread(pid);
        boolean attach = request == ATTACH || request == SEIZE;
        if (target == null) // init is outside the LWK, which changes nothing there
            return pid == 1 && attach ? -Errno.EPERM : -Errno.ESRCH;
        if (!target.alive()) // a zombie: Linux's ptrace_attach fails it on exit_state, the others find no tracee
            return attach ? -Errno.EPERM : -Errno.ESRCH;
        Process self = t.process();
        if (attach)
            return attach(t, target, request == SEIZE, addr, data);
        if (request == KILL) { // needs no stop
            if (ptrace.tracedBy(self, target) == null)
                return -Errno.ESRCH;
            kernel.signals().sendThread(target, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
            return 0;
        }
        Tracee tr = ptrace.stoppedFor(self, target);
        if (tr == null)
            return -Errno.ESRCH;
        AddressSpace mine = self.mm(), theirs = target.process().mm();
        switch ((int) request) {
            case PEEKTEXT, PEEKDATA -> {
                byte[] b = TracerMemory.peek(theirs, addr, 8);
                if (b == null)
                    return -Errno.EIO;
                mine.copyOut(data, b);
                return 0;
            }
            case POKETEXT, POKEDATA -> {
                byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, data).array();
                return TracerMemory.poke(theirs, addr, b) ? 0 : -Errno.EIO;
            }
            case PEEKUSER -> {
                if ((addr & 7) != 0 || Long.compareUnsigned(addr, USER_SIZE) >= 0)
                    return -Errno.EIO;
                mine.writeLong(data, peekUser(tr, addr));
                return 0;
            }
            case POKEUSER -> {
                return pokeUser(tr, addr, data);
            }
            case GETREGS -> {
                mine.copyOut(data, tr.regs().toBytes());
                return 0;
            }
            case SETREGS -> {
                return setRegs(tr, mine.copyIn(data, UserRegs.SIZE));
            }
            case GETFPREGS -> {
                mine.copyOut(data, tr.fpu());
                return 0;
            }
            case SETFPREGS -> {
                tr.setFpu(mine.copyIn(data, FpuState.IMAGE_SIZE));
                return 0;
            }
            case GETSIGINFO -> {
                if (tr.stopInfo() == null)
                    return -Errno.EINVAL;
                mine.copyOut(data, tr.stopInfo().toBytes());
                return 0;
            }
            case SETSIGINFO -> {
                tr.setStopInfo(SigInfo.fromBytes(mine.copyIn(data, SigInfo.SIZE)));
                return 0;
            }
            case GETREGSET, SETREGSET -> {
                return regset(tr, mine, (int) addr, data, request == SETREGSET);
            }
            case SETOPTIONS -> {
                if ((data & ~OPTIONS) != 0)
                    return -Errno.EINVAL;
                tr.setOptions(data);
                return 0;
            }
            case GETEVENTMSG -> {
                mine.writeLong(data, 0); // no events are reported
                return 0;
            }
            case CONT, DETACH -> {
                if (Long.compareUnsigned(data, Signals.NSIG) > 0)
                    return -Errno.EIO;
                if (request == CONT)
                    ptrace.resume(tr, (int) data);
                else
                    ptrace.detach(tr, (int) data);
                return 0;
            }
            default -> {
                if (logged.add(request))
                    kernel.kmsg().log("pid %d: ptrace request %#x is not supported; returning EIO", self.pid(), request);
                return -Errno.EIO;
            }
        }
    }

    private long attach(Thread t, Thread target, boolean seize, long addr, long options) {
        if (seize && addr != 0)
            return -Errno.EIO;
        if (seize && (options & ~OPTIONS) != 0)
            return -Errno.EINVAL;
        Ptrace ptrace = kernel.signals().ptrace();
        long r = ptrace.attach(t, target, seize, seize ? options : 0);
        if (r != Long.MIN_VALUE)
            return r;
        // it was stopped by job control: ATTACH returns once it trapped for its tracer (at once if it has:
        // with cores in parallel it may have trapped on its own core meanwhile)
        return ptrace.waitForTrap(t, target) ? SyscallDispatcher.NO_RETURN : 0;
    }

    /** A word of struct user: a register, a debug register, or 0 for the rest (as Linux). */
    private static long peekUser(Tracee tr, long offset) {
        if (offset < UserRegs.SIZE)
            return tr.regs().get((int) offset / 8);
        if (offset >= DEBUGREG && offset < DEBUGREG + 64)
            return tr.debug().get((int) (offset - DEBUGREG) / 8);
        return 0;
    }

    private static long pokeUser(Tracee tr, long offset, long value) {
        if ((offset & 7) != 0 || Long.compareUnsigned(offset, USER_SIZE) >= 0)
            return -Errno.EIO;
        if (offset < UserRegs.SIZE) {
            if (!tr.regs().set((int) offset / 8, value))
                return -Errno.EIO;
            tr.regsChanged();
            return 0;
        }
        if (offset >= DEBUGREG && offset < DEBUGREG + 64) {
            DebugRegisters.Write w = tr.debug().set((int) (offset - DEBUGREG) / 8, value);
            return w == DebugRegisters.Write.OK ? 0 : w == DebugRegisters.Write.EINVAL ? -Errno.EINVAL : -Errno.EIO;
        }
        return -Errno.EIO;
    }

    private static long setRegs(Tracee tr, byte[] raw) {
        if (!tr.regs().setAll(raw))
            return -Errno.EIO;
        tr.regsChanged();
        return 0;
    }

    /**
     * GETREGSET and SETREGSET(type, struct iovec *): the general registers (NT_PRSTATUS) or the FXSAVE image
     * (NT_PRFPREG), as much as the iovec holds; its length becomes what was copied. NT_X86_XSTATE is ENODEV,
     * as Linux says on a CPU without XSAVE (the emulated one has none).
     */
    private static long regset(Tracee tr, AddressSpace mine, int type, long iovVa, boolean set) {
        long base = mine.readLong(iovVa), len = mine.readLong(iovVa + 8);
        if (type != NT_PRSTATUS && type != NT_PRFPREG && type != NT_X86_XSTATE || len % 8 != 0)
            return -Errno.EINVAL;
        if (type == NT_X86_XSTATE)
            return -Errno.ENODEV;
        byte[] current = type == NT_PRSTATUS ? tr.regs().toBytes() : tr.fpu().clone();
        int n = (int) Math.min(Long.compareUnsigned(len, current.length) < 0 ? len : current.length, current.length);
        if (set) {
            mine.copyIn(base, current, 0, n);
            if (type == NT_PRSTATUS && setRegs(tr, current) != 0)
                return -Errno.EIO;
            if (type == NT_PRFPREG)
                tr.setFpu(current);
        } else {
            mine.copyOut(base, current, 0, n);
        }
        mine.writeLong(iovVa + 8, n);
        return 0;
    }
}
