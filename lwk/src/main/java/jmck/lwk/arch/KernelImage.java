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
     * Where the kernel half maps all of the instance's physical memory (Linux's direct map), supervisor
     * only: the CPU reaches a physical frame through it when it must be told to forget code made from it.
     */
    public static final long PHYSMAP_BASE = 0xffff_8880_0000_0000L;
    /**
     * How the kernel reads what the emulated CPU says of itself at boot, in one run: cpuid for each of
     * {@link Cpuid}'s leaves, its eax, ebx, ecx and edx stored in turn from CPUID_OUT_VA, then a syscall.
     * The syscall traps with no thread on the core, which stops it (single-stepping would cost a flush of
     * all translated code).
     *   mov rdi, CPUID_OUT_VA; then per leaf: mov eax, leaf; mov ecx, subleaf; cpuid;
     *   mov [rdi], eax; mov [rdi+4], ebx; mov [rdi+8], ecx; mov [rdi+12], edx; add rdi, 16; finally syscall
     */
    public static final long CPUID_VA = KERNEL_BASE + 0x900, CPUID_OUT_VA = KERNEL_BASE + 0xa00;
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

    /**
     * The TLB warm-up (see {@link #warmUpRoot}): a user-mode loop that reads one byte of each of rsi pages
     * from rdi on, then traps with syscall.
     *   loop: movzx eax, byte [rdi]; add rdi, 0x1000; dec rsi; jnz loop; syscall
     */
    private static final byte[] TOUCH_PAGES = {0x0f, (byte) 0xb6, 0x07, 0x48, (byte) 0x81, (byte) 0xc7, 0x00, 0x10, 0x00,
            0x00, 0x48, (byte) 0xff, (byte) 0xce, 0x75, (byte) 0xf1, 0x0f, 0x05};
    public static final long TOUCH_PAGES_OFFSET = 0x820;
    /** Where the warm-up address space maps the image (user, executable) and its touch area (user, read-only). */
    public static final long WARMUP_CODE_VA = 0x1000_0000_0000L;
    public static final long WARMUP_AREA_VA = 0x2000_0000_0000L;
    /** The touch area: enough 4 KiB pages to fill the largest TLB the warm-up aims for. */
    public static final int WARMUP_AREA_PAGES = 1 << 14;

    private final long frame;
    private final long root;
    private final long[] tableFrames;

    private final long warmUpRoot;

    private KernelImage(long frame, long root, long warmUpRoot, long[] tableFrames) {
        this.frame = frame;
        this.root = root;
        this.warmUpRoot = warmUpRoot;
        this.tableFrames = tableFrames;
    }

    /**
     * The page table of the TLB warm-up. QEMU sizes a core's software TLB only when the TLB is flushed,
     * doubling it when more than 70% of it filled since the last flush; it starts at 256 entries (1 MiB of
     * reach). A program that never makes the kernel flush (a compute loop) would run with those 256
     * entries and miss on almost every page of a larger working set (sieve of 20 MB: 2.7 s instead of
     * 1.0 s). So before a core starts a new address space, the kernel runs a loop in this address space
     * that touches 256, 512, ... pages, flushing in between, and the TLB grows to its target size.
     */
    public long warmUpRoot() {
        return warmUpRoot;
    }

    /** Writes the image and the kernel half of the page tables into frames taken from the allocator. */
    public static KernelImage install(PhysicalMemory mem, FrameAllocator frames) {
        long image = take(mem, frames);
        for (int i = 0; i < GDT.length; i++)
            mem.putLong(image + 8L * i, GDT[i]);
        mem.write(image + (SYSRET_VA - KERNEL_BASE), SYSRETQ, 0, SYSRETQ.length);
        byte[] probe = cpuidProbe(Cpuid.LEAVES);
        mem.write(image + (CPUID_VA - KERNEL_BASE), probe, 0, probe.length);
        mem.write(image + TOUCH_PAGES_OFFSET, TOUCH_PAGES, 0, TOUCH_PAGES.length);
        // PML4[511] -> PDPT[510] -> PD[0] -> PT[0] -> image; supervisor only, executable.
        long pml4 = take(mem, frames), pdpt = take(mem, frames), pd = take(mem, frames), pt = take(mem, frames);
        long table = Pte.P | Pte.RW;
        mem.putLong(pml4 + 8L * ((KERNEL_BASE >>> 39) & 511), pdpt | table);
        mem.putLong(pdpt + 8L * ((KERNEL_BASE >>> 30) & 511), pd | table);
        mem.putLong(pd + 8L * ((KERNEL_BASE >>> 21) & 511), pt | table);
        mem.putLong(pt + 8L * ((KERNEL_BASE >>> 12) & 511), image | Pte.P | Pte.RW | Pte.G);
        // The warm-up address space: the image at WARMUP_CODE_VA, and WARMUP_AREA_PAGES of read-only 4 KiB
        // pages at WARMUP_AREA_VA that all alias the image's own frame (only the warm-up loop reads them).
        long wPml4 = take(mem, frames), wPdpt = take(mem, frames), wPd = take(mem, frames), wPt = take(mem, frames);
        long user = Pte.P | Pte.RW | Pte.US;
        mem.putLong(wPml4 + 8L * 511, mem.getLong(pml4 + 8L * 511)); // the kernel half: the sysret trampoline
        mem.putLong(wPml4 + 8L * ((WARMUP_CODE_VA >>> 39) & 511), wPdpt | user);
        mem.putLong(wPdpt + 8L * ((WARMUP_CODE_VA >>> 30) & 511), wPd | user);
        mem.putLong(wPd + 8L * ((WARMUP_CODE_VA >>> 21) & 511), wPt | user);
        mem.putLong(wPt + 8L * ((WARMUP_CODE_VA >>> 12) & 511), image | Pte.P | Pte.US);
        long aPdpt = take(mem, frames), aPd = take(mem, frames), aPt = take(mem, frames);
        mem.putLong(wPml4 + 8L * ((WARMUP_AREA_VA >>> 39) & 511), aPdpt | user);
        mem.putLong(aPdpt + 8L * ((WARMUP_AREA_VA >>> 30) & 511), aPd | user);
        for (int i = 0; i < WARMUP_AREA_PAGES / 512; i++) // every page table of the area is the same one
            mem.putLong(aPd + 8L * (((WARMUP_AREA_VA >>> 21) & 511) + i), aPt | user);
        long[] area = new long[512];
        java.util.Arrays.fill(area, image | Pte.P | Pte.US | Pte.NX);
        mem.putLongs(aPt, area);
        KernelImage k = new KernelImage(image, pml4, wPml4, new long[] {pdpt, pd, pt, wPml4, wPdpt, wPd, wPt, aPdpt, aPd, aPt});
        k.mem = mem;
        k.frames = frames;
        return k;
    }

    /** The machine code of the cpuid probe (see CPUID_VA) for these (leaf, subleaf) pairs. */
    private static byte[] cpuidProbe(int[][] leaves) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + 27 * leaves.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x48).put((byte) 0xbf).putLong(CPUID_OUT_VA); // mov rdi, imm64
        for (int[] leaf : leaves) {
            b.put((byte) 0xb8).putInt(leaf[0]);                          // mov eax, imm32
            b.put((byte) 0xb9).putInt(leaf[1]);                          // mov ecx, imm32
            b.put(new byte[] {0x0f, (byte) 0xa2,                         // cpuid
                    (byte) 0x89, 0x07,                                    // mov [rdi], eax
                    (byte) 0x89, 0x5f, 0x04,                              // mov [rdi+4], ebx
                    (byte) 0x89, 0x4f, 0x08,                              // mov [rdi+8], ecx
                    (byte) 0x89, 0x57, 0x0c,                              // mov [rdi+12], edx
                    0x48, (byte) 0x83, (byte) 0xc7, 0x10});               // add rdi, 16
        }
        b.put((byte) 0x0f).put((byte) 0x05);                              // syscall
        if (b.position() > CPUID_OUT_VA - CPUID_VA)
            throw new IllegalStateException("the cpuid probe outgrew its room");
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    /** Runs the cpuid probe on cpu (idle: boot) and returns each leaf's eax, ebx, ecx, edx. */
    int[][] runCpuidProbe(Cpu cpu, PhysicalMemory mem, int leaves) {
        cpu.run(CPUID_VA);
        int[][] out = new int[leaves][4];
        for (int i = 0; i < leaves; i++)
            for (int r = 0; r < 4; r++)
                out[i][r] = mem.getInt(frame + (CPUID_OUT_VA - KERNEL_BASE) + 16L * i + 4L * r);
        return out;
    }

    private static long take(PhysicalMemory mem, FrameAllocator frames) {
        long pa = frames.allocate(0);
        if (pa < 0)
            throw new IllegalStateException("no memory for the kernel image");
        mem.zero(pa, FrameAllocator.PAGE_SIZE);
        return pa;
    }

    private PhysicalMemory mem;
    private FrameAllocator frames;
    private long physmapPdpt;

    /**
     * Maps physical [base, base+size) at PHYSMAP_BASE+base with 2 MiB supervisor pages. The PML4 slot it
     * uses is shared by every address space created later (they copy the kernel half).
     */
    public void mapPhysical(long base, long size) {
        if (physmapPdpt == 0) {
            physmapPdpt = take(mem, frames);
            mem.putLong(root + 8L * ((PHYSMAP_BASE >>> 39) & 511), physmapPdpt | Pte.P | Pte.RW);
        }
        long first = base & -(2L << 20), end = base + size;
        while (first < end) { // a page directory (1 GiB) at a time, its entries written in one copy
            long va = PHYSMAP_BASE + first;
            long pdpte = physmapPdpt + 8L * ((va >>> 30) & 511);
            long pd = Pte.address(mem.getLong(pdpte));
            if (!Pte.present(mem.getLong(pdpte))) {
                pd = take(mem, frames);
                mem.putLong(pdpte, pd | Pte.P | Pte.RW);
            }
            int slot = (int) ((va >>> 21) & 511);
            int count = (int) Math.min(512 - slot, (end - first + (2L << 20) - 1) >>> 21);
            long[] entries = new long[count];
            for (int i = 0; i < count; i++) // not NX: Unicorn resolves the address as an instruction fetch when it drops translations
                entries[i] = (first + ((long) i << 21)) | Pte.P | Pte.RW | Pte.PS;
            mem.putLongs(pd + 8L * slot, entries);
            first += (long) count << 21;
        }
    }

    /** The PML4 whose upper half every address space copies. */
    public long root() {
        return root;
    }

    /**
     * Puts a core in the state the kernel runs user threads in: long mode with paging (CR0.PG, CR4.PAE,
     * EFER.LME/NXE), SSE enabled, CR0.WP so that read-only pages stay read-only for the kernel too,
     * EFER.SCE and STAR for sysret, and the GDT. CR3 points at the kernel-only PML4 until a thread runs.
     * The FPU is in Linux's initial state, which every new program starts from.
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
        FpuState.init(cpu);
    }

    /** Frames the image uses, to be returned at shutdown. */
    public void free(FrameAllocator frames) {
        if (physmapPdpt != 0) {
            for (int i = 0; i < 512; i++) {
                long e = mem.getLong(physmapPdpt + 8L * i);
                if (Pte.present(e))
                    frames.free(Pte.address(e), 0);
            }
            frames.free(physmapPdpt, 0);
        }
        frames.free(frame, 0);
        frames.free(root, 0);
        for (long t : tableFrames)
            frames.free(t, 0);
    }
}
