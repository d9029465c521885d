package jmck.lwk.mm;

import jmck.emulator.PhysicalMemory;

/**
 * Memory that owns its pages and lets every mapping of it share them (Linux's shmem object behind a System
 * V shared memory segment): a page's frame is taken, zeroed, on its first fault in any mapping, and every
 * mapping of that page maps the same frame, writable if the mapping is. The object holds one reference to
 * each frame and each mapping one more; a frame is freed when the object is released and no mapping holds
 * it. Synchronized on this: mappings on several cores fault on it.
 */
public final class SharedPages implements Backing {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    private final long[] pages;
    private final String name;
    private final long inode;
    private boolean released;

    /** Memory of size bytes (rounded up to pages), shown in /proc/PID/maps as name with inode. */
    public SharedPages(PhysicalMemory mem, FrameAllocator frames, long size, String name, long inode) {
        this.mem = mem;
        this.frames = frames;
        this.pages = new long[(int) ((size + PAGE - 1) / PAGE)];
        java.util.Arrays.fill(pages, -1);
        this.name = name;
        this.inode = inode;
    }

    @Override
    public synchronized long sharedFrame(long offset) {
        int i = (int) (offset / PAGE);
        if (released || i < 0 || i >= pages.length)
            return -1;
        if (pages[i] < 0) {
            long pa = frames.allocate(0);
            if (pa < 0)
                return -2;
            if (frames.isDirty(pa, 0)) {
                mem.zero(pa, PAGE);
                frames.markClean(pa, 0);
            }
            pages[i] = pa;
        }
        frames.ref(pages[i], PAGE);
        return pages[i];
    }

    /** Bytes of frames taken so far (what is resident). */
    public synchronized long residentBytes() {
        long n = 0;
        for (long p : pages)
            if (p >= 0)
                n += PAGE;
        return n;
    }

    /** The object is gone (IPC_RMID and the last detach): its references go; mappings keep theirs. */
    public synchronized void release() {
        if (released)
            return;
        released = true;
        for (int i = 0; i < pages.length; i++)
            if (pages[i] >= 0) {
                frames.unref(pages[i], PAGE, null);
                pages[i] = -1;
            }
    }

    @Override
    public void fill(PhysicalMemory mem, long pa, long offset, long length) {} // pages come from sharedFrame

    @Override
    public String device() {
        return "00:01";
    }

    @Override
    public long inode() {
        return inode;
    }

    @Override
    public String path() {
        return name;
    }
}
