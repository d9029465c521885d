package jmck.lwk.mm;

/** The partition has no free frame for a page or a page table. Becomes ENOMEM or an out-of-memory kill. */
public final class OutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutOfMemoryException() {
        super("out of physical memory", null, false, false);
    }
}
