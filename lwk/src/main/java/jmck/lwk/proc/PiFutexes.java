package jmck.lwk.proc;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;

/**
 * Priority-inheritance futexes (FUTEX_LOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI; Linux's futex/pi.c): the
 * lock word holds the owner's tid, FUTEX_WAITERS once someone sleeps on it, and FUTEX_OWNER_DIED after a
 * robust owner died. User space takes and releases a free lock with a compare-and-swap and comes here only
 * under contention; the kernel then hands the lock straight to the next sleeper, so a released PI lock is
 * never free for a moment. jmck's scheduler is round-robin without priorities, so there is no priority to
 * lend the owner: what a program can see is the ownership protocol, which this keeps.
 *
 * <p>Guarded by the futex lock (the {@link Futexes} monitor), like the other futex queues. Guest code on
 * other cores changes the word too (a free lock's compare-and-swap), so the word changes here are
 * compare-and-swaps; once FUTEX_WAITERS is set, every change goes through the kernel.
 */
public final class PiFutexes {
    static final int FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
    /** lock's answer when the caller sleeps until the lock is handed to it. */
    public static final long WAIT = 1;

    /** A sleeper and its wait's number, with its own view of the word (sharing processes map it anywhere). */
    private record Waiter(Thread thread, long seq, AddressSpace mm, long uaddr) implements Futexes.Sleeper {}

    private final Object lock;
    /** @GuardedBy("lock") */
    private final Map<Futexes.Key, ArrayDeque<Waiter>> queues = new HashMap<>();

    PiFutexes(Object lock) {
        this.lock = lock;
    }

    /**
     * FUTEX_LOCK_PI and FUTEX_TRYLOCK_PI for t: takes the lock if no one holds it (keeping FUTEX_OWNER_DIED,
     * for the robust mutex code to see) and returns 0; EDEADLK if t holds it; EAGAIN if mayWait is false;
     * else sets FUTEX_WAITERS, blocks t (block gives the wait's number) and returns WAIT.
     */
    public long lock(Thread t, AddressSpace mm, long uaddr, Futexes.Key key, boolean mayWait, LongSupplier block) {
        int tid = t.tid();
        synchronized (lock) {
            while (true) {
                int word = mm.readInt(uaddr), owner = word & FUTEX_TID_MASK;
                if (owner == 0) {
                    int mine = (word & FUTEX_OWNER_DIED) | tid | (waiting(key) ? FUTEX_WAITERS : 0);
                    if (mm.compareAndSetInt(uaddr, word, mine))
                        return 0;
                    continue; // changed meanwhile: look again
                }
                if (owner == tid)
                    return -Errno.EDEADLK;
                if (!mayWait)
                    return -Errno.EAGAIN;
                if ((word & FUTEX_WAITERS) == 0 && !mm.compareAndSetInt(uaddr, word, word | FUTEX_WAITERS))
                    continue; // the owner let go in user space meanwhile
                long seq = block.getAsLong();
                ArrayDeque<Waiter> q = queues.get(key); // (not computeIfAbsent's lambda: see Futexes.queue)
                if (q == null)
                    queues.put(key, q = new ArrayDeque<>());
                q.addLast(new Waiter(t, seq, mm, uaddr));
                return WAIT;
            }
        }
    }

    /** Takes t off the queue it sleeps on (its wait ended otherwise: a timeout, a signal). */
    public void remove(Thread t, Futexes.Key key) {
        synchronized (lock) {
            ArrayDeque<Waiter> q = queues.get(key);
            if (q == null)
                return;
            Futexes.removeWaits(q, t);
            if (q.isEmpty())
                queues.remove(key);
        }
    }

    /**
     * FUTEX_UNLOCK_PI for t: EPERM unless t owns the lock; the lock goes to the first sleeper, whose tid the
     * word then holds (with FUTEX_WAITERS, as Linux sets it) and whose wait waker ends with 0, or the word
     * becomes 0.
     */
    public long unlock(Thread t, AddressSpace mm, long uaddr, Futexes.Key key, Futexes.Waker waker) {
        synchronized (lock) {
            int word = mm.readInt(uaddr);
            if ((word & FUTEX_TID_MASK) != t.tid())
                return -Errno.EPERM;
            if (!handOver(key, 0, waker))
                mm.writeInt(uaddr, 0); // FUTEX_WAITERS is set or t held it: no one else changes it now
            return 0;
        }
    }

    /**
     * Gives the lock to the first sleeper on key whose wait waker can still end (the word gets its tid,
     * FUTEX_WAITERS and the flags in keep, before it runs); false if none. The word is written before the
     * wake: a sleeper whose wait ended meanwhile (a timeout) cannot return to user mode before its cancel
     * has taken the futex lock, and by then the word names the next one.
     */
    private boolean handOver(Futexes.Key key, int keep, Futexes.Waker waker) {
        ArrayDeque<Waiter> q = queues.get(key);
        boolean given = false;
        while (q != null && !q.isEmpty() && !given) {
            Waiter w = q.pollFirst();
            if (w.thread.state != Thread.State.BLOCKED || w.thread.waitSeq() != w.seq)
                continue;
            try {
                w.mm.writeInt(w.uaddr, w.thread.tid() | FUTEX_WAITERS | keep);
            } catch (BadAddressException e) {
                continue;
            }
            given = waker.wakeIfWaiting(w.thread, w.seq, 0);
        }
        if (q != null && q.isEmpty())
            queues.remove(key);
        return given;
    }

    private boolean waiting(Futexes.Key key) {
        ArrayDeque<Waiter> q = queues.get(key);
        return q != null && !q.isEmpty();
    }

    /**
     * t is ending: every PI lock with sleepers that t still owns, or whose owner died (its robust list set
     * FUTEX_OWNER_DIED and cleared the owner), goes to its first sleeper, FUTEX_OWNER_DIED kept so that a
     * robust mutex reports EOWNERDEAD (Linux's exit_pi_state_list). A lock no sleeper can take keeps its word.
     */
    public void ownerExited(Thread t, Futexes.Waker waker) {
        synchronized (lock) {
            for (Futexes.Key key : new ArrayList<>(queues.keySet())) {
                Waiter first = queues.get(key).peekFirst();
                try {
                    int word = first.mm.readInt(first.uaddr), owner = word & FUTEX_TID_MASK;
                    if ((owner == t.tid() || owner == 0 && (word & FUTEX_OWNER_DIED) != 0)
                            && !handOver(key, word & FUTEX_OWNER_DIED, waker))
                        first.mm.writeInt(first.uaddr, word);
                } catch (BadAddressException e) {
                    // the sleeper's memory is going too
                }
            }
        }
    }

    /** Drops every sleeper of p (it ended). */
    void forget(Process p) {
        synchronized (lock) {
            Futexes.removeWaitsOf(queues, p);
        }
    }
}
