package jmck.emulator.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import jmck.emulator.NativeLibraries;

/**
 * libjmckuc's uc_hook_add wrappers bound by JNA direct mapping, for the Java hooks of {@link Hooks} (JNA
 * callbacks, used only for stepping and tracing). Registered the first time such a hook is added, so that
 * a run that installs none never waits for JNA here.
 */
final class JavaHookNative {
    static {
        Native.register(JavaHookNative.class, NativeLibraries.hooksForJna());
    }

    private JavaHookNative() {}

    static native int jmck_hook_add(long uc, long[] hook, int type, Callback callback, Pointer user, long begin, long end);

    static native int jmck_hook_add_insn(long uc, long[] hook, Callback callback, Pointer user, long begin, long end, int insn);
}
