package jmck.proxy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.ikc.SignalQueue;

/**
 * Signals for an fd's owner (F_SETOWN, F_SETSIG): the host raises them for a file (O_ASYNC when it is ready,
 * F_NOTIFY when a watched directory changes, a lease break) and sends them to the owner of the open file,
 * which on the host is this proxy, holding every guest's files. So the owner and signal the guest sets are
 * kept here, by host fd (per open file, as Linux keeps them: a forked table shares its host fds, see
 * HostFds); a host fd whose file can raise such a signal is armed: its host owner becomes a thread of this
 * proxy that waits for {@link #FD_SIG} with si_fd and si_band (F_SETOWN_EX F_OWNER_TID, F_SETSIG), and
 * passes each to the LWK ({@link SignalQueue}) for the guest owner with the guest's signal and fd.
 *
 * <p>A call that raises such a signal for its own process (a chmod in a directory it watches) must find
 * it pending when it returns, as on Linux: while any fd is armed, a worker {@link #settle settles} after
 * each call, sending the thread {@link #SYNC_SIG} and waiting until it has taken it; real-time signals are
 * taken lowest first, so every FD_SIG the call raised has been passed on by then. One per proxy process.
 */
final class FdSignals {
    static final FdSignals INSTANCE = new FdSignals();

    /** What the host sends the proxy's thread for an armed fd, and what a worker settles with: real-time
     * signals neither the JVM nor libc use (HostSyscall.SIG_INTERRUPT is 62). */
    static final int FD_SIG = 60, SYNC_SIG = 61;
    private static final int SIGIO = 29, SYS_RT_SIGPROCMASK = 14, SYS_RT_SIGACTION = 13, SYS_RT_SIGTIMEDWAIT = 128,
            SYS_RT_TGSIGQUEUEINFO = 297, SYS_FCNTL = 72, SYS_GETTID = 186, SIG_BLOCK = 0, F_SETSIG = 10,
            F_SETOWN_EX = 15, F_OWNER_TID = 0, F_OWNER_PID = 1, SI_QUEUE = -1;
    private static final long SETTLE_NANOS = 200_000_000L;

    /** Where a table's signals go: the LWK's queue, posted by the proxy session serving it. */
    interface Sink {
        void post(SignalQueue.Posted p);
    }

    /** The guest's settings for one open file (by host fd): F_SETOWN(_EX), F_SETSIG, and where its signals go. */
    private static final class Owner {
        int type = F_OWNER_PID, pid, signal, guestFd = -1;
        Sink sink;
        boolean armed;
    }

    private final Map<Integer, Owner> owners = new HashMap<>();
    /** Host fds armed and not closed: workers settle only while there are some. */
    private final AtomicInteger armed = new AtomicInteger();
    private final Set<Long> settled = new HashSet<>();
    private long settles;
    private volatile int tid;

    private FdSignals() {}

    /** F_SETOWN and F_SETOWN_EX for guest fd g (host fd h): {type, pid}. */
    synchronized void setOwner(int h, int g, int type, int pid) {
        Owner o = owners.computeIfAbsent(h, k -> new Owner());
        o.type = type;
        o.pid = pid;
        o.guestFd = g;
    }

    /** {type, pid} of F_SETOWN(_EX) of host fd h; {F_OWNER_PID, 0} if none was set. */
    synchronized int[] owner(int h) {
        Owner o = owners.get(h);
        return o == null ? new int[] {F_OWNER_PID, 0} : new int[] {o.type, o.pid};
    }

    synchronized void setSignal(int h, int sig) {
        owners.computeIfAbsent(h, k -> new Owner()).signal = sig;
    }

    synchronized int signal(int h) {
        Owner o = owners.get(h);
        return o == null ? 0 : o.signal;
    }

    /** dup: the new host fd to of the same open file gets from's settings (Linux keeps them with the file). */
    synchronized void copy(int from, int to) {
        Owner o = owners.get(from);
        if (o == null)
            return;
        Owner n = owners.computeIfAbsent(to, k -> new Owner());
        n.type = o.type;
        n.pid = o.pid;
        n.signal = o.signal;
        n.sink = o.sink;
    }

    /** Host fd h closed (its last table entry went) or names another file now: its settings go. */
    synchronized void forget(int h) {
        Owner o = owners.remove(h);
        if (o != null && o.armed)
            armed.decrementAndGet();
    }

    /**
     * F_NOTIFY and F_SETLEASE make process pid the owner of host fd h's file if it has none, as on Linux;
     * true if it did.
     */
    synchronized boolean ownIfNone(int h, int pid) {
        Owner o = owners.computeIfAbsent(h, k -> new Owner());
        if (o.pid != 0)
            return false;
        o.type = F_OWNER_PID;
        o.pid = pid;
        return true;
    }

