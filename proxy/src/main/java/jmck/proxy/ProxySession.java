package jmck.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import jmck.emulator.PhysicalMemory;
import jmck.ihk.IkcForwarder;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * The proxy's side of delegation for a guest process and the processes it forks: for each, an IKC channel,
 * the process's file descriptors ({@link FdTable}) and a few worker threads that run its delegated syscalls
 * on the host (so that one blocked read does not stop a write). mcexec runs one in its own process; jmck
 * run runs one in the LWK's process, over the same channels.
 */
public final class ProxySession {
    private static final int WORKERS_PER_PROCESS = 4;

    private final PhysicalMemory memory;
    private final Doorbell lwk;
    private final Path generatedDirectory;
    private final Map<Integer, Served> served = new ConcurrentHashMap<>();
    private long calls, serviceNanos, zeroCopyBytes, bounceBytes;

    /** One guest process being served. */
    private final class Served {
        final int pid;
        final IkcChannel channel;
        final FdTable fds;
        final List<java.lang.Thread> workers = new ArrayList<>();
        final List<HostCalls> calls = new ArrayList<>();
        /** Only one worker at a time waits for the doorbell: it spins before it sleeps (leader/follower). */
        final ReentrantLock waiter = new ReentrantLock();
        volatile boolean done;

        Served(int pid, IkcChannel channel, FdTable fds) {
            this.pid = pid;
            this.channel = channel;
            this.fds = fds;
            for (int i = 0; i < WORKERS_PER_PROCESS; i++) {
                RemoteGuestMemory gm = new RemoteGuestMemory(memory, channel, lwk);
                HostCalls hc = new HostCalls(gm, fds);
                calls.add(hc);
                java.lang.Thread t = new java.lang.Thread(() -> work(this, gm, hc), "proxy-" + pid + "-" + i);
                t.setDaemon(true);
                workers.add(t);
            }
        }
    }

    /** A session over memory (already mapped here), ringing the LWK's doorbell, with generated files in a directory. */
    public ProxySession(PhysicalMemory memory, Doorbell lwk, Path generatedDirectory) {
        this.memory = memory;
        this.lwk = lwk;
        this.generatedDirectory = generatedDirectory;
    }

    /** Starts serving process pid on its channel with fds as its file descriptors. */
    public void serve(int pid, IkcChannel channel, FdTable fds) {
        Served s = new Served(pid, channel, fds);
        served.put(pid, s);
        for (java.lang.Thread t : s.workers)
            t.start();
    }

    /** A forked child: its channel is at file; its files are copies of its parent's. */
    public void fork(int parent, int child, Path channel) {
        Served p = served.get(parent);
        FdTable fds = p == null ? FdTable.withStdio() : p.fds.fork();
        serve(child, IkcChannel.open(channel), fds);
    }

    /** Process pid ended: its workers stop and its files close. */
    public void exited(int pid) {
        Served s = served.remove(pid);
        if (s == null)
            return;
        s.done = true;
        s.channel.markExited();
        for (java.lang.Thread t : s.workers)
            try {
                t.join(200);
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
            }
        synchronized (this) {
            for (HostCalls hc : s.calls) {
                zeroCopyBytes += hc.zeroCopyBytes;
                bounceBytes += hc.bounceBytes;
            }
        }
        s.fds.closeAll();
    }

    /** Stops serving everyone. */
    public void close() {
        for (Integer pid : new ArrayList<>(served.keySet()))
            exited(pid);
    }

    /** "N delegated calls (X us each in the proxy), B bytes moved in place, C bytes through bounce buffers" */
    public synchronized String statistics() {
        return String.format("%d delegated calls (%.2f us each in the proxy), %d bytes moved in place, %d bytes through"
                + " bounce buffers", calls, calls == 0 ? 0 : serviceNanos / 1e3 / calls, zeroCopyBytes, bounceBytes);
    }

    /** A worker: claim a request, run it on the host, answer, ring the LWK. */
    private void work(Served s, RemoteGuestMemory gm, HostCalls hc) {
        IkcChannel channel = s.channel;
        long[] args = new long[6];
        while (!s.done && !channel.exited()) {
            int slot;
            s.waiter.lock();
            try {
                int seen = channel.requestCount();
                slot = channel.claim();
                while (slot < 0 && !s.done && !channel.exited()) {
                    channel.awaitRequest(seen, 50_000_000L);
                    seen = channel.requestCount();
                    slot = channel.claim();
                }
            } finally {
                s.waiter.unlock();
            }
            if (slot < 0)
                break;
            long began = System.nanoTime();
            long nr = channel.number(slot);
            for (int i = 0; i < 6; i++)
                args[i] = channel.arg(slot, i);
            gm.serve(slot);
            hc.umask = channel.umask(slot);
            hc.fds().setLimit(channel.nofile(slot));
            long r;
            if (nr == IkcForwarder.OPEN_GENERATED) {
                r = openGenerated(hc, gm, args[0]);
            } else if (nr == IkcForwarder.MAPPABLE_FD) { // the LWK opens /proc/<this pid>/fd/<r> itself
                r = hc.mappableHostFd(args[0], args[1] != 0);
            } else if (nr == IkcForwarder.OPEN_EXEC) { // likewise
                r = hc.openExecutable(args[0]);
            } else if (nr == IkcForwarder.EXEC_DONE) {
                hc.fds().closeOnExec();
                r = 0;
            } else if (nr == IkcForwarder.FORK) {
                int child = (int) args[0];
                fork(s.pid, child, IkcForwarder.channelFile(generatedDirectory, child));
                r = 0;
            } else {
                Syscall call = Syscall.of(nr);
                r = call == null ? -Errno.ENOSYS : hc.execute(call, args);
            }
            channel.respond(slot, r);
            lwk.ring();
            synchronized (this) {
                calls++;
                serviceNanos += System.nanoTime() - began;
            }
        }
    }

    /**
     * A /proc file: an fd whose contents the LWK writes out when the guest first uses it (the worker then
     * serving that call calls back through its own slot).
     */
    private long openGenerated(HostCalls hc, RemoteGuestMemory gm, long token) {
        Path file = IkcForwarder.generatedFile(generatedDirectory, token);
        return hc.openContents("generated", () -> {
            if (gm.channel().requestGenerate(gm.slot(), token, lwk) != 0)
                return new byte[0];
            try {
                byte[] b = Files.readAllBytes(file);
                Files.deleteIfExists(file);
                return b;
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }
}
