package jmck.lwk.mm;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.Pte;
import jmck.lwk.arch.X86;

/**
 * The pages mapped at user addresses of one address space: the page-table edits the mm syscalls and the
 * fault handler make on them (Linux's mm/memory.c: map a frame, zap a range, change protections, move
 * page-table entries, share them with a forked child, write dirty shared file pages back), with the frame
 * references they hold and the resident bytes they add up to. The VMAs say what may be mapped; this says
 * what is. Called with the mm lock held: {@link AddressSpace}'s entry points take it.
 *
 * <p>The page walks' visitors are classes, not lambdas: a lambda's first run links it, 0.6-2 ms each here
 * (docs/performance.md, "code run once"), and these run first at a program's start and end.
 */
final class UserPages {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    private final AddressSpace as;
    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    private final PageTable pageTable;
    private long residentBytes;
    private long peakResidentBytes;

    /** A freed frame that was mapped executable: no core may run what was translated from it. */
    private final FrameAllocator.FreedBlock retireCode = new FrameAllocator.FreedBlock() {
        @Override
        public void freed(long pa, int order) {
            as.retireCode(pa, FrameAllocator.PAGE_SIZE << order);
        }
    };

    UserPages(AddressSpace as, PhysicalMemory mem, FrameAllocator frames, PageTable pageTable) {
        this.as = as;
        this.mem = mem;
        this.frames = frames;
        this.pageTable = pageTable;
    }

    /** Bytes of user memory mapped right now. */
    long residentBytes() {
        return residentBytes;
    }

    /** The most user memory ever mapped at once (ru_maxrss). */
    long peakResidentBytes() {
        return peakResidentBytes;
    }

    // ---- mapping ----

    /** A zeroed frame of the given size, or -1 if memory is exhausted. */
    long allocateFrame(PageSize size) {
        long pa = frames.allocate(size.order);
        if (pa < 0)
            return -1;
        if (frames.isDirty(pa, size.order)) {
            mem.zero(pa, size.bytes);
            frames.markClean(pa, size.order);
        }
        return pa;
    }

    /** The leaf flags for a VMA's protection (PROT_NONE VMAs never get a present page). */
    static long leafFlags(Vma vma) {
        long f = Pte.P | Pte.US;
        if (vma.writable())
            f |= Pte.RW;
        if (!vma.executable())
            f |= Pte.NX;
        return f;
    }

    void mapFrame(long page, long frame, PageSize size, Vma vma) {
        pageTable.map(page, frame, size, leafFlags(vma));
        residentBytes += size.bytes;
        peakResidentBytes = Math.max(peakResidentBytes, residentBytes);
    }

    /**
     * Maps a page cache frame at page: read-only with the copy-on-write bit whatever the VMA allows, so that
     * a write, now or after an mprotect, copies it ({@link PageFaultHandler}) and the cache stays the file's.
     */
    void mapCachedFrame(long page, long frame, Vma vma) {
        pageTable.map(page, frame, PageSize.SMALL, (leafFlags(vma) & ~Pte.RW) | Pte.COW);
        residentBytes += PageSize.SMALL.bytes;
        peakResidentBytes = Math.max(peakResidentBytes, residentBytes);
    }

    // ---- unmapping ----

    /** Frees the pages mapped in [start, end) and clears their PTEs (large pages straddling an edge are split). */
    void releasePages(long start, long end) {
        splitLargeLeafAt(start);
        splitLargeLeafAt(end);
        pageTable.forEachLeaf(start, end, new PageTable.LeafVisitor() {
            @Override
            public void visit(long slot, long entry, long va, PageSize size) {
                mem.putLong(slot, 0);
                residentBytes -= size.bytes;
                unrefFrame(Pte.address(entry) & -size.bytes, size, (entry & Pte.NX) == 0);
            }
        });
    }

    /**
     * A mapping of the frame at pa lets go of it: the frame is freed with its last reference (a page of
     * the page cache leaves the cache when only the cache holds it). code: it was mapped executable, so no
     * core may run translations of it once it is free.
     */
    void unrefFrame(long pa, PageSize size, boolean code) {
        FrameAllocator.FreedBlock freed = code ? retireCode : null;
        frames.unref(pa, size.bytes, freed);
        PageCache pageCache = as.pageCache();
        if (pageCache != null && size == PageSize.SMALL)
            pageCache.released(pa, freed);
    }

    /** If a 2 MiB page maps va but does not start there, replaces it by 512 4 KiB PTEs over the same frames. */
    void splitLargeLeafAt(long va) {
        if ((va & (PageSize.LARGE.bytes - 1)) == 0)
            return;
        long slot = pageTable.entryAddress(va, 2, false);
        long pde = slot < 0 ? 0 : mem.getLong(slot);
        if (!Pte.holdsPage(pde) || (pde & Pte.PS) == 0)
            return;
        mem.putLong(slot, 0);
        long base = PageSize.LARGE.alignDown(va);
        long flags = pde & ~Pte.ADDRESS_MASK & ~Pte.PS;
        long frame = Pte.address(pde) & -PageSize.LARGE.bytes;
        frames.split(frame);
        for (int i = 0; i < 512; i++)
            pageTable.map(base + i * PAGE, frame + i * PAGE, PageSize.SMALL, flags);
    }

