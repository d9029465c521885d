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

    private GdbStub(Kernel kernel, ElfImage elf, ServerSocket server, Socket socket) throws IOException {
        this.debugger = new Debugger(kernel);
        this.inspect = new Inspector(kernel.memory(), elf);
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
            send("PacketSize=4000;qXfer:features:read+;qXfer:auxv:read+;qXfer:libraries-svr4:read+;swbreak+;"
                    + "QStartNoAckMode+;vContSupported+");
        } else if (p.equals("QStartNoAckMode")) {
            send("OK");
            noAck = true;
        } else if (p.startsWith("qXfer:features:read:target.xml:")) {
            sendPart(GdbRegisters.TARGET_XML, p.substring("qXfer:features:read:target.xml:".length()));
        } else if (p.startsWith("qXfer:auxv:read::")) { // gdb relocates a PIE and finds the dynamic linker by it
            byte[] auxv = t.process().mm().savedAuxvBytes();
            sendPart(new String(auxv, StandardCharsets.ISO_8859_1), p.substring("qXfer:auxv:read::".length()));
        } else if (p.startsWith("qXfer:libraries-svr4:read:")) {
            String rest = p.substring("qXfer:libraries-svr4:read:".length());
            sendPart(LibraryList.svr4(inspect, t.process().mm()), rest.substring(rest.indexOf(':') + 1));
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
            for (GdbRegisters.Reg r : GdbRegisters.REGS)
                b.append(hex(GdbRegisters.read(cpu, r), r.bits() / 8));
            send(b.toString());
        } else if (p.startsWith("G")) {
            String data = p.substring(1);
            int at = 0;
            for (GdbRegisters.Reg r : GdbRegisters.REGS) {
                int n = r.bits() / 4;
                if (at + n > data.length())
                    break;
                GdbRegisters.write(cpu, selected != null ? selected : t, r, unhex(data.substring(at, at + n)));
                at += n;
            }
            send("OK");
        } else if (p.startsWith("p")) {
            int n = Integer.parseInt(p.substring(1), 16);
            send(n < GdbRegisters.REGS.size() ? hex(GdbRegisters.read(cpu, GdbRegisters.REGS.get(n)),
                    GdbRegisters.REGS.get(n).bits() / 8) : "E01");
        } else if (p.startsWith("P")) {
            String[] kv = p.substring(1).split("=");
            int n = Integer.parseInt(kv[0], 16);
            if (n < GdbRegisters.REGS.size())
                GdbRegisters.write(cpu, selected != null ? selected : t, GdbRegisters.REGS.get(n), unhex(kv[1]));
            send(n < GdbRegisters.REGS.size() ? "OK" : "E01");
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

    /** A qXfer answer: the part of document at "OFFSET,LENGTH" (hex), 'm' if more follows, 'l' for the last. */
    private void sendPart(String document, String offsetAndLength) throws IOException {
        String[] r = offsetAndLength.split(",");
        int off = Integer.parseInt(r[0], 16), len = Integer.parseInt(r[1], 16);
        if (off >= document.length())
            send("l");
        else
            send((off + len >= document.length() ? "l" : "m") + document.substring(off, Math.min(document.length(), off + len)));
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
