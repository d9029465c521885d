package jmck.debug;

import java.util.List;
import jmck.emulator.Cpu;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.X86Reg;
import jmck.emulator.capstone.Disassembler;
import jmck.lwk.arch.Pte;
import jmck.lwk.arch.X86;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.PageSize;
import jmck.lwk.mm.PageTable;
import jmck.lwk.mm.Vma;
import jmck.lwk.mm.Walk;

/**
 * What a debugger shows of the machine, as text or bytes: guest memory read through the page tables,
 * instructions disassembled with symbols, registers, page-table walks, VMAs and the frames behind them,
 * and the fault handler's decision in words.
 */
public final class Inspector implements AutoCloseable {
    private final PhysicalMemory mem;
    private final Disassembler disassembler = new Disassembler();
    private final Symbolizer symbols;

    /** An inspector of the machine whose memory is mem, naming addresses after program's symbols (null: none) and its libraries'. */
    public Inspector(PhysicalMemory mem, ElfImage program) {
        this.mem = mem;
        this.symbols = program == null ? new Symbolizer(null, ElfSymbols.NONE, null)
                : new Symbolizer(program.realPath(), ElfSymbols.read(program), program.contents());
    }

    /** The address of a symbol of the program, or else of a file it maps (a library), in mm; -1 if none. */
    public long address(AddressSpace mm, String symbol) {
        return symbols.address(mm, symbol);
    }

    /** Whether the program has no symbol table (a stripped program). */
    public boolean programHasNoSymbols() {
        return symbols.programHasNone();
    }

    // ---- memory ----

