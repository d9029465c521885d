package jmck.lwk.mm;

import jmck.lwk.abi.Mman;

/**
 * A virtual memory area: [start, end) with one protection, one backing and one page-size limit, like
 * McKernel's vm_range and Linux's vm_area_struct. Pages inside it are reserved, not populated: the first
 * touch faults them in (see {@link PageFaultHandler}).
 */
public final class Vma {
    /** Changed only through {@link VmaTree}, which keeps its index of the free gaps in step. */
    long start;
    long end;
    int prot;
    final boolean shared;
    final boolean growsDown;
    final Backing backing;
    /** Offset in the backing of start. */
    long offset;
    /** "[heap]", "[stack]", a file's path, or null. */
    final String name;
    /** The largest page the fault handler may use here (SMALL in teaching mode or after MADV_NOHUGEPAGE). */
    PageSize maxPage;
    /** mlock state: 0, or LOCKED, with ON_FAULT for mlock2(MLOCK_ONFAULT) (Linux's VM_LOCKED, VM_LOCKONFAULT). */
    int lock;
    public static final int LOCKED = 1, ON_FAULT = 2;
    /** What fork does with it: copy (0), or MADV_WIPEONFORK's and MADV_DONTFORK's bits. */
    int onFork;
    static final int WIPE_ON_FORK = 1, DONT_FORK = 2;
    /** mseal(2): the VMA's extent and protection can no longer change ({@link Seals}). */
    boolean sealed;
    /** Every page is a guard page: an access faults ({@link GuardPages}). */
    boolean guarded;
    /** The memory policy mbind gave the range, or null (the default). */
    MemoryPolicy policy;
    /** The userfaultfd registration that catches its faults, or null ({@link UserfaultPages}). */
    UserfaultRange userfault;

    Vma(long start, long end, int prot, boolean shared, boolean growsDown, Backing backing, long offset, String name,
            PageSize maxPage) {
        this.start = start;
        this.end = end;
        this.prot = prot;
        this.shared = shared;
        this.growsDown = growsDown;
        this.backing = backing;
        this.offset = offset;
        this.name = name;
        this.maxPage = maxPage;
    }

    /** Whether the VMA maps backing (the same object). */
    public boolean backingIs(Backing b) {
        return backing == b;
    }

    /** Whether the VMA maps a backing of that kind. */
    public boolean backingIs(Class<? extends Backing> kind) {
        return kind.isInstance(backing);
    }

    /** The part of this VMA from at to its end, as a new VMA; this one keeps [start, at). */
    Vma splitAt(long at) {
        Vma upper = new Vma(at, end, prot, shared, growsDown, backing, offset + (at - start), name, maxPage);
        upper.lock = lock;
        upper.onFork = onFork;
        upper.sealed = sealed;
        upper.guarded = guarded;
        upper.policy = policy;
        upper.userfault = userfault;
        end = at;
        return upper;
    }

    public long start() {
        return start;
    }

    public long end() {
        return end;
    }

    public int prot() {
        return prot;
    }

    public boolean shared() {
        return shared;
    }

    /** A stack that grows down on faults below it (MAP_GROWSDOWN, the main stack). */
    public boolean growsDown() {
        return growsDown;
    }

    public String name() {
        return name;
    }

    public Backing backing() {
        return backing;
    }

    /** Offset in the backing (the file) of start. */
    public long offset() {
        return offset;
    }

    /** Whether mlock, mlockall or MAP_LOCKED locked it. */
    public boolean locked() {
        return (lock & LOCKED) != 0;
    }

    public boolean sealed() {
        return sealed;
    }

    public boolean contains(long va) {
        return va >= start && va < end;
    }

    public boolean readable() {
        return (prot & Mman.PROT_READ) != 0;
    }

    public boolean writable() {
        return (prot & Mman.PROT_WRITE) != 0;
    }

    public boolean executable() {
        return (prot & Mman.PROT_EXEC) != 0;
    }

    /** "r-xp" as /proc/self/maps shows it. */
    public String permissions() {
        return (readable() ? "r" : "-") + (writable() ? "w" : "-") + (executable() ? "x" : "-") + (shared ? "s" : "p");
    }

    /**
     * One /proc/self/maps line (Linux's show_map_vma layout), without the newline; label names an anonymous
     * mapping ([heap], [stack]) or is null.
     */
    public String mapsLine(String label) {
        StringBuilder b = new StringBuilder(96);
        hex(b, start, 8).append('-');
        hex(b, end, 8).append(' ').append(permissions()).append(' ');
        hex(b, backing.anonymous() ? 0 : offset, 8).append(' ').append(backing.device()).append(' ')
                .append(backing.inode()).append(' ');
        if (label == null)
            label = backing.path();
        if (label == null)
            return b.toString();
        while (b.length() < 72)
            b.append(' ');
        return b.append(' ').append(label).toString();
    }

    /**
     * Appends v in lower-case hex, zero-padded to digits, as %0<i>N</i>x would: a program's first read of
     * its maps (glibc's pthread_getattr_np, Rust's start-up) otherwise paid String.format's first use,
     * some milliseconds of parsing and, for %d, loading the default locale's digits.
     */
    static StringBuilder hex(StringBuilder b, long v, int digits) {
        String h = Long.toHexString(v);
        for (int i = h.length(); i < digits; i++)
            b.append('0');
        return b.append(h);
    }

    /** A short description for fault events: "[heap] 0x4c8000-0x4ea000 rw-p". */
    public String describe() {
        String label = name != null ? name : backing.path() != null ? backing.path() : "anon";
        return String.format("%s %#x-%#x %s", label, start, end, permissions());
    }

    @Override
    public String toString() {
        return describe();
    }
}
