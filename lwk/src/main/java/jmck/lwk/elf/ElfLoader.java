package jmck.lwk.elf;

import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Backing;
import jmck.lwk.mm.FileBacking;
import jmck.lwk.mm.FileId;

/**
 * Maps one checked {@link ElfImage} into an address space the way Linux's load_elf_binary and
 * load_elf_interp do: each PT_LOAD becomes a file-backed VMA over whole pages (its last page zero-filled
 * past p_filesz when .bss follows) plus an anonymous VMA for the rest of .bss. Nothing is copied yet: pages
 * fault in on first touch. Where the file goes is {@link ProgramLoader}'s choice.
 */
public final class ElfLoader {
    /** Linux's ELF_ET_DYN_BASE without randomization: where a static-pie's program break starts. */
    public static final long ET_DYN_BRK_BASE = 0x5555_5555_4000L;
    /** A load bias that asks for the file's whole span wherever mmap puts it (top-down below the stack). */
    public static final long ANYWHERE = -1;
    private static final long PAGE = 4096;

    private ElfLoader() {}

    /** Where one file landed: its load bias (0 for ET_EXEC), entry point, program headers, and end of .bss. */
    public record Loaded(long base, long entry, long phdr, int phnum, long end) {}

    /**
     * Maps elf into as at load bias base (every p_vaddr moves by it), or at {@link #ANYWHERE}. A file whose
     * segments need more memory than the LWK has is refused with ENOMEM, as Linux refuses one bigger than
     * its RAM and swap (the overcommit heuristic): it could never run.
     */
    public static Loaded load(ElfImage elf, AddressSpace as, long base) {
        long lo = Long.MAX_VALUE, hi = 0, pages = 0;
        for (ElfImage.Segment s : elf.loadSegments()) {
            lo = Math.min(lo, s.vaddr() & -PAGE);
            hi = Math.max(hi, s.end());
            pages += (pageUp(s.end()) - (s.vaddr() & -PAGE)) / PAGE;
        }
        long memory = as.frames().totalFrames();
        if (pages > memory)
            throw new ExecFormatException(elf.path() + ": the program's segments need " + mib(pages)
                    + " of memory, the LWK has " + mib(memory) + " (cannot allocate memory)", Errno.ENOMEM);
        long span = pageUp(hi) - lo;
        if (base == ANYWHERE) {
            long at = as.mmap(0, span, Mman.PROT_NONE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, Backing.ANONYMOUS, 0);
            if (at < 0)
                throw new ExecFormatException(elf.path() + ": no room for the program's " + mib(span / PAGE)
                        + " in the address space (cannot allocate memory)", Errno.ENOMEM);
            as.munmap(at, span);
            base = at - lo;
        }

        FileBacking file = new FileBacking(elf.contents(), elf.fileSize(), elf.realPath(),
                elf.path() == null ? null : FileId.of(elf.path()));

        long end = 0, phdr = 0;
        for (ElfImage.Segment s : elf.loadSegments()) {
            long start = base + s.vaddr(), fileEnd = start + s.filesz(), memEnd = start + s.memsz();
            long page = start & -PAGE;
            int prot = protection(s.flags());
            long anonFrom = page;
            if (s.filesz() > 0) {
                boolean bssFollows = s.memsz() > s.filesz();
                long limit = bssFollows ? s.offset() + s.filesz() : elf.fileSize();
                as.map(page, pageUp(fileEnd), prot, false, false, file.withLimit(limit), s.offset() - (start - page), null);
                anonFrom = pageUp(fileEnd);
            }
            if (pageUp(memEnd) > anonFrom)
                as.map(anonFrom, pageUp(memEnd), prot, false, false, Backing.ANONYMOUS, 0, null);
            if (elf.phoff() >= s.offset() && elf.phoff() < s.offset() + s.filesz())
                phdr = start + (elf.phoff() - s.offset());
            end = Math.max(end, memEnd);
        }
        for (ElfImage.Segment s : elf.segments())
            if (s.type() == ElfImage.PT_PHDR)
                phdr = base + s.vaddr();
        return new Loaded(base, base + elf.entry(), phdr, elf.segments().size(), end);
    }

    static int protection(int pflags) {
        int prot = 0;
        if ((pflags & ElfImage.PF_R) != 0)
            prot |= Mman.PROT_READ;
        if ((pflags & ElfImage.PF_W) != 0)
            prot |= Mman.PROT_WRITE;
        if ((pflags & ElfImage.PF_X) != 0)
            prot |= Mman.PROT_EXEC;
        return prot;
    }

    /** A size given in pages, for a message: "3 MiB", "1.5 GiB". */
    private static String mib(long pages) {
        double m = pages * (double) PAGE / (1 << 20);
        if (m >= 1024)
            return String.format("%.1f GiB", m / 1024);
        return m >= 10 || m == Math.rint(m) ? String.format("%.0f MiB", m) : String.format("%.1f MiB", m);
    }

    private static long pageUp(long v) {
        return (v + PAGE - 1) & -PAGE;
    }
}
