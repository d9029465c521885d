package jmck.lwk.arch;

/**
 * A traced thread's debug registers DR0-DR7 as ptrace's PEEKUSER and POKEUSER show them (u_debugreg in
 * struct user), checked as Linux checks the hardware breakpoints they stand for (arch/x86/kernel/ptrace.c,
 * hw_breakpoint.c): an address in the kernel's half or not aligned to its length, an I/O breakpoint, an
 * execute breakpoint longer than one byte are EINVAL. jmck keeps the values but arms no breakpoint: the
 * emulated cores do not raise #DB for them.
 */
public final class DebugRegisters {
    /** The result of a write: done, refused (EINVAL), or no such register (EIO: DR4, DR5, past DR7). */
    public enum Write { OK, EINVAL, EIO }

    private static final long DR6_RESERVED = 0xffff0ff0L;
    private static final int RW_EXECUTE = 0, RW_IO = 2;
    private final long[] address = new long[4];
    /** Whether a breakpoint stands behind slot i yet (Linux registers one on the first write or enable). */
    private final boolean[] registered = new boolean[4];
    private long dr6, dr7;

    /** DRn's value; DR4 and DR5 read as 0, as on Linux. */
    public long get(int n) {
        if (n < 4)
            return address[n];
        return n == 6 ? dr6 ^ DR6_RESERVED : n == 7 ? dr7 : 0;
    }

    public Write set(int n, long value) {
        if (n < 4) {
            int bits = registered[n] ? (int) (dr7 >>> (16 + 4 * n)) & 15 : 1; // unregistered: a 1-byte write breakpoint
            if (!valid(value, bits & 3, bits >> 2))
                return Write.EINVAL;
            address[n] = value;
            registered[n] = true;
            return Write.OK;
        }
        if (n == 6) {
            dr6 = value;
            return Write.OK;
        }
        if (n != 7)
            return Write.EIO;
        for (int i = 0; i < 4; i++) {
            boolean enabled = (value >>> (2 * i) & 3) != 0;
            int bits = (int) (value >>> (16 + 4 * i)) & 15;
            if ((registered[i] || enabled) && !valid(address[i], bits & 3, bits >> 2))
                return Write.EINVAL;
        }
        for (int i = 0; i < 4; i++)
            registered[i] |= (value >>> (2 * i) & 3) != 0;
        dr7 = value;
        return Write.OK;
    }

    /** Whether a breakpoint of this kind (DR7's R/W and LEN fields) may watch va. */
    private static boolean valid(long va, int rw, int lenBits) {
        if (rw == RW_IO || rw == RW_EXECUTE && lenBits != 0)
            return false;
        int len = rw == RW_EXECUTE ? 8 : new int[] {1, 2, 8, 4}[lenBits];
        if (rw != RW_EXECUTE && (va & (len - 1)) != 0)
            return false;
        return Long.compareUnsigned(va, X86.USER_TOP) < 0 && Long.compareUnsigned(va + len - 1, X86.USER_TOP) < 0;
    }
}
