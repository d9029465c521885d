package jmck.debug.web;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.Kernel;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.PageTable;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Process;

/**
 * Who owns each 4 KiB frame of the machine, worked out at a stop from what the kernel already keeps: the
 * buddy allocator's free and allocated blocks, every process's page tables and the pages they map, and
 * the kernel half's tables. The kernel keeps no owner map of its own, so this costs nothing while no
 * debugger looks. Frames the allocator does not manage belong to the host (below the partition).
 *
 * <p>The result is run-length encoded for the page: a run is a stretch of frames with one owner (and, for
 * user pages, consecutive virtual addresses); every free block and every allocated block larger than one
 * frame starts a run of its own, so the buddy blocks stay visible.
 */
final class FrameMap {
    /** Owner kinds, as the page colours them. */
    static final String HOST = "host", FREE = "free", KERNEL = "kernel", KERNEL_TABLE = "kernel-pt", TABLE = "pt",
            ANON = "anon", HEAP = "heap", STACK = "stack", FILE = "file", SHARED = "shared";

    /** One owner: its kind, the process (0 for none) and a description for the hover text. */
    record Owner(String kind, int pid, String label) {}

    private final List<Owner> owners = new ArrayList<>();
    private final Map<Owner, Integer> ownerIds = new HashMap<>();
    private int[] owner;
    private long[] va;
    private byte[] head; // order + 1 at the first frame of a free block, or of an allocated block of order > 0
    private BitSet allocated = new BitSet();
    private long used, free, total;
    /** Pages present in each VMA of the processes seen (counted on the way). */
    private final Map<Vma, Long> resident = new IdentityHashMap<>();

    /** Works the map out for kernel as it is now (the machine stopped). */
    static FrameMap of(Kernel kernel) {
        FrameMap m = new FrameMap();
        m.build(kernel);
        return m;
    }

    private int ownerId(String kind, int pid, String label) {
        return ownerIds.computeIfAbsent(new Owner(kind, pid, label), o -> {
            owners.add(o);
            return owners.size() - 1;
        });
    }

    private void build(Kernel kernel) {
        FrameAllocator frames = kernel.frames();
        BitSet managed = frames.managedFrames();
        int n = managed.length();
        owner = new int[n];
        va = new long[n];
        head = new byte[n];
        Arrays.fill(owner, -1);
        Arrays.fill(va, -1);
        int host = ownerId(HOST, 0, "host memory, not the LWK's (the IKC channels and the proxy live on the host side)");
        int freeId = ownerId(FREE, 0, "free");
        for (int f = managed.nextClearBit(0); f < n; f = managed.nextClearBit(f + 1))
            owner[f] = host;
        frames.forEachFreeBlock((pfn, order) -> {
            int end = (int) Math.min(n, pfn + (1L << order));
            Arrays.fill(owner, (int) pfn, end, freeId);
            head[(int) pfn] = (byte) (order + 1);
        });
        frames.forEachAllocatedBlock((pfn, order) -> {
            if (order > 0)
                head[(int) pfn] = (byte) (order + 1);
        });
        PhysicalMemory mem = kernel.memory();
        Map<AddressSpace, Boolean> seen = new IdentityHashMap<>();
        long anyRoot = -1;
        for (Process p : kernel.processes().live()) {
            AddressSpace mm = p.mm();
            if (mm == null || seen.put(mm, true) != null)
                continue;
            anyRoot = mm.root();
            int pid = p.pid();
            int table = ownerId(TABLE, pid, "page table of pid " + pid + " (" + p.comm() + ")");
            mm.pageTable().forEachTable((pa, level, base) -> set(pa >>> 12, table, -1));
            for (Vma v : mm.vmas()) {
                String label = mm.label(v);
                String kind = "[heap]".equals(label) ? HEAP : "[stack]".equals(label) ? STACK
                        : v.backing().anonymous() ? ANON : FILE;
                int id = ownerId(kind, pid, "pid " + pid + " (" + p.comm() + "): " + (label != null ? label + " " : "") + v.describe());
                long[] pages = {0};
                mm.pageTable().forEachLeaf(v.start(), v.end(), (slot, e, page, size) -> {
                    long pfn = Pte.address(e) >>> 12, count = size.bytes >>> 12;
                    pages[0] += count;
                    for (long i = 0; i < count; i++)
                        setPage(pfn + i, id, page + (i << 12), pid);
                });
                resident.put(v, pages[0]);
            }
        }
        if (anyRoot >= 0) {
            int kt = ownerId(KERNEL_TABLE, 0, "kernel page table (the upper half, shared by every address space)");
            PageTable.forEachTable(mem, anyRoot, 256, 512, (pa, level, base) -> {
                if (level < 4)
                    set(pa >>> 12, kt, -1);
            });
        }
        int kernelId = ownerId(KERNEL, 0, "kernel: its image (GDT, sysret trampoline), its own page tables, the TLB warm-up tables");
        for (int f = 0; f < n; f++) {
            if (owner[f] == -1)
                owner[f] = kernelId;
            if (owner[f] != freeId && owner[f] != host)
                allocated.set(f);
        }
        used = frames.usedFrames();
        free = frames.freeFrames();
        total = frames.totalFrames();
    }

