package jmck.lwk.mm;

import jmck.lwk.arch.Pte;

/**
 * What the MMU sees when it translates one virtual address: the entry read at each level, from the PML4
 * down to where the walk stopped (a non-present entry or a leaf). Levels are numbered 4 (PML4) to 1 (PT).
 */
public record Walk(long va, long[] tables, int[] indices, long[] entries, int depth, long physical, PageSize pageSize) {
    public static final String[] LEVEL_NAMES = {"", "PTE", "PDE", "PDPTE", "PML4E"};

    /** Whether the address is mapped (the leaf entry is present). */
    public boolean mapped() {
        return physical >= 0;
    }

    /** The leaf entry (or the non-present entry where the walk stopped). */
    public long leaf() {
        return entries[depth - 1];
    }

    /** Level (4..1) of the i-th entry read (i from 0). */
    public static int level(int i) {
        return 4 - i;
    }

    /** One line per level: name, index, table address, entry value and decoded flags. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            long e = entries[i];
            b.append(String.format("  %-5s [%3d] @%#014x = %#018x  %s%n", LEVEL_NAMES[level(i)], indices[i],
                    tables[i] + 8L * indices[i], e, Pte.describe(e)));
        }
        b.append(mapped() ? String.format("  => physical %#x (%s page)%n", physical, pageSize)
                : String.format("  => not mapped%n"));
        return b.toString();
    }
}
