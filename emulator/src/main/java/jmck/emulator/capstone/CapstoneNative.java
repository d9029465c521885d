package jmck.emulator.capstone;

import com.sun.jna.Native;
import jmck.emulator.NativeLibraries;

/**
 * libcapstone.so.5 (Debian trixie's Capstone 5, from .deps/) bound by JNA direct mapping, like the Unicorn
 * binding: primitive arguments only, the csh handle and the cs_insn array carried as {@code long}.
 */
final class CapstoneNative {
    static {
        Native.register(CapstoneNative.class, NativeLibraries.capstone());
    }

    private CapstoneNative() {}

    static final int CS_ARCH_X86 = 3;
    static final int CS_MODE_64 = 8;

    /** (major << 8) + minor; the pointers may be null. */
    static native int cs_version(com.sun.jna.Pointer major, com.sun.jna.Pointer minor);

    static native int cs_open(int arch, int mode, long[] handle);

    static native int cs_close(long[] handle);

    /** Disassembles up to count instructions of code at address; *insn receives a cs_insn array to cs_free. */
    static native long cs_disasm(long handle, byte[] code, long size, long address, long count, long[] insn);

    static native void cs_free(long insn, long count);

    static native int cs_errno(long handle);

    static native String cs_strerror(int code);
}
