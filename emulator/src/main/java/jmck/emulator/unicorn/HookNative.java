package jmck.emulator.unicorn;

import jmck.emulator.NativeLibraries;

/**
 * libjmckuc: jmck's native hooks and fixed-argument wrappers (emulator/src/main/c/jmck_uc.c), bound through
 * JNI (jmck_uc_jni.c). A core is the address of its shared block ({@link NativeCore}). The hooks call back
 * into {@code NativeCore.upcall(boolean)}. Java hooks for stepping and tracing go through JNA
 * ({@link JavaHookNative}).
 */
final class HookNative {
    static {
        NativeLibraries.hooks();
    }

    private HookNative() {}

    static native int jmck_probe_offsets(int[] offsets);

    /** Installs the hooks of the core at address core on uc; they call target.upcall(syscall). */
    static native int jmck_core_attach(long core, long uc, NativeCore target);

    static native void jmck_core_detach(long core);

    static native int jmck_core_set_budget(long core, long blocks);

    static native int jmck_core_has_budget_hook(long core);

    static native int jmck_core_enable_ipis(long core);

    static native int jmck_core_stop_between_blocks(long core, int on);

    static native int jmck_core_post(long core, int bits);

    static native void jmck_lend_host_cpus(int cpus);

    static native int jmck_parallel_build();

    static native int jmck_core_set_breakpoints(long core, long[] addresses, int n);

    static native int jmck_set_tcg_buffer_size(long uc, int bytes);

    static native int jmck_core_run(long core, long rip, long count);

    static native int jmck_flush_tlb(long uc);

    static native long jmck_tlb_grow(long uc, int entries);

    static native long jmck_tlb_reserve(int entries);

    static native int jmck_flush_tb(long uc);

    static native int jmck_set_cpu_model(long uc, int model);

    static native int jmck_remove_cache(long uc, long begin, long end);
}
