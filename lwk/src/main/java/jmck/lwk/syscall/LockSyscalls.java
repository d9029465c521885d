package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.mm.MemoryLocks;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Capabilities;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;

/**
 * mlock, mlock2, munlock, mlockall, munlockall ({@link MemoryLocks} keeps the state), with Linux's checks
 * of RLIMIT_MEMLOCK: without CAP_IPC_LOCK a limit of 0 refuses locking (EPERM) and more locked memory than
 * the limit fails with ENOMEM (EAGAIN for mmap with MAP_LOCKED).
 */
final class LockSyscalls implements SyscallDispatcher.Handler {
    private static final long PAGE = 4096;

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.MLOCK, Syscall.MLOCK2, Syscall.MUNLOCK, Syscall.MLOCKALL, Syscall.MUNLOCKALL);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case MLOCK -> lock(t, a[0], a[1], Vma.LOCKED);
            case MLOCK2 -> (a[2] & ~MemoryLocks.MLOCK_ONFAULT) != 0 ? -Errno.EINVAL
                    : lock(t, a[0], a[1], Vma.LOCKED | ((a[2] & MemoryLocks.MLOCK_ONFAULT) != 0 ? Vma.ON_FAULT : 0));
            case MUNLOCK -> t.process().mm().locks().lock(a[0], a[1], 0);
            case MLOCKALL -> lockAll(t, a);
            case MUNLOCKALL -> t.process().mm().locks().unlockAll();
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private static long lock(Thread t, long addr, long len, int lock) {
        if (!mayLock(t))
            return -Errno.EPERM;
        long start = addr & -PAGE, end = start + ((len + (addr - start) + PAGE - 1) & -PAGE);
        if (!unlimited(t) && t.process().mm().locks().lockedBytes() + lockedOutside(t, start, end)
                > t.process().rlimits().soft(Rlimits.RLIMIT_MEMLOCK))
            return -Errno.ENOMEM;
        return t.process().mm().locks().lock(addr, len, lock);
    }

    /** Bytes of [start, end) not locked yet (the part a lock adds to VmLck; Linux's count_mm_mlocked_page_nr). */
    private static long lockedOutside(Thread t, long start, long end) {
        long add = end - start;
        for (Vma v : t.process().mm().vmas())
            if (v.locked() && v.start() < end && v.end() > start)
                add -= Math.min(end, v.end()) - Math.max(start, v.start());
        return add;
    }

    private static long lockAll(Thread t, long[] a) {
        int flags = (int) a[0];
        if (flags == 0 || (flags & ~(MemoryLocks.MCL_CURRENT | MemoryLocks.MCL_FUTURE | MemoryLocks.MCL_ONFAULT)) != 0
                || flags == MemoryLocks.MCL_ONFAULT)
            return -Errno.EINVAL;
        if (!mayLock(t))
            return -Errno.EPERM;
        if ((flags & MemoryLocks.MCL_CURRENT) != 0 && !unlimited(t)) {
            long total = 0;
            for (Vma v : t.process().mm().vmas())
                total += v.end() - v.start();
            if (total > t.process().rlimits().soft(Rlimits.RLIMIT_MEMLOCK))
                return -Errno.ENOMEM;
        }
        return t.process().mm().locks().lockAll(flags);
    }

    /** Linux's can_do_mlock: a non-zero RLIMIT_MEMLOCK or CAP_IPC_LOCK. */
    static boolean mayLock(Thread t) {
        return t.process().rlimits().soft(Rlimits.RLIMIT_MEMLOCK) != 0 || t.process().capabilities().has(Capabilities.CAP_IPC_LOCK);
    }

    private static boolean unlimited(Thread t) {
        return t.process().rlimits().soft(Rlimits.RLIMIT_MEMLOCK) == Rlimits.RLIM_INFINITY
                || t.process().capabilities().has(Capabilities.CAP_IPC_LOCK);
    }

    /** mmap with MAP_LOCKED: 0, or EPERM/EAGAIN as Linux's do_mmap and mlock_future_ok. */
    static long checkMapLocked(Thread t, long len) {
        if (!mayLock(t))
            return -Errno.EPERM;
        if (!unlimited(t) && t.process().mm().locks().lockedBytes() + len > t.process().rlimits().soft(Rlimits.RLIMIT_MEMLOCK))
            return -Errno.EAGAIN;
        return 0;
    }
}
