package jmck.lwk.proc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The futex wait queues of an LWK instance (Linux's kernel/futex, McKernel's futex.c). A queue is named by
 * a {@link Key}: the address space and virtual address for private memory, the physical address for
 * shared memory, as Linux's get_futex_key does.
 *
 * <p>One lock guards every queue: this object's monitor, Linux's hash-bucket lock with a single bucket.
 * FUTEX_WAIT holds it while it reads the futex word, compares and blocks, and FUTEX_WAKE while it takes
 * waiters, so no wake-up falls between a waiter's compare and its sleep, whichever core each runs on. It
 * comes after the task lock and before the mm locks in the lock order (package-info). A waiter is queued
 * with the number of its wait: a wait that ended meanwhile (a timeout, a signal, a kill) leaves a stale
 * entry that wakes skip and its thread removes on its way back to user mode.
 *
 * <p>The number of queued waits is also kept in a word of host memory that the cores' syscall hooks read
 * ({@link #waitersWord}): while it is 0 a FUTEX_WAKE_PRIVATE finds nobody, and in parallel mode the hook
 * answers it without coming here, as Linux's futex_wake returns before the bucket lock when no waiter is
 * hashed. A wait is counted before its futex word is read ({@link #announceWait}), so a wake the hook
 * answers came before the read and the waiter sees the word it changed.
 */
public final class Futexes {
    /**
     * A futex's identity: space is the AddressSpace for private memory, null for shared (address is
     * physical). Its equals and hashCode are written out: a record's are made at their first call by
     * java.lang.runtime.ObjectMethods, 10-20 ms of a threaded program's first futex call.
     */
    public record Key(Object space, long address) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.space == space && k.address == address;
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(space) + Long.hashCode(address);
        }
    }

    /** All bits: FUTEX_WAIT and FUTEX_WAKE match every waiter. */
    public static final int ANY = -1;

    /**
     * Ends a waiter's wait, if it is still wait number seq, with result (0, or the index futex_waitv returns);
     * whether it did. The kernel's Scheduler is one, passed as it is: a lambda at each call site cost that
     * site's first call 1-2 ms of linking (a program's first futex wake, every exit).
     */
    public interface Waker {
        boolean wakeIfWaiting(Thread t, long seq, long result);
    }

    /** One queued wait; a futex_waitv is one per futex, each with its index and the keys of all of them. */
    private record Waiter(Thread thread, int bitset, long seq, long result, Key[] group) implements Sleeper {}

    /** A queued sleeper, a futex's (here) or a PI futex's (PiFutexes): the queues' upkeep below serves both. */
    interface Sleeper {
        Thread thread();
    }

    /** @GuardedBy("this") */
    private final Map<Key, ArrayDeque<Waiter>> queues = new HashMap<>();
    /**
     * The waits queued or announced, as a 32-bit word the syscall hooks read (jmck_uc.c answer_futex_wake):
     * changed under this lock, read without it. Too high is only slower (every wake comes here); 0 with a
     * waiter queued would lose a wake-up.
     */
    private final ByteBuffer waiters = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private final PiFutexes pi = new PiFutexes(this);

    /** The priority-inheritance futexes' sleepers (FUTEX_LOCK_PI), under the same lock: the kernel hands their locks over. */
    public PiFutexes pi() {
        return pi;
    }

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

    /**
     * key's queue, made if missing. (Written out, as removeWaits: computeIfAbsent and removeIf would take
     * lambdas, each linked at its first call, 1-4 ms of a threaded program's first futex calls.)
     */
    private ArrayDeque<Waiter> queue(Key key) {
        ArrayDeque<Waiter> q = queues.get(key);
        if (q == null)
            queues.put(key, q = new ArrayDeque<>());
        return q;
    }

    /** Takes t's waits off q; how many. */
    static <W extends Sleeper> int removeWaits(ArrayDeque<W> q, Thread t) {
        int n = 0;
        for (Iterator<W> it = q.iterator(); it.hasNext(); )
            if (it.next().thread() == t) {
                it.remove();
                n++;
            }
        return n;
    }

    /** Takes the waits of p's threads off every queue, and the queues left empty out of queues; how many. */
    static <W extends Sleeper> int removeWaitsOf(Map<?, ArrayDeque<W>> queues, Process p) {
        int n = 0;
        for (Iterator<ArrayDeque<W>> qs = queues.values().iterator(); qs.hasNext(); ) {
            ArrayDeque<W> q = qs.next();
            for (Iterator<W> ws = q.iterator(); ws.hasNext(); )
                if (ws.next().thread().process() == p) {
                    ws.remove();
                    n++;
                }
            if (q.isEmpty())
                qs.remove();
        }
        return n;
    }

    /** The address of the waiter count the cores' syscall hooks read (see the class comment). */
    public long waitersWord() {
        return jmck.emulator.host.HostMemory.address(waiters);
    }

    /** The waiter count as the hooks see it. */
    public int waitersCounted() {
        return (int) WORD.getVolatile(waiters, 0);
    }

    /**
     * Counts n waits about to compare their futex words, before the words are read: a wake answered without
     * this lock (the hooks) then either came before, and the reads see its change, or sees the count. Under
     * this lock; then {@link #enqueue}/{@link #enqueueAll} take the count over, or {@link #withdrawWait}
     * gives it back (the word changed, a timeout, a fault).
     */
    public void announceWait(int n) {
        WORD.getAndAdd(waiters, 0, n); // a full fence, as the hook's
    }

    /** Gives back the count of n announced waits that were not queued. */
    public void withdrawWait(int n) {
        WORD.getAndAdd(waiters, 0, -n);
    }

    /** Queues t's wait number seq (announced) on key, to be woken by a wake whose bitset shares a bit with bitset. */
    public synchronized void enqueue(Key key, Thread t, int bitset, long seq) {
        queue(key).addLast(new Waiter(t, bitset, seq, 0, null));
        t.futexKey = key;
    }

    /** futex_waitv: queues t's wait number seq (announced for each key) on every key; a wake on keys[i] ends it with result i. */
    public synchronized void enqueueAll(Key[] keys, Thread t, long seq) {
        for (int i = 0; i < keys.length; i++)
            queue(keys[i]).addLast(new Waiter(t, ANY, seq, i, keys));
        t.futexKey = null;
    }

    /** Takes t off every queue of keys (its futex_waitv ended, by a wake on one of them or otherwise). */
    public synchronized void removeAll(Thread t, Key[] keys) {
        for (Key key : keys) {
            ArrayDeque<Waiter> q = queues.get(key);
            if (q == null)
                continue;
            withdrawWait(removeWaits(q, t));
            if (q.isEmpty())
                queues.remove(key);
        }
    }

    /** Takes t off the queue it waits on (its wait ended otherwise: a signal, a timeout). */
    public synchronized void remove(Thread t) {
        Key key = t.futexKey;
        t.futexKey = null;
        ArrayDeque<Waiter> q = key == null ? null : queues.get(key);
        if (q == null)
            return;
        withdrawWait(removeWaits(q, t));
        if (q.isEmpty())
            queues.remove(key);
    }

    /**
     * Wakes up to n waiters on key whose bitset matches, oldest first, each through waker (which ends the
     * wait under the thread's lock, unless it ended otherwise meanwhile: that one is dropped, not counted).
     * Returns how many woke.
     */
    public synchronized int wake(Key key, int n, int bitset, Waker waker) {
        int woken = 0;
        ArrayDeque<Waiter> q = queues.get(key);
        if (q == null)
            return 0;
        java.util.List<Waiter> groups = new java.util.ArrayList<>(); // woken futex_waitv: off their other queues after
        for (Iterator<Waiter> it = q.iterator(); it.hasNext() && woken < n; ) {
            Waiter w = it.next();
            if (!stillWaiting(w)) {
                it.remove(); // a wait that ended meanwhile, or a waiter whose process died
                withdrawWait(1);
                continue;
            }
            if ((w.bitset & bitset) == 0)
                continue;
            it.remove();
            withdrawWait(1);
            if (w.thread.futexKey == key)
                w.thread.futexKey = null;
            if (waker.wakeIfWaiting(w.thread, w.seq, w.result))
                woken++;
            if (w.group != null)
                groups.add(w);
        }
        if (q.isEmpty())
            queues.remove(key);
        for (Waiter w : groups)
            removeAll(w.thread, w.group);
        return woken;
    }

    private static boolean stillWaiting(Waiter w) {
        return w.thread.state == Thread.State.BLOCKED && w.thread.waitSeq() == w.seq;
    }

    /** FUTEX_REQUEUE's second half: moves up to n waiters from one queue to the back of another; returns how many. */
    public synchronized int requeue(Key from, Key to, int n) {
        int moved = 0;
        ArrayDeque<Waiter> q = queues.get(from);
        if (q == null || from.equals(to))
            return moved;
        while (!q.isEmpty() && moved < n) {
            Waiter w = q.pollFirst();
            if (!stillWaiting(w)) {
                withdrawWait(1);
                continue;
            }
            queue(to).addLast(w);
            w.thread.futexKey = to;
            moved++;
        }
        if (q.isEmpty())
            queues.remove(from);
        return moved;
    }

    /**
     * Drops every waiter of p (it ended with threads asleep on futexes). (Loops, not removeIf with lambdas:
     * this first runs at a program's end, where linking them took 0.5-1 ms.)
     */
    public synchronized void forget(Process p) {
        pi.forget(p);
        withdrawWait(removeWaitsOf(queues, p));
    }

    /** Threads waiting, over all queues (for tests and `ihk status`). */
    public synchronized int waiters() {
        int n = 0;
        for (ArrayDeque<Waiter> q : queues.values())
            n += q.size();
        return n;
    }
}
