package jmck.lwk.mm;

import jmck.lwk.abi.Errno;
import jmck.lwk.arch.Pte;
import jmck.lwk.mm.FaultOutcome.Access;

/**
 * The memory side of userfaultfd (Linux's fs/userfaultfd.c and mm/userfaultfd.c): registering VMAs with a
 * userfaultfd ({@link UserfaultRange}), deciding whether a user-mode page fault is the userfaultfd's to answer
 * ({@link #intercept}), and the ioctls that answer it by filling pages: UFFDIO_COPY, ZEROPAGE, MOVE, CONTINUE,
 * WRITEPROTECT and POISON. Registered VMAs use 4 KiB pages, the unit these ioctls work in. Every method
 * takes the mm lock. Faults the kernel takes on user memory (a syscall's buffer) are not caught: they fill
 * the page as if no userfaultfd were there (Linux would make the syscall wait too).
 */
public final class UserfaultPages {
    private static final long PAGE = FrameAllocator.PAGE_SIZE;
    /** uffd_msg.arg.pagefault.flags. */
    public static final long FLAG_WRITE = 1, FLAG_WP = 2, FLAG_MINOR = 4;

    /** A fault the userfaultfd answers: its registration and the message's flags; {@link #POISONED} raises SIGBUS. */
    public record Catch(UserfaultRange range, long flags) {}

    public static final Catch POISONED = new Catch(null, -1);

    /** Runs under the mm lock when a fault is caught, so that no answer can come between the check and the wait. */
    public interface Catcher {
        void caught(Catch c);
    }

    private UserfaultPages() {}

    /**
     * A user-mode fault at va: the userfaultfd's catch (then told of it under the mm lock), {@link #POISONED},
     * or null if the fault is the ordinary handler's: no registration, a closed userfaultfd, an access the
     * VMA forbids (SIGSEGV), or a fault of a kind the registration does not ask for.
     */
    public static Catch intercept(AddressSpace as, long va, Access access, Catcher then) {
        synchronized (as) {
            Vma v = as.vmas.find(va);
            UserfaultRange r = v == null ? null : v.userfault;
            if (r == null || r.closed)
                return null;
            long page = va & -PAGE;
            if (r.poisoned.contains(page))
                return POISONED;
            boolean allowed = access == Access.WRITE ? v.writable() : access == Access.EXEC ? v.executable()
                    : v.readable() || v.writable() || v.executable();
            if (!allowed)
                return null;
            long flags = access == Access.WRITE ? FLAG_WRITE : 0;
            Catch c = null;
            if (!as.pageTable.walk(va).mapped()) {
                boolean fileShared = v.shared && v.backing.fileId() != null;
                if ((r.modes & UserfaultRange.MINOR) != 0 && fileShared)
                    c = new Catch(r, flags | FLAG_MINOR);
                else if ((r.modes & UserfaultRange.MISSING) != 0)
                    c = new Catch(r, flags);
            } else if (access == Access.WRITE && (r.modes & UserfaultRange.WP) != 0 && r.writeProtected.contains(page)) {
                c = new Catch(r, flags | FLAG_WP);
            }
            if (c != null)
                then.caught(c);
            return c;
        }
    }

    // ---- registering ----

    /**
     * UFFDIO_REGISTER of [start, end) (page-aligned) with r: every page must be mapped, no part registered
     * with another open userfaultfd (EBUSY), and MINOR needs shared file memory (EINVAL otherwise).
     */
    public static long register(AddressSpace as, long start, long end, UserfaultRange r) {
        synchronized (as) {
            for (long va = start; va < end; ) {
                Vma v = as.vmas.find(va);
                if (v == null)
                    return -Errno.EINVAL;
                if (v.userfault != null && !v.userfault.closed && v.userfault.owner != r.owner)
                    return -Errno.EBUSY;
                if ((r.modes & UserfaultRange.MINOR) != 0 && !v.shared)
                    return -Errno.EINVAL;
                va = v.end;
            }
            as.vmas.splitAt(start);
            as.vmas.splitAt(end);
            for (long va = PageSize.LARGE.alignDown(start); va < end; va += PageSize.LARGE.bytes)
                smallPageAt(as, va);
            for (Vma v : as.vmas.startingIn(start, end)) {
                v.userfault = r;
                v.maxPage = PageSize.SMALL;
            }
            as.shootdown();
            return 0;
        }
    }

