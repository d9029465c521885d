package jmck.emulator.unicorn;

import jmck.emulator.NativeLibraries;

/**
 * libunicorn.so.2 bound through JNI (jmck_uc_jni.c in libjmckuc): primitive arguments and arrays only.
 * Engine, hook and context handles are native pointers carried as {@code long}. JNI, not JNA: an engine
 * is opened at every start, and JNA's start-up and the registration of a class's methods took tens of
 * milliseconds that boot waited for (docs/performance.md, Start-up). Variadic calls (uc_hook_add, uc_ctl)
 * go through fixed-argument wrappers in libjmckuc ({@link HookNative}).
 */
final class UnicornNative {
    static {
        NativeLibraries.hooks();
    }

    private UnicornNative() {}

    /** uc_version(NULL, NULL): 0xMMmmpp00. */
    static native int uc_version();

    static native String uc_strerror(int code);

    static native int uc_open(int arch, int mode, long[] engine);

    static native int uc_close(long uc);

    /** value holds the register (up to 8 longs; an MSR's id goes in value[0]). */
    static native int uc_reg_read(long uc, int regid, long[] value);

    static native int uc_reg_write(long uc, int regid, long[] value);

    static native int uc_mem_map(long uc, long address, long size, int perms);

    static native int uc_mem_map_ptr(long uc, long address, long size, int perms, long hostPointer);

    static native int uc_mem_unmap(long uc, long address, long size);

    static native int uc_mem_protect(long uc, long address, long size, int perms);

    static native int uc_mem_read(long uc, long address, byte[] bytes, int size);

    static native int uc_mem_write(long uc, long address, byte[] bytes, int size);

    /** uc_mem_regions as {uc_err, begin, end, perms, begin, end, perms, ...}. */
    static native long[] memRegions(long uc);

    static native int uc_emu_start(long uc, long begin, long until, long timeoutMicros, long count);

    static native int uc_emu_stop(long uc);

    static native int uc_hook_del(long uc, long hook);

    static native int uc_context_alloc(long uc, long[] context);

    static native int uc_context_save(long uc, long context);

    static native int uc_context_restore(long uc, long context);

    static native int uc_context_free(long context);

    /** A saved context's raw bytes. */
    static native byte[] contextBytes(long uc, long context);
}
