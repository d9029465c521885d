package jmck.ihk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.syscall.SyscallForwarder;

/**
 * The LWK side of delegation in an instance daemon (McKernel's syscall_generic_forwarding and the
 * mcctrl half of IKC). A delegated syscall is posted to the process's IKC channel and the calling thread
 * blocks; other threads keep the cores busy meanwhile. At every scheduler tick the channels are polled:
 * responses wake their threads with the result in rax, and page-fault requests from the proxy are
 * served by the process's address space.
 */
final class IkcForwarder implements SyscallForwarder {
    /** A pseudo syscall number: "open the generated file with this token" (for /proc files). */
    static final long OPEN_GENERATED = 0x4a00;
    /** A pseudo syscall number: "the host fd behind this guest fd, if it can be mapped" (for mmap of files). */
    static final long MAPPABLE_FD = 0x4a01;
    static final int SLOTS = 64;

    /** One guest process served by one mcexec. */
    static final class Client {
        final Process process;
        final IkcChannel channel;
        final Thread[] waiting = new Thread[SLOTS];
        /** What to do with a slot's result before it reaches the thread (null: it is the syscall's result). */
        final java.util.function.LongUnaryOperator[] then = new java.util.function.LongUnaryOperator[SLOTS];
        /** The syscall and arguments in each slot, for what the LWK does with the result (SIGPIPE). */
        final Syscall[] call = new Syscall[SLOTS];
        final long[][] args = new long[SLOTS][6];
        final Control.Link link;
        final long proxyPid;

        Client(Process process, IkcChannel channel, Control.Link link, long proxyPid) {
            this.process = process;
            this.channel = channel;
            this.link = link;
            this.proxyPid = proxyPid;
        }
    }

    private final Kernel kernel;
    private final Path runtime;
    private final int os;
    private final Map<Process, Client> clients = new ConcurrentHashMap<>();
    private long sequence;

    IkcForwarder(Kernel kernel, Path runtime, int os) {
        this.kernel = kernel;
        this.runtime = runtime;
        this.os = os;
    }

    void add(Client c) {
        clients.put(c.process, c);
        c.channel.setRoot(c.process.mm().root());
    }

    Client client(Process p) {
        return clients.get(p);
    }

    @Override
    public long forward(Thread t, Syscall call, long[] args) {
        return post(t, call, call.nr, args, "proxy: " + call.linuxName, null);
    }

    /**
     * Posts a call (a syscall, or one of the pseudo calls when call is null) and blocks t; then, if given,
     * turns the proxy's answer into the syscall's result.
     */
    private long post(Thread t, Syscall call, long nr, long[] args, String reason, java.util.function.LongUnaryOperator then) {
        Client c = clients.get(t.process());
        if (c == null)
            return -Errno.ENOSYS;
        int slot = c.channel.post(t.tid(), ++sequence, nr, args, t.process().umask(),
                t.process().rlimits().soft(jmck.lwk.proc.Rlimits.RLIMIT_NOFILE));
        if (slot < 0)
            return -Errno.EAGAIN; // more concurrent delegated calls than slots
        c.waiting[slot] = t;
        c.then[slot] = then;
        c.call[slot] = call;
        System.arraycopy(args, 0, c.args[slot], 0, 6);
        // As McKernel's do_syscall: with nothing else to run, the core waits for the answer spinning, and the
        // call returns in the same hook, without stopping the core. Otherwise the thread blocks.
        if (!kernel.scheduler().othersRunnable(t)) {
            long until = System.nanoTime() + SPIN_NANOS;
            while (System.nanoTime() < until) {
                int state = c.channel.state(slot);
                if (state == IkcChannel.RESPONSE)
                    return complete(c, slot, t);
                if (state == IkcChannel.CLAIMED && c.channel.faultState(slot) == IkcChannel.FAULT_REQUESTED)
                    c.channel.answerFault(slot, t.process().mm().resolve(c.channel.faultAddress(slot),
                            c.channel.faultIsWrite(slot)));
                java.lang.Thread.onSpinWait();
            }
        }
        kernel.scheduler().block(t, reason);
        kernel.externalWait(1);
        return SyscallDispatcher.NO_RETURN;
    }

    /** How long a core spins for the proxy's answer before the thread blocks. */
    private static final long SPIN_NANOS = Long.getLong("jmck.ikc.spin", 200_000);

