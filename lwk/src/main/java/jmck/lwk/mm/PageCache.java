package jmck.lwk.mm;

import java.util.HashMap;
import java.util.Map;
import jmck.emulator.PhysicalMemory;

/**
 * The LWK's page cache: one frame per page of a host file that processes map privately, shared by every
 * mapping of that page in every address space, as Linux shares a library's text between processes. A
 * page is read from the file once, by the first process that touches it; the others map the same frame.
 * Cached frames are mapped read-only with the copy-on-write bit, so a write (a relocation, a debugger's
 * breakpoint, mprotect to writable) copies the page for the writer alone and the cache never changes.
 *
 * <p>A page stays cached while some mapping holds its frame: the cache keeps one reference of its own, and
 * when the last mapping lets go ({@link #released}) the page leaves the cache and its frame is freed. So
 * the cache never holds memory that nothing uses, and free memory means what it meant without it.
 *
 * <p>For private mappings a file is known by its identity now: host device, inode, size and modification
 * time ({@link FileId}). A file that changed is a new file: its pages are read afresh, and pages of the old
 * contents stay with the mappings that hold them, as Linux keeps a private mapping's pages of a file that
 * was replaced. Shared mappings (MAP_SHARED) of a file use pages of their own, known by device and inode
 * ({@link #getShared}): one frame per page for all of them, written back to the file by each address space
 * that dirtied it before it lets go. (A private mapping does not see a shared mapping's writes before
 * they are written back, where Linux shows them until the private page is copied.)
 */
public final class PageCache {
    private record Key(FileId file, long offset) {
        // Written out: a record's generated equals and hashCode bootstrap through method handles the first
        // time they run, some milliseconds of jmck run's start-up (see docs/performance.md, Start-up).
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.offset == offset && k.file.equals(file);
        }

        @Override
        public int hashCode() {
            return file.hashCode() * 31 + Long.hashCode(offset);
        }
    }

    private static final long PAGE = FrameAllocator.PAGE_SIZE;

    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    /**
     * Guards both maps and the counters: address spaces on several cores may fault on the same file.
     * Lock order: this lock, then the frame allocator's (its methods are synchronized); the cache is never
     * called with the allocator's lock held.
     */
    private final Object lock = new Object();
    private final Map<Key, Long> pages = new HashMap<>();
    private final Map<Long, Key> owners = new HashMap<>();
    private long hits, misses;

    public PageCache(PhysicalMemory mem, FrameAllocator frames) {
        this.mem = mem;
        this.frames = frames;
    }

    /**
     * The frame that holds the page at offset (page-aligned) of file, read through source on first use,
     * with one more reference that the caller's mapping owns. Returns -1 if no frame is free.
     */
    long get(FileId file, long offset, Backing source) {
        Key key = new Key(file, offset);
        synchronized (lock) {
            Long frame = pages.get(key);
            if (frame != null) {
                frames.ref(frame, PAGE);
                hits++;
                return frame;
            }
            long pa = frames.allocate(0);
            if (pa < 0)
                return -1;
            if (frames.isDirty(pa, 0)) {
                mem.zero(pa, PAGE);
                frames.markClean(pa, 0);
            }
            source.fill(mem, pa, offset, PAGE);
            pages.put(key, pa);
            owners.put(pa, key);
            frames.ref(pa, PAGE); // the cache's own reference, and the caller's
            misses++;
            return pa;
        }
    }

    /**
     * The frame that holds the page at offset of file for its shared mappings (MAP_SHARED), which all
     * processes use, so that what one writes the others read at once, as on Linux. It is known by device
     * and inode only: a shared mapping's own write-back changes the file's time and size is not a change
     * of file for them. The caller's mapping owns one more reference; -1 if no frame is free.
     */
    long getShared(FileId file, long offset, Backing source) {
        return get(new FileId(file.device(), file.inode(), -1, -1), offset, source);
    }

    /** Whether frame is a page of the cache. */
    public boolean contains(long frame) {
        synchronized (lock) {
            return owners.containsKey(frame);
        }
    }

    /**
     * A mapping dropped its reference to frame: if frame is a cached page that only the cache holds now,
     * it leaves the cache and is freed (freed hears of it, as for any frame).
     */
    void released(long frame, FrameAllocator.FreedBlock freed) {
        synchronized (lock) {
            Key key = owners.get(frame);
            if (key == null || frames.refCount(frame) != 1)
                return;
            owners.remove(frame);
            pages.remove(key);
            frames.unref(frame, PAGE, freed);
        }
    }

    /** Pages cached now. */
    public long pages() {
        synchronized (lock) {
            return pages.size();
        }
    }

    /** Faults that found their page cached, and faults that read it from the file. */
    public long hits() {
        synchronized (lock) {
            return hits;
        }
    }

    public long misses() {
        synchronized (lock) {
            return misses;
        }
    }
}
