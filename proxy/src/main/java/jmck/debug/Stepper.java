package jmck.debug;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.BiFunction;
import jmck.emulator.X86Reg;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.trace.SyscallFormat;

/**
 * {@code jmck step}: a command line that stops the program where the kernel does something worth seeing.
 * Each stop prints what happened (for a page fault: the faulting instruction, the address, the walk before,
 * the handler's decision and the walk after); then commands inspect the machine until one resumes it.
 * Commands come from a terminal or, for tests and handouts, from a script (echoed as they run).
 */
public final class Stepper implements Debugger.Frontend {
    private final Debugger debugger;
    private final Inspector inspect;
    private final BufferedReader in;
    private final PrintStream out;
    private final boolean echo;
    private boolean endOfInput;
    private String lastCommand = "";
    private Debugger.Stop stop;
    private int stops;
    private Recorder recorder;

    /** Told about each stop, command and exit of the session (the HTML export records them). */
    public interface Recorder {
        /** The machine stopped (before the stepper reports it). */
        void stopped(Debugger.Stop stop, Debugger.FaultInfo lastFault);

        /** A command was given at the current stop (after it ran). */
        void command(String line);

        /** A process ended. */
        void exited(Process p);
    }

    public void setRecorder(Recorder r) {
        recorder = r;
    }

    /** One command: its words after the verb; returns how to go on, or null to stay stopped. */
    private interface Verb extends BiFunction<Stepper, String[], Debugger.Resume> {}

    private record Entry(String usage, String help, Verb verb) {}

    private static final Map<String, Entry> VERBS = new java.util.LinkedHashMap<>();

    private static void verb(String names, String usage, String help, Verb v) {
        for (String n : names.split("\\|"))
            VERBS.put(n, new Entry(usage, help, v));
    }

    static {
        verb("step|si|stepi", "step [N]", "run N instructions (default 1), then stop", (s, a) -> Debugger.Resume.step(
                a.length > 0 ? s.number(a[0]) : 1));
        verb("fault", "fault", "run until the next page fault has been handled",
                (s, a) -> Debugger.Resume.until(Debugger.Until.FAULT));
        verb("syscall", "syscall", "run until the next syscall returns",
                (s, a) -> Debugger.Resume.until(Debugger.Until.SYSCALL));
        verb("signal", "signal", "run until a signal is delivered", (s, a) -> Debugger.Resume.until(Debugger.Until.SIGNAL));
        verb("until", "until ADDR", "run until the instruction at ADDR (a hex address or a symbol such as main)",
                (s, a) -> s.debugger.runTo(s.address(a, 0)));
        verb("continue|c", "continue", "run until a breakpoint or the end",
                (s, a) -> Debugger.Resume.until(Debugger.Until.BREAKPOINT));
        verb("break|b", "break ADDR", "stop whenever the instruction at ADDR is about to run", (s, a) -> {
            long va = s.address(a, 0);
            s.debugger.addBreakpoint(va);
            s.out.printf("breakpoint at %#x%s%n", va, s.inspect.symbolOf(s.mm(), va));
            return null;
        });
        verb("delete", "delete ADDR", "remove a breakpoint", (s, a) -> {
            long va = s.address(a, 0);
            s.out.println(s.debugger.removeBreakpoint(va) ? String.format("deleted breakpoint at %#x", va)
                    : String.format("no breakpoint at %#x", va));
            return null;
        });
        verb("regs|registers", "regs", "show the registers", (s, a) -> {
            s.out.print(s.inspect.registers(s.stop.core().cpu(), s.mm()));
            return null;
        });
        verb("disas|x/i", "disas [ADDR] [N]", "disassemble N instructions (default 5) at ADDR (default rip)", (s, a) -> {
            long rip = s.rip();
            long va = a.length > 0 ? s.address(a, 0) : rip;
            s.out.print(s.inspect.disassemble(s.mm(), va, a.length > 1 ? (int) Math.min(200, s.number(a[1])) : 5, rip));
            return null;
        });
        verb("x|mem", "x ADDR [N]", "show N bytes (default 64) at ADDR, without faulting pages in", (s, a) -> {
            s.dump(s.address(a, 0), a.length > 1 ? (int) Math.min(4096, s.number(a[1])) : 64);
            return null;
        });
        verb("walk", "walk ADDR", "the page-table walk for ADDR: PML4E, PDPTE, PDE, PTE with flags", (s, a) -> {
            s.out.print(s.inspect.walk(s.mm(), s.address(a, 0)));
            return null;
        });
        verb("vmas|maps", "vmas", "the process's virtual memory areas", (s, a) -> {
            s.out.print(s.inspect.vmas(s.mm()));
            return null;
        });
        verb("frames", "frames [ADDR]", "the frames mapped in every VMA (or the one holding ADDR)", (s, a) -> {
            s.out.print(s.inspect.frames(s.mm(), s.debugger.kernel().frames(), a.length > 0 ? s.address(a, 0) : -1));
            return null;
        });
        verb("decision|why", "decision", "what the fault handler decided at the last page fault, and why", (s, a) -> {
            Debugger.FaultInfo f = s.debugger.lastFault();
            s.out.println(f == null ? "no page fault yet" : Inspector.why(f.outcome()));
            return null;
        });
        verb("help|?", "help", "this list", (s, a) -> {
            s.help();
            return null;
        });
        verb("kill|quit|q", "quit", "kill the program and leave", (s, a) -> Debugger.Resume.killProgram());
        verb("detach", "detach", "let the program run to its end without stopping",
                (s, a) -> Debugger.Resume.until(Debugger.Until.DETACH));
    }

