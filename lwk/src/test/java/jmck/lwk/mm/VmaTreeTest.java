package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jmck.lwk.abi.Mman;
import org.junit.jupiter.api.Test;

/**
 * Top-down placement with the gap index gives exactly the address the linear walk it replaced gave
 * ({@link #linearWalk}, AddressSpace.findFree up to the gap index, kept here as the specification), after
 * random inserts, removals, splits, stacks growing down and VMAs moving their ends; plus the rules one by
 * one, on the real constants.
 */
class VmaTreeTest {
    private static final long PAGE = 4096;
    private static final long BASE = AddressSpace.MMAP_BASE, MIN = AddressSpace.MMAP_MIN_ADDR,
            GUARD = AddressSpace.STACK_GUARD_GAP;

    private static Vma vma(long start, long end, boolean growsDown) {
        return new Vma(start, end, Mman.PROT_READ, false, growsDown, Backing.ANONYMOUS, 0, null, PageSize.SMALL);
    }

    /** The highest gap below mmapBase that holds len, by walking every VMA from the top: what findFree did. */
    static long linearWalk(List<Vma> ascending, long len, long mmapBase, long minAddr, long guard) {
        long top = mmapBase; // the end of the gap under consideration
        for (int i = ascending.size() - 1; i >= 0; i--) {
            Vma v = ascending.get(i);
            if (v.end <= top && top - v.end >= len)
                return top - len;
            top = Math.min(top, v.start - (v.growsDown ? guard : 0));
        }
        return top - len >= minAddr ? top - len : -1;
    }

    @Test
    void anEmptySpaceFillsDownFromTheMmapBase() {
        VmaTree t = new VmaTree(BASE, MIN, GUARD);
        assertEquals(BASE - PAGE, t.highestFreeGap(PAGE));
        t.insert(vma(BASE - PAGE, BASE, false));
        assertEquals(BASE - 3 * PAGE, t.highestFreeGap(2 * PAGE), "directly below the last mapping");
        assertEquals(MIN, t.highestFreeGap(BASE - PAGE - MIN), "the whole rest, down to mmap_min_addr");
        assertEquals(-1, t.highestFreeGap(BASE - PAGE - MIN + PAGE));
    }

    @Test
    void theHighestHoleThatHoldsTheRequestIsTaken() {
        VmaTree t = new VmaTree(BASE, MIN, GUARD);
        for (int i = 1; i <= 10; i++)
            t.insert(vma(BASE - i * PAGE, BASE - (i - 1) * PAGE, false));
        t.remove(t.find(BASE - 3 * PAGE)); // a one-page hole
        t.removeStartingIn(BASE - 8 * PAGE, BASE - 6 * PAGE); // a two-page hole below it
        assertEquals(BASE - 3 * PAGE, t.highestFreeGap(PAGE));
        assertEquals(BASE - 8 * PAGE, t.highestFreeGap(2 * PAGE), "the one-page hole is skipped");
        assertEquals(BASE - 13 * PAGE, t.highestFreeGap(3 * PAGE), "both holes are skipped");
    }

    @Test
    void mappingsAboveTheBaseAreSteppedOverAndAStacksGuardGapStaysFree() {
        VmaTree t = new VmaTree(BASE, MIN, GUARD);
        long stackTop = AddressSpace.STACK_TOP;
        t.insert(vma(stackTop - 32 * PAGE, stackTop, true));
        assertEquals(BASE - PAGE, t.highestFreeGap(PAGE), "the stack is above the base");
        VmaTree low = new VmaTree(BASE, MIN, GUARD);
        long s = BASE - (64L << 20);
        low.insert(vma(s, s + 32 * PAGE, true)); // a MAP_GROWSDOWN stack below the base
        assertEquals(BASE - PAGE, low.highestFreeGap(PAGE));
        long gapAbove = BASE - (s + 32 * PAGE);
        assertEquals(s - GUARD - gapAbove - PAGE, low.highestFreeGap(gapAbove + PAGE),
                "too large for the gap above the stack: under its guard gap");
        low.insert(vma(s - 2 * PAGE, s - PAGE, false)); // inside the guard gap (a fixed mapping may go there)
        assertEquals(s - GUARD - gapAbove - PAGE, low.highestFreeGap(gapAbove + PAGE),
                "no gap beside a VMA in the guard gap reaches into it");
    }

