package jmck.ihk;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.UnicornCpu;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.ihk.ikc.IkcFiles;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Signals;
import jmck.lwk.elf.Executable;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.signal.SigInfo;

/**
 * A booted OS instance: one host process that maps the instance's memory blocks, runs the LWK on its
 * cores, and serves its Unix socket. It lives until `jmck ihk shutdown`, serving any number of mcexec
 * runs one after the other or at once (McKernel's LWK stays booted between mcexec runs the same way).
 * All kernel work happens on the main thread; socket threads hand requests to it with Kernel.submit.
 */
public final class InstanceDaemon {
    private final int os;
    private final Ihk ihk;
    private final String kargs;
    private PhysicalMemory memory;
    private Kernel kernel;
    private Doorbell doorbell;
    private IkcForwarder forwarder;
    private ServerSocketChannel server;
    private volatile boolean stopping;

    private InstanceDaemon(int os, Path runtime, String kargs) {
        this.os = os;
        this.ihk = new Ihk(runtime);
        this.kargs = kargs;
    }

    /** Arguments: instance number, runtime directory, kernel arguments ("page_size=4k tlb=8192"). */
    public static void main(String[] args) {
        InstanceDaemon d = new InstanceDaemon(Integer.parseInt(args[0]), Path.of(args[1]), args.length > 2 ? args[2] : "");
        try {
            d.boot();
            d.serve();
            System.exit(0);
        } catch (JmckException e) {
            System.err.println("jmck: " + e.getMessage());
            d.ihk.setStatus(d.os, OsStatus.PANIC, 0);
            System.exit(1);
        } catch (Throwable t) {
            t.printStackTrace();
            d.ihk.setStatus(d.os, OsStatus.PANIC, 0);
            System.exit(1);
        }
    }

    private String karg(String key, String dflt) {
        for (String kv : kargs.split("\\s+"))
            if (kv.startsWith(key + "="))
                return kv.substring(key.length() + 1);
        return dflt;
    }