    /** echo: print each command after the prompt, as a transcript (for scripts). */
    public Stepper(Kernel kernel, Inspector inspect, BufferedReader in, PrintStream out, boolean echo) {
        this.debugger = new Debugger(kernel);
        this.inspect = inspect;
        this.in = in;
        this.out = out;
        this.echo = echo;
    }

    public void attach() {
        debugger.attach(this);
    }

    // ---- stops ----

    @Override
    public Debugger.Resume stopped(Debugger.Stop s) {
        stop = s;
        if (recorder != null)
            recorder.stopped(s, debugger.lastFault());
        report(s);
        while (true) {
            String line = readCommand();
            if (line == null) {
                out.println("(end of commands: the program runs to its end)");
                return Debugger.Resume.until(Debugger.Until.DETACH);
            }
            String[] words = line.trim().split("\\s+");
            if (words[0].isEmpty())
                continue;
            Entry e = VERBS.get(words[0]);
            if (e == null) {
                out.printf("unknown command '%s': type help for the list%n", words[0]);
                continue;
            }
            try {
                Debugger.Resume r = e.verb().apply(this, java.util.Arrays.copyOfRange(words, 1, words.length));
                out.flush();
                if (recorder != null)
                    recorder.command(line);
                if (r != null)
                    return r;
            } catch (BadCommand x) {
                out.println(x.getMessage());
            } catch (RuntimeException x) { // the machine refused (an engine error): say so, keep the session
                out.println("error: " + x.getMessage());
            }
        }
    }

    private void report(Debugger.Stop s) {
        Thread t = s.thread();
        String who = String.format("[pid %d tid %d core %d]", t.process().pid(), t.tid(), s.core().id());
        stops++;
        switch (s.kind()) {
            case START -> {
                long entry = t.process().mm().auxv(jmck.lwk.elf.InitialStack.AT_ENTRY);
                if (entry < 0 || entry == t.rip())
                    out.printf("stop %d %s program start at its entry point%n", stops, who);
                else // a dynamically linked program: its ELF interpreter runs first
                    out.printf("stop %d %s program start in its ELF interpreter at %#x%s, which maps the shared "
                            + "libraries and then jumps to the program's entry point %#x%s%n", stops, who, t.rip(),
                            inspect.symbolOf(mm(), t.rip()), entry, inspect.symbolOf(mm(), entry));
            }
            case BREAKPOINT -> out.printf("stop %d %s breakpoint at %#x%s%n", stops, who, t.rip(), inspect.symbolOf(mm(), t.rip()));
            case STEP -> {
                out.printf("stop %d %s stepped%n", stops, who);
                for (Debugger.FaultInfo f : s.faultsDuringStep())
                    out.printf("  the instruction faulted at %#x (%s): %s%n", f.address(), Inspector.errorCode(f.errorCode()),
                            f.outcome().decision().name().toLowerCase());
                for (Debugger.SyscallInfo c : s.syscallsDuringStep())
                    out.printf("  %s%n", syscallLine(t, c));
            }
            case SYSCALL -> out.printf("stop %d %s syscall returned: %s%n", stops, who, syscallLine(t, s.syscall()));
            case SIGNAL -> {
                var action = t.process().action(s.signo());
                out.printf("stop %d %s signal %s delivered: %s%n", stops, who, Signals.name(s.signo()),
                        action.isIgnore() || action.isDefault() ? "its default action or SIG_IGN applies"
                                : "the thread continues in its handler");
            }
            case FAULT -> reportFault(s.fault(), who);
        }
        if (t.alive())
            out.print(inspect.disassemble(mm(), t.rip(), 2, t.rip()));
        out.flush();
    }

