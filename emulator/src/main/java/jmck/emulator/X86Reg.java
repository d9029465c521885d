package jmck.emulator;

/** The x86 registers jmck reads and writes, with their uc_x86_reg numbers from Unicorn 2.1's x86.h. */
public enum X86Reg {
    RAX(35),
    RBX(37),
    RCX(38),
    RDX(40),
    RSI(43),
    RDI(39),
    RBP(36),
    RSP(44),
    R8(106),
    R9(107),
    R10(108),
    R11(109),
    R12(110),
    R13(111),
    R14(112),
    R15(113),
    RIP(41),
    RFLAGS(253),
    CS(11),
    SS(49),
    DS(17),
    ES(28),
    FS(32),
    GS(33),
    FS_BASE(250),
    GS_BASE(251),
    CR0(50),
    CR2(52),
    CR3(53),
    CR4(54),
    MSR(248),
    GDTR(243),
    IDTR(242),
    MXCSR(249),
    FPCW(246),
    FPSW(31),
    FPTAG(247),
    ST0(114), ST1(115), ST2(116), ST3(117), ST4(118), ST5(119), ST6(120), ST7(121),
    XMM0(122), XMM1(123), XMM2(124), XMM3(125), XMM4(126), XMM5(127), XMM6(128), XMM7(129),
    XMM8(130), XMM9(131), XMM10(132), XMM11(133), XMM12(134), XMM13(135), XMM14(136), XMM15(137);

    /** XMMi. */
    public static X86Reg xmm(int i) {
        return values()[XMM0.ordinal() + i];
    }

    /** ST(i). */
    public static X86Reg st(int i) {
        return values()[ST0.ordinal() + i];
    }

    /** The uc_x86_reg value. */
    public final int id;

    X86Reg(int id) {
        this.id = id;
    }
}