    /** Maps the memory, boots the LWK, opens the doorbell and the socket. */
    private void boot() throws IOException {
        Ihk.Assignment a = ihk.assignment(os);
        memory = PhysicalMemory.empty();
        List<long[]> ranges = new ArrayList<>();
        for (PhysicalMemory.Block b : a.blocks()) {
            memory.attach(b);
            memory.release(b.base(), b.size()); // a block may hold a previous boot's data: it must read as zero
            ranges.add(new long[] {b.base(), b.size()});
        }
        PageSize page = karg("page_size", "2m").equalsIgnoreCase("4k") ? PageSize.SMALL : PageSize.LARGE;
        int tlb = Integer.parseInt(karg("tlb", String.valueOf(Kernel.DEFAULT_TLB_ENTRIES)));
        boolean parallel = !karg("mode", "parallel").equalsIgnoreCase("exact"); // mode=exact: one host thread
        kernel = new Kernel(memory, new Kernel.Config(ranges, a.cpus().size(), page,
                (id, handler) -> new UnicornCpu(id, memory, handler), tlb, parallel));
        kernel.boot();
        kernel.kmsg().log("IHK: OS %d on cores %s", os, a.cpus());
        if (karg("trace", "").contains("faults"))
            kernel.setEventSink(new jmck.lwk.trace.EventSink() {
                @Override
                public void fault(jmck.lwk.trace.FaultEvent e) {
                    kernel.kmsg().log("%s", e.format());
                }
            });
        if (karg("trace", "").contains("syscalls"))
            kernel.syscalls().setTracer(new jmck.lwk.syscall.SyscallDispatcher.Tracer() {
                @Override
                public void syscall(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long nr, long[] args, long r,
                        boolean delegated) {
                    kernel.kmsg().log("%s", jmck.lwk.trace.SyscallFormat.line(t, call, nr, args, r, delegated));
                }

                @Override
                public void resumed(jmck.lwk.proc.Thread t, jmck.lwk.syscall.Syscall call, long r) {
                    kernel.kmsg().log("%s", jmck.lwk.trace.SyscallFormat.resumed(t, call, r));
                }
            });
        IkcFiles files = ihk.ikcFiles(os);
        Files.createDirectories(files.directory());
        Files.deleteIfExists(files.doorbell());
        doorbell = Doorbell.create(files.doorbell());
        kernel.setIdler(doorbell.idler());
        // New processes, signals from mcexec and hot-plug requests arrive from other threads at any time: in
        // exact mode the cores run in slices so that a guest spinning without syscalls cannot hold them off
        // (in parallel mode a kick reaches a core at once).
        kernel.scheduler().setPreemptible(true);
        forwarder = new IkcForwarder(kernel, files, doorbell);
        kernel.syscalls().setForwarder(forwarder);
        Files.deleteIfExists(ihk.socket(os));
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(ihk.socket(os)));
        ihk.setStatus(os, OsStatus.RUNNING, ProcessHandle.current().pid());
        java.lang.Thread acceptor = new java.lang.Thread(this::accept, "ihk-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Runs the kernel until shutdown, then releases everything. */
    private void serve() throws IOException {
        kernel.run(() -> stopping);
        kernel.kmsg().log("IHK: OS %d shutting down", os);
        kernel.shutdown(); // kills every process: each mcexec hears of it and exits
        for (PhysicalMemory.Block b : memory.blocks())
            memory.release(b.base(), b.size()); // back to the host until the next boot
        server.close();
        Files.deleteIfExists(ihk.socket(os));
        Files.deleteIfExists(ihk.ikcFiles(os).doorbell());
        memory.close();
        ihk.setStatus(os, OsStatus.SHUTDOWN, 0);
    }

    private void accept() {
        while (!stopping) {
            try {
                SocketChannel ch = server.accept();
                java.lang.Thread t = new java.lang.Thread(() -> converse(new Control.Link(ch)), "ihk-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Runs f on the kernel's thread and waits for its result. */
    private <T> T onKernel(java.util.function.Supplier<T> f) {
        CompletableFuture<T> r = new CompletableFuture<>();
        kernel.submit(() -> {
            try {
                r.complete(f.get());
            } catch (Throwable t) {
                r.completeExceptionally(t);
            }
        });
        try {
            return r.get();
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            throw new JmckException("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof JmckException j)
                throw j;
            throw new JmckException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** One client connection: a request and its reply, or an mcexec session. */
    private void converse(Control.Link link) {
        try (link) {
            Control.Message m = link.receive();
            try {
                if (m instanceof Control.Prepare p) {
                    mcexec(link, p);
                    return;
                }
                link.send(handle(m));
            } catch (JmckException e) {
                link.send(new Control.Failed(e.getMessage()));
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private Control.Message handle(Control.Message m) {
        if (m instanceof Control.Query q) {
            switch (q.what()) {
                case "status":
                    return new Control.Reply(onKernel(kernel::describe));
                case "counters":
                    return new Control.Reply(onKernel(this::counters));
                case "kmsg":
                    return new Control.Reply(String.join("\n", kernel.kmsg().lines()) + "\n");
                case "clear_kmsg":
                    kernel.kmsg().clear();
                    return new Control.Reply("");
                default:
                    throw new JmckException("unknown query " + q.what());
            }
        } else if (m instanceof Control.Shutdown) {
            stopping = true;
            kernel.wake();
            return new Control.Reply("ok");
        } else if (m instanceof Control.AddCpu a) {
            long t0 = System.nanoTime();
            int core = onKernel(kernel::addCore);
            return new Control.Reply(String.format("cpu %d is core %d of OS %d (%.1f ms)", a.cpu(), core, os, (System.nanoTime() - t0) / 1e6));
        } else if (m instanceof Control.RemoveCpu) {
            if (!onKernel(kernel::removeCore))
                throw new JmckException("OS " + os + " keeps its last core");
            return new Control.Reply("ok");
        } else if (m instanceof Control.AddMemory a) {
            long t0 = System.nanoTime();
            onKernel(() -> {
                memory.attach(a.block());
                memory.release(a.block().base(), a.block().size());
                kernel.addMemory(a.block());
                return null;
            });
            return new Control.Reply(String.format("memory %#x-%#x online (%.1f ms)", a.block().base(), a.block().end(),
                    (System.nanoTime() - t0) / 1e6));
        } else if (m instanceof Control.RemoveMemory r) {
            boolean ok = onKernel(() -> {
                if (!kernel.removeMemory(r.block()))
                    return false;
                memory.release(r.block().base(), r.block().size());
                memory.detach(r.block());
                return true;
            });
            if (!ok)
                throw new JmckException(String.format("memory %#x-%#x is in use", r.block().base(), r.block().end()));
            return new Control.Reply("ok");
        }
        throw new JmckException("unexpected request " + m.getClass().getSimpleName());
    }

    /**
     * Counters for leak checks, one "name: value" a line: the kernel's (frames, tasks, processes), the IKC
     * channels open and the files in the channel directory, and this daemon's host fds, threads and
     * mappings of channel files.
     */
    private String counters() {
        StringBuilder b = new StringBuilder();
        kernel.counters().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        Path ikc = forwarder.files().directory();
        b.append("ikc_channels: ").append(forwarder.channels()).append('\n');
        b.append("ikc_direct_reads: ").append(forwarder.directReads()).append('\n');
        b.append("ikc_files: ").append(count(ikc)).append('\n');
        b.append("daemon_pid: ").append(ProcessHandle.current().pid()).append('\n');
        b.append("daemon_fds: ").append(count(Path.of("/proc/self/fd"))).append('\n');
        long threads = 0, maps = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status")))
                if (l.startsWith("Threads:"))
                    threads = Long.parseLong(l.substring(8).strip());
            for (String l : Files.readAllLines(Path.of("/proc/self/maps")))
                if (l.contains(ikc.toString()))
                    maps++;
        } catch (IOException | NumberFormatException e) {
            // left at 0
        }
        b.append("daemon_threads: ").append(threads).append('\n');
        b.append("ikc_mappings: ").append(maps).append('\n');
        return b.toString();
    }

    /** Entries in a directory (0 if it cannot be read). */
    private static long count(Path dir) {
        try (var s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** What an mcexec hears over its socket: its processes' exits (forks it learns of through the channels). */
    private static final class SocketLink implements IkcForwarder.ProxyLink {
        private final Control.Link link;

        SocketLink(Control.Link link) {
            this.link = link;
        }

        @Override
        public void exited(Process p, int waitStatus, String message) {
            link.send(new Control.Exited(p.pid(), waitStatus, message));
        }
    }

    /**
     * An mcexec session: create the process and its channel, tell mcexec where everything is, start the
     * process when mcexec says so, forward its signals; when the connection drops (mcexec died), kill the
     * processes it served.
     */
    private void mcexec(Control.Link link, Control.Prepare p) throws IOException {
        if (stopping)
            throw new JmckException("OS " + os + " is shutting down");
        SocketLink proxy = new SocketLink(link);
        Process process = onKernel(() -> {
            Executable exe = Executable.open(Path.of(p.exe()), p.execfn(), p.argv());
            Rlimits limits = new Rlimits(p.rlimitSoft(), p.rlimitHard());
            Credentials creds = new Credentials(p.uid(), p.euid(), p.euid(), p.gid(), p.egid(), p.egid());
            Process proc = kernel.prepare(exe.elf(), p.execfn(), exe.argv(), p.env(), creds, limits);
            proc.setUmask(p.umask());
            forwarder.attach(proc, proxy, p.proxyPid());
            return proc;
        });
        link.send(new Control.Prepared(process.pid(), forwarder.files().directory().toString(), memory.blocks()));
        for (Control.Message m; (m = link.receive()) != null; ) {
            if (m instanceof Control.Start)
                kernel.submit(() -> kernel.start(process));
            else if (m instanceof Control.Signal s)
                kernel.submit(() -> {
                    if (!process.dead())
                        kernel.signals().send(process, SigInfo.sent(s.signal(), Signals.SI_USER, 0, 0));
                });
        }
        // mcexec is gone: the processes it served go too
        kernel.submit(() -> {
            for (Process q : new ArrayList<>(kernel.processes().live()))
                if (forwarder.linkOf(q) == proxy)
                    kernel.killProcess(q, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
        });
    }
}
