package jmck.lwk.proc;

import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;

/**
 * A thread's robust futex list, walked when the thread ends (Linux's exit_robust_list): every lock word on
 * it that still names the thread as owner gets FUTEX_OWNER_DIED, and one waiter is woken, so the next
 * pthread_mutex_lock of a robust mutex returns EOWNERDEAD instead of waiting for ever. The list lives in
 * user memory, set by set_robust_list: a struct robust_list_head {next, futex_offset, list_op_pending}
 * whose circular list of entries each sit futex_offset bytes before their lock word; bit 0 of a pointer
 * marks a priority-inheritance futex.
 */
public final class RobustList {
    static final int FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
    /** Linux's ROBUST_LIST_LIMIT: a list that loops (or is garbage) is walked no further than this. */
    private static final int LIMIT = 2048;

    private RobustList() {}

    /**
     * Releases what t held on its robust list and forgets the list; a waiter to wake goes to waker. A list
     * that cannot be read is walked as far as it can be, as Linux does: the thread is dying either way.
     */
    public static void release(Thread t, Futexes futexes, Futexes.Waker waker) {
        long head = t.robustList();
        t.setRobustList(0, 0);
        if (head == 0)
            return;
        AddressSpace mm = t.process().mm();
        try {
            long entry = mm.readLong(head), offset = mm.readLong(head + 8), pending = mm.readLong(head + 16);
            for (int n = 0; (entry & ~1L) != head && n < LIMIT; n++) {
                long next;
                try {
                    next = mm.readLong(entry & ~1L);
                } catch (BadAddressException e) {
                    next = -1; // handle this entry, then stop
                }
                if (entry != pending && !ownerDied(mm, (entry & ~1L) + offset, t.tid(), (entry & 1) != 0, false,
                        futexes, waker))
                    return;
                if (next == -1)
                    return;
                entry = next;
            }
            if (pending != 0)
                ownerDied(mm, (pending & ~1L) + offset, t.tid(), (pending & 1) != 0, true, futexes, waker);
        } catch (BadAddressException e) {
            // the head is gone: nothing more to release
        }
    }

    /**
     * Linux's handle_futex_death for the lock word at uaddr: if tid owns it, mark the owner dead (keeping the
     * waiters bit) and take one waiter to wake. A pending entry (a lock being taken or released when the
     * thread died) whose word is 0 wakes one waiter too, so none sleeps on a lock nobody holds. False stops
     * the walk (a misaligned or unreachable word).
     */
    private static boolean ownerDied(AddressSpace mm, long uaddr, int tid, boolean pi, boolean pending,
            Futexes futexes, Futexes.Waker waker) {
        if ((uaddr & 3) != 0)
            return false;
        try {
            int word;
            do { // a compare-and-swap: guest code on other cores may set FUTEX_WAITERS meanwhile
                word = mm.readInt(uaddr);
                if (pending && !pi && word == 0) {
                    futexes.wake(Futexes.keyOf(mm, uaddr), 1, Futexes.ANY, waker);
                    return true;
                }
                if ((word & FUTEX_TID_MASK) != tid)
                    return true;
            } while (!mm.compareAndSetInt(uaddr, word, (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED));
            if (!pi && (word & FUTEX_WAITERS) != 0) // a PI lock goes to its next sleeper (PiFutexes.ownerExited)
                futexes.wake(Futexes.keyOf(mm, uaddr), 1, Futexes.ANY, waker);
            return true;
        } catch (BadAddressException e) {
            return false;
        }
    }
}
