package jmck.emulator.unicorn;

import com.sun.jna.Callback;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jmck.emulator.JmckException;
import jmck.emulator.X86Reg;
import jmck.emulator.NativeLibraries;

/**
 * One Unicorn engine in x86-64 mode: a typed Java face over libunicorn 2.1. Every error becomes a
 * {@link UnicornException} with uc_strerror's text. Hook callbacks are kept here, strongly reachable,
 * until the hook is deleted or the engine closed, so the GC cannot free code Unicorn still calls.
 * An engine is used by one thread at a time (register scratch arrays are reused between calls).
 */
public final class Unicorn implements AutoCloseable {
    public static final int UC_ARCH_X86 = 4;
    public static final int UC_MODE_64 = 8;
    public static final int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4, PROT_ALL = 7;
    public static final int MSR_EFER = 0xC0000080;
    public static final int MSR_STAR = 0xC0000081;

    private static volatile boolean versionChecked;

    private long uc;
    private final long[] scratch = new long[1];
    private final long[] scratch3 = new long[3];
    private final Map<Long, Callback> hooks = new HashMap<>();

    private Unicorn(long uc) {
        this.uc = uc;
    }

    /**
     * Translated-code buffer per engine. Unicorn 2.1.1 clears the whole buffer with memset at every flush, so
     * a flush costs in proportion to its size, and the first one also faults every page of it in: QEMU's
     * default of 1 GiB took 3 s, 64 MiB some 100-200 ms in the JVM, 16 MiB 15-50 ms. jmck's build (patch 08)
     * drops the pages instead: they are faulted in only as code is written. 16 MiB holds the
     * translated code of busybox and libc many times over; when it does fill up, QEMU flushes it.
     */
    public static final int TRANSLATION_BUFFER_BYTES = 16 << 20;

    /**
     * Opens an x86-64 engine after checking that the library is Unicorn 2.1, and flushes its (empty)
     * translation buffer once. Unicorn 2.1.1 leaves the buffer's first region unallocated until a flush,
     * so the flush QEMU needs when the buffer first fills up is skipped and translated code is corrupted
     * (a crash in tb_set_jmp_target after some hundred programs on one core; fixed upstream in 2.1.3 by
     * commit 2128e01e, "Init tcg region buffer"). With Debian's build this first flush faults the whole
     * buffer in; with jmck's it costs a few milliseconds.
     */
    public static Unicorn openX86_64() {
        return openX86_64(TRANSLATION_BUFFER_BYTES);
    }

    /** An engine with a translation buffer of the given size (tests fill a small one on purpose). */
    public static Unicorn openX86_64(int translationBufferBytes) {
        checkVersion();
        long[] out = new long[1];
        UnicornException.check("uc_open", UnicornNative.uc_open(UC_ARCH_X86, UC_MODE_64, out));
        int err = HookNative.jmck_set_tcg_buffer_size(out[0], translationBufferBytes);
        if (err == UnicornException.UC_ERR_OK)
            err = HookNative.jmck_flush_tb(out[0]);
        if (err != UnicornException.UC_ERR_OK) {
            UnicornNative.uc_close(out[0]);
            throw new UnicornException("uc_ctl set_tcg_buffer_size", err);
        }
        return new Unicorn(out[0]);
    }

