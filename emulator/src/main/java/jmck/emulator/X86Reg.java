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
    FPTAG(247);

    /** The uc_x86_reg value. */
    public final int id;

    X86Reg(int id) {
        this.id = id;
    }
}
