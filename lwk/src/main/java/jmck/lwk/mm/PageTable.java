package jmck.lwk.mm;

import jmck.emulator.PhysicalMemory;
import jmck.lwk.arch.Pte;

/**
 * A real x86-64 4-level page table (PML4, PDPT, PD, PT) kept in emulated physical memory, where the
 * emulated CPU's own MMU walks it: the root goes into CR3. Leaves are 4 KiB PTEs or 2 MiB PDEs (PS set).
 * Upper-level entries are P|RW|US; the leaf holds the real permissions, as in Linux. The kernel half
 * (PML4 slots 256..511) is shared by every address space.
 */
public final class PageTable {
    /** Flags of entries that point to a lower table. */
    private static final long TABLE_FLAGS = Pte.P | Pte.RW | Pte.US;
    private static final int KERNEL_FIRST_SLOT = 256;

    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    private final long root;
    private long tableFrames;

    /** A new, empty user half; kernelRoot's upper half (if not -1) is copied in. */
    public PageTable(PhysicalMemory mem, FrameAllocator frames, long kernelRoot) {
        this.mem = mem;
        this.frames = frames;
        this.root = newTable();
        if (kernelRoot >= 0)
            for (int i = KERNEL_FIRST_SLOT; i < 512; i++)
                mem.putLong(root + 8L * i, mem.getLong(kernelRoot + 8L * i));
    }

    /**
     * Cores on parallel host threads: every entry is written with A (and D on a writable page) already set,
     * so that QEMU's page walker, which sets them with a plain store, never writes one ({@link Pte#settled}).
     * Off in exact mode, where the walker's stores cannot race, so the stepper shows the CPU setting them.
     */
    private boolean settleEntries;

    public void setSettleEntries(boolean on) {
        settleEntries = on;
    }

    /** Whether entries are written with A and D set in advance (parallel mode). */
    public boolean settles() {
        return settleEntries;
    }

    /** e as this table writes it: {@link Pte#settled} when entries are settled in advance. */
    public long settle(long e) {
        return settleEntries ? Pte.settled(e) : e;
    }

    /** The PML4's physical address: the value for CR3. */
    public long root() {
        return root;
    }

    /** Frames used by the tables themselves. */
    public long tableFrames() {
        return tableFrames;
    }

    private long newTable() {
        long pa = frames.allocate(0);
        if (pa < 0)
            throw new OutOfMemoryException();
        mem.zero(pa, FrameAllocator.PAGE_SIZE);
        frames.markClean(pa, 0);
        tableFrames++;
        return pa;
    }

    private static int index(long va, int level) {
        return (int) ((va >>> (12 + 9 * (level - 1))) & 511);
    }

    /**
     * The physical address of the entry that maps va at the given leaf level (1 for 4 KiB, 2 for 2 MiB),
     * creating lower tables on the way when create is set; -1 if a table is missing and create is not set,
     * or if a larger page already covers va.
     */
    public long entryAddress(long va, int level, boolean create) {
        long table = root;
        for (int l = 4; l > level; l--) {
            long slot = table + 8L * index(va, l);
            long e = mem.getLong(slot);
            if (!Pte.present(e)) {
                if (!create)
                    return -1;
                long t = newTable();
                e = settle(t | TABLE_FLAGS);
                mem.putLong(slot, e);
            } else if ((e & Pte.PS) != 0) {
                return -1;
            }
            table = Pte.address(e);
        }
        return table + 8L * index(va, level);
    }

    /** Maps the page at va to the frame at pa with leaf flags (P is added; PS too for large pages). */
    public void map(long va, long pa, PageSize size, long flags) {
        long slot = entryAddress(va, size.level, true);
        if (slot < 0)
            throw new IllegalStateException("a larger page already maps " + Long.toHexString(va));
        if (size == PageSize.LARGE && Pte.holdsPage(mem.getLong(slot)))
            throw new IllegalStateException("a page table already maps part of " + Long.toHexString(va));
        mem.putLong(slot, settle(pa | flags | Pte.P | (size == PageSize.LARGE ? Pte.PS : 0)));
    }

    /** Writes a leaf entry exactly as given (PROT_NONE and copy-on-write entries included), making tables as needed. */
    public void setLeaf(long va, PageSize size, long entry) {
        long slot = entryAddress(va, size.level, true);
        if (slot < 0)
            throw new IllegalStateException("a larger page already maps " + Long.toHexString(va));
        mem.putLong(slot, settle(entry));
    }

    /** The leaf entry that maps va (4 KiB or 2 MiB), 0 if none. */
    public long leaf(long va) {
        Walk w = walk(va);
        return w.mapped() ? w.leaf() : 0;
    }

    /** Follows va through the tables as the MMU does and records every entry read. */
    public Walk walk(long va) {
        return walk(mem, root, va);
    }

    /** A walk over any page table in mem (the proxy uses this on the LWK's tables). */
    public static Walk walk(PhysicalMemory mem, long root, long va) {
        long[] tables = new long[4], entries = new long[4];
        int[] indices = new int[4];
        long table = root;
        for (int i = 0, level = 4; level >= 1; i++, level--) {
            int idx = index(va, level);
            long e = mem.getLong(table + 8L * idx);
            tables[i] = table;
            indices[i] = idx;
            entries[i] = e;
            if (!Pte.present(e))
                return new Walk(va, tables, indices, entries, i + 1, -1, null);
            if (level == 2 && (e & Pte.PS) != 0)
                return new Walk(va, tables, indices, entries, i + 1, (Pte.address(e) & -PageSize.LARGE.bytes) | (va & (PageSize.LARGE.bytes - 1)),
                        PageSize.LARGE);
            if (level == 1)
                return new Walk(va, tables, indices, entries, i + 1, Pte.address(e) | (va & 0xfff), PageSize.SMALL);
            table = Pte.address(e);
        }
        throw new AssertionError();
    }

