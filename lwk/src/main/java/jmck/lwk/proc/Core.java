package jmck.lwk.proc;

import java.util.ArrayDeque;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.arch.KernelImage;
import jmck.lwk.arch.X86;

/**
 * One core of the LWK: an emulated CPU, the thread whose registers it holds, and its run queue (McKernel's
 * per-CPU cpu_local_var). Traps from the CPU go to the kernel's {@link TrapEntry}.
 */
public final class Core implements Cpu.TrapHandler {
    /** Where a core's traps go: the kernel's syscall and interrupt entry points. */
    public interface TrapEntry {
        int syscall(Core core, Thread thread);

        int interrupt(Core core, Thread thread);
    }

    private final int id;
    private final TrapEntry entry;
    private Cpu cpu;
    private Cpu.Context bootContext;
    private Thread current;
    private long loadedRoot = -1;
    final ArrayDeque<Thread> runQueue = new ArrayDeque<>();
    /** The current syscall's arguments, filled by the kernel's syscall entry; reused, never kept. */
    public final long[] args = new long[6];
    private long budget;

    private final jmck.lwk.KernelLog kmsg;
    private boolean sharing;

    public Core(int id, TrapEntry entry, jmck.lwk.KernelLog kmsg) {
        this.id = id;
        this.entry = entry;
        this.kmsg = kmsg;
    }

    private KernelImage image;

    /** Attaches the CPU and records its state after the kernel set it up (ring 0, paging on). */
    public void attach(Cpu cpu, KernelImage image) {
        this.cpu = cpu;
        this.image = image;
        this.bootContext = cpu.newContext();
        cpu.save(bootContext);
    }

    public int id() {
        return id;
    }

    public Cpu cpu() {
        return cpu;
    }

    /** The thread whose registers are on this core (running, or last to run). */
    public Thread current() {
        return current;
    }

    public int queued() {
        return runQueue.size();
    }

    /** For debuggers (read-only): the threads waiting in this core's run queue, next first (a copy). */
    public java.util.List<Thread> runQueue() {
        return java.util.List.copyOf(runQueue);
    }

    @Override
    public int onSyscall(Cpu c) {
        if (current == null) // the kernel's own probe code (cpuid at boot): just stop
            return Cpu.STOP | Cpu.KEEP_RAX;
        return entry.syscall(this, current);
    }

    @Override
    public int onInterrupt(Cpu c) {
        if (current == null)
            return Cpu.STOP;
        return entry.interrupt(this, current);
    }

    /**
     * Puts t's registers on the CPU (a context switch). A thread that never ran starts from the boot state
     * in ring 0 and enters ring 3 through the sysret trampoline; CR3 is written then, which flushes the TLB.
     * A saved thread's context is restored as a whole; switching to another address space flushes the TLB.
     */
    void load(Thread t) {
        if (current == t && t.context != null)
            return;
        saveCurrent();
        long root = t.process().mm().root();
        if (t.context == null && root != loadedRoot && tlbTarget > 256)
            warmUpTlb(); // with no current thread: its trap just stops the core
        current = t;
        if (t.context == null) {
            cpu.restore(bootContext);
            cpu.setReg(X86Reg.CR3, root);
            for (X86Reg r : new X86Reg[] {X86Reg.RAX, X86Reg.RBX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI, X86Reg.RBP,
                    X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15})
                cpu.setReg(r, 0);
            cpu.setReg(X86Reg.RSP, t.startRsp);
            cpu.setReg(X86Reg.RCX, t.startRip); // sysret: rip from rcx, rflags from r11
            cpu.setReg(X86Reg.R11, X86.RFLAGS_IF | X86.RFLAGS_RESERVED);
            t.rip = KernelImage.SYSRET_VA;
            t.context = cpu.newContext();
        } else {
            cpu.restore(t.context);
            if (t.rootChanged) { // a forked child's registers hold its parent's CR3; writing CR3 flushes the TLB
                cpu.setReg(X86Reg.CR3, root);
                t.rootChanged = false;
            } else if (root != loadedRoot) {
                cpu.flushTlb();
            }
        }
        loadedRoot = root;
    }

    /** The TLB size (entries) the warm-up aims for; 256 or less turns it off. */
    private int tlbTarget = jmck.lwk.arch.KernelImage.WARMUP_AREA_PAGES;

    public void setTlbTarget(int entries) {
        tlbTarget = Math.min(entries, jmck.lwk.arch.KernelImage.WARMUP_AREA_PAGES);
    }

