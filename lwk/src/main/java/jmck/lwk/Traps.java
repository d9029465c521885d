package jmck.lwk;

import java.util.List;
import jmck.emulator.capstone.Disassembler;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.X86;
import jmck.lwk.signal.SigInfo;

/** Which signal each CPU exception raised in user mode becomes, as in Linux's arch/x86/kernel/traps.c. */
final class Traps {
    private Traps() {}

    static SigInfo signalFor(int vector, long rip) {
        switch (vector) {
            case X86.VEC_DE:
                return SigInfo.fault(Signals.SIGFPE, Signals.FPE_INTDIV, rip);
            case X86.VEC_DB:
            case X86.VEC_BP:
                return SigInfo.sent(Signals.SIGTRAP, Signals.SI_KERNEL, 0, 0);
            case X86.VEC_UD: // Linux reports every invalid opcode as ILL_ILLOPN
                return SigInfo.fault(Signals.SIGILL, Signals.ILL_ILLOPN, rip);
            case X86.VEC_NM:
                return SigInfo.fault(Signals.SIGFPE, Signals.FPE_FLTDIV, rip);
            case X86.VEC_MF:
            case X86.VEC_XM:
                return SigInfo.fault(Signals.SIGFPE, 0, rip);
            case X86.VEC_AC:
                return SigInfo.fault(Signals.SIGBUS, Signals.BUS_ADRALN, rip);
            default: // #GP, #SS, #NP, #TS, int n, bound, into: a segmentation fault from the kernel
                return SigInfo.sent(Signals.SIGSEGV, Signals.SI_KERNEL, 0, 0);
        }
    }

    /**
     * Whether vector came from an `int n` instruction (2 bytes, CD nn) rather than from the CPU. Unicorn
     * hands those to the interrupt hook with rip past the instruction; on Linux the gate's DPL 0 makes them
     * a #GP at the instruction (int3 and `int 3`, whose gate allows user mode, are traps that resume after).
     */
    static boolean softwareInterrupt(int vector) {
        return vector >= 32;
    }

    /**
     * The address of the first port-I/O instruction (in, out, ins, outs) in code, which starts at from and is
     * straight-line code up to the one that trapped (see io_trap in jmck_uc.c); from itself if none decodes.
     */
    static long portIoInstruction(byte[] code, long from) {
        try (Disassembler d = new Disassembler()) {
            List<Disassembler.Insn> insns = d.disassemble(code, from, code.length);
            for (Disassembler.Insn i : insns)
                if (i.mnemonic().matches("(rep )?(in|out|ins[bwd]|outs[bwd])"))
                    return i.address();
        }
        return from;
    }
}
