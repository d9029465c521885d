package jmck.lwk.arch;

/**
 * x86-64 page-table entry bits (Intel SDM vol. 3, 4.5). The same layout serves all four levels; PS marks
 * a 2 MiB page in a page-directory entry.
 */
public final class Pte {
    public static final long P = 1L;          // present
    public static final long RW = 1L << 1;    // writable
    public static final long US = 1L << 2;    // user-accessible
    public static final long PWT = 1L << 3;
    public static final long PCD = 1L << 4;
    public static final long A = 1L << 5;     // accessed, set by the CPU's walker
    public static final long D = 1L << 6;     // dirty, set by the CPU on a write
    public static final long PS = 1L << 7;    // page size: 2 MiB page at the PD level
    public static final long G = 1L << 8;
    public static final long COW = 1L << 9;   // software bit: copy-on-write page (read-only until written)
    /** Software bit: a page of a PROT_NONE mapping. P is clear so every access faults, but the frame stays. */
    public static final long PROTNONE = 1L << 10;
    public static final long NX = 1L << 63;   // no execute (EFER.NXE on)
    public static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;

    private Pte() {}

    /**
     * e with the A bit set, and D on a writable page: set in advance so that QEMU's page walker never writes
     * an entry. It sets them with a plain load and store (real CPUs use a locked update), which, with cores
     * on parallel host threads, could put back an entry another core just changed (an unmap, a downgrade).
     * Used in parallel mode only (PageTable.setSettleEntries); there the dirty tracking of shared file
     * mappings (AddressSpace.writeBack) makes a clean page read-only as well, so the walker never sets D.
     */
    public static long settled(long e) {
        if ((e & P) == 0)
            return e;
        return e | A | ((e & RW) != 0 ? D : 0);
    }

    public static boolean present(long e) {
        return (e & P) != 0;
    }

    /** Whether the entry holds a page: present, or kept but made inaccessible by PROT_NONE. */
    public static boolean holdsPage(long e) {
        return (e & (P | PROTNONE)) != 0;
    }

    public static long address(long e) {
        return e & ADDRESS_MASK;
    }

    /** The flags as a short string, e.g. "P RW US A D NX", for walks and traces. */
    public static String describe(long e) {
        if (e == 0)
            return "(empty)";
        StringBuilder b = new StringBuilder();
        flag(b, e, P, "P");
        flag(b, e, RW, "RW");
        flag(b, e, US, "US");
        flag(b, e, PWT, "PWT");
        flag(b, e, PCD, "PCD");
        flag(b, e, A, "A");
        flag(b, e, D, "D");
        flag(b, e, PS, "PS");
        flag(b, e, G, "G");
        flag(b, e, COW, "COW");
        flag(b, e, PROTNONE, "PROTNONE");
        flag(b, e, NX, "NX");
        return b.length() == 0 ? "-" : b.toString();
    }

    private static void flag(StringBuilder b, long e, long bit, String name) {
        if ((e & bit) != 0) {
            if (b.length() > 0)
                b.append(' ');
            b.append(name);
        }
    }
}
