package jmck.cli;

import static jmck.cli.ElfBytes.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import jmck.lwk.arch.X86;

/**
 * Unfit files made from a fit static executable: targeted cases (each way a header can be wrong that the
 * loader must see) and random mutants (truncations, bit and byte flips, odd values in header fields) drawn
 * from a fixed seed, so that every case can be named and made again.
 */
final class ElfMutants {
    /**
     * One generated file and how it was made; mustRefuse: no loader may take it. The bytes of a targeted
     * case are made when asked for, so that a corpus does not hold hundreds of copies of a program at once.
     */
    record Mutant(String name, Supplier<byte[]> maker, boolean mustRefuse) {
        Mutant(String name, byte[] bytes) {
            this(name, () -> bytes, false);
        }

        byte[] bytes() {
            return maker.get();
        }
    }

    private ElfMutants() {}

    /** Values that sit on the edges a loader has to check (sizes, the user half, overflow). */
    private static long[] interesting(long fileSize, long memory) {
        return new long[] {0, 1, -1, 7, 56, 64, 0x1000, 0x10000, 0x200000, 0x400000, Long.MAX_VALUE, Long.MIN_VALUE,
                1L << 32, 0xffff_ffffL, 1L << 47, X86.USER_TOP, X86.USER_TOP - 0x1000, X86.USER_TOP / 2,
                0xffff_8000_0000_0000L, -0x1000, -0x200000, fileSize, fileSize - 1, fileSize + 1, fileSize & -0x1000,
                memory, memory + 0x1000, 2 * memory, 1L << 46};
    }

    // ---- targeted cases ----

