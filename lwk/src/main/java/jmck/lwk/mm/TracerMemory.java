package jmck.lwk.mm;

/**
 * Another process's memory as ptrace's PEEKDATA and POKEDATA reach it (Linux's access_process_vm with
 * FOLL_FORCE): a tracer may write a tracee's code (a breakpoint), into the tracee's own copy of a shared
 * page, and the cores forget what they translated from the bytes it changed.
 */
public final class TracerMemory {
    private TracerMemory() {}

    /** The len bytes at va, or null if one of them is not mapped (EIO). */
    public static byte[] peek(AddressSpace mm, long va, int len) {
        byte[] b = new byte[len];
        synchronized (mm) {
            for (int i = 0; i < len; ) {
                long pa = mm.resolve(va + i, false);
                if (pa < 0)
                    return null;
                int n = (int) Math.min(len - i, FrameAllocator.PAGE_SIZE - ((va + i) & (FrameAllocator.PAGE_SIZE - 1)));
                mm.memory().read(pa, b, i, n);
                i += n;
            }
        }
        return b;
    }

    /** Writes bytes at va, read-only pages too; false (EIO) if a page is not mapped, with nothing written. */
    public static boolean poke(AddressSpace mm, long va, byte[] bytes) {
        synchronized (mm) {
            long[] pas = new long[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                pas[i] = mm.resolveForDebugger(va + i);
                if (pas[i] < 0)
                    return false;
            }
            long retired = -1;
            for (int i = 0; i < bytes.length; i++) {
                mm.memory().write(pas[i], bytes, i, 1);
                long page = pas[i] & -FrameAllocator.PAGE_SIZE;
                if (page != retired) // the code translated from it is stale now
                    mm.retireCode(page, FrameAllocator.PAGE_SIZE);
                retired = page;
            }
        }
        return true;
    }
}
