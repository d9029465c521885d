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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jmck.lwk.arch.X86;

/**
 * A static x86-64 ELF executable, read and checked before anything is loaded: ET_EXEC, or ET_DYN without
 * an interpreter (static-pie). Every way a file can be unfit ends in an {@link ExecFormatException} with
 * one clear line. The file is mapped read-only from the host; page contents are copied from it on demand.
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

    private ElfImage(Path path, ByteBuffer contents, int type, long entry, long phoff, List<Segment> segments) {
        this.path = path;
        this.contents = contents;
        this.type = type;
        this.entry = entry;
        this.phoff = phoff;
        this.segments = segments;
    }

    /** Opens and checks path. */
    public static ElfImage open(Path path) {
        String name = path.toString();
        if (Files.isDirectory(path))
            throw new ExecFormatException(name + ": is a directory");
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE)
                throw new ExecFormatException(name + ": file too large (over 2 GiB)");
            b = size == 0 ? ByteBuffer.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new ExecFormatException(name + ": no such file or directory");
        } catch (AccessDeniedException e) {
            throw new ExecFormatException(name + ": permission denied");
        } catch (IOException e) {
            throw new ExecFormatException(name + ": cannot read: " + e.getMessage());
        }
        return parse(name, path, b.order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Checks an image already in memory (tests feed it generated files this way). */
    public static ElfImage parse(String name, Path path, ByteBuffer b) {
        b = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.capacity();
        if (size < 4 || b.getInt(0) != 0x464c457f)
            throw new ExecFormatException(name + ": not an ELF executable (exec format error)");
        if (size < 64)
            throw new ExecFormatException(name + ": truncated ELF header (" + size + " bytes)");
        int elfClass = b.get(4), data = b.get(5), version = b.get(6);
        if (elfClass == 1)
            throw new ExecFormatException(name + ": 32-bit ELF; jmck runs 64-bit x86-64 programs only");
        if (elfClass != 2)
            throw new ExecFormatException(name + ": bad ELF class " + elfClass);
        if (data != 1)
            throw new ExecFormatException(name + ": big-endian ELF; jmck runs little-endian x86-64 programs only");
        if (version != 1)
            throw new ExecFormatException(name + ": bad ELF version " + version);
        int type = Short.toUnsignedInt(b.getShort(16));
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_X86_64)
            throw new ExecFormatException(name + ": ELF for " + machineName(machine) + ", not x86-64");
        if (type != ET_EXEC && type != ET_DYN)
            throw new ExecFormatException(name + ": not an executable (ELF type " + typeName(type) + ")");
        long entry = b.getLong(24), phoff = b.getLong(32);
        int phentsize = Short.toUnsignedInt(b.getShort(54)), phnum = Short.toUnsignedInt(b.getShort(56));
        if (phentsize != PHDR_SIZE)
            throw new ExecFormatException(name + ": bad program header size " + phentsize);
        if (phnum == 0)
            throw new ExecFormatException(name + ": no program headers");
        if (phoff < 0 || phoff > size || (long) phnum * PHDR_SIZE > size - phoff)
            throw new ExecFormatException(name + ": truncated ELF: program headers past the end of the file");

        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int o = (int) (phoff + (long) i * PHDR_SIZE);
            Segment s = new Segment(b.getInt(o), b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16),
                    b.getLong(o + 32), b.getLong(o + 40), b.getLong(o + 48));
            if (s.type == PT_INTERP)
                throw new ExecFormatException(name + ": dynamically linked; build with -static");
            if (s.type == PT_LOAD)
                checkLoad(name, i, s, size, type);
            segments.add(s);
        }
        List<Segment> loads = new ArrayList<>();
        for (Segment s : segments)
            if (s.type == PT_LOAD)
                loads.add(s);
        if (loads.isEmpty())
            throw new ExecFormatException(name + ": no loadable segments");
        for (int i = 1; i < loads.size(); i++)
            if (loads.get(i).vaddr < loads.get(i - 1).end())
                throw new ExecFormatException(name + ": overlapping or unsorted PT_LOAD segments");
        boolean entryOk = false;
        for (Segment s : loads)
            entryOk |= (s.flags & PF_X) != 0 && entry >= s.vaddr && entry < s.end();
        if (!entryOk)
            throw new ExecFormatException(name + ": entry point 0x" + Long.toHexString(entry)
                    + " is outside every executable segment");
        return new ElfImage(path, b, type, entry, phoff, Collections.unmodifiableList(segments));
    }

    private static void checkLoad(String name, int i, Segment s, long size, int type) {
        String what = name + ": segment " + i;
        if (s.offset < 0 || s.filesz < 0 || s.offset > size || s.filesz > size - s.offset)
            throw new ExecFormatException(name + ": truncated ELF: segment " + i + " lies past the end of the file");
        if (s.memsz < s.filesz)
            throw new ExecFormatException(what + " has p_filesz > p_memsz");
        if (((s.vaddr - s.offset) & (PAGE - 1)) != 0)
            throw new ExecFormatException(what + " has p_vaddr and p_offset at different page offsets");
        long limit = type == ET_DYN ? X86.USER_TOP / 2 : X86.USER_TOP;
        if (s.vaddr < 0 || s.memsz < 0 || s.vaddr > limit || s.memsz > limit - s.vaddr)
            throw new ExecFormatException(what + " lies outside the user address space");
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
            case 1: return "ET_REL, an object file";
            case 4: return "ET_CORE, a core dump";
            default: return String.valueOf(t);
        }
    }

    public Path path() {
        return path;
    }

    /** The file's canonical absolute path (symbolic links resolved), as /proc/self/exe and maps name it. */
    public String realPath() {
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

    /** Position independent (static-pie): loaded at a base the kernel picks. */
    public boolean positionIndependent() {
        return type == ET_DYN;
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

    public List<Segment> loadSegments() {
        List<Segment> l = new ArrayList<>();
        for (Segment s : segments)
            if (s.type == PT_LOAD)
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
