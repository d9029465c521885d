package jmck.emulator.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import jmck.emulator.NativeLibraries;

/** libjmckuc: jmck's native hooks and fixed-argument wrappers (emulator/src/main/c/jmck_uc.c). */
final class HookNative {
    static {
        Native.register(HookNative.class, NativeLibraries.hooks());
    }

    private HookNative() {}

    /** An upcall from a native hook into Java: returns NativeCore's action bits. */
    interface Upcall extends Callback {
        int invoke();
    }

    static native int jmck_probe_offsets(int[] offsets);

    static native int jmck_core_attach(Pointer core, long uc, Upcall onSyscall, Upcall onInterrupt);

    static native void jmck_core_detach(Pointer core);

    static native int jmck_core_set_budget(Pointer core, long blocks);

    static native int jmck_core_has_budget_hook(Pointer core);

    static native int jmck_core_enable_ipis(Pointer core);

    static native int jmck_core_post(Pointer core, int bits);

    static native void jmck_lend_host_cpus(int cpus);

    static native int jmck_parallel_build();

    static native int jmck_core_set_breakpoints(Pointer core, long[] addresses, int n);

    static native int jmck_set_tcg_buffer_size(long uc, int bytes);

    static native int jmck_core_run(Pointer core, long rip, long count);

    static native int jmck_flush_tlb(long uc);

    static native int jmck_flush_tb(long uc);

    static native int jmck_set_cpu_model(long uc, int model);

    static native int jmck_remove_cache(long uc, long begin, long end);

    static native int jmck_hook_add(long uc, long[] hook, int type, Callback callback, Pointer user, long begin, long end);

    static native int jmck_hook_add_insn(long uc, long[] hook, Callback callback, Pointer user, long begin, long end, int insn);
}
