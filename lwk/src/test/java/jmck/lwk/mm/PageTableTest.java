package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.arch.Pte;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PageTableTest {
    private PhysicalMemory mem;
    private FrameAllocator frames;

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(32L << 20);
        frames = new FrameAllocator(mem.size());
        frames.addRange(2L << 20, 30L << 20);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    @Test
    void walkShowsEveryLevelOfA4KMapping() {
        PageTable pt = new PageTable(mem, frames, -1);
        long va = 0x0000_7f12_3456_7000L, frame = frames.allocate(0);
        pt.map(va, frame, PageSize.SMALL, Pte.P | Pte.US | Pte.RW | Pte.NX);
        Walk w = pt.walk(va + 0x123);
        assertEquals(4, w.depth());
        assertEquals(frame + 0x123, w.physical());
        assertEquals(PageSize.SMALL, w.pageSize());
        assertEquals(List.of((int) ((va >>> 39) & 511), (int) ((va >>> 30) & 511), (int) ((va >>> 21) & 511),
                (int) ((va >>> 12) & 511)), List.of(w.indices()[0], w.indices()[1], w.indices()[2], w.indices()[3]));
        assertEquals(frame | Pte.P | Pte.US | Pte.RW | Pte.NX, w.leaf());
        assertEquals(3, pt.tableFrames() - 1); // PDPT, PD, PT besides the root
        assertTrue(w.describe().contains("PTE"));
        assertEquals(frame + 0x123, PageTable.translate(mem, pt.root(), va + 0x123, true));
    }

    /** Parallel mode: A, and D on a writable page, are set in advance, so QEMU's walker never writes an entry. */
    @Test
    void settledEntriesCarryTheirAccessedAndDirtyBits() {
        PageTable pt = new PageTable(mem, frames, -1);
        pt.setSettleEntries(true);
        long va = 0x0000_7f12_3456_7000L, frame = frames.allocate(0), ro = frames.allocate(0);
        pt.map(va, frame, PageSize.SMALL, Pte.P | Pte.US | Pte.RW);
        pt.map(va + 4096, ro, PageSize.SMALL, Pte.P | Pte.US);
        assertEquals(frame | Pte.P | Pte.US | Pte.RW | Pte.A | Pte.D, pt.walk(va).leaf());
        assertEquals(ro | Pte.P | Pte.US | Pte.A, pt.walk(va + 4096).leaf());
        Walk w = pt.walk(va);
        for (int level = 0; level < 3; level++) // the tables on the way have A set too
            assertEquals(Pte.A, w.entries()[level] & Pte.A);
    }

    @Test
    void largePagesLiveInThePageDirectory() {
        PageTable pt = new PageTable(mem, frames, -1);
        long va = 0x4000_0000L, frame = frames.allocate(9);
        pt.map(va, frame, PageSize.LARGE, Pte.P | Pte.US);
        Walk w = pt.walk(va + 0x12345);
        assertEquals(3, w.depth());
        assertEquals(PageSize.LARGE, w.pageSize());
        assertEquals(frame + 0x12345, w.physical());
        assertTrue((w.leaf() & Pte.PS) != 0);
        assertEquals(-1, PageTable.translate(mem, pt.root(), va, true), "read-only for writes");
    }

    @Test
    void notPresentStopsTheWalkAndSupervisorPagesAreHiddenFromUsers() {
        PageTable pt = new PageTable(mem, frames, -1);
        assertFalse(pt.walk(0x1000).mapped());
        assertEquals(1, pt.walk(0x1000).depth());
        long frame = frames.allocate(0);
        pt.map(0x5000, frame, PageSize.SMALL, Pte.P | Pte.RW); // no US
        assertTrue(pt.walk(0x5000).mapped());
        assertEquals(-1, PageTable.translate(mem, pt.root(), 0x5000, false));
    }

    @Test
    void visitsLeavesInRangeAndFreesItsTables() {
        long before = frames.freeFrames();
        PageTable pt = new PageTable(mem, frames, -1);
        List<Long> mapped = new ArrayList<>();
        for (long va : new long[] {0x1000, 0x2000, 0x40_0000_0000L, 0x7fff_ffff_f000L}) {
            pt.map(va, frames.allocate(0), PageSize.SMALL, Pte.P | Pte.US);
            mapped.add(va);
        }
        List<Long> seen = new ArrayList<>();
        pt.forEachLeaf(0x2000, 0x7fff_ffff_f000L, (slot, e, va, size) -> seen.add(va));
        assertEquals(List.of(0x2000L, 0x40_0000_0000L), seen);
        pt.forEachLeaf(0, 1L << 47, (slot, e, va, size) -> {
            mem.putLong(slot, 0);
            frames.unref(Pte.address(e), size.bytes, null);
        });
        pt.destroy();
        assertEquals(before, frames.freeFrames());
    }
}