    @Test
    void splittingAndMovingEndsKeepTheGapsRight() {
        VmaTree t = new VmaTree(BASE, MIN, GUARD);
        Vma v = vma(BASE - 16 * PAGE, BASE - 8 * PAGE, false);
        t.insert(v);
        t.splitAt(BASE - 12 * PAGE);
        assertEquals(BASE - 12 * PAGE, t.find(BASE - 12 * PAGE).start());
        assertSame(v, t.find(BASE - 13 * PAGE));
        t.removeStartingIn(BASE - 12 * PAGE, BASE - 8 * PAGE);
        assertEquals(BASE - 8 * PAGE, t.highestFreeGap(8 * PAGE));
        assertEquals(BASE - 12 * PAGE, t.highestFreeGap(12 * PAGE));
        t.setEnd(v, BASE - 4 * PAGE);
        assertEquals(BASE - 4 * PAGE, t.highestFreeGap(4 * PAGE));
        assertEquals(BASE - 21 * PAGE, t.highestFreeGap(5 * PAGE));
        assertNull(t.find(BASE - 4 * PAGE));
    }

    @Test
    void randomChangesPlaceExactlyAsTheLinearWalk() {
        // small numbers so that holes, stacks, guard gaps, the base and the floor all meet often
        long base = 4000 * PAGE, min = 16 * PAGE, guard = 8 * PAGE;
        for (int seed = 1; seed <= 6; seed++) {
            Random r = new Random(seed);
            VmaTree t = new VmaTree(base, min, guard);
            for (int step = 0; step < 3000; step++) {
                long start = (long) r.nextInt(4200) * PAGE, len = (1 + r.nextInt(r.nextBoolean() ? 4 : 200)) * PAGE;
                switch (r.nextInt(8)) {
                    case 0, 1 -> { // top-down, as mmap without a hint
                        long at = t.highestFreeGap(len);
                        if (at >= 0)
                            t.insert(vma(at, at + len, false));
                    }
                    case 2 -> { // fixed, a stack now and then, over whatever is there
                        t.splitAt(start);
                        t.splitAt(start + len);
                        t.removeStartingIn(start, start + len);
                        t.insert(vma(start, start + len, r.nextInt(6) == 0));
                    }
                    case 3, 4 -> { // munmap
                        t.splitAt(start);
                        t.splitAt(start + len);
                        t.removeStartingIn(start, start + len);
                    }
                    case 5 -> { // grow or shrink a VMA's end in place (mremap, brk)
                        Vma v = t.find(start);
                        Vma next = v == null ? null : t.above(v.start);
                        long end = v == null ? 0 : v.start + len;
                        if (v != null && (next == null || next.start >= end))
                            t.setEnd(v, end);
                    }
                    case 6 -> { // a stack grows down
                        Vma v = t.above(start);
                        Vma below = v == null ? null : t.below(v.start);
                        long to = v == null ? 0 : Math.max(0, v.start - len);
                        if (v != null && v.growsDown && (below == null || below.end <= to))
                            t.setStart(v, to);
                    }
                    default -> {
                        Vma v = t.find(start);
                        if (v != null)
                            t.remove(v);
                    }
                }
                List<Vma> all = new ArrayList<>(t.all());
                for (long probe : new long[] {PAGE, 2 * PAGE, 3 * PAGE, 7 * PAGE, 64 * PAGE, len, 1000 * PAGE})
                    assertEquals(linearWalk(all, probe, base, min, guard), t.highestFreeGap(probe),
                            "seed " + seed + " step " + step + " len " + probe / PAGE + " pages, VMAs " + all);
            }
        }
    }
}
