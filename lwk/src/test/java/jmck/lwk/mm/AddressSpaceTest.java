package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.FaultOutcome.Access;
import jmck.lwk.mm.FaultOutcome.Decision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The address space's own bookkeeping under random operations: after every mmap, munmap, mprotect,
 * madvise, mremap and touch, the page table agrees with the VMAs (every present leaf lies in a VMA and
 * carries exactly its permissions), resident bytes add up, and no frame is lost or leaked.
 * (What the guest CPU itself can read and write is compared with Linux in the proxy's MemoryTest.)
 */
class AddressSpaceTest {
    private static final long BASE = 0x10_0000_0000L, PAGE = 4096;
    private PhysicalMemory mem;
    private FrameAllocator frames;
    private int flushes;

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(256L << 20);
        frames = new FrameAllocator(mem.size());
        frames.addRange(2L << 20, 254L << 20);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    private AddressSpace space(PageSize max) {
        AddressSpace as = new AddressSpace(mem, frames, -1, max);
        as.setShootdown(new AddressSpace.Shootdown() {
            @Override
            public void flush(AddressSpace a) {
                flushes++;
            }

            @Override
            public void retireCode(long pa, long length) {}
        });
        return as;
    }

    @Test
    void demandPagingMapsOnFirstTouchAndNotBefore() {
        AddressSpace as = space(PageSize.LARGE);
        long a = as.mmap(0, 8L << 20, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS,
                Backing.ANONYMOUS, 0);
        assertEquals(0, as.residentBytes());
        long aligned = (a + (2L << 20) - 1) & -(2L << 20);
        FaultOutcome o = as.fault(aligned + 5, Access.WRITE, false);
        assertEquals(Decision.MAPPED, o.decision());
        assertEquals(PageSize.LARGE, o.pageSize());
        FaultOutcome edge = as.fault(a, Access.READ, false);
        assertEquals(a == aligned ? PageSize.LARGE : PageSize.SMALL, edge.pageSize());
        assertEquals(Decision.SEGV_MAPERR, as.fault(0x1000, Access.READ, false).decision());
        as.mprotect(a, PAGE, Mman.PROT_READ);
        assertEquals(Decision.SEGV_ACCERR, as.fault(a, Access.WRITE, true).decision());
        assertEquals(Decision.SEGV_ACCERR, as.fault(a, Access.EXEC, true).decision());
    }

    @Test
    void teachingModeUsesOnly4KPages() {
        AddressSpace as = space(PageSize.SMALL);
        long a = as.mmap(BASE, 4L << 20, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED, Backing.ANONYMOUS, 0);
        for (long va = a; va < a + (4L << 20); va += PAGE)
            assertEquals(PageSize.SMALL, as.fault(va, Access.WRITE, false).pageSize());
        assertEquals(4L << 20, as.residentBytes());
    }

    @Test
    void largeAnonymousMappingsStartOnALargePageBoundary() {
        AddressSpace as = space(PageSize.LARGE);
        int rw = Mman.PROT_READ | Mman.PROT_WRITE, anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
        long small = as.mmap(0, PAGE, rw, anon, Backing.ANONYMOUS, 0); // the next one's top is not aligned
        long big = as.mmap(0, 3_400_000, rw, anon, Backing.ANONYMOUS, 0);
        assertEquals(0, big & ((2L << 20) - 1), "a large-page-sized mapping starts at a boundary");
        assertTrue(big + 3_400_000 <= small, "below the mapping before it (top-down)");
        assertTrue(small - (big + 3_400_000) < (2L << 20), "as high as a boundary allows");
        assertEquals(PageSize.LARGE, as.fault(big, Access.WRITE, false).pageSize());
        long below = as.mmap(0, PAGE, rw, anon, Backing.ANONYMOUS, 0);
        assertEquals(below, small - PAGE, "a small mapping takes the hole the alignment left");
        long hinted = as.mmap(BASE + PAGE, 4L << 20, rw, anon, Backing.ANONYMOUS, 0);
        assertEquals(BASE + PAGE, hinted, "a free hint is honoured as it is");
        long stack = as.mmap(0, 8L << 20, rw, anon | Mman.MAP_STACK, Backing.ANONYMOUS, 0);
        long aligned = PageSize.LARGE.alignDown(stack + (4L << 20));
        assertEquals(PageSize.SMALL, as.fault(aligned, Access.WRITE, false).pageSize(),
                "a thread's stack (MAP_STACK) gets no large page, as on Linux 6.7 and later");
        AddressSpace teaching = space(PageSize.SMALL);
        long first = teaching.mmap(0, PAGE, rw, anon, Backing.ANONYMOUS, 0);
        assertEquals(first - (4L << 20), teaching.mmap(0, 4L << 20, rw, anon, Backing.ANONYMOUS, 0),
                "4k mode places it directly below, unaligned");
    }

    @Test
    void userCopiesFaultPagesInAndRefuseWhatTheGuestCouldNotTouch() {
        AddressSpace as = space(PageSize.LARGE);
        long a = as.mmap(0, 2 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS,
                Backing.ANONYMOUS, 0);
        as.copyOut(a + PAGE - 3, "hello".getBytes());
        assertEquals("hello", new String(as.copyIn(a + PAGE - 3, 5)));
        as.mprotect(a, PAGE, Mman.PROT_READ);
        BadAddressException e = org.junit.jupiter.api.Assertions.assertThrows(BadAddressException.class,
                () -> as.copyOut(a, new byte[1]));
        assertEquals(Errno.EFAULT, e.errno());
        org.junit.jupiter.api.Assertions.assertThrows(BadAddressException.class, () -> as.copyIn(0xffff_8000_0000_0000L, 1));
    }

    @Test
    void randomOperationsKeepPageTableVmasAndFramesInAgreement() {
        long baseline = frames.freeFrames();
        Random r = new Random(7);
        for (PageSize max : PageSize.values()) {
            AddressSpace as = space(max);
            for (int step = 0; step < 3000; step++) {
                long page = r.nextInt(2048), n = 1 + r.nextInt(r.nextBoolean() ? 8 : 1024);
                long va = BASE + page * PAGE, len = n * PAGE;
                int prot = new int[] {Mman.PROT_NONE, Mman.PROT_READ, Mman.PROT_READ | Mman.PROT_WRITE,
                        Mman.PROT_READ | Mman.PROT_EXEC}[r.nextInt(4)];
                switch (r.nextInt(7)) {
                    case 0 -> as.mmap(va, len, prot, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED,
                            Backing.ANONYMOUS, 0);
                    case 1 -> as.munmap(va, len);
                    case 2 -> as.mprotect(va, len, prot);
                    case 3 -> as.madvise(va, len, Mman.MADV_DONTNEED);
                    case 4 -> as.mremap(va, len, (1 + r.nextInt(64)) * PAGE, Mman.MREMAP_MAYMOVE, 0);
                    default -> {
                        for (int i = 0; i < 16; i++) {
                            long t = BASE + (long) r.nextInt(2048 + 64) * PAGE + r.nextInt(4096);
                            Vma v = as.find(t);
                            Access acc = Access.values()[r.nextInt(3)];
                            FaultOutcome o = as.fault(t, acc, as.pageTable().walk(t).mapped());
                            boolean allowed = v != null && switch (acc) {
                                case READ -> v.prot() != Mman.PROT_NONE;
                                case WRITE -> v.writable();
                                case EXEC -> v.executable();
                            };
                            assertEquals(allowed, o.resolved(), "step " + step + " " + acc + " at " + Long.toHexString(t));
                        }
                    }
                }
                checkInvariants(as, baseline, "step " + step);
            }
            as.destroy();
            assertEquals(baseline, frames.freeFrames(), "frames leaked");
        }
    }

    private void checkInvariants(AddressSpace as, long baseline, String where) {
        long[] resident = {0};
        as.pageTable().forEachLeaf(0, 1L << 47, (slot, e, va, size) -> {
            Vma v = as.find(va);
            assertNotNull(v, where + ": a page is mapped outside every VMA at " + Long.toHexString(va));
            assertTrue(va >= v.start() && va + size.bytes <= v.end(), where + ": page crosses its VMA");
            assertEquals(v.writable(), (e & Pte.RW) != 0, where + ": RW bit at " + Long.toHexString(va));
            assertEquals(!v.executable(), (e & Pte.NX) != 0, where + ": NX bit at " + Long.toHexString(va));
            assertTrue((e & Pte.US) != 0, where + ": not a user page");
            assertEquals(v.prot() != Mman.PROT_NONE, Pte.present(e), where + ": PROT_NONE page still present");
            resident[0] += size.bytes;
        });
        assertEquals(resident[0], as.residentBytes(), where + ": resident bytes");
        long used = baseline - frames.freeFrames();
        assertEquals(resident[0] / PAGE + as.pageTable().tableFrames(), used, where + ": frames in use");
    }
}