    // ---- changing what is mapped ----

    /** mprotect's page half: the present pages of [start, end) take their VMA's new protection. */
    void protect(long start, long end) {
        splitLargeLeafAt(start);
        splitLargeLeafAt(end);
        long leafMask = Pte.P | Pte.RW | Pte.NX | Pte.PROTNONE;
        pageTable.forEachLeaf(start, end, new PageTable.LeafVisitor() {
            @Override
            public void visit(long slot, long entry, long va, PageSize size) {
                Vma v = as.find(va);
                long want = v.prot == Mman.PROT_NONE ? Pte.PROTNONE | Pte.NX : leafFlags(v) & leafMask;
                if ((entry & Pte.COW) != 0)
                    want &= ~Pte.RW; // stays read-only until the copy is made
                mem.putLong(slot, pageTable.settle((entry & ~leafMask) | want));
            }
        });
    }

    /** mremap's page half: the pages of [old, old+len) move to dest, without copying data: PTEs move. */
    void move(long old, long len, long dest) {
        boolean congruent = ((old ^ dest) & (PageSize.LARGE.bytes - 1)) == 0;
        splitLargeLeafAt(old);
        splitLargeLeafAt(old + len);
        List<long[]> leaves = new ArrayList<>();
        pageTable.forEachLeaf(old, old + len, new PageTable.LeafVisitor() {
            @Override
            public void visit(long slot, long entry, long va, PageSize size) {
                leaves.add(new long[] {va, entry, size.ordinal()});
                mem.putLong(slot, 0);
            }
        });
        for (long[] l : leaves) {
            long va = dest + (l[0] - old);
            long entry = l[1];
            if (PageSize.values()[(int) l[2]] == PageSize.LARGE && congruent) {
                pageTable.map(va, Pte.address(entry), PageSize.LARGE, entry & ~Pte.ADDRESS_MASK & ~Pte.PS);
            } else if (PageSize.values()[(int) l[2]] == PageSize.LARGE) {
                long frame = Pte.address(entry) & -PageSize.LARGE.bytes;
                frames.split(frame);
                for (int i = 0; i < 512; i++)
                    pageTable.map(va + i * PAGE, frame + i * PAGE, PageSize.SMALL, entry & ~Pte.ADDRESS_MASK & ~Pte.PS);
            } else {
                pageTable.map(va, Pte.address(entry), PageSize.SMALL, entry & ~Pte.ADDRESS_MASK);
            }
        }
    }

    /**
     * fork's page half: every page mapped here is mapped at the same address in child (new and empty),
     * with one more reference to its frame; private pages become read-only and copy-on-write in both.
     */
    void copyInto(UserPages child) {
        pageTable.forEachLeaf(0, X86.USER_TOP, new PageTable.LeafVisitor() {
            @Override
            public void visit(long slot, long entry, long va, PageSize size) {
                Vma v = as.find(va);
                long e = entry;
                if (v == null || !v.shared) {
                    e = (entry & ~Pte.RW) | Pte.COW;
                    mem.putLong(slot, e);
                }
                frames.ref(Pte.address(entry) & -size.bytes, size.bytes);
                child.pageTable.setLeaf(va, size, e);
                child.residentBytes += size.bytes;
            }
        });
        child.peakResidentBytes = child.residentBytes;
    }

    /**
     * Writes the dirty pages of shared file mappings in [start, end) back to their files (msync, munmap,
     * exit) and marks them clean. The CPU sets a PTE's D bit when it writes the page. In parallel mode,
     * where the engine's page walker must never write an entry (PageTable.setSettleEntries), a clean page
     * is also made read-only, as Linux's page_mkclean does: the next write faults, and the kernel makes it
     * writable and dirty again under the mm lock ({@link PageFaultHandler}, REDIRTIED).
     */
    void writeBack(long start, long end) {
        if (!mapsSharedFile(start, end)) // most address spaces: then no page walk (at every exit, say)
            return;
        boolean cleaned[] = {false};
        pageTable.forEachLeaf(start, end, new PageTable.LeafVisitor() {
            @Override
            public void visit(long slot, long entry, long va, PageSize size) {
                if ((entry & Pte.D) == 0)
                    return;
                Vma v = as.find(va);
                HostFileBacking file = sharedFile(v);
                if (file == null)
                    return;
                long len = Math.min(size.bytes, v.end - va);
                file.writeBack(mem, Pte.address(entry) & -size.bytes, v.offset + (va - v.start), len);
                mem.putLong(slot, pageTable.settles() ? entry & ~(Pte.D | Pte.RW) : entry & ~Pte.D);
                cleaned[0] = true;
            }
        });
        if (cleaned[0])
            as.shootdown(); // so that the next write sets D again
    }

    /** Whether a shared mapping of a host file overlaps [start, end). */
    private boolean mapsSharedFile(long start, long end) {
        for (Vma v : as.vmas.all())
            if (sharedFile(v) != null && v.start < end && start < v.end)
                return true;
        return false;
    }

    /** The host file v maps shared, whose dirty pages go back to it; null for any other mapping (or none). */
    private static HostFileBacking sharedFile(Vma v) {
        return v != null && v.shared && v.backing instanceof HostFileBacking file ? file : null;
    }
}
