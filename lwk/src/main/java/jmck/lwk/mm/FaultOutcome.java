package jmck.lwk.mm;

/**
 * What the fault handler decided about one page fault: the faulting address and access, the VMA it fell
 * in (null if none), the decision, and the frame and page size it mapped (frame -1 when nothing was mapped).
 */
public record FaultOutcome(long address, Access access, boolean present, Vma vma, Decision decision, long frame,
        PageSize pageSize) {

    /** The kind of access that faulted, from the #PF error code. */
    public enum Access {
        READ, WRITE, EXEC;

        public String lower() {
            return name().toLowerCase();
        }
    }

    /** The handler's decisions. The first six resume the instruction; the others raise a signal. */
    public enum Decision {
        /** A fresh frame was allocated, filled and mapped. */
        MAPPED,
        /** The page cache's frame of a file page was mapped, read-only and copy-on-write (shared). */
        CACHED,
        /** The stack VMA grew down to cover the address, then a frame was mapped. */
        STACK_GROWN,
        /** A write to a copy-on-write page: the page was copied (or taken over) and made writable. */
        COW_COPIED,
        /** A write to a shared file page that write-back had made clean and read-only: writable (dirty) again. */
        REDIRTIED,
        /** The page was already mapped as needed: a stale TLB entry, now flushed. */
        SPURIOUS,
        /** No VMA covers the address: SIGSEGV with SEGV_MAPERR. */
        SEGV_MAPERR,
        /** A VMA covers the address but forbids this access: SIGSEGV with SEGV_ACCERR. */
        SEGV_ACCERR,
        /** A page of a file mapping wholly past the file's end: SIGBUS with BUS_ADRERR. */
        BUS_ADRERR,
        /** No free frame: the process is killed, as Linux's OOM killer would. */
        OUT_OF_MEMORY;

        public boolean resolved() {
            return ordinal() <= SPURIOUS.ordinal();
        }
    }

    public boolean resolved() {
        return decision.resolved();
    }
}
