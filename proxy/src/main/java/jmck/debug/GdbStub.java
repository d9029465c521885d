package jmck.debug;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.Cpu;
import jmck.emulator.JmckException;
import jmck.emulator.X86Reg;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * A gdb remote stub (the Remote Serial Protocol over TCP) for {@code jmck run --gdb :PORT}. It serves the
 * subset gdb uses on x86-64 Linux: registers (g/G, p/P, described by a target.xml with the core, SSE,
 * Linux and segment-base features), memory (m/M/X), software breakpoints (Z0/z0, kept as native code hooks,
 * so guest memory is never patched), single step and continue (s/c and vCont), threads (qfThreadInfo, qC,
 * H, T), kill, detach, and the exit report (W, or X for a signal). Packets are read only while the machine
 * is stopped, on the scheduler's thread.
 */
public final class GdbStub implements Debugger.Frontend, AutoCloseable {
    private final Debugger debugger;
    private final Inspector inspect;
    private final ServerSocket server;
    private final Socket socket;
    /** What gdb sent, byte by byte (-1 at the end), from a reader thread that also catches Ctrl-C. */
    private final java.util.concurrent.BlockingQueue<Integer> input = new java.util.concurrent.LinkedBlockingQueue<>();
    private final OutputStream out;
    private boolean noAck, first = true, connected = true;
    private Debugger.Stop stop;
    private int mainPid = -1;

    /** One register of the target description: its gdb name, width, type, and where Unicorn keeps it. */
    private record Reg(String name, int bits, String type, X86Reg source, String feature) {}

    private static final List<Reg> REGS = new ArrayList<>();

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

    private GdbStub(Kernel kernel, ElfImage elf, ServerSocket server, Socket socket) throws IOException {
        this.debugger = new Debugger(kernel);
        this.inspect = new Inspector(kernel.memory(), elf == null ? ElfSymbols.NONE : ElfSymbols.read(elf));
        this.server = server;
        this.socket = socket;
        socket.setTcpNoDelay(true);
        InputStream in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
        java.lang.Thread reader = new java.lang.Thread(() -> {
            try {
                for (int b; (b = in.read()) != -1; ) {
                    if (b == 0x03) // Ctrl-C while the program runs: stop it at the end of the slice
                        debugger.interrupt();
                    else
                        input.add(b);
                }
            } catch (IOException e) {
                // the connection ended
            }
            input.add(-1);
        }, "gdb-reader");
        reader.setDaemon(true);
        reader.start();
        debugger.setStopOnSignals(true);
        debugger.setInterruptible(true);
        debugger.attach(this);
    }

