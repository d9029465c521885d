package jmck.lwk.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;

/**
 * An x86-64 ELF executable, read and checked before anything is loaded: ET_EXEC or ET_DYN (PIE, static-pie,
 * or a shared object such as the dynamic linker itself), with the ELF interpreter it names in PT_INTERP if
 * it is dynamically linked ({@link ProgramLoader} loads both). Every way a file can be unfit ends in an
 * {@link ExecFormatException} with one clear line. The file is mapped read-only from the host; page
 * contents are copied from it on demand.
 */
public final class ElfImage {
    public static final int ET_EXEC = 2, ET_DYN = 3;
    public static final int PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_TLS = 7,
            PT_GNU_STACK = 0x6474e551;
    public static final int PF_X = 1, PF_W = 2, PF_R = 4;
    public static final int PHDR_SIZE = 56;
    private static final int EM_X86_64 = 62;
    private static final long PAGE = 4096;

    /** One program header. */
    public record Segment(int type, int flags, long offset, long vaddr, long filesz, long memsz, long align) {
        public long end() {
            return vaddr + memsz;
        }
    }

    private final Path path;
    private final ByteBuffer contents;
    private final int type;
    private final long entry;
    private final long phoff;
    private final List<Segment> segments;
    private final String interpreter;

    private ElfImage(Path path, ByteBuffer contents, int type, long entry, long phoff, List<Segment> segments,
            String interpreter) {
        this.path = path;
        this.contents = contents;
        this.type = type;
        this.entry = entry;
        this.phoff = phoff;
        this.segments = segments;
        this.interpreter = interpreter;
    }

    /** Linux's PATH_MAX: the longest interpreter path PT_INTERP may hold, its NUL included. */
    private static final int PATH_MAX = 4096;

    /** Linux reads at most one page of program headers (load_elf_phdrs): 73 of them. */
    public static final int MAX_PHNUM = (int) (PAGE / PHDR_SIZE);
    /** The lowest address a program may map (vm.mmap_min_addr). */
    private static final long MMAP_MIN_ADDR = AddressSpace.MMAP_MIN_ADDR;
    /** Where the initial stack starts: a static executable's segments must stay below it. */
    private static final long STACK_BOTTOM = AddressSpace.STACK_TOP - InitialStack.INITIAL_STACK_SIZE;

    /**
     * Opens and checks path as execve would: a directory, a file that is not a regular file (a FIFO would
     * block the open) and a file without execute permission are refused with EACCES, before the file is
     * opened. Files.isExecutable asks the host's access(2), so for root, as for execve, any execute bit
     * will do.
     */
    public static ElfImage open(Path path) {
        return parse(path.toString(), path, map(path));
    }

    /**
     * The checks of {@link #open} and the file's contents: what execve looks at before it knows what kind of
     * program the file is (see {@link Executable}). A file of up to READ_MAX bytes is read into memory, a
     * larger one mapped read-only: FileChannel.map's first use runs the JDK's first lambda, which made
     * every run of a small program 5 ms slower than a read of its file (a hello world's is 0.8 MB).
     */
    private static final long READ_MAX = 8L << 20;

