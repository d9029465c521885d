package jmck.lwk.arch;

/** x86-64 architectural constants the kernel programs into each core. */
public final class X86 {
    private X86() {}

    public static final long CR0_PE = 1L, CR0_MP = 1L << 1, CR0_EM = 1L << 2, CR0_NE = 1L << 5, CR0_WP = 1L << 16,
            CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5, CR4_OSFXSR = 1L << 9, CR4_OSXMMEXCPT = 1L << 10;
    public static final long EFER_SCE = 1L, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;
    public static final int MSR_EFER = 0xC0000080, MSR_STAR = 0xC0000081;
    public static final long RFLAGS_IF = 1L << 9, RFLAGS_RESERVED = 1L << 1;

    /** Selectors, as Linux lays out its GDT (arch/x86/include/asm/segment.h). */
    public static final int KERNEL_CS = 0x10, KERNEL_DS = 0x18, USER32_CS = 0x23, USER_DS = 0x2b, USER_CS = 0x33;

    /** Exception vectors. */
    public static final int VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6, VEC_NM = 7,
            VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17,
            VEC_XM = 19;

    /** #PF error-code bits. */
    public static final int PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RSVD = 8, PF_FETCH = 16;

    /** The top of the user half (47-bit addresses), as Linux's TASK_SIZE_MAX. */
    public static final long USER_TOP = 0x0000_7fff_ffff_f000L;

    /** Whether va is canonical and in the user half. */
    public static boolean isUserAddress(long va) {
        return va >= 0 && va < USER_TOP;
    }

    /**
     * Linux's access_ok: [va, va + len) lies in the user half, without wrapping (it may still be unmapped).
     * Calls that check it before doing anything fail with EFAULT when it does not hold, even for len 0.
     */
    public static boolean accessOk(long va, long len) {
        long end = va + len;
        return Long.compareUnsigned(end, va) >= 0 && Long.compareUnsigned(end, USER_TOP) <= 0;
    }
}
