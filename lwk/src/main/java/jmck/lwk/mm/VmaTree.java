package jmck.lwk.mm;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The VMAs of one address space, by start address, and the free gaps between them (Linux's VMA tree,
 * McKernel's vm_range list). Every change of a VMA's extent goes through here, so that the gap index
 * ({@link GapTree}) stays in step and {@link #highestFreeGap} finds where a top-down mmap goes in O(log n)
 * instead of walking every VMA from the top (a program with 8,000 mappings paid ~100 us per mmap).
 *
 * <p>Placement is Linux's without ASLR, and what the linear walk it replaces did: the highest gap of at
 * least len bytes below mmapBase, its top end. A gap runs from the end of the VMA below (or minAddr) up to
 * the start of the VMA above, less the stack guard gap if that one grows down, and no gap reaches above the
 * guard gap of any stack higher up (so a VMA placed inside a stack's guard gap leaves no room beside it).
 * Not locked itself: the mm lock ({@link AddressSpace}) covers it.
 */
final class VmaTree {
    /** The key of the gap above the highest VMA. */
    private static final long TOP_GAP = Long.MAX_VALUE;

    private final long mmapBase;
    private final long minAddr;
    private final long guardGap;
    private final TreeMap<Long, Vma> byStart = new TreeMap<>();
    private final Collection<Vma> all = Collections.unmodifiableCollection(byStart.values());
    /** Where the VMAs that grow down start: their guard gaps bound the gaps below them. */
    private final TreeSet<Long> stackStarts = new TreeSet<>();
    private final GapTree gaps = new GapTree();

    /**
     * An empty tree: top-down placement starts at mmapBase and stops at minAddr; guardGap bytes below a
     * VMA that grows down stay free.
     */
    VmaTree(long mmapBase, long minAddr, long guardGap) {
        this.mmapBase = mmapBase;
        this.minAddr = minAddr;
        this.guardGap = guardGap;
        refreshGaps(0, TOP_GAP);
    }

    // ---- reading ----

    /** The VMA that contains va, or null. */
    Vma find(long va) {
        Map.Entry<Long, Vma> e = byStart.floorEntry(va);
        return e != null && e.getValue().contains(va) ? e.getValue() : null;
    }

    /** Whether no VMA overlaps [start, end). */
    boolean isFree(long start, long end) {
        Map.Entry<Long, Vma> below = byStart.lowerEntry(end);
        return below == null || below.getValue().end <= start;
    }

    /** Every VMA in address order (a read-only view). */
    Collection<Vma> all() {
        return all;
    }

    /** The VMAs that start in [start, end), in address order (a read-only view). */
    Collection<Vma> startingIn(long start, long end) {
        return Collections.unmodifiableCollection(byStart.subMap(start, end).values());
    }

    /** The first VMA that starts above va, or null. */
    Vma above(long va) {
        Map.Entry<Long, Vma> e = byStart.higherEntry(va);
        return e == null ? null : e.getValue();
    }

    /** The last VMA that starts below va, or null. */
    Vma below(long va) {
        Map.Entry<Long, Vma> e = byStart.lowerEntry(va);
        return e == null ? null : e.getValue();
    }

    /** Top-down placement: the start of len bytes at the top of the highest gap that holds them, or -1. */
    long highestFreeGap(long len) {
        return gaps.highestFit(len);
    }

    // ---- changing ----

    /** Adds a VMA over a range that is free. */
    void insert(Vma v) {
        byStart.put(v.start, v);
        if (v.growsDown)
            stackStarts.add(v.start);
        refreshGaps(lowestAffected(v.start, v.growsDown), v.end);
    }

    /** Removes the VMAs that start in [start, end) (split at the edges first to remove a range). */
    void removeStartingIn(long start, long end) {
        Map<Long, Vma> range = byStart.subMap(start, end);
        if (range.isEmpty())
            return;
        boolean stack = false;
        long top = start;
        for (Vma v : range.values()) {
            gaps.remove(v.start);
            stack |= stackStarts.remove(v.start);
            top = Math.max(top, v.end);
        }
        range.clear();
        refreshGaps(lowestAffected(start, stack), top);
    }

    /** Removes one VMA. */
    void remove(Vma v) {
        removeStartingIn(v.start, v.start + 1);
    }

    /** Makes a VMA boundary at va if va falls inside a VMA. */
    void splitAt(long va) {
        Vma v = find(va);
        if (v != null && v.start != va) {
            Vma upper = v.splitAt(va);
            byStart.put(upper.start, upper);
            if (upper.growsDown)
                stackStarts.add(upper.start);
            refreshGaps(lowestAffected(va, upper.growsDown), upper.end);
        }
    }

    /** Moves a VMA's end (mremap and brk growing or shrinking it in place; the new part must be free). */
    void setEnd(Vma v, long end) {
        long old = v.end;
        v.end = end;
        refreshGaps(v.start, Math.max(old, end));
    }

    /** Moves a VMA's start (a stack growing down; the new part must be free). The caller adjusts its offset. */
    void setStart(Vma v, long start) {
        long old = v.start;
        byStart.remove(old);
        gaps.remove(old);
        if (v.growsDown) {
            stackStarts.remove(old);
            stackStarts.add(start);
        }
        v.start = start;
        byStart.put(start, v);
        refreshGaps(lowestAffected(Math.min(old, start), v.growsDown), v.end);
    }

    void clear() {
        byStart.clear();
        stackStarts.clear();
        gaps.clear();
        refreshGaps(0, TOP_GAP);
    }

    // ---- the gap index ----

    /** A change at start reaches the gaps below it up to a guard gap deep if a stack moved. */
    private long lowestAffected(long start, boolean stack) {
        return stack ? start - guardGap : start;
    }

    /**
     * Files again the gaps that a change of the VMAs in [lo, hi) may have changed: the gap below each VMA
     * that starts in that range, and the gap above it (below the next VMA, or the top one).
     */
    private void refreshGaps(long lo, long hi) {
        for (Vma v : byStart.subMap(lo, hi).values())
            fileGapBelow(v);
        Map.Entry<Long, Vma> next = hi == TOP_GAP ? null : byStart.ceilingEntry(hi);
        if (next != null) {
            fileGapBelow(next.getValue());
        } else {
            Map.Entry<Long, Vma> highest = byStart.lastEntry();
            long bottom = highest == null ? minAddr : highest.getValue().end;
            gaps.put(TOP_GAP, mmapBase, Math.max(0, mmapBase - bottom));
        }
    }

    /** Files the gap between v and the VMA below it. */
    private void fileGapBelow(Vma v) {
        long top = v.growsDown ? v.start - guardGap : v.start;
        Long stack = stackStarts.higher(v.start); // the lowest stack above: its guard gap may reach down here
        if (stack != null)
            top = Math.min(top, stack - guardGap);
        top = Math.min(top, mmapBase);
        Map.Entry<Long, Vma> prev = byStart.lowerEntry(v.start);
        long bottom = prev == null ? minAddr : prev.getValue().end;
        gaps.put(v.start, top, Math.max(0, top - bottom));
    }
}
