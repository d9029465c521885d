package jmck.debug.web;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.emulator.capstone.Disassembler;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Vma;
import jmck.lwk.mm.Walk;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.trace.SyscallFormat;
import jmck.debug.Debugger;
import jmck.debug.Inspector;

/**
 * What the web view shows at each stop, as JSON: the stop itself (with the fault's walks and decision),
 * the code around rip, the registers (those changed since the thread's last stop marked), the physical
 * memory map (frames allocated since the last stop marked), the VMAs, the cores and their run queues, the
 * IKC requests in flight and the events since the last stop. Built on the scheduler's thread while the
 * machine is stopped; one instance follows one session, since each view is relative to the one before.
 */
final class StopViews {
    private static final X86Reg[] REGS = {X86Reg.RAX, X86Reg.RBX, X86Reg.RCX, X86Reg.RDX, X86Reg.RSI, X86Reg.RDI,
        X86Reg.RBP, X86Reg.RSP, X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12, X86Reg.R13, X86Reg.R14,
        X86Reg.R15, X86Reg.RIP, X86Reg.RFLAGS, X86Reg.FS_BASE};

    private final Kernel kernel;
    private final Inspector inspect;
    private final EventLog events = new EventLog();
    private FrameMap lastMap;
    private final Map<Integer, long[]> lastRegisters = new HashMap<>();
    private int stops;
    /** How long the last memory map took to work out and write, in milliseconds. */
    private double lastMapMillis;

    StopViews(Kernel kernel, Inspector inspect) {
        this.kernel = kernel;
        this.inspect = inspect;
        kernel.setEventSink(jmck.lwk.trace.EventSink.tee(kernel.eventSink(), events));
    }

    int stops() {
        return stops;
    }

    /** The view of a stop; note is a line to show with it (the output of the commands run there), or null. */
    String stop(Debugger.Stop s, Debugger.FaultInfo lastFault, String note) {
        stops++;
        Thread t = s.thread();
        Cpu cpu = s.core().cpu();
        AddressSpace mm = t.process().mm();
        Json j = new Json().obj();
        j.field("kind", "stop").field("n", stops).field("stopKind", s.kind().name().toLowerCase());
        j.field("pid", t.process().pid()).field("tid", t.tid()).field("core", s.core().id()).field("comm", t.process().comm());
        j.field("title", title(s));
        if (note != null)
            j.field("note", note);
        if (s.fault() != null)
            fault(j.key("fault"), s.fault(), mm);
        if (t.alive()) {
            code(j.key("code"), mm, cpu.reg(X86Reg.RIP));
            registers(j.key("registers"), t, cpu);
        }
        if (lastFault != null)
            j.field("lastDecision", Inspector.why(lastFault.outcome()));
        machine(j);
        vmas(j.key("vmas"), mm, t);
        return j.end().toString();
    }

    /** The view after the last process ended (the session is over). */
    String exited(Process p) {
        stops++;
        int ws = p.waitStatus();
        String how = (ws & 0x7f) == 0 ? String.format("process %d exited with status %d", p.pid(), (ws >> 8) & 0xff)
                : String.format("process %d killed by %s", p.pid(), Signals.name(ws & 0x7f));
        Json j = new Json().obj().field("kind", "exit").field("n", stops).field("pid", p.pid()).field("title", how);
        machine(j);
        return j.end().toString();
    }

    /** The walk of va in the stopped thread's address space, as the walk panel shows it. */
    String walk(AddressSpace mm, long va) {
        Json j = new Json();
        walk(j, mm.pageTable().walk(va), mm);
        return j.toString();
    }

    double lastMapMillis() {
        return lastMapMillis;
    }

    private String title(Debugger.Stop s) {
        Thread t = s.thread();
        return switch (s.kind()) {
            case START -> "program start at its entry point";
            case BREAKPOINT -> String.format("breakpoint at %#x%s", t.rip(), inspect.symbolOf(t.process().mm(), t.rip()));
            case STEP -> "stepped" + (s.faultsDuringStep().isEmpty() ? "" : " (the instruction faulted and ran again)");
            case SYSCALL -> "syscall returned: " + syscallLine(t, s.syscall());
            case SIGNAL -> "signal " + Signals.name(s.signo()) + " delivered";
            case INTERRUPT -> "interrupted";
            case FAULT -> String.format("page fault at address %#x: %s", s.fault().address(),
                    Inspector.errorCode(s.fault().errorCode()));
        };
    }

    static String syscallLine(Thread t, Debugger.SyscallInfo c) {
        String line = SyscallFormat.line(t, Syscall.of(c.nr()), c.nr(), c.args(), c.result(), c.delegated());
        return line + (c.delegated() ? " (delegated: the proxy ran it on the host)" : " (handled in the LWK)");
    }

    private void fault(Json j, Debugger.FaultInfo f, AddressSpace mm) {
        var o = f.outcome();
        j.obj().hexField("address", f.address()).field("errorCode", f.errorCode())
                .field("error", Inspector.errorCode(f.errorCode())).hexField("rip", f.rip())
                .field("insn", inspect.disassemble(mm, f.rip(), 1, f.rip()).strip())
                .field("decision", o.decision().name().toLowerCase()).field("why", Inspector.why(o))
                .hexField("frame", o.frame()).field("pageSize", o.pageSize() == null ? "" : o.pageSize().toString());
        walk(j.key("before"), f.before(), mm);
        walk(j.key("after"), f.after(), mm);
        j.end();
    }

