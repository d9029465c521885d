package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Backing;
import jmck.lwk.proc.Thread;

/** brk, mmap and friends: thin argument unpacking over {@link AddressSpace}, whose MappingCalls does the work. */
final class MemorySyscalls implements SyscallDispatcher.Handler {
    private final SyscallContext kernel;

    MemorySyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    private long mprotect(Thread t, long[] a) {
        long r = (a[0] & 4095) != 0 ? 0 : MemoryLimits.checkMprotect(mm(t), t.process().rlimits(), a[0], a[1], (int) a[2]);
        return r != 0 ? r : mm(t).mprotect(a[0], a[1], (int) a[2]);
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.BRK, Syscall.MMAP, Syscall.MUNMAP, Syscall.MPROTECT, Syscall.PKEY_ALLOC,
                Syscall.PKEY_FREE, Syscall.PKEY_MPROTECT, Syscall.MREMAP, Syscall.MADVISE, Syscall.MSEAL,
                Syscall.MSYNC, Syscall.MINCORE, Syscall.MEMBARRIER);
        new LockSyscalls().register(d);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            // RLIMIT_AS and RLIMIT_DATA are checked first (MemoryLimits): over them, the call fails with ENOMEM
            case BRK -> MemoryLimits.brkAllowed(mm(t), t.process().rlimits(), a[0]) ? mm(t).brk(a[0])
                    : mm(t).brk(0);
            case MMAP -> mmap(t, a);
            case MUNMAP -> mm(t).munmap(a[0], a[1]);
            case MPROTECT -> mprotect(t, a);
            // Memory protection keys: the emulated CPU has no PKU (as Linux on such a CPU: none can be had, and
            // pkey_mprotect takes only -1, no key)
            case PKEY_ALLOC -> a[0] != 0 || (a[1] & ~3L) != 0 ? -Errno.EINVAL : -Errno.ENOSPC;
            case PKEY_FREE -> -Errno.EINVAL;
            case PKEY_MPROTECT -> (int) a[3] != -1 ? -Errno.EINVAL : mprotect(t, a);
            case MREMAP -> mremap(t, a);
            case MADVISE -> mm(t).madvise(a[0], a[1], (int) a[2]);
            case MSEAL -> mm(t).mseal(a[0], a[1], a[2]);
            // remap_file_pages is IpcSyscalls': a System V segment may go in the call
            case MSYNC -> msync(t, a);
            case MINCORE -> mincore(t, a);
            case MEMBARRIER -> Membarrier.call(t, (int) a[0], a[1]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long mremap(Thread t, long[] a) {
        long r = MemoryLimits.checkMremap(mm(t), t.process().rlimits(), a[0], ((a[2] + 4095) & -4096L) - ((a[1] + 4095) & -4096L));
        return r != 0 ? r : mm(t).mremap(a[0], a[1], a[2], (int) a[3], a[4]);
    }

    private long msync(Thread t, long[] a) {
        long flags = a[2]; // Linux's order: the flags, the address, then the range
        if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0 || (a[0] & 4095) != 0
                || (flags & MS_ASYNC) != 0 && (flags & MS_SYNC) != 0)
            return -Errno.EINVAL;
        long r = checkRange(t, a[0], a[1]);
        if (r == 0 && (flags & MS_INVALIDATE) != 0 && mm(t).locks().anyLocked(a[0], a[0] + ((a[1] + 4095) & -4096L)))
            return -Errno.EBUSY; // invalidating locked pages
        if (r == 0)
            mm(t).writeBack(a[0], a[0] + ((a[1] + 4095) & -4096L));
        return r;
    }

    private static final long MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

    private static AddressSpace mm(Thread t) {
        return t.process().mm();
    }

