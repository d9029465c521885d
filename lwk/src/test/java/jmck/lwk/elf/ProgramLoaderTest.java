package jmck.lwk.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.PageSize;
import jmck.lwk.mm.Vma;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where execve puts a dynamically linked program and its interpreter, checked on Debian's own /bin/true
 * (a PIE whose PT_INTERP names /lib64/ld-linux-x86-64.so.2) without running anything.
 */
class ProgramLoaderTest {
    private static final Path ROOT = Path.of(System.getProperty("jmck.root", "..")).toAbsolutePath().normalize();
    private PhysicalMemory mem;
    private AddressSpace as;

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(64L << 20);
        FrameAllocator frames = new FrameAllocator(mem.size());
        frames.addRange(2L << 20, 62L << 20);
        as = new AddressSpace(mem, frames, -1, PageSize.LARGE);
    }

    @AfterEach
    void tearDown() {
        as.destroy();
        mem.close();
    }

    @Test
    void pieWithInterpreterGoesWhereLinuxPutsIt() {
        ElfImage trueProgram = ElfImage.open(Path.of("/bin/true"));
        assertEquals("/lib64/ld-linux-x86-64.so.2", trueProgram.interpreter());
        ProgramLoader.Program p = ProgramLoader.load(trueProgram, as);
        // ELF_ET_DYN_BASE without randomization, as `setarch -R` shows on Linux
        assertEquals(0x5555_5555_4000L + trueProgram.entry(), p.entry());
        assertEquals(0x5555_5555_4000L + trueProgram.phoff(), p.phdr());
        assertEquals(trueProgram.segments().size(), p.phnum());
        // the interpreter goes top-down below the stack's gap, and the program starts in it
        assertTrue(p.interpreterBase() > 0x7f00_0000_0000L && p.interpreterBase() < AddressSpace.MMAP_BASE,
                Long.toHexString(p.interpreterBase()));
        Vma first = as.find(p.interpreterBase());
        assertNotNull(first);
        assertTrue(first.backing().path().endsWith("/ld-linux-x86-64.so.2"), first.backing().path());
        assertEquals(first.backing().path(), as.find(p.start()).backing().path());
        assertTrue(as.find(p.start()).executable());
        // the break starts on the page after the program's .bss, not the interpreter's
        Vma last = lastBelow(0x6000_0000_0000L);
        assertEquals((last.end() + 4095) & -4096L, p.brk());
    }

    @Test
    void staticProgramsHaveNoInterpreter() {
        ElfImage hello = ElfImage.open(ROOT.resolve("guest-images/out/gcc/hello"));
        assertNull(hello.interpreter());
        ProgramLoader.Program p = ProgramLoader.load(hello, as);
        assertEquals(0, p.interpreterBase());
        assertEquals(hello.entry(), p.start());
        assertEquals(p.entry(), p.start());
    }

    @Test
    void staticPieBreakMovesToElfEtDynBase() {
        ProgramLoader.Program p = ProgramLoader.load(ElfImage.open(ROOT.resolve("guest-images/out/gcc-pie/hello")), as);
        assertEquals(ElfLoader.ET_DYN_BRK_BASE, p.brk());
        assertEquals(0, p.interpreterBase());
    }

    @Test
    void missingInterpreterIsEnoent() {
        ElfImage noInterp = ElfImage.open(ROOT.resolve("guest-images/out/gcc-dynamic/no_interp"));
        ExecFormatException e = assertThrows(ExecFormatException.class, () -> ProgramLoader.load(noInterp, as));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().endsWith(": its interpreter /nonexistent/ld-linux-x86-64.so.2: no such file or directory"),
                e.getMessage());
    }

    private Vma lastBelow(long limit) {
        List<Vma> l = as.vmas();
        Vma last = null;
        for (Vma v : l)
            if (v.end() <= limit)
                last = v;
        return last;
    }
}
