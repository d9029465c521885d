package jmck.emulator.unicorn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.JmckException;
import jmck.emulator.host.HostMemory;

/**
 * The hot path of one core: libjmckuc's native syscall, interrupt and block hooks on an engine, and the
 * block of native memory they share with Java (struct jmck_core in jmck_uc.c). A syscall or an exception
 * costs one upcall into the {@link Handler}, which reads its arguments from the shared block without
 * further native calls. No per-instruction or per-block Java code runs; the block hook is native and is
 * installed only while a slice budget is set.
 */
public final class NativeCore implements AutoCloseable {
    /** Handler results, as bits. */
    public static final int CONTINUE = 0;
    /** End {@link #run} after this event. */
    public static final int STOP = 1;
    /** Do not write the syscall result to rax (the handler set the registers itself, or will later). */
    public static final int KEEP_RAX = 2;

    /** What the kernel does when the core traps. Called on the thread that called {@link #run}. */
    public interface Handler {
        int onSyscall(NativeCore core);

        int onInterrupt(NativeCore core);
    }

    // Offsets in struct jmck_core.
    private static final int SYS = 0, SYS_RESULT = 64, CR2 = 72, VECTOR = 80, ERROR_CODE = 84, BUDGET = 88,
            BLOCKS = 96, RIP = 104, BP_BLOCK_END = 112, IO_FROM = 120, PENDING = 128, IN_GUEST = 132,
            FUTEX_WAITERS = 136, ANSWERED = 144, SHARED_SIZE = 152, STRUCT_SIZE = 512;
    /** Bits of the pending word (PENDING_* in jmck_uc.c): stop at the next block boundary; flush the TLB first. */
    private static final int PENDING_KICK = 1, PENDING_FLUSH = 2;
    /** Atomic access to the words other threads share with the core's native hooks (C's __atomic on the same memory). */
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private static volatile int[] probedOffsets;

