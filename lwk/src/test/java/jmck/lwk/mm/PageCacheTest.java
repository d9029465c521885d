package jmck.lwk.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Mman;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.FaultOutcome.Access;
import jmck.lwk.mm.FaultOutcome.Decision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The page cache: address spaces that map the same file privately share one frame per page until one of
 * them writes; the writer gets a copy and the cache keeps the file's bytes; a page leaves the cache, and its
 * frame is free again, when the last mapping lets go; a changed file is read afresh.
 */
class PageCacheTest {
    private static final long BASE = 0x10_0000_0000L, PAGE = 4096;
    private PhysicalMemory mem;
    private FrameAllocator frames;
    private PageCache cache;
    private final List<AddressSpace> spaces = new ArrayList<>();
    private final List<Long> retired = new ArrayList<>();

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(64L << 20);
        frames = new FrameAllocator(mem.size());
        frames.addRange(2L << 20, 62L << 20);
        cache = new PageCache(mem, frames);
    }

    @AfterEach
    void tearDown() {
        mem.close();
    }

    private AddressSpace space() {
        AddressSpace as = new AddressSpace(mem, frames, -1, PageSize.LARGE);
        as.setPageCache(cache);
        as.setShootdown(new AddressSpace.Shootdown() {
            @Override
            public void flush(AddressSpace a) {}

            @Override
            public void retireCode(long pa, long length) {
                retired.add(pa);
            }
        });
        spaces.add(as);
        return as;
    }

    /** An 8-page "file" whose every byte says which page it is in, with an identity of its own. */
    private static FileBacking file(long mtime) {
        ByteBuffer b = ByteBuffer.allocate((int) (8 * PAGE)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < b.capacity(); i++)
            b.put(i, (byte) (i / PAGE + 1 + mtime));
        return new FileBacking(b, b.capacity(), "/lib/libtest.so", new FileId(0xfe01, 42, b.capacity(), mtime));
    }

    private static long frameOf(AddressSpace as, long va) {
        return Pte.address(as.pageTable().leaf(va));
    }

    @Test
    void readersShareOneFramePerPageAndAWriterGetsACopy() {
        FileBacking lib = file(0);
        AddressSpace a = space(), b = space();
        for (AddressSpace as : List.of(a, b))
            as.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ | Mman.PROT_EXEC, false, false, lib, 0, null);
        long before = frames.freeFrames() + a.pageTable().tableFrames() + b.pageTable().tableFrames();
        FaultOutcome fa = a.fault(BASE + 3 * PAGE + 5, Access.EXEC, false);
        FaultOutcome fb = b.fault(BASE + 3 * PAGE + 9, Access.READ, false);
        assertEquals(Decision.CACHED, fa.decision());
        assertEquals(Decision.CACHED, fb.decision());
        assertEquals(fa.frame(), fb.frame(), "one frame for both");
        long tables = a.pageTable().tableFrames() + b.pageTable().tableFrames();
        assertEquals(1, before - frames.freeFrames() - tables, "one frame in use for two mappings");
        assertEquals(3, frames.refCount(fa.frame()), "the cache and two mappings");
        assertEquals(4, a.readInt(BASE + 3 * PAGE) & 0xff);
        assertEquals(1, cache.pages());

        // a writable private mapping of the same file (a data segment) gets its own frame at once
        AddressSpace c = space();
        c.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE, false, false, lib, 0, null);
        FaultOutcome fc = c.fault(BASE + 3 * PAGE, Access.READ, false);
        assertEquals(Decision.MAPPED, fc.decision());
        assertNotEquals(fa.frame(), fc.frame());
        c.writeInt(BASE + 3 * PAGE, 0x7777);
        assertEquals(0x7777, c.readInt(BASE + 3 * PAGE));
        assertEquals(4, a.readInt(BASE + 3 * PAGE) & 0xff, "the others still see the file");
        assertEquals(4, b.readInt(BASE + 3 * PAGE + 4) & 0xff);

        // mprotect to writable does not make the cached frame writable
        a.mprotect(BASE, 8 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE);
        assertTrue((a.pageTable().leaf(BASE + 3 * PAGE) & Pte.RW) == 0, "still read-only, copy-on-write");
        a.writeInt(BASE + 3 * PAGE, 0x1234);
        assertEquals(4, b.readInt(BASE + 3 * PAGE) & 0xff);
    }

    /** A debugger's write (a breakpoint patched into code, say) changes its own process's copy only. */
    @Test
    void aDebuggerWritesItsOwnCopy() {
        FileBacking lib = file(0);
        AddressSpace a = space(), b = space();
        for (AddressSpace as : List.of(a, b))
            as.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ | Mman.PROT_EXEC, false, false, lib, 0, null);
        long shared = b.fault(BASE + PAGE, Access.EXEC, false).frame();
        long pa = a.resolveForDebugger(BASE + PAGE + 16);
        assertNotEquals(shared, pa & -PAGE, "not the shared frame");
        mem.putInt(pa, 0xcc);
        assertEquals(0xcc, a.readInt(BASE + PAGE + 16));
        assertEquals(2, b.readInt(BASE + PAGE + 16) & 0xff, "the other process still sees the file");
        assertEquals(0, a.pageTable().leaf(BASE + PAGE) & Pte.RW, "the code page stays read-only");
        assertEquals(-1, a.resolveForDebugger(BASE + 20 * PAGE), "nothing mapped there");
    }

    /** Shared mappings of a file in two address spaces use one writable frame: a write is seen at once. */
    @Test
    void sharedMappingsShareOneWritableFrame() {
        FileBacking lib = file(0);
        AddressSpace a = space(), b = space();
        for (AddressSpace as : List.of(a, b))
            as.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE, true, false, lib, 0, null);
        a.writeInt(BASE + 2 * PAGE, 0x5151);
        assertEquals(0x5151, b.readInt(BASE + 2 * PAGE), "b reads what a wrote");
        assertEquals(frameOf(a, BASE + 2 * PAGE), frameOf(b, BASE + 2 * PAGE));
        assertTrue((b.pageTable().leaf(BASE + 2 * PAGE) & Pte.RW) != 0, "writable, no copy-on-write");
        // a private mapping of the same file has pages of its own
        AddressSpace c = space();
        c.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ, false, false, lib, 0, null);
        assertEquals(3, c.readInt(BASE + 2 * PAGE) & 0xff);
        long free = frames.freeFrames();
        a.destroy();
        b.destroy();
        assertEquals(1, cache.pages(), "the private page is left");
        assertTrue(frames.freeFrames() > free);
        c.destroy();
        assertEquals(0, cache.pages());
    }

    @Test
    void theLastMappingToGoFreesThePage() {
        FileBacking lib = file(0);
        long free = frames.freeFrames();
        AddressSpace a = space(), b = space();
        for (AddressSpace as : List.of(a, b)) {
            as.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ | Mman.PROT_EXEC, false, false, lib, 0, null);
            for (int i = 0; i < 8; i++)
                as.fault(BASE + i * PAGE, Access.EXEC, false);
        }
        assertEquals(8, cache.pages());
        long code = frameOf(a, BASE);
        a.munmap(BASE, 8 * PAGE);
        assertEquals(8, cache.pages(), "b still maps them");
        assertTrue(retired.isEmpty());
        b.destroy();
        assertEquals(0, cache.pages());
        assertTrue(retired.contains(code), "a freed code frame is retired from the cores");
        a.destroy();
        assertEquals(free, frames.freeFrames(), "every frame back, page tables too");
    }

    @Test
    void aForkedChildSharesAndFreesTheSame() {
        FileBacking lib = file(0);
        long free = frames.freeFrames();
        AddressSpace parent = space();
        parent.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ, false, false, lib, 0, null);
        parent.fault(BASE, Access.READ, false);
        AddressSpace child = space();
        parent.forkInto(child);
        assertEquals(frameOf(parent, BASE), frameOf(child, BASE));
        assertEquals(frameOf(parent, BASE), child.fault(BASE, Access.READ, true).frame());
        parent.destroy();
        assertEquals(1, cache.pages());
        child.destroy();
        assertEquals(0, cache.pages());
        assertEquals(free, frames.freeFrames());
    }

    @Test
    void aChangedFileIsReadAfresh() {
        AddressSpace a = space(), b = space();
        a.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ, false, false, file(0), 0, null);
        b.map(BASE, BASE + 8 * PAGE, Mman.PROT_READ, false, false, file(16), 0, null);
        assertNotEquals(a.fault(BASE, Access.READ, false).frame(), b.fault(BASE, Access.READ, false).frame());
        assertEquals(1, a.readInt(BASE) & 0xff);
        assertEquals(17, b.readInt(BASE) & 0xff);
    }

    @Test
    void partialPagesAreNotCachedAndSharedPagesApart() {
        FileBacking lib = file(0);
        AddressSpace a = space();
        // file bytes end half way into page 2, zeros after them (read-only, as an odd ELF segment may be)
        a.map(BASE, BASE + 3 * PAGE, Mman.PROT_READ, false, false, lib.withLimit(2 * PAGE + 100), 0, null);
        assertEquals(Decision.CACHED, a.fault(BASE, Access.READ, false).decision());
        assertEquals(Decision.CACHED, a.fault(BASE + PAGE, Access.READ, false).decision());
        assertEquals(Decision.MAPPED, a.fault(BASE + 2 * PAGE, Access.READ, false).decision(), "the page with zeros in it");
        assertEquals(0, a.readInt(BASE + 2 * PAGE + 100));
        assertEquals(3, a.readInt(BASE + 2 * PAGE + 96) & 0xff);
        assertEquals(2, cache.pages());
        // a shared mapping's page is not the private one
        a.map(BASE + 8 * PAGE, BASE + 16 * PAGE, Mman.PROT_READ, true, false, lib, 0, null);
        FaultOutcome shared = a.fault(BASE + 8 * PAGE, Access.READ, false);
        assertEquals(Decision.CACHED, shared.decision());
        assertNotEquals(frameOf(a, BASE), shared.frame());
        assertEquals(3, cache.pages());
    }
}