    /** Unicorn's version as "major.minor.patch". */
    public static String version() {
        int v = UnicornNative.uc_version();
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff);
    }

    /**
     * Whether the loaded library is Unicorn built with jmck's patches (emulator/unicorn/patches): lock ops
     * stay atomic between engines on parallel host threads, so cores can run at once.
     */
    public static boolean isParallelBuild() {
        return HookNative.jmck_parallel_build() != 0;
    }

    /** Which library is in use, for -v and the kernel log: "Unicorn 2.1.1 (jmck's parallel build, PATH)". */
    public static String describe() {
        return "Unicorn " + version() + " (" + (isParallelBuild() ? "jmck's parallel build" : "Debian's build") + ", "
                + NativeLibraries.unicornFile() + ")";
    }

    /** Fails with a clear message unless the loaded library reports version 2.1 (trixie's 2.1.1). */
    public static void checkVersion() {
        if (versionChecked)
            return;
        int v = UnicornNative.uc_version();
        if (((v >>> 24) & 0xff) != 2 || ((v >>> 16) & 0xff) != 1)
            throw new JmckException("libunicorn is version " + version() + ", jmck needs 2.1 (Debian trixie's 2.1.1): "
                    + NativeLibraries.SETUP_HINT);
        versionChecked = true;
    }

    /** The native uc_engine pointer. */
    public long handle() {
        return uc;
    }

    // ---- registers ----

    public long reg(X86Reg r) {
        UnicornException.check("uc_reg_read " + r, UnicornNative.uc_reg_read(uc, r.id, scratch));
        return scratch[0];
    }

    public void setReg(X86Reg r, long value) {
        scratch[0] = value;
        UnicornException.check("uc_reg_write " + r, UnicornNative.uc_reg_write(uc, r.id, scratch));
    }

    /** Reads a wide register (XMM: 16 bytes; ST: 10 bytes in 16) into the low bytes of two longs. */
    public long[] regWide(X86Reg r) {
        long[] v = new long[2];
        UnicornException.check("uc_reg_read " + r, UnicornNative.uc_reg_read(uc, r.id, v));
        return v;
    }

    public void setRegWide(X86Reg r, long[] v) {
        UnicornException.check("uc_reg_write " + r, UnicornNative.uc_reg_write(uc, r.id, v));
    }

    /** Reads a model-specific register (uc_x86_msr: rid, then the value at offset 8). */
    public long msr(int id) {
        scratch3[0] = id & 0xffffffffL;
        scratch3[1] = 0;
        UnicornException.check("uc_reg_read MSR", UnicornNative.uc_reg_read(uc, X86Reg.MSR.id, scratch3));
        return scratch3[1];
    }

    public void setMsr(int id, long value) {
        scratch3[0] = id & 0xffffffffL;
        scratch3[1] = value;
        UnicornException.check("uc_reg_write MSR", UnicornNative.uc_reg_write(uc, X86Reg.MSR.id, scratch3));
    }

    /** Loads GDTR (uc_x86_mmr: selector, base at 8, limit at 16, flags at 20). */
    public void setGdtr(long base, int limit) {
        scratch3[0] = 0;
        scratch3[1] = base;
        scratch3[2] = limit & 0xffffffffL;
        UnicornException.check("uc_reg_write GDTR", UnicornNative.uc_reg_write(uc, X86Reg.GDTR.id, scratch3));
    }

    // ---- memory ----

    public void memMap(long address, long size, int perms) {
        UnicornException.check("uc_mem_map", UnicornNative.uc_mem_map(uc, address, size, perms));
    }

    /** Maps host memory at hostPointer into the engine's physical address space, without copying. */
    public void memMapPtr(long address, long size, int perms, long hostPointer) {
        UnicornException.check("uc_mem_map_ptr", UnicornNative.uc_mem_map_ptr(uc, address, size, perms, hostPointer));
    }

    public void memUnmap(long address, long size) {
        UnicornException.check("uc_mem_unmap", UnicornNative.uc_mem_unmap(uc, address, size));
    }

    public void memProtect(long address, long size, int perms) {
        UnicornException.check("uc_mem_protect", UnicornNative.uc_mem_protect(uc, address, size, perms));
    }

    /** Reads memory through Unicorn's physical map (not through the guest's page tables). */
    public byte[] memRead(long address, int length) {
        byte[] b = new byte[length];
        UnicornException.check("uc_mem_read", UnicornNative.uc_mem_read(uc, address, b, length));
        return b;
    }

    /** Writes memory through Unicorn; unlike a direct host write, this drops translated code for it. */
    public void memWrite(long address, byte[] bytes) {
        UnicornException.check("uc_mem_write", UnicornNative.uc_mem_write(uc, address, bytes, bytes.length));
    }

    public List<MemRegion> memRegions() {
        long[] regions = UnicornNative.memRegions(uc); // {uc_err, then begin, end, perms for each}
        UnicornException.check("uc_mem_regions", (int) regions[0]);
        List<MemRegion> out = new ArrayList<>();
        for (int i = 1; i + 2 < regions.length; i += 3)
            out.add(new MemRegion(regions[i], regions[i + 1], (int) regions[i + 2]));
        return out;
    }

    // ---- running ----

    /** Emulates from begin until a hook stops it, until is reached, or count instructions ran (0: no limit). */
    public void emuStart(long begin, long until, long timeoutMicros, long count) {
        UnicornException.check("uc_emu_start", UnicornNative.uc_emu_start(uc, begin, until, timeoutMicros, count));
    }

    /** Same as emuStart, but returns the uc_err code instead of throwing. */
    public int emuStartCode(long begin, long until, long timeoutMicros, long count) {
        return UnicornNative.uc_emu_start(uc, begin, until, timeoutMicros, count);
    }

    public void emuStop() {
        UnicornException.check("uc_emu_stop", UnicornNative.uc_emu_stop(uc));
    }

    // ---- hooks ----

    public long hookCode(Hooks.CodeHook hook, long begin, long end) {
        return addHook(Hooks.CODE, hook, begin, end);
    }

    public long hookBlock(Hooks.CodeHook hook, long begin, long end) {
        return addHook(Hooks.BLOCK, hook, begin, end);
    }

    public long hookInterrupt(Hooks.InterruptHook hook) {
        return addHook(Hooks.INTR, hook, 1, 0);
    }

    /** A memory hook; types is a combination of Hooks.MEM_* bits. */
    public long hookMem(int types, Hooks.MemHook hook, long begin, long end) {
        return addHook(types, hook, begin, end);
    }

    public long hookSyscall(Hooks.SyscallHook hook) {
        long[] hh = new long[1];
        UnicornException.check("uc_hook_add syscall",
                JavaHookNative.jmck_hook_add_insn(uc, hh, hook, null, 1, 0, Hooks.UC_X86_INS_SYSCALL));
        hooks.put(hh[0], hook);
        return hh[0];
    }

    private long addHook(int type, Callback hook, long begin, long end) {
        long[] hh = new long[1];
        UnicornException.check("uc_hook_add", JavaHookNative.jmck_hook_add(uc, hh, type, hook, null, begin, end));
        hooks.put(hh[0], hook);
        return hh[0];
    }

    public void hookDel(long hook) {
        UnicornException.check("uc_hook_del", UnicornNative.uc_hook_del(uc, hook));
        hooks.remove(hook);
    }

    // ---- contexts and caches ----

    /** A saved CPU state (registers and hidden state, not memory). */
    public final class Context implements AutoCloseable {
        private long ctx;

        private Context(long ctx) {
            this.ctx = ctx;
        }

        /** The raw bytes of the saved state, for tests and debugging. */
        public byte[] bytes() {
            return UnicornNative.contextBytes(uc, ctx);
        }

        @Override
        public void close() {
            if (ctx != 0)
                UnicornNative.uc_context_free(ctx);
            ctx = 0;
        }
    }

    public Context contextAlloc() {
        long[] out = new long[1];
        UnicornException.check("uc_context_alloc", UnicornNative.uc_context_alloc(uc, out));
        return new Context(out[0]);
    }

    public void contextSave(Context c) {
        UnicornException.check("uc_context_save", UnicornNative.uc_context_save(uc, c.ctx));
    }

    public void contextRestore(Context c) {
        UnicornException.check("uc_context_restore", UnicornNative.uc_context_restore(uc, c.ctx));
    }

    /**
     * Grows the software TLB that user-mode accesses use to at least entries now (jmck's Unicorn patch 09),
     * empty; returns the entries it has, or 0 where this libunicorn cannot.
     */
    public long growTlb(int entries) {
        return HookNative.jmck_tlb_grow(uc, entries);
    }

    /**
     * Makes a TLB of at least entries ahead, its memory written, for a later {@link #growTlb} of that size on
     * any engine (patch 09); returns the entries made ready, 0 where this libunicorn cannot. Any thread.
     */
    public static long reserveTlb(int entries) {
        return HookNative.jmck_tlb_reserve(entries);
    }

    /** Drops the software TLB: needed after a PTE is downgraded (present to absent, writable to read-only). */
    public void flushTlb() {
        UnicornException.check("uc_ctl flush_tlb", HookNative.jmck_flush_tlb(uc));
    }

    /**
     * Drops translated blocks made from the memory that [begin, end) maps to (uc_ctl_remove_cache). The
     * range is virtual: Unicorn translates begin with the CPU's current page tables and privilege, then
     * invalidates the physical range. (Writes through uc_mem_write do not invalidate in Unicorn 2.1.)
     */
    public void removeTranslations(long begin, long end) {
        UnicornException.check("uc_ctl remove_cache", HookNative.jmck_remove_cache(uc, begin, end));
    }

    /**
     * Drops all translated code. Slow (uc_ctl_flush_tb resets and touches the whole translation buffer,
     * seconds for the default 1 GiB): prefer {@link #zeroCode} on the frames concerned.
     */
    public void flushTranslatedCode() {
        UnicornException.check("uc_ctl flush_tb", HookNative.jmck_flush_tb(uc));
    }

    /** Selects the emulated CPU model (uc_cpu_x86); must be called before the first register access. */
    public void setCpuModel(int model) {
        UnicornException.check("uc_ctl set_cpu_model", HookNative.jmck_set_cpu_model(uc, model));
    }

    @Override
    public void close() {
        if (uc != 0) {
            UnicornNative.uc_close(uc);
            uc = 0;
            hooks.clear();
        }
    }
}
