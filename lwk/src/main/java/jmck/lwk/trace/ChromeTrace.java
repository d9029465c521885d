package jmck.lwk.trace;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.JmckException;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallDispatcher;

/**
 * The kernel's events as a Chrome trace (the JSON "traceEvents" format that Perfetto UI and chrome://tracing
 * open): one track (tid) per emulated core, a slice (ph X) for each syscall and page fault with the time the
 * kernel spent on it, an instant (ph i) when a core switches threads, when a signal is delivered and for
 * each IKC message to and from the proxy, a counter (ph C) of the frames in use at every allocation and free,
 * and slices for the instance's boot and shutdown on core 0's track.
 * Timestamps are microseconds since the trace began. Events are kept in memory and written at the end.
 */
public final class ChromeTrace implements EventSink {
    /** The pid every event carries: the LWK instance. */
    public static final int INSTANCE_PID = 1;

    private final long t0 = System.nanoTime();
    private final int cores;
    /** Events as they came, kept raw: formatting them as JSON waits for the end (String.format per event
     * cost ~10 us, ten times a syscall). */
    private final List<Object> events = new ArrayList<>();
    private final List<Integer> runningTid = new ArrayList<>();
    /** The core that ran last: a fault taken while the kernel copies user memory happens there. */
    private int lastCore;
    private long faults, syscalls;

    private record Fault(FaultEvent e, int core, long end) {}

    /** The frames in use at a time (a counter track). */
    private record Frames(long at, long used) {}

    /** A boot or a shutdown of the instance. */
    private record Whole(String what, long start, long nanos) {}

    private record Call(int core, int pid, int tid, long nr, long result, boolean delegated, long start, long nanos) {}

    /** A thread switch, a signal delivery or an IKC message (cat). */
    private record Instant(int core, int pid, int tid, long at, String what, String cat) {}

    public ChromeTrace(int cores) {
        this.cores = cores;
    }

    /** Page-fault slices so far (user faults and the kernel's copy faults). */
    public synchronized long faults() {
        return faults;
    }

    /** Syscall slices so far. */
    public synchronized long syscalls() {
        return syscalls;
    }

    @Override
    public synchronized void fault(FaultEvent e) {
        faults++;
        events.add(new Fault(e, e.core() >= 0 ? e.core() : lastCore, System.nanoTime()));
    }

    @Override
    public synchronized void frames(long used) {
        events.add(new Frames(System.nanoTime(), used));
    }

    @Override
    public synchronized void instance(String what, long start, long nanos) {
        events.add(new Whole(what, start, nanos));
    }