    /**
     * The physical address va maps to, or -1. Allocation-free: this is the hot path of every kernel and
     * proxy access to guest memory. With write set, a page that is not writable counts as unmapped.
     */
    public static long translate(PhysicalMemory mem, long root, long va, boolean write) {
        long table = root;
        for (int level = 4; level >= 1; level--) {
            long e = mem.getLong(table + 8L * index(va, level));
            if (!Pte.present(e) || (e & Pte.US) == 0 || (write && (e & Pte.RW) == 0))
                return -1;
            if (level == 2 && (e & Pte.PS) != 0)
                return (e & Pte.ADDRESS_MASK & ~(PageSize.LARGE.bytes - 1)) | (va & (PageSize.LARGE.bytes - 1));
            if (level == 1)
                return Pte.address(e) | (va & 0xfff);
            table = Pte.address(e);
        }
        return -1;
    }

    public long translate(long va, boolean write) {
        return translate(mem, root, va, write);
    }

    /**
     * Visits every leaf that holds a page in [start, end) (user half), present or PROT_NONE: the action gets
     * the entry's address, its value, the virtual address it maps and its size. Used by munmap, mprotect
     * and teardown.
     */
    public void forEachLeaf(long start, long end, LeafVisitor action) {
        visit(root, 4, 0, start, end, action);
    }

    public interface LeafVisitor {
        void visit(long slot, long entry, long va, PageSize size);
    }

    private void visit(long table, int level, long base, long start, long end, LeafVisitor action) {
        long span = 1L << (12 + 9 * (level - 1));
        int first = (int) Math.max(0, (start - base) / span);
        for (int i = first; i < 512; i++) {
            long va = base + i * span;
            if (va >= end || (level == 4 && i >= KERNEL_FIRST_SLOT))
                break;
            if (va + span <= start)
                continue;
            long slot = table + 8L * i;
            long e = mem.getLong(slot);
            if (level == 1 || (level == 2 && (e & Pte.PS) != 0)) {
                if (Pte.holdsPage(e))
                    action.visit(slot, e, va, level == 1 ? PageSize.SMALL : PageSize.LARGE);
            } else if (Pte.present(e)) {
                visit(Pte.address(e), level - 1, va, start, end, action);
            }
        }
    }

    /** A table frame met by {@link #forEachTable}: its physical address, level (4 = PML4 .. 1 = PT) and the first address it maps. */
    public interface TableVisitor {
        void table(long pa, int level, long va);
    }

    /** For debuggers (read-only): visits the root and every lower table of the user half. */
    public void forEachTable(TableVisitor v) {
        forEachTable(mem, root, 0, KERNEL_FIRST_SLOT, v);
    }

    /**
     * For debuggers (read-only): visits the table at root and every table below PML4 slots [firstSlot,
     * endSlot) of any page table in mem (the kernel half: 256 to 512).
     */
    public static void forEachTable(PhysicalMemory mem, long root, int firstSlot, int endSlot, TableVisitor v) {
        v.table(root, 4, 0);
        visitTables(mem, root, 4, 0, firstSlot, endSlot, v);
    }

    private static void visitTables(PhysicalMemory mem, long table, int level, long base, int first, int end,
            TableVisitor v) {
        long span = 1L << (12 + 9 * (level - 1));
        for (int i = first; i < end; i++) {
            long e = mem.getLong(table + 8L * i);
            if (!Pte.present(e) || (e & Pte.PS) != 0)
                continue;
            long va = base + i * span;
            if (level == 4 && i >= KERNEL_FIRST_SLOT)
                va |= 0xffff_0000_0000_0000L; // canonical upper half
            v.table(Pte.address(e), level - 1, va);
            if (level > 2)
                visitTables(mem, Pte.address(e), level - 1, va, 0, 512, v);
        }
    }

    /** Frees the user half's tables (not the pages they map: the address space frees those first) and the root. */
    public void destroy() {
        freeTables(root, 4);
        tableFrames = 0;
    }

    private void freeTables(long table, int level) {
        if (level > 1) {
            int slots = level == 4 ? KERNEL_FIRST_SLOT : 512;
            for (int i = 0; i < slots; i++) {
                long e = mem.getLong(table + 8L * i);
                if (Pte.present(e) && (e & Pte.PS) == 0)
                    freeTables(Pte.address(e), level - 1);
            }
        }
        frames.free(table, 0);
    }

    /** Whether the page table under a PD entry (the 2 MiB region at va) maps nothing, so it can become a large page. */
    public boolean largeSlotFree(long va) {
        long slot = entryAddress(va, 2, false);
        if (slot < 0) // no page directory yet: nothing maps the region
            return true;
        long e = mem.getLong(slot);
        if ((e & Pte.PS) != 0)
            return !Pte.holdsPage(e);
        if (!Pte.present(e))
            return true;
        long pt = Pte.address(e);
        for (int i = 0; i < 512; i++)
            if (Pte.holdsPage(mem.getLong(pt + 8L * i)))
                return false;
        frames.free(pt, 0); // an empty page table: drop it so a 2 MiB leaf can take its place
        tableFrames--;
        mem.putLong(slot, 0);
        return true;
    }
}
