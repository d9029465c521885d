package jmck.lwk.mm;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.X86;

/**
 * mseal(2): a sealed VMA keeps its extent and protection until the process exits or execs (Linux's
 * mm/mseal.c, VM_SEALED). munmap, mprotect, mremap, an mmap over it and the discarding madvise advice on
 * memory the caller could not write anyway fail with EPERM; fork copies the seal. Called with the mm lock held.
 */
final class Seals {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;

    private Seals() {}

    /** mseal(start, len, flags): seals every VMA of the range, cut at its edges; the range must be mapped whole. */
    static long seal(AddressSpace as, long start, long len, long flags) {
        if (flags != 0 || (start & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        long aligned = MappingCalls.pageUp(len);
        if (len != 0 && aligned == 0) // rounded up from a huge length to 0
            return -Errno.EINVAL;
        long end = start + aligned;
        if (Long.compareUnsigned(end, start) < 0)
            return -Errno.EINVAL;
        if (end == start)
            return 0;
        if (!X86.isUserAddress(start) || Long.compareUnsigned(end, X86.USER_TOP) > 0)
            return -Errno.ENOMEM;
        for (long va = start; va < end; ) { // no hole: checked before anything changes
            Vma v = as.vmas.find(va);
            if (v == null)
                return -Errno.ENOMEM;
            va = v.end;
        }
        as.vmas.splitAt(start);
        as.vmas.splitAt(end);
        for (Vma v : as.vmas.startingIn(start, end))
            v.sealed = true;
        return 0;
    }

    /** Whether a sealed VMA overlaps [start, end): the change the caller is about to make must fail with EPERM. */
    static boolean anySealed(AddressSpace as, long start, long end) {
        Vma v = as.vmas.find(start);
        if (v == null)
            v = as.vmas.above(start);
        for (; v != null && v.start < end; v = as.vmas.above(v.start))
            if (v.sealed)
                return true;
        return false;
    }

    /**
     * madvise on a sealed range: only the advice that discards contents is refused, and only on anonymous
     * memory the caller could not write anyway (Linux's can_madvise_modify).
     */
    static boolean refusesAdvice(AddressSpace as, long start, long end, int advice) {
        switch (advice) {
            case Mman.MADV_DONTNEED: case Mman.MADV_FREE: case Mman.MADV_REMOVE: case Mman.MADV_DONTFORK:
            case Mman.MADV_WIPEONFORK: case MADV_DONTNEED_LOCKED:
                break;
            default:
                return false;
        }
        Vma v = as.vmas.find(start);
        if (v == null)
            v = as.vmas.above(start);
        for (; v != null && v.start < end; v = as.vmas.above(v.start))
            if (v.sealed && !v.shared && v.backing.anonymous() && !v.writable())
                return true;
        return false;
    }

    private static final int MADV_DONTNEED_LOCKED = 24;
}
