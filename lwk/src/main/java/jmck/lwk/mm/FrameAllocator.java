package jmck.lwk.mm;

import java.util.BitSet;

/**
 * The LWK's physical memory allocator: a binary buddy allocator over the frames of the partition (4 KiB
 * frames, blocks of 2^order frames up to 1 GiB), like McKernel's page allocator. Allocation takes the
 * lowest-addressed free block of the smallest order that fits, so the same run gets the same frames.
 *
 * It also remembers which frames may hold old data ("dirty"): a frame never handed out since it was added
 * or released to the host reads as zero and need not be cleared again before a user sees it.
 * Thread-safe (the proxy may fault pages in while a core runs).
 */
public final class FrameAllocator {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    /** Order of a 2 MiB block. */
    public static final int LARGE_ORDER = 9;
    public static final int MAX_ORDER = 18;

    private final BitSet[] free = new BitSet[MAX_ORDER + 1]; // per order: bit (pfn >> order) set = free block
    private final long[] freeBlocks = new long[MAX_ORDER + 1];
    private final BitSet managed = new BitSet();   // frames that belong to this allocator
    private final BitSet dirty = new BitSet();     // frames that may not read as zero
    private final BitSet allocatedHead = new BitSet(); // first frame of each allocated block
    private final FrameTable orders;               // order of the allocated block that contains each frame
    private final FrameTable refs;                 // at a block's head frame: mappings that reference the block
    private long frameLimit;                       // frames below this have a place in the tables
    private long totalFrames;
    private long freeFrames;
    /** Told the frames in use after each allocation and free, for traces; null when nobody listens. */
    private java.util.function.LongConsumer listener;

    /** An allocator sized for physical addresses below limit (it grows when memory above is added). */
    public FrameAllocator(long limit) {
        for (int o = 0; o <= MAX_ORDER; o++)
            free[o] = new BitSet();
        frameLimit = limit >>> PAGE_SHIFT;
        orders = new FrameTable(frameLimit);
        refs = new FrameTable(frameLimit);
    }

    /**
     * Gives [base, base+size) to the allocator (page-aligned, not yet managed). Its frames count as zeroed:
     * the caller makes sure they are (fresh file pages, or released to the host first).
     */
    public synchronized void addRange(long base, long size) {
        checkRange(base, size);
        long pfn = base >>> PAGE_SHIFT, end = (base + size) >>> PAGE_SHIFT;
        if (end > frameLimit) {
            frameLimit = end;
            orders.grow(end);
            refs.grow(end);
        }
        int clash = managed.nextSetBit((int) pfn); // a word at a time: 2 GiB are half a million frames
        if (clash >= 0 && clash < end)
            throw new IllegalArgumentException("frame " + Long.toHexString((long) clash << PAGE_SHIFT) + " is already managed");
        managed.set((int) pfn, (int) end);
        totalFrames += end - pfn;
        while (pfn < end) { // the largest aligned blocks that fit
            int order = MAX_ORDER;
            while (order > 0 && ((pfn & ((1L << order) - 1)) != 0 || pfn + (1L << order) > end))
                order--;
            insert(pfn, order);
            pfn += 1L << order;
        }
    }

    /** Takes [base, base+size) back if none of its frames is in use; returns false (and changes nothing) if some are. */
    public synchronized boolean removeRange(long base, long size) {
        checkRange(base, size);
        long first = base >>> PAGE_SHIFT, end = (base + size) >>> PAGE_SHIFT;
        for (long f = first; f < end; f++)
            if (!managed.get((int) f) || !isFreeFrame(f))
                return false;
        for (int o = MAX_ORDER; o >= 0; o--) { // split blocks that straddle the range's edges, then drop the rest
            for (long b = free[o].nextSetBit(0); b >= 0; b = free[o].nextSetBit((int) b + 1)) {
                long start = b << o, stop = start + (1L << o);
                if (stop <= first || start >= end)
                    continue;
                remove(start, o);
                if (start >= first && stop <= end)
                    continue;
                insert(start, o - 1);
                insert(start + (1L << (o - 1)), o - 1);
            }
        }
        managed.clear((int) first, (int) end);
        totalFrames -= end - first;
        return true;
    }

    private boolean isFreeFrame(long pfn) {
        for (int o = 0; o <= MAX_ORDER; o++)
            if (free[o].get((int) (pfn >>> o)))
                return true;
        return false;
    }

