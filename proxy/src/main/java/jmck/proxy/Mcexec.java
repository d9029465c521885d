package jmck.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.Control;
import jmck.ihk.Ihk;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.abi.Errno;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.syscall.Syscall;

/**
 * mcexec: the host process that stands for one guest process of a booted LWK instance. It asks the LWK to
 * create the process, maps the instance's memory and the process's IKC channel, then serves delegated
 * syscalls with a pool of worker threads (a blocked read does not stop a write) until the guest ends;
 * it exits with the guest's status. Its file descriptors are the guest's (through {@link FdTable}).
 * Ctrl-C and other terminating signals it receives go to the guest.
 */
public final class Mcexec {
    private static final int WORKERS = 4;
    private static final long OPEN_GENERATED = 0x4a00, MAPPABLE_FD = 0x4a01;

    private final Ihk ihk;
    private final int os;
    private final boolean stats;
    private volatile boolean done;
    private long calls, serviceNanos;

    public Mcexec(Ihk ihk, int os, boolean stats) {
        this.ihk = ihk;
        this.os = os;
        this.stats = stats;
    }

    /** Runs exe as the guest with argv (argv[0] as given); returns the shell-style exit status. */
    public int run(Path exe, String execfn, List<String> argv) {
        ElfImage.open(exe); // refuse unfit files here, with the same one-line messages as jmck run
        Control.Link link;
        try {
            link = Control.Link.connect(ihk.socket(os));
        } catch (IOException e) {
            throw new JmckException("OS " + os + " is not running (start it with: jmck ihk boot -n " + os
                    + ", or jmck ihk reboot)");
        }
        try (link) {
            Credentials c = HostFacts.credentials();
            Rlimits r = HostFacts.rlimits();
            long[] soft = new long[Rlimits.RLIM_NLIMITS], hard = new long[Rlimits.RLIM_NLIMITS];
            for (int i = 0; i < soft.length; i++) {
                soft[i] = r.soft(i);
                hard[i] = r.hard(i);
            }
            int umask = HostFacts.umask();
            link.send(new Control.Prepare(exe.toAbsolutePath().toString(), execfn, argv, HostFacts.environment(), c.uid(),
                    c.gid(), c.euid(), c.egid(), soft, hard, umask, ProcessHandle.current().pid()));
            Control.Message reply = link.receive();
            if (reply instanceof Control.Failed f)
                throw new JmckException(f.message());
            if (!(reply instanceof Control.Prepared p))
                throw new JmckException("OS " + os + " did not answer");
            return serve(link, p);
        } catch (IOException e) {
            throw new JmckException("lost OS " + os + ": " + e.getMessage());
        }
    }

    private int serve(Control.Link link, Control.Prepared p) throws IOException {
        PhysicalMemory memory = PhysicalMemory.empty();
        try {
            for (PhysicalMemory.Block b : p.blocks())
                memory.attach(b);
            IkcChannel channel = IkcChannel.open(Path.of(p.channel()));
            Doorbell lwk = Doorbell.open(Path.of(p.doorbell()));
            FdTable fds = FdTable.withStdio();
            List<HostCalls> workers = new ArrayList<>();
            List<java.lang.Thread> threads = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                RemoteGuestMemory gm = new RemoteGuestMemory(memory, channel, lwk);
                HostCalls hc = new HostCalls(gm, fds);
                workers.add(hc);
                java.lang.Thread t = new java.lang.Thread(() -> work(channel, lwk, gm, hc), "mcexec-worker-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            forwardSignals(link);
            link.send(new Control.Start());
            int status = 1;
            for (Control.Message m; ; ) {
                m = link.receive();
                if (m == null) {
                    System.err.println("jmck: OS " + os + " went away");
                    break;
                }
                if (m instanceof Control.Exited e) {
                    if (!e.message().isEmpty())
                        System.err.println(e.message());
                    int ws = e.waitStatus();
                    status = (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : 128 + (ws & 0x7f);
                    break;
                }
            }
            done = true;
            channel.markExited();
            for (java.lang.Thread t : threads)
                try {
                    t.join(100);
                } catch (InterruptedException e) {
                    java.lang.Thread.currentThread().interrupt();
                }
            fds.closeAll();
            if (stats) {
                long zero = 0, bounce = 0;
                for (HostCalls hc : workers) {
                    zero += hc.zeroCopyBytes;
                    bounce += hc.bounceBytes;
                }
                System.err.printf("mcexec: %d delegated calls (%.2f us each in mcexec), %d bytes moved in place, %d bytes"
                        + " through bounce buffers%n", calls, calls == 0 ? 0 : serviceNanos / 1e3 / calls, zero, bounce);
            }
            return status;
        } finally {
            memory.close();
        }
    }

    /**
     * Only one worker at a time waits for the doorbell (leader/follower): it spins briefly before it sleeps,
     * and more spinning threads than host cores would starve the LWK's own thread.
     */
    private final java.util.concurrent.locks.ReentrantLock waiter = new java.util.concurrent.locks.ReentrantLock();

    /** A worker: claim a request, run it on the host, answer, ring the LWK. */
    private void work(IkcChannel channel, Doorbell lwk, RemoteGuestMemory gm, HostCalls hc) {
        long[] args = new long[6];
        while (!done && !channel.exited()) {
            int slot;
            waiter.lock();
            try {
                int seen = channel.requestCount();
                slot = channel.claim();
                while (slot < 0 && !done && !channel.exited()) {
                    channel.awaitRequest(seen, 50_000_000L);
                    seen = channel.requestCount();
                    slot = channel.claim();
                }
            } finally {
                waiter.unlock();
            }
            if (slot < 0)
                break;
            long nr = channel.number(slot);
            for (int i = 0; i < 6; i++)
                args[i] = channel.arg(slot, i);
            long began = System.nanoTime();
            gm.serve(slot);
            hc.umask = channel.umask(slot);
            hc.fds().setLimit(channel.nofile(slot));
            long r;
            if (nr == OPEN_GENERATED) {
                r = openGenerated(hc, args[0]);
            } else if (nr == MAPPABLE_FD) { // the LWK will open /proc/<this pid>/fd/<r> itself
                r = hc.mappableHostFd(args[0], args[1] != 0);
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

    /** A /proc file the LWK generated: it waits in the runtime directory; open it for the guest and delete it. */
    private long openGenerated(HostCalls hc, long token) {
        Path file = ihk.runtimeDir().resolve("os" + os + ".gen." + token);
        try {
            byte[] contents = Files.readAllBytes(file);
            Files.deleteIfExists(file);
            return hc.openContents(file.getFileName().toString(), () -> contents);
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    /** Ctrl-C, SIGTERM and SIGHUP sent to mcexec go to the guest (whose default action ends it, and mcexec with it). */
    @SuppressWarnings("restriction")
    private static void forwardSignals(Control.Link link) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            sun.misc.Signal sig = new sun.misc.Signal(name);
            try {
                sun.misc.Signal.handle(sig, s -> link.send(new Control.Signal(s.getNumber())));
            } catch (IllegalArgumentException e) {
                // the JVM keeps this one for itself
            }
        }
    }
}
