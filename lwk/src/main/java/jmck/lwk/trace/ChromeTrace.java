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
 * kernel spent on it, an instant (ph i) when a core switches threads and when a signal is delivered.
 * Timestamps are microseconds since the trace began. Events are kept in memory and written at the end.
 */
public final class ChromeTrace implements EventSink {
    /** The pid every event carries: the LWK instance. */
    public static final int INSTANCE_PID = 1;

    private final long t0 = System.nanoTime();
    private final int cores;
    private final List<String> events = new ArrayList<>();
    private final List<Integer> runningTid = new ArrayList<>();
    /** The core that ran last: a fault taken while the kernel copies user memory happens there. */
    private int lastCore;
    private long faults, syscalls;

    public ChromeTrace(int cores) {
        this.cores = cores;
    }

    /** Page-fault slices written so far (user faults and the kernel's copy faults). */
    public synchronized long faults() {
        return faults;
    }

    /** Syscall slices written so far. */
    public synchronized long syscalls() {
        return syscalls;
    }

    private String ts(long nanoTime) {
        return String.format("%.3f", Math.max(0, nanoTime - t0) / 1000.0);
    }

    private static String dur(long nanos) {
        return String.format("%.3f", nanos / 1000.0);
    }

    @Override
    public synchronized void fault(FaultEvent e) {
        FaultOutcome o = e.outcome();
        int core = e.core() >= 0 ? e.core() : lastCore;
        long end = System.nanoTime();
        faults++;
        events.add(String.format("{\"name\":\"page fault\",\"cat\":\"fault\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,\"pid\":%d,"
                + "\"tid\":%d,\"args\":{\"address\":\"%#x\",\"access\":\"%s\",\"decision\":\"%s\",\"frame\":\"%#x\","
                + "\"rip\":\"%#x\",\"thread\":%d,\"kernel_copy\":%b}}", ts(end - e.nanos()), dur(e.nanos()), INSTANCE_PID,
                core, o.address(), o.access().lower(), o.decision().name().toLowerCase(), o.frame(), e.rip(), e.tid(),
                e.kernel()));
    }

    @Override
    public synchronized void syscall(int core, int pid, int tid, long nr, long result, boolean delegated, long start,
            long nanos) {
        Syscall call = Syscall.of(nr);
        syscalls++;
        lastCore = core;
        events.add(String.format("{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,\"pid\":%d,\"tid\":%d,"
                + "\"args\":{\"nr\":%d,\"result\":%s,\"process\":%d,\"thread\":%d}}",
                call == null ? "syscall_" + nr : call.linuxName, delegated ? "syscall,delegated" : "syscall", ts(start),
                dur(nanos), INSTANCE_PID, core, nr, result == SyscallDispatcher.NO_RETURN ? "\"blocked\"" : Long.toString(result),
                pid, tid));
    }

    @Override
    public synchronized void schedule(int core, int pid, int tid, String what) {
        lastCore = core;
        while (runningTid.size() <= core)
            runningTid.add(-1);
        if (runningTid.get(core) == tid)
            return; // the same thread's next slice: no decision worth a mark
        runningTid.set(core, tid);
        events.add(String.format("{\"name\":\"%s tid %d\",\"cat\":\"schedule\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%s,\"pid\":%d,"
                + "\"tid\":%d,\"args\":{\"process\":%d,\"thread\":%d}}", what, tid, ts(System.nanoTime()), INSTANCE_PID,
                core, pid, tid));
    }

    @Override
    public synchronized void signal(int core, int pid, int tid, String what) {
        events.add(String.format("{\"name\":\"%s\",\"cat\":\"signal\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%s,\"pid\":%d,"
                + "\"tid\":%d,\"args\":{\"process\":%d,\"thread\":%d}}", what.replace("\"", "'"), ts(System.nanoTime()),
                INSTANCE_PID, core >= 0 ? core : lastCore, pid, tid));
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
            for (String e : events) {
                w.write(",\n");
                w.write(e);
            }
            w.write("\n]}\n");
        } catch (IOException e) {
            throw new JmckException("cannot write the trace to " + file + ": " + e.getMessage());
        }
    }
}
