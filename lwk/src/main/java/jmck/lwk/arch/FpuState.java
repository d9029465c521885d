package jmck.lwk.arch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;

/** The x87/SSE state as a 512-byte FXSAVE image (Intel SDM vol. 1, 10.5.1), read from and written to a CPU. */
public final class FpuState {
    private FpuState() {}

    /** Linux's initial x87 control word: all exceptions masked, 64-bit precision, round to nearest. */
    public static final int FCW_INIT = 0x37f;
    /** Linux's initial MXCSR: all exceptions masked, round to nearest, no flush-to-zero. */
    public static final int MXCSR_INIT = 0x1f80;

    /**
     * Puts the FPU in the state Linux gives a new program (execve) and a signal handler (init_fpstate):
     * the control words above, empty x87 stack, zero XMM registers. A thread or child starts with a copy
     * of its parent's state instead.
     */
    public static void init(Cpu cpu) {
        cpu.setReg(X86Reg.FPCW, FCW_INIT);
        cpu.setReg(X86Reg.FPSW, 0);
        cpu.setReg(X86Reg.FPTAG, 0xffff); // two bits per register, 3 = empty
        cpu.setReg(X86Reg.MXCSR, MXCSR_INIT);
        long[] zero = {0, 0};
        for (int i = 0; i < 8; i++)
            cpu.setRegWide(X86Reg.st(i), zero);
        for (int i = 0; i < 16; i++)
            cpu.setRegWide(X86Reg.xmm(i), zero);
    }

    /** The size of an FXSAVE image. */
    public static final int IMAGE_SIZE = 512;

    public static byte[] save(Cpu cpu) {
        ByteBuffer b = ByteBuffer.allocate(IMAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) cpu.reg(X86Reg.FPCW));
        b.putShort(2, (short) cpu.reg(X86Reg.FPSW));
        long tags = cpu.reg(X86Reg.FPTAG); // two bits per register, 3 = empty
        int abridged = 0;
        for (int i = 0; i < 8; i++)
            if (((tags >> (2 * i)) & 3) != 3)
                abridged |= 1 << i;
        b.put(4, (byte) abridged);
        b.putInt(24, (int) cpu.reg(X86Reg.MXCSR));
        b.putInt(28, 0xffff); // MXCSR_MASK
        for (int i = 0; i < 8; i++) {
            long[] st = cpu.regWide(X86Reg.st(i));
            b.putLong(32 + 16 * i, st[0]);
            b.putShort(40 + 16 * i, (short) st[1]);
        }
        for (int i = 0; i < 16; i++) {
            long[] x = cpu.regWide(X86Reg.xmm(i));
            b.putLong(160 + 16 * i, x[0]);
            b.putLong(168 + 16 * i, x[1]);
        }
        return b.array();
    }

    public static void restore(Cpu cpu, byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        cpu.setReg(X86Reg.FPCW, b.getShort(0) & 0xffff);
        cpu.setReg(X86Reg.FPSW, b.getShort(2) & 0xffff);
        int abridged = b.get(4) & 0xff;
        long tags = 0;
        for (int i = 0; i < 8; i++)
            if ((abridged & (1 << i)) == 0)
                tags |= 3L << (2 * i);
        cpu.setReg(X86Reg.FPTAG, tags);
        cpu.setReg(X86Reg.MXCSR, b.getInt(24) & 0xffffL);
        for (int i = 0; i < 8; i++)
            cpu.setRegWide(X86Reg.st(i), new long[] {b.getLong(32 + 16 * i), b.getShort(40 + 16 * i) & 0xffff});
        for (int i = 0; i < 16; i++)
            cpu.setRegWide(X86Reg.xmm(i), new long[] {b.getLong(160 + 16 * i), b.getLong(168 + 16 * i)});
    }
}