    /** The cases the issue names, for one fit executable of the given memory size (the LWK's partition). */
    static List<Mutant> targeted(byte[] fit, long memory) {
        List<Mutant> l = new ArrayList<>();
        ElfBytes e = new ElfBytes(fit);
        long size = fit.length;
        int text = e.textLoad(), data = e.dataLoad(), first = e.firstLoad(), last = e.lastLoad();
        boolean pie = e.get(E_TYPE) == 3;

        // truncated inside the ELF header, the program headers and the segments
        for (long n : new long[] {0, 1, 3, 4, 5, 16, 17, 24, 52, 57, 63, 64, 65, 100, e.phoff() + 55, e.phoff() + 56,
                e.headersEnd() - 1, e.headersEnd(), size / 2})
            l.add(new Mutant("truncated to " + n + " bytes", () -> Arrays.copyOf(fit, (int) n), true));
        // the section headers and symbols go last; no loader needs them
        l.add(new Mutant("truncated to " + (size - 1) + " bytes", () -> Arrays.copyOf(fit, (int) size - 1), false));

        // ELF identification, type and machine
        for (long v : new long[] {0, 1, 3, 0xff})
            l.add(patch(fit, "EI_CLASS=" + v + (v == 1 ? " (ELFCLASS32)" : ""), x -> x.set(EI_CLASS, v)));
        for (long v : new long[] {0, 2, 3})
            l.add(patch(fit, "EI_DATA=" + v + (v == 2 ? " (big-endian)" : ""), x -> x.set(EI_DATA, v)));
        l.add(patch(fit, "EI_VERSION=0", x -> x.set(EI_VERSION, 0)));
        l.add(maybe(fit, "EI_OSABI=0x61 (ARM)", x -> x.set(EI_OSABI, 0x61)));
        l.add(patch(fit, "bad magic", x -> x.set(E_IDENT_MAG, 0x464c457eL)));
        for (long v : new long[] {0, 3, 8, 20, 21, 22, 40, 183, 243, 0xffff})
            l.add(patch(fit, "e_machine=" + v, x -> x.set(E_MACHINE, v)));
        for (long v : new long[] {0, 1, 4, 0xfe00, 0xff00, 0xffff})
            l.add(patch(fit, "e_type=" + v, x -> x.set(E_TYPE, v)));
        l.add(maybe(fit, "e_version=0", x -> x.set(E_VERSION, 0)));
        l.add(maybe(fit, "e_ehsize=0", x -> x.set(E_EHSIZE, 0)));

        // the program header table
        for (long v : new long[] {0, 1, 32, 55, 57, 64, 0xffff})
            l.add(patch(fit, "e_phentsize=" + v, x -> x.set(E_PHENTSIZE, v)));
        for (long v : new long[] {0, 74, 100, 0x7fff, 0xffff})
            l.add(patch(fit, "e_phnum=" + v, x -> x.set(E_PHNUM, v)));
        for (long v : new long[] {1, e.phnum() - 1, e.phnum() + 1}) // fewer headers, or one of whatever follows them
            l.add(maybe(fit, "e_phnum=" + v, x -> x.set(E_PHNUM, v)));
        for (long v : new long[] {size - 56, size, size + 1, -1, Long.MIN_VALUE, 1L << 32, -56})
            l.add(patch(fit, "e_phoff=" + hex(v), x -> x.set(E_PHOFF, v)));
        for (long v : new long[] {0, 1, 63, 65}) // other bytes of the file read as program headers
            l.add(maybe(fit, "e_phoff=" + hex(v), x -> x.set(E_PHOFF, v)));

        // the entry point
        long[] entries = {0, 1, 0x1000, e.get(first, P_VADDR) - 1,
                e.get(last, P_VADDR) + e.get(last, P_MEMSZ), e.get(data, P_VADDR),
                e.get(text, P_VADDR) + e.get(text, P_MEMSZ), -1, 1L << 47, X86.USER_TOP};
        for (long v : entries)
            l.add(patch(fit, "entry " + hex(v) + " (outside every executable segment)", x -> x.set(E_ENTRY, v)));

        // overlapping and unsorted PT_LOADs
        l.add(patch(fit, "overlapping PT_LOADs (text moved onto the first)",
                x -> x.set(text, P_VADDR, x.get(first, P_VADDR) + (x.get(text, P_OFFSET) & 0xfff))));
        l.add(patch(fit, "overlapping PT_LOADs (first grown over the others)",
                x -> x.set(first, P_MEMSZ, x.get(last, P_VADDR) - x.get(first, P_VADDR) + 0x1000)));
        l.add(patch(fit, "overlapping PT_LOADs (data moved onto text)",
                x -> x.set(data, P_VADDR, (x.get(text, P_VADDR) & -0x1000) + (x.get(data, P_OFFSET) & 0xfff))));
        l.add(patch(fit, "PT_LOADs in reverse order", x -> {
            List<Integer> loads = x.loads();
            byte[][] h = new byte[loads.size()][];
            for (int j = 0; j < loads.size(); j++)
                h[j] = Arrays.copyOfRange(fit, x.at(loads.get(j), P_TYPE), x.at(loads.get(j), P_TYPE) + 56);
            for (int j = 0; j < loads.size(); j++)
                System.arraycopy(h[loads.size() - 1 - j], 0, x.bytes, x.at(loads.get(j), P_TYPE), 56);
        }));
        l.add(patch(fit, "no PT_LOAD", x -> {
            for (int i : x.loads())
                x.set(i, P_TYPE, PT_NULL);
        }));
        l.add(patch(fit, "dynamic: PT_INTERP", x -> x.set(x.firstOther(), P_TYPE, PT_INTERP)));
        l.add(patch(fit, "text without PF_X", x -> x.set(text, P_FLAGS, PF_R)));

        // huge segments: bigger than the partition, past the user half, wrapping past 2^64
        for (int i : new int[] {data, text}) {
            String which = i == data ? "data" : "text";
            long vaddr = e.get(i, P_VADDR);
            long[] memszs = {memory + 0x1000, 2 * memory, 1L << 40, 1L << 46, X86.USER_TOP - vaddr - 0x1000,
                    X86.USER_TOP - vaddr, X86.USER_TOP - vaddr + 0x1000, (1L << 47) - vaddr, -vaddr, -vaddr + 0x1000,
                    Long.MAX_VALUE, -1, Long.MIN_VALUE};
            for (long m : memszs)
                l.add(patch(fit, which + " p_memsz=" + hex(m), x -> x.set(i, P_MEMSZ, m)));
            long off = e.get(i, P_OFFSET);
            long[] fileszs = {size - off + 1, size, memory + 0x1000, Long.MAX_VALUE, -1, -off, -off + 1};
            for (long f : fileszs)
                l.add(patch(fit, which + " p_filesz=p_memsz=" + hex(f),
                        x -> x.set(i, P_FILESZ, f).set(i, P_MEMSZ, f)));
            l.add(patch(fit, which + " p_filesz > p_memsz",
                    x -> x.set(i, P_FILESZ, x.get(i, P_MEMSZ) + 1)));
            long[] offsets = {size & -0x1000, (size & -0x1000) + 0x1000, -0x1000, Long.MIN_VALUE, 1L << 32};
            for (long o : offsets)
                l.add(patch(fit, which + " p_offset=" + hex(o) + " (past the end of the file)",
                        x -> x.set(i, P_OFFSET, o + (x.get(i, P_OFFSET) & 0xfff))));
            l.add(patch(fit, which + " p_offset and p_vaddr on different page offsets",
                    x -> x.set(i, P_OFFSET, x.get(i, P_OFFSET) + 8)));
            long[] vaddrs = {0, 0x1000, 1L << 47, X86.USER_TOP - 0x1000, X86.USER_TOP - 0x10000, X86.USER_TOP / 2,
                    0xffff_8000_0000_0000L, -0x1000};
            for (long v : vaddrs) // in the middle of the user half, a last segment is no worse than elsewhere
                l.add(make(v != X86.USER_TOP / 2, fit, which + " p_vaddr=" + hex(v), x -> {
                    long delta = v + (x.get(i, P_OFFSET) & 0xfff) - x.get(i, P_VADDR);
                    x.set(i, P_VADDR, x.get(i, P_VADDR) + delta);
                    if (i == text) // the entry moves with its segment
                        x.set(E_ENTRY, x.get(E_ENTRY) + delta);
                }));
            for (long a : new long[] {0, 3, 0x1000, 1L << 21, 1L << 40, Long.MIN_VALUE, -1})
                l.add(maybe(fit, which + " p_align=" + hex(a), x -> x.set(i, P_ALIGN, a)));
        }
        l.add(maybe(fit, "zero-sized PT_LOAD", x -> x.set(data, P_FILESZ, 0).set(data, P_MEMSZ, 0)));
        // a static-pie's segments move with its base: the top of its range is no nearer the stack than any other
        l.add(make(!pie, fit, "PT_LOAD over the stack", x -> {
            long v = (pie ? X86.USER_TOP / 2 : X86.USER_TOP) - 0x4000 + (x.get(data, P_OFFSET) & 0xfff);
            x.set(data, P_VADDR, v).set(data, P_MEMSZ, 0x3000);
        }));
        if (!pie) {
            // the whole image moved: to page 0 (below mmap_min_addr), or to where nothing in it expects to be
            for (long at : new long[] {0, 0x1000, 0x10000})
                l.add(make(at < 0x10000, fit, "image moved to " + hex(at), x -> {
                    long delta = at - x.get(x.firstLoad(), P_VADDR);
                    for (int i = 0; i < x.phnum(); i++)
                        if (x.get(i, P_VADDR) != 0)
                            x.set(i, P_VADDR, x.get(i, P_VADDR) + delta);
                    x.set(E_ENTRY, x.get(E_ENTRY) + delta);
                }));
        }
        return l;
    }

