package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.FaultOutcome.Access;
import jmck.lwk.mm.FaultOutcome.Decision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write-back of a file mapped shared (msync, munmap, exit). In exact mode the CPU's page walker sets the
 * Dirty bit, so write-back only clears it. In parallel mode the walker must never write an entry (another
 * core may just have changed it), so write-back also makes the page read-only, and the next write faults
 * and is made writable and dirty again by the kernel (REDIRTIED), as Linux's page_mkclean does.
 */
class SharedWriteBackTest {
    private static final long BASE = 0x10_0000_0000L, PAGE = 4096;
    @TempDir
    Path dir;
    private PhysicalMemory mem;
    private FrameAllocator frames;

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(16L << 20);
        frames = new FrameAllocator(mem.size());
        frames.addRange(2L << 20, 14L << 20);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    /** A two-page file of zeros, opened read-write on the host, mapped shared and writable at BASE. */
    private AddressSpace mapFile(Path file, boolean parallel) throws Exception {
        Files.write(file, new byte[(int) (2 * PAGE)]);
        HostBuffer path = HostBuffer.cString(file.toString());
        int fd = (int) HostSyscall.call(HostSyscall.SYS_OPENAT, -100, path.address(), 2 /* O_RDWR */);
        assertTrue(fd >= 0, "open " + file);
        AddressSpace as = new AddressSpace(mem, frames, -1, PageSize.SMALL);
        as.setSettleEntries(parallel);
        as.setPageCache(new PageCache(mem, frames));
        as.mmapFile(BASE, 2 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED | Mman.MAP_FIXED,
                HostFileBacking.of(fd, true), 0);
        return as;
    }

    private static int fileInt(Path file, long offset) throws Exception {
        return ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getInt((int) offset);
    }

    @Test
    void parallelModeCleansToReadOnlyAndRedirtiesOnTheNextWrite() throws Exception {
        Path file = dir.resolve("shared");
        AddressSpace as = mapFile(file, true);
        as.writeInt(BASE + 8, 0x1111);
        long e = as.pageTable().leaf(BASE);
        assertEquals(Pte.RW | Pte.D, e & (Pte.RW | Pte.D), "settled: writable and dirty from the start");

        as.writeBack(BASE, BASE + 2 * PAGE);
        assertEquals(0x1111, fileInt(file, 8));
        e = as.pageTable().leaf(BASE);
        assertEquals(0, e & (Pte.RW | Pte.D), "clean and read-only: the walker never has to set D");

        FaultOutcome o = as.fault(BASE + 8, Access.WRITE, true);
        assertEquals(Decision.REDIRTIED, o.decision());
        e = as.pageTable().leaf(BASE);
        assertEquals(Pte.RW | Pte.D, e & (Pte.RW | Pte.D));
        as.writeInt(BASE + 8, 0x2222);
        as.writeBack(BASE, BASE + 2 * PAGE);
        assertEquals(0x2222, fileInt(file, 8), "the second write reached the file too");
        as.destroy();
    }

    @Test
    void exactModeOnlyClearsDirty() throws Exception {
        Path file = dir.resolve("shared");
        AddressSpace as = mapFile(file, false);
        as.writeInt(BASE + 8, 0x3333);
        long e = as.pageTable().leaf(BASE);
        mem.putLong(slotOf(as, BASE), e | Pte.D); // as the CPU's walker does on a write
        as.writeBack(BASE, BASE + 2 * PAGE);
        assertEquals(0x3333, fileInt(file, 8));
        e = as.pageTable().leaf(BASE);
        assertNotEquals(0, e & Pte.RW, "still writable");
        assertEquals(0, e & Pte.D, "clean");
        as.destroy();
    }

    private static long slotOf(AddressSpace as, long va) {
        Walk w = as.pageTable().walk(va);
        return w.tables()[w.depth() - 1] + 8L * w.indices()[w.depth() - 1];
    }
}
