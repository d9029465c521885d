package jmck.lwk.mm;

import java.util.HashSet;
import java.util.Set;

/**
 * A userfaultfd registration of some VMAs (Linux's vm_userfaultfd_ctx with the VM_UFFD_* flags): which
 * userfaultfd answers their faults, for which kinds of fault, and the per-page marks the ioctls leave
 * (write protection, poison), kept here rather than in PTE bits. A VMA split keeps the same range on both
 * halves; a VMA unmapped takes its registration with it; fork does not copy it (no UFFD_FEATURE_EVENT_FORK).
 * Guarded by the mm lock of the address space whose VMAs hold it.
 */
public final class UserfaultRange {
    /** UFFDIO_REGISTER's modes. */
    public static final int MISSING = 1, WP = 2, MINOR = 4;
    /** The userfaultfd (a jmck.lwk.file.UserfaultFile: this package does not know files). */
    public final Object owner;
    public final int modes;
    /** Pages (by address) that UFFDIO_WRITEPROTECT protected: a write to one is the owner's fault. */
    final Set<Long> writeProtected = new HashSet<>();
    /** Pages UFFDIO_POISON poisoned: touching one raises SIGBUS. */
    final Set<Long> poisoned = new HashSet<>();
    /** Set when the userfaultfd is closed: its VMAs fault as any others again. */
    volatile boolean closed;

    public UserfaultRange(Object owner, int modes) {
        this.owner = owner;
        this.modes = modes;
    }

    /** The userfaultfd was closed (Linux's userfaultfd_release unregisters its ranges). */
    public void close() {
        closed = true;
    }
}
