package jmck.lwk.mm;

import jmck.lwk.arch.Pte;
import jmck.lwk.mm.FaultOutcome.Access;
import jmck.lwk.mm.FaultOutcome.Decision;

/**
 * The page-fault path, start to end (McKernel: page_fault_process_vm, page_fault_process_memory_range).
 * Called for every #PF the guest raises and for every fault the kernel takes while copying to or from user
 * memory. Steps:
 * <ol>
 * <li>find the VMA that covers the address, or grow the stack down to it; a guard region's is a fault;</li>
 * <li>check the access (read, write, execute) against the VMA's protection;</li>
 * <li>a present page: break copy-on-write, make a shared page that write-back cleaned writable again, or
 *     repair a stale translation;</li>
 * <li>a missing page of a file mapped privately and read-only, read or run: map the page cache's frame of
 *     that file page, shared read-only with every process that maps it (the first one reads it); a page of
 *     a file mapped shared: the one frame all its shared mappings use;</li>
 * <li>a missing page of memory that owns its pages (System V shared memory): map its frame, shared;</li>
 * <li>any other missing page: choose 2 MiB or 4 KiB, take a frame from the buddy allocator, clear it if it
 *     may hold old data, fill it from the backing (file bytes or nothing for anonymous memory), write the PTE.</li>
 * </ol>
 * The faulting instruction then runs again and finds its page. A not-present to present change needs no
 * TLB flush; the caller raises SIGSEGV for the SEGV decisions.
 */
final class PageFaultHandler {
    private PageFaultHandler() {}

    static FaultOutcome handle(AddressSpace as, long va, Access access, boolean present) {
        // 1. The VMA.
        Decision mapped = Decision.MAPPED;
        Vma vma = as.find(va);
        if (vma == null) {
            vma = growStack(as, va);
            if (vma == null)
                return new FaultOutcome(va, access, present, null, Decision.SEGV_MAPERR, -1, null);
            mapped = Decision.STACK_GROWN;
        }
        if (vma.guarded) // MADV_GUARD_INSTALL: as if nothing were mapped there
            return new FaultOutcome(va, access, present, vma, Decision.SEGV_MAPERR, -1, null);

        // 2. The protection.
        boolean allowed = switch (access) {
            case READ -> vma.readable() || vma.writable() || vma.executable();
            case WRITE -> vma.writable();
            case EXEC -> vma.executable();
        };
        if (!allowed)
            return new FaultOutcome(va, access, present, vma, Decision.SEGV_ACCERR, -1, null);

        // 3. A present page.
        Walk walk = as.pageTable.walk(va);
        if (walk.mapped()) {
            long leaf = walk.leaf();
            if (access == Access.WRITE && (leaf & Pte.RW) == 0 && (leaf & Pte.COW) != 0)
                return breakCopyOnWrite(as, va, vma, walk);
            if (access == Access.WRITE && (leaf & Pte.RW) == 0 && vma.shared)
                return redirty(as, va, vma, walk); // cleaned by write-back (parallel mode)
            as.shootdown(); // the PTE already allows it: a translation cached before an upgrade
            return new FaultOutcome(va, access, present, vma, Decision.SPURIOUS, Pte.address(leaf), walk.pageSize());
        }

        // 3b. A page wholly past the current end of the host file the VMA maps: SIGBUS, as Linux's
        //    filemap_fault (a file truncated under its mapping, or mapped past its end).
        long fileSize = vma.backing.currentSize();
        if (fileSize >= 0 && vma.offset + (PageSize.SMALL.alignDown(va) - vma.start) >= fileSize)
            return new FaultOutcome(va, access, present, vma, Decision.BUS_ADRERR, -1, null);

        // 4. A missing page of a file, from the page cache. Mapped privately and read-only (text, read-only
        //    data), read or run: the cache's copy, copy-on-write. Mapped shared: the one frame that every
        //    process mapping that page shared uses, with the VMA's protection, so their writes meet there.
        //    Writable private pages (.data, .got) are written soon after they are read: those get a private
        //    frame at once (step 5), without a copy-on-write fault.
        if (as.pageCache() != null && vma.backing.fileId() != null) {
            long page = PageSize.SMALL.alignDown(va), offset = vma.offset + (page - vma.start);
            boolean privateRead = !vma.shared && !vma.writable() && access != Access.WRITE
                    && offset + PageSize.SMALL.bytes <= vma.backing.zeroFrom();
            if (vma.shared || privateRead) {
                long frame = vma.shared ? as.pageCache().getShared(vma.backing.fileId(), offset, vma.backing)
                        : as.pageCache().get(vma.backing.fileId(), offset, vma.backing);
                if (frame < 0)
                    return new FaultOutcome(va, access, present, vma, Decision.OUT_OF_MEMORY, -1, null);
                if (vma.shared)
                    as.pages.mapFrame(page, frame, PageSize.SMALL, vma);
                else
                    as.pages.mapCachedFrame(page, frame, vma);
                return new FaultOutcome(va, access, present, vma, Decision.CACHED, frame, PageSize.SMALL);
            }
        }

        // 5. A missing page of memory that owns its pages (System V shared memory): its frame, shared.
        if (vma.shared) {
            long page = PageSize.SMALL.alignDown(va);
            long frame = vma.backing.sharedFrame(vma.offset + (page - vma.start));
            if (frame == -2)
                return new FaultOutcome(va, access, present, vma, Decision.OUT_OF_MEMORY, -1, null);
            if (frame >= 0) {
                as.pages.mapFrame(page, frame, PageSize.SMALL, vma);
                return new FaultOutcome(va, access, present, vma, mapped, frame, PageSize.SMALL);
            }
        }

        // 6. Any other missing page.
        PageSize size = choosePageSize(as, vma, va);
        long page = size.alignDown(va);
        long frame = as.pages.allocateFrame(size);
        if (frame < 0 && size == PageSize.LARGE) {
            size = PageSize.SMALL;
            page = size.alignDown(va);
            frame = as.pages.allocateFrame(size);
        }
        if (frame < 0)
            return new FaultOutcome(va, access, present, vma, Decision.OUT_OF_MEMORY, -1, null);
        vma.backing.fill(as.memory(), frame, vma.offset + (page - vma.start), size.bytes);
        as.pages.mapFrame(page, frame, size, vma);
        return new FaultOutcome(va, access, present, vma, mapped, frame, size);
    }

