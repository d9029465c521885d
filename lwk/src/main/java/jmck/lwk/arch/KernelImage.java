package jmck.lwk.arch;

import jmck.emulator.Cpu;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.X86Reg;
import jmck.lwk.mm.FrameAllocator;

/**
 * The little of the kernel that the emulated CPU itself must see: a GDT with Linux's selectors and a
 * one-instruction trampoline ({@code sysretq}) that takes a core from ring 0 to a new thread in ring 3.
 * Both live in one frame, mapped supervisor-only at KERNEL_BASE in the upper half of every address space
 * (the rest of the kernel is Java and needs no mapping). Also programs each core's control registers.
 */
public final class KernelImage {
    /** Where Linux maps its kernel image (__START_KERNEL_map). */
    public static final long KERNEL_BASE = 0xffff_ffff_8000_0000L;
    public static final long GDT_VA = KERNEL_BASE;
    public static final long SYSRET_VA = KERNEL_BASE + 0x800;
    /**
     * cpuid; syscall: how the kernel reads the emulated CPU's feature flags at boot. The syscall traps with
     * no thread on the core, which stops it (single-stepping would cost a flush of all translated code).
     */
    public static final long CPUID_VA = KERNEL_BASE + 0x810;
    private static final long[] GDT = {
        0,                       // null
        0,                       // unused
        0x00af9b000000ffffL,     // 0x10 kernel code, 64-bit
        0x00cf93000000ffffL,     // 0x18 kernel data
        0x00cffb000000ffffL,     // 0x23 user code, 32-bit
        0x00cff3000000ffffL,     // 0x2b user data
        0x00affb000000ffffL,     // 0x33 user code, 64-bit
    };
    private static final byte[] SYSRETQ = {0x48, 0x0f, 0x07};
    private static final byte[] CPUID = {0x0f, (byte) 0xa2, 0x0f, 0x05};

    private final long frame;
    private final long root;
    private final long[] tableFrames;

    private KernelImage(long frame, long root, long[] tableFrames) {
        this.frame = frame;
        this.root = root;
        this.tableFrames = tableFrames;
    }

    /** Writes the image and the kernel half of the page tables into frames taken from the allocator. */
    public static KernelImage install(PhysicalMemory mem, FrameAllocator frames) {
        long image = take(mem, frames);
        for (int i = 0; i < GDT.length; i++)
            mem.putLong(image + 8L * i, GDT[i]);
        mem.write(image + (SYSRET_VA - KERNEL_BASE), SYSRETQ, 0, SYSRETQ.length);
        mem.write(image + (CPUID_VA - KERNEL_BASE), CPUID, 0, CPUID.length);
        // PML4[511] -> PDPT[510] -> PD[0] -> PT[0] -> image; supervisor only, executable.
        long pml4 = take(mem, frames), pdpt = take(mem, frames), pd = take(mem, frames), pt = take(mem, frames);
        long table = Pte.P | Pte.RW;
        mem.putLong(pml4 + 8L * ((KERNEL_BASE >>> 39) & 511), pdpt | table);
        mem.putLong(pdpt + 8L * ((KERNEL_BASE >>> 30) & 511), pd | table);
        mem.putLong(pd + 8L * ((KERNEL_BASE >>> 21) & 511), pt | table);
        mem.putLong(pt + 8L * ((KERNEL_BASE >>> 12) & 511), image | Pte.P | Pte.RW | Pte.G);
        return new KernelImage(image, pml4, new long[] {pdpt, pd, pt});
    }

    private static long take(PhysicalMemory mem, FrameAllocator frames) {
        long pa = frames.allocate(0);
        if (pa < 0)
            throw new IllegalStateException("no memory for the kernel image");
        mem.zero(pa, FrameAllocator.PAGE_SIZE);
        return pa;
    }

    /** The PML4 whose upper half every address space copies. */
    public long root() {
        return root;
    }

    /**
     * Puts a core in the state the kernel runs user threads in: long mode with paging (CR0.PG, CR4.PAE,
     * EFER.LME/NXE), SSE enabled, CR0.WP so that read-only pages stay read-only for the kernel too,
     * EFER.SCE and STAR for sysret, and the GDT. CR3 points at the kernel-only PML4 until a thread runs.
     */
    public void setUpCore(Cpu cpu) {
        cpu.setReg(X86Reg.CR3, root);
        cpu.setReg(X86Reg.CR4, X86.CR4_PAE | X86.CR4_OSFXSR | X86.CR4_OSXMMEXCPT);
        cpu.setMsr(X86.MSR_EFER, X86.EFER_SCE | X86.EFER_LME | X86.EFER_LMA | X86.EFER_NXE);
        long cr0 = cpu.reg(X86Reg.CR0);
        cr0 = (cr0 | X86.CR0_PE | X86.CR0_MP | X86.CR0_NE | X86.CR0_WP | X86.CR0_PG) & ~(X86.CR0_EM | 8L /* TS */);
        cpu.setReg(X86Reg.CR0, cr0);
        cpu.setMsr(X86.MSR_STAR, ((long) X86.USER32_CS << 48) | ((long) X86.KERNEL_CS << 32));
        cpu.setGdtr(GDT_VA, GDT.length * 8 - 1);
    }

    /** Frames the image uses, to be returned at shutdown. */
    public void free(FrameAllocator frames) {
        frames.free(frame, 0);
        frames.free(root, 0);
        for (long t : tableFrames)
            frames.free(t, 0);
    }
}
