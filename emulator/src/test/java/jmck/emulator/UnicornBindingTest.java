package jmck.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.unicorn.MemRegion;
import jmck.emulator.unicorn.Unicorn;
import jmck.emulator.unicorn.UnicornException;
import org.junit.jupiter.api.Test;

/** The typed binding against the real libunicorn 2.1.1, without paging: flat memory at CPL 0. */
class UnicornBindingTest {
    // mov rax, 0x1122334455667788 ; add rax, rbx ; syscall ; inc rcx ; nop
    private static final byte[] CODE = {0x48, (byte) 0xb8, (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
            0x48, 0x01, (byte) 0xd8, 0x0f, 0x05, 0x48, (byte) 0xff, (byte) 0xc1, (byte) 0x90};

    @Test
    void reportsVersion21() {
        assertTrue(Unicorn.version().startsWith("2.1."), Unicorn.version());
    }

    @Test
    void runsCodeReadsRegistersAndHooksSyscall() {
        try (Unicorn uc = Unicorn.openX86_64()) {
            uc.memMap(0x1000, 0x1000, Unicorn.PROT_ALL);
            uc.memWrite(0x1000, CODE);
            uc.setReg(X86Reg.RBX, 1);
            List<Long> seen = new ArrayList<>();
            uc.hookSyscall((engine, user) -> seen.add(uc.reg(X86Reg.RAX)));
            uc.emuStart(0x1000, 0x1000 + CODE.length, 0, 0);
            assertEquals(List.of(0x1122334455667789L), seen);
            assertEquals(1, uc.reg(X86Reg.RCX));
            assertEquals(0x1000 + CODE.length, uc.reg(X86Reg.RIP));
        }
    }

    @Test
    void codeHookSeesEveryInstructionAndCanBeDeleted() {
        try (Unicorn uc = Unicorn.openX86_64()) {
            uc.memMap(0x1000, 0x1000, Unicorn.PROT_ALL);
            uc.memWrite(0x1000, CODE);
            List<Long> addresses = new ArrayList<>();
            long h = uc.hookCode((engine, address, size, user) -> addresses.add(address), 1, 0);
            uc.emuStart(0x1000, 0x1000 + CODE.length, 0, 0);
            assertEquals(List.of(0x1000L, 0x100aL, 0x100dL, 0x100fL, 0x1012L), addresses);
            uc.hookDel(h);
            addresses.clear();
            uc.emuStart(0x1000, 0x1000 + CODE.length, 0, 0);
            assertEquals(List.of(), addresses);
        }
    }

    /**
     * Unicorn 2.1.1 skips the flush due when the translation buffer first fills up unless the buffer was
     * flushed once before (see Unicorn.openX86_64): then translated code is corrupted. 40,000 distinct
     * blocks fill a 1 MiB buffer several times over; every block must still run exactly once per pass.
     */
    @Test
    void aFullTranslationBufferIsFlushedAndCodeStillRunsRight() {
        int blocks = 40_000;
        java.nio.ByteBuffer code = java.nio.ByteBuffer.allocate(blocks * 8 + 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long expected = 0;
        for (int i = 0; i < blocks; i++) {
            code.put((byte) 0x48).put((byte) 0x05).putInt(i); // add rax, i
            code.put((byte) 0xeb).put((byte) 0x00);           // jmp to the next instruction: ends the block
            expected += i;
        }
        code.put((byte) 0x0f).put((byte) 0x05);               // syscall
        try (Unicorn uc = Unicorn.openX86_64(1 << 20)) {
            uc.memMap(0x100000, 0x100000, Unicorn.PROT_ALL);
            uc.memWrite(0x100000, code.array());
            uc.hookSyscall((engine, user) -> uc.emuStop());
            for (int pass = 1; pass <= 3; pass++) {
                uc.setReg(X86Reg.RAX, 0);
                uc.emuStart(0x100000, 0x200000, 0, 0);
                assertEquals(expected, uc.reg(X86Reg.RAX), "pass " + pass);
            }
        }
    }

    /**
     * Opening an engine flushes its empty translation buffer once (see above). With jmck's Unicorn that flush
     * drops the buffer's pages (patch 08) instead of writing all 16 MiB, which took tens of milliseconds of
     * every start-up: the process's resident memory grows by far less than the buffer.
     */
    @Test
    void openingAnEngineDoesNotWriteItsWholeTranslationBuffer() throws java.io.IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Unicorn.isParallelBuild(), "Debian's Unicorn has no patch 08");
        Unicorn.openX86_64().close(); // the libraries loaded and what they set up once
        long before = residentKiB();
        try (Unicorn uc = Unicorn.openX86_64()) {
            long grown = residentKiB() - before;
            assertTrue(grown < Unicorn.TRANSLATION_BUFFER_BYTES / 1024 / 2, grown + " KiB more resident after opening an engine");
        }
    }

