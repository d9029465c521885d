package jmck.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.IkcForwarder;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.AdaptiveSpin;
import jmck.ihk.ikc.IkcCall;
import jmck.ihk.ikc.IkcChannel;
import jmck.ihk.ikc.IkcFiles;
import jmck.ihk.ikc.SignalQueue;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * The proxy's side of delegation for a guest process and the processes it forks: for each, an IKC channel,
 * the process's file descriptors ({@link FdTable}) and the worker threads that run its delegated syscalls
 * on the host. mcexec runs one in its own process; jmck run runs one in the LWK's process, over the same
 * channels.
 *
 * <p>Workers come and go with the load, so that a thousand sleeping processes cost no host threads: a
 * process has none until the LWK posts a call on its channel and finds nobody serving it; then the LWK
 * rings the proxies' doorbell and this session's dispatcher starts one. A worker that takes a request
 * while no other waits starts another first, so a call that blocks on the host (a read from a pipe, a
 * wait) never holds up the next; a worker left with nothing to do for a second leaves. Of a process's
 * idle workers one at a time spins for the next request, the others sleep until a post finds nobody
 * spinning (see {@link #next}).
 */
public final class ProxySession {
    /** The most workers a process gets: one per IKC slot, as more could never be busy at once. */
    private static final int MAX_WORKERS = IkcForwarder.SLOTS;
    /** How often a call ended by an interrupt meant for another runs again before its EINTR is the answer. */
    private static final int MAX_SPURIOUS_EINTR = 16;
    static {
        HostSyscall.interruptWith(HostSyscall.SIG_INTERRUPT); // see interruptible()
    }
    /** How long a worker waits for a request before it leaves. */
    private static final long IDLE_NANOS = Long.getLong("jmck.proxy.idle", 1_000_000_000L);
    /** How long a waiting worker sleeps before it looks at the time again. */
    private static final long WAIT_NANOS = 50_000_000L;

    private final PhysicalMemory memory;
    private final Doorbell lwk;
    private final IkcFiles files;
    private final Map<Integer, Served> served = new ConcurrentHashMap<>();
    private final Set<java.lang.Thread> workers = ConcurrentHashMap.newKeySet();
    private java.lang.Thread dispatcher;
    private volatile boolean closed;
    private long calls, serviceNanos, zeroCopyBytes, bounceBytes;
    private int peakWorkers;

    /** One guest process being served. */
    private final class Served {
        final int pid;
        final IkcChannel channel;
        final FdTable fds;
        /** The process (until it exits) and each worker hold a reference; the last to let go closes the files. */
        final AtomicInteger refs = new AtomicInteger(1);
        final AtomicInteger started = new AtomicInteger();
        volatile boolean done;

        Served(int pid, IkcChannel channel, FdTable fds) {
            this.pid = pid;
            this.channel = channel;
            this.fds = fds;
        }

        /** Takes a reference, unless the last one is gone already. */
        boolean retain() {
            for (int r; (r = refs.get()) > 0; )
                if (refs.compareAndSet(r, r + 1))
                    return true;
            return false;
        }

        void release() {
            if (refs.decrementAndGet() == 0)
                fds.closeAll();
        }
    }

    /** A session over memory (already mapped here), ringing the LWK's doorbell, with the channels among files. */
    public ProxySession(PhysicalMemory memory, Doorbell lwk, IkcFiles files) {
        this.memory = memory;
        this.lwk = lwk;
        this.files = files;
    }

    /**
     * Starts serving process pid on its channel with fds as its file descriptors. Workers start on demand;
     * with startWorker one starts now, for the first process of a run, which will surely make a delegated
     * call: its thread then starts while the program loads instead of when the first call waits for it.
     */
    public void serve(int pid, IkcChannel channel, FdTable fds, boolean startWorker) {
        serve(pid, channel, fds);
        Served s = served.get(pid);
        if (startWorker && s != null)
            addWorker(s);
    }

    /** Starts serving process pid on its channel with fds as its file descriptors (workers start on demand). */
    public void serve(int pid, IkcChannel channel, FdTable fds) {
        Served s = new Served(pid, channel, fds);
        fds.setListingDirectory(files.directory().resolve("proc").resolve(Integer.toString(pid)));
        // (classes, not lambdas, here and for the threads below: on the start-up path, where linking a lambda
        // took 0.2-0.9 ms)
        fds.setOwner(pid, new FdSignals.Sink() {
            @Override
            public void post(SignalQueue.Posted p) {
                postSignal(p);
            }
        });
        fds.onRemove(new Runnable() { // the LWK's direct reads must not outlive an fd
            @Override
            public void run() {
                channel.bumpFdGeneration();
            }
        });
        served.put(pid, s);
        synchronized (this) {
            if (dispatcher == null) {
                dispatcher = new java.lang.Thread("proxy-dispatch") {
                    @Override
                    public void run() {
                        dispatch();
                    }
                };
                dispatcher.setDaemon(true);
                dispatcher.start();
            }
        }
        if (channel.takeWanted()) // posted before it was registered here
            addWorker(s);
    }

    /** The LWK's queue for the signals the host raises for guests' files (FdSignals), opened on first use. */
    private volatile SignalQueue signalQueue;

    private void postSignal(SignalQueue.Posted p) {
        SignalQueue q = signalQueue;
        if (q == null)
            synchronized (this) {
                if ((q = signalQueue) == null)
                    q = signalQueue = SignalQueue.open(files.signals());
            }
        q.post(p, lwk);
    }

    /** A forked child: it gets its own channel, and copies of its parent's files. */
    private void fork(int parent, int child) {
        Served p = served.get(parent);
        FdTable fds = p == null ? FdTable.withStdio() : p.fds.fork();
        serve(child, IkcChannel.open(files.channel(child)), fds);
    }

    /**
     * Process pid ended: its workers leave (one blocked in a host call leaves when the call returns), and
     * the last one out closes its files. Does not wait: the LWK's thread may be the caller.
     */
    public void exited(int pid) {
        Served s = served.remove(pid);
        if (s == null)
            return;
        RecordLocks.INSTANCE.exited(pid); // now, as Linux drops them before the parent hears of the exit
        RunningPrograms.INSTANCE.ended(s.fds); // likewise, its program may be written again
        s.done = true;
        s.channel.markExited();
        s.release();
    }

    /** Stops serving everyone; waits a moment for the workers to leave. */
    public void close() {
        for (Integer pid : new ArrayList<>(served.keySet()))
            exited(pid);
        closed = true;
        lwk.ringProxies(); // the dispatcher leaves
        long deadline = System.nanoTime() + 500_000_000L;
        for (java.lang.Thread t : new ArrayList<>(workers))
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
                return;
            }
    }

    /** The dispatcher: starts a worker for each channel the LWK posted on while nobody served it. */
    private void dispatch() {
        while (!closed) {
            int seen = lwk.proxyCount();
            for (Served s : served.values())
                if (s.channel.takeWanted())
                    addWorker(s);
            lwk.awaitProxies(seen, 1_000_000_000L);
        }
    }

    /** Starts one more worker for s, unless s has ended or has all the workers it may have. */
    private void addWorker(Served s) {
        if (s.done || !s.retain())
            return;
        if (s.channel.addWorkers(1) > MAX_WORKERS) {
            s.channel.addWorkers(-1);
            s.release();
            return;
        }
        s.channel.addIdle(1); // counted idle from now: a request posted while it starts is its to take
        java.lang.Thread t = new java.lang.Thread("proxy-" + s.pid + "-" + s.started.getAndIncrement()) {
            @Override
            public void run() {
                work(s);
            }
        };
        t.setDaemon(true);
        workers.add(t);
        synchronized (this) {
            peakWorkers = Math.max(peakWorkers, workers.size());
        }
        try {
            t.start();
        } catch (OutOfMemoryError e) { // the host has no thread to spare: the workers s has serve on
            workers.remove(t);
            s.channel.addIdle(-1);
            s.channel.addWorkers(-1);
            s.release();
        }
    }

    /**
     * A worker: claim a request, run it on the host, answer, ring the LWK; leave when idle or when the
     * process ends. It counts as idle (in the channel, where the LWK looks) from before it answers until it
     * claims the next request, so the LWK's next call finds it and no spare starts; when it claims a
     * request and sees another waiting with nobody idle, it asks the dispatcher for a spare, so that a call
     * that blocks on the host (a read from a pipe, a wait) never holds up the next.
     */
    private void work(Served s) {
        IkcChannel ch = s.channel;
        AdaptiveSpin spin = new AdaptiveSpin();
        DirectReadOffers offers = new DirectReadOffers();
        boolean spinning = false; // this worker holds the channel's spin for requests
        RemoteGuestMemory gm = null;
        HostCalls hc = null;
        // A worker that cannot be set up (jmck's bug, or a jar that does not match itself: a LinkageError)
        // still takes the requests and fails each, rather than leave the guest waiting for an answer
        Throwable broken = null;
        try {
            gm = new RemoteGuestMemory(memory, s.channel, lwk);
            hc = new HostCalls(gm, s.fds);
        } catch (RuntimeException | LinkageError e) {
            broken = e;
        }
        try {
            int hostTid = (int) HostSyscall.call(HostSyscall.SYS_GETTID, 0, 0, 0);
            while (true) {
                int slot = next(s, spin, spinning);
                spinning = false; // next has let go of it
                if (slot < 0)
                    break;
                ch.setWorker(slot, hostTid); // before the interrupt is looked at: the LWK reads them the other way round
                ch.addIdle(-1);
                if (ch.pending()) { // the LWK wrote a request, then read the count and the spin: one of us sees the other
                    if (ch.idle() == 0) {
                        ch.want();
                        lwk.ringProxies();
                    } else {
                        ch.wakeWorker(); // the post may have seen this worker spin and woken nobody
                    }
                }
                long began = System.nanoTime(), r;
                try {
                    r = broken != null ? internalError(s.channel.number(slot), broken) : run(s, gm, hc, offers, slot);
                } catch (RuntimeException | LinkageError e) { // jmck's bug: the call fails, rather than the guest waiting forever
                    r = internalError(s.channel.number(slot), e);
                } finally {
                    ch.addIdle(1); // before the answer, or the LWK's next call may find no one idle
                }
                ch.setWorker(slot, 0);
                FdSignals.INSTANCE.settle(); // what the call raised for an fd's owner reaches the LWK before the answer
                // The spin for the next request is taken before the answer: the LWK's next call, posted as soon
                // as it sees the answer, then finds a spinner and wakes no sleeping worker (a futex wake on the
                // core's path, and a third runnable thread beside the core and this worker).
                spinning = ch.startSpinning();
                if (ch.respond(slot, r)) // not while the posting core spins for it: it sees the answer itself
                    lwk.ring();
                synchronized (this) {
                    calls++;
                    serviceNanos += System.nanoTime() - began;
                }
            }
        } finally {
            if (spinning) // held between an answer and next, when something in between threw
                ch.stopSpinning();
            ch.addIdle(-1);
            if (hc != null)
                synchronized (this) {
                    zeroCopyBytes += hc.zeroCopyBytes();
                    bounceBytes += hc.bounceBytes();
                }
            workers.remove(java.lang.Thread.currentThread());
            // A request posted while this worker was leaving found it still counted idle: someone must take it.
            ch.addWorkers(-1);
            if (!s.done && !ch.exited() && ch.idle() == 0 && ch.pending()) {
                ch.want();
                lwk.ringProxies();
            }
            s.release();
        }
    }

    /**
     * Waits for a request and claims it; -1 if the process ended or none came for IDLE_NANOS. The worker
     * that just answered, its CPU and caches warm, spins first (see AdaptiveSpin), so that the answer to
     * one call and the next call of a guest that makes many cost no futex wake-up; then it sleeps. Only one
     * worker of a process spins at a time: the others sleep at once, and a post wakes one of them only
     * when nobody spins. (Spare workers that took turns at a lock made every call a thread wake-up, and a
     * third runnable thread beside the posting core and the spinner on this 2-CPU host.)
     */
    private int next(Served s, AdaptiveSpin spin, boolean spinHeld) {
        IkcChannel channel = s.channel;
        long began = System.nanoTime(), idleUntil = began + IDLE_NANOS;
        boolean spinning = spinHeld || channel.startSpinning(), slept = false;
        if (spinning)
            spin.start();
        try {
            int scanned = channel.requestCount() - 1; // the first look scans the slots
            while (!s.done && !channel.exited()) {
                int seen = channel.requestCount();
                if (seen != scanned || !spinning) { // a spinner scans only after a post (one bell ring each)
                    scanned = seen;
                    int slot = channel.claim();
                    if (slot >= 0) {
                        if (spinning)
                            spin.done();
                        else if (slept)
                            spin.waited(System.nanoTime() - began);
                        return slot;
                    }
                }
                if (spinning) {
                    if (spin.spin())
                        continue;
                    spinning = false;
                    channel.stopSpinning();
                    continue; // a post that saw the spin woke nobody: look again before sleeping
                }
                long left = idleUntil - System.nanoTime();
                if (left <= 0)
                    return -1;
                channel.awaitRequest(seen, Math.min(left, WAIT_NANOS));
                slept = true;
            }
            return -1;
        } finally {
            if (spinning)
                channel.stopSpinning(); // work() then looks for another request (see stopSpinning)
        }
    }

    /**
     * "N delegated calls (X us each in the proxy), B bytes moved in place, C bytes through bounce buffers,
     * at most W workers at once"
     */
    public synchronized String statistics() {
        return String.format("%d delegated calls (%.2f us each in the proxy), %d bytes moved in place, %d bytes through"
                + " bounce buffers, at most %d workers at once", calls, calls == 0 ? 0 : serviceNanos / 1e3 / calls,
                zeroCopyBytes, bounceBytes, peakWorkers);
    }

    /** Says in one line that serving call nr failed inside the proxy; returns -EIO for the guest. */
    private static long internalError(long nr, Throwable e) {
        StackTraceElement where = e.getStackTrace().length > 0 ? e.getStackTrace()[0] : null;
        System.err.printf("jmck: proxy: internal error serving %s (EIO to the guest): %s%s%n", IkcCall.describe(nr), e,
                where == null ? "" : " at " + where);
        return -Errno.EIO;
    }

    /** Runs the request in slot on the host; returns its result. */
    private long run(Served s, RemoteGuestMemory gm, HostCalls hc, DirectReadOffers offers, int slot) {
        IkcChannel channel = s.channel;
        long[] args = new long[6];
        long nr = channel.number(slot);
        for (int i = 0; i < 6; i++)
            args[i] = channel.arg(slot, i);
        gm.serve(slot);
        serving.set(gm);
        hc.umask = channel.umask(slot);
        hc.fds().setLimit(channel.nofile(slot));
        hc.channel = channel;
        hc.slot = slot;
        hc.fsuid = channel.fsuid(slot);
        hc.fsgid = channel.fsgid(slot);
        hc.capabilities = channel.capabilities(slot);
        hc.fileSizeLimit = channel.fileSizeLimit(slot);
        IkcCall pseudo = IkcCall.of(nr);
        if (pseudo == null) {
            Syscall call = Syscall.of(nr);
            if (call == null)
                return -Errno.ENOSYS;
            long r = interruptible(channel, slot, hc, call, args);
            if (r >= 0 && (call == Syscall.READ || call == Syscall.PREAD64))
                offers.offer(channel, slot, s.fds, args[0]);
            return r;
        }
        return switch (pseudo) {
            case OPEN_GENERATED -> openGenerated(hc, args[0], args[1] != 0);
            case MAPPABLE_FD -> hc.filesForLwk().mappableHostFd(args[0], args[1] != 0); // the LWK opens /proc/<this pid>/fd/<r> itself
            case OPEN_EXEC -> { // likewise; execveat gives a directory fd and flags
                boolean at = (args[2] & IkcForwarder.EXEC_AT) != 0;
                yield hc.filesForLwk().openExecutable(args[0], at ? (int) args[1] : -100, at ? (int) args[2] : 0);
            }
            case PATH_CALL -> pathCall(hc, args);
            case EXEC_DONE -> {
                if (hc.fds().execFile() >= 0) // the process runs that file now: it may not be written (ETXTBSY)
                    RunningPrograms.INSTANCE.exec(hc.fds(), hc.fds().execFile());
                hc.fds().closeOnExec();
                yield 0;
            }
            case FORK -> {
                fork(s.pid, (int) args[0]);
                yield 0;
            }
            case OPEN_LOCAL_FILE -> LocalFileCalls.open(s.fds, args[0], args[1], args[2], args[3]);
            case LOCAL_FILE_OF -> LocalFileCalls.of(s.fds, args[0], files.directory());
            case COPY_FD -> { // pidfd_getfd: another process's fd, close-on-exec here
                Served from = served.get((int) args[0]);
                yield from == null ? -Errno.ESRCH : from.fds.copyInto(s.fds, args[1], true, 0);
            }
            case COMPARE_FILES -> { // kcmp KCMP_FILE: both processes must be this proxy's to compare host fds
                Served a = served.get((int) args[0]), b = served.get((int) args[2]);
                yield a == null || b == null ? 3 : LocalFileCalls.compare(a.fds, args[1], b.fds, args[3]);
            }
        };
    }

    /**
     * Runs a delegated call that the LWK may interrupt: a signal for the guest thread that waits for it makes
     * the LWK mark the slot and send this worker {@link HostSyscall#SIG_INTERRUPT}, which ends a blocking
     * host call with EINTR (the LWK then restarts the call or fails it, as Linux does for its own). An EINTR
     * the slot did not ask for came from an interrupt meant for this worker's previous call (the LWK read the
     * worker's tid just before it finished): the call runs again. One asked for before the call started
     * does not end it: as on Linux, a signal fails only a call that sleeps (close and pipe never fail with
     * EINTR; a shell that got it from close left a pipe's end open and its pipeline hung), and a call that
     * does sleep is ended by the signal the LWK sends again while the call runs (HostCallInterrupts).
     */
    private static long interruptible(IkcChannel channel, int slot, HostCalls hc, Syscall call, long[] args) {
        for (int spurious = 0; ; spurious++) {
            long r = hc.execute(call, args);
            if (r != -Errno.EINTR || channel.interruptRequested(slot) || spurious == MAX_SPURIOUS_EINTR)
                return r;
        }
    }

    /** The guest memory (and IKC slot) of the request this worker thread is serving, for call-backs. */
    private final ThreadLocal<RemoteGuestMemory> serving = new ThreadLocal<>();

    /** IkcCall.PATH_CALL: the syscall, its path argument and the host path are in the token's file. */
    private long pathCall(HostCalls hc, long[] args) {
        String text;
        Path file = files.generated(args[5]);
        try {
            text = Files.readString(file);
            Files.deleteIfExists(file);
        } catch (IOException e) {
            return -Errno.EIO;
        }
        String[] parts = text.split(" ", 3);
        Syscall call = parts.length == 3 ? Syscall.of(Long.parseLong(parts[0])) : null;
        int pathArg = parts.length == 3 ? Integer.parseInt(parts[1]) : -1;
        if (call == null || pathArg < 0 || pathArg > 4)
            return -Errno.ENOSYS;
        args[5] = 0;
        return hc.executeWithPath(call, args, pathArg, parts[2]);
    }

    /**
     * A /proc file: an fd whose contents the LWK writes out when the guest first uses it (the worker then
     * serving that call calls back through its own slot).
     */
    private long openGenerated(HostCalls hc, long token, boolean writable) {
        Path file = files.generated(token);
        java.util.function.ToLongFunction<byte[]> writer = !writable ? null : bytes -> HostCalls.asProxyWhile(() -> {
            RemoteGuestMemory gm = serving.get(); // the worker now serving the write
            try {
                Files.write(files.written(token), bytes);
            } catch (IOException e) {
                return (long) -Errno.EIO;
            }
            return gm.channel().requestWrite(gm.slot(), token, lwk);
        });
        return hc.openContents("generated", new java.util.function.Supplier<byte[]>() { // a class: see serve
            @Override
            public byte[] get() {
                RemoteGuestMemory gm = serving.get(); // the worker serving the first use of the fd
                if (gm.channel().requestGenerate(gm.slot(), token, lwk) != 0)
                    return new byte[0];
                try {
                    byte[] b = Files.readAllBytes(file);
                    Files.deleteIfExists(file);
                    return b;
                } catch (IOException e) {
                    return new byte[0];
                }
            }
        }, writer);
    }
}