    /**
     * mmap: anonymous memory, or a host file whose descriptor the proxy lends the LWK (the mapping's pages
     * are then filled from the file on first touch, and a shared mapping's dirty pages go back to it).
     */
    private long mmap(Thread t, long[] a) {
        long addr = a[0], len = a[1], offset = a[5];
        int prot = (int) a[2], flags = (int) a[3], fd = (int) a[4];
        long bad = AddressSpace.checkMmap(len, prot, flags, offset);
        if (bad == 0)
            bad = MemoryLimits.checkMmap(mm(t), t.process().rlimits(), addr, len, prot, flags);
        if (bad == 0 && (flags & Mman.MAP_LOCKED) != 0)
            bad = LockSyscalls.checkMapLocked(t, len);
        if (bad != 0 && (flags & Mman.MAP_ANONYMOUS) == 0 && (offset & 4095) == 0) {
            long refused = bad; // Linux looks the file up before the other checks (ksys_mmap_pgoff): EBADF first
            return kernel.syscalls().forwarder().localFileOf(t, fd, r -> r == -Errno.EBADF ? r : refused);
        }
        if (bad != 0)
            return bad;
        if ((flags & Mman.MAP_ANONYMOUS) != 0)
            return locked(t, mm(t).mmap(addr, len, prot, flags, Backing.ANONYMOUS, 0), len, flags);
        boolean sharedWrite = (flags & Mman.MAP_TYPE) != Mman.MAP_PRIVATE && (prot & Mman.PROT_WRITE) != 0;
        return kernel.syscalls().forwarder().hostFile(t, fd, sharedWrite, hostFd -> {
            if (hostFd < 0)
                return hostFd;
            boolean writable = (hostFd & SyscallForwarder.SHARED_WRITABLE) != 0;
            if ((hostFd & SyscallForwarder.ZERO_DEVICE) != 0) // /dev/zero: anonymous memory, as Linux maps it
                return locked(t, mm(t).mmap(addr, len, prot, flags,
                        writable || (flags & Mman.MAP_TYPE) == Mman.MAP_PRIVATE ? Backing.ANONYMOUS
                                : Backing.ZERO_DEVICE_READ_ONLY, 0), len, flags);
            return locked(t, mm(t).mmapFile(addr, len, prot, flags, jmck.lwk.mm.HostFileBacking.of((int) hostFd,
                    writable), offset), len, flags);
        });
    }

    /** A new mapping at r (or mmap's error): locked if MAP_LOCKED or mlockall(MCL_FUTURE) says so. */
    private static long locked(Thread t, long r, long len, int flags) {
        if (r >= 0)
            mm(t).locks().mapped(r, len, flags);
        return r;
    }

    /** msync: Linux checks alignment and that the range is mapped. */
    private static long checkRange(Thread t, long addr, long len) {
        if ((addr & 4095) != 0)
            return -Errno.EINVAL;
        long end = addr + ((len + 4095) & -4096L);
        for (long va = addr; va < end; ) {
            var v = mm(t).find(va);
            if (v == null)
                return -Errno.ENOMEM;
            va = v.end();
        }
        return 0;
    }

    /** mincore: one byte per page, 1 if resident. The vector must be in the user half before anything is looked at. */
    private static long mincore(Thread t, long[] a) {
        long addr = a[0], len = a[1], vec = a[2];
        if ((addr & 4095) != 0)
            return -Errno.EINVAL;
        if (!X86.accessOk(addr, len))
            return -Errno.ENOMEM;
        long pages = (len + 4095) >>> 12;
        if (!X86.accessOk(vec, pages))
            return -Errno.EFAULT;
        byte[] out = new byte[(int) Math.min(pages, 1 << 20)];
        for (int i = 0; i < out.length; i++) {
            long va = addr + ((long) i << 12);
            if (mm(t).find(va) == null)
                return -Errno.ENOMEM;
            out[i] = (byte) (mm(t).pageTable().walk(va).mapped() ? 1 : 0);
        }
        mm(t).copyOut(vec, out);
        return 0;
    }
}
