package jmck.lwk.trace;

import java.util.EnumMap;
import java.util.Map;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.PageTable;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallDispatcher;

/**
 * strace-like lines for --trace syscalls:
 * {@code [pid 100] openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3 <host>}. Common calls have their
 * arguments decoded (strings, buffers, flags); the rest show numbers. Guest memory is read without
 * faulting pages in, so tracing does not change what the program does.
 */
public final class SyscallFormat {
    private SyscallFormat() {}

    /**
     * Argument kinds, one letter each: d decimal, x hex, f fd (or AT_FDCWD), s path string, w buffer the
     * call reads (length in the next argument), r buffer the call filled (length in the result), o open
     * flags, m octal mode, p protection, M map flags, a pointer (NULL or hex).
     */
    private static final Map<Syscall, String> SHAPES = new EnumMap<>(Syscall.class);

    static {
        String[] rows = {"READ fr", "WRITE fwd", "OPEN som", "OPENAT fsom", "CLOSE f", "STAT sa", "FSTAT fa", "LSTAT sa",
            "NEWFSTATAT fsax", "LSEEK fdd", "MMAP adpMfx", "MPROTECT axp", "MUNMAP ax", "BRK a", "PREAD64 frd",
            "PWRITE64 fwdd", "ACCESS so", "FACCESSAT fsd", "EXECVE saa", "EXIT d", "EXIT_GROUP d", "UNLINK s",
            "UNLINKAT fsx", "MKDIR sm", "MKDIRAT fsm", "RMDIR s", "CHDIR s", "RENAME ss", "READLINK sad", "GETCWD ad",
            "READLINKAT fsad", "DUP f", "DUP2 ff", "DUP3 ffx", "PIPE2 ax", "IOCTL fxa", "FCNTL fdx", "KILL dd",
            "TGKILL ddd", "RT_SIGACTION daad", "RT_SIGPROCMASK daad", "ARCH_PRCTL xa", "SET_TID_ADDRESS a",
            "GETDENTS64 fad", "STATX fsxxa", "MADVISE axd", "MREMAP axxxa", "CLOCK_GETTIME da", "NANOSLEEP aa",
            "WAIT4 dadd", "CLONE xaaaa", "FUTEX axdaad", "CHMOD sm", "SYMLINK ss", "LINK ss", "TRUNCATE sd"};
        for (String row : rows) {
            String[] kv = row.split(" ");
            SHAPES.put(Syscall.valueOf(kv[0]), kv[1]);
        }
    }

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
        String shape = call == null ? null : SHAPES.get(call);
        if (shape == null) {
            int n = 6;
            while (n > 0 && a[n - 1] == 0)
                n--;
            for (int i = 0; i < n; i++)
                b.append(i == 0 ? "" : ", ").append(number(a[i]));
        } else {
            for (int i = 0; i < shape.length(); i++) {
                if (i > 0)
                    b.append(", ");
                b.append(argument(t, shape.charAt(i), a, i, r));
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

    private static String argument(Thread t, char kind, long[] a, int i, long r) {
        long v = a[i];
        switch (kind) {
            case 'd': return Long.toString(v);
            case 'f': return (int) v == -100 ? "AT_FDCWD" : Integer.toString((int) v);
            case 's': return v == 0 ? "NULL" : quoted(t, v, 4096, true);
            case 'w': return quoted(t, v, Math.min(a[i + 1], 32), false);
            case 'r': return r > 0 && r < 1 << 30 ? quoted(t, v, Math.min(r, 32), false) : "0x" + Long.toHexString(v);
            case 'o': return flags(v, OPEN_FLAGS, (v & 3) == 0 ? "O_RDONLY" : null);
            case 'm': return "0" + Long.toOctalString(v);
            case 'p': return v == 0 ? "PROT_NONE" : flags(v, PROT, null);
            case 'M': return flags(v, MAP, null);
            case 'a': return v == 0 ? "NULL" : "0x" + Long.toHexString(v);
            default: return "0x" + Long.toHexString(v);
        }
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
