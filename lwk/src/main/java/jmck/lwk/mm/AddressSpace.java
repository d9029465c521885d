package jmck.lwk.mm;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.FaultOutcome.Access;

/**
 * A process's virtual address space (McKernel's process_vm, Linux's mm_struct): its VMAs, its page table
 * in emulated physical memory, the program break and the mmap area, and the mm lock. VMAs reserve address
 * ranges; pages appear only when touched. The work is done by its parts, one responsibility each:
 * <ul>
 * <li>{@link VmaTree}: the VMAs by address and the free gaps between them (where a new mapping goes);</li>
 * <li>{@link PageFaultHandler}: the page-fault path, start to end;</li>
 * <li>{@link MappingCalls}: mmap, munmap, mprotect, mremap, madvise and brk, with Linux's checks and errnos;</li>
 * <li>{@link UserPages}: the page-table edits on user pages (map, zap, protect, move, share at fork, write
 *     back) and the resident bytes;</li>
 * <li>{@link UserCopy}: user memory as the kernel reads and writes it (copy_from_user, copy_to_user).</li>
 * </ul>
 * This class keeps the state they share, the process-wide parts (/proc's view, fork, destruction), and the
 * entry points the rest of the kernel calls.
 *
 * <p>The mm lock is this object's monitor: every public method that reads or changes the VMAs or the page
 * table holds it (a page fault on one core, an munmap on another, the proxy's remote fault), and the parts
 * are only called from under it. It comes after the task lock and the futex lock, and before the frame
 * allocator's, in the lock order (jmck.lwk.proc.package-info). TLB shootdowns run under it: they wait only
 * for cores in guest code, which acknowledge without taking a lock.
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

    /** What memory management asks of the cores. */
    public interface Shootdown {
        /** Flushes stale translations on every core that runs this address space (our TLB shootdown). */
        void flush(AddressSpace as);

        /** A freed block held code: every core must forget what it translated from it (it reads as zero after). */
        void retireCode(long pa, long length);

        /**
         * The address space is being destroyed: no thread of it runs any more, and its frames, page tables
         * and root among them, are freed next. A core that still has its translations must flush before it
         * runs guest code again, which it does only after it loads another thread: the flush may wait till
         * then. By default, now.
         */
        default void forget(AddressSpace as) {
            flush(as);
        }
    }

    /** Told about faults the kernel takes on user memory while copying (the trap path reports user faults). */
    public interface KernelFaultListener {
        void onKernelFault(FaultOutcome outcome);
    }

    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    final PageTable pageTable;
    final VmaTree vmas = new VmaTree(MMAP_BASE, MMAP_MIN_ADDR, STACK_GUARD_GAP);
    final PageSize maxPage;
    private final UserCopy user;
    final UserPages pages;
    final MappingCalls calls;
    private final MemoryLocks locks = new MemoryLocks(this);
    /** membarrier's registrations (the REGISTER_* commands' bits), as Linux keeps them with the mm. */
    public volatile int membarrierRegistrations;
    private Shootdown shootdown = new Shootdown() {
        @Override
        public void flush(AddressSpace as) {}

        @Override
        public void retireCode(long pa, long length) {}
    };
    private KernelFaultListener kernelFaults;
    private PageCache pageCache;
    long brkStart;
    long brk;
    private long startStack;
    long stackLimit = 8L << 20;
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
        this.pages = new UserPages(this, mem, frames, pageTable);
        this.calls = new MappingCalls(this);
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
        return pages.peakResidentBytes();
    }

    /** Page faults handled (ru_minflt). */
    public synchronized long faults() {
        return faults;
    }

    /** Bytes of user memory mapped right now. */
    public synchronized long residentBytes() {
        return pages.residentBytes();
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

    /** Flushes stale translations on every core running this space. */
    void shootdown() {
        shootdown.flush(this);
    }

    /** A freed block held code: no core may run what it translated from it. */
    void retireCode(long pa, long length) {
        shootdown.retireCode(pa, length);
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

    // ---- the mm syscalls (MappingCalls) ----

    /**
     * Maps [start, end) (page-aligned) as a new VMA, replacing whatever was mapped there, like MAP_FIXED.
     * Used by the ELF loader and by mmap.
     */
    /** mlock and friends over these VMAs. */
    public MemoryLocks locks() {
        return locks;
    }

    public synchronized Vma map(long start, long end, int prot, boolean shared, boolean growsDown, Backing backing, long offset,
            String name) {
        return calls.map(start, end, prot, shared, growsDown, backing, offset, name);
    }

    /**
     * mmap(2) for anonymous memory and for files whose contents the caller provides as a backing.
     * Returns the address or -errno. name is "[heap]"-style or null (the backing's path shows then).
     */
    public synchronized long mmap(long addr, long len, int prot, int flags, Backing backing, long offset) {
        return calls.mmap(addr, len, prot, flags, backing, offset);
    }

    /** mmap's argument checks, in Linux's order: 0, or the errno (negated) it returns. */
    public static long checkMmap(long len, int prot, int flags, long offset) {
        return MappingCalls.checkMmap(len, prot, flags, offset);
    }

    public synchronized long munmap(long addr, long len) {
        return calls.munmap(addr, len);
    }

    public synchronized long mprotect(long addr, long len, int prot) {
        return calls.mprotect(addr, len, prot);
    }

    public synchronized long mremap(long oldAddr, long oldLen, long newLen, int flags, long newAddr) {
        return calls.mremap(oldAddr, oldLen, newLen, flags, newAddr);
    }

    public synchronized long madvise(long addr, long len, int advice) {
        return calls.madvise(addr, len, advice);
    }

    /**
     * mbind(2)'s change, once its arguments are checked: [start, end) (page-aligned, not empty) gets policy
     * (null: the default), its VMAs cut at the range's edges; EFAULT and no change if the range has a hole
     * (Linux's queue_pages_range looks before mbind_range changes). Nothing moves: the LWK's memory is one node.
     */
    public synchronized long mbind(long start, long end, MemoryPolicy policy) {
        for (long va = start; Long.compareUnsigned(va, end) < 0; ) {
            Vma v = vmas.find(va);
            if (v == null)
                return -Errno.EFAULT;
            va = v.end;
        }
        vmas.splitAt(start);
        vmas.splitAt(end);
        for (Vma v : vmas.startingIn(start, end))
            v.policy = policy;
        return 0;
    }

    /** The policy mbind gave the VMA at va (null: none, the default), or EFAULT if va is not mapped. */
    public synchronized MemoryPolicy policyAt(long va) {
        Vma v = vmas.find(va);
        if (v == null)
            throw new BadAddressException(Errno.EFAULT);
        return v.policy;
    }

    /** mseal(2): see {@link Seals}. */
    public synchronized long mseal(long addr, long len, long flags) {
        return Seals.seal(this, addr, len, flags);
    }

    /**
     * brk(2): moves the program break; returns the new break, or the old one if the request cannot be met
     * (the raw syscall never fails with an errno). The heap VMA is "[heap]".
     */
    public synchronized long brk(long addr) {
        return calls.brk(addr);
    }

    /** Sets where the heap starts (the page after the program's highest segment). */
    public synchronized void initBrk(long start) {
        brkStart = brk = MappingCalls.pageUp(start);
    }

    public synchronized long brkStart() {
        return brkStart;
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

    /** Writes the dirty pages of shared file mappings in [start, end) back to their files (msync, munmap, exit). */
    public synchronized void writeBack(long start, long end) {
        pages.writeBack(start, end);
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
     * write by either side makes a copy ({@link PageFaultHandler}). Shared mappings share their frames;
     * they are populated first because a page faulted in later by one process would not appear in the
     * other (there is no shared memory object behind a VMA).
     */
    public synchronized void forkInto(AddressSpace child) {
        for (Vma v : vmas.all()) {
            if (v.shared)
                calls.populate(v.start, v.end);
            Vma copy = new Vma(v.start, v.end, v.prot, v.shared, v.growsDown, v.backing, v.offset, v.name, v.maxPage);
            copy.sealed = v.sealed;
            copy.guarded = v.guarded;
            copy.policy = v.policy;
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
        pages.copyInto(child.pages);
        for (Vma v : vmas.all()) // MADV_DONTFORK: not in the child; MADV_WIPEONFORK: fresh zero pages there
            if ((v.onFork & Vma.DONT_FORK) != 0)
                child.calls.unmapRange(v.start, v.end);
            else if ((v.onFork & Vma.WIPE_ON_FORK) != 0)
                child.pages.releasePages(v.start, v.end);
        shootdown();
    }

    /** Frees every page and page table; the address space is empty and unusable afterwards. */
    public synchronized void destroy() {
        destroyed = true;
        writeBack(0, X86.USER_TOP);
        for (HostFileBacking f : files)
            f.release();
        files.clear();
        pages.releasePages(0, X86.USER_TOP);
        vmas.clear();
        shootdown.forget(this);
        pageTable.destroy();
    }
}