    private void set(long pfn, int id, long address) {
        if (pfn < owner.length) {
            owner[(int) pfn] = id;
            va[(int) pfn] = address;
        }
    }

    /** A user page: a frame another process maps too (after fork, copy-on-write) becomes shared. */
    private void setPage(long pfn, int id, long address, int pid) {
        if (pfn >= owner.length)
            return;
        int f = (int) pfn, was = owner[f];
        if (was < 0) { // the usual case: a frame no one else maps
            owner[f] = id;
            va[f] = address;
            return;
        }
        Owner o = owners.get(was);
        if (o.kind().equals(SHARED) || (o.pid() != 0 && o.pid() != pid && !o.kind().equals(TABLE))) {
            String pids = o.kind().equals(SHARED) ? o.label() : "shared (copy-on-write after fork) by pid " + o.pid();
            owner[f] = ownerId(SHARED, 0, pids.contains("pid " + pid + ",") || pids.endsWith("pid " + pid) ? pids : pids + ", pid " + pid);
            va[f] = -1;
            return;
        }
        set(pfn, id, address);
    }

    /** Frames in use now that were free (or not yet there) in before; null before: none. */
    BitSet freshSince(FrameMap before) {
        BitSet fresh = (BitSet) allocated.clone();
        if (before == null)
            fresh.clear();
        else
            fresh.andNot(before.allocated);
        return fresh;
    }

    long used() {
        return used;
    }

    /** The pages present in v (a VMA of a live process when the map was made), or -1 if unknown. */
    long resident(Vma v) {
        return resident.getOrDefault(v, -1L);
    }

    /** The owner description of frame pfn (for tests and hover text). */
    String ownerOf(long pfn) {
        return pfn < owner.length ? owners.get(owner[(int) pfn]).label() : "outside the machine";
    }

    /**
     * Writes the map: totals, the owner table, the runs [first frame, count, owner, virtual address of the
     * first (or -1), block order (or -1)], and the frames allocated since before.
     */
    void write(Json j, FrameMap before) {
        j.obj().field("frames", owner.length).field("used", used).field("free", free).field("total", total);
        j.key("owners").arr();
        for (Owner o : owners)
            j.obj().field("kind", o.kind()).field("pid", o.pid()).field("label", o.label()).end();
        j.end();
        j.key("runs").arr();
        int n = owner.length;
        for (int f = 0; f < n; ) {
            int start = f, o = owner[f], order = head[f] - 1;
            long v = va[f];
            long limit = order > 0 ? Math.min(n, start + (1L << order)) : n;
            f++;
            while (f < limit && owner[f] == o && head[f] == 0 && (v < 0 ? va[f] < 0 : va[f] == v + ((long) (f - start) << 12)))
                f++;
            j.arr().value(start).value(f - start).value(o).value(v < 0 ? -1 : v >>> 12).value(order).end();
        }
        j.end();
        BitSet fresh = freshSince(before);
        j.key("fresh").arr();
        for (int f = fresh.nextSetBit(0); f >= 0; ) {
            int e = fresh.nextClearBit(f);
            j.arr().value(f).value(e - f).end();
            f = fresh.nextSetBit(e);
        }
        j.end().field("freshCount", fresh.cardinality()).end();
    }
}