    /**
     * Reads up to len bytes at va as the program would see them. Stops at the first page that is not
     * present, unless faultIn is set: then the page is brought in as a read by the kernel would (ptrace's
     * PEEKDATA on Linux does the same). Returns the bytes read, maybe fewer than len.
     */
    public byte[] read(AddressSpace mm, long va, int len, boolean faultIn) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (len > 0) {
            long pa = X86.isUserAddress(va) ? PageTable.translate(mem, mm.root(), va, false) : -1;
            if (pa < 0 && faultIn && X86.isUserAddress(va))
                pa = mm.resolve(va, false);
            if (pa < 0)
                break;
            int n = (int) Math.min(len, 4096 - (va & 4095));
            byte[] chunk = new byte[n];
            mem.read(pa, chunk, 0, n);
            out.write(chunk, 0, n);
            va += n;
            len -= n;
        }
        return out.toByteArray();
    }

    /**
     * Writes bytes at va as ptrace's POKEDATA does: to mapped pages, read-only ones too, and to this
     * process's own copy of a page it shares (copy-on-write after fork, a library's page from the page
     * cache), never to the shared frame. False if a page is not mapped.
     */
    public boolean write(AddressSpace mm, long va, byte[] bytes) {
        for (int i = 0; i < bytes.length; ) {
            long pa = mm.resolveForDebugger(va + i);
            if (pa < 0)
                return false;
            int n = (int) Math.min(bytes.length - i, 4096 - ((va + i) & 4095));
            mem.write(pa, bytes, i, n);
            i += n;
        }
        return true;
    }

    // ---- code ----

    /** " <main+20>" or " <puts+4 in libc.so.6>" for va in mm, or "" without a symbol. */
    public String symbolOf(AddressSpace mm, long va) {
        String s = describe(mm, va);
        return s.isEmpty() ? "" : " <" + s + ">";
    }

    /** "main+20" or "puts+4 in libc.so.6" for va in mm, or "". */
    public String describe(AddressSpace mm, long va) {
        return symbols.describe(mm, va);
    }

    /** How far va in mm lies past the start of the symbol that covers it, or -1 if none does. */
    public long offsetInSymbol(AddressSpace mm, long va) {
        return symbols.offset(mm, va);
    }

    /** Decodes up to count instructions at va (without faulting pages in). */
    public List<Disassembler.Insn> decode(AddressSpace mm, long va, int count) {
        return disassembler.disassemble(read(mm, va, 15 * count, false), va, count);
    }

    /**
     * count instructions from va, one a line, the first marked "=>" when it is where rip is:
     * {@code => 0x401745 <main+5>:  c6 00 01     mov byte ptr [rax], 1}.
     */
    public String disassemble(AddressSpace mm, long va, int count, long rip) {
        List<Disassembler.Insn> insns = decode(mm, va, count);
        StringBuilder b = new StringBuilder();
        for (Disassembler.Insn i : insns)
            b.append(String.format("%s %#x%s:  %-24s %s%n", i.address() == rip ? "=>" : "  ", i.address(),
                    symbolOf(mm, i.address()), i.hex(), i.text()));
        if (insns.size() < count)
            b.append(String.format("   %#x: (%s)%n", insns.isEmpty() ? va
                    : insns.get(insns.size() - 1).address() + insns.get(insns.size() - 1).size(),
                    "page not present yet: its first fetch will fault"));
        return b.toString();
    }

    // ---- registers ----

    private static final X86Reg[] GENERAL = {X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI,
        X86Reg.RBP, X86Reg.RSP, X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14,
        X86Reg.R15};

    /** The registers of cpu, which runs a thread of mm. */
    public String registers(Cpu cpu, AddressSpace mm) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < GENERAL.length; i++)
            b.append(String.format("%-4s %#018x%s", GENERAL[i].name().toLowerCase(), cpu.reg(GENERAL[i]),
                    i % 3 == 2 ? "\n" : "   "));
        long rip = cpu.reg(X86Reg.RIP), flags = cpu.reg(X86Reg.RFLAGS);
        b.append(String.format("%nrip  %#018x%s%nrflags %#x [%s]   fs_base %#x   cr3 %#x%n", rip, symbolOf(mm, rip), flags,
                flags(flags), cpu.reg(X86Reg.FS_BASE), cpu.reg(X86Reg.CR3)));
        return b.toString();
    }

    private static String flags(long f) {
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.length; i++)
            if (!names[i].isEmpty() && (f & (1L << i)) != 0)
                b.append(b.length() == 0 ? "" : " ").append(names[i]);
        return b.toString();
    }

    // ---- memory management ----

    /** The MMU's walk for va in mm: one line per level with index, entry address, value and flags. */
    public String walk(AddressSpace mm, long va) {
        Walk w = mm.pageTable().walk(va);
        return String.format("  walk of %#x (CR3 %#x):%n", va, mm.root()) + w.describe();
    }

    /** The #PF error code in words: "write, user, page not present". */
    public static String errorCode(int err) {
        return String.format("%s, %s, %s%s", (err & X86.PF_FETCH) != 0 ? "instruction fetch"
                : (err & X86.PF_WRITE) != 0 ? "write" : "read", (err & 4) != 0 ? "user mode" : "kernel mode",
                (err & X86.PF_PRESENT) != 0 ? "page present (protection violation)" : "page not present",
                (err & 8) != 0 ? ", reserved bit set" : "");
    }

    /** Why the fault handler decided what it did, in a sentence or two. */
    public static String why(FaultOutcome o) {
        Vma v = o.vma();
        String in = v == null ? "" : "the address lies in VMA " + v.describe() + "; ";
        String frame = o.frame() < 0 ? "" : String.format("%s frame %#x", o.pageSize(), o.frame());
        return switch (o.decision()) {
            case MAPPED -> in + o.access().lower() + " is allowed there and no page was mapped yet (demand paging): "
                    + "took a " + frame + " from the buddy allocator, filled it from the VMA's backing ("
                    + (v == null ? "?" : v.backing().toString()) + "), wrote the PTE; the instruction runs again";
            case CACHED -> in + o.access().lower() + " of a page of a file mapped privately: the page cache holds "
                    + "that page of " + (v == null ? "?" : v.backing().path()) + " (read from the file by the first "
                    + "process that touched it): mapped its " + frame + " read-only and copy-on-write, shared with "
                    + "every process that maps the file; the instruction runs again";
            case STACK_GROWN -> "no VMA covered the address, but it lies just below the stack within the stack limit: "
                    + "the stack VMA grew down to it, then took a " + frame;
            case COW_COPIED -> in + "the page is present but read-only and marked copy-on-write: "
                    + "copied it into " + frame + " (or kept it, if no one else shares it) and made it writable";
            case REDIRTIED -> in + "a write to a page of a file mapped shared, which write-back had made clean and "
                    + "read-only (so that the CPU never sets the Dirty bit itself while cores run in parallel): "
                    + "made it writable and dirty again";
            case SPURIOUS -> in + "the PTE already allows this access (a translation cached before an upgrade): "
                    + "flushed the TLB, nothing else to do";
            case SEGV_MAPERR -> "no VMA covers the address and it is not next to the stack: SIGSEGV (SEGV_MAPERR)";
            case SEGV_ACCERR -> in + "its protection " + (v == null ? "" : v.permissions()) + " forbids a "
                    + o.access().lower() + ": SIGSEGV (SEGV_ACCERR)";
            case BUS_ADRERR -> in + "the page lies wholly past the end of the file it maps: SIGBUS (BUS_ADRERR)";
            case OUT_OF_MEMORY -> in + "no free frame left: the process is killed (SIGKILL), like Linux's OOM killer";
        };
    }

    /** /proc/self/maps for mm. */
    public String vmas(AddressSpace mm) {
        return mm.maps();
    }

    /**
     * The physical frame map: every page mapped in the VMA around va (or in all VMAs), with its frame and
     * flags, and the allocator's totals.
     */
    public String frames(AddressSpace mm, FrameAllocator allocator, long va) {
        StringBuilder b = new StringBuilder();
        for (Vma v : mm.vmas()) {
            if (va >= 0 && !v.contains(va))
                continue;
            b.append(v.describe()).append(System.lineSeparator());
            mm.pageTable().forEachLeaf(v.start(), v.end(), (slot, e, page, size) -> b.append(String.format(
                    "    %#014x -> frame %#012x  %s  %s%n", page, Pte.address(e) & -size.bytes, size == PageSize.LARGE ? "2M" : "4K",
                    Pte.describe(e))));
        }
        if (b.length() == 0)
            b.append(String.format("no VMA contains %#x%n", va));
        b.append(String.format("frames: %d in use, %d free, %d total (4 KiB each); page tables of this process: %d%n",
                allocator.usedFrames(), allocator.freeFrames(), allocator.totalFrames(), mm.pageTable().tableFrames()));
        return b.toString();
    }

    @Override
    public void close() {
        disassembler.close();
    }
}
