package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameAllocatorTest {
    private static final long MIB = 1 << 20;

    @Test
    void startsWithTheLargestAlignedBlocks() {
        FrameAllocator f = new FrameAllocator(64 * MIB);
        f.addRange(2 * MIB, 30 * MIB); // 2 MiB .. 32 MiB
        assertEquals(30 * MIB / 4096, f.totalFrames());
        assertEquals(f.totalFrames(), f.freeFrames());
        // 2-4 MiB (order 9), 4-8 (10), 8-16 (11), 16-32 (12)
        assertEquals(1, f.freeBlocks(9));
        assertEquals(1, f.freeBlocks(10));
        assertEquals(1, f.freeBlocks(11));
        assertEquals(1, f.freeBlocks(12));
    }

    @Test
    void allocatesLowestFirstAndMergesBuddiesBack() {
        FrameAllocator f = new FrameAllocator(16 * MIB);
        f.addRange(0, 16 * MIB);
        long a = f.allocate(0), b = f.allocate(0), c = f.allocate(9);
        assertEquals(0, a);
        assertEquals(4096, b);
        assertEquals(2 * MIB, c);
        assertEquals(16 * MIB / 4096 - 2 - 512, f.freeFrames());
        f.free(a, 0);
        f.free(b, 0);
        f.free(c, 9);
        assertEquals(1, f.freeBlocks(12)); // 16 MiB is one order-12 block again
        assertEquals(f.totalFrames(), f.freeFrames());
    }

    @Test
    void exhaustionReturnsMinusOne() {
        FrameAllocator f = new FrameAllocator(4 * MIB);
        f.addRange(0, 2 * MIB);
        assertEquals(0, f.allocate(9));
        assertEquals(-1, f.allocate(0));
        assertEquals(-1, f.largestFreeOrder());
    }

    @Test
    void doubleFreeIsCaught() {
        FrameAllocator f = new FrameAllocator(4 * MIB);
        f.addRange(0, 4 * MIB);
        long a = f.allocate(0);
        f.free(a, 0);
        assertThrows(IllegalStateException.class, () -> f.free(a, 0));
    }

    @Test
    void referencesKeepABlockUntilTheLastGoes() {
        FrameAllocator f = new FrameAllocator(4 * MIB);
        f.addRange(0, 4 * MIB);
        long big = f.allocate(9);
        f.ref(big, 2L << 20); // shared by a second mapping
        assertEquals(0, f.unref(big, 2L << 20, null));
        f.split(big); // now 512 frames, each mapped once: they free one by one
        for (int i = 0; i < 512; i++) {
            assertEquals(1, f.unref(big + 4096L * i, 4096, null));
            assertEquals(i + 1, f.freeFrames() - (f.totalFrames() - 512));
        }
        assertEquals(1, f.freeBlocks(10)); // and merged back into the 4 MiB block
    }

    @Test
    void aBlockKeepsItsOrderAndReferencesAcrossTheTablesChunks() {
        FrameAllocator f = new FrameAllocator(2048 * MIB); // the per-frame tables come in chunks of 64 MiB
        f.addRange(0, 2048 * MIB);
        long small = f.allocate(0), giant = f.allocate(18); // 1 GiB: sixteen chunks
        assertEquals(1024 * MIB, giant);
        assertEquals(18, f.blockOrder(giant + 700 * MIB));
        f.ref(giant + 900 * MIB, 4096); // any frame of the block names the block
        assertEquals(2, f.refCount(giant));
        f.split(giant); // 262,144 blocks of one frame, each with the block's references
        assertEquals(0, f.blockOrder(giant + 1000 * MIB));
        assertEquals(2, f.refCount(giant + 1000 * MIB));
        assertEquals(0, f.unref(giant, 1024 * MIB, null));
        assertEquals(1024 * MIB / 4096, f.unref(giant, 1024 * MIB, null));
        f.free(small, 0);
        assertEquals(f.totalFrames(), f.freeFrames());
        assertThrows(IllegalStateException.class, () -> f.refCount(giant), "freed");
    }

    @Test
    void rangesComeAndGoOnlyWhenFree() {
        FrameAllocator f = new FrameAllocator(64 * MIB);
        f.addRange(0, 32 * MIB);
        f.addRange(32 * MIB, 32 * MIB);
        long a = f.allocate(0);
        assertFalse(f.removeRange(0, 32 * MIB));
        assertTrue(f.removeRange(32 * MIB, 32 * MIB));
        assertEquals(32 * MIB / 4096, f.totalFrames());
        f.free(a, 0);
        assertTrue(f.removeRange(4 * MIB, 4 * MIB)); // a hole in the middle: blocks around it split
        assertEquals(28 * MIB / 4096, f.freeFrames());
        for (long b = f.allocate(0); b >= 0; b = f.allocate(0))
            assertFalse(b >= 4 * MIB && b < 8 * MIB, "allocated from a removed range");
    }

    @Test
    void randomAllocationsNeverOverlapAndAllReturn() {
        FrameAllocator f = new FrameAllocator(64 * MIB);
        f.addRange(2 * MIB, 62 * MIB);
        Random r = new Random(42);
        List<long[]> live = new ArrayList<>();
        java.util.BitSet used = new java.util.BitSet();
        for (int step = 0; step < 20_000; step++) {
            if (live.isEmpty() || r.nextInt(3) > 0) {
                int order = r.nextInt(10);
                long pa = f.allocate(order);
                if (pa < 0)
                    continue;
                assertEquals(0, pa & ((4096L << order) - 1), "misaligned block");
                int from = (int) (pa >>> 12), to = from + (1 << order);
                assertTrue(used.get(from, to).isEmpty(), "overlapping blocks");
                used.set(from, to);
                live.add(new long[] {pa, order});
            } else {
                long[] b = live.remove(r.nextInt(live.size()));
                f.free(b[0], (int) b[1]);
                used.clear((int) (b[0] >>> 12), (int) (b[0] >>> 12) + (1 << b[1]));
            }
            assertEquals(used.cardinality(), f.usedFrames());
        }
        for (long[] b : live)
            f.free(b[0], (int) b[1]);
        assertEquals(f.totalFrames(), f.freeFrames());
        for (int order = 9; order <= 13; order++) // merged back into 2-4, 4-8, 8-16, 16-32 and 32-64 MiB
            assertEquals(1, f.freeBlocks(order), "order " + order);
    }
}
