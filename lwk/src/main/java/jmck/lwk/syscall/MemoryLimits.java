package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Rlimits;

/**
 * RLIMIT_AS and RLIMIT_DATA, checked as Linux's may_expand_vm and check_data_rlimit do: a mapping, a brk or
 * an mremap that would take the address space past RLIMIT_AS, or its private writable memory (data: not
 * shared, not a stack) past RLIMIT_DATA, fails with ENOMEM (brk keeps the old break), so that malloc returns
 * NULL with errno ENOMEM; nothing is killed. Counting walks the mappings, which is only done when a limit is
 * set: the usual unlimited process pays nothing.
 */
final class MemoryLimits {
    static final int RLIMIT_DATA = 2;
    private static final long PAGE = 4096;

    private MemoryLimits() {}

    /** Whether the process's limits allow mapping bytes more, of which data if data. */
    static boolean mayExpand(AddressSpace mm, Rlimits limits, long bytes, boolean data) {
        long as = limits.soft(Rlimits.RLIMIT_AS), dataLimit = limits.soft(RLIMIT_DATA);
        boolean limitData = data && dataLimit != Rlimits.RLIM_INFINITY;
        if (as == Rlimits.RLIM_INFINITY && !limitData)
            return true;
        long total = 0, dataBytes = 0;
        for (Vma v : mm.vmas()) {
            total += v.end() - v.start();
            if (isData(v.prot(), v.shared(), v.growsDown()))
                dataBytes += v.end() - v.start();
        }
        if (as != Rlimits.RLIM_INFINITY && Long.compareUnsigned(pages(total + bytes), pages(as)) > 0)
            return false;
        if (limitData && Long.compareUnsigned(pages(dataBytes + bytes), pages(dataLimit)) > 0) {
            // Linux lets a soft limit of 0 pass up to the hard limit (for Valgrind)
            long hard = limits.hard(RLIMIT_DATA);
            return dataLimit == 0 && (hard == Rlimits.RLIM_INFINITY || pages(dataBytes + bytes) <= pages(hard));
        }
        return true;
    }

    /** Linux's is_data_mapping: writable, private, not a stack. */
    static boolean isData(int prot, boolean shared, boolean stack) {
        return (prot & Mman.PROT_WRITE) != 0 && !shared && !stack;
    }

    /** mmap of len bytes at addr: 0, or -ENOMEM. A fixed mapping counts only what it adds to what it replaces. */
    static long checkMmap(AddressSpace mm, Rlimits limits, long addr, long len, int prot, int flags) {
        long bytes = (len + PAGE - 1) & -PAGE;
        boolean data = isData(prot, (flags & Mman.MAP_TYPE) != Mman.MAP_PRIVATE, (flags & Mman.MAP_GROWSDOWN) != 0);
        if (mayExpand(mm, limits, bytes, data))
            return 0;
        if ((flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0 && mayExpand(mm, limits, bytes - mapped(mm, addr, addr + bytes), data))
            return 0;
        return -Errno.ENOMEM;
    }

    /**
     * brk to newBrk: false if RLIMIT_DATA or RLIMIT_AS refuse it. Linux's check_data_rlimit adds the size of
     * the program's initialized data (end_data - start_data) to the heap's; jmck counts the heap alone.
     */
    static boolean brkAllowed(AddressSpace mm, Rlimits limits, long newBrk) {
        long dataLimit = limits.soft(RLIMIT_DATA);
        long start = mm.brkStart();
        if (newBrk < start)
            return true; // brk itself refuses it
        if (dataLimit != Rlimits.RLIM_INFINITY && Long.compareUnsigned(newBrk - start, dataLimit) > 0)
            return false;
        long oldTop = (mm.brk(0) + PAGE - 1) & -PAGE, newTop = (newBrk + PAGE - 1) & -PAGE;
        return newTop <= oldTop || mayExpand(mm, limits, newTop - oldTop, true);
    }

    /** mprotect adding PROT_WRITE to private memory turns it into data: -ENOMEM if RLIMIT_DATA refuses. */
    static long checkMprotect(AddressSpace mm, Rlimits limits, long addr, long len, int prot) {
        if ((prot & Mman.PROT_WRITE) == 0 || limits.soft(RLIMIT_DATA) == Rlimits.RLIM_INFINITY)
            return 0;
        long end = addr + ((len + PAGE - 1) & -PAGE), turning = 0;
        for (Vma v : mm.vmas())
            if (v.end() > addr && v.start() < end && !isData(v.prot(), v.shared(), v.growsDown())
                    && isData(prot, v.shared(), v.growsDown()))
                turning += Math.min(end, v.end()) - Math.max(addr, v.start());
        return turning == 0 || mayExpand(mm, limits, turning, true) ? 0 : -Errno.ENOMEM;
    }

    /** mremap growing a mapping at oldAddr by grow bytes: 0, or -ENOMEM. */
    static long checkMremap(AddressSpace mm, Rlimits limits, long oldAddr, long grow) {
        Vma v = mm.find(oldAddr);
        if (grow <= 0 || v == null)
            return 0;
        return mayExpand(mm, limits, (grow + PAGE - 1) & -PAGE, isData(v.prot(), v.shared(), v.growsDown())) ? 0 : -Errno.ENOMEM;
    }

    /** Bytes of [start, end) that are mapped. */
    private static long mapped(AddressSpace mm, long start, long end) {
        long n = 0;
        for (Vma v : mm.vmas())
            if (v.end() > start && v.start() < end)
                n += Math.min(end, v.end()) - Math.max(start, v.start());
        return n;
    }

    private static long pages(long bytes) {
        return bytes >>> 12;
    }
}
