package jmck.lwk.mm;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.Pte;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.FaultOutcome.Access;
import jmck.lwk.mm.FaultOutcome.Decision;

/**
 * A process's virtual address space (McKernel's process_vm, Linux's mm_struct): its VMAs, its page table
 * in emulated physical memory, the program break and the mmap area. VMAs reserve address ranges; pages
 * appear only when touched ({@link PageFaultHandler}). The mm syscalls live here with Linux's argument
 * checks and errno values; they return the result or a negated errno.
 *
 * <p>The mm lock is this object's monitor: every public method that reads or changes the VMAs or the page
 * table holds it (a page fault on one core, an munmap on another, the proxy's remote fault). It comes
 * after the task lock and the futex lock, and before the frame allocator's, in the lock order
 * (jmck.lwk.proc.package-info). TLB shootdowns run under it: they wait only for cores in guest code, which
 * acknowledge without taking a lock.
 */
public final class AddressSpace {
    /** Top of the stack; with ASLR off Linux starts the stack here too. */
    public static final long STACK_TOP = X86.USER_TOP;
    /** Where top-down mmap allocation starts: the stack top less a 128 MiB gap, as Linux without ASLR. */
    public static final long MMAP_BASE = STACK_TOP - (128L << 20);
    /** The lowest address mmap hands out or accepts (vm.mmap_min_addr). */
    public static final long MMAP_MIN_ADDR = 0x10000;
    /** Linux's stack_guard_gap: the stack may not grow closer than this to the mapping below it. */
    public static final long STACK_GUARD_GAP = 256 * 4096L;
    private static final long PAGE = FrameAllocator.PAGE_SIZE;

    /** What memory management asks of the cores. */
    public interface Shootdown {
        /** Flushes stale translations on every core that runs this address space (our TLB shootdown). */
        void flush(AddressSpace as);

        /** A freed block held code: every core must forget what it translated from it (it reads as zero after). */
        void retireCode(long pa, long length);
    }

    /** Told about faults the kernel takes on user memory while copying (the trap path reports user faults). */
    public interface KernelFaultListener {
        void onKernelFault(FaultOutcome outcome);
    }

    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    final PageTable pageTable;
    private final VmaTree vmas = new VmaTree(MMAP_BASE, MMAP_MIN_ADDR, STACK_GUARD_GAP);
    private final PageSize maxPage;
    private final UserCopy user;
    private Shootdown shootdown = new Shootdown() {
        @Override
        public void flush(AddressSpace as) {}

        @Override
        public void retireCode(long pa, long length) {}
    };
    private KernelFaultListener kernelFaults;
    private PageCache pageCache;
    private long brkStart;
    private long brk;
    private long startStack;
    private long stackLimit = 8L << 20;
    private long residentBytes;
    private long peakResidentBytes;
    private long faults;

    /**
     * An empty address space. kernelRoot is the PML4 whose upper half (the kernel's mappings) every address
     * space shares, or -1; maxPage is SMALL in the 4 KiB teaching mode.
     */
    public AddressSpace(PhysicalMemory mem, FrameAllocator frames, long kernelRoot, PageSize maxPage) {
        this.mem = mem;
        this.frames = frames;
        this.pageTable = new PageTable(mem, frames, kernelRoot);
        this.maxPage = maxPage;
        this.user = new UserCopy(this, mem);
    }

    /** Parallel mode: page-table entries are written with A and D set in advance (PageTable.setSettleEntries). */
    public void setSettleEntries(boolean on) {
        pageTable.setSettleEntries(on);
    }

    public void setShootdown(Shootdown shootdown) {
        this.shootdown = shootdown;
    }

    public void setKernelFaultListener(KernelFaultListener listener) {
        this.kernelFaults = listener;
    }

    /** Tells the listener about a fault the kernel took on user memory (copying, populating). */
    void reportKernelFault(FaultOutcome o) {
        if (kernelFaults != null)
            kernelFaults.onKernelFault(o);
    }

    /** Shares privately mapped file pages with every address space that uses cache (null: no sharing). */
    public void setPageCache(PageCache cache) {
        this.pageCache = cache;
    }

    PageCache pageCache() {
        return pageCache;
    }

