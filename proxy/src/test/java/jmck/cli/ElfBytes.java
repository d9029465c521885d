package jmck.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of an ELF64 file's bytes with named access to its header and program header fields, for tests
 * that build unfit files by patching real ones. Reads and writes are little-endian and unchecked: a
 * field that lies past a truncated copy's end reads as 0 and is not written. Program headers are
 * found where the original file has them, whatever a patch did to e_phoff and e_phnum.
 */
final class ElfBytes {
    /** An ELF header field: offset, width in bytes. */
    record Field(String name, int offset, int width) {}

    static final Field E_IDENT_MAG = new Field("e_ident[EI_MAG]", 0, 4),
            EI_CLASS = new Field("e_ident[EI_CLASS]", 4, 1),
            EI_DATA = new Field("e_ident[EI_DATA]", 5, 1), EI_VERSION = new Field("e_ident[EI_VERSION]", 6, 1),
            EI_OSABI = new Field("e_ident[EI_OSABI]", 7, 1), EI_PAD = new Field("e_ident[EI_PAD]", 9, 7),
            E_TYPE = new Field("e_type", 16, 2), E_MACHINE = new Field("e_machine", 18, 2),
            E_VERSION = new Field("e_version", 20, 4), E_ENTRY = new Field("e_entry", 24, 8),
            E_PHOFF = new Field("e_phoff", 32, 8), E_SHOFF = new Field("e_shoff", 40, 8),
            E_FLAGS = new Field("e_flags", 48, 4), E_EHSIZE = new Field("e_ehsize", 52, 2),
            E_PHENTSIZE = new Field("e_phentsize", 54, 2), E_PHNUM = new Field("e_phnum", 56, 2),
            E_SHENTSIZE = new Field("e_shentsize", 58, 2), E_SHNUM = new Field("e_shnum", 60, 2),
            E_SHSTRNDX = new Field("e_shstrndx", 62, 2);
    static final List<Field> HEADER = List.of(E_IDENT_MAG, EI_CLASS, EI_DATA, EI_VERSION, EI_OSABI, EI_PAD, E_TYPE,
            E_MACHINE, E_VERSION, E_ENTRY, E_PHOFF, E_SHOFF, E_FLAGS, E_EHSIZE, E_PHENTSIZE, E_PHNUM, E_SHENTSIZE,
            E_SHNUM, E_SHSTRNDX);

    /** Program header fields, offsets within one 56-byte entry. */
    static final Field P_TYPE = new Field("p_type", 0, 4), P_FLAGS = new Field("p_flags", 4, 4),
            P_OFFSET = new Field("p_offset", 8, 8), P_VADDR = new Field("p_vaddr", 16, 8),
            P_PADDR = new Field("p_paddr", 24, 8), P_FILESZ = new Field("p_filesz", 32, 8),
            P_MEMSZ = new Field("p_memsz", 40, 8), P_ALIGN = new Field("p_align", 48, 8);
    static final List<Field> PHDR = List.of(P_TYPE, P_FLAGS, P_OFFSET, P_VADDR, P_PADDR, P_FILESZ, P_MEMSZ, P_ALIGN);

    static final int PT_NULL = 0, PT_LOAD = 1, PT_INTERP = 3, PF_X = 1, PF_W = 2, PF_R = 4;

    final byte[] bytes;
    /** The original file's program header table: where patches to program headers go. */
    private final long phoff;
    private final int phnum;

    ElfBytes(byte[] original) {
        bytes = original.clone();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        phoff = b.getLong(32);
        phnum = Short.toUnsignedInt(b.getShort(56));
    }

    long get(int offset, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--)
            v = v << 8 | (offset + i >= 0 && offset + i < bytes.length ? bytes[offset + i] & 0xff : 0);
        return v;
    }

    ElfBytes set(int offset, int width, long value) {
        for (int i = 0; i < width; i++)
            if (offset + i >= 0 && offset + i < bytes.length)
                bytes[offset + i] = (byte) (value >>> (8 * i));
        return this;
    }

    long get(Field f) {
        return get(f.offset, f.width);
    }

    ElfBytes set(Field f, long value) {
        return set(f.offset, f.width, value);
    }

    long phoff() {
        return phoff;
    }

    int phnum() {
        return phnum;
    }

    /** Where program header i's field f lies in the file (for the original header table). */
    int at(int i, Field f) {
        return (int) (phoff() + 56L * i + f.offset);
    }

    long get(int i, Field f) {
        return get(at(i, f), f.width);
    }

    ElfBytes set(int i, Field f, long value) {
        return set(at(i, f), f.width, value);
    }

    /** The indices of the PT_LOAD headers, in file order. */
    List<Integer> loads() {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < phnum(); i++)
            if (get(i, P_TYPE) == PT_LOAD)
                l.add(i);
        return l;
    }

    /** The first header that is not PT_LOAD (PT_NOTE, PT_GNU_STACK, ...), to turn into something else. */
    int firstOther() {
        for (int i = 0; i < phnum(); i++)
            if (get(i, P_TYPE) != PT_LOAD && get(i, P_TYPE) != 6) // not PT_PHDR either
                return i;
        throw new IllegalStateException("no spare program header");
    }

    /** The PT_LOAD that holds the entry point. */
    int textLoad() {
        long entry = get(E_ENTRY);
        for (int i : loads())
            if (entry >= get(i, P_VADDR) && entry < get(i, P_VADDR) + get(i, P_MEMSZ))
                return i;
        throw new IllegalStateException("no segment holds the entry point");
    }

    /** The first writable PT_LOAD (data and .bss). */
    int dataLoad() {
        for (int i : loads())
            if ((get(i, P_FLAGS) & PF_W) != 0)
                return i;
        throw new IllegalStateException("no writable segment");
    }

    /** The first PT_LOAD (ELF header and read-only data, or text). */
    int firstLoad() {
        return loads().get(0);
    }

    /** The last PT_LOAD. */
    int lastLoad() {
        List<Integer> l = loads();
        return l.get(l.size() - 1);
    }

    /** Bytes past the end of the program header table. */
    long headersEnd() {
        return phoff() + 56L * phnum();
    }
}
