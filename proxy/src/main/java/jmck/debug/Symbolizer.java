package jmck.debug;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jmck.lwk.elf.ElfSymbols;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Vma;

/**
 * Names addresses of a process after the symbols of the files it maps: the program, its dynamic linker and
 * its shared libraries. Which file an address belongs to, and where that file was loaded, come from the
 * process's VMAs, so a PIE, a static-pie and a library loaded anywhere are all named right:
 * {@code main+20} in the program, {@code puts+4 in libc.so.6} in a library. A file's symbols are read once
 * (.symtab, else .dynsym: Debian's libraries keep only the symbols they export).
 */
final class Symbolizer {
    private static final int PT_LOAD = 1;

    /** One mapped ELF file: its symbols at file addresses, and its PT_LOADs as {offset, vaddr, filesz}. */
    private record ElfFile(ElfSymbols symbols, List<long[]> loads) {
        static final ElfFile NONE = new ElfFile(ElfSymbols.NONE, List.of());

        /** The load bias of a VMA that maps this file's offset vmaOffset at start, or null if no PT_LOAD covers it. */
        Long bias(long start, long vmaOffset) {
            for (long[] l : loads)
                if (vmaOffset >= (l[0] & -4096L) && vmaOffset < l[0] + Math.max(l[2], 1))
                    return start - (l[1] + (vmaOffset - l[0]));
            return null;
        }
    }

    private final String programPath;
    private final Map<String, ElfFile> files = new HashMap<>();

    /** For a program at programPath (its real path, as its VMAs name it) whose symbols are program. */
    Symbolizer(String programPath, ElfSymbols program, ByteBuffer programBytes) {
        this.programPath = programPath;
        if (programPath != null)
            files.put(programPath, new ElfFile(program, loads(programBytes)));
    }

    /** "main+20" for the program, "puts+4 in libc.so.6" for another file, or "" when nothing names va. */
    String describe(AddressSpace mm, long va) {
        Vma v = mm.find(va);
        ElfSymbols s = symbolsAt(v);
        String d = s == null ? "" : s.describe(va);
        if (d.isEmpty() || v.backing().path().equals(programPath))
            return d;
        return d + " in " + Path.of(v.backing().path()).getFileName();
    }

    /** How far va lies past the start of the symbol that covers it, or -1. */
    long offset(AddressSpace mm, long va) {
        ElfSymbols s = symbolsAt(mm.find(va));
        return s == null ? -1 : s.offset(va);
    }

    /** The symbols of the file v maps, moved to where v put it; null for anonymous memory or no ELF file. */
    private ElfSymbols symbolsAt(Vma v) {
        if (v == null || v.backing().anonymous() || v.backing().path() == null)
            return null;
        ElfFile f = file(v.backing().path());
        Long bias = f.bias(v.start(), v.offset());
        return bias == null ? null : f.symbols().withBias(bias);
    }

    /** The address of the symbol name: the program's first, then the other files' in address order; -1 if none. */
    long address(AddressSpace mm, String name) {
        long found = -1;
        for (Vma v : mm.vmas()) {
            String path = v.backing().path();
            if (v.backing().anonymous() || path == null)
                continue;
            ElfFile f = file(path);
            Long bias = f.bias(v.start(), v.offset());
            long a = bias == null ? -1 : f.symbols().withBias(bias).address(name);
            if (a >= 0 && path.equals(programPath))
                return a;
            if (a >= 0 && found < 0)
                found = a;
        }
        return found;
    }

    /** Whether the program itself has no symbols (a stripped program). */
    boolean programHasNone() {
        ElfFile f = programPath == null ? null : files.get(programPath);
        return f == null || f.symbols().isEmpty();
    }

    private ElfFile file(String path) {
        return files.computeIfAbsent(path, p -> {
            try (FileChannel ch = FileChannel.open(Path.of(p), StandardOpenOption.READ)) {
                if (ch.size() < 64 || ch.size() > Integer.MAX_VALUE)
                    return ElfFile.NONE;
                ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
                return new ElfFile(ElfSymbols.read(b), loads(b));
            } catch (IOException | RuntimeException e) {
                return ElfFile.NONE; // not a file we can read, or not ELF: no names
            }
        });
    }

    /** The PT_LOAD headers of an ELF file as {offset, vaddr, filesz}; none for anything that is not ELF. */
    private static List<long[]> loads(ByteBuffer b) {
        List<long[]> l = new java.util.ArrayList<>();
        if (b == null || b.capacity() < 64 || b.getInt(0) != 0x464c457f)
            return l;
        try {
            long phoff = b.getLong(32);
            int phentsize = Short.toUnsignedInt(b.getShort(54)), phnum = Short.toUnsignedInt(b.getShort(56));
            for (int i = 0; i < phnum; i++) {
                int o = (int) (phoff + (long) i * phentsize);
                if (b.getInt(o) == PT_LOAD)
                    l.add(new long[] {b.getLong(o + 8), b.getLong(o + 16), b.getLong(o + 32)});
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            l.clear();
        }
        return l;
    }
}