    /**
     * Guest fd g (host fd h) may raise signals now (O_ASYNC, F_NOTIFY, F_SETLEASE): the host sends them to
     * this proxy's thread, which passes them to sink. Returns 0 or -errno.
     */
    long arm(int h, int g, Sink sink) {
        int thread = thread();
        if (thread <= 0)
            return -12; // ENOMEM: no thread to take them
        HostBuffer ex = HostBuffer.allocate(8);
        ex.setInt(0, F_OWNER_TID);
        ex.setInt(4, thread);
        long r = HostSyscall.call(SYS_FCNTL, h, F_SETOWN_EX, ex.address());
        java.lang.ref.Reference.reachabilityFence(ex); // the calls read the buffers by address only
        if (r == 0)
            r = HostSyscall.call(SYS_FCNTL, h, F_SETSIG, FD_SIG);
        if (r < 0)
            return r;
        synchronized (this) {
            Owner o = owners.computeIfAbsent(h, k -> new Owner());
            o.guestFd = g;
            o.sink = sink;
            if (!o.armed) {
                o.armed = true;
                armed.incrementAndGet();
            }
        }
        return 0;
    }

    /**
     * After a delegated call, while any fd is armed: waits until the signals the call raised for armed fds
     * have been passed to the LWK (see the class comment). Returns at once otherwise.
     */
    void settle() {
        if (armed.get() == 0 || tid <= 0)
            return;
        long token;
        synchronized (this) {
            token = ++settles;
        }
        HostBuffer info = HostBuffer.allocate(128);
        info.clear(128);
        info.setInt(0, SYNC_SIG);
        info.setInt(8, SI_QUEUE);
        info.setInt(16, (int) HostSyscall.pid());
        info.setLong(24, token); // si_value
        long queued = HostSyscall.call(SYS_RT_TGSIGQUEUEINFO, HostSyscall.pid(), tid, SYNC_SIG, info.address(), 0, 0);
        java.lang.ref.Reference.reachabilityFence(info);
        if (queued < 0)
            return;
        long deadline = System.nanoTime() + SETTLE_NANOS;
        synchronized (this) {
            while (!settled.remove(token)) {
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    return;
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    java.lang.Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The host tid of the thread that takes the signals, started on first use; 0 if it cannot start. */
    private synchronized int thread() {
        if (tid != 0)
            return tid;
        java.lang.Thread t = new java.lang.Thread(this::take, "proxy-fd-signals");
        t.setDaemon(true);
        t.start();
        while (tid == 0)
            try {
                wait(10);
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
                return 0;
            }
        return tid;
    }

    private static long bit(int sig) {
        return 1L << (sig - 1);
    }

    /**
     * The thread: it blocks its signals (a blocked signal is queued for it even though the process ignores
     * it) and takes them one at a time, lowest first.
     */
    private void take() {
        HostBuffer set = HostBuffer.allocate(8);
        set.setLong(0, bit(FD_SIG) | bit(SYNC_SIG) | bit(SIGIO));
        HostSyscall.call(SYS_RT_SIGPROCMASK, SIG_BLOCK, set.address(), 0, 8, 0, 0);
        ignore(FD_SIG); // sent to the process rather than this thread, they would end it
        ignore(SYNC_SIG);
        synchronized (this) {
            tid = (int) HostSyscall.call(SYS_GETTID, 0, 0, 0);
            notifyAll();
        }
        HostBuffer info = HostBuffer.allocate(128);
        while (true) {
            long sig = HostSyscall.call(SYS_RT_SIGTIMEDWAIT, set.address(), info.address(), 0, 8, 0, 0);
            if (sig == FD_SIG)
                pass(info.getInt(24), info.getInt(8), info.getLong(16));
            else if (sig == SYNC_SIG)
                synchronized (this) {
                    settled.add(info.getLong(24));
                    notifyAll();
                }
            // SIGIO: the host's fallback when FD_SIG could not be queued; it names no fd
        }
    }

    private static void ignore(int sig) {
        HostBuffer act = HostBuffer.allocate(32);
        act.clear(32);
        act.setLong(0, 1); // SIG_IGN
        HostSyscall.call(SYS_RT_SIGACTION, sig, act.address(), 0, 8, 0, 0);
        java.lang.ref.Reference.reachabilityFence(act);
    }

    /** Host fd h raised a signal with si_code and si_band: its guest owner gets the guest's signal. */
    private void pass(int h, int code, long band) {
        SignalQueue.Posted p;
        Sink sink;
        synchronized (this) {
            Owner o = owners.get(h);
            if (o == null || o.pid == 0 || o.sink == null)
                return; // no owner: Linux sends nothing
            p = new SignalQueue.Posted(o.signal, code, o.guestFd, band, o.type, o.pid);
            sink = o.sink;
        }
        sink.post(p);
    }
}