    private static void walk(Json j, Walk w, AddressSpace mm) {
        j.obj().hexField("va", w.va()).hexField("cr3", mm.root()).field("mapped", w.mapped());
        if (w.mapped())
            j.hexField("physical", w.physical()).field("pageSize", w.pageSize().toString());
        j.key("levels").arr();
        for (int i = 0; i < w.depth(); i++) {
            long e = w.entries()[i];
            j.obj().field("name", Walk.LEVEL_NAMES[Walk.level(i)]).field("level", Walk.level(i)).field("index", w.indices()[i])
                    .hexField("table", w.tables()[i]).hexField("slot", w.tables()[i] + 8L * w.indices()[i]).hexField("entry", e)
                    .field("present", Pte.present(e)).field("flags", Pte.describe(e)).end();
        }
        j.end().end();
    }

    /** The instructions around rip: from the start of its function if that is near, else from rip. */
    private void code(Json j, AddressSpace mm, long rip) {
        long offset = Math.max(0, inspect.offsetInSymbol(mm, rip));
        long start = offset <= 4096 ? rip - offset : rip;
        List<Disassembler.Insn> insns = inspect.decode(mm, start, (int) Math.min(1100, offset + 12));
        int at = 0;
        for (int i = 0; i < insns.size(); i++)
            if (insns.get(i).address() == rip)
                at = i;
        if (insns.isEmpty() || insns.get(at).address() != rip) { // rip is not on a boundary from there
            insns = inspect.decode(mm, rip, 12);
            at = 0;
        }
        j.arr();
        for (int i = Math.max(0, at - 5); i < Math.min(insns.size(), at + 10); i++) {
            Disassembler.Insn n = insns.get(i);
            j.obj().hexField("address", n.address()).field("symbol", inspect.describe(mm, n.address()))
                    .field("bytes", n.hex()).field("text", n.text()).field("current", n.address() == rip).end();
        }
        j.end();
    }

    private void registers(Json j, Thread t, Cpu cpu) {
        long[] now = new long[REGS.length];
        for (int i = 0; i < REGS.length; i++)
            now[i] = cpu.reg(REGS[i]);
        long[] before = lastRegisters.put(t.tid(), now);
        j.arr();
        for (int i = 0; i < REGS.length; i++) {
            j.obj().field("name", REGS[i].name().toLowerCase()).hexField("value", now[i])
                    .field("changed", before != null && before[i] != now[i]);
            if (REGS[i] == X86Reg.RIP)
                j.field("symbol", inspect.describe(t.process().mm(), now[i]));
            j.end();
        }
        j.end();
    }

    private void vmas(Json j, AddressSpace mm, Thread t) {
        j.arr();
        for (Vma v : mm.vmas()) {
            String label = mm.label(v);
            long[] resident = {lastMap == null ? -1 : lastMap.resident(v)};
            if (resident[0] < 0) { // not counted while making the map (a process that has just ended)
                resident[0] = 0;
                mm.pageTable().forEachLeaf(v.start(), v.end(), (slot, e, page, size) -> resident[0] += size.bytes >>> 12);
            }
            j.obj().hexField("start", v.start()).hexField("end", v.end()).field("perms", v.permissions())
                    .field("label", label != null ? label : v.backing().path() != null ? v.backing().path() : "anon")
                    .field("kind", "[heap]".equals(label) ? "heap" : "[stack]".equals(label) ? "stack"
                            : v.backing().anonymous() ? "anon" : "file")
                    .field("resident", resident[0]).end();
        }
        j.end();
    }

    /** What every stop and the end show alike: memory, cores, processes, IKC, events. */
    private void machine(Json j) {
        // Wall time, and this thread's CPU time: on a shared host the first also counts time spent waiting for a CPU.
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime(), c0 = cpu.getCurrentThreadCpuTime();
        FrameMap map = FrameMap.of(kernel);
        j.key("memory");
        map.write(j, lastMap);
        lastMap = map;
        lastMapMillis = (System.nanoTime() - t0) / 1e6;
        j.key("mapMillis").value(lastMapMillis);
        j.key("mapCpuMillis").value((cpu.getCurrentThreadCpuTime() - c0) / 1e6);
        j.key("cores").arr();
        for (Core c : kernel.cores()) {
            Thread cur = c.current();
            j.obj().field("id", c.id()).field("current", cur == null || !cur.alive() ? "idle" : thread(cur));
            j.key("queue").arr();
            for (Thread q : c.runQueue())
                j.value(thread(q));
            j.end().end();
        }
        j.end();
        j.key("processes").arr();
        for (Process p : kernel.processes().live()) {
            j.obj().field("pid", p.pid()).field("ppid", p.ppid()).field("comm", p.comm());
            j.key("threads").arr();
            for (Thread t : p.threads())
                if (t.alive())
                    j.obj().field("tid", t.tid()).field("state", t.state().name().toLowerCase())
                            .field("core", t.core()).field("waiting", t.waitReason() == null ? "" : t.waitReason()).end();
            j.end().end();
        }
        j.end();
        j.key("ikc").arr();
        for (String r : kernel.syscalls().forwarder().requestsInFlight())
            j.value(r);
        j.end();
        EventLog.Drained d = events.drain();
        j.field("eventsDropped", d.dropped()).key("events").arr();
        for (EventLog.Event e : d.events())
            j.arr().value(e.kind()).value(e.text()).end();
        j.end();
    }

    private static String thread(Thread t) {
        return String.format("pid %d tid %d (%s)", t.process().pid(), t.tid(), t.process().comm());
    }
}