    static ByteBuffer map(Path path) {
        String name = path.toString();
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new ExecFormatException(name + ": no such file or directory", Errno.ENOENT);
        } catch (IOException e) {
            throw new ExecFormatException(name + ": cannot read it: " + reason(e), Errno.EACCES);
        }
        if (a.isDirectory())
            throw new ExecFormatException(name + ": is a directory", Errno.EACCES);
        if (!a.isRegularFile())
            throw new ExecFormatException(name + ": not a regular file (permission denied)", Errno.EACCES);
        if (!Files.isExecutable(path))
            throw new ExecFormatException(name + ": permission denied (no execute permission)", Errno.EACCES);
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE)
                throw new ExecFormatException(name + ": file too large: jmck runs programs of at most 2 GiB",
                        Errno.ENOMEM);
            if (size <= READ_MAX) {
                b = ByteBuffer.allocate((int) size);
                while (b.hasRemaining() && ch.read(b) >= 0) {
                    // a file that shrank meanwhile ends the read early: the parse then finds it short
                }
                b.flip();
            } else {
                b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            }
        } catch (NoSuchFileException e) {
            throw new ExecFormatException(name + ": no such file or directory", Errno.ENOENT);
        } catch (AccessDeniedException e) {
            throw new ExecFormatException(name + ": permission denied (no read permission)", Errno.EACCES);
        } catch (IOException e) {
            throw new ExecFormatException(name + ": cannot read it: " + reason(e), Errno.EIO);
        }
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An I/O error's reason, without the file name a FileSystemException repeats. */
    private static String reason(IOException e) {
        String r = e instanceof java.nio.file.FileSystemException f ? f.getReason() : e.getMessage();
        return r == null ? e.getClass().getSimpleName() : r.replace('\n', ' ');
    }

    /** A file that is no fit executable, as Linux's execve refuses it: ENOEXEC, "exec format error". */
    private static ExecFormatException unfit(String name, String what) {
        return new ExecFormatException(name + ": " + what + " (exec format error)");
    }

    /** A program header that Linux's load_elf_binary refuses with EINVAL, "invalid argument". */
    private static ExecFormatException invalid(String name, int i, String what) {
        return new ExecFormatException(name + ": program header " + i + ": " + what + " (invalid argument)",
                Errno.EINVAL);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /**
     * Checks an image already in memory (tests feed it generated files this way). Every field is checked
     * before it is used, in about the order Linux's load_elf_binary checks them, and every refusal names
     * what is wrong in one line.
     */
    public static ElfImage parse(String name, Path path, ByteBuffer b) {
        b = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.capacity();
        if (size < 4 || b.getInt(0) != 0x464c457f)
            throw unfit(name, "not an ELF executable");
        if (size > 4 && b.get(4) == 1) // before the size: a whole ELF32 header is shorter than an ELF64 one
            throw unfit(name, "32-bit ELF; jmck runs 64-bit x86-64 programs only");
        if (size < 64)
            throw unfit(name, "truncated ELF header: the file has " + size + " bytes, the header 64");
        int elfClass = Byte.toUnsignedInt(b.get(4)), data = Byte.toUnsignedInt(b.get(5));
        int version = Byte.toUnsignedInt(b.get(6));
        if (elfClass != 2)
            throw unfit(name, "invalid ELF class " + elfClass);
        if (data == 2)
            throw unfit(name, "big-endian ELF; jmck runs little-endian x86-64 programs only");
        if (data != 1)
            throw unfit(name, "invalid ELF data encoding " + data);
        if (version != 1)
            throw unfit(name, "invalid ELF version " + version);
        int type = Short.toUnsignedInt(b.getShort(16));
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_X86_64)
            throw unfit(name, "ELF for " + machineName(machine) + ", not x86-64");
        if (type != ET_EXEC && type != ET_DYN)
            throw unfit(name, "ELF type " + typeName(type) + ", not an executable");
        long entry = b.getLong(24), phoff = b.getLong(32);
        int phentsize = Short.toUnsignedInt(b.getShort(54)), phnum = Short.toUnsignedInt(b.getShort(56));
        if (phentsize != PHDR_SIZE)
            throw unfit(name, "program header size " + phentsize + ", not " + PHDR_SIZE);
        if (phnum == 0)
            throw unfit(name, "no program headers");
        if (phnum > MAX_PHNUM)
            throw unfit(name, phnum + " program headers, more than the " + MAX_PHNUM + " Linux reads");
        if (phoff < 0 || phoff > size || (long) phnum * PHDR_SIZE > size - phoff)
            throw unfit(name, "truncated ELF: the program headers at offset " + hex(phoff)
                    + " run past the end of the file (" + size + " bytes)");

        List<Segment> segments = new ArrayList<>();
        String interpreter = null;
        for (int i = 0; i < phnum; i++) {
            int o = (int) (phoff + (long) i * PHDR_SIZE);
            Segment s = new Segment(b.getInt(o), b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16),
                    b.getLong(o + 32), b.getLong(o + 40), b.getLong(o + 48));
            if (s.type == PT_INTERP && interpreter == null) // Linux takes the first
                interpreter = interpreterPath(name, i, s, b);
            if (s.type == PT_LOAD)
                checkLoad(name, i, s, size, type);
            segments.add(s);
        }
        // Segments that map nothing take no part (Linux maps nothing for them either).
        int previous = -1;
        boolean any = false, entryOk = false;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s.type != PT_LOAD)
                continue;
            any = true;
            if (s.memsz == 0)
                continue;
            if (previous >= 0) {
                Segment p = segments.get(previous);
                if (s.vaddr < p.end())
                    throw unfit(name, "program headers " + previous + " and " + i + ": PT_LOAD segments "
                            + hex(p.vaddr) + "-" + hex(p.end()) + " and " + hex(s.vaddr) + "-" + hex(s.end())
                            + (s.end() > p.vaddr ? " overlap" : " are out of order"));
            }
            previous = i;
            entryOk |= (s.flags & PF_X) != 0 && entry >= s.vaddr && entry < s.end();
        }
        if (!any)
            throw unfit(name, "no loadable segments (no PT_LOAD program header)");
        if (!entryOk)
            throw unfit(name, "entry point " + hex(entry) + " lies outside every executable segment");
        return new ElfImage(path, b, type, entry, phoff, Collections.unmodifiableList(segments), interpreter);
    }

    /**
     * The path PT_INTERP names, checked as load_elf_binary checks it: 2 to PATH_MAX bytes inside the file,
     * the last one NUL. The path is what precedes the first NUL, as open_exec reads it.
     */
    private static String interpreterPath(String name, int i, Segment s, ByteBuffer b) {
        if (s.filesz < 2 || s.filesz > PATH_MAX)
            throw unfit(name, "program header " + i + ": PT_INTERP of " + s.filesz + " bytes is no interpreter path");
        if (s.offset < 0 || s.offset > b.capacity() - s.filesz)
            throw unfit(name, "truncated ELF: program header " + i + ": the interpreter path at offset "
                    + hex(s.offset) + " runs past the end of the file (" + b.capacity() + " bytes)");
        byte[] bytes = new byte[(int) s.filesz];
        b.get((int) s.offset, bytes);
        if (bytes[bytes.length - 1] != 0)
            throw unfit(name, "program header " + i + ": the interpreter path does not end in a NUL byte");
        int len = 0;
        while (bytes[len] != 0)
            len++;
        return new String(bytes, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void checkLoad(String name, int i, Segment s, long size, int type) {
        if (s.offset < 0 || s.filesz < 0 || s.offset > size || s.filesz > size - s.offset)
            throw unfit(name, "truncated ELF: program header " + i + ": the segment's " + hex(s.filesz)
                    + " bytes at offset " + hex(s.offset) + " run past the end of the file (" + size + " bytes)");
        if (Long.compareUnsigned(s.filesz, s.memsz) > 0)
            throw invalid(name, i, "p_filesz " + hex(s.filesz) + " is larger than p_memsz " + hex(s.memsz));
        if (((s.vaddr - s.offset) & (PAGE - 1)) != 0)
            throw invalid(name, i, "p_vaddr " + hex(s.vaddr) + " and p_offset " + hex(s.offset)
                    + " lie at different offsets in a page");
        // A static-pie goes at a base the kernel picks, below the top of the user half.
        long limit = type == ET_DYN ? X86.USER_TOP / 2 : X86.USER_TOP;
        if (s.vaddr < 0 || s.memsz < 0 || s.vaddr > limit || s.memsz > limit - s.vaddr)
            throw invalid(name, i, "the segment's " + hex(s.memsz) + " bytes at " + hex(s.vaddr)
                    + " do not fit in the user address space (below " + hex(limit) + ")");
        if (type == ET_EXEC && s.memsz > 0) {
            if (s.vaddr < MMAP_MIN_ADDR)
                throw new ExecFormatException(name + ": program header " + i + ": segment at " + hex(s.vaddr)
                        + " lies below " + hex(MMAP_MIN_ADDR) + ", the lowest address a program may map"
                        + " (operation not permitted)", Errno.EPERM);
            if (s.end() > STACK_BOTTOM)
                throw new ExecFormatException(name + ": program header " + i + ": segment " + hex(s.vaddr) + "-"
                        + hex(s.end()) + " runs into the stack at " + hex(STACK_BOTTOM) + "-"
                        + hex(AddressSpace.STACK_TOP) + " (cannot allocate memory)", Errno.ENOMEM);
        }
    }

    private static String machineName(int m) {
        switch (m) {
            case 3: return "i386";
            case 40: return "ARM";
            case 183: return "AArch64";
            case 243: return "RISC-V";
            case 8: return "MIPS";
            case 20: return "PowerPC";
            case 21: return "PowerPC64";
            case 22: return "S/390";
            default: return "machine " + m;
        }
    }

    private static String typeName(int t) {
        switch (t) {
            case 0: return "ET_NONE";
            case 1: return "ET_REL (an object file)";
            case 4: return "ET_CORE (a core dump)";
            default: return hex(t);
        }
    }

    public Path path() {
        return path;
    }

    /** The file's canonical absolute path (symbolic links resolved), as /proc/self/exe and maps name it. */
    public String realPath() {
        if (path == null) // an image checked in memory only
            return "";
        try {
            return path.toRealPath().toString();
        } catch (java.io.IOException | RuntimeException e) {
            return path.toAbsolutePath().normalize().toString();
        }
    }

    /** The whole file, read-only. */
    public ByteBuffer contents() {
        return contents.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public long fileSize() {
        return contents.capacity();
    }

    /** Position independent (PIE, static-pie, a shared object): loaded at a base the kernel picks. */
    public boolean positionIndependent() {
        return type == ET_DYN;
    }

    /** The ELF interpreter (dynamic linker) PT_INTERP names, or null for a static program. */
    public String interpreter() {
        return interpreter;
    }

    /** The highest p_align of the PT_LOAD segments that is a power of two, at least a page (Linux's maximum_alignment). */
    public long maxAlignment() {
        long a = PAGE;
        for (Segment s : segments)
            if (s.type == PT_LOAD && s.align > 0 && Long.bitCount(s.align) == 1)
                a = Math.max(a, s.align);
        return a;
    }

    public long entry() {
        return entry;
    }

    public long phoff() {
        return phoff;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** The PT_LOAD segments that map something (p_memsz > 0), in file order. */
    public List<Segment> loadSegments() {
        List<Segment> l = new ArrayList<>();
        for (Segment s : segments)
            if (s.type == PT_LOAD && s.memsz > 0)
                l.add(s);
        return l;
    }

    /** Whether PT_GNU_STACK asks for an executable stack. */
    public boolean executableStack() {
        for (Segment s : segments)
            if (s.type == PT_GNU_STACK)
                return (s.flags & PF_X) != 0;
        return false;
    }

    /** Reads a NUL-terminated string at a file offset (section names, symbol names). */
    public String stringAt(long offset) {
        ByteBuffer b = contents();
        StringBuilder sb = new StringBuilder();
        for (long i = offset; i < b.capacity() && b.get((int) i) != 0; i++)
            sb.append((char) b.get((int) i));
        return sb.toString();
    }
}
