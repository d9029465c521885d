package jmck.debug;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jmck.lwk.elf.InitialStack;
import jmck.lwk.mm.AddressSpace;

/**
 * The shared objects a process has loaded, as gdb's remote protocol reports them (qXfer:libraries-svr4:read)
 * and as gdbserver finds them: through AT_PHDR in the saved auxiliary vector to the program's headers, its
 * PT_DYNAMIC section, the DT_DEBUG entry there that the dynamic linker points at its {@code r_debug}, and the
 * list of {@code link_map}s that r_debug's r_map starts: one per loaded object, the program first. Before
 * the dynamic linker has filled DT_DEBUG (at the program's start) and for a static program the list is empty.
 */
final class LibraryList {
    private static final int PT_DYNAMIC = 2, PT_PHDR = 6, DT_NULL = 0, DT_DEBUG = 21;
    /** More link_maps than any process has: the walk stops there if the list is broken or loops. */
    private static final int MAX_OBJECTS = 4096;

    private LibraryList() {}

    /**
     * The library-list-svr4 document for mm: {@code <library-list-svr4 version="1.0" main-lm="0x...">} and a
     * {@code <library name=... lm=... l_addr=... l_ld=.../>} for each object after the program.
     */
    static String svr4(Inspector inspect, AddressSpace mm) {
        long rDebug = rDebug(inspect, mm);
        long lm = rDebug == 0 ? 0 : word(inspect, mm, rDebug + 8); // r_map
        if (lm == 0)
            return "<library-list-svr4 version=\"1.0\"/>";
        StringBuilder b = new StringBuilder("<library-list-svr4 version=\"1.0\" main-lm=\"0x" + Long.toHexString(lm) + "\">");
        lm = word(inspect, mm, lm + 24); // the program's l_next: the objects it loaded
        for (int i = 0; lm != 0 && lm != -1 && i < MAX_OBJECTS; i++) {
            long addr = word(inspect, mm, lm), name = word(inspect, mm, lm + 8), ld = word(inspect, mm, lm + 16);
            b.append(String.format("<library name=\"%s\" lm=\"0x%x\" l_addr=\"0x%x\" l_ld=\"0x%x\" lmid=\"0x0\"/>",
                    xml(string(inspect, mm, name)), lm, addr, ld));
            lm = word(inspect, mm, lm + 24);
        }
        return b.append("</library-list-svr4>").toString();
    }

    /** The dynamic linker's r_debug, from the program's DT_DEBUG entry; 0 if there is none (yet). */
    static long rDebug(Inspector inspect, AddressSpace mm) {
        long phdr = mm.auxv(InitialStack.AT_PHDR), phnum = mm.auxv(InitialStack.AT_PHNUM);
        if (phdr <= 0 || phnum <= 0 || phnum > 256)
            return 0;
        ByteBuffer h = bytes(inspect, mm, phdr, (int) phnum * 56);
        long bias = 0, dynamic = -1, dynamicSize = 0;
        for (int i = 0; i + 56 <= h.capacity(); i += 56) {
            int type = h.getInt(i);
            if (type == PT_PHDR)
                bias = phdr - h.getLong(i + 16);
            else if (type == PT_DYNAMIC) {
                dynamic = h.getLong(i + 16);
                dynamicSize = h.getLong(i + 40);
            }
        }
        if (dynamic < 0)
            return 0;
        ByteBuffer d = bytes(inspect, mm, bias + dynamic, (int) Math.min(dynamicSize, 64 * 1024));
        for (int i = 0; i + 16 <= d.capacity(); i += 16) {
            long tag = d.getLong(i);
            if (tag == DT_NULL)
                break;
            if (tag == DT_DEBUG)
                return d.getLong(i + 8);
        }
        return 0;
    }

    private static ByteBuffer bytes(Inspector inspect, AddressSpace mm, long va, int len) {
        return ByteBuffer.wrap(inspect.read(mm, va, len, true)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The 8-byte word at va, or -1 if it cannot be read. */
    private static long word(Inspector inspect, AddressSpace mm, long va) {
        ByteBuffer b = bytes(inspect, mm, va, 8);
        return b.capacity() == 8 ? b.getLong(0) : -1;
    }

    private static String string(Inspector inspect, AddressSpace mm, long va) {
        byte[] b = inspect.read(mm, va, 4096 - (int) (va & 4095), true);
        int n = 0;
        while (n < b.length && b[n] != 0)
            n++;
        if (n == b.length && b.length > 0) { // it goes on into the next page
            byte[] more = inspect.read(mm, va + n, 4096, true);
            byte[] all = java.util.Arrays.copyOf(b, n + more.length);
            System.arraycopy(more, 0, all, n, more.length);
            b = all;
            while (n < b.length && b[n] != 0)
                n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
