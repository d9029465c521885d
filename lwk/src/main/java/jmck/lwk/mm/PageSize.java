package jmck.lwk.mm;

/** The page sizes the LWK maps: 4 KiB leaves in page tables, 2 MiB leaves in page directories. */
public enum PageSize {
    SMALL(12, 0, 1),
    LARGE(21, FrameAllocator.LARGE_ORDER, 2);

    public final int shift;
    public final long bytes;
    /** Buddy order of one page. */
    public final int order;
    /** Page-table level of the leaf: 1 = PT, 2 = PD. */
    public final int level;

    PageSize(int shift, int order, int level) {
        this.shift = shift;
        this.bytes = 1L << shift;
        this.order = order;
        this.level = level;
    }

    public long alignDown(long va) {
        return va & -bytes;
    }

    @Override
    public String toString() {
        return this == SMALL ? "4K" : "2M";
    }
}
