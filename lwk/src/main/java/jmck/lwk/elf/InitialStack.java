package jmck.lwk.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jmck.lwk.abi.KernelRandom;
import jmck.lwk.abi.Mman;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Backing;

/**
 * Builds the stack a program finds at its entry point, laid out as Linux's execve does (fs/exec.c and
 * create_elf_tables in fs/binfmt_elf.c), from the top down: a NULL word, the file name, the environment
 * and argument strings, the platform string, 16 random bytes, then at a 16-byte aligned rsp: argc, argv[],
 * NULL, envp[], NULL, and the auxiliary vector ending in AT_NULL. There is no vDSO, so no AT_SYSINFO_EHDR:
 * glibc and musl then make every system call with the syscall instruction.
 */
public final class InitialStack {
    public static final int AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
            AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15,
            AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31,
            AT_MINSIGSTKSZ = 51;
    /** The initial stack VMA: what the strings need plus 128 KiB, like Linux's stack_expand. */
    public static final long INITIAL_STACK_SIZE = 132 * 1024;

    /** Credentials and CPU facts the auxiliary vector reports. */
    public record Facts(long uid, long euid, long gid, long egid, long hwcap, long minSigStackSize) {}

    private InitialStack() {}

    /** Creates the stack VMA, writes everything, and returns the initial rsp. */
    public static long build(AddressSpace as, ProgramLoader.Program image, String execfn, List<String> argv,
            List<String> envp, Facts facts) {
        long top = AddressSpace.STACK_TOP;
        as.map(top - INITIAL_STACK_SIZE, top, Mman.PROT_READ | Mman.PROT_WRITE, false, true, Backing.ANONYMOUS, 0,
                "[stack]");
        long p = top - 8; // the NULL end marker
        p = pushString(as, p, execfn);
        long execfnAddr = p;
        long[] envAddrs = new long[envp.size()];
        for (int i = envp.size() - 1; i >= 0; i--)
            envAddrs[i] = p = pushString(as, p, envp.get(i));
        long[] argAddrs = new long[argv.size()];
        for (int i = argv.size() - 1; i >= 0; i--)
            argAddrs[i] = p = pushString(as, p, argv.get(i));
        long total = top - p;
        if (total > INITIAL_STACK_SIZE - 64 * 1024)
            throw new ExecFormatException("argument list too long (" + total + " bytes)");

        p &= ~15L;
        p = pushString(as, p, "x86_64");
        long platform = p;
        byte[] random = new byte[16];
        KernelRandom.fill(random);
        p -= 16;
        as.copyOut(p, random);
        long randomAddr = p;

        List<long[]> auxv = new ArrayList<>();
        auxv.add(new long[] {AT_MINSIGSTKSZ, facts.minSigStackSize()});
        auxv.add(new long[] {AT_HWCAP, facts.hwcap()});
        auxv.add(new long[] {AT_PAGESZ, 4096});
        auxv.add(new long[] {AT_CLKTCK, 100});
        auxv.add(new long[] {AT_PHDR, image.phdr()});
        auxv.add(new long[] {AT_PHENT, ElfImage.PHDR_SIZE});
        auxv.add(new long[] {AT_PHNUM, image.phnum()});
        auxv.add(new long[] {AT_BASE, image.interpreterBase()});
        auxv.add(new long[] {AT_FLAGS, 0});
        auxv.add(new long[] {AT_ENTRY, image.entry()});
        auxv.add(new long[] {AT_UID, facts.uid()});
        auxv.add(new long[] {AT_EUID, facts.euid()});
        auxv.add(new long[] {AT_GID, facts.gid()});
        auxv.add(new long[] {AT_EGID, facts.egid()});
        auxv.add(new long[] {AT_SECURE, 0});
        auxv.add(new long[] {AT_RANDOM, randomAddr});
        auxv.add(new long[] {AT_EXECFN, execfnAddr});
        auxv.add(new long[] {AT_PLATFORM, platform});
        auxv.add(new long[] {AT_NULL, 0});

        long[] saved = new long[2 * auxv.size()];
        for (int i = 0; i < auxv.size(); i++) {
            saved[2 * i] = auxv.get(i)[0];
            saved[2 * i + 1] = auxv.get(i)[1];
        }
        as.setSavedAuxv(saved);
        int words = 1 + argv.size() + 1 + envp.size() + 1 + 2 * auxv.size();
        long sp = (p - 8L * words) & ~15L;
        ByteBuffer b = ByteBuffer.allocate(8 * words).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(argv.size());
        for (long a : argAddrs)
            b.putLong(a);
        b.putLong(0);
        for (long e : envAddrs)
            b.putLong(e);
        b.putLong(0);
        for (long[] kv : auxv) {
            b.putLong(kv[0]);
            b.putLong(kv[1]);
        }
        as.copyOut(sp, b.array());
        as.setStartStack(sp);
        return sp;
    }

    private static long pushString(AddressSpace as, long p, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, z, 0, bytes.length);
        p -= z.length;
        as.copyOut(p, z);
        return p;
    }
}