    /**
     * Grows QEMU's software TLB for this core to tlbTarget entries (see KernelImage.warmUpRoot): enter ring 3
     * in the warm-up address space, touch 256 pages, flush, touch 512, flush, ... Each flush that finds
     * the TLB more than 70% used doubles it. Costs a couple of milliseconds once per address space.
     */
    private void warmUpTlb() {
        long touch = jmck.lwk.arch.KernelImage.WARMUP_CODE_VA + jmck.lwk.arch.KernelImage.TOUCH_PAGES_OFFSET;
        cpu.restore(bootContext);
        cpu.setReg(X86Reg.CR3, image.warmUpRoot());
        long entry = KernelImage.SYSRET_VA; // the first round enters ring 3, the others are already there
        for (long pages = 256; pages < tlbTarget; pages *= 2) {
            cpu.setReg(X86Reg.RDI, jmck.lwk.arch.KernelImage.WARMUP_AREA_VA);
            cpu.setReg(X86Reg.RSI, pages);
            cpu.setReg(X86Reg.RCX, touch);
            cpu.setReg(X86Reg.R11, X86.RFLAGS_RESERVED);
            if (cpu.run(entry) != Cpu.RunResult.STOPPED)
                throw new IllegalStateException("TLB warm-up failed on core " + id + ": " + cpu.lastRunError());
            cpu.flushTlb();
            entry = touch;
        }
        loadedRoot = -1;
    }

    /** Saves the current thread's registers into its context (before another thread takes the core). */
    void saveCurrent() {
        if (current != null && current.alive() && current.context != null)
            cpu.save(current.context);
        current = null;
    }

    /** Saves the current thread so that another core can run it (the core goes offline). */
    public void saveForMigration() {
        saveCurrent();
    }

    /** Empties the run queue, returning what was in it. */
    public java.util.List<Thread> drainQueue() {
        java.util.List<Thread> l = new java.util.ArrayList<>(runQueue);
        runQueue.clear();
        return l;
    }

    /** Forgets the current thread without saving (it died). */
    void dropCurrent(Thread t) {
        if (current == t)
            current = null;
    }

    /** Freed code frames whose translations this core must drop before it runs again: {pa, length}. */
    private final java.util.List<long[]> codeToRetire = new java.util.ArrayList<>();

    /** Notes a freed code frame; the core forgets its translations before its next slice. */
    public void retireCode(long pa, long length) {
        codeToRetire.add(new long[] {pa, length});
    }

    public boolean mustRetireCode() {
        return !codeToRetire.isEmpty();
    }

    /**
     * Forgets code translated from freed frames: briefly in the boot state (ring 0, kernel page tables), so
     * that each frame can be named by its address in the kernel's direct map.
     */
    public void retirePendingCode() {
        if (codeToRetire.isEmpty())
            return;
        Thread t = current;
        boolean keep = t != null && t.alive() && t.context != null;
        if (keep)
            cpu.save(t.context);
        cpu.restore(bootContext);
        for (long[] r : codeToRetire)
            cpu.forgetCode(KernelImage.PHYSMAP_BASE + r[0], r[1]);
        codeToRetire.clear();
        if (keep)
            cpu.restore(t.context);
        else
            current = null;
    }

    /** The page-table root whose translations this core's TLB may hold. */
    public long loadedRoot() {
        return loadedRoot;
    }

    /**
     * Installs the block-budget hook without arming it. Installing drops the core's translated code, and
     * the first drop of a code buffer costs some 20-40 ms (it touches the whole buffer), so the scheduler
     * does it for every core at once, when the first core must share, rather than in the middle of a run.
     */
    void prepareToShare() {
        if (sharing)
            return;
        sharing = true;
        cpu.setBudget(Long.MAX_VALUE);
        cpu.setBudget(0);
        budget = 0;
        kmsg.log("core %d: native block hook installed for %d-block slices", id, Scheduler.SLICE_BLOCKS);
    }

    /** Sets the slice budget if it changed (0: run until a trap stops the core). */
    void setBudget(long blocks) {
        if (blocks > 0 && !sharing)
            prepareToShare();
        if (blocks != budget || blocks > 0) {
            cpu.setBudget(blocks);
            budget = blocks;
        }
    }

    public void close() {
        if (bootContext != null)
            bootContext.close();
        cpu.close();
    }
}
