package jmck.lwk.mm;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;

/**
 * mlock, mlock2, munlock, mlockall, munlockall and MAP_LOCKED, as Linux's mm/mlock.c: a locked VMA has its
 * pages faulted in (unless locked on fault) and counts in VmLck and in smaps' Locked. The LWK never pages
 * out, so locking changes nothing else; what it records is what programs read back. RLIMIT_MEMLOCK is
 * the caller's to check first (see {@link #lockedBytes}). Each entry point takes the mm lock.
 */
public final class MemoryLocks {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    public static final int MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4, MLOCK_ONFAULT = 1;
    private final AddressSpace as;
    /** mlockall(MCL_FUTURE): the lock state new mappings get (Linux's mm->def_flags), or 0. */
    private int future;

    MemoryLocks(AddressSpace as) {
        this.as = as;
    }

    /**
     * mlock (lock = Vma.LOCKED, with Vma.ON_FAULT for MLOCK_ONFAULT) or munlock (lock = 0) of [addr,
     * addr + len), widened to whole pages as Linux does. As Linux's apply_vma_lock_flags, a hole fails
     * with ENOMEM after the mapped part before it has changed (and is not faulted in).
     */
    public long lock(long addr, long len, int lock) {
        long start = addr & -PAGE;
        long end = start + MappingCalls.pageUp(len + (addr - start));
        if (len < 0 || Long.compareUnsigned(end, start) < 0)
            return -Errno.ENOMEM;
        synchronized (as) {
            if (end == start)
                return 0;
            long va = start;
            while (va < end) {
                Vma v = as.find(va);
                if (v == null)
                    break;
                va = v.end;
            }
            if (va == start)
                return -Errno.ENOMEM;
            if (va < end) {
                set(start, va, lock, false);
                return -Errno.ENOMEM;
            }
            set(start, end, lock, true);
            return 0;
        }
    }

    /** mlockall: MCL_CURRENT locks every mapping, MCL_FUTURE the ones to come. */
    public long lockAll(int flags) {
        if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) != 0 || flags == MCL_ONFAULT)
            return -Errno.EINVAL;
        int lock = Vma.LOCKED | ((flags & MCL_ONFAULT) != 0 ? Vma.ON_FAULT : 0);
        synchronized (as) {
            future = (flags & MCL_FUTURE) != 0 ? lock : 0;
            if ((flags & MCL_CURRENT) != 0)
                for (Vma v : new java.util.ArrayList<>(as.vmas.all()))
                    set(v.start, v.end, lock, true);
            return 0;
        }
    }

    /** munlockall: nothing locked, now or later. */
    public long unlockAll() {
        synchronized (as) {
            future = 0;
            for (Vma v : as.vmas.all())
                v.lock = 0;
            return 0;
        }
    }

    /** A new mapping [addr, addr + len): locked if MAP_LOCKED asked for it or mlockall(MCL_FUTURE) did. */
    public void mapped(long addr, long len, int mmapFlags) {
        synchronized (as) {
            int lock = (mmapFlags & Mman.MAP_LOCKED) != 0 ? Vma.LOCKED : future;
            if (lock != 0)
                set(addr & -PAGE, (addr & -PAGE) + MappingCalls.pageUp(len), lock, true);
        }
    }

    /** Bytes in locked mappings: VmLck, Linux's mm->locked_vm. */
    public long lockedBytes() {
        synchronized (as) {
            long total = 0;
            for (Vma v : as.vmas.all())
                if (v.locked())
                    total += v.end - v.start;
            return total;
        }
    }

    /** Whether a locked mapping overlaps [start, end) (msync(MS_INVALIDATE) refuses those). */
    public boolean anyLocked(long start, long end) {
        synchronized (as) {
            return anyLocked(as, start, end);
        }
    }

    /** Whether a locked mapping overlaps [start, end) (madvise(MADV_DONTNEED) refuses those). */
    static boolean anyLocked(AddressSpace as, long start, long end) {
        for (Vma v : as.vmas.all())
            if (v.locked() && v.start < end && v.end > start)
                return true;
        return false;
    }

    /** Sets the lock state of the mapped parts of [start, end), faulting in what is locked now if populate. */
    private void set(long start, long end, int lock, boolean populate) {
        as.vmas.splitAt(start);
        as.vmas.splitAt(end);
        for (Vma v : as.vmas.startingIn(start, end))
            v.lock = lock;
        if (populate && (lock & Vma.LOCKED) != 0 && (lock & Vma.ON_FAULT) == 0)
            as.calls.populate(start, end);
    }
}
