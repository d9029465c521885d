package jmck.lwk.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.lwk.arch.Cpuid;

/**
 * /proc/cpuinfo for the LWK's cores, in Linux's format (arch/x86/kernel/cpu/proc.c, show_cpuinfo): one
 * block per core, describing the emulated CPU as its cpuid describes it (vendor, family, model, brand, the
 * feature flags by Linux's names in Linux's order, address sizes), so that a program that reads its flags
 * finds what it may execute (the host's CPU may have AVX where the engine's has SSE3 alone) and counts as
 * many processors as sched_getaffinity and sysfs say. What cpuid does not tell (clock rate, bogomips,
 * cache size) is the host's.
 */
final class CpuInfo {
    /**
     * Linux's flag names (arch/x86/include/asm/cpufeatures.h) by register, bit 0 first; null for a bit Linux
     * does not show. In the order Linux lists its capability words: 1 edx, 0x80000001 edx, 1 ecx,
     * 0x80000001 ecx, 7 ebx, 7 ecx, 7 edx.
     */
    private static final String[][] FLAGS = {
        words("fpu vme de pse tsc msr pae mce cx8 apic - sep mtrr pge mca cmov pat pse36 pn clflush - dts acpi mmx"
                + " fxsr sse sse2 ss ht tm ia64 pbe"),
        words("- - - - - - - - - - - syscall - - - - - - - mp nx - mmxext - - fxsr_opt pdpe1gb rdtscp - lm"
                + " 3dnowext 3dnow"),
        words("pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid sdbg fma cx16 xtpr pdcm - pcid dca"
                + " sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave - avx f16c rdrand hypervisor"),
        words("lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs xop skinit"
                + " wdt - lwp fma4 tce - nodeid_msr - tbm topoext perfctr_core perfctr_nb - bpext ptsc perfctr_llc"
                + " mwaitx - -"),
        words("fsgsbase tsc_adjust sgx bmi1 hle avx2 - smep bmi2 erms invpcid rtm cqm - mpx rdt_a avx512f avx512dq"
                + " rdseed adx smap avx512ifma - clflushopt clwb intel_pt avx512pf avx512er avx512cd sha_ni avx512bw"
                + " avx512vl"),
        words("- avx512vbmi umip pku ospke waitpkg avx512_vbmi2 - gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme"
                + " avx512_vpopcntdq - la57 - - - - - rdpid - bus_lock_detect cldemote - movdiri movdir64b enqcmd"
                + " sgx_lc -"),
        words("- - avx512_4vnniw avx512_4fmaps fsrm - - - avx512_vp2intersect - md_clear - - - serialize - tsxldtrk"
                + " - pconfig arch_lbr - - amx_bf16 avx512_fp16 amx_tile amx_int8 - - flush_l1d arch_capabilities - -"),
    };

    private static String[] words(String names) {
        String[] w = names.split(" ");
        if (w.length != 32)
            throw new IllegalStateException("a flag word needs 32 names: " + w.length);
        for (int i = 0; i < w.length; i++)
            if (w[i].equals("-"))
                w[i] = null;
        return w;
    }

    private final Cpuid cpuid;
    /** The host's "cpu MHz", "cache size" and "bogomips" lines (empty if it has none). */
    private final String mhz, cacheSize, bogomips;

    CpuInfo(Cpuid cpuid) {
        this.cpuid = cpuid;
        String host = "";
        try {
            host = Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            // no host figures: those lines are left out
        }
        mhz = hostField(host, "cpu MHz");
        cacheSize = hostField(host, "cache size");
        bogomips = hostField(host, "bogomips");
    }

    private static String hostField(String text, String name) {
        for (String line : text.split("\n"))
            if (line.startsWith(name) && line.indexOf(':') > 0)
                return line.substring(line.indexOf(':') + 1).trim();
        return "";
    }

    /** The text for cores cores. */
    byte[] text(int cores) {
        int[] one = cpuid.get(1, 0), ext = cpuid.get(0x80000001, 0), seven = cpuid.get(7, 0);
        int eax = one[0];
        int family = (eax >>> 8) & 0xf, model = (eax >>> 4) & 0xf, stepping = eax & 0xf;
        if (family == 0xf)
            family += (eax >>> 20) & 0xff;
        if (family >= 6)
            model += ((eax >>> 16) & 0xf) << 4;
        int[] words = {one[3], ext[3], one[2], ext[2], seven[1], seven[2], seven[3]};
        StringBuilder flags = new StringBuilder();
        for (int w = 0; w < words.length; w++)
            for (int bit = 0; bit < 32; bit++)
                if ((words[w] >>> bit & 1) != 0 && FLAGS[w][bit] != null)
                    flags.append(flags.length() == 0 ? "" : " ").append(FLAGS[w][bit]);
        int sizes = cpuid.get(0x80000008, 0)[0];
        int clflush = ((one[1] >>> 8) & 0xff) * 8;
        String brand = cpuid.brand();
        StringBuilder s = new StringBuilder();
        for (int core = 0; core < cores; core++) {
            s.append("processor\t: ").append(core).append('\n');
            s.append("vendor_id\t: ").append(cpuid.vendor()).append('\n');
            s.append("cpu family\t: ").append(family).append('\n');
            s.append("model\t\t: ").append(model).append('\n');
            s.append("model name\t: ").append(brand.isEmpty() ? "unknown" : brand).append('\n');
            s.append("stepping\t: ").append(stepping).append('\n');
            if (!mhz.isEmpty())
                s.append("cpu MHz\t\t: ").append(mhz).append('\n');
            if (!cacheSize.isEmpty())
                s.append("cache size\t: ").append(cacheSize).append('\n');
            s.append("physical id\t: 0\n");
            s.append("siblings\t: ").append(cores).append('\n');
            s.append("core id\t\t: ").append(core).append('\n');
            s.append("cpu cores\t: ").append(cores).append('\n');
            s.append("apicid\t\t: ").append(core).append('\n');
            s.append("initial apicid\t: ").append(core).append('\n');
            s.append("fpu\t\t: yes\n");
            s.append("fpu_exception\t: yes\n");
            s.append("cpuid level\t: ").append(cpuid.get(0, 0)[0]).append('\n');
            s.append("wp\t\t: yes\n");
            s.append("flags\t\t: ").append(flags).append('\n');
            s.append("bugs\t\t:\n");
            if (!bogomips.isEmpty())
                s.append("bogomips\t: ").append(bogomips).append('\n');
            s.append("clflush size\t: ").append(clflush == 0 ? 64 : clflush).append('\n');
            s.append("cache_alignment\t: ").append(clflush == 0 ? 64 : clflush).append('\n');
            if (sizes != 0)
                s.append("address sizes\t: ").append(sizes & 0xff).append(" bits physical, ")
                        .append((sizes >>> 8) & 0xff).append(" bits virtual\n");
            s.append("power management:\n\n");
        }
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
