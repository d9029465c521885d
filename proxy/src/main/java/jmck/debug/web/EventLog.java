package jmck.debug.web;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;

/**
 * The web view's event log: what the kernel did between two stops (faults with the handler's decision,
 * syscalls native or delegated, scheduling, signals, IKC messages), kept as one line each. Only the last
 * {@link #KEEP} events of a stretch are kept; the others are counted. Events come on the scheduler's thread.
 */
final class EventLog implements EventSink {
    static final int KEEP = 300;

    /** One event: its kind (fault, syscall, sched, signal, ikc) and its line. */
    record Event(String kind, String text) {}

    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private long dropped;

    private synchronized void add(String kind, String text) {
        if (events.size() == KEEP) {
            events.removeFirst();
            dropped++;
        }
        events.addLast(new Event(kind, text));
    }

    /** The events since the last call, and how many earlier ones of the stretch were dropped. */
    synchronized Drained drain() {
        Drained d = new Drained(new ArrayList<>(events), dropped);
        events.clear();
        dropped = 0;
        return d;
    }

    record Drained(List<Event> events, long dropped) {}

    private static String who(int core, int pid, int tid) {
        return String.format("[core %d pid %d tid %d]", core, pid, tid);
    }

    @Override
    public void fault(FaultEvent e) {
        var o = e.outcome();
        add("fault", String.format("%s page fault at %#x (%s, %s)%s: %s%s", who(e.core(), e.pid(), e.tid()), o.address(),
                o.access().lower(), o.present() ? "protection" : "not present", e.kernel() ? " in a kernel copy" : "",
                o.decision().name().toLowerCase(), o.frame() >= 0 ? String.format(", %s frame %#x", o.pageSize(), o.frame()) : ""));
    }

    @Override
    public void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start, long nanos) {
        Syscall s = Syscall.of(nr);
        String name = s == null ? "syscall " + nr : s.linuxName;
        String r = result == jmck.lwk.syscall.SyscallDispatcher.NO_RETURN ? "blocked or did not return" : "= " + result;
        add("syscall", String.format("%s %s %s (%s)", who(core, pid, tid), name, r,
                delegated ? "delegated to the proxy" : "handled in the LWK"));
    }

    @Override
    public void schedule(int core, int pid, int tid, String what) {
        add("sched", who(core, pid, tid) + " " + what);
    }

    @Override
    public void signal(int core, int pid, int tid, String what) {
        add("signal", who(core, pid, tid) + " " + what);
    }

    @Override
    public void ikc(int core, int pid, int tid, String what) {
        add("ikc", who(core, pid, tid) + " " + what);
    }
}
