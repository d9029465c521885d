package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Process;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.trace.ChromeTrace;
import jmck.proxy.LocalRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 7: --trace-out writes a Chrome trace that parses, has a track per core, and counts what the kernel did. */
class TraceExportTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs prog on a 2-core instance in this JVM with a ChromeTrace installed, counting faults and syscalls on the side. */
    @Test
    void traceEventsMatchTheRunsFaultAndSyscallCounters() throws IOException {
        String prog = Guests.guest("gcc", "touch_pages").toString();
        Path file = dir.resolve("trace.json");
        long faults, syscalls;
        long[] counted = {0};
        try (Machine machine = Machine.create(2, 256L << 20)) {
            OsInstance os = OsInstance.boot(machine, 2, List.of(machine.lwkMemory()), PageSize.SMALL);
            Kernel k = os.kernel();
            ChromeTrace trace = new ChromeTrace(2);
            k.setEventSink(trace);
            k.syscalls().setTracer(new SyscallDispatcher.Tracer() { // the dispatcher's own count, a separate path
                @Override
                public void syscall(jmck.lwk.proc.Thread t, Syscall call, long nr, long[] args, long result, boolean delegated) {
                    counted[0]++;
                }
            });
            Process p;
            try (LocalRun local = new LocalRun(k)) {
                p = local.start(ElfImage.open(Path.of(prog)), prog, List.of(prog, "7"), List.of());
                assertEquals(0, local.runToEnd(p));
            }
            faults = p.mm().faults(); // ru_minflt: every fault the address space handled
            syscalls = counted[0];
            os.shutdown();
            trace.writeTo(file);
        }
        JsonNode root = JSON.readTree(file.toFile());
        JsonNode events = root.get("traceEvents");
        assertTrue(events != null && events.isArray() && events.size() > 0, "no traceEvents array");
        Set<Integer> tracks = new HashSet<>();
        long faultSlices = 0, syscallSlices = 0, userFaultsInMapping = 0, counters = 0, delegated = 0, requests = 0,
                responses = 0, instance = 0;
        for (JsonNode e : events) {
            String ph = e.get("ph").asText();
            assertTrue(e.get("name").isTextual() && e.get("pid").isInt() && e.get("tid").isInt(), e.toString());
            if (ph.equals("M")) {
                if (e.get("name").asText().equals("thread_name"))
                    assertTrue(tracks.add(e.get("tid").asInt()) && e.get("args").get("name").asText().equals("core " + e.get("tid").asInt()), e.toString());
                continue;
            }
            assertTrue(e.get("ts").isNumber() && e.get("ts").asDouble() >= 0, e.toString());
            switch (ph) {
                case "X" -> {
                    assertTrue(e.get("dur").isNumber() && e.get("dur").asDouble() >= 0, e.toString());
                    String cat = e.get("cat").asText();
                    if (cat.equals("fault")) {
                        faultSlices++;
                        if (!e.get("args").get("kernel_copy").asBoolean() && e.get("args").get("address").asText().startsWith("0x7ffff7"))
                            userFaultsInMapping++;
                    } else if (cat.equals("instance")) {
                        instance++;
                    } else if (cat.startsWith("syscall")) {
                        syscallSlices++;
                        delegated += cat.equals("syscall,delegated") ? 1 : 0;
                    }
                }
                case "i" -> {
                    assertTrue(Set.of("schedule", "signal", "ikc").contains(e.get("cat").asText()), e.toString());
                    String name = e.get("name").asText();
                    requests += name.startsWith("ikc request: ") ? 1 : 0;
                    responses += name.startsWith("ikc response: ") ? 1 : 0;
                }
                case "C" -> {
                    assertTrue(e.get("args").get("frames").asLong() >= 0, e.toString()); // 0 after the shutdown freed all
                    counters++;
                }
                default -> throw new AssertionError("unexpected phase " + ph + ": " + e);
            }
        }
        assertEquals(Set.of(0, 1), tracks, "one track per emulated core");
        for (JsonNode e : events)
            assertTrue(tracks.contains(e.get("tid").asInt()) || e.get("ph").asText().equals("M"), e.toString());
        assertEquals(faults, faultSlices, "fault slices vs the address space's fault counter");
        assertTrue(counters >= faults / 2, "a frames-in-use sample at every allocation and free: " + counters);
        assertEquals(0, instance, "no boot or shutdown slice: the trace began after the boot");
        assertTrue(delegated > 0 && requests >= delegated, "an IKC request for each delegated syscall: " + requests);
        assertEquals(requests, responses, "every IKC request was answered");
        assertEquals(syscalls, syscallSlices, "syscall slices vs the dispatcher's count");
        assertTrue(userFaultsInMapping >= 7, "the 7 touched pages fault in 4 KiB mode: " + userFaultsInMapping);
    }

    @Test
    void runWritesTheTraceFileAndABadPathIsOneLine() throws IOException {
        Path file = dir.resolve("hello.json");
        Guests.Result r = Guests.jmck("run", "--trace-out", file.toString(), Guests.guest("gcc", "hello").toString());
        assertEquals(0, r.status(), r.stderr());
        assertEquals("hello\n", r.stdout());
        JsonNode events = JSON.readTree(file.toFile()).get("traceEvents");
        assertTrue(events.size() > 3);
        boolean write = false;
        java.util.Set<String> instance = new java.util.HashSet<>();
        for (JsonNode e : events) {
            write |= e.get("name").asText().equals("write") && e.get("cat").asText().equals("syscall,delegated");
            if (e.has("cat") && e.get("cat").asText().equals("instance"))
                instance.add(e.get("name").asText());
        }
        assertTrue(write, "the delegated write is a slice");
        assertEquals(java.util.Set.of("boot: 1 cores, 2048 MiB", "shutdown"), instance, "the instance's boot and shutdown");

        Guests.Result bad = Guests.jmck("run", "--trace-out", "/nonexistent/dir/t.json", Guests.guest("gcc", "hello").toString());
        assertEquals(1, bad.status());
        assertEquals("", bad.stdout(), "refused before the program ran");
        assertTrue(bad.stderr().startsWith("jmck: cannot write the trace to /nonexistent/dir/t.json: ")
                && bad.stderr().lines().count() == 1, bad.stderr());
    }
}
