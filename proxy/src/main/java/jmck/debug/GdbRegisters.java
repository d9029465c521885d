package jmck.debug;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.proc.Thread;

/**
 * The registers gdb sees, in the order and with the features of the target description the stub sends
 * (target.xml: the core, SSE, Linux and segment-base features of x86-64 Linux), and how each is read from
 * and written to a core.
 */
final class GdbRegisters {
    private GdbRegisters() {}

    /** One register of the target description: its gdb name, width, type, and where Unicorn keeps it. */
    record Reg(String name, int bits, String type, X86Reg source, String feature) {}

    static final List<Reg> REGS = new ArrayList<>();

    static {
        String core = "org.gnu.gdb.i386.core";
        for (X86Reg r : new X86Reg[] {X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI, X86Reg.RBP,
            X86Reg.RSP, X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14, X86Reg.R15})
            REGS.add(new Reg(r.name().toLowerCase(), 64, r == X86Reg.RBP || r == X86Reg.RSP ? "data_ptr" : "int64", r, core));
        REGS.add(new Reg("rip", 64, "code_ptr", X86Reg.RIP, core));
        REGS.add(new Reg("eflags", 32, "i386_eflags", X86Reg.RFLAGS, core));
        for (X86Reg r : new X86Reg[] {X86Reg.CS, X86Reg.SS, X86Reg.DS, X86Reg.ES, X86Reg.FS, X86Reg.GS})
            REGS.add(new Reg(r.name().toLowerCase(), 32, "int32", r, core));
        for (int i = 0; i < 8; i++)
            REGS.add(new Reg("st" + i, 80, "i387_ext", X86Reg.st(i), core));
        REGS.add(new Reg("fctrl", 32, "int", X86Reg.FPCW, core));
        REGS.add(new Reg("fstat", 32, "int", X86Reg.FPSW, core));
        REGS.add(new Reg("ftag", 32, "int", X86Reg.FPTAG, core));
        for (String n : new String[] {"fiseg", "fioff", "foseg", "fooff", "fop"})
            REGS.add(new Reg(n, 32, "int", null, core));
        for (int i = 0; i < 16; i++)
            REGS.add(new Reg("xmm" + i, 128, "vec128", X86Reg.xmm(i), "org.gnu.gdb.i386.sse"));
        REGS.add(new Reg("mxcsr", 32, "int", X86Reg.MXCSR, "org.gnu.gdb.i386.sse"));
        REGS.add(new Reg("orig_rax", 64, "int", null, "org.gnu.gdb.i386.linux"));
        REGS.add(new Reg("fs_base", 64, "int", X86Reg.FS_BASE, "org.gnu.gdb.i386.segments"));
        REGS.add(new Reg("gs_base", 64, "int", X86Reg.GS_BASE, "org.gnu.gdb.i386.segments"));
    }

    /** The target description gdb reads with qXfer:features:read:target.xml, made from REGS. */
    static final String TARGET_XML = targetXml();

    private static String targetXml() {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                + "<target><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>");
        String feature = null;
        for (int i = 0; i < REGS.size(); i++) {
            Reg r = REGS.get(i);
            if (!r.feature().equals(feature)) {
                if (feature != null)
                    b.append("</feature>");
                feature = r.feature();
                b.append("<feature name=\"").append(feature).append("\">");
                if (feature.endsWith(".core"))
                    b.append("<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
                            + "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
                            + "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
                            + "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
                            + "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/></flags>");
                if (feature.endsWith(".sse"))
                    b.append("<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
                            + "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/><vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
                            + "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
                            + "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
                            + "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
                            + "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
                            + "<field name=\"uint128\" type=\"uint128\"/></union>");
            }
            b.append(String.format("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"/>", r.name(), r.bits(), r.type(), i));
        }
        return b.append("</feature></target>").toString();
    }

    /** The value of r in cpu, little-endian, as the g and p packets send it. */
    static byte[] read(Cpu cpu, Reg r) {
        int n = r.bits() / 8;
        byte[] b = new byte[n];
        if (r.name().equals("orig_rax")) {
            java.util.Arrays.fill(b, (byte) 0xff); // -1: not in a syscall
            return b;
        }
        if (r.source() == null)
            return b;
        long[] v = n > 8 ? cpu.regWide(r.source()) : new long[] {cpu.reg(r.source()), 0};
        for (int i = 0; i < n; i++)
            b[i] = (byte) (v[i / 8] >>> (8 * (i % 8)));
        return b;
    }

    /** Sets r in cpu (t's registers) to the little-endian bytes b, as the G and P packets ask. */
    static void write(Cpu cpu, Thread t, Reg r, byte[] b) {
        if (r.source() == null || r.bits() > 64)
            return; // x87 and SSE registers are shown, not written
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--)
            v = v << 8 | (b[i] & 0xff);
        cpu.setReg(r.source(), v);
        if (r.source() == X86Reg.RIP)
            t.setRip(v); // the scheduler resumes the thread from here
    }
}
