package jmck.lwk.proc;

import java.util.ArrayDeque;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.arch.KernelImage;
import jmck.lwk.arch.X86;

/**
 * One core of the LWK: an emulated CPU, the thread whose registers it holds, and its run queue (McKernel's
 * per-CPU cpu_local_var). Traps from the CPU go to the kernel's {@link TrapEntry}.
 *
 * <p>Most of a core's state is per-core and touched only by the host thread running it (its CPU, its
 * current thread's registers, the TLB warm-up, the slice budget). What other threads may touch: the run
 * queue (guarded by {@link #runQueue}'s monitor), the code to retire (guarded by its list's monitor),
 * calls to make on the core ({@link #callOnCore}), and {@link #kick}, an interprocessor interrupt.
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
    /** Read by other cores (a kill looks for the rip of a running thread); written by this core only. */
    private volatile Thread current;
    /** Read by other cores for TLB shootdown (after a full fence); written by this core only. */
    private volatile long loadedRoot = -1;
    /** Threads waiting for this core. @GuardedBy("runQueue") */
    final ArrayDeque<Thread> runQueue = new ArrayDeque<>();
    /** The thread taken off the run queue for the slice running now, or null. @GuardedBy("runQueue") */
    Thread onCore;
    /** The host thread running this core in parallel mode, null in exact mode. */
    private volatile java.lang.Thread host;
    /** False once hot-unplug took the core away: nothing may be queued on it any more. @GuardedBy("runQueue") */
    volatile boolean online = true;
    /** Work other threads asked this core to do on its own host thread ({@link #callOnCore}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> calls = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The current syscall's arguments, filled by the kernel's syscall entry; reused, never kept. */
    public final long[] args = new long[6];
    private long budget;
    /**
     * A thread whose slice a trap ended early (a signal to deliver, rt_sigreturn's registers to load) and
     * the blocks its slice had left: it goes back to the front of the queue and runs them, as Linux
     * delivers a signal on the way back to user mode without giving the CPU away. Without this a thread
     * sent signals faster than its handler ran lost every slice at its handler's rt_sigreturn and never
     * got back to its own code. Only the core's own thread touches these.
     */
    Thread unfinishedSlice;
    long unfinishedBlocks;

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
        synchronized (runQueue) {
            return runQueue.size();
        }
    }

    /**
     * Whether another thread than t waits on this core's run queue. Spin loops ask it over and over: the usual
     * answer (nothing queued, or t alone) allocates no iterator, which the client compiler would not elide.
     */
    public boolean othersQueued(Thread t) {
        synchronized (runQueue) {
            int n = runQueue.size();
            if (n == 0 || n == 1 && runQueue.peekFirst() == t)
                return false;
            for (Thread q : runQueue)
                if (q != t && q.state == Thread.State.RUNNABLE)
                    return true;
            return false;
        }
    }

    // ---- what other host threads ask of this core ----

    /** Parallel mode: the host thread that runs this core from now on (null: exact mode, no own thread). */
    public void bindHost(java.lang.Thread t) {
        host = t;
        leaving = false;
    }

    /** Whether the calling host thread is the one running this core (always true in exact mode). */
    public boolean onOwnHostThread() {
        java.lang.Thread h = host;
        return h == null || h == java.lang.Thread.currentThread();
    }

    /** Its host thread is to end its loop (the run ends, or hot-unplug). */
    private volatile boolean leaving;

    public void leave() {
        leaving = true;
    }

    public boolean leaving() {
        return leaving;
    }

    /** Whether something waits for this core: a thread on its run queue, a call, code to retire. */
    public boolean hasWork() {
        return queued() > 0 || !calls.isEmpty() || mustRetireCode();
    }

    /** Whether the core runs on a host thread of its own (parallel mode). */
    public boolean parallel() {
        return host != null;
    }

    /**
     * Parallel mode: an interprocessor interrupt. The core looks at its run queue and its calls soon: in
     * guest code it stops at its next block boundary, idle it wakes up. (Exact mode: Scheduler.kick.)
     */
    void kick() {
        java.lang.Thread h = host;
        if (h == null)
            return;
        kicks.incrementAndGet(); // before the waker is read: see setWaker
        cpu.kick();
        java.util.concurrent.locks.LockSupport.unpark(h);
        if (waker != null)
            synchronized (wakerLock) { // not after setWaker(null) returned: the sleeper's slot may be gone by then
                Runnable w = waker;
                if (w != null)
                    w.run();
            }
    }

    /** Kicks so far (parallel mode): a wait inside a syscall ends if this moves. */
    private final java.util.concurrent.atomic.AtomicLong kicks = new java.util.concurrent.atomic.AtomicLong();
    private volatile Runnable waker;
    /** Held while a kick runs the waker, and to change it: a leaf lock (the waker takes none). */
    private final Object wakerLock = new Object();

    public long kicks() {
        return kicks.get();
    }

    /**
     * What wakes this core's host thread while it sleeps inside a syscall instead of in its idle park (for a
     * delegated call's answer, jmck.ihk.CoreAnswerSleep), or null. The sleeper sets it, then reads {@link #kicks};
     * a kick counts itself, then reads it: one of the two sees the other. Once setWaker(null) has returned,
     * no kick runs the old waker any more (the channel it wakes may be unmapped soon after).
     */
    public void setWaker(Runnable w) {
        synchronized (wakerLock) {
            waker = w;
        }
    }

    /** Clears a kick before the core looks for work (a kick after this is seen). */
    public void takeKicks() {
        cpu.takeKick();
    }

    /** Whether the slice running now has a block budget (it shares the core with other threads). */
    public boolean hasBudget() {
        return budget > 0;
    }

    /**
     * Runs work on this core's host thread, between slices (a memory block to map into its engine, say),
     * and returns once it ran. In exact mode, or on the core's own thread, it runs at once.
     */
    public void callOnCore(Runnable work) {
        if (onOwnHostThread()) {
            work.run();
            return;
        }
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        calls.add(() -> {
            try {
                work.run();
            } finally {
                done.countDown();
            }
        });
        kick();
        try {
            while (!done.await(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                java.lang.Thread h = host;
                if (h == null || !h.isAlive())
                    runCalls(); // the core's thread ended meanwhile: nobody else will
            }
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
        }
    }

    /** Runs the calls other threads queued (on this core's host thread, between slices). */
    public void runCalls() {
        for (Runnable r; (r = calls.poll()) != null; )
            r.run();
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
        // A core entering an address space gets a large TLB, for a new thread or not: clone's threads start
        // on other cores with a context, and a core left at QEMU's 256 entries refilled its TLB all the time
        // (OpenMP CG on 2 cores: 240,000 fills, against 18,000 on 1 core). Debian's libunicorn cannot grow
        // it on request: fill it instead, for a new thread only (with no current thread, the warm-up's trap
        // just stops the core)
        if (root != loadedRoot && tlbTarget > 256 && growTlb() == 0 && t.context == null)
            warmUpTlb();
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
            if (t.ripStale) { // a new child: its copy of its parent's registers has rip on the syscall
                cpu.setReg(X86Reg.RIP, t.rip);
                t.ripStale = false;
            }
            if (t.rootChanged) { // a forked child's registers hold its parent's CR3; writing CR3 flushes the TLB
                cpu.setReg(X86Reg.CR3, root);
                t.rootChanged = false;
            } else if (root != loadedRoot) {
                cpu.flushTlb();
            }
        }
        loadedRoot = root;
    }

    /**
     * Grows the user-mode TLB to tlbTarget entries where the engine can be told to (jmck's libunicorn,
     * patch 09); returns its entries, 0 where it cannot. Cheap once grown: it then only keeps QEMU from
     * shrinking it at the flush that follows.
     */
    private long growTlb() {
        long entries = cpu.growTlb(tlbTarget);
        if (entries > 0 && !tlbGrown) {
            tlbGrown = true;
            kmsg.log("core %d: user-mode TLB of %d entries", id, entries);
        }
        return entries;
    }

    /**
     * Parallel mode, on the core's own host thread before it first idles: the TLB is grown now, while
     * another core runs the program's start, not when the program's first thread comes here (0.5-8 ms
     * on the path of OpenMP's first parallel region, where core 0 waits for this one at a barrier).
     */
    public void prepareTlb() {
        if (tlbTarget > 256)
            growTlb();
    }

    /** The TLB has been grown on request once (said in the log once). */
    private boolean tlbGrown;

    /** The TLB size (entries) the warm-up aims for; 256 or less turns it off. */
    private int tlbTarget = jmck.lwk.arch.KernelImage.WARMUP_AREA_PAGES;

    public void setTlbTarget(int entries) {
        tlbTarget = Math.min(entries, jmck.lwk.arch.KernelImage.WARMUP_AREA_PAGES);
    }

    /**
     * Grows QEMU's software TLB for this core to tlbTarget entries (see KernelImage.warmUpRoot) where the
     * engine cannot be told to (Debian's libunicorn; jmck's own grows it at once, patch 09): enter ring 3
     * in the warm-up address space, touch 256 pages, flush, touch 512, flush, ... Each flush that finds
     * the TLB more than 70% used doubles it. Costs some 10 ms per new address space.
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

    /**
     * Saves the current thread's registers into its context (before another thread takes the core). Under
     * the thread's lock: a thread killed meanwhile has its context freed by whoever reaps it.
     */
    void saveCurrent() {
        Thread t = current;
        if (t != null)
            synchronized (t.lock) {
                if (t.alive() && t.context != null)
                    cpu.save(t.context);
            }
        current = null;
    }

    /** Saves the current thread so that another core can run it (the core goes offline). */
    public void saveForMigration() {
        saveCurrent();
    }

    /** Takes the core off line (hot-unplug): empties its run queue and returns what was in it. */
    public java.util.List<Thread> goOffline() {
        synchronized (runQueue) {
            online = false;
            java.util.List<Thread> l = new java.util.ArrayList<>(runQueue);
            runQueue.clear();
            return l;
        }
    }

    /** Forgets the current thread without saving (it died). */
    void dropCurrent(Thread t) {
        if (current == t)
            current = null;
    }

    /** Freed code frames whose translations this core must drop before it runs again: {pa, length}. */
    private final java.util.List<long[]> codeToRetire = new java.util.ArrayList<>();

    /** Notes a freed code frame (from any thread); the core forgets its translations before its next slice. */
    public void retireCode(long pa, long length) {
        synchronized (codeToRetire) {
            codeToRetire.add(new long[] {pa, length});
        }
        if (!onOwnHostThread())
            kick();
    }

    public boolean mustRetireCode() {
        synchronized (codeToRetire) {
            return !codeToRetire.isEmpty();
        }
    }

    /**
     * Forgets code translated from freed frames: briefly in the boot state (ring 0, kernel page tables), so
     * that each frame can be named by its address in the kernel's direct map.
     */
    public void retirePendingCode() {
        java.util.List<long[]> retire;
        synchronized (codeToRetire) {
            if (codeToRetire.isEmpty())
                return;
            retire = new java.util.ArrayList<>(codeToRetire);
            codeToRetire.clear();
        }
        Thread t = current;
        if (t == null) {
            forget(retire);
            return;
        }
        synchronized (t.lock) {
            boolean keep = t.alive() && t.context != null;
            if (keep)
                cpu.save(t.context);
            forget(retire);
            if (keep)
                cpu.restore(t.context);
            else
                current = null;
        }
    }

    private void forget(java.util.List<long[]> retire) {
        cpu.restore(bootContext);
        for (long[] r : retire)
            cpu.forgetCode(KernelImage.PHYSMAP_BASE + r[0], r[1]);
    }

    /** The page-table root whose translations this core's TLB may hold. */
    public long loadedRoot() {
        return loadedRoot;
    }

    /**
     * The address space with this root is gone, and its root frame may soon be another's: the next thread
     * this core loads gets a flushed TLB even if its root is that same frame (load flushes when the root
     * differs from the loaded one). From any thread: a load that sets another root meanwhile may be undone
     * here, which costs one more flush, never a stale translation (the frame is freed only after this).
     */
    public void forgetRoot(long root) {
        if (loadedRoot == root)
            loadedRoot = -1;
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

    /** Whether the engine was last told to leave translated code only between blocks (null: never told). */
    private Boolean betweenBlocks;

    /**
     * Exact mode: the engine leaves translated code only between blocks, where all of the kernel's stops are
     * (on), or also after each load and store, as Unicorn compiles it (off: with a debugger attached). Each
     * change drops the translated code, so only a change is passed on.
     */
    public void stopBetweenBlocks(boolean on) {
        if (betweenBlocks == null || betweenBlocks != on)
            betweenBlocks = cpu.stopBetweenBlocks(on) ? on : null;
    }

    /**
     * Parallel mode: the core sees kicks and shootdowns while it runs (its engine is kicked out of translated
     * code). The block hook comes only if the core has to share itself in slices (setBudget).
     */
    public void enableIpis() {
        cpu.enableIpis();
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
