package jmck.emulator;

/**
 * One emulated x86-64 core, as the kernel sees it: registers, a run loop that ends when the kernel says
 * so, and the state of the trap (syscall or exception) being handled. The only implementation today is
 * {@link UnicornCpu}; the kernel depends on this interface alone, so another engine (a faster binding,
 * a test double) can stand in.
 */
public interface Cpu extends AutoCloseable {
    /** Handler results, as bits: go on running. */
    int CONTINUE = 0;
    /** End {@link #run} after this trap. */
    int STOP = 1;
    /** Leave rax alone after a syscall (the handler set the registers itself). */
    int KEEP_RAX = 2;

    /** What the kernel does when this core traps; called on the thread running {@link #run}. */
    interface TrapHandler {
        /** The core executed {@code syscall}: arguments in syscallNumber/syscallArg, result via setSyscallResult. */
        int onSyscall(Cpu cpu);

        /** The core raised an exception or software interrupt: see trapVector, trapCr2, trapErrorCode, trapRip. */
        int onInterrupt(Cpu cpu);
    }

    /** Why {@link #run} returned. */
    enum RunResult {
        /** A handler asked to stop, or the slice budget ran out. */
        STOPPED,
        /** The core decoded an instruction it does not implement (#UD). */
        INVALID_INSTRUCTION,
        /** The engine failed in a way the kernel cannot repair (see the log). */
        FAILED
    }

    /** A saved register state, for switching threads on this core. */
    interface Context extends AutoCloseable {
        @Override
        void close();
    }

    int id();

    /** The engine behind this core, for the kernel log: "Unicorn 2.1.1 (jmck's parallel build, PATH)". */
    default String engineName() {
        return getClass().getSimpleName();
    }

    long reg(X86Reg r);

    void setReg(X86Reg r, long value);

    /** A 128-bit register (XMM) or an 80-bit one (ST, mantissa then exponent) as two longs. */
    long[] regWide(X86Reg r);

    void setRegWide(X86Reg r, long[] value);

    long msr(int id);

    void setMsr(int id, long value);

    void setGdtr(long base, int limit);

    /** Runs from rip until a handler returns STOP or the budget runs out. */
    RunResult run(long rip);

    /**
     * Runs exactly count instructions from rip (single-stepping for debuggers and the kernel's own probes).
     * Unicorn counts with a per-instruction hook while this runs, so it is slow: never the normal path.
     */
    RunResult step(long rip, long count);

    /**
     * Sets or clears a breakpoint. {@link #run} then stops at the start of any block of code that holds a
     * breakpoint (a breakpoint where the run started does not count, so a debugger resumes from one by
     * running again), and {@link #breakpointBlockEnd} says so: the debugger steps from there up to the
     * breakpoint. Costs nothing while no breakpoint was ever set.
     */
    default void setBreakpoint(long va, boolean on) {
        throw new UnsupportedOperationException("breakpoints are not supported by " + getClass().getSimpleName());
    }

    /** After {@link #run}: the end of the block holding a breakpoint where it stopped, or 0 if it did not. */
    default long breakpointBlockEnd() {
        return 0;
    }

    /** A short description of why the last run failed, when it returned FAILED or INVALID_INSTRUCTION. */
    String lastRunError();

    // ---- the trap being handled ----

    long syscallNumber();

    /** Argument i (0..5): rdi, rsi, rdx, r10, r8, r9. */
    long syscallArg(int i);

    /** Address of the syscall instruction (rip after it is 2 bytes on). */
    long syscallRip();

    void setSyscallResult(long value);

    int trapVector();

    long trapCr2();

    int trapErrorCode();

    long trapRip();

    /** At a #GP from an in/out instruction: decode from here to find it (trapRip is not exact); else 0. */
    long trapIoFrom();

    // ---- scheduling and memory management ----

    /** Stops the core after this many translation blocks, exactly on a block boundary; 0 turns it off. */
    void setBudget(long blocks);

    /** Blocks left of the budget; 0 or less when it ran out. */
    long budgetLeft();

    Context newContext();

    void save(Context c);

    void restore(Context c);

    /** Makes a block of physical memory visible to this core (memory hot-add). */
    void attachBlock(PhysicalMemory.Block block);

    /** Removes a block of physical memory from this core (memory hot-remove). */
    void detachBlock(PhysicalMemory.Block block);

    // ---- cores on parallel host threads: what other threads may ask of a running core ----

    /** Whether this core can run on its own host thread beside others (lock ops stay atomic between them). */
    default boolean canRunInParallel() {
        return false;
    }

    /**
     * How many host CPUs cores in parallel mode run guest code on at once when they outnumber them (a core
     * spinning in guest code hands its CPU to one waiting for it); 0 if that is left to the host.
     */
    default int hostCpus() {
        return 0;
    }

    /** Makes the core see kicks, shootdowns and other cores' exclusive steps while it runs (parallel mode). */
    default void enableIpis() {}

    /**
     * Exact mode: the engine leaves translated code only between blocks (on), which every stop of the
     * kernel's hooks is, and not after each load or store too (off: for debuggers). Engines that cannot
     * choose return false and keep the tests.
     */
    default boolean stopBetweenBlocks(boolean on) {
        return false;
    }

    /**
     * Parallel mode: the engine's syscall hook answers FUTEX_WAKE_PRIVATE itself, waking nobody, while the
     * kernel's futex waiter count (a 32-bit word in host memory at waitersWord) is 0, as Linux's futex_wake
     * returns early when no waiter is hashed; 0 turns it off. Engines without such a hook ignore it.
     */
    default void answerFutexWakes(long waitersWord) {}

    /** Syscalls the engine's hook answered itself ({@link #answerFutexWakes}); the kernel never saw them. */
    default long answeredInHook() {
        return 0;
    }

    /** From any thread: the core stops at its next block boundary, or does not start (an IPI). */
    default void kick() {}

    /** The core's own thread, before it looks for work: clears a pending kick; whether there was one. */
    default boolean takeKick() {
        return false;
    }

    /**
     * From another thread: asks the core to flush its TLB before it runs more guest code. Returns whether it
     * runs guest code now, in which case the caller waits until {@link #tlbFlushOutstanding} is false.
     */
    default boolean requestTlbFlush() {
        return false;
    }

    /** Whether a flush asked for by {@link #requestTlbFlush} is not done yet by a core in guest code. */
    default boolean tlbFlushOutstanding() {
        return false;
    }

    /** Forgets cached translations of virtual addresses: after a PTE downgrade (our TLB shootdown). */
    void flushTlb();

    /**
     * Grows the software TLB that user mode uses to at least entries now, empty, if the engine can do that
     * directly, and returns the entries it has; 0 if it cannot, and the caller grows it by filling it (see
     * Core's TLB warm-up).
     */
    default long growTlb(int entries) {
        return 0;
    }

    /**
     * Forgets code translated from the memory that [va, va+length) maps to under the current page tables
     * and privilege level. Frames that held code are retired this way when freed: the host writes new
     * contents into them without the CPU seeing the writes, so old translations would otherwise survive.
     */
    void forgetCode(long va, long length);

    @Override
    void close();
}
