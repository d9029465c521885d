package jmck.lwk.mm;

import static jmck.lwk.mm.AddressSpace.MMAP_BASE;
import static jmck.lwk.mm.AddressSpace.MMAP_MIN_ADDR;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.FaultOutcome.Access;

/**
 * The mm system calls that change what is mapped, with Linux's argument checks and errno values (Linux's
 * mm/mmap.c, mprotect.c, mremap.c, madvise.c; McKernel's syscall.c): mmap, munmap, mprotect, mremap,
 * madvise and brk. Each decides the policy (where a mapping goes, what a hole or a bad flag means) and
 * makes the change in two halves: the VMAs ({@link VmaTree}) and the pages mapped under them
 * ({@link UserPages}). They return the result or a negated errno. Called with the mm lock held:
 * {@link AddressSpace}'s entry points take it.
 */
final class MappingCalls {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    private final AddressSpace as;

    MappingCalls(AddressSpace as) {
        this.as = as;
    }

    /**
     * Maps [start, end) (page-aligned) as a new VMA, replacing whatever was mapped there, like MAP_FIXED.
     * Used by the ELF loader and by mmap.
     */
    Vma map(long start, long end, int prot, boolean shared, boolean growsDown, Backing backing, long offset,
            String name) {
        unmapRange(start, end);
        Vma vma = new Vma(start, end, prot, shared, growsDown, backing, offset, name, as.maxPage);
        as.vmas.insert(vma);
        return vma;
    }

    /** Removes every mapping in [start, end): VMAs are cut at the edges, pages freed, TLBs flushed. */
    void unmapRange(long start, long end) {
        if (as.vmas.isFree(start, end))
            return;
        as.pages.writeBack(start, end);
        as.vmas.splitAt(start);
        as.vmas.splitAt(end);
        as.vmas.removeStartingIn(start, end);
        as.pages.releasePages(start, end);
        as.shootdown();
    }

    static long pageUp(long len) {
        return (len + PAGE - 1) & -PAGE;
    }

    /**
     * A free range of len bytes: at hint if free, else the highest gap below MMAP_BASE (top-down, as Linux).
     * The hint is rounded down to its page and up to MMAP_MIN_ADDR first (Linux's round_hint_to_min).
     */
    long findFree(long len, long hint) {
        long at = freeAtHint(len, hint);
        return at >= 0 ? at : as.vmas.highestFreeGap(len);
    }

    /** The hint (rounded as findFree says) if len bytes there are free, else -1. */
    private long freeAtHint(long len, long hint) {
        hint &= -PAGE;
        if (hint != 0 && Long.compareUnsigned(hint, MMAP_MIN_ADDR) < 0)
            hint = MMAP_MIN_ADDR;
        if (hint >= MMAP_MIN_ADDR && hint <= X86.USER_TOP - len && as.vmas.isFree(hint, hint + len))
            return hint;
        return -1;
    }

    /**
     * Where a private anonymous mapping (not a thread's stack) goes: as findFree, but one of a large page or
     * more without a free hint starts at a large-page boundary, as McKernel's do_mmap aligns it to the
     * largest page smaller than it, so that its aligned 2 MiB parts fault in as large pages. Top-down
     * placement alone leaves the start where the mapping below happens to end: OpenMP CG's first mapping
     * (3.4 MB) ended one page short of a boundary and got no large page, 865 small ones instead. It goes at
     * the top of the highest gap that holds it once rounded down to a boundary (Linux pads the request for
     * a transparent huge page the same way).
     */
    private long findFreeAnonymous(long len, long hint) {
        long at = freeAtHint(len, hint);
        if (at >= 0)
            return at;
        long large = PageSize.LARGE.bytes;
        if (as.maxPage != PageSize.LARGE || len < large)
            return as.vmas.highestFreeGap(len);
        long padded = as.vmas.highestFreeGap(len + large - PAGE); // gap top - len, less up to a large page
        if (padded < 0)
            return as.vmas.highestFreeGap(len); // no gap has room to align: unaligned, as before
        return PageSize.LARGE.alignDown(padded + large - PAGE);
    }

