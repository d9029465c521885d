package jmck.lwk.arch;

import jmck.emulator.Cpu;
import jmck.emulator.PhysicalMemory;

/**
 * What the emulated CPU says of itself through cpuid, read once at boot on the first core by the kernel
 * image's probe code (KernelImage.CPUID_VA: cpuid for each leaf, then a syscall that stops the run): the
 * leaves Linux reads for /proc/cpuinfo (arch/x86/kernel/cpu/common.c, proc.c) and AT_HWCAP. The engine's
 * CPU model, not the host's: a guest that reads /proc/cpuinfo's flags must find what it may execute.
 */
public final class Cpuid {
    /** The leaves read, as (leaf, subleaf). */
    static final int[][] LEAVES = {{0, 0}, {1, 0}, {7, 0}, {0x80000000, 0}, {0x80000001, 0},
            {0x80000002, 0}, {0x80000003, 0}, {0x80000004, 0}, {0x80000008, 0}};
    /** Each leaf's eax, ebx, ecx, edx (zeros for a leaf above the CPU's maximum). */
    private final int[][] regs = new int[LEAVES.length][];

    private Cpuid() {}

    /** Runs the kernel image's cpuid probe on cpu, which must be idle (boot). */
    public static Cpuid read(Cpu cpu, KernelImage image, PhysicalMemory mem) {
        Cpuid c = new Cpuid();
        int[][] got = image.runCpuidProbe(cpu, mem, LEAVES.length);
        for (int i = 0; i < LEAVES.length; i++) {
            int leaf = LEAVES[i][0];
            // a leaf above its range's maximum (leaf 0's eax, or 0x80000000's) is not the CPU's: zeros
            int max = leaf == 0 || leaf == 0x80000000 ? -1 : leaf < 0 ? c.get(0x80000000, 0)[0] : c.get(0, 0)[0];
            c.regs[i] = Integer.compareUnsigned(leaf, max) > 0 ? new int[4] : got[i];
        }
        return c;
    }

    /** eax, ebx, ecx, edx of a leaf read at boot. */
    public int[] get(int leaf, int subleaf) {
        for (int i = 0; i < LEAVES.length; i++)
            if (LEAVES[i][0] == leaf && LEAVES[i][1] == subleaf && regs[i] != null)
                return regs[i];
        throw new IllegalArgumentException("cpuid leaf " + Integer.toHexString(leaf) + " was not read");
    }

    /** The feature flags of leaf 1's edx: AT_HWCAP. */
    public long hwcap() {
        return get(1, 0)[3] & 0xffffffffL;
    }

    /** The vendor string of leaf 0 (GenuineIntel, AuthenticAMD). */
    public String vendor() {
        int[] r = get(0, 0);
        return ascii(r[1], r[3], r[2]);
    }

    /** The brand string of leaves 0x80000002-4, trimmed; empty if the CPU has none. */
    public String brand() {
        StringBuilder b = new StringBuilder();
        for (int leaf = 0x80000002; leaf <= 0x80000004; leaf++) {
            int[] r = get(leaf, 0);
            b.append(ascii(r[0], r[1], r[2], r[3]));
        }
        return b.toString().trim();
    }

    private static String ascii(int... words) {
        StringBuilder s = new StringBuilder();
        for (int w : words)
            for (int i = 0; i < 4; i++) {
                char ch = (char) ((w >>> (8 * i)) & 0xff);
                if (ch != 0)
                    s.append(ch);
            }
        return s.toString();
    }
}
