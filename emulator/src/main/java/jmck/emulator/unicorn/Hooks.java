package jmck.emulator.unicorn;

import com.sun.jna.Callback;

/**
 * Java callbacks for Unicorn hooks. Each one is a JNA upcall (about 0.4 us), so jmck installs them only
 * for stepping and tracing; the hot syscall, interrupt and block hooks live in native code ({@link NativeCore}).
 * Handles are native pointers as {@code long}.
 */
public final class Hooks {
    private Hooks() {}

    /** UC_HOOK_CODE (every instruction) and UC_HOOK_BLOCK (every translation block). */
    public interface CodeHook extends Callback {
        void invoke(long uc, long address, int size, long user);
    }

    /** UC_HOOK_INTR: an exception or software interrupt the CPU raised. */
    public interface InterruptHook extends Callback {
        void invoke(long uc, int vector, long user);
    }

    /** UC_HOOK_INSN with UC_X86_INS_SYSCALL. */
    public interface SyscallHook extends Callback {
        void invoke(long uc, long user);
    }

    /** UC_HOOK_MEM_*: return true to retry the access (after mapping it), false to fail it. */
    public interface MemHook extends Callback {
        boolean invoke(long uc, int type, long address, int size, long value, long user);
    }

    /** uc_hook_type bits. */
    public static final int INTR = 1;
    public static final int INSN = 1 << 1;
    public static final int CODE = 1 << 2;
    public static final int BLOCK = 1 << 3;
    public static final int MEM_READ_UNMAPPED = 1 << 4;
    public static final int MEM_WRITE_UNMAPPED = 1 << 5;
    public static final int MEM_FETCH_UNMAPPED = 1 << 6;
    public static final int MEM_READ_PROT = 1 << 7;
    public static final int MEM_WRITE_PROT = 1 << 8;
    public static final int MEM_FETCH_PROT = 1 << 9;
    public static final int MEM_UNMAPPED = MEM_READ_UNMAPPED | MEM_WRITE_UNMAPPED | MEM_FETCH_UNMAPPED;
    public static final int MEM_PROT = MEM_READ_PROT | MEM_WRITE_PROT | MEM_FETCH_PROT;

    /** The x86 instruction id of {@code syscall} for UC_HOOK_INSN. */
    static final int UC_X86_INS_SYSCALL = 699;
}
