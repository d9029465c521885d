package jmck.lwk.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.lwk.abi.Errno;

/**
 * What execve runs for a file, as Linux's exec_binprm chooses it: an ELF program as it is; a script whose
 * first line is "#!INTERPRETER [ARGUMENT]" runs its interpreter instead, with the argument (all of the
 * rest of the line, one word or not) and the script's path before the script's own arguments (argv[0]
 * dropped), as fs/binfmt_script.c does. An interpreter may be a script itself, up to {@link #MAX_DEPTH}
 * levels. argv is what the program finally gets.
 */
public record Executable(ElfImage elf, List<String> argv) {
    /** How many interpreters execve follows before it fails with ELOOP (Linux's exec_binprm: 5). */
    public static final int MAX_DEPTH = 5;
    /** Linux reads the first 256 bytes (BINPRM_BUF_SIZE) of a file to decide what it is. */
    private static final int BINPRM_BUF_SIZE = 256;

    /**
     * Opens path (checked as {@link ElfImage#open} checks it) for execve of filename, the path as the
     * caller gave it, with arguments argv.
     */
    public static Executable open(Path path, String filename, List<String> argv) {
        List<String> args = new ArrayList<>(argv);
        String script = null; // the script whose interpreter path is, for messages
        for (int depth = 0; ; depth++) {
            ByteBuffer b;
            try {
                b = ElfImage.map(path);
            } catch (ExecFormatException e) {
                if (script == null)
                    throw e;
                throw new ExecFormatException(script + ": its interpreter " + e.getMessage(), e.errno());
            }
            if (!isScript(b))
                return new Executable(ElfImage.parse(path.toString(), path, b), args);
            if (depth >= MAX_DEPTH)
                throw new ExecFormatException(filename + ": too many levels of #! interpreters", Errno.ELOOP);
            String[] line = interpreterLine(filename, b);
            List<String> next = new ArrayList<>();
            next.add(line[0]);
            if (line[1] != null)
                next.add(line[1]);
            next.add(filename);
            next.addAll(args.isEmpty() ? args : args.subList(1, args.size()));
            args = next;
            try {
                path = Path.of(line[0]);
            } catch (InvalidPathException e) {
                throw new ExecFormatException(filename + ": its interpreter " + line[0] + ": no such file or directory",
                        Errno.ENOENT);
            }
            script = filename;
            filename = line[0];
        }
    }

    private static boolean isScript(ByteBuffer b) {
        return b.capacity() >= 2 && b.get(0) == '#' && b.get(1) == '!';
    }

    /**
     * The interpreter and its optional argument (null if none) from the first line, parsed as Linux's
     * load_script parses it: spaces and tabs around the name and at the end are dropped; the argument is
     * everything after the name's first space or tab. A line that does not end within 256 bytes is cut
     * there, unless the interpreter's name itself might be cut (then ENOEXEC).
     */
    static String[] interpreterLine(String filename, ByteBuffer b) {
        int n = Math.min(b.capacity(), BINPRM_BUF_SIZE);
        byte[] buf = new byte[n];
        b.get(0, buf);
        int end = -1;
        for (int i = 0; i < n; i++)
            if (buf[i] == '\n') {
                end = i;
                break;
            }
        if (end < 0) {
            int name = skipBlanks(buf, 2, n);
            if (name == n || nextTerminator(buf, name, n) == n && n == BINPRM_BUF_SIZE)
                throw new ExecFormatException(filename + ": the #! line names no interpreter within its first "
                        + BINPRM_BUF_SIZE + " bytes (exec format error)");
            end = n;
        }
        while (end > 2 && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
            end--;
        int name = skipBlanks(buf, 2, end);
        if (name >= end)
            throw new ExecFormatException(filename + ": the #! line names no interpreter (exec format error)");
        int sep = nextTerminator(buf, name, end);
        String interpreter = new String(buf, name, sep - name, StandardCharsets.UTF_8);
        String argument = null;
        if (sep < end && buf[sep] != 0) {
            int arg = skipBlanks(buf, sep, end);
            if (arg < end)
                argument = new String(buf, arg, end - arg, StandardCharsets.UTF_8);
        }
        int nul = interpreter.indexOf('\0');
        return new String[] {nul >= 0 ? interpreter.substring(0, nul) : interpreter, argument};
    }

    private static int skipBlanks(byte[] b, int from, int end) {
        while (from < end && (b[from] == ' ' || b[from] == '\t'))
            from++;
        return from;
    }

    /** The first space, tab or NUL at or after from, or end. */
    private static int nextTerminator(byte[] b, int from, int end) {
        while (from < end && b[from] != ' ' && b[from] != '\t' && b[from] != 0)
            from++;
        return from;
    }
}
