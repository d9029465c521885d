package jmck.lwk.mm;

import jmck.lwk.abi.Errno;

/**
 * Guard regions (madvise MADV_GUARD_INSTALL and MADV_GUARD_REMOVE, Linux 6.13's PTE guard markers): any
 * access to a guarded page is a SIGSEGV (SEGV_MAPERR), a syscall's an EFAULT, without a PROT_NONE mapping
 * of its own. Installing drops the pages' contents; removing makes them read as new (zero, or the file's)
 * again. Linux marks page table entries and leaves the VMA whole; here the VMA is cut at the range's edges
 * and marked ({@link Vma#guarded}), so /proc/PID/maps shows the pieces. fork copies the marks. Called with
 * the mm lock held.
 */
final class GuardPages {
    static final int MADV_GUARD_INSTALL = 102, MADV_GUARD_REMOVE = 103;

    private GuardPages() {}

    /** madvise(GUARD_INSTALL or GUARD_REMOVE) of [start, end), a range madvise already checked and aligned. */
    static long advise(AddressSpace as, long start, long end, boolean install) {
        for (long va = start; va < end; ) { // every VMA may carry guards (locked ones can only lose them)
            Vma v = as.vmas.find(va);
            if (v == null)
                break; // a hole: ENOMEM below, after the mapped parts changed, as madvise_walk_vmas
            if (install && v.locked())
                return -Errno.EINVAL;
            va = v.end;
        }
        as.vmas.splitAt(start);
        as.vmas.splitAt(end);
        long mapped = 0;
        for (Vma v : as.vmas.startingIn(start, end)) {
            v.guarded = install;
            mapped += v.end - v.start;
        }
        if (install) {
            as.pages.writeBack(start, end); // a shared file page's data stays the file's
            as.pages.releasePages(start, end);
            as.shootdown();
        }
        return mapped == end - start ? 0 : -Errno.ENOMEM;
    }
}
