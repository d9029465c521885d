package jmck.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jmck.ihk.Machine;
import jmck.ihk.OsInstance;
import jmck.lwk.Kernel;
import jmck.lwk.mm.PageSize;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallArg;
import org.junit.jupiter.api.Test;

/**
 * The syscall table is the one place that says where each call runs: checked against what actually
 * handles them (a LOCAL call without a handler, or a DELEGATED one the proxy cannot pass, returned ENOSYS
 * without the one-line log) and against Linux's own numbering.
 */
class SyscallTableTest {
    /** Runs check on the kernel of a booted one-core LWK, then shuts it down. */
    private static void withKernel(java.util.function.Consumer<Kernel> check) {
        try (Machine machine = Machine.create(1, 32L << 20)) {
            OsInstance os = OsInstance.boot(machine, 1, List.of(machine.lwkMemory()), PageSize.LARGE);
            try {
                check.accept(os.kernel());
            } finally {
                os.shutdown();
            }
        }
    }

    /** Every LOCAL call has a handler in a booted LWK. */
    @Test
    void everyLocalCallHasAHandler() {
        List<String> missing = new ArrayList<>();
        withKernel(k -> {
            for (Syscall s : Syscall.values())
                if (s.where == Syscall.Where.LOCAL && !k.syscalls().hasHandler(s))
                    missing.add(s.linuxName);
        });
        assertEquals(List.of(), missing, "LOCAL calls without a handler");
    }

    /**
     * Every LOCAL call reaches a case of the switch in the subsystem that registered it: called with no
     * thread, a case fails on the thread or answers, where a call registered without a case would reach
     * the switch's default, which throws IllegalArgumentException ("... is not one of X's calls").
     */
    @Test
    void everyRegisteredCallHasACase() {
        List<String> without = new ArrayList<>();
        withKernel(k -> {
            for (Syscall s : Syscall.values()) {
                if (s.where != Syscall.Where.LOCAL)
                    continue;
                try {
                    k.syscalls().dispatch(null, s.nr, new long[6]);
                } catch (IllegalArgumentException e) {
                    if (String.valueOf(e.getMessage()).contains("is not one of"))
                        without.add(s.linuxName + ": " + e.getMessage());
                } catch (RuntimeException e) {
                    // a case that needs the thread: it was reached
                }
            }
        });
        assertEquals(List.of(), without, "LOCAL calls registered without a case");
    }

    /** Every DELEGATED call has a rule in the proxy, or arguments the table describes fully. */
    @Test
    void everyDelegatedCallHasAProxyRule() {
        List<String> missing = new ArrayList<>();
        for (Syscall s : Syscall.values())
            if (s.where == Syscall.Where.DELEGATED && !HostCalls.canRun(s))
                missing.add(s.linuxName);
        assertEquals(List.of(), missing, "DELEGATED calls the proxy cannot run");
    }

    /**
     * Numbers and names are Linux's: those of this machine's kernel headers (asm/unistd_64.h, from
     * linux-libc-dev, which the C toolchain needs), and every call those headers list is in the table.
     */
    @Test
    void numbersAreLinuxs() throws IOException {
        Path header = Paths.get("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        assertTrue(Files.exists(header), header + " is missing (linux-libc-dev)");
        Map<String, Integer> linux = new HashMap<>();
        Matcher m = Pattern.compile("#define __NR_(\\w+) (\\d+)").matcher(Files.readString(header));
        while (m.find())
            linux.put(m.group(1), Integer.parseInt(m.group(2)));
        List<String> wrong = new ArrayList<>();
        for (Syscall s : Syscall.values()) {
            Integer nr = linux.get(s.linuxName);
            if (nr != null && nr != s.nr)
                wrong.add(s.linuxName + " is " + nr + " on Linux, " + s.nr + " in the table");
            if (!s.name().equalsIgnoreCase(s.linuxName))
                wrong.add(s + " is named " + s.linuxName);
            if (Syscall.of(s.nr) != s)
                wrong.add(s + "'s number " + s.nr + " is taken twice");
        }
        linux.forEach((name, nr) -> {
            if (Syscall.of(nr) == null || !Syscall.of(nr).linuxName.equals(name))
                wrong.add(name + " (" + nr + ") is not in the table");
        });
        assertEquals(List.of(), wrong);
    }

    /**
     * The table's derived facts hold together: a call that returns a new fd and has close-on-exec flags
     * says which argument, a buffer's length argument is a number, a SIGPIPE call writes.
     */
    @Test
    void argumentsAreConsistent() {
        List<String> wrong = new ArrayList<>();
        for (Syscall s : Syscall.values()) {
            List<SyscallArg> args = s.args();
            for (SyscallArg a : args)
                if (a.sizeArg() >= 0 && (a.sizeArg() >= args.size() || args.get(a.sizeArg()).kind() != SyscallArg.Kind.DEC))
                    wrong.add(s.linuxName + ": a buffer's length is not a number argument");
            if (s.cloexecArg() >= 0 && args.stream().filter(a -> a.cloexecBit() != 0).count() > 1)
                wrong.add(s.linuxName + ": two close-on-exec arguments");
            if (s.has(Syscall.Flag.SIGPIPE) && args.stream().noneMatch(a -> a.kind() == SyscallArg.Kind.FD))
                wrong.add(s.linuxName + ": SIGPIPE without an fd");
        }
        assertEquals(List.of(), wrong);
    }
}
