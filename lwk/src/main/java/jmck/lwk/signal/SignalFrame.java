package jmck.lwk.signal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.arch.FpuState;
import jmck.lwk.mm.AddressSpace;

/**
 * The x86-64 rt_sigframe Linux pushes on a user stack to run a signal handler, and its undoing by
 * rt_sigreturn (arch/x86/kernel/signal.c, signal_64.c). Layout, from the frame's address:
 * <pre>
 *   0    pretcode       return address: the handler returns into sa_restorer, which calls rt_sigreturn
 *   8    ucontext       uc_flags, uc_link, uc_stack (24 bytes), sigcontext (256 bytes), uc_sigmask
 *   312  siginfo        128 bytes
 *   ...  fpstate        512-byte FXSAVE image, 64-byte aligned, above the frame
 * </pre>
 */
public final class SignalFrame {
    static final int UC = 8, UC_STACK = UC + 16, MCONTEXT = UC + 40, SIGMASK = MCONTEXT + 256, INFO = 312,
            FRAME_SIZE = INFO + SigInfo.SIZE;
    static final int FPSTATE_SIZE = FpuState.IMAGE_SIZE;
    /** The minimum alternate-stack size worth reporting in AT_MINSIGSTKSZ: a frame, its FPU state, slack. */
    public static final int MIN_SIGSTACK = 2048;
    private static final long UC_SIGCONTEXT_SS = 2, UC_STRICT_RESTORE_SS = 4;
    /** sigcontext's general registers in order: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip. */
    private static final X86Reg[] GREGS = {X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13,
            X86Reg.R14, X86Reg.R15, X86Reg.RDI, X86Reg.RSI, X86Reg.RBP, X86Reg.RBX, X86Reg.RDX, X86Reg.RAX,
            X86Reg.RCX, X86Reg.RSP, X86Reg.RIP};
    private static final long RFLAGS_USER = 0x254dd5L; // CF PF AF ZF SF TF DF OF NT AC ID and friends
    private static final long RFLAGS_CLEAR_ON_ENTRY = (1L << 10) | (1L << 8) | (1L << 16); // DF TF RF

    private SignalFrame() {}

    /**
     * Builds a frame for sig on the stack (or the alternate stack) and points the CPU at the handler.
     * Returns false if the frame cannot be written (the caller then kills the process with SIGSEGV).
     */
    static boolean push(Cpu cpu, AddressSpace mm, SigAction action, SigInfo info, long oldMask, long altSp, long altSize,
            int altFlags, long trapErrorCode, long trapNo, long cr2) {
        long rsp = cpu.reg(X86Reg.RSP);
        boolean onAlt = altSize > 0 && rsp > altSp && rsp <= altSp + altSize;
        long sp = rsp - 128; // the red zone
        if (action.has(SigAction.SA_ONSTACK) && (altFlags & 2) == 0 && !onAlt)
            sp = altSp + altSize;
        long fpstate = (sp - FPSTATE_SIZE) & ~63L;
        long frame = ((fpstate - FRAME_SIZE) & ~15L) - 8;

        ByteBuffer b = ByteBuffer.allocate(FRAME_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, action.restorer());
        b.putLong(UC, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
        b.putLong(UC_STACK, altSp);
        b.putInt(UC_STACK + 8, altSize == 0 ? 2 : onAlt ? 1 : altFlags);
        b.putLong(UC_STACK + 16, altSize);
        for (int i = 0; i < GREGS.length; i++)
            b.putLong(MCONTEXT + 8 * i, cpu.reg(GREGS[i]));
        b.putLong(MCONTEXT + 8 * 17, cpu.reg(X86Reg.RFLAGS));
        b.putShort(MCONTEXT + 144, (short) 0x33); // cs
        b.putShort(MCONTEXT + 150, (short) 0x2b); // ss
        b.putLong(MCONTEXT + 152, trapErrorCode);
        b.putLong(MCONTEXT + 160, trapNo);
        b.putLong(MCONTEXT + 168, oldMask);
        b.putLong(MCONTEXT + 176, cr2);
        b.putLong(MCONTEXT + 184, fpstate);
        b.putLong(SIGMASK, oldMask);
        b.put(INFO, info.toBytes());
        try {
            mm.copyOut(fpstate, FpuState.save(cpu));
            mm.copyOut(frame, b.array());
        } catch (jmck.lwk.mm.BadAddressException e) {
            return false;
        }
        cpu.setReg(X86Reg.RSP, frame);
        cpu.setReg(X86Reg.RIP, action.handler());
        cpu.setReg(X86Reg.RDI, info.signo());
        cpu.setReg(X86Reg.RSI, frame + INFO);
        cpu.setReg(X86Reg.RDX, frame + UC);
        cpu.setReg(X86Reg.RAX, 0);
        cpu.setReg(X86Reg.RFLAGS, cpu.reg(X86Reg.RFLAGS) & ~RFLAGS_CLEAR_ON_ENTRY);
        FpuState.init(cpu); // the handler starts from the initial FPU state (Linux's fpu__clear_user_states)
        return true;
    }

    /** What rt_sigreturn found in the frame: the mask to restore and the alternate stack settings. */
    record Restored(long mask, long altSp, long altSize, int altFlags) {}

    /**
     * Undoes a frame: rsp points just past pretcode (the handler's ret popped it). Restores registers, flags
     * and FPU state; returns null if the frame cannot be read.
     */
    static Restored pop(Cpu cpu, AddressSpace mm) {
        long frame = cpu.reg(X86Reg.RSP) - 8;
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(mm.copyIn(frame, FRAME_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (jmck.lwk.mm.BadAddressException e) {
            return null;
        }
        for (int i = 0; i < GREGS.length; i++)
            cpu.setReg(GREGS[i], b.getLong(MCONTEXT + 8 * i));
        long flags = cpu.reg(X86Reg.RFLAGS);
        cpu.setReg(X86Reg.RFLAGS, (flags & ~RFLAGS_USER) | (b.getLong(MCONTEXT + 8 * 17) & RFLAGS_USER));
        long fpstate = b.getLong(MCONTEXT + 184);
        if (fpstate != 0) {
            try {
                FpuState.restore(cpu, mm.copyIn(fpstate, FPSTATE_SIZE));
            } catch (jmck.lwk.mm.BadAddressException e) {
                return null;
            }
        }
        return new Restored(b.getLong(SIGMASK), b.getLong(UC_STACK), b.getLong(UC_STACK + 16), b.getInt(UC_STACK + 8));
    }
}
