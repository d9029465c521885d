package jmck.lwk.trace;

import jmck.lwk.abi.Errno;
import jmck.lwk.mm.PageTable;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallArg;
import jmck.lwk.syscall.SyscallDispatcher;

/**
 * strace-like lines for --trace syscalls:
 * {@code [pid 100] openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3 <host>}. Each argument is shown as the
 * {@link Syscall} table describes it (strings, buffers, flags, numbers). Guest memory is read without
 * faulting pages in, so tracing does not change what the program does.
 */
public final class SyscallFormat {
    private SyscallFormat() {}

    /** A flag's value and name. */
    private record Flag(long bit, String name) {}

    private static final Flag[] OPEN_FLAGS = {new Flag(01, "O_WRONLY"), new Flag(02, "O_RDWR"), new Flag(0100, "O_CREAT"),
        new Flag(0200, "O_EXCL"), new Flag(0400, "O_NOCTTY"), new Flag(01000, "O_TRUNC"), new Flag(02000, "O_APPEND"),
        new Flag(04000, "O_NONBLOCK"), new Flag(0200000, "O_DIRECTORY"), new Flag(0400000, "O_NOFOLLOW"),
        new Flag(02000000, "O_CLOEXEC")};
    private static final Flag[] PROT = {new Flag(1, "PROT_READ"), new Flag(2, "PROT_WRITE"), new Flag(4, "PROT_EXEC")};
    private static final Flag[] MAP = {new Flag(0x1, "MAP_SHARED"), new Flag(0x2, "MAP_PRIVATE"), new Flag(0x10, "MAP_FIXED"),
        new Flag(0x20, "MAP_ANONYMOUS"), new Flag(0x100, "MAP_GROWSDOWN"), new Flag(0x4000, "MAP_NORESERVE"),
        new Flag(0x8000, "MAP_POPULATE"), new Flag(0x20000, "MAP_STACK"), new Flag(0x100000, "MAP_FIXED_NOREPLACE")};

    public static String line(Thread t, Syscall call, long nr, long[] a, long r, boolean delegated) {
        StringBuilder b = new StringBuilder();
        b.append("[pid ").append(t.tid()).append("] ");
        b.append(call == null ? "syscall_" + nr : call.linuxName).append('(');
        if (call == null) {
            int n = 6;
            while (n > 0 && a[n - 1] == 0)
                n--;
            for (int i = 0; i < n; i++)
                b.append(i == 0 ? "" : ", ").append(number(a[i]));
        } else {
            for (int i = 0; i < call.args().size(); i++) {
                if (i > 0)
                    b.append(", ");
                b.append(argument(t, call.args().get(i), a, i, r));
            }
        }
        if (r == SyscallDispatcher.NO_RETURN && delegated)
            return b.append(") <unfinished ...> <host>").toString(); // the answer comes in a "resumed" line
        b.append(") = ").append(result(r));
        if (delegated)
            b.append(" <host>");
        return b.toString();
    }

    /** The line for a blocked call's late result: "[pid 100] <... read resumed> = 42". */
    public static String resumed(Thread t, Syscall call, long r) {
        return "[pid " + t.tid() + "] <... " + (call == null ? "call" : call.linuxName) + " resumed> = " + result(r);
    }

    private static String result(long r) {
        if (r == SyscallDispatcher.NO_RETURN)
            return "?";
        if (Errno.isError(r))
            return "-1 " + Errno.name((int) -r);
        return r >= 0 && r < 1 << 20 ? Long.toString(r) : "0x" + Long.toHexString(r);
    }

    private static String number(long v) {
        return v >= 0 && v < 4096 ? Long.toString(v) : "0x" + Long.toHexString(v);
    }

    /** One argument as the {@link Syscall} table describes it. */
    private static String argument(Thread t, SyscallArg arg, long[] a, int i, long r) {
        long v = a[i];
        switch (arg.kind()) {
            case DEC: case SIGNAL: return Long.toString(v);
            case FD: case DIRFD: return (int) v == -100 ? "AT_FDCWD" : Integer.toString((int) v);
            case PATH: case STRING: return v == 0 ? "NULL" : quoted(t, v, 4096, true);
            case IN: // what the call reads, when its length is an argument
                return arg.sizeArg() >= 0 ? quoted(t, v, Math.min(arg.length(a), 32), false) : pointer(v);
            case OUT: // what it filled: as many bytes as it returns
                return arg.sizeArg() >= 0 && r > 0 && r < 1 << 30 ? quoted(t, v, Math.min(r, 32), false) : pointer(v);
            case OPEN_FLAGS: return flags(v, OPEN_FLAGS, (v & 3) == 0 ? "O_RDONLY" : null);
            case MODE: return "0" + Long.toOctalString(v);
            case PROT: return v == 0 ? "PROT_NONE" : flags(v, PROT, null);
            case MAP_FLAGS: return flags(v, MAP, null);
            case INOUT: case PTR: return pointer(v);
            default: return "0x" + Long.toHexString(v);
        }
    }

    private static String pointer(long v) {
        return v == 0 ? "NULL" : "0x" + Long.toHexString(v);
    }

    /** "A|B|0x40": the names of the bits set, then what is left; first (if not null) comes first. */
    private static String flags(long v, Flag[] names, String first) {
        StringBuilder b = new StringBuilder(first == null ? "" : first);
        long left = v;
        for (Flag f : names)
            if ((v & f.bit()) == f.bit()) {
                b.append(b.length() > 0 ? "|" : "").append(f.name());
                left &= ~f.bit();
            }
        if (left != 0 || b.length() == 0)
            b.append(b.length() > 0 ? "|" : "").append("0x").append(Long.toHexString(left));
        return b.toString();
    }

    /** A guest string or buffer as strace quotes it, read without faulting; "..." when cut. */
    private static String quoted(Thread t, long va, long max, boolean stopAtNul) {
        StringBuilder b = new StringBuilder("\"");
        var mm = t.process().mm();
        for (long i = 0; i < max; i++) {
            long pa = PageTable.translate(mm.memory(), mm.root(), va + i, false);
            if (pa < 0)
                return "0x" + Long.toHexString(va);
            int c = mm.memory().getByte(pa) & 0xff;
            if (stopAtNul && c == 0)
                return b.append('"').toString();
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c >= 32 && c < 127)
                        b.append((char) c);
                    else
                        b.append(String.format("\\x%02x", c));
                }
            }
            if (i >= 255 && stopAtNul)
                return b.append("\"...").toString();
        }
        return b.append(stopAtNul ? "\"..." : "\"").toString();
    }
}
