package jmck.lwk.trace;

import jmck.lwk.mm.FaultOutcome;

/**
 * One page fault as the LWK saw it: where (core, pid, tid, rip), what (address, access, present bit),
 * and what the fault handler decided (VMA, decision, frame, page size), with the time it took.
 * kernel is true for faults taken while the kernel copied to or from user memory.
 */
public record FaultEvent(int core, int pid, int tid, long rip, FaultOutcome outcome, boolean kernel, long nanos) {
    /** One line, as `jmck run --trace faults` prints it. */
    public String format() {
        FaultOutcome o = outcome;
        StringBuilder b = new StringBuilder();
        b.append(String.format("fault core=%d pid=%d tid=%d rip=%#x addr=%#x %s %s", core, pid, tid, rip, o.address(),
                o.access().lower(), o.present() ? "protection" : "not-present"));
        if (kernel)
            b.append(" (kernel copy)");
        b.append(" vma=").append(o.vma() == null ? "none" : o.vma().describe());
        b.append(" -> ").append(o.decision().name().toLowerCase());
        if (o.frame() >= 0)
            b.append(String.format(" %s frame=%#x", o.pageSize(), o.frame()));
        b.append(String.format(" %.1fus", nanos / 1000.0));
        return b.toString();
    }
}