    private final Unicorn engine;
    /** struct jmck_core, zeroed; it lives as long as this object, which the native hooks hold until close. */
    private final ByteBuffer struct = ByteBuffer.allocateDirect(STRUCT_SIZE);
    /** Its address: what the native calls take. */
    private final long block = HostMemory.address(struct);
    private final ByteBuffer shared = struct.slice(0, SHARED_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Handler handler;
    private Throwable pending;

    /** Installs the native hooks on engine; handler receives every syscall and interrupt. */
    public NativeCore(Unicorn engine, Handler handler) {
        probeOffsets();
        this.engine = engine;
        this.handler = handler;
        UnicornException.check("jmck_core_attach", HookNative.jmck_core_attach(block, engine.handle(), this));
    }

    /**
     * Finds, once per process, where QEMU keeps the exception-in-flight field and the #PF error code inside
     * a saved context, by provoking two page faults on a scratch engine (jmck_probe_offsets in jmck_uc.c).
     * Returns {old_exception offset, error_code offset}.
     */
    public static int[] probeOffsets() {
        int[] offsets = probedOffsets;
        if (offsets == null) {
            synchronized (NativeCore.class) {
                if (probedOffsets == null) {
                    Unicorn.checkVersion();
                    int[] found = new int[2];
                    if (HookNative.jmck_probe_offsets(found) != 0)
                        throw new JmckException("Unicorn " + Unicorn.version()
                                + " failed jmck's page-fault self-test (is it Debian trixie's 2.1.1?)");
                    probedOffsets = found;
                }
                offsets = probedOffsets;
            }
        }
        return offsets.clone();
    }

    /** Called by the native hooks (jmck_uc_jni.c) on the thread in {@link #run}. */
    private int upcall(boolean syscall) {
        try {
            return syscall ? handler.onSyscall(this) : handler.onInterrupt(this);
        } catch (Throwable t) { // never let an exception unwind into native code: stop and rethrow in run()
            if (pending == null)
                pending = t;
            return STOP | KEEP_RAX;
        }
    }

    public Unicorn engine() {
        return engine;
    }

    /**
     * Runs the core from rip until a handler returns STOP, the block budget is spent, or the CPU hits an
     * error Unicorn cannot hand to a hook (an invalid instruction, say). Returns the uc_err code; rethrows an
     * exception a handler threw.
     */
    public int run(long rip) {
        return rethrowPending(HookNative.jmck_core_run(block, rip, 0));
    }

    /** Like {@link #run}, but stops after count instructions. */
    public int step(long rip, long count) {
        return rethrowPending(HookNative.jmck_core_run(block, rip, count));
    }

    private int rethrowPending(int err) {
        Throwable t = pending;
        if (t != null) {
            pending = null;
            if (t instanceof RuntimeException)
                throw (RuntimeException) t;
            if (t instanceof Error)
                throw (Error) t;
            throw new IllegalStateException(t);
        }
        return err;
    }

    // ---- at a syscall ----

    /** rax at the syscall instruction. */
    public long syscallNumber() {
        return shared.getLong(SYS);
    }

    /** Argument i (0..5): rdi, rsi, rdx, r10, r8, r9. */
    public long syscallArg(int i) {
        return shared.getLong(SYS + 8 + 8 * i);
    }

    /** The address of the syscall instruction itself (rip after it is 2 bytes on). */
    public long syscallRip() {
        return shared.getLong(SYS + 56);
    }

    public void setSyscallResult(long value) {
        shared.putLong(SYS_RESULT, value);
    }

    // ---- at an interrupt ----

    public int trapVector() {
        return shared.getInt(VECTOR);
    }

    public long trapCr2() {
        return shared.getLong(CR2);
    }

    /** The #PF error code: bit 0 present, 1 write, 2 user, 3 reserved bit, 4 instruction fetch. */
    public int trapErrorCode() {
        return shared.getInt(ERROR_CODE);
    }

    /** rip at the interrupt: the faulting instruction, or the one after int3/int n. */
    public long trapRip() {
        return shared.getLong(RIP);
    }

    /**
     * At the #GP an in/out instruction raises (Unicorn would let it do port I/O): rip then is not exact, and
     * the instruction is the first in/out at or after this address; 0 for every other trap.
     */
    public long trapIoFrom() {
        return shared.getLong(IO_FROM);
    }

    // ---- slices ----

    /**
     * Stops the core after this many translation blocks (exactly on a block boundary); 0 turns the budget
     * off. The first budget installs the native block hook and drops translated code once.
     */
    public void setBudget(long blocks) {
        UnicornException.check("jmck_core_set_budget", HookNative.jmck_core_set_budget(block, blocks));
    }

    /**
     * Sets the addresses where {@link #run} stops: at the start of the block that holds one (never at one
     * where the run started). {@link #breakpointBlockEnd} then tells where that block ends, for the caller
     * to step up to the breakpoint. The first breakpoints install the native block hook.
     */
    public void setBreakpoints(long[] addresses) {
        UnicornException.check("jmck_core_set_breakpoints",
                HookNative.jmck_core_set_breakpoints(block, addresses, addresses.length));
    }

    /** After a run: the end of the block holding a breakpoint where it stopped, or 0. */
    public long breakpointBlockEnd() {
        return shared.getLong(BP_BLOCK_END);
    }

    // ---- cores on parallel host threads (safe from any thread) ----

    /** Whether libunicorn is jmck's patched build, whose lock ops stay atomic between host threads. */
    public static boolean parallelBuild() {
        return HookNative.jmck_parallel_build() != 0;
    }

    /**
     * Exact mode: whether the engine leaves translated code only at block starts (on) or also after any load
     * or store, as Unicorn compiles it (off, for a debugger). False if this libunicorn cannot (Debian's).
     */
    public boolean stopBetweenBlocks(boolean on) {
        return HookNative.jmck_core_stop_between_blocks(block, on ? 1 : 0) == 0;
    }

    /**
     * Installs the kick hook: a core on its own host thread then sees kicks, TLB shootdowns and other cores'
     * exclusive steps at the next block start after another thread kicks its engine (no per-block cost).
     */
    public void enableIpis() {
        UnicornException.check("jmck_core_enable_ipis", HookNative.jmck_core_enable_ipis(block));
        HookNative.jmck_lend_host_cpus(HOST_CPUS); // the same each time: cores count tokens only when they outnumber them
    }

    /**
     * The host CPUs that cores in parallel mode run guest code on at once when they outnumber them
     * (host_cpus.c: a spinning core hands its CPU to a waiting one). JMCK_HOST_CPUS=0 leaves it to the host.
     */
    public static final int HOST_CPUS = hostCpus(System.getenv("JMCK_HOST_CPUS"));

    private static int hostCpus(String setting) {
        int all = Runtime.getRuntime().availableProcessors();
        if (setting == null || setting.isBlank())
            return all;
        try {
            return Math.max(0, Integer.parseInt(setting.trim()));
        } catch (NumberFormatException e) {
            System.err.println("jmck: JMCK_HOST_CPUS=" + setting + " is not a number: using " + all);
            return all;
        }
    }

    /**
     * Lets the syscall hook answer FUTEX_WAKE_PRIVATE itself (0: nobody woken) while the 32-bit word at
     * waitersWord, the kernel's count of futex waiters, is 0; 0 turns that off. See answer_futex_wake in
     * jmck_uc.c for why no wake-up is lost. Safe from any thread.
     */
    public void answerFutexWakes(long waitersWord) {
        LONG.setVolatile(shared, FUTEX_WAITERS, waitersWord);
    }

    /** Syscalls the hook answered itself ({@link #answerFutexWakes}), without the handler. */
    public long answeredInHook() {
        return (long) LONG.getVolatile(shared, ANSWERED);
    }

    /** An interprocessor interrupt: the core stops at its next block boundary (or does not start). */
    public void kick() {
        HookNative.jmck_core_post(block, PENDING_KICK);
    }

    /** Clears a pending kick; whether there was one. The core's own thread calls it before it looks for work. */
    public boolean takeKick() {
        return ((int) WORD.getAndBitwiseAnd(shared, PENDING, ~PENDING_KICK) & PENDING_KICK) != 0;
    }

    /**
     * Asks the core to flush its TLB before it runs more guest code (it does so at a block boundary, on
     * re-entering guest code, or while paused), then reads whether it runs guest code now: only then must
     * the caller wait for the flush ({@link #flushOutstanding}). The order, write then read, is one half of
     * the Dekker protocol; the core's half is enter_guest in jmck_uc.c.
     */
    public boolean requestFlush() {
        return HookNative.jmck_core_post(block, PENDING_FLUSH) != 0;
    }

    /** Whether a flush asked for is still to be done by a core that runs guest code. */
    public boolean flushOutstanding() {
        return ((int) WORD.getVolatile(shared, PENDING) & PENDING_FLUSH) != 0 && (int) WORD.getVolatile(shared, IN_GUEST) != 0;
    }

    /** Whether the native block hook is installed on this core. */
    public boolean hasBlockHook() {
        return HookNative.jmck_core_has_budget_hook(block) != 0;
    }

    /** Blocks left in the current budget (0 or less when it ran out). */
    public long budgetLeft() {
        return shared.getLong(BUDGET);
    }

    /** Translation blocks executed while a budget was set. */
    public long blocksExecuted() {
        return shared.getLong(BLOCKS);
    }

    @Override
    public void close() {
        HookNative.jmck_core_detach(block);
    }
}
