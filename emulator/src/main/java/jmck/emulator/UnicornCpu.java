package jmck.emulator;

import jmck.emulator.unicorn.NativeCore;
import jmck.emulator.unicorn.Unicorn;
import jmck.emulator.unicorn.UnicornException;

/**
 * A core backed by one Unicorn engine whose physical address space is the machine's {@link PhysicalMemory},
 * mapped once. Its MMU walks the page tables the kernel writes into that memory; syscalls and exceptions
 * reach the kernel through the native hooks of {@link NativeCore}.
 */
public final class UnicornCpu implements Cpu {
    private final int id;
    private final Unicorn engine;
    private final NativeCore hot;
    private String lastRunError = "";
    /** Whether the last run was a step: then every block in the translation cache counts instructions. */
    private boolean stepping;

    public UnicornCpu(int id, PhysicalMemory memory, TrapHandler handler) {
        this.id = id;
        this.memory = memory;
        this.engine = jmck.emulator.unicorn.EnginePrefetch.take(); // opened ahead at start-up, or now
        try {
            for (PhysicalMemory.Block b : memory.blocks())
                attachBlock(b);
            this.hot = new NativeCore(engine, new NativeCore.Handler() {
                @Override
                public int onSyscall(NativeCore core) {
                    return handler.onSyscall(UnicornCpu.this);
                }

                @Override
                public int onInterrupt(NativeCore core) {
                    return handler.onInterrupt(UnicornCpu.this);
                }
            });
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private PhysicalMemory memory;

    /** Maps a block of physical memory into this core (it must be attached to the machine's memory view). */
    @Override
    public void attachBlock(PhysicalMemory.Block b) {
        engine.memMapPtr(b.base(), b.size(), Unicorn.PROT_ALL, memory.hostAddress() + b.base());
    }

    @Override
    public void detachBlock(PhysicalMemory.Block b) {
        engine.memUnmap(b.base(), b.size());
    }

    /** The engine underneath, for stepping and tracing tools that install their own hooks. */
    public Unicorn engine() {
        return engine;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String engineName() {
        return Unicorn.describe();
    }

    @Override
    public long reg(X86Reg r) {
        return engine.reg(r);
    }

    @Override
    public void setReg(X86Reg r, long value) {
        engine.setReg(r, value);
    }

    @Override
    public long[] regWide(X86Reg r) {
        return engine.regWide(r);
    }

    @Override
    public void setRegWide(X86Reg r, long[] value) {
        engine.setRegWide(r, value);
    }

    @Override
    public long msr(int msr) {
        return engine.msr(msr);
    }

    @Override
    public void setMsr(int msr, long value) {
        engine.setMsr(msr, value);
    }

    @Override
    public void setGdtr(long base, int limit) {
        engine.setGdtr(base, limit);
    }

    @Override
    public RunResult run(long rip) {
        stepping = false;
        return result(hot.run(rip));
    }

    @Override
    public RunResult step(long rip, long count) {
        // Unicorn counts instructions only in code translated while a count is set: a block translated by
        // a free run would execute whole. Drop all translated code once when stepping begins (Unicorn itself
        // drops it again at the next free run). Dropping just the block at rip before every step crashed
        // libunicorn 2.1.1 after some ten thousand steps.
        if (!stepping) {
            engine.flushTranslatedCode();
            stepping = true;
        }
        return result(hot.step(rip, count));
    }

    // ---- breakpoints ----

    /**
     * Breakpoints live in the native block hook (jmck_uc.c): a run stops at the start of a block that holds
     * one, and the debugger steps from there. No UC_HOOK_CODE is used: with one in the engine, a
     * block-boundary stop (a slice's end) replayed guest instructions. Nothing is installed until the
     * first breakpoint; afterwards the block hook stays (about 8% on CPU-bound code, while debugging).
     */
    private final java.util.Set<Long> breakpoints = new java.util.LinkedHashSet<>();

    @Override
    public void setBreakpoint(long va, boolean on) {
        if (on ? breakpoints.add(va) : breakpoints.remove(va))
            hot.setBreakpoints(breakpoints.stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public long breakpointBlockEnd() {
        return hot.breakpointBlockEnd();
    }

    private RunResult result(int err) {
        switch (err) {
            case UnicornException.UC_ERR_OK:
                return RunResult.STOPPED;
            case UnicornException.UC_ERR_INSN_INVALID:
                lastRunError = "invalid instruction";
                return RunResult.INVALID_INSTRUCTION;
            default:
                lastRunError = new UnicornException("uc_emu_start", err).getMessage();
                return RunResult.FAILED;
        }
    }

    @Override
    public String lastRunError() {
        return lastRunError;
    }

    @Override
    public long syscallNumber() {
        return hot.syscallNumber();
    }

    @Override
    public long syscallArg(int i) {
        return hot.syscallArg(i);
    }

    @Override
    public long syscallRip() {
        return hot.syscallRip();
    }

    @Override
    public void setSyscallResult(long value) {
        hot.setSyscallResult(value);
    }

    @Override
    public int trapVector() {
        return hot.trapVector();
    }

    @Override
    public long trapCr2() {
        return hot.trapCr2();
    }

    @Override
    public int trapErrorCode() {
        return hot.trapErrorCode();
    }

    @Override
    public long trapRip() {
        return hot.trapRip();
    }

    @Override
    public long trapIoFrom() {
        return hot.trapIoFrom();
    }

    @Override
    public void setBudget(long blocks) {
        hot.setBudget(blocks);
    }

    @Override
    public long budgetLeft() {
        return hot.budgetLeft();
    }

    /** Register contexts allocated and not yet freed, over all cores (a leak check for tests). */
    private static final java.util.concurrent.atomic.AtomicLong LIVE_CONTEXTS = new java.util.concurrent.atomic.AtomicLong();

    public static long liveContexts() {
        return LIVE_CONTEXTS.get();
    }

    private final class SavedContext implements Context {
        final Unicorn.Context ctx = engine.contextAlloc();
        private boolean closed;

        SavedContext() {
            LIVE_CONTEXTS.incrementAndGet();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                LIVE_CONTEXTS.decrementAndGet();
                ctx.close();
            }
        }
    }

    @Override
    public Context newContext() {
        return new SavedContext();
    }

    @Override
    public void save(Context c) {
        engine.contextSave(((SavedContext) c).ctx);
    }

    @Override
    public void restore(Context c) {
        engine.contextRestore(((SavedContext) c).ctx);
    }

    @Override
    public boolean canRunInParallel() {
        return NativeCore.parallelBuild();
    }

    @Override
    public int hostCpus() {
        return NativeCore.HOST_CPUS;
    }

    @Override
    public void enableIpis() {
        hot.enableIpis();
    }

    @Override
    public boolean stopBetweenBlocks(boolean on) {
        return hot.stopBetweenBlocks(on);
    }

    @Override
    public void answerFutexWakes(long waitersWord) {
        hot.answerFutexWakes(waitersWord);
    }

    @Override
    public long answeredInHook() {
        return hot.answeredInHook();
    }

    @Override
    public void kick() {
        hot.kick();
    }

    @Override
    public boolean takeKick() {
        return hot.takeKick();
    }

    @Override
    public boolean requestTlbFlush() {
        return hot.requestFlush();
    }

    @Override
    public boolean tlbFlushOutstanding() {
        return hot.flushOutstanding();
    }

    @Override
    public void flushTlb() {
        engine.flushTlb();
    }

    @Override
    public long growTlb(int entries) {
        return engine.growTlb(entries);
    }

    @Override
    public void forgetCode(long va, long length) {
        engine.removeTranslations(va, va + length);
    }

    @Override
    public void close() {
        hot.close();
        engine.close();
    }
}