    /** Takes a slot's result: frees the slot, applies what the LWK does with it, returns the syscall's result. */
    private long complete(Client c, int i, Thread t) {
        long result = c.channel.result(i);
        java.util.function.LongUnaryOperator then = c.then[i];
        Syscall call = c.call[i];
        c.waiting[i] = null;
        c.then[i] = null;
        c.call[i] = null;
        c.channel.free(i);
        if (t == null || !t.alive())
            return result;
        if (then != null)
            result = then.applyAsLong(result);
        if (call != null)
            SyscallDispatcher.raiseSigpipe(t, call, c.args[i], result);
        return result;
    }

    /**
     * Generated /proc files reach a proxy in another process as a file in the runtime directory, which it
     * opens and deletes. The contents are taken at open time.
     */
    @Override
    public long openContents(Thread t, String name, Supplier<byte[]> contents) {
        long token = ++sequence;
        Path file = generatedFile(runtime, os, token);
        try {
            Files.write(file, contents.get());
        } catch (IOException e) {
            return -Errno.EIO;
        }
        return post(t, null, OPEN_GENERATED, new long[] {token, 0, 0, 0, 0, 0}, "proxy: open " + name, null);
    }

    /**
     * mmap of a file through a proxy in another process: the proxy checks the fd and names its host fd;
     * the LWK then opens the same file through /proc/PROXY/fd/N for its own descriptor.
     */
    @Override
    public long hostFile(Thread t, int fd, boolean write, java.util.function.LongUnaryOperator done) {
        Client c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(-Errno.ENODEV);
        return post(t, null, MAPPABLE_FD, new long[] {fd, write ? 1 : 0, 0, 0, 0, 0}, "proxy: mmap", proxyFd -> {
            if (proxyFd < 0)
                return done.applyAsLong(proxyFd);
            long own = openProxyFd(c.proxyPid, proxyFd, write);
            return done.applyAsLong(own);
        });
    }

    private static long openProxyFd(long pid, long fd, boolean write) {
        com.sun.jna.Memory path = new com.sun.jna.Memory(64);
        path.setString(0, "/proc/" + pid + "/fd/" + fd);
        int flags = (write ? 2 : 0) | 02000000; // O_RDWR or O_RDONLY, O_CLOEXEC
        return jmck.emulator.host.HostSyscall.call(257, -100, com.sun.jna.Pointer.nativeValue(path), flags, 0, 0, 0);
    }

    static Path generatedFile(Path runtime, int os, long token) {
        return runtime.resolve("os" + os + ".gen." + token);
    }

    /** On the kernel's thread, every tick: responses wake their threads; fault requests are served. */
    void poll() {
        for (Client c : clients.values()) {
            IkcChannel ch = c.channel;
            for (int i = 0; i < SLOTS; i++) {
                int state = ch.state(i);
                if (state == IkcChannel.FREE || state == IkcChannel.REQUEST)
                    continue;
                Thread t = c.waiting[i];
                if (state == IkcChannel.CLAIMED) {
                    if (ch.faultState(i) == IkcChannel.FAULT_REQUESTED)
                        ch.answerFault(i, t != null && t.alive() ? t.process().mm().resolve(ch.faultAddress(i), ch.faultIsWrite(i)) : -1);
                    continue;
                }
                Syscall call = c.call[i];
                long result = complete(c, i, t); // RESPONSE
                kernel.externalWait(-1);
                var tracer = kernel.syscalls().tracer();
                if (tracer != null && t != null)
                    tracer.resumed(t, call, result);
                if (t != null && t.alive() && t.state() == Thread.State.BLOCKED) {
                    t.setPendingResult(result);
                    kernel.scheduler().enqueue(t);
                }
            }
        }
    }

    @Override
    public void processExited(Process p) {
        Client c = clients.remove(p);
        if (c == null)
            return;
        for (int i = 0; i < SLOTS; i++)
            if (c.waiting[i] != null) {
                c.waiting[i] = null;
                kernel.externalWait(-1);
            }
        c.channel.markExited();
        try {
            Files.deleteIfExists(c.channel.file());
        } catch (IOException e) {
            // the proxy still has it mapped; nothing else to do
        }
    }

    /** Live clients (for shutdown). */
    Iterable<Client> clients() {
        return clients.values();
    }
}