    /**
     * mmap(2) for anonymous memory and for files whose contents the caller provides as a backing.
     * Returns the address or -errno. name is "[heap]"-style or null (the backing's path shows then).
     */
    long mmap(long addr, long len, int prot, int flags, Backing backing, long offset) {
        long bad = checkMmap(len, prot, flags, offset);
        if (bad != 0)
            return bad;
        len = pageUp(len);
        boolean fixed = (flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0;
        long start;
        if (fixed) {
            if ((addr & (PAGE - 1)) != 0)
                return -Errno.EINVAL;
            if (Long.compareUnsigned(addr, X86.USER_TOP - len) > 0) // the kernel's half too (unsigned)
                return -Errno.ENOMEM;
            if (addr < MMAP_MIN_ADDR)
                return -Errno.EPERM;
            if ((flags & Mman.MAP_FIXED) == 0 && !as.vmas.isFree(addr, addr + len))
                return -Errno.EEXIST;
            if (Seals.anySealed(as, addr, addr + len))
                return -Errno.EPERM;
            start = addr;
        } else {
            boolean largePaged = (flags & Mman.MAP_TYPE) == Mman.MAP_PRIVATE && backing.anonymous()
                    && (flags & Mman.MAP_STACK) == 0;
            start = largePaged ? findFreeAnonymous(len, addr) : findFree(len, addr);
            if (start < 0)
                return -Errno.ENOMEM;
        }
        boolean shared = (flags & Mman.MAP_TYPE) != Mman.MAP_PRIVATE;
        Vma vma = map(start, start + len, prot & 7, shared, (flags & Mman.MAP_GROWSDOWN) != 0, backing, offset, null);
        if ((flags & Mman.MAP_STACK) != 0) // a thread's stack: no 2 MiB page per thread (Linux 6.7's VM_NOHUGEPAGE)
            vma.maxPage = PageSize.SMALL;
        if ((flags & Mman.MAP_POPULATE) != 0 && (flags & Mman.MAP_NONBLOCK) == 0)
            populate(vma.start, vma.end);
        return start;
    }

    /** mmap's argument checks, in Linux's order: 0, or the errno (negated) it returns. */
    static long checkMmap(long len, int prot, int flags, long offset) {
        int type = flags & Mman.MAP_TYPE;
        if (type == Mman.MAP_SHARED_VALIDATE && (flags & ~Mman.MAP_VALIDATE_KNOWN) != 0)
            return -Errno.EOPNOTSUPP;
        if (type != Mman.MAP_SHARED && type != Mman.MAP_PRIVATE && type != Mman.MAP_SHARED_VALIDATE)
            return -Errno.EINVAL;
        if (len == 0 || (offset & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        if (len < 0 || len > X86.USER_TOP)
            return -Errno.ENOMEM;
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC | Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) != 0)
            return -Errno.EINVAL;
        return 0;
    }

    /** Faults in every page of [start, end) as a write where the VMA allows it (MAP_POPULATE, MADV_POPULATE). */
    void populate(long start, long end) {
        for (long va = start; va < end; ) {
            Vma v = as.find(va);
            if (v == null || v.prot == Mman.PROT_NONE) {
                va += PAGE;
                continue;
            }
            Walk w = as.pageTable.walk(va);
            if (!w.mapped()) {
                FaultOutcome o = as.fault(va, v.writable() ? Access.WRITE : Access.READ, false);
                as.reportKernelFault(o);
                if (!o.resolved())
                    return;
                w = as.pageTable.walk(va);
            }
            va = w.pageSize().alignDown(va) + w.pageSize().bytes;
        }
    }

    long munmap(long addr, long len) {
        if ((addr & (PAGE - 1)) != 0 || len == 0 || !X86.isUserAddress(addr))
            return -Errno.EINVAL;
        len = pageUp(len);
        if (len > X86.USER_TOP - addr || len < 0)
            return -Errno.EINVAL;
        if (Seals.anySealed(as, addr, addr + len))
            return -Errno.EPERM;
        unmapRange(addr, addr + len);
        return 0;
    }

    long mprotect(long addr, long len, int prot) {
        if ((addr & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC | Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) != 0)
            return -Errno.EINVAL;
        if (len == 0)
            return 0;
        long end = addr + pageUp(len);
        if (end <= addr || end > X86.USER_TOP)
            return -Errno.ENOMEM;
        // As Linux: the range must start in a VMA; it is changed up to the first hole, sealed VMA or shared
        // mapping that may not become writable (VM_MAYWRITE clear), which then fails.
        if (as.find(addr) == null)
            return -Errno.ENOMEM;
        long result = 0;
        for (long va = addr; va < end; ) {
            Vma v = as.find(va);
            boolean mayNotWrite = v != null && (prot & Mman.PROT_WRITE) != 0 && v.shared && !v.backing.sharedWritable();
            if (v == null || v.sealed || mayNotWrite) {
                result = v == null ? -Errno.ENOMEM : v.sealed ? -Errno.EPERM : -Errno.EACCES;
                end = va;
                break;
            }
            va = v.end;
        }
        as.vmas.splitAt(addr);
        as.vmas.splitAt(end);
        for (Vma v : as.vmas.startingIn(addr, end))
            v.prot = prot & 7;
        as.pages.protect(addr, end);
        as.shootdown();
        return result;
    }

    long mremap(long oldAddr, long oldLen, long newLen, int flags, long newAddr) {
        if ((flags & ~(Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP)) != 0)
            return -Errno.EINVAL;
        if ((flags & Mman.MREMAP_FIXED) != 0 && (flags & Mman.MREMAP_MAYMOVE) == 0)
            return -Errno.EINVAL;
        if ((oldAddr & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        oldLen = pageUp(oldLen);
        newLen = pageUp(newLen);
        if (newLen == 0 || oldLen < 0 || newLen < 0)
            return -Errno.EINVAL;
        Vma vma = as.find(oldAddr);
        if (vma == null || (oldLen == 0 && !vma.shared))
            return -Errno.EFAULT;
        if (Seals.anySealed(as, oldAddr, oldAddr + Math.max(oldLen, PAGE))) // the source, or a shrink's tail
            return -Errno.EPERM;
        if (oldLen == 0 || oldAddr + oldLen > vma.end)
            return -Errno.EFAULT;
        if ((flags & Mman.MREMAP_FIXED) != 0) {
            if ((newAddr & (PAGE - 1)) != 0 || newAddr + newLen > X86.USER_TOP || newAddr < MMAP_MIN_ADDR)
                return -Errno.EINVAL;
            if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen)
                return -Errno.EINVAL;
            if (Seals.anySealed(as, newAddr, newAddr + newLen))
                return -Errno.EPERM;
            unmapRange(newAddr, newAddr + newLen);
            return moveRange(oldAddr, oldLen, newLen, newAddr);
        }
        if (newLen <= oldLen) { // shrink in place
            if (newLen < oldLen)
                unmapRange(oldAddr + newLen, oldAddr + oldLen);
            return oldAddr;
        }
        if (oldAddr + oldLen == vma.end && as.vmas.isFree(vma.end, oldAddr + newLen) && oldAddr + newLen <= X86.USER_TOP) {
            as.vmas.setEnd(vma, oldAddr + newLen); // grow in place
            return oldAddr;
        }
        if ((flags & Mman.MREMAP_MAYMOVE) == 0)
            return -Errno.ENOMEM;
        long dest = findFree(newLen, 0);
        if (dest < 0)
            return -Errno.ENOMEM;
        return moveRange(oldAddr, oldLen, newLen, dest);
    }

    /** Moves the VMA part [old, old+oldLen) and its pages to dest, without copying data: PTEs move. */
    private long moveRange(long old, long oldLen, long newLen, long dest) {
        as.vmas.splitAt(old);
        as.vmas.splitAt(old + oldLen);
        Vma src = as.find(old);
        as.pages.move(old, oldLen, dest);
        as.vmas.remove(src);
        Vma moved = new Vma(dest, dest + newLen, src.prot, src.shared, src.growsDown, src.backing, src.offset, src.name,
                src.maxPage);
        moved.lock = src.lock;
        moved.onFork = src.onFork;
        as.vmas.insert(moved);
        as.shootdown();
        return dest;
    }

    long madvise(long addr, long len, int advice) {
        if ((addr & (PAGE - 1)) != 0 || len < 0)
            return -Errno.EINVAL;
        long end = addr + pageUp(len);
        if (Seals.refusesAdvice(as, addr, end, advice))
            return -Errno.EPERM;
        switch (advice) {
            case GuardPages.MADV_GUARD_INSTALL:
            case GuardPages.MADV_GUARD_REMOVE:
                return GuardPages.advise(as, addr, end, advice == GuardPages.MADV_GUARD_INSTALL);
            case Mman.MADV_DONTNEED:
            case Mman.MADV_FREE: {
                if (MemoryLocks.anyLocked(as, addr, end)) // Linux's madvise_dontneed_free_valid_vma
                    return -Errno.EINVAL;
                // As Linux: every mapped part of the range is dropped; a hole makes the call fail anyway.
                long result = isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
                as.pages.writeBack(addr, end); // a shared file page's data is the file's, not dropped
                as.pages.releasePages(addr, end); // anonymous pages read as zero again, file pages refill from the file
                as.shootdown();
                return result;
            }
            case Mman.MADV_NOHUGEPAGE:
            case Mman.MADV_HUGEPAGE:
                as.vmas.splitAt(addr);
                as.vmas.splitAt(end);
                for (Vma v : as.vmas.startingIn(addr, end))
                    v.maxPage = advice == Mman.MADV_HUGEPAGE ? as.maxPage : PageSize.SMALL;
                return 0;
            case Mman.MADV_POPULATE_READ:
            case Mman.MADV_POPULATE_WRITE:
            case Mman.MADV_WILLNEED:
                populate(addr, end);
                return isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
            case Mman.MADV_REMOVE: // punching a hole needs a writable shared file mapping, not a locked one
                for (Vma v : overlapping(addr, end))
                    if (v.locked() || v.backing.anonymous() && !v.shared)
                        return -Errno.EINVAL;
                    else if (!v.shared || !v.writable())
                        return -Errno.EACCES;
                return isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
            case Mman.MADV_WIPEONFORK: // private anonymous memory only
            case Mman.MADV_COLD: case Mman.MADV_PAGEOUT: // not on locked memory (can_madv_lru_vma)
                for (Vma v : overlapping(addr, end))
                    if (advice == Mman.MADV_WIPEONFORK ? !v.backing.anonymous() || v.shared : v.locked())
                        return -Errno.EINVAL;
                if (advice == Mman.MADV_WIPEONFORK)
                    setOnFork(addr, end, Vma.WIPE_ON_FORK, true);
                return isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
            case Mman.MADV_KEEPONFORK: case Mman.MADV_DONTFORK: case Mman.MADV_DOFORK:
                setOnFork(addr, end, advice == Mman.MADV_KEEPONFORK ? Vma.WIPE_ON_FORK : Vma.DONT_FORK,
                        advice == Mman.MADV_DONTFORK);
                return isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
            case Mman.MADV_NORMAL: case Mman.MADV_RANDOM: case Mman.MADV_SEQUENTIAL: case Mman.MADV_MERGEABLE:
            case Mman.MADV_UNMERGEABLE: case Mman.MADV_DONTDUMP: case Mman.MADV_DODUMP:
                return isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM; // a hole: ENOMEM, as madvise_walk_vmas
            default:
                return -Errno.EINVAL;
        }
    }

    /** Sets (on) or clears bit of what fork does with the mapped parts of [start, end). */
    private void setOnFork(long start, long end, int bit, boolean on) {
        as.vmas.splitAt(start);
        as.vmas.splitAt(end);
        for (Vma v : as.vmas.startingIn(start, end))
            v.onFork = on ? v.onFork | bit : v.onFork & ~bit;
    }

    /** The VMAs overlapping [start, end), in address order. */
    private java.util.List<Vma> overlapping(long start, long end) {
        java.util.List<Vma> l = new java.util.ArrayList<>();
        for (Vma v : as.vmas.all())
            if (v.start < end && v.end > start)
                l.add(v);
        return l;
    }

    /** Whether VMAs cover every page of [start, end). */
    private boolean isFullyMapped(long start, long end) {
        for (long va = start; va < end; ) {
            Vma v = as.find(va);
            if (v == null)
                return false;
            va = v.end;
        }
        return true;
    }

    /**
     * brk(2): moves the program break; returns the new break, or the old one if the request cannot be met
     * (the raw syscall never fails with an errno). The heap VMA is "[heap]".
     */
    long brk(long addr) {
        if (addr < as.brkStart)
            return as.brk;
        long oldTop = pageUp(as.brk), newTop = pageUp(addr);
        if (newTop > oldTop) {
            if (newTop > MMAP_BASE || !as.vmas.isFree(oldTop, newTop))
                return as.brk;
            Vma heap = as.find(oldTop - 1);
            if (heap != null && "[heap]".equals(heap.name) && heap.end == oldTop)
                as.vmas.setEnd(heap, newTop);
            else
                map(oldTop, newTop, Mman.PROT_READ | Mman.PROT_WRITE, false, false, Backing.ANONYMOUS, 0, "[heap]");
        } else if (newTop < oldTop) {
            if (Seals.anySealed(as, newTop, oldTop))
                return as.brk;
            unmapRange(newTop, oldTop);
        }
        as.brk = addr;
        return as.brk;
    }
}
