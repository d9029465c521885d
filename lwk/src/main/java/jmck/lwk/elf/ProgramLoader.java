package jmck.lwk.elf;

import java.nio.file.Path;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;

/**
 * execve's loading step, as Linux's load_elf_binary: maps the program and, if it names one in PT_INTERP,
 * its ELF interpreter (the dynamic linker: ld-linux-x86-64.so.2 for glibc, ld-musl-x86_64.so.1 for musl),
 * and says where the first instruction is. With an interpreter the program does not start itself: the
 * interpreter runs first, finds the program through the auxiliary vector (AT_PHDR, AT_ENTRY, AT_BASE),
 * opens and maps its shared libraries with ordinary openat/read/mmap calls, and jumps to AT_ENTRY.
 *
 * <p>Placement, with address randomization off (Linux with setarch -R):
 * <ul>
 * <li>ET_EXEC: at its own addresses;</li>
 * <li>a PIE with an interpreter: at ELF_ET_DYN_BASE (0x555555554000, two thirds up the user half, aligned
 *     to the largest p_align), so its heap can grow behind it;</li>
 * <li>a static-pie, or an interpreter run as a program: wherever mmap puts its span, top-down below the
 *     stack, with the program break moved to ELF_ET_DYN_BASE;</li>
 * <li>the interpreter: wherever mmap puts its span, like the libraries it maps after it.</li>
 * </ul>
 * The program break starts after the program's .bss (not the interpreter's).
 */
public final class ProgramLoader {
    /** Linux's ELF_ET_DYN_BASE on x86-64: DEFAULT_MAP_WINDOW / 3 * 2. */
    public static final long ELF_ET_DYN_BASE = 0x7fff_ffff_f000L / 3 * 2;
    private static final long PAGE = 4096;

    private ProgramLoader() {}

    /**
     * A loaded program: where its entry point and program headers are, its interpreter's load bias
     * (AT_BASE, 0 without one), where the first instruction runs (the interpreter's entry point if there
     * is one), and where the program break starts.
     */
    public record Program(long entry, long phdr, int phnum, long interpreterBase, long start, long brk) {
        /** For the kernel log: "entry 0x401650, brk 0x4c8000", and where the interpreter went. */
        public String describe() {
            // not String.format: its first use loads the Formatter and locale data (start-up milliseconds)
            return "entry 0x" + Long.toHexString(entry) + ", brk 0x" + Long.toHexString(brk)
                    + (interpreterBase == 0 ? "" : ", interpreter at 0x" + Long.toHexString(interpreterBase));
        }
    }

    /**
     * Maps elf and its interpreter into as (empty). Throws {@link ExecFormatException} with execve's errno
     * when the interpreter cannot be used: ENOENT when it does not exist (a shell then says "not found"),
     * EACCES, ELIBBAD when it is no x86-64 ELF file, ENOMEM when it does not fit.
     */
    public static Program load(ElfImage elf, AddressSpace as) {
        String interpreterPath = elf.interpreter();
        ElfImage interpreter = interpreterPath == null ? null : openInterpreter(elf, interpreterPath);
        long bias;
        if (!elf.positionIndependent())
            bias = 0;
        else if (interpreter != null)
            bias = ((ELF_ET_DYN_BASE & -elf.maxAlignment()) - firstVaddr(elf)) & -PAGE;
        else
            bias = ElfLoader.ANYWHERE;
        ElfLoader.Loaded program = ElfLoader.load(elf, as, bias);
        // Linux moves a static-pie's break away from its image, to ELF_ET_DYN_BASE.
        long brk = elf.positionIndependent() && interpreter == null ? ElfLoader.ET_DYN_BRK_BASE : program.end();
        as.initBrk(brk);
        if (interpreter == null)
            return new Program(program.entry(), program.phdr(), program.phnum(), 0, program.entry(), as.brkStart());
        ElfLoader.Loaded interp = ElfLoader.load(interpreter, as,
                interpreter.positionIndependent() ? ElfLoader.ANYWHERE : 0);
        return new Program(program.entry(), program.phdr(), program.phnum(), interp.base(), interp.entry(),
                as.brkStart());
    }

    /** Throws what {@link #load} would for elf's interpreter, without loading anything. */
    public static void checkInterpreter(ElfImage elf) {
        if (elf.interpreter() != null)
            openInterpreter(elf, elf.interpreter());
    }

    /** The p_vaddr of the first PT_LOAD. */
    private static long firstVaddr(ElfImage elf) {
        for (ElfImage.Segment s : elf.segments())
            if (s.type() == ElfImage.PT_LOAD)
                return s.vaddr();
        return 0;
    }

    /**
     * Opens and checks the interpreter: it must exist and be executable (the errors of open_exec), and be
     * an x86-64 ELF executable or shared object (else ELIBBAD, "accessing a corrupted shared library").
     * A relative path is taken from the current directory, as Linux takes it.
     */
    private static ElfImage openInterpreter(ElfImage elf, String path) {
        String what = elf.path() + ": its interpreter ";
        ElfImage interpreter;
        try {
            interpreter = ElfImage.open(Path.of(path));
        } catch (java.nio.file.InvalidPathException e) {
            throw new ExecFormatException(what + "cannot be named on this host", Errno.ENOENT);
        } catch (ExecFormatException e) {
            int errno = e.errno() == Errno.ENOEXEC ? Errno.ELIBBAD : e.errno();
            String why = e.getMessage().startsWith(path + ": ") ? e.getMessage().substring(path.length() + 2)
                    : e.getMessage();
            if (errno == Errno.ELIBBAD)
                why = why.replace("(exec format error)", "(accessing a corrupted shared library)");
            throw new ExecFormatException(what + path + ": " + why, errno);
        }
        return interpreter;
    }
}
