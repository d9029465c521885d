package jmck.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jmck.emulator.X86Reg;
import org.junit.jupiter.api.Test;

/**
 * A core's native hooks and their upcalls into Java (NativeCore over jmck_uc.c and jmck_uc_jni.c), on the
 * real libunicorn, flat memory at CPL 0: what a syscall hands the kernel and takes back, an exception on
 * the way, and that none of it needs JNA (whose start-up jmck run's boot once waited for).
 */
class NativeCoreTest {
    // mov eax, 39 ; mov edi, 7 ; mov rsi, -2 ; syscall ; int3
    private static final byte[] CODE = {(byte) 0xb8, 39, 0, 0, 0, (byte) 0xbf, 7, 0, 0, 0, 0x48, (byte) 0xc7, (byte) 0xc6,
            (byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x05, (byte) 0xcc};
    private static final long BASE = 0x1000;

    @Test
    void aSyscallReachesTheHandlerAndItsResultTheGuest() {
        List<String> seen = new ArrayList<>();
        try (Unicorn uc = engineWithCode(); NativeCore core = new NativeCore(uc, new NativeCore.Handler() {
            @Override
            public int onSyscall(NativeCore c) {
                seen.add("syscall " + c.syscallNumber() + " " + c.syscallArg(0) + " " + c.syscallArg(1) + " at "
                        + Long.toHexString(c.syscallRip()));
                c.setSyscallResult(1234);
                return NativeCore.CONTINUE;
            }

            @Override
            public int onInterrupt(NativeCore c) {
                seen.add("interrupt " + c.trapVector());
                return NativeCore.STOP;
            }
        })) {
            assertEquals(UnicornException.UC_ERR_OK, core.run(BASE));
            assertEquals(List.of("syscall 39 7 -2 at 1011", "interrupt 3"), seen);
            assertEquals(1234, uc.reg(X86Reg.RAX));
        }
    }

    @Test
    void anExceptionInTheHandlerComesOutOfRun() {
        try (Unicorn uc = engineWithCode(); NativeCore core = new NativeCore(uc, new NativeCore.Handler() {
            @Override
            public int onSyscall(NativeCore c) {
                throw new IllegalStateException("from the handler");
            }

            @Override
            public int onInterrupt(NativeCore c) {
                throw new AssertionError("the run should have stopped at the syscall");
            }
        })) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> core.run(BASE));
            assertEquals("from the handler", e.getMessage());
            assertEquals(39, uc.reg(X86Reg.RAX), "a handler that threw leaves rax alone");
        }
    }

    /**
     * A slice's budget stops the core before the block that spends it, so restarting there runs every
     * instruction once, also when the engine leaves translated code only between blocks (exact mode's
     * setting, which drops Unicorn's exit test after each load and store). The loop's one block
     * increments a counter in memory: N blocks of budget leave it at N - 1, rip at the loop.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "between blocks only: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aBudgetStopsBeforeTheBlockThatSpendsIt(boolean betweenBlocksOnly) {
        // loop: inc qword [0x3000] ; jmp loop
        byte[] loop = {0x48, (byte) 0xff, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00, (byte) 0xeb, (byte) 0xf6};
        try (Unicorn uc = Unicorn.openX86_64(); NativeCore core = new NativeCore(uc, new NativeCore.Handler() {
            @Override
            public int onSyscall(NativeCore c) {
                return NativeCore.STOP;
            }

            @Override
            public int onInterrupt(NativeCore c) {
                return NativeCore.STOP;
            }
        })) {
            uc.memMap(BASE, 0x3000, Unicorn.PROT_ALL);
            uc.memWrite(BASE, loop);
            boolean taken = core.stopBetweenBlocks(betweenBlocksOnly);
            assertEquals(NativeCore.parallelBuild(), taken, "jmck's engine takes the setting, Debian's cannot");
            long total = 0;
            for (int slice : new int[] {1000, 1, 2, 777}) {
                core.setBudget(slice);
                assertEquals(UnicornException.UC_ERR_OK, core.run(BASE));
                total += slice - 1;
                byte[] counter = uc.memRead(0x3000, 8);
                assertEquals(total, java.nio.ByteBuffer.wrap(counter).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
                assertEquals(BASE, uc.reg(X86Reg.RIP));
            }
        }
    }

    /**
     * Opening an engine, attaching a core and running it to a syscall, in a JVM of its own: JNA's classes
     * must not even be loaded (it used to bind libunicorn, and jmck run's boot waited for its start-up).
     */
    @Test
    void anEngineAndACoreNeedNoJna() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xlog:class+load=info:stdout:tags",
                "-Djmck.root=" + System.getProperty("jmck.root"), "-cp", System.getProperty("java.class.path"),
                Child.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("child: syscall 39, rax 1234"), out);
        assertFalse(out.contains("com.sun.jna.Native "), "JNA's Native was loaded:\n" + grep(out, "com.sun.jna"));
        assertFalse(out.contains("com.sun.jna.Memory "), "JNA's Memory was loaded:\n" + grep(out, "com.sun.jna"));
    }

    private static String grep(String text, String what) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n"))
            if (line.contains(what))
                b.append(line).append('\n');
        return b.toString();
    }

    /** The child JVM of {@link #anEngineAndACoreNeedNoJna}: what jmck run's boot does with an engine. */
    static final class Child {
        public static void main(String[] args) {
            long[] nr = new long[1];
            try (Unicorn uc = engineWithCode(); NativeCore core = new NativeCore(uc, new NativeCore.Handler() {
                @Override
                public int onSyscall(NativeCore c) {
                    nr[0] = c.syscallNumber();
                    c.setSyscallResult(1234);
                    return NativeCore.STOP;
                }

                @Override
                public int onInterrupt(NativeCore c) {
                    return NativeCore.STOP;
                }
            })) {
                core.run(BASE);
                System.out.println("child: syscall " + nr[0] + ", rax " + uc.reg(X86Reg.RAX));
            }
        }
    }

    static Unicorn engineWithCode() {
        Unicorn uc = Unicorn.openX86_64();
        uc.memMap(BASE, 0x1000, Unicorn.PROT_ALL);
        uc.memWrite(BASE, CODE);
        return uc;
    }
}