    private interface Patch {
        void apply(ElfBytes x);
    }

    /** A targeted case that every loader must refuse. */
    private static Mutant patch(byte[] fit, String name, Patch p) {
        return make(true, fit, name, p);
    }

    /** A targeted case that may load: Linux runs such a file (an odd p_align, a zero-sized segment, ...). */
    private static Mutant maybe(byte[] fit, String name, Patch p) {
        return make(false, fit, name, p);
    }

    private static Mutant make(boolean mustRefuse, byte[] fit, String name, Patch p) {
        return new Mutant(name, () -> {
            ElfBytes x = new ElfBytes(fit);
            p.apply(x);
            return x.bytes;
        }, mustRefuse);
    }

    // ---- random mutants ----

    /**
     * Random mutant number index of fit, made by new Random(seed ^ index * golden): the same seed and index
     * always give the same file.
     */
    static Mutant random(byte[] fit, long memory, long seed, int index) {
        Random r = new Random(seed ^ (index * 0x9e3779b97f4a7c15L));
        ElfBytes x = new ElfBytes(fit);
        long headersEnd = Math.min(x.headersEnd(), fit.length);
        StringBuilder name = new StringBuilder();
        int kind = r.nextInt(20);
        if (kind < 3) { // truncation: inside the ELF header, inside the program headers, anywhere
            int n = switch (kind) {
                case 0 -> r.nextInt(64);
                case 1 -> 64 + r.nextInt((int) Math.max(1, headersEnd - 64));
                default -> r.nextInt(fit.length);
            };
            return new Mutant("truncated to " + n + " bytes", Arrays.copyOf(fit, n));
        }
        if (kind < 5) { // raw bit or byte flips anywhere in the headers
            int flips = 1 + r.nextInt(8);
            for (int j = 0; j < flips; j++) {
                int at = r.nextInt((int) headersEnd);
                if (r.nextBoolean()) {
                    int bit = r.nextInt(8);
                    x.bytes[at] ^= (byte) (1 << bit);
                    name.append(String.format("bit %d of byte %d flipped; ", bit, at));
                } else {
                    byte v = (byte) r.nextInt(256);
                    x.bytes[at] = v;
                    name.append(String.format("byte %d=0x%02x; ", at, v & 0xff));
                }
            }
            return finish(x, name, r, fit.length);
        }
        // field mutations: one mostly, sometimes several
        int n = kind < 15 ? 1 : 2 + r.nextInt(4);
        long[] values = interesting(fit.length, memory);
        for (int j = 0; j < n; j++) {
            int at, width;
            String field;
            if (r.nextInt(3) == 0) {
                // the header fields the issue names, mostly
                ElfBytes.Field f = r.nextInt(4) == 0 ? HEADER.get(r.nextInt(HEADER.size()))
                        : new ElfBytes.Field[] {EI_CLASS, EI_DATA, E_TYPE, E_MACHINE,
                                E_ENTRY, E_PHOFF, E_PHENTSIZE, E_PHNUM}[r.nextInt(8)];
                at = f.offset();
                width = f.width();
                field = f.name();
            } else {
                int i = r.nextInt(x.phnum());
                // PT_LOADs are the interesting ones
                if (r.nextInt(4) != 0) {
                    List<Integer> loads = x.loads();
                    if (!loads.isEmpty())
                        i = loads.get(r.nextInt(loads.size()));
                }
                ElfBytes.Field f = PHDR.get(r.nextInt(PHDR.size()));
                at = x.at(i, f);
                width = f.width();
                field = "phdr " + i + " " + f.name();
            }
            long old = x.get(at, width), v;
            String how;
            switch (r.nextInt(5)) {
                case 0 -> {
                    int bit = r.nextInt(8 * width);
                    v = old ^ (1L << bit);
                    how = "bit " + bit + " flipped";
                }
                case 1 -> {
                    int byteNo = r.nextInt(width);
                    v = old ^ ((long) (1 + r.nextInt(255)) << (8 * byteNo));
                    how = "byte " + byteNo + " changed";
                }
                case 2 -> {
                    v = values[r.nextInt(values.length)];
                    how = "set";
                }
                case 3 -> {
                    long[] deltas = {1, -1, 8, -8, 56, -56, 0x1000, -0x1000, 0x200000, -0x200000};
                    v = old + deltas[r.nextInt(deltas.length)];
                    how = "nudged";
                }
                default -> {
                    v = r.nextLong();
                    how = "random";
                }
            }
            if (width < 8)
                v &= (1L << (8 * width)) - 1;
            x.set(at, width, v);
            name.append(String.format("%s %s: %s -> %s; ", field, how, hex(old), hex(v)));
        }
        return finish(x, name, r, fit.length);
    }

    /** Sometimes also truncates a header mutant, so both kinds of damage meet. */
    private static Mutant finish(ElfBytes x, StringBuilder name, Random r, int size) {
        byte[] bytes = x.bytes;
        if (r.nextInt(10) == 0) {
            int n = r.nextInt(size);
            bytes = Arrays.copyOf(bytes, n);
            name.append("truncated to ").append(n).append(" bytes; ");
        }
        name.setLength(name.length() - 2);
        return new Mutant(name.toString(), bytes);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