    /**
     * Listens on spec ("[HOST]:PORT"; port 0 picks a free one), says where on log, waits for gdb to connect,
     * and attaches to kernel: the program then stops before its first instruction.
     */
    public static GdbStub listen(Kernel kernel, ElfImage elf, String spec, PrintStream log) {
        int colon = spec.lastIndexOf(':');
        String host = colon <= 0 ? "127.0.0.1" : spec.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(spec.substring(colon + 1));
            if (port < 0 || port > 65535)
                throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new JmckException("bad --gdb '" + spec + "': give [HOST]:PORT, e.g. :1234");
        }
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
            log.printf("jmck: waiting for gdb on %s:%d (in gdb: target remote %s:%d)%n", host, server.getLocalPort(), host,
                    server.getLocalPort());
            log.flush();
            return new GdbStub(kernel, elf, server, server.accept());
        } catch (IOException e) {
            try {
                if (server != null)
                    server.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
            throw new JmckException("cannot serve gdb on " + spec + ": " + e.getMessage());
        }
    }

    // ---- Debugger.Frontend ----

    @Override
    public Debugger.Resume stopped(Debugger.Stop s) {
        stop = s;
        selected = null;
        if (mainPid < 0)
            mainPid = s.thread().process().pid();
        if (!connected)
            return Debugger.Resume.until(Debugger.Until.DETACH);
        try {
            if (!first)
                send(stopReply());
            first = false; // gdb asks for the first stop itself, with '?'
            while (true) {
                String p = readPacket();
                if (p == null) { // gdb went away: let the program finish on its own
                    connected = false;
                    return Debugger.Resume.until(Debugger.Until.DETACH);
                }
                Debugger.Resume r = handle(p);
                out.flush();
                if (r != null)
                    return r;
            }
        } catch (IOException e) {
            connected = false;
            return Debugger.Resume.until(Debugger.Until.DETACH);
        }
    }

    @Override
    public void exited(Process p) {
        if (!connected || p.pid() != mainPid && mainPid >= 0)
            return;
        int ws = p.waitStatus();
        try {
            send((ws & 0x7f) == 0 ? String.format("W%02x", (ws >> 8) & 0xff) : String.format("X%02x", gdbSignal(ws & 0x7f)));
        } catch (IOException e) {
            // gdb is gone already
        }
        close();
    }

    // ---- packets ----

    private Debugger.Resume handle(String p) throws IOException {
        Thread t = stop.thread();
        Cpu cpu = registersOf(selected != null ? selected : t);
        if (p.startsWith("qSupported")) {
            send("PacketSize=4000;qXfer:features:read+;swbreak+;QStartNoAckMode+;vContSupported+");
        } else if (p.equals("QStartNoAckMode")) {
            send("OK");
            noAck = true;
        } else if (p.startsWith("qXfer:features:read:target.xml:")) {
            String[] r = p.substring("qXfer:features:read:target.xml:".length()).split(",");
            int off = Integer.parseInt(r[0], 16), len = Integer.parseInt(r[1], 16);
            String x = TARGET_XML;
            send(off >= x.length() ? "l" : (off + len >= x.length() ? "l" : "m") + x.substring(off, Math.min(x.length(), off + len)));
        } else if (p.equals("?")) {
            send(stopReply());
        } else if (p.startsWith("Hg")) {
            int tid = parseThread(p.substring(2));
            selected = tid <= 0 ? null : thread(tid);
            send(tid > 0 && selected == null ? "E01" : "OK");
        } else if (p.startsWith("H")) {
            send("OK"); // Hc: steps and continues always resume the stopped thread (all-stop)
        } else if (p.startsWith("T")) {
            send(thread(parseThread(p.substring(1))) == null ? "E01" : "OK");
        } else if (p.equals("qfThreadInfo")) {
            StringBuilder b = new StringBuilder("m");
            for (Thread x : threads())
                b.append(b.length() > 1 ? "," : "").append(Integer.toHexString(x.tid()));
            send(b.toString());
        } else if (p.equals("qsThreadInfo")) {
            send("l");
        } else if (p.equals("qC")) {
            send("QC" + Integer.toHexString(t.tid()));
        } else if (p.startsWith("qAttached")) {
            send("1");
        } else if (p.startsWith("qSymbol")) {
            send("OK");
        } else if ((p.equals("g") || p.startsWith("p") || p.startsWith("G") || p.startsWith("P")) && cpu == null) {
            send("E01"); // a thread off every core: its registers are in a saved context we cannot read
        } else if (p.equals("g")) {
            StringBuilder b = new StringBuilder();
            for (Reg r : REGS)
                b.append(hex(readReg(cpu, r), r.bits() / 8));
            send(b.toString());
        } else if (p.startsWith("G")) {
            String data = p.substring(1);
            int at = 0;
            for (Reg r : REGS) {
                int n = r.bits() / 4;
                if (at + n > data.length())
                    break;
                writeReg(cpu, selected != null ? selected : t, r, data.substring(at, at + n));
                at += n;
            }
            send("OK");
        } else if (p.startsWith("p")) {
            int n = Integer.parseInt(p.substring(1), 16);
            send(n < REGS.size() ? hex(readReg(cpu, REGS.get(n)), REGS.get(n).bits() / 8) : "E01");
        } else if (p.startsWith("P")) {
            String[] kv = p.substring(1).split("=");
            int n = Integer.parseInt(kv[0], 16);
            if (n < REGS.size())
                writeReg(cpu, selected != null ? selected : t, REGS.get(n), kv[1]);
            send(n < REGS.size() ? "OK" : "E01");
        } else if (p.startsWith("m")) {
            String[] r = p.substring(1).split(",");
            long va = Long.parseUnsignedLong(r[0], 16);
            int len = Math.min(Integer.parseInt(r[1], 16), 0x1000);
            byte[] b = inspect.read(t.process().mm(), va, len, true);
            send(b.length == 0 && len > 0 ? "E14" : hex(b));
        } else if (p.startsWith("M") || p.startsWith("X")) {
            int colon = p.indexOf(':');
            String[] r = p.substring(1, colon).split(",");
            long va = Long.parseUnsignedLong(r[0], 16);
            byte[] data = p.startsWith("M") ? unhex(p.substring(colon + 1)) : p.substring(colon + 1).getBytes(StandardCharsets.ISO_8859_1);
            boolean ok = inspect.write(t.process().mm(), va, data);
            if (ok && data.length > 0)
                cpu.forgetCode(va, data.length); // code translated from the old bytes must not run
            send(ok ? "OK" : "E14");
        } else if (p.startsWith("Z0,") || p.startsWith("z0,")) {
            long va = Long.parseUnsignedLong(p.substring(3).split(",")[0], 16);
            if (p.charAt(0) == 'Z')
                debugger.addBreakpoint(va);
            else
                debugger.removeBreakpoint(va);
            send("OK");
        } else if (p.equals("vCont?")) {
            send("vCont;c;C;s;S");
        } else if (p.startsWith("vCont;")) {
            // The first action for our thread (or for all threads) decides: step or continue.
            for (String action : p.substring(6).split(";")) {
                char a = action.charAt(0);
                int colon = action.indexOf(':');
                if (colon > 0 && !action.substring(colon + 1).equals("-1")
                        && Integer.parseInt(action.substring(colon + 1).replaceFirst("^p[0-9a-f]+\\.", ""), 16) != t.tid())
                    continue;
                return a == 's' || a == 'S' ? Debugger.Resume.step(1) : Debugger.Resume.until(Debugger.Until.BREAKPOINT);
            }
            return Debugger.Resume.until(Debugger.Until.BREAKPOINT);
        } else if (p.startsWith("s") || p.startsWith("S")) {
            return Debugger.Resume.step(1);
        } else if (p.startsWith("c") || p.startsWith("C")) {
            return Debugger.Resume.until(Debugger.Until.BREAKPOINT);
        } else if (p.equals("k")) {
            connected = false;
            close();
            return Debugger.Resume.killProgram();
        } else if (p.startsWith("D")) {
            send("OK");
            connected = false;
            close();
            return Debugger.Resume.until(Debugger.Until.DETACH);
        } else {
            send(""); // not supported: gdb falls back or does without
        }
        return null;
    }

    private String stopReply() {
        Debugger.Stop s = stop;
        String thread = "thread:" + Integer.toHexString(s.thread().tid()) + ";";
        return switch (s.kind()) {
            case BREAKPOINT -> "T05swbreak:;" + thread;
            case SIGNAL -> String.format("T%02x%s", gdbSignal(s.signo()), thread);
            case INTERRUPT -> "T02" + thread; // SIGINT, as gdb expects after Ctrl-C
            default -> "T05" + thread;
        };
    }

    private Thread selected;

    private static int parseThread(String s) {
        s = s.replaceFirst("^p[0-9a-f]+\\.", "");
        return s.equals("-1") ? -1 : Integer.parseInt(s, 16);
    }

    /** The CPU holding t's registers: the core it is loaded on, or null if it is on none. */
    private Cpu registersOf(Thread t) {
        if (t == stop.thread())
            return stop.core().cpu();
        for (jmck.lwk.proc.Core c : debugger.kernel().cores())
            if (c.current() == t)
                return c.cpu();
        return null;
    }

    private List<Thread> threads() {
        List<Thread> l = new ArrayList<>();
        for (Process p : debugger.kernel().processes().live())
            for (Thread x : p.threads())
                if (x.alive())
                    l.add(x);
        return l;
    }

    private Thread thread(int tid) {
        for (Thread x : threads())
            if (x.tid() == tid)
                return x;
        return null;
    }

    /** Linux signal numbers as gdb's remote protocol numbers them (where they differ). */
    static int gdbSignal(int linux) {
        return switch (linux) {
            case 7 -> 10;   // SIGBUS
            case 10 -> 30;  // SIGUSR1
            case 12 -> 31;  // SIGUSR2
            case 17 -> 20;  // SIGCHLD
            case 18 -> 19;  // SIGCONT
            case 19 -> 17;  // SIGSTOP
            case 20 -> 18;  // SIGTSTP
            default -> linux;
        };
    }

    private static byte[] readReg(Cpu cpu, Reg r) {
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

    private static void writeReg(Cpu cpu, Thread t, Reg r, String hexValue) {
        if (r.source() == null || r.bits() > 64)
            return; // x87 and SSE registers are shown, not written
        byte[] b = unhex(hexValue);
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--)
            v = v << 8 | (b[i] & 0xff);
        cpu.setReg(r.source(), v);
        if (r.source() == X86Reg.RIP)
            t.setRip(v); // the scheduler resumes the thread from here
    }

    // ---- the wire ----

    private int read() throws IOException {
        try {
            int b = input.take();
            if (b < 0)
                input.add(-1); // stays at the end
            return b;
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private String readPacket() throws IOException {
        int c;
        while ((c = read()) != -1) {
            if (c != '$')
                continue; // acks
            StringBuilder b = new StringBuilder();
            while ((c = read()) != -1 && c != '#') {
                if (c == '}') // binary escape (X packets)
                    c = read() ^ 0x20;
                b.append((char) c);
            }
            read();
            read(); // checksum: TCP already guards the bytes
            if (!noAck) {
                out.write('+');
                out.flush();
            }
            return b.toString();
        }
        return null;
    }

    private void send(String data) throws IOException {
        StringBuilder b = new StringBuilder();
        for (char c : data.toCharArray()) {
            if (c == '#' || c == '$' || c == '}' || c == '*')
                b.append('}').append((char) (c ^ 0x20));
            else
                b.append(c);
        }
        int sum = 0;
        for (int i = 0; i < b.length(); i++)
            sum += b.charAt(i);
        out.write(("$" + b + "#" + String.format("%02x", sum & 0xff)).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String hex(byte[] b) {
        return hex(b, b.length);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++)
            s.append(String.format("%02x", b[i] & 0xff));
        return s.toString();
    }

    private static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++)
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    @Override
    public void close() {
        connected = false;
        try {
            socket.close();
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        inspect.close();
    }
}