    /** UFFDIO_UNREGISTER: the parts of [start, end) that owner registered fault as any others again. */
    public static long unregister(AddressSpace as, long start, long end, Object owner) {
        synchronized (as) {
            for (long va = start; va < end; ) {
                Vma v = as.vmas.find(va);
                if (v == null)
                    return -Errno.EINVAL;
                va = v.end;
            }
            as.vmas.splitAt(start);
            as.vmas.splitAt(end);
            for (Vma v : as.vmas.startingIn(start, end))
                if (v.userfault != null && (v.userfault.owner == owner || v.userfault.closed))
                    v.userfault = null;
            return 0;
        }
    }

    // ---- answering faults ----

    /**
     * UFFDIO_COPY: the len bytes at src (whole pages, read as the kernel reads user memory) become the missing
     * pages from dst on, write-protected if wp. Returns the bytes copied, or -errno if none was: ENOENT outside
     * owner's registered VMAs, EEXIST for a page already there, EFAULT for an unreadable src, ENOMEM.
     */
    public static long copy(AddressSpace as, Object owner, long dst, long src, long len, boolean wp) {
        return fill(as, owner, dst, src, len, wp);
    }

    /** UFFDIO_ZEROPAGE: the missing pages of [start, start+len) become zero pages; as {@link #copy}. */
    public static long zero(AddressSpace as, Object owner, long start, long len) {
        return fill(as, owner, start, -1, len, false);
    }

    /** copy from src, or zero pages if src is -1. */
    private static long fill(AddressSpace as, Object owner, long dst, long src, long len, boolean wp) {
        synchronized (as) {
            long done = 0;
            byte[] data = src == -1 ? null : new byte[(int) PAGE];
            for (long off = 0; off < len; off += PAGE) {
                long va = dst + off;
                long e = fillable(as, owner, va, UserfaultRange.MISSING);
                if (e >= 0 && data != null)
                    try {
                        as.copyIn(src + off, data, 0, data.length);
                    } catch (BadAddressException x) {
                        e = -Errno.EFAULT;
                    }
                long frame = e < 0 ? -1 : as.pages.allocateFrame(PageSize.SMALL);
                if (e >= 0 && frame < 0)
                    e = -Errno.ENOMEM;
                if (e < 0)
                    return done > 0 ? done : e;
                if (data != null)
                    as.memory().write(frame, data, 0, data.length);
                Vma v = as.vmas.find(va);
                as.pages.mapFrame(va, frame, PageSize.SMALL, v);
                if (wp)
                    protect(as, v, va, true);
                done += PAGE;
            }
            return done;
        }
    }

    /**
     * UFFDIO_MOVE: the pages of [src, src+len) move to the missing pages at dst (their frames change place;
     * src's become missing). A src page shared with another mapping (after fork) is EBUSY; a src hole is
     * ENOENT unless allowHoles. Returns the bytes moved or -errno.
     */
    public static long move(AddressSpace as, Object owner, long dst, long src, long len, boolean allowHoles) {
        synchronized (as) {
            long done = 0;
            for (long off = 0; off < len; off += PAGE) {
                long d = dst + off, s = src + off;
                long e = fillable(as, owner, d, UserfaultRange.MISSING);
                Vma sv = as.vmas.find(s);
                if (e >= 0 && (sv == null || sv.shared))
                    e = -Errno.EINVAL;
                if (e >= 0)
                    smallPageAt(as, s);
                Walk w = e >= 0 ? as.pageTable.walk(s) : null;
                if (w != null && !w.mapped()) {
                    if (allowHoles) {
                        done += PAGE;
                        continue;
                    }
                    e = -Errno.ENOENT;
                }
                long frame = w == null ? -1 : Pte.address(w.leaf());
                if (e >= 0 && as.frames().refCount(frame) > 1)
                    e = -Errno.EBUSY;
                if (e < 0) {
                    as.shootdown();
                    return done > 0 ? done : e;
                }
                as.memory().putLong(w.tables()[w.depth() - 1] + 8L * w.indices()[w.depth() - 1], 0);
                as.pageTable.map(d, frame, PageSize.SMALL, UserPages.leafFlags(as.vmas.find(d)));
                done += PAGE;
            }
            as.shootdown();
            return done;
        }
    }

