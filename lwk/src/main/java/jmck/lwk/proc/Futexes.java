package jmck.lwk.proc;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The futex wait queues of an LWK instance (Linux's kernel/futex, McKernel's futex.c). A queue is named by
 * a {@link Key}: the address space and virtual address for private memory, the physical address for
 * shared memory, as Linux's get_futex_key does. Waking takes threads off a queue; the caller makes them
 * runnable. Every operation runs on the kernel's one thread, between slices, so the read-compare-block of
 * FUTEX_WAIT is atomic with respect to every emulated core.
 */
public final class Futexes {
    /** A futex's identity: space is the AddressSpace for private memory, null for shared (address is physical). */
    public record Key(Object space, long address) {}

    /** All bits: FUTEX_WAIT and FUTEX_WAKE match every waiter. */
    public static final int ANY = -1;

    private record Waiter(Thread thread, int bitset) {}

    private final Map<Key, ArrayDeque<Waiter>> queues = new HashMap<>();

    /**
     * The futex queue for the word at va (Linux's get_futex_key): private memory is named by address space
     * and address, shared memory by physical address, so that processes sharing a page meet on it. Throws
     * {@link jmck.lwk.mm.BadAddressException} if va is not mapped.
     */
    public static Key keyOf(jmck.lwk.mm.AddressSpace mm, long va) {
        jmck.lwk.mm.Vma v = mm.find(va);
        if (v == null || !v.shared())
            return new Key(mm, va);
        long pa = mm.resolve(va, false);
        if (pa < 0)
            throw new jmck.lwk.mm.BadAddressException(jmck.lwk.abi.Errno.EFAULT);
        return new Key(null, pa);
    }

    /** Queues t on key, to be woken by a wake whose bitset shares a bit with bitset. */
    public void enqueue(Key key, Thread t, int bitset) {
        queues.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(new Waiter(t, bitset));
        t.futexKey = key;
    }

    /** Takes t off the queue it waits on (its wait ended otherwise: a signal, a timeout). */
    public void remove(Thread t) {
        Key key = t.futexKey;
        t.futexKey = null;
        ArrayDeque<Waiter> q = key == null ? null : queues.get(key);
        if (q == null)
            return;
        q.removeIf(w -> w.thread == t);
        if (q.isEmpty())
            queues.remove(key);
    }

    /** Takes up to n waiters whose bitset matches off key's queue, oldest first, and returns them. */
    public List<Thread> take(Key key, int n, int bitset) {
        List<Thread> woken = new ArrayList<>();
        ArrayDeque<Waiter> q = queues.get(key);
        if (q == null)
            return woken;
        for (Iterator<Waiter> it = q.iterator(); it.hasNext() && woken.size() < n; ) {
            Waiter w = it.next();
            if (!w.thread.alive() || w.thread.state() != Thread.State.BLOCKED) {
                it.remove(); // a waiter whose process died meanwhile
                continue;
            }
            if ((w.bitset & bitset) == 0)
                continue;
            it.remove();
            w.thread.futexKey = null;
            woken.add(w.thread);
        }
        if (q.isEmpty())
            queues.remove(key);
        return woken;
    }

    /** FUTEX_REQUEUE's second half: moves up to n waiters from one queue to the back of another; returns how many. */
    public int requeue(Key from, Key to, int n) {
        int moved = 0;
        ArrayDeque<Waiter> q = queues.get(from);
        if (q == null || from.equals(to))
            return moved;
        while (!q.isEmpty() && moved < n) {
            Waiter w = q.pollFirst();
            if (!w.thread.alive())
                continue;
            enqueue(to, w.thread, w.bitset);
            moved++;
        }
        if (q.isEmpty())
            queues.remove(from);
        return moved;
    }

    /** Drops every waiter of p (it ended with threads asleep on futexes). */
    public void forget(Process p) {
        queues.values().removeIf(q -> {
            q.removeIf(w -> w.thread.process() == p);
            return q.isEmpty();
        });
    }

    /** Threads waiting, over all queues (for tests and `ihk status`). */
    public int waiters() {
        int n = 0;
        for (ArrayDeque<Waiter> q : queues.values())
            n += q.size();
        return n;
    }
}
