package jmck.lwk.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;

/**
 * x86-64's struct user_regs_struct (sys/user.h), what ptrace's GETREGS, SETREGS, PEEKUSER and POKEUSER show
 * of a stopped thread: 27 words, read from a CPU holding the thread's registers and written back to one.
 * Writes are checked as Linux's putreg does (segment selectors must be user ones, bases user addresses).
 */
public final class UserRegs {
    /** The words in order; ORIG_RAX is the syscall number, not a register. */
    public static final int R15 = 0, R14 = 1, R13 = 2, R12 = 3, RBP = 4, RBX = 5, R11 = 6, R10 = 7, R9 = 8, R8 = 9,
            RAX = 10, RCX = 11, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16, CS = 17, EFLAGS = 18, RSP = 19,
            SS = 20, FS_BASE = 21, GS_BASE = 22, DS = 23, ES = 24, FS = 25, GS = 26, COUNT = 27;
    public static final int SIZE = COUNT * 8;
    private static final X86Reg[] REGS = {X86Reg.R15, X86Reg.R14, X86Reg.R13, X86Reg.R12, X86Reg.RBP, X86Reg.RBX,
            X86Reg.R11, X86Reg.R10, X86Reg.R9, X86Reg.R8, X86Reg.RAX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI,
            null, X86Reg.RIP, X86Reg.CS, X86Reg.RFLAGS, X86Reg.RSP, X86Reg.SS, X86Reg.FS_BASE, X86Reg.GS_BASE,
            X86Reg.DS, X86Reg.ES, X86Reg.FS, X86Reg.GS};
    /** The flags a tracer may change (Linux's FLAG_MASK): CF PF AF ZF SF TF DF OF NT AC and friends. */
    private static final long FLAG_MASK = 0x254dd5L;

    private final long[] words;

    private UserRegs(long[] words) {
        this.words = words;
    }

    /** The registers on cpu, with orig_rax the syscall number the thread is in or last made. */
    public static UserRegs read(Cpu cpu, long origRax) {
        long[] w = new long[COUNT];
        for (int i = 0; i < COUNT; i++)
            w[i] = REGS[i] == null ? origRax : cpu.reg(REGS[i]);
        return new UserRegs(w);
    }

    /** Puts the general registers, flags and bases back on cpu (selectors stay: Linux allows only the same ones). */
    public void write(Cpu cpu) {
        for (int i = 0; i < COUNT; i++)
            if (REGS[i] != null && i != CS && i != SS && i != DS && i != ES && i != FS && i != GS)
                cpu.setReg(REGS[i], words[i]);
    }

    public long get(int index) {
        return words[index];
    }

    public long origRax() {
        return words[ORIG_RAX];
    }

    /**
     * Sets one word as Linux's putreg does; false (EIO) for a value it refuses: a selector that is not the
     * thread's own user one, a base outside the user half. Only the changeable flags change.
     */
    public boolean set(int index, long value) {
        switch (index) {
            case CS, SS -> {
                if (value != words[index]) // no switch to 32-bit code here
                    return false;
            }
            case DS, ES, FS, GS -> { // kept but not loaded: 64-bit code does not use them
                if (value >>> 16 != 0 || value != 0 && (value & 3) != 3)
                    return false;
            }
            case FS_BASE, GS_BASE -> {
                if (!X86.isUserAddress(value))
                    return false;
            }
            case EFLAGS -> value = words[EFLAGS] & ~FLAG_MASK | value & FLAG_MASK;
            default -> { }
        }
        words[index] = value;
        return true;
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words)
            b.putLong(w);
        return b.array();
    }

    /** SETREGS: every word of raw set in order; false (EIO) if one is refused, with nothing changed then. */
    public boolean setAll(byte[] raw) {
        UserRegs copy = new UserRegs(words.clone());
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < COUNT; i++)
            if (!copy.set(i, b.getLong(8 * i)))
                return false;
        System.arraycopy(copy.words, 0, words, 0, COUNT);
        return true;
    }
}
