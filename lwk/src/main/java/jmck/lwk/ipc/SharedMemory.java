package jmck.lwk.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.SharedPages;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * System V shared memory (ipc/shm.c) in the LWK's memory, as McKernel keeps it: a segment is
 * {@link SharedPages} whose frames every attached process maps. A segment's attach count is the number of
 * its mappings in live address spaces (fork and exit change it with no bookkeeping here); a removed
 * segment goes when the last one is detached. Synchronized on this.
 */
public final class SharedMemory {
    private static final int SHM_RDONLY = 010000, SHM_RND = 020000, SHM_REMAP = 040000, SHM_EXEC = 0100000;
    private static final int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3, SHM_LOCK = 11, SHM_UNLOCK = 12,
            SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15, IPC_64 = 0x100;
    private static final int SHM_DEST = 01000, SHM_LOCKED = 02000, CAP_IPC_LOCK = 14, SHM_HUGETLB = 04000;

    /** Whether the host has free huge pages for size bytes (SHM_HUGETLB segments need them). */
    private static boolean hugePagesFor(long size) {
        long free = 0, pageKb = 2048;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/meminfo"))) {
                if (line.startsWith("HugePages_Free:"))
                    free = Long.parseLong(line.substring(15).trim());
                if (line.startsWith("Hugepagesize:"))
                    pageKb = Long.parseLong(line.substring(13).replace("kB", "").trim());
            }
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
        return free * pageKb * 1024 >= size;
    }
    private static final long PAGE = FrameAllocator.PAGE_SIZE, SHMLBA = PAGE;

    private static final class Segment extends IpcObject {
        final long size;
        final SharedPages pages;
        final int cpid;
        long atime, dtime;
        int lpid;

        Segment(int key, int id, int seq, Process creator, int mode, long size, SharedPages pages) {
            super(key, id, seq, creator.credentials(), mode);
            this.size = size;
            this.pages = pages;
            this.cpid = creator.pid();
        }
    }

    private final IpcRegistry<Segment> segments = new IpcRegistry<>("shm");
    private final PhysicalMemory mem;
    private final FrameAllocator frames;
    /** The live processes, whose address spaces hold the attaches. */
    private final Supplier<Iterable<Process>> processes;

    public SharedMemory(PhysicalMemory mem, FrameAllocator frames, Supplier<Iterable<Process>> processes) {
        this.mem = mem;
        this.frames = frames;
        this.processes = processes;
    }

    public synchronized long shmget(Thread t, int key, long size, int flags) {
        long max = IpcLimits.value("shmmax", Long.MAX_VALUE), all = IpcLimits.value("shmall", Long.MAX_VALUE);
        boolean creates = key == IpcRegistry.IPC_PRIVATE || segments.byKey(key) == null;
        if (creates && (flags & IpcRegistry.IPC_CREAT) != 0 || key == IpcRegistry.IPC_PRIVATE) {
            if (size < 1 || size > max)
                return -Errno.EINVAL;
            if ((flags & SHM_HUGETLB) != 0 && !t.process().capabilities().has(CAP_IPC_LOCK)
                    && !t.process().credentials().inGroup(IpcLimits.vm("hugetlb_shm_group", 0)))
                return -Errno.EPERM;
            if ((flags & SHM_HUGETLB) != 0 && !hugePagesFor(size)) // hugetlbfs pages are the host's
                return -Errno.ENOMEM;
            long pages = 0;
            for (Segment s : segments.all())
                pages += (s.size + PAGE - 1) / PAGE;
            if (pages + (size + PAGE - 1) / PAGE > all)
                return -Errno.ENOSPC;
        }
        return segments.get(t.process(), key, flags, (int) IpcLimits.value("shmmni", 4096),
                (k, id, seq) -> new Segment(k, id, seq, t.process(), flags, size,
                        new SharedPages(mem, frames, size, String.format("/SYSV%08x", k), id)),
                id -> size > segments.byId(id).size ? (long) -Errno.EINVAL : 0L);
    }

    public synchronized long shmat(Thread t, int id, long addr, int flags) {
        Segment s = segments.byId(id);
        if (s == null)
            return -Errno.EINVAL;
        if ((addr & (SHMLBA - 1)) != 0) {
            if ((flags & SHM_RND) == 0)
                return -Errno.EINVAL;
            addr &= -SHMLBA;
        }
        boolean readOnly = (flags & SHM_RDONLY) != 0;
        if (!s.allows(t.process(), readOnly ? 0444 : 0666))
            return -Errno.EACCES;
        int prot = Mman.PROT_READ | (readOnly ? 0 : Mman.PROT_WRITE) | ((flags & SHM_EXEC) != 0 ? Mman.PROT_EXEC : 0);
        int mapFlags = Mman.MAP_SHARED;
        if (addr != 0)
            mapFlags |= (flags & SHM_REMAP) != 0 ? Mman.MAP_FIXED : Mman.MAP_FIXED_NOREPLACE;
        else if ((flags & SHM_REMAP) != 0)
            return -Errno.EINVAL;
        long r = t.process().mm().mmap(addr, s.size, prot, mapFlags, s.pages, 0);
        if (r == -Errno.EEXIST)
            return -Errno.EINVAL;
        if (r >= 0) {
            s.atime = IpcObject.now();
            s.lpid = t.process().pid();
        }
        return r;
    }

    /** shmdt: the segment attached at addr (the mapping that starts there) goes from this address space. */
    public synchronized long shmdt(Thread t, long addr) {
        if ((addr & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        Vma first = mm.find(addr);
        if (first == null || first.start() != addr || !(first.backingIs(SharedPages.class)) || first.offset() != 0)
            return -Errno.EINVAL;
        Segment s = segmentOf(first);
        long end = addr + ((s == null ? first.end() - addr : s.size) + PAGE - 1) / PAGE * PAGE;
        mm.munmap(addr, end - addr);
        if (s != null) {
            s.dtime = IpcObject.now();
            s.lpid = t.process().pid();
            collect();
        }
        return 0;
    }

    /**
     * remap_file_pages is about to map [start, start+size) of v, a mapping of a segment, again: false if the
     * segment is removed (or gone) and that range was its last attach. The range is then unmapped and the
     * segment freed, as Linux's munmap-then-mmap leaves them.
     */
    public synchronized boolean remapping(Thread t, Vma v, long start, long size) {
        Segment s = segmentOf(v);
        if (s != null && (s.mode & SHM_DEST) == 0)
            return true;
        t.process().mm().munmap(start, size);
        if (s == null)
            return false;
        collect();
        return segmentOf(v) != null;
    }

    private Segment segmentOf(Vma v) {
        for (Segment s : segments.all())
            if (v.backingIs(s.pages))
                return s;
        return null;
    }

    /** How many mappings of s start its attach in live address spaces. */
    private long attaches(Segment s) {
        long n = 0;
        for (Process p : processes.get()) {
            if (p.ended())
                continue;
            for (Vma v : p.mm().vmas())
                if (v.backingIs(s.pages) && v.offset() == 0)
                    n++;
        }
        return n;
    }

    /** /proc/sysvipc/shm (ipc/shm.c's sysvipc_shm_proc_show). */
    public synchronized String procListing() {
        StringBuilder b = new StringBuilder("       key      shmid perms                  size  cpid  lpid nattch   uid   gid"
                + "  cuid  cgid      atime      dtime      ctime                   rss                  swap\n");
        for (Segment s : segments.all())
            b.append(String.format("%10d %10d  %4o %21d %5d %5d  %5d %5d %5d %5d %5d %10d %10d %10d %21d %21d%n", s.key, s.id,
                    s.mode, s.size, s.cpid, s.lpid, attaches(s), s.uid, s.gid, s.cuid, s.cgid, s.atime, s.dtime, s.ctime,
                    s.pages.residentBytes(), 0));
        return b.toString();
    }

    /** Frees removed segments no one has attached any more. */
    public synchronized void collect() {
        for (Segment s : segments.all())
            if ((s.mode & SHM_DEST) != 0 && attaches(s) == 0) {
                segments.remove(s);
                s.pages.release();
            }
    }

    public synchronized long shmctl(Thread t, int id, int cmd, long buf) {
        cmd &= ~IPC_64;
        Process p = t.process();
        AddressSpace mm = p.mm();
        if (cmd == IPC_INFO || cmd == SHM_INFO) {
            ByteBuffer b = ByteBuffer.allocate(cmd == IPC_INFO ? 72 : 48).order(ByteOrder.LITTLE_ENDIAN);
            if (cmd == IPC_INFO) { // struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall
                long mni = IpcLimits.value("shmmni", 4096);
                b.putLong(0, IpcLimits.unsigned("shmmax", -1L << 24)).putLong(8, 1).putLong(16, mni).putLong(24, mni)
                        .putLong(32, IpcLimits.unsigned("shmall", -1L << 24));
            } else { // struct shm_info: used_ids, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes
                long tot = 0, rss = 0;
                for (Segment s : segments.all()) {
                    tot += (s.size + PAGE - 1) / PAGE;
                    rss += s.pages.residentBytes() / PAGE;
                }
                b.putInt(0, segments.count()).putLong(8, tot).putLong(16, rss);
            }
            mm.copyOut(buf, b.array());
            return segments.highestIndex();
        }
        Segment s = cmd == SHM_STAT || cmd == SHM_STAT_ANY ? segments.byIndex(id) : segments.byId(id);
        if (s == null)
            return -Errno.EINVAL;
        switch (cmd) {
            case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY: {
                if (cmd != SHM_STAT_ANY && !s.allows(p, 0444))
                    return -Errno.EACCES;
                ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
                s.putPerm(b);
                b.putShort(20, (short) s.mode); // with SHM_DEST and SHM_LOCKED
                b.putLong(48, s.size).putLong(56, s.atime).putLong(64, s.dtime).putLong(72, s.ctime)
                        .putInt(80, s.cpid).putInt(84, s.lpid).putLong(88, attaches(s));
                mm.copyOut(buf, b.array());
                return cmd == IPC_STAT ? 0 : s.id;
            }
            case IPC_SET: {
                ByteBuffer b = ByteBuffer.wrap(mm.copyIn(buf, 112)).order(ByteOrder.LITTLE_ENDIAN);
                if (!s.ownedBy(p))
                    return -Errno.EPERM;
                s.setPerm(b);
                return 0;
            }
            case IPC_RMID:
                if (!s.ownedBy(p))
                    return -Errno.EPERM;
                s.mode |= SHM_DEST;
                segments.forgetKey(s); // a new shmget with its key makes a new segment
                collect();
                return 0;
            case SHM_LOCK:
            case SHM_UNLOCK:
                if (!p.capabilities().has(CAP_IPC_LOCK) && !s.ownedBy(p))
                    return -Errno.EPERM;
                s.mode = cmd == SHM_LOCK ? s.mode | SHM_LOCKED : s.mode & ~SHM_LOCKED;
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }
}