    private static void checkRange(long base, long size) {
        if (base < 0 || size <= 0 || (base & (PAGE_SIZE - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0)
            throw new IllegalArgumentException("bad range " + Long.toHexString(base) + "+" + Long.toHexString(size));
    }

    /**
     * Allocates 2^order contiguous, naturally aligned frames; returns the physical address, or -1 if none is
     * free. The block starts with one reference (see {@link #ref}).
     */
    public synchronized long allocate(int order) {
        int o = order;
        while (o <= MAX_ORDER && freeBlocks[o] == 0)
            o++;
        if (o > MAX_ORDER)
            return -1;
        long pfn = (long) free[o].nextSetBit(0) << o;
        remove(pfn, o);
        while (o > order) { // split: keep the lower half, free the upper
            o--;
            insert(pfn + (1L << o), o);
        }
        allocatedHead.set((int) pfn);
        orders.fill(pfn, pfn + (1L << order), order);
        refs.set(pfn, 1);
        if (listener != null)
            listener.accept(totalFrames - freeFrames);
        return pfn << PAGE_SHIFT;
    }

    /** Sets who hears the frames in use after every allocation and free (null: nobody). */
    public synchronized void setListener(java.util.function.LongConsumer listener) {
        this.listener = listener;
    }

    /** Returns a block from {@link #allocate}; its frames become dirty. Buddies merge back as far as they can. */
    public synchronized void free(long pa, int order) {
        long pfn = pa >>> PAGE_SHIFT;
        if ((pa & (PAGE_SIZE - 1)) != 0 || pfn >= frameLimit || !allocatedHead.get((int) pfn) || orders.get(pfn) != order)
            throw new IllegalStateException("free of a block not allocated: " + Long.toHexString(pa) + " order " + order);
        allocatedHead.clear((int) pfn);
        dirty.set((int) pfn, (int) (pfn + (1L << order)));
        while (order < MAX_ORDER) {
            long buddy = pfn ^ (1L << order);
            if (!free[order].get((int) (buddy >>> order)))
                break;
            remove(buddy, order);
            pfn = Math.min(pfn, buddy);
            order++;
        }
        insert(pfn, order);
        if (listener != null)
            listener.accept(totalFrames - freeFrames);
    }

    /** The first frame of the allocated block that contains pa. */
    private int head(long pa) {
        long pfn = pa >>> PAGE_SHIFT;
        int h = (int) (pfn & -(1L << orders.get(pfn)));
        if (!allocatedHead.get(h))
            throw new IllegalStateException("frame " + Long.toHexString(pa) + " is not allocated");
        return h;
    }

    /** Told about each block a reference drop freed (to retire code translated from it, say). */
    public interface FreedBlock {
        void freed(long pa, int order);
    }

    /**
     * Adds a reference to every block under the mapping [pa, pa+bytes): a page shared by fork. A block
     * larger than the range (not yet split) gets one reference.
     */
    public synchronized void ref(long pa, long bytes) {
        for (long p = pa; p < pa + bytes; ) {
            int h = head(p);
            refs.set(h, refs.get(h) + 1);
            p = ((long) h << PAGE_SHIFT) + (PAGE_SIZE << orders.get(h));
        }
    }

    /**
     * Drops a reference to every block under the mapping [pa, pa+bytes) and frees those left without
     * one, telling freed about each. Returns the number of frames freed.
     */
    public synchronized long unref(long pa, long bytes, FreedBlock freed) {
        long count = 0;
        for (long p = pa; p < pa + bytes; ) {
            int h = head(p);
            int order = orders.get(h);
            long next = ((long) h << PAGE_SHIFT) + (PAGE_SIZE << order);
            int left = refs.get(h) - 1;
            refs.set(h, left);
            if (left == 0) {
                free((long) h << PAGE_SHIFT, order);
                count += 1L << order;
                if (freed != null)
                    freed.freed((long) h << PAGE_SHIFT, order);
            }
            p = next;
        }
        return count;
    }

    /**
     * Splits the allocated block that contains pa into blocks of one frame, each with the block's
     * references, so that parts of a large page can be unmapped and freed on their own.
     */
    public synchronized void split(long pa) {
        int h = head(pa);
        int order = orders.get(h);
        if (order == 0)
            return;
        int r = refs.get(h);
        for (int f = h; f < h + (1 << order); f++) {
            allocatedHead.set(f);
            orders.set(f, 0);
            refs.set(f, r);
        }
    }

    /** References held on the block that contains pa. */
    public synchronized int refCount(long pa) {
        return refs.get(head(pa));
    }

    /** The order of the allocated block that contains pa. */
    public synchronized int blockOrder(long pa) {
        return orders.get(head(pa));
    }

    private void insert(long pfn, int order) {
        free[order].set((int) (pfn >>> order));
        freeBlocks[order]++;
        freeFrames += 1L << order;
    }

    private void remove(long pfn, int order) {
        free[order].clear((int) (pfn >>> order));
        freeBlocks[order]--;
        freeFrames -= 1L << order;
    }

    /** Whether every frame of the block may hold old data that must be cleared before reuse. */
    public synchronized boolean isDirty(long pa, int order) {
        int pfn = (int) (pa >>> PAGE_SHIFT);
        int next = dirty.nextSetBit(pfn);
        return next >= 0 && next < pfn + (1 << order);
    }

    /** Records that the block now reads as zero (it was cleared, or given back to the host). */
    public synchronized void markClean(long pa, int order) {
        int pfn = (int) (pa >>> PAGE_SHIFT);
        dirty.clear(pfn, pfn + (1 << order));
    }

    /** Whether pa lies in an allocated block (for checks and tests). */
    public synchronized boolean isAllocated(long pa) {
        long pfn = pa >>> PAGE_SHIFT;
        return managed.get((int) pfn) && !isFreeFrame(pfn);
    }

    public synchronized long totalFrames() {
        return totalFrames;
    }

    public synchronized long freeFrames() {
        return freeFrames;
    }

    public synchronized long usedFrames() {
        return totalFrames - freeFrames;
    }

    /** Number of free blocks of exactly this order. */
    public synchronized long freeBlocks(int order) {
        return freeBlocks[order];
    }

    /** A block of 2^order frames starting at frame number pfn. */
    public interface BlockVisitor {
        void block(long pfn, int order);
    }

    /** For debuggers (read-only): visits every free block, order by order, each in address order. */
    public synchronized void forEachFreeBlock(BlockVisitor v) {
        for (int o = 0; o <= MAX_ORDER; o++)
            for (int b = free[o].nextSetBit(0); b >= 0; b = free[o].nextSetBit(b + 1))
                v.block((long) b << o, o);
    }

    /** For debuggers (read-only): visits every allocated block in address order. */
    public synchronized void forEachAllocatedBlock(BlockVisitor v) {
        for (int h = allocatedHead.nextSetBit(0); h >= 0; h = allocatedHead.nextSetBit(h + 1))
            v.block(h, orders.get(h));
    }

    /** For debuggers (read-only): the frame numbers this allocator manages (a copy). */
    public synchronized BitSet managedFrames() {
        return (BitSet) managed.clone();
    }

    /** The largest order with a free block, or -1 when memory is exhausted. */
    public synchronized int largestFreeOrder() {
        for (int o = MAX_ORDER; o >= 0; o--)
            if (freeBlocks[o] > 0)
                return o;
        return -1;
    }

    /**
     * A number per frame, kept in chunks of 16,384 frames (64 MiB) that are made when first written: a run
     * uses the low frames of its partition, and flat tables for 2 GiB were 2.5 MB cleared at every boot (a
     * humongous allocation: 0.5 ms, at times 9, on the boot's path). A frame never written reads 0.
     */
    private static final class FrameTable {
        private static final int SHIFT = 14, MASK = (1 << SHIFT) - 1;
        private int[][] chunks;

        FrameTable(long frames) {
            chunks = new int[chunksFor(frames)][];
        }

        private static int chunksFor(long frames) {
            return (int) ((frames + MASK) >>> SHIFT);
        }

        void grow(long frames) {
            if (chunksFor(frames) > chunks.length)
                chunks = java.util.Arrays.copyOf(chunks, chunksFor(frames));
        }

        int get(long pfn) {
            int[] c = chunks[(int) (pfn >>> SHIFT)];
            return c == null ? 0 : c[(int) (pfn & MASK)];
        }

        void set(long pfn, int value) {
            chunk(pfn)[(int) (pfn & MASK)] = value;
        }

        /** Sets frames [from, to) to value. */
        void fill(long from, long to, int value) {
            for (long p = from; p < to; ) {
                long stop = Math.min(to, (p | MASK) + 1);
                java.util.Arrays.fill(chunk(p), (int) (p & MASK), (int) (((stop - 1) & MASK) + 1), value);
                p = stop;
            }
        }

        private int[] chunk(long pfn) {
            int i = (int) (pfn >>> SHIFT);
            int[] c = chunks[i];
            if (c == null)
                c = chunks[i] = new int[1 << SHIFT];
            return c;
        }
    }
}