    // ---- the parts of steps 1, 3 and 6 ----

    /** Grows a stack VMA down to cover va if va lies within the stack limit; returns it, or null. */
    private static Vma growStack(AddressSpace as, long va) {
        Vma stack = as.vmas.above(va);
        if (stack == null || !stack.growsDown)
            return null;
        long newStart = va & -FrameAllocator.PAGE_SIZE;
        if (newStart < stack.end - as.stackLimit)
            return null;
        Vma below = as.vmas.below(newStart);
        if (below != null && below.end + AddressSpace.STACK_GUARD_GAP > newStart)
            return null;
        stack.offset -= stack.start - newStart;
        as.vmas.setStart(stack, newStart);
        return stack;
    }

    /** 2 MiB when the VMA allows it and the whole aligned 2 MiB lies inside it and is still unmapped; else 4 KiB. */
    private static PageSize choosePageSize(AddressSpace as, Vma vma, long va) {
        if (as.maxPage != PageSize.LARGE || vma.maxPage != PageSize.LARGE)
            return PageSize.SMALL;
        long base = PageSize.LARGE.alignDown(va);
        if (base < vma.start || base + PageSize.LARGE.bytes > vma.end)
            return PageSize.SMALL;
        return as.pageTable.largeSlotFree(base) ? PageSize.LARGE : PageSize.SMALL;
    }

    /** A write hit a shared page that write-back cleaned and made read-only (parallel mode): writable and dirty again. */
    private static FaultOutcome redirty(AddressSpace as, long va, Vma vma, Walk walk) {
        long slot = walk.tables()[walk.depth() - 1] + 8L * walk.indices()[walk.depth() - 1];
        as.memory().putLong(slot, as.pageTable.settle(walk.leaf() | Pte.RW | Pte.D));
        return new FaultOutcome(va, Access.WRITE, true, vma, Decision.REDIRTIED, Pte.address(walk.leaf()), walk.pageSize());
    }

    /** A write hit a copy-on-write page: copy it (or take it over if no one else maps it) and make it writable. */
    static FaultOutcome breakCopyOnWrite(AddressSpace as, long va, Vma vma, Walk walk) {
        PageSize size = walk.pageSize();
        long page = size.alignDown(va);
        long old = Pte.address(walk.leaf()) & -size.bytes;
        long slot = walk.tables()[walk.depth() - 1] + 8L * walk.indices()[walk.depth() - 1];
        long flags = (walk.leaf() & ~Pte.ADDRESS_MASK & ~Pte.COW) | Pte.RW;
        long frame = old;
        if (as.frames().refCount(old) > 1 || as.frames().blockOrder(old) != size.order) {
            frame = as.pages.allocateFrame(size);
            if (frame < 0)
                return new FaultOutcome(va, Access.WRITE, true, vma, Decision.OUT_OF_MEMORY, -1, null);
            byte[] copy = new byte[(int) size.bytes];
            as.memory().read(old, copy, 0, copy.length);
            as.memory().write(frame, copy, 0, copy.length);
            as.pages.unrefFrame(old, size, (walk.leaf() & Pte.NX) == 0);
        }
        as.memory().putLong(slot, as.pageTable.settle(frame | flags));
        as.shootdown();
        return new FaultOutcome(page, Access.WRITE, true, vma, Decision.COW_COPIED, frame, size);
    }
}
