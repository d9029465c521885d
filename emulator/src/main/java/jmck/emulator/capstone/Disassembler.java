package jmck.emulator.capstone;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.JmckException;

/**
 * An x86-64 disassembler (Capstone 5, Intel syntax). Instructions come back as plain records; the native
 * cs_insn array is freed before {@link #disassemble} returns. Not thread-safe: one per debugging session.
 */
public final class Disassembler implements AutoCloseable {
    /** One decoded instruction. */
    public record Insn(long address, byte[] bytes, String mnemonic, String operands) {
        public int size() {
            return bytes.length;
        }

        /** "mov byte ptr [rax], 1" */
        public String text() {
            return operands.isEmpty() ? mnemonic : mnemonic + " " + operands;
        }

        /** The bytes as hex pairs: "c6 00 01". */
        public String hex() {
            StringBuilder b = new StringBuilder();
            for (byte x : bytes)
                b.append(b.length() == 0 ? "" : " ").append(String.format("%02x", x & 0xff));
            return b.toString();
        }
    }

    // struct cs_insn (capstone.h, Capstone 5): id, address @8, size @16, bytes[24] @18, mnemonic[32] @42,
    // op_str[160] @74, detail @240; 248 bytes.
    private static final int ADDRESS = 8, SIZE = 16, BYTES = 18, MNEMONIC = 42, OP_STR = 74, INSN_SIZE = 248;

    private long handle;

    public Disassembler() {
        long[] h = new long[1];
        int err = CapstoneNative.cs_open(CapstoneNative.CS_ARCH_X86, CapstoneNative.CS_MODE_64, h);
        if (err != 0)
            throw new JmckException("cs_open(x86-64): " + CapstoneNative.cs_strerror(err));
        handle = h[0];
    }

    /** Capstone's version as "major.minor" (the library reports no patch level). */
    public static String version() {
        int v = CapstoneNative.cs_version(null, null);
        return (v >>> 8) + "." + (v & 0xff);
    }

    /** Decodes up to max instructions from code, which starts at address; stops early at undecodable bytes. */
    public List<Insn> disassemble(byte[] code, long address, int max) {
        List<Insn> out = new ArrayList<>();
        if (code.length == 0 || max <= 0)
            return out;
        long[] insn = new long[1];
        long n = CapstoneNative.cs_disasm(handle, code, code.length, address, max, insn);
        if (n <= 0)
            return out;
        try {
            Pointer p = new Pointer(insn[0]);
            for (long i = 0; i < n; i++) {
                long o = i * INSN_SIZE;
                int size = Short.toUnsignedInt(p.getShort(o + SIZE));
                out.add(new Insn(p.getLong(o + ADDRESS), p.getByteArray(o + BYTES, size), p.getString(o + MNEMONIC, "US-ASCII"),
                        p.getString(o + OP_STR, "US-ASCII")));
            }
        } finally {
            CapstoneNative.cs_free(insn[0], n);
        }
        return out;
    }

    @Override
    public void close() {
        if (handle != 0) {
            CapstoneNative.cs_close(new long[] {handle});
            handle = 0;
        }
    }
}
