package jmck.emulator.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import jmck.emulator.NativeLibraries;

/**
 * libunicorn.so.2 bound by JNA direct mapping (Native.register): the cheapest JNA calls, with primitive
 * arguments only. Engine, hook and context handles are native pointers carried as {@code long}.
 * Variadic calls (uc_hook_add, uc_ctl) go through fixed-argument wrappers in libjmckuc ({@link HookNative}).
 */
final class UnicornNative {
    static {
        Native.register(UnicornNative.class, NativeLibraries.unicorn());
    }

    private UnicornNative() {}

    static native int uc_version(Pointer major, Pointer minor);

    static native String uc_strerror(int code);

    static native int uc_open(int arch, int mode, long[] engine);

    static native int uc_close(long uc);

    static native int uc_reg_read(long uc, int regid, long[] value);

    static native int uc_reg_write(long uc, int regid, long[] value);

    static native int uc_mem_map(long uc, long address, long size, int perms);

    static native int uc_mem_map_ptr(long uc, long address, long size, int perms, long hostPointer);

    static native int uc_mem_unmap(long uc, long address, long size);

    static native int uc_mem_protect(long uc, long address, long size, int perms);

    static native int uc_mem_read(long uc, long address, byte[] bytes, long size);

    static native int uc_mem_write(long uc, long address, byte[] bytes, long size);

    static native int uc_mem_regions(long uc, long[] regions, int[] count);

    static native int uc_free(long mem);

    static native int uc_emu_start(long uc, long begin, long until, long timeoutMicros, long count);

    static native int uc_emu_stop(long uc);

    static native int uc_hook_del(long uc, long hook);

    static native int uc_context_alloc(long uc, long[] context);

    static native int uc_context_save(long uc, long context);

    static native int uc_context_restore(long uc, long context);

    static native long uc_context_size(long uc);

    static native int uc_context_free(long context);

    /** Keeps {@link Callback} on the import list for the wrappers below. */
    interface Unused extends Callback {}
}