    @Override
    public synchronized void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start,
            long nanos) {
        syscalls++;
        lastCore = core;
        events.add(new Call(core, pid, tid, nr, result, delegated, start, nanos));
    }

    @Override
    public synchronized void schedule(int core, int pid, int tid, String what) {
        lastCore = core;
        while (runningTid.size() <= core)
            runningTid.add(-1);
        if (runningTid.get(core) == tid)
            return; // the same thread's next slice: no decision worth a mark
        runningTid.set(core, tid);
        events.add(new Instant(core, pid, tid, System.nanoTime(), what + " tid " + tid, "schedule"));
    }

    @Override
    public synchronized void signal(int core, int pid, int tid, String what) {
        events.add(new Instant(core >= 0 ? core : lastCore, pid, tid, System.nanoTime(), what.replace("\"", "'"), "signal"));
    }

    @Override
    public synchronized void ikc(int core, int pid, int tid, String what) {
        events.add(new Instant(core >= 0 ? core : lastCore, pid, tid, System.nanoTime(), what.replace("\"", "'"), "ikc"));
    }

    /** Microseconds since the trace began, as Chrome traces count. */
    private void micros(StringBuilder b, long nanos) {
        b.append(nanos / 1000).append('.');
        String frac = Long.toString(1000 + nanos % 1000);
        b.append(frac, 1, 4);
    }

    private void json(StringBuilder b, Object o) {
        if (o instanceof Fault f) {
            FaultOutcome out = f.e().outcome();
            b.append("{\"name\":\"page fault\",\"cat\":\"fault\",\"ph\":\"X\",\"ts\":");
            micros(b, Math.max(0, f.end() - f.e().nanos() - t0));
            b.append(",\"dur\":");
            micros(b, f.e().nanos());
            b.append(",\"pid\":").append(INSTANCE_PID).append(",\"tid\":").append(f.core())
                    .append(",\"args\":{\"address\":\"0x").append(Long.toHexString(out.address()))
                    .append("\",\"access\":\"").append(out.access().lower())
                    .append("\",\"decision\":\"").append(out.decision().name().toLowerCase())
                    .append("\",\"frame\":\"").append(out.frame() < 0 ? "none" : "0x" + Long.toHexString(out.frame()))
                    .append("\",\"rip\":\"0x").append(Long.toHexString(f.e().rip()))
                    .append("\",\"thread\":").append(f.e().tid()).append(",\"kernel_copy\":").append(f.e().kernel()).append("}}");
        } else if (o instanceof Frames f) {
            b.append("{\"name\":\"frames in use\",\"ph\":\"C\",\"ts\":");
            micros(b, Math.max(0, f.at() - t0));
            b.append(",\"pid\":").append(INSTANCE_PID).append(",\"tid\":0,\"args\":{\"frames\":").append(f.used()).append("}}");
        } else if (o instanceof Whole w) {
            b.append("{\"name\":\"").append(w.what()).append("\",\"cat\":\"instance\",\"ph\":\"X\",\"ts\":");
            micros(b, Math.max(0, w.start() - t0));
            b.append(",\"dur\":");
            micros(b, w.nanos());
            b.append(",\"pid\":").append(INSTANCE_PID).append(",\"tid\":0,\"args\":{}}");
        } else if (o instanceof Call c) {
            Syscall call = Syscall.of(c.nr());
            b.append("{\"name\":\"").append(call == null ? "syscall_" + c.nr() : call.linuxName)
                    .append("\",\"cat\":\"").append(c.delegated() ? "syscall,delegated" : "syscall").append("\",\"ph\":\"X\",\"ts\":");
            micros(b, Math.max(0, c.start() - t0));
            b.append(",\"dur\":");
            micros(b, c.nanos());
            b.append(",\"pid\":").append(INSTANCE_PID).append(",\"tid\":").append(c.core()).append(",\"args\":{\"nr\":")
                    .append(c.nr()).append(",\"result\":")
                    .append(c.result() == SyscallDispatcher.NO_RETURN ? "\"blocked\"" : Long.toString(c.result()))
                    .append(",\"process\":").append(c.pid()).append(",\"thread\":").append(c.tid()).append("}}");
        } else if (o instanceof Instant i) {
            b.append("{\"name\":\"").append(i.what()).append("\",\"cat\":\"").append(i.cat())
                    .append("\",\"ph\":\"i\",\"s\":\"t\",\"ts\":");
            micros(b, Math.max(0, i.at() - t0));
            b.append(",\"pid\":").append(INSTANCE_PID).append(",\"tid\":").append(i.core()).append(",\"args\":{\"process\":")
                    .append(i.pid()).append(",\"thread\":").append(i.tid()).append("}}");
        }
    }

    /** Writes the trace: metadata naming the instance and each core's track, then the events. */
    public synchronized void writeTo(Path file) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
            w.write(String.format("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":\"jmck LWK\"}}",
                    INSTANCE_PID));
            for (int c = 0; c < cores; c++)
                w.write(String.format(",%n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"core %d\"}}",
                        INSTANCE_PID, c, c));
            StringBuilder b = new StringBuilder();
            for (Object e : events) {
                b.setLength(0);
                b.append(",\n");
                json(b, e);
                w.append(b);
            }
            w.write("\n]}\n");
        } catch (IOException e) {
            throw new JmckException("cannot write the trace to " + file + ": " + e.getMessage());
        }
    }
}
