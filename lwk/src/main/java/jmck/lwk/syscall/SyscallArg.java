package jmck.lwk.syscall;

import java.util.ArrayList;
import java.util.List;

/**
 * One syscall argument as the {@link Syscall} table describes it: its kind and, for a buffer, its size
 * (fixed; or in another argument, times an element size: out@2*12 is argument 2's count of 12-byte
 * elements). The proxy passes it to the host by its kind (values as they are, fds translated, guest buffers
 * and strings as host pointers) and a trace shows it by its kind.
 */
public record SyscallArg(Kind kind, int size, int sizeArg) {
    /** The kinds of argument, with the words that name them in the table. */
    public enum Kind {
        DEC("d"), HEX("x"), FD("fd"), DIRFD("dirfd"), PATH("path"), STRING("str"), IN("in"), OUT("out"),
        INOUT("inout"), OPEN_FLAGS("oflags"), CLOEXEC_FLAGS("cflags"), BIT0_CLOEXEC_FLAGS("c1flags"), MODE("mode"),
        PROT("prot"), MAP_FLAGS("mapflags"), MSG_FLAGS("msgflags"), SIGNAL("sig"), PTR("ptr");

        final String word;

        Kind(String word) {
            this.word = word;
        }

        /** A buffer in guest memory that the host reads, writes or both. */
        public boolean isBuffer() {
            return this == IN || this == OUT || this == INOUT;
        }
    }

    private static final long O_CLOEXEC = 02000000, BIT0_CLOEXEC = 1;

    /** The length of a buffer argument in a call with arguments args. */
    public long length(long[] args) {
        if (sizeArg < 0)
            return size;
        long n = (int) args[sizeArg] == args[sizeArg] ? args[sizeArg] : args[sizeArg] & 0xffffffffL;
        return size > 0 ? (n < 0 || n > Integer.MAX_VALUE / size ? -1 : n * size) : n;
    }

    /** The bit of this argument that makes a new fd close-on-exec, or 0 if it has none. */
    public long cloexecBit() {
        return kind == Kind.OPEN_FLAGS || kind == Kind.CLOEXEC_FLAGS ? O_CLOEXEC : kind == Kind.BIT0_CLOEXEC_FLAGS ? BIT0_CLOEXEC : 0;
    }

    /** Parses a table entry's arguments: "fd, out@2, d", "path, out:144", "" for none. */
    public static List<SyscallArg> parse(String text) {
        List<SyscallArg> args = new ArrayList<>();
        if (text.isBlank())
            return List.of();
        for (String word : text.split(",")) {
            word = word.strip();
            int at = word.indexOf('@'), colon = word.indexOf(':');
            String name = at >= 0 ? word.substring(0, at) : colon >= 0 ? word.substring(0, colon) : word;
            Kind kind = null;
            for (Kind k : Kind.values())
                if (k.word.equals(name))
                    kind = k;
            if (kind == null || kind.isBuffer() != (at >= 0 || colon >= 0))
                throw new IllegalArgumentException("syscall table: bad argument '" + word + "' in \"" + text + "\"");
            int star = word.indexOf('*');
            int size = colon >= 0 ? Integer.parseInt(word.substring(colon + 1)) : star >= 0
                    ? Integer.parseInt(word.substring(star + 1)) : 0;
            int sizeArg = at >= 0 ? Integer.parseInt(word.substring(at + 1, star >= 0 ? star : word.length())) : -1;
            args.add(new SyscallArg(kind, size, sizeArg));
        }
        if (args.size() > 6)
            throw new IllegalArgumentException("syscall table: more than six arguments in \"" + text + "\"");
        return List.copyOf(args);
    }
}