    /** UFFDIO_CONTINUE: the missing pages of [start, start+len) map their page cache pages; as {@link #copy}. */
    public static long continueMinor(AddressSpace as, Object owner, long start, long len) {
        synchronized (as) {
            long done = 0;
            for (long va = start; va < start + len; va += PAGE) {
                long e = fillable(as, owner, va, UserfaultRange.MINOR);
                if (e >= 0 && !PageFaultHandler.handle(as, va, Access.READ, false).resolved())
                    e = -Errno.ENOMEM;
                if (e < 0)
                    return done > 0 ? done : e;
                done += PAGE;
            }
            return done;
        }
    }

    /**
     * UFFDIO_POISON: touching the missing pages of [start, start+len) raises SIGBUS from now on; as
     * {@link #copy}.
     */
    public static long poison(AddressSpace as, Object owner, long start, long len) {
        synchronized (as) {
            long done = 0;
            for (long va = start; va < start + len; va += PAGE) {
                long e = fillable(as, owner, va, UserfaultRange.MISSING);
                if (e < 0)
                    return done > 0 ? done : e;
                as.vmas.find(va).userfault.poisoned.add(va);
                done += PAGE;
            }
            return done;
        }
    }

    /**
     * UFFDIO_WRITEPROTECT: the present pages of [start, start+len) become write-protected (on) or writable
     * again as their VMA allows. ENOENT unless owner registered every page in WP mode.
     */
    public static long writeProtect(AddressSpace as, Object owner, long start, long len, boolean on) {
        synchronized (as) {
            for (long va = start; va < start + len; ) {
                Vma v = as.vmas.find(va);
                if (v == null || v.userfault == null || v.userfault.owner != owner
                        || (v.userfault.modes & UserfaultRange.WP) == 0)
                    return -Errno.ENOENT;
                va = v.end;
            }
            for (long va = start; va < start + len; va += PAGE) {
                smallPageAt(as, va);
                if (as.pageTable.walk(va).mapped())
                    protect(as, as.vmas.find(va), va, on);
            }
            as.shootdown();
            return 0;
        }
    }

    // ---- helpers, under the mm lock ----

    /** 0 if va is a missing page of a VMA owner registered in mode; else ENOENT, or EEXIST for a present page. */
    private static long fillable(AddressSpace as, Object owner, long va, int mode) {
        Vma v = as.vmas.find(va);
        if (v == null || v.userfault == null || v.userfault.owner != owner || (v.userfault.modes & mode) == 0)
            return -Errno.ENOENT;
        if (mode == UserfaultRange.MISSING && v.shared)
            return -Errno.EINVAL; // shared memory's pages live in its backing: not filled here
        return as.pageTable.walk(va).mapped() ? -Errno.EEXIST : 0;
    }

    /** Write-protects the present page at va (clears RW, marks it) or lifts that (RW again unless copy-on-write). */
    private static void protect(AddressSpace as, Vma v, long va, boolean on) {
        Walk w = as.pageTable.walk(va);
        long slot = w.tables()[w.depth() - 1] + 8L * w.indices()[w.depth() - 1];
        long leaf = w.leaf();
        if (on) {
            v.userfault.writeProtected.add(va);
            leaf &= ~Pte.RW;
        } else {
            v.userfault.writeProtected.remove(va);
            if (v.writable() && (leaf & Pte.COW) == 0)
                leaf |= Pte.RW;
        }
        as.memory().putLong(slot, as.pageTable.settle(leaf));
    }

    /** A 2 MiB page over va becomes 4 KiB pages. */
    private static void smallPageAt(AddressSpace as, long va) {
        as.pages.splitLargeLeafAt(PageSize.LARGE.alignDown(va) + PAGE);
    }
}