    /**
     * jmck's Unicorn grows the TLB that user mode uses when asked (patch 09), at once, to a power of two and
     * never below what it has: the kernel asks before each new program, where it used to touch thousands of
     * pages to make QEMU grow it (some 10 ms of every program's start).
     */
    @Test
    void theUserModeTlbGrowsWhenAsked() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Unicorn.isParallelBuild(), "Debian's Unicorn has no patch 09");
        try (Unicorn uc = Unicorn.openX86_64()) {
            uc.setReg(X86Reg.RAX, 0); // the CPU exists
            assertEquals(16384, uc.growTlb(16384));
            assertEquals(16384, uc.growTlb(256), "never shrinks it");
            assertEquals(32768, uc.growTlb(20000), "to a power of two");
        }
    }

    /**
     * A TLB made ahead (patch 09's reserve, on any thread) is the one the next grow of its size takes: the
     * reserve writes its memory, the grow then writes no new memory (it took 1-10 ms to get, on the path of
     * a program's first instruction).
     */
    @Test
    void aGrowTakesTheTlbMadeAhead() throws java.io.IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Unicorn.isParallelBuild(), "Debian's Unicorn has no patch 09");
        int entries = 65536; // 2 MiB of entries and 1 MiB of iotlb: clear of the JVM's own noise
        try (Unicorn uc = Unicorn.openX86_64()) {
            uc.setReg(X86Reg.RAX, 0); // the CPU exists
            long before = residentKiB();
            assertEquals(entries, Unicorn.reserveTlb(entries));
            long reserved = residentKiB() - before;
            assertTrue(reserved >= 3 * 1024, reserved + " KiB more resident after the reserve");
            before = residentKiB();
            assertEquals(entries, uc.growTlb(entries));
            long grown = residentKiB() - before;
            assertTrue(grown < 1024, grown + " KiB more resident after a grow that should take the reserve");
        }
    }

    private static long residentKiB() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:"))
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void unmappedAccessIsAnErrorWithUnicornsText() {
        try (Unicorn uc = Unicorn.openX86_64()) {
            UnicornException e = assertThrows(UnicornException.class, () -> uc.emuStart(0x5000, 0x5010, 0, 0));
            assertEquals(UnicornException.UC_ERR_FETCH_UNMAPPED, e.code());
            assertTrue(e.getMessage().contains("Invalid memory fetch"), e.getMessage());
        }
    }

    @Test
    void memoryHookCanMapOnDemand() {
        try (Unicorn uc = Unicorn.openX86_64()) {
            uc.memMap(0x1000, 0x1000, Unicorn.PROT_ALL);
            // mov byte [0x8000], 7 ; nop
            byte[] code = {(byte) 0xc6, 0x04, 0x25, 0x00, (byte) 0x80, 0x00, 0x00, 0x07, (byte) 0x90};
            uc.memWrite(0x1000, code);
            uc.hookMem(jmck.emulator.unicorn.Hooks.MEM_WRITE_UNMAPPED, (engine, type, address, size, value, user) -> {
                uc.memMap(address & ~0xfffL, 0x1000, Unicorn.PROT_ALL);
                return true;
            }, 1, 0);
            uc.emuStart(0x1000, 0x1000 + code.length, 0, 0);
            assertEquals(7, uc.memRead(0x8000, 1)[0]);
            List<MemRegion> regions = uc.memRegions();
            assertEquals(2, regions.size());
            assertEquals(new MemRegion(0x8000, 0x8fff, Unicorn.PROT_ALL), regions.get(1));
        }
    }

    @Test
    void msrAndContextRoundTrip() {
        try (Unicorn uc = Unicorn.openX86_64(); Unicorn.Context ctx = uc.contextAlloc()) {
            uc.setMsr(Unicorn.MSR_STAR, 0x0023001000000000L);
            assertEquals(0x0023001000000000L, uc.msr(Unicorn.MSR_STAR));
            uc.setReg(X86Reg.R12, 42);
            uc.contextSave(ctx);
            uc.setReg(X86Reg.R12, 7);
            uc.contextRestore(ctx);
            assertEquals(42, uc.reg(X86Reg.R12));
        }
    }
}