    private void reportFault(Debugger.FaultInfo f, String who) {
        out.printf("stop %d %s page fault at address %#x: %s (error code %#x)%n", stops, who, f.address(),
                Inspector.errorCode(f.errorCode()), f.errorCode());
        out.printf("  faulting instruction:%n");
        out.print(indent(inspect.disassemble(mm(), f.rip(), 1, f.rip())));
        out.printf("  walk before the handler:%n%s", indent(f.before().describe()));
        var o = f.outcome();
        out.printf("  decision: %s%s%n", o.decision().name().toLowerCase(),
                o.frame() >= 0 ? String.format(", allocated frame %#x (%s)", o.frame(), o.pageSize()) : "");
        out.printf("  why: %s%n", Inspector.why(o));
        out.printf("  walk after the handler:%n%s", indent(f.after().describe()));
        out.printf("  next:%n");
    }

    private static String indent(String s) {
        return s.replaceAll("(?m)^", "  ");
    }

    private String syscallLine(Thread t, Debugger.SyscallInfo c) {
        String line = SyscallFormat.line(t, Syscall.of(c.nr()), c.nr(), c.args(), c.result(), c.delegated());
        return line + (c.delegated() ? " (delegated: the proxy ran it on the host)" : " (handled in the LWK)");
    }

    @Override
    public void exited(Process p) {
        int ws = p.waitStatus();
        if ((ws & 0x7f) == 0)
            out.printf("process %d exited with status %d%n", p.pid(), (ws >> 8) & 0xff);
        else
            out.printf("process %d killed by %s%n", p.pid(), Signals.name(ws & 0x7f));
        out.flush();
        if (recorder != null)
            recorder.exited(p);
    }

    // ---- commands ----

    private String readCommand() {
        if (endOfInput)
            return null;
        if (!echo) {
            out.print("(jmck) ");
            out.flush();
        }
        String line;
        try {
            line = in.readLine();
        } catch (IOException e) {
            line = null;
        }
        if (line == null) {
            endOfInput = true;
            return null;
        }
        int hash = line.indexOf('#');
        if (hash >= 0)
            line = line.substring(0, hash);
        if (echo) {
            if (line.isBlank())
                return "";
            out.println("(jmck) " + line.strip());
        }
        if (line.isBlank() && !echo)
            line = lastCommand; // enter repeats, as in gdb
        lastCommand = line;
        return line;
    }

    private void help() {
        for (Entry e : new java.util.LinkedHashSet<>(VERBS.values())) // each verb once, under its first name
            out.printf("  %-18s %s%n", e.usage(), e.help());
    }

    private AddressSpace mm() {
        return stop.thread().process().mm();
    }

    private long rip() {
        return stop.core().cpu().reg(X86Reg.RIP);
    }

    private long number(String s) {
        try {
            return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new BadCommand("bad number '" + s + "': give a decimal count or a 0x hex value");
        }
    }

    /** words[i] as an address: 0x hex, a symbol, symbol+offset, or a register ($rsp). */
    private long address(String[] words, int i) {
        return Addresses.parse(words.length <= i ? "" : words[i], inspect, mm(), stop.core().cpu());
    }

    private void dump(long va, int len) {
        byte[] b = inspect.read(mm(), va, len, false);
        for (int i = 0; i < b.length; i += 16) {
            StringBuilder hex = new StringBuilder(), text = new StringBuilder();
            for (int j = i; j < Math.min(b.length, i + 16); j++) {
                hex.append(String.format("%02x ", b[j] & 0xff));
                text.append(b[j] >= 32 && b[j] < 127 ? (char) b[j] : '.');
            }
            out.printf("%#014x:  %-48s %s%n", va + i, hex, text);
        }
        if (b.length < len)
            out.printf("%#014x:  (page not present: not read, so as not to fault it in)%n", va + b.length);
    }
}