    /** The frames this space's pages come from (the LWK's memory). */
    public FrameAllocator frames() {
        return frames;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    public PageTable pageTable() {
        return pageTable;
    }

    /** The value for CR3. */
    public long root() {
        return pageTable.root();
    }

    /** The most user memory ever mapped at once (ru_maxrss). */
    public synchronized long peakResidentBytes() {
        return peakResidentBytes;
    }

    /** Page faults handled (ru_minflt). */
    public synchronized long faults() {
        return faults;
    }

    /** Bytes of user memory mapped right now. */
    public synchronized long residentBytes() {
        return residentBytes;
    }

    public synchronized void setStackLimit(long bytes) {
        stackLimit = bytes;
    }

    // ---- VMAs ----

    /** The VMA that contains va, or null. */
    public synchronized Vma find(long va) {
        return vmas.find(va);
    }

    /** All VMAs in address order (a copy). */
    public synchronized List<Vma> vmas() {
        return new ArrayList<>(vmas.all());
    }

    /** Whether no VMA overlaps [start, end). */
    public synchronized boolean isFree(long start, long end) {
        return vmas.isFree(start, end);
    }

    /**
     * Maps [start, end) (page-aligned) as a new VMA, replacing whatever was mapped there, like MAP_FIXED.
     * Used by the ELF loader and by mmap.
     */
    public synchronized Vma map(long start, long end, int prot, boolean shared, boolean growsDown, Backing backing, long offset,
            String name) {
        unmapRange(start, end);
        Vma vma = new Vma(start, end, prot, shared, growsDown, backing, offset, name, maxPage);
        vmas.insert(vma);
        return vma;
    }

    /** Removes every mapping in [start, end): VMAs are cut at the edges, pages freed, TLBs flushed. */
    void unmapRange(long start, long end) {
        if (isFree(start, end))
            return;
        writeBack(start, end);
        vmas.splitAt(start);
        vmas.splitAt(end);
        vmas.removeStartingIn(start, end);
        releasePages(start, end);
        shootdown();
    }

    /** Frees the pages mapped in [start, end) and clears their PTEs (large pages straddling an edge are split). */
    private void releasePages(long start, long end) {
        splitLargeLeafAt(start);
        splitLargeLeafAt(end);
        pageTable.forEachLeaf(start, end, (slot, entry, va, size) -> {
            mem.putLong(slot, 0);
            residentBytes -= size.bytes;
            unrefFrame(Pte.address(entry) & -size.bytes, size, (entry & Pte.NX) == 0);
        });
    }

    /**
     * A mapping of the frame at pa lets go of it: the frame is freed with its last reference (a page of
     * the page cache leaves the cache when only the cache holds it). code: it was mapped executable, so no
     * core may run translations of it once it is free.
     */
    private void unrefFrame(long pa, PageSize size, boolean code) {
        FrameAllocator.FreedBlock freed = !code ? null
                : (p, order) -> shootdown.retireCode(p, FrameAllocator.PAGE_SIZE << order);
        frames.unref(pa, size.bytes, freed);
        if (pageCache != null && size == PageSize.SMALL)
            pageCache.released(pa, freed);
    }

    /** If a 2 MiB page maps va but does not start there, replaces it by 512 4 KiB PTEs over the same frames. */
    private void splitLargeLeafAt(long va) {
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

    /** Flushes stale translations on every core running this space. */
    void shootdown() {
        shootdown.flush(this);
    }

    // ---- page faults ----

    /**
     * Handles a page fault at va (see {@link PageFaultHandler}). present: the #PF error code's P bit, i.e. a
     * protection fault on a mapped page rather than a missing page.
     */
    public synchronized FaultOutcome fault(long va, Access access, boolean present) {
        faults++;
        return PageFaultHandler.handle(this, va, access, present);
    }

    /** Grows a stack VMA down to cover va if va lies within the stack limit; returns it, or null. */
    Vma growStack(long va) {
        Vma stack = vmas.above(va);
        if (stack == null || !stack.growsDown)
            return null;
        long newStart = va & -PAGE;
        if (newStart < stack.end - stackLimit)
            return null;
        Vma below = vmas.below(newStart);
        if (below != null && below.end + STACK_GUARD_GAP > newStart)
            return null;
        stack.offset -= stack.start - newStart;
        vmas.setStart(stack, newStart);
        return stack;
    }

    /** 2 MiB when the VMA allows it and the whole aligned 2 MiB lies inside it and is still unmapped; else 4 KiB. */
    PageSize choosePageSize(Vma vma, long va) {
        if (maxPage != PageSize.LARGE || vma.maxPage != PageSize.LARGE)
            return PageSize.SMALL;
        long base = PageSize.LARGE.alignDown(va);
        if (base < vma.start || base + PageSize.LARGE.bytes > vma.end)
            return PageSize.SMALL;
        return pageTable.largeSlotFree(base) ? PageSize.LARGE : PageSize.SMALL;
    }

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
     * a write, now or after an mprotect, copies it ({@link #breakCopyOnWrite}) and the cache stays the file's.
     */
    void mapCachedFrame(long page, long frame, Vma vma) {
        pageTable.map(page, frame, PageSize.SMALL, (leafFlags(vma) & ~Pte.RW) | Pte.COW);
        residentBytes += PageSize.SMALL.bytes;
        peakResidentBytes = Math.max(peakResidentBytes, residentBytes);
    }

    /** A write hit a shared page that write-back cleaned and made read-only (parallel mode): writable and dirty again. */
    FaultOutcome redirty(long va, Vma vma, Walk walk) {
        long slot = walk.tables()[walk.depth() - 1] + 8L * walk.indices()[walk.depth() - 1];
        mem.putLong(slot, pageTable.settle(walk.leaf() | Pte.RW | Pte.D));
        return new FaultOutcome(va, Access.WRITE, true, vma, Decision.REDIRTIED, Pte.address(walk.leaf()), walk.pageSize());
    }

    /** A write hit a copy-on-write page: copy it (or take it over if no one else maps it) and make it writable. */
    FaultOutcome breakCopyOnWrite(long va, Vma vma, Walk walk) {
        PageSize size = walk.pageSize();
        long page = size.alignDown(va);
        long old = Pte.address(walk.leaf()) & -size.bytes;
        long slot = walk.tables()[walk.depth() - 1] + 8L * walk.indices()[walk.depth() - 1];
        long flags = (walk.leaf() & ~Pte.ADDRESS_MASK & ~Pte.COW) | Pte.RW;
        long frame = old;
        if (frames.refCount(old) > 1 || frames.blockOrder(old) != size.order) {
            frame = allocateFrame(size);
            if (frame < 0)
                return new FaultOutcome(va, Access.WRITE, true, vma, Decision.OUT_OF_MEMORY, -1, null);
            byte[] copy = new byte[(int) size.bytes];
            mem.read(old, copy, 0, copy.length);
            mem.write(frame, copy, 0, copy.length);
            unrefFrame(old, size, (walk.leaf() & Pte.NX) == 0);
        }
        mem.putLong(slot, pageTable.settle(frame | flags));
        shootdown();
        return new FaultOutcome(page, Access.WRITE, true, vma, Decision.COW_COPIED, frame, size);
    }

    // ---- user memory, as the kernel reaches it (copy_from_user / copy_to_user: UserCopy) ----

    /**
     * The physical address of user address va, faulting the page in if the VMA allows the access; -1 if
     * it cannot be reached (the syscall then fails with EFAULT).
     */
    public synchronized long resolve(long va, boolean write) {
        return user.resolve(va, write);
    }

    /**
     * The physical address a debugger writes user address va at (ptrace's POKEDATA with FOLL_FORCE): the
     * page is faulted in, and a copy-on-write page (shared after fork, or the page cache's frame of a file)
     * is copied first, even where the VMA is read-only (code), so that the write changes this process
     * alone; the copy keeps the VMA's protection. -1 if va is not mapped.
     */
    public synchronized long resolveForDebugger(long va) {
        return user.resolveForDebugger(va);
    }

    /** Copies user memory into dst; throws {@link BadAddressException} if any byte is unreachable. */
    public synchronized void copyIn(long va, byte[] dst, int off, int len) {
        user.copyIn(va, dst, off, len);
    }

    public synchronized byte[] copyIn(long va, int len) {
        return user.copyIn(va, len);
    }

    /** Copies src into user memory; throws {@link BadAddressException} if any byte is unreachable or read-only. */
    public synchronized void copyOut(long va, byte[] src, int off, int len) {
        user.copyOut(va, src, off, len);
    }

    public synchronized void copyOut(long va, byte[] src) {
        user.copyOut(va, src);
    }

    /**
     * Copies as much of src[off, off+len) into user memory as can be written before the first page that
     * cannot (copy_to_user's partial copy); returns how many bytes were copied.
     */
    public synchronized int copyOutPrefix(long va, byte[] src, int off, int len) {
        return user.copyOutPrefix(va, src, off, len);
    }

    public synchronized long readLong(long va) {
        return user.readLong(va);
    }

    public synchronized void writeLong(long va, long value) {
        user.writeLong(va, value);
    }

    /**
     * Atomically replaces the aligned int at va with update if it holds expect (FUTEX_WAKE_OP's operation on
     * a word that guest code on other cores may change meanwhile, as Linux's futex_atomic_op_inuser).
     */
    public synchronized boolean compareAndSetInt(long va, int expect, int update) {
        return user.compareAndSetInt(va, expect, update);
    }

    public synchronized int readInt(long va) {
        return user.readInt(va);
    }

    public synchronized void writeInt(long va, int value) {
        user.writeInt(va, value);
    }

    /** Reads a NUL-terminated string of at most max bytes (without the NUL); ENAMETOOLONG past that. */
    public synchronized String readCString(long va, int max) {
        return user.readCString(va, max);
    }

    /**
     * strncpy_from_user: the string at va up to its NUL or max bytes, whichever comes first; nothing past
     * that is read, so a string cut off by unmapped memory after max bytes is fine.
     */
    public synchronized String readStringUpTo(long va, int max) {
        return user.readStringUpTo(va, max);
    }

    // ---- the mm syscalls ----

    private static long pageUp(long len) {
        return (len + PAGE - 1) & -PAGE;
    }

    /**
     * A free range of len bytes: at hint if free, else the highest gap below MMAP_BASE (top-down, as Linux).
     * The hint is rounded down to its page and up to MMAP_MIN_ADDR first (Linux's round_hint_to_min).
     */
    long findFree(long len, long hint) {
        hint &= -PAGE;
        if (hint != 0 && Long.compareUnsigned(hint, MMAP_MIN_ADDR) < 0)
            hint = MMAP_MIN_ADDR;
        if (hint >= MMAP_MIN_ADDR && hint <= X86.USER_TOP - len && isFree(hint, hint + len))
            return hint;
        return vmas.highestFreeGap(len);
    }

    /**
     * mmap(2) for anonymous memory and for files whose contents the caller provides as a backing.
     * Returns the address or -errno. name is "[heap]"-style or null (the backing's path shows then).
     */
    public synchronized long mmap(long addr, long len, int prot, int flags, Backing backing, long offset) {
        long bad = checkMmap(len, prot, flags, offset);
        if (bad != 0)
            return bad;
        len = pageUp(len);
        boolean fixed = (flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0;
        long start;
        if (fixed) {
            if ((addr & (PAGE - 1)) != 0)
                return -Errno.EINVAL;
            if (addr > X86.USER_TOP - len)
                return -Errno.ENOMEM;
            if (addr < MMAP_MIN_ADDR)
                return -Errno.EPERM;
            if ((flags & Mman.MAP_FIXED) == 0 && !isFree(addr, addr + len))
                return -Errno.EEXIST;
            start = addr;
        } else {
            start = findFree(len, addr);
            if (start < 0)
                return -Errno.ENOMEM;
        }
        boolean shared = (flags & Mman.MAP_TYPE) != Mman.MAP_PRIVATE;
        Vma vma = map(start, start + len, prot & 7, shared, (flags & Mman.MAP_GROWSDOWN) != 0, backing, offset, null);
        if ((flags & Mman.MAP_POPULATE) != 0 && (flags & Mman.MAP_NONBLOCK) == 0)
            populate(vma.start, vma.end);
        return start;
    }

    /** mmap's argument checks, in Linux's order: 0, or the errno (negated) it returns. */
    public static long checkMmap(long len, int prot, int flags, long offset) {
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
    private void populate(long start, long end) {
        for (long va = start; va < end; ) {
            Vma v = find(va);
            if (v == null || v.prot == Mman.PROT_NONE) {
                va += PAGE;
                continue;
            }
            Walk w = pageTable.walk(va);
            if (!w.mapped()) {
                FaultOutcome o = fault(va, v.writable() ? Access.WRITE : Access.READ, false);
                reportKernelFault(o);
                if (!o.resolved())
                    return;
                w = pageTable.walk(va);
            }
            va = w.pageSize().alignDown(va) + w.pageSize().bytes;
        }
    }

    public synchronized long munmap(long addr, long len) {
        if ((addr & (PAGE - 1)) != 0 || len == 0 || !X86.isUserAddress(addr))
            return -Errno.EINVAL;
        len = pageUp(len);
        if (len > X86.USER_TOP - addr || len < 0)
            return -Errno.EINVAL;
        unmapRange(addr, addr + len);
        return 0;
    }

    public synchronized long mprotect(long addr, long len, int prot) {
        if ((addr & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC | Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) != 0)
            return -Errno.EINVAL;
        if (len == 0)
            return 0;
        long end = addr + pageUp(len);
        if (end <= addr || end > X86.USER_TOP)
            return -Errno.ENOMEM;
        // As Linux: the range must start in a VMA; it is changed up to the first hole, which then fails.
        if (find(addr) == null)
            return -Errno.ENOMEM;
        long result = 0;
        for (long va = addr; va < end; ) {
            Vma v = find(va);
            if (v == null) {
                result = -Errno.ENOMEM;
                end = va;
                break;
            }
            va = v.end;
        }
        vmas.splitAt(addr);
        vmas.splitAt(end);
        splitLargeLeafAt(addr);
        splitLargeLeafAt(end);
        for (Vma v : vmas.startingIn(addr, end))
            v.prot = prot & 7;
        long leafMask = Pte.P | Pte.RW | Pte.NX | Pte.PROTNONE;
        pageTable.forEachLeaf(addr, end, (slot, entry, va, size) -> {
            Vma v = find(va);
            long want = v.prot == Mman.PROT_NONE ? Pte.PROTNONE | Pte.NX : leafFlags(v) & leafMask;
            if ((entry & Pte.COW) != 0)
                want &= ~Pte.RW; // stays read-only until the copy is made
            mem.putLong(slot, pageTable.settle((entry & ~leafMask) | want));
        });
        shootdown();
        return result;
    }

    public synchronized long mremap(long oldAddr, long oldLen, long newLen, int flags, long newAddr) {
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
        Vma vma = find(oldAddr);
        if (vma == null || (oldLen == 0 && !vma.shared))
            return -Errno.EFAULT;
        if (oldLen == 0 || oldAddr + oldLen > vma.end)
            return -Errno.EFAULT;
        if ((flags & Mman.MREMAP_FIXED) != 0) {
            if ((newAddr & (PAGE - 1)) != 0 || newAddr + newLen > X86.USER_TOP || newAddr < MMAP_MIN_ADDR)
                return -Errno.EINVAL;
            if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen)
                return -Errno.EINVAL;
            unmapRange(newAddr, newAddr + newLen);
            return moveRange(oldAddr, oldLen, newLen, newAddr);
        }
        if (newLen <= oldLen) { // shrink in place
            if (newLen < oldLen)
                unmapRange(oldAddr + newLen, oldAddr + oldLen);
            return oldAddr;
        }
        if (oldAddr + oldLen == vma.end && isFree(vma.end, oldAddr + newLen) && oldAddr + newLen <= X86.USER_TOP) {
            vmas.setEnd(vma, oldAddr + newLen); // grow in place
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
        vmas.splitAt(old);
        vmas.splitAt(old + oldLen);
        Vma src = find(old);
        boolean congruent = ((old ^ dest) & (PageSize.LARGE.bytes - 1)) == 0;
        splitLargeLeafAt(old);
        splitLargeLeafAt(old + oldLen);
        List<long[]> leaves = new ArrayList<>();
        pageTable.forEachLeaf(old, old + oldLen, (slot, entry, va, size) -> {
            leaves.add(new long[] {va, entry, size.ordinal()});
            mem.putLong(slot, 0);
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
        vmas.remove(src);
        Vma moved = new Vma(dest, dest + newLen, src.prot, src.shared, src.growsDown, src.backing, src.offset, src.name,
                src.maxPage);
        vmas.insert(moved);
        shootdown();
        return dest;
    }

    public synchronized long madvise(long addr, long len, int advice) {
        if ((addr & (PAGE - 1)) != 0 || len < 0)
            return -Errno.EINVAL;
        long end = addr + pageUp(len);
        switch (advice) {
            case Mman.MADV_DONTNEED:
            case Mman.MADV_FREE: {
                // As Linux: every mapped part of the range is dropped; a hole makes the call fail anyway.
                long result = isFullyMapped(addr, end) ? 0 : -Errno.ENOMEM;
                writeBack(addr, end); // a shared file page's data is the file's, not dropped
                releasePages(addr, end); // anonymous pages read as zero again, file pages refill from the file
                shootdown();
                return result;
            }
            case Mman.MADV_NOHUGEPAGE:
            case Mman.MADV_HUGEPAGE:
                vmas.splitAt(addr);
                vmas.splitAt(end);
                for (Vma v : vmas.startingIn(addr, end))
                    v.maxPage = advice == Mman.MADV_HUGEPAGE ? maxPage : PageSize.SMALL;
                return 0;
            case Mman.MADV_POPULATE_READ:
            case Mman.MADV_POPULATE_WRITE:
            case Mman.MADV_WILLNEED:
                populate(addr, end);
                return 0;
            case Mman.MADV_NORMAL: case Mman.MADV_RANDOM: case Mman.MADV_SEQUENTIAL: case Mman.MADV_DONTFORK:
            case Mman.MADV_DOFORK: case Mman.MADV_MERGEABLE: case Mman.MADV_UNMERGEABLE: case Mman.MADV_DONTDUMP:
            case Mman.MADV_DODUMP: case Mman.MADV_WIPEONFORK: case Mman.MADV_KEEPONFORK: case Mman.MADV_COLD:
            case Mman.MADV_PAGEOUT: case Mman.MADV_REMOVE:
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    /** Whether VMAs cover every page of [start, end). */
    private boolean isFullyMapped(long start, long end) {
        for (long va = start; va < end; ) {
            Vma v = find(va);
            if (v == null)
                return false;
            va = v.end;
        }
        return true;
    }

    /** Sets where the heap starts (the page after the program's highest segment). */
    public synchronized void initBrk(long start) {
        brkStart = brk = pageUp(start);
    }

    public synchronized long brkStart() {
        return brkStart;
    }

    /**
     * brk(2): moves the program break; returns the new break, or the old one if the request cannot be met
     * (the raw syscall never fails with an errno). The heap VMA is "[heap]".
     */
    public synchronized long brk(long addr) {
        if (addr < brkStart)
            return brk;
        long oldTop = pageUp(brk), newTop = pageUp(addr);
        if (newTop > oldTop) {
            if (newTop > MMAP_BASE || !isFree(oldTop, newTop))
                return brk;
            Vma heap = find(oldTop - 1);
            if (heap != null && "[heap]".equals(heap.name) && heap.end == oldTop)
                vmas.setEnd(heap, newTop);
            else
                map(oldTop, newTop, Mman.PROT_READ | Mman.PROT_WRITE, false, false, Backing.ANONYMOUS, 0, "[heap]");
        } else if (newTop < oldTop) {
            unmapRange(newTop, oldTop);
        }
        brk = addr;
        return brk;
    }

    /** Where the initial stack pointer was (what /proc/self/maps calls [stack] goes around it). */
    public synchronized void setStartStack(long rsp) {
        startStack = rsp;
    }

    /** The auxiliary vector the program started with, as Linux keeps it in mm->saved_auxv. */
    private long[] savedAuxv = new long[0];

    /** Keeps the auxiliary vector (type, value pairs, AT_NULL last) the program starts with. */
    public synchronized void setSavedAuxv(long[] auxv) {
        savedAuxv = auxv.clone();
    }

    /** The saved auxiliary vector's value of type (AT_ENTRY, AT_BASE, ...), or -1 if it has none. */
    public synchronized long auxv(int type) {
        for (int i = 0; i + 1 < savedAuxv.length; i += 2)
            if (savedAuxv[i] == type)
                return savedAuxv[i + 1];
        return -1;
    }

    /** The saved auxiliary vector as /proc/PID/auxv gives it: 8-byte type and value pairs, AT_NULL last. */
    public synchronized byte[] savedAuxvBytes() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * savedAuxv.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long v : savedAuxv)
            b.putLong(v);
        return b.array();
    }

    /**
     * The text of /proc/self/maps. Labels follow Linux's rules: an anonymous VMA that overlaps the program
     * break's range is [heap] and the one holding the initial stack pointer is [stack], however they
     * were created.
     */
    public synchronized String maps() {
        StringBuilder b = new StringBuilder();
        for (Vma v : vmas.all())
            b.append(v.mapsLine(label(v))).append('\n');
        return b.toString();
    }

    /** [heap] or [stack] for the anonymous VMA Linux would call so (see {@link #maps}), else null. */
    public String label(Vma v) {
        if (!v.backing.anonymous())
            return null;
        if (v.start < brk && v.end > brkStart)
            return "[heap]";
        if (v.start <= startStack && v.end >= startStack)
            return "[stack]";
        return null;
    }

    /**
     * Writes the dirty pages of shared file mappings in [start, end) back to their files (msync, munmap,
     * exit) and marks them clean. The CPU sets a PTE's D bit when it writes the page. In parallel mode,
     * where the engine's page walker must never write an entry (PageTable.setSettleEntries), a clean page
     * is also made read-only, as Linux's page_mkclean does: the next write faults, and the kernel makes it
     * writable and dirty again under this lock ({@link #redirty}).
     */
    public synchronized void writeBack(long start, long end) {
        boolean cleaned[] = {false};
        pageTable.forEachLeaf(start, end, (slot, entry, va, size) -> {
            if ((entry & Pte.D) == 0)
                return;
            Vma v = find(va);
            if (v == null || !v.shared || !(v.backing instanceof HostFileBacking file))
                return;
            long len = Math.min(size.bytes, v.end - va);
            file.writeBack(mem, Pte.address(entry) & -size.bytes, v.offset + (va - v.start), len);
            mem.putLong(slot, pageTable.settles() ? entry & ~(Pte.D | Pte.RW) : entry & ~Pte.D);
            cleaned[0] = true;
        });
        if (cleaned[0])
            shootdown(); // so that the next write sets D again
    }

    /** Host files mapped here, closed when the address space goes. */
    private final List<HostFileBacking> files = new ArrayList<>();

    /** mmap of a host file: like {@link #mmap}, and the file is closed when this address space goes. */
    public synchronized long mmapFile(long addr, long len, int prot, int flags, HostFileBacking file, long offset) {
        long r = mmap(addr, len, prot, flags, file, offset);
        if (r < 0 && r > -4096)
            file.close();
        else
            files.add(file);
        return r;
    }

    // ---- fork ----

    /** Processes using this address space: more than one after vfork's CLONE_VM, until the child execs or exits. */
    private int users = 1;
    /** Whether it was destroyed: a call-back from the proxy that comes later finds nothing mapped. */
    boolean destroyed;

    public synchronized void addUser() {
        users++;
    }

    /** A process stops using this address space; the last one frees it. Returns whether it was freed. */
    public synchronized boolean release() {
        if (--users > 0)
            return false;
        destroy();
        return true;
    }

    /**
     * fork: copies this address space into child (new and empty). Private pages become copy-on-write in
     * both spaces: one frame with one more reference, read-only PTEs carrying the COW bit, so the first
     * write by either side makes a copy ({@link #breakCopyOnWrite}). Shared mappings share their frames;
     * they are populated first because a page faulted in later by one process would not appear in the
     * other (there is no shared memory object behind a VMA).
     */
    public synchronized void forkInto(AddressSpace child) {
        for (Vma v : vmas.all()) {
            if (v.shared)
                populate(v.start, v.end);
            Vma copy = new Vma(v.start, v.end, v.prot, v.shared, v.growsDown, v.backing, v.offset, v.name, v.maxPage);
            child.vmas.insert(copy);
        }
        child.brkStart = brkStart;
        child.brk = brk;
        child.startStack = startStack;
        child.savedAuxv = savedAuxv;
        child.stackLimit = stackLimit;
        for (HostFileBacking f : files) {
            f.retain();
            child.files.add(f);
        }
        pageTable.forEachLeaf(0, X86.USER_TOP, (slot, entry, va, size) -> {
            Vma v = find(va);
            long e = entry;
            if (v == null || !v.shared) {
                e = (entry & ~Pte.RW) | Pte.COW;
                mem.putLong(slot, e);
            }
            frames.ref(Pte.address(entry) & -size.bytes, size.bytes);
            child.pageTable.setLeaf(va, size, e);
            child.residentBytes += size.bytes;
        });
        child.peakResidentBytes = child.residentBytes;
        shootdown();
    }

    /** Frees every page and page table; the address space is empty and unusable afterwards. */
    public synchronized void destroy() {
        destroyed = true;
        writeBack(0, X86.USER_TOP);
        for (HostFileBacking f : files)
            f.release();
        files.clear();
        releasePages(0, X86.USER_TOP);
        vmas.clear();
        shootdown();
        pageTable.destroy();
    }
}
