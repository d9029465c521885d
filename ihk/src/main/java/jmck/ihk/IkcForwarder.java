package jmck.ihk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.ikc.AdaptiveSpin;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcCall;
import jmck.ihk.ikc.IkcChannel;
import jmck.ihk.ikc.IkcFiles;
import jmck.lwk.Kernel;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.syscall.SyscallForwarder;
import jmck.lwk.trace.EventSink;

/**
 * The LWK side of delegation (McKernel's syscall_generic_forwarding and the mcctrl half of IKC), for a
 * proxy in another process (mcexec) or in the LWK's own (jmck run): the mechanism is the same. A delegated
 * syscall is posted to the process's IKC channel. With nothing else to run, the core spins for the answer,
 * as McKernel's do_syscall does; otherwise the thread blocks and the other threads keep the cores busy.
 * At every tick of the kernel's event loop the channels are polled: answers wake their threads with the
 * result in rax, and the proxy's call-backs (a page to fault in, a /proc file to write out) are served.
 *
 * <p>In parallel mode threads of one process post from several cores while the event loop polls. A slot is
 * reserved and its state moved by compare-and-set (IkcChannel), so posts need no lock. A slot's answer is
 * taken by the thread still spinning for it, or, once that thread has blocked, by the poll, never both:
 * the thread decides to block, and the poll looks whether it has, under the client's monitor (the IKC
 * lock, jmck.lwk.proc.package-info). What an answer leads to (a fork's start, an execve, a direct read's
 * descriptor) runs after that lock is let go: it may take the task lock, which comes before it.
 */
public final class IkcForwarder implements SyscallForwarder {
    public static final int SLOTS = 64;
    /** How each core's host thread spins for the proxy's answers (a core's thread owns its spinner). */
    private final ThreadLocal<AdaptiveSpin> spins = new ThreadLocal<>() { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
        @Override
        protected AdaptiveSpin initialValue() {
            return new AdaptiveSpin();
        }
    };

    /** What the LWK tells the proxy outside the channels: a process ended. */
    public interface ProxyLink {
        /** p ended with a wait status; message says how if a signal killed it. */
        void exited(Process p, int waitStatus, String message);
    }

    private final Kernel kernel;
    private final IkcFiles files;
    private final Doorbell doorbell;
    private final Map<Process, ProcessChannel> clients = new ConcurrentHashMap<>();
    private final GeneratedFiles generated;
    private final AtomicLong sequence = new AtomicLong(), retiredDirectReads = new AtomicLong();
    /** Signals the host raised for guests' files, which the proxies pass on. */
    private final OwnerSignals ownerSignals;

    /**
     * A forwarder whose channels and generated files are files; it rings the proxies on doorbell (the
     * LWK's) when a channel needs a worker.
     */
    public IkcForwarder(Kernel kernel, IkcFiles files, Doorbell doorbell) {
        this.kernel = kernel;
        this.files = files;
        this.doorbell = doorbell;
        this.ownerSignals = new OwnerSignals(kernel, files);
        this.generated = new GeneratedFiles(files);
        kernel.addPoller(new Runnable() { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
            @Override
            public void run() {
                poll();
            }
        });
    }

    /** Where the channels and generated files are. */
    public IkcFiles files() {
        return files;
    }

    /** Creates p's channel; the proxy at proxyPid serves it, and hears about forks and exits through link. */
    public IkcChannel attach(Process p, ProxyLink link, long proxyPid) {
        Path file = files.channel(p.pid());
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // create() reports it
        }
        IkcChannel channel = IkcChannel.create(file, SLOTS);
        channel.setRoot(p.mm().root());
        DirectReads direct = DirectReads.open(kernel.memory(), channel, proxyPid);
        channel.setDirectReads(direct != null);
        clients.put(p, new ProcessChannel(p, channel, link, proxyPid, direct));
        return channel;
    }

    @Override
    public long forward(Thread t, Syscall call, long[] args) {
        if (call == Syscall.READ || call == Syscall.PREAD64) { // a regular file the LWK reads itself?
            ProcessChannel c = clients.get(t.process());
            if (c != null && c.direct != null && !kernel.scheduler().othersRunnable(t)) {
                long r = c.direct.read(t.process().mm(), args[0], args[1], args[2], call == Syscall.PREAD64, args[3]);
                if (r != DirectReads.DELEGATE)
                    return r;
            }
        }
        return post(t, call, call.nr, args, null, null);
    }

    @Override
    public long forwardThen(Thread t, Syscall call, long[] args, LongUnaryOperator then) {
        return post(t, call, call.nr, args, null, then);
    }

    /** Posts one of the LWK's own requests to the proxy (see {@link IkcCall}). */
    private long post(Thread t, IkcCall call, long[] args, String reason, LongUnaryOperator then) {
        return post(t, null, call.number, args, reason, then);
    }

    /**
     * Posts a call (a syscall, or an IkcCall when call is null) and waits for it, spinning or blocked;
     * then, if given, turns the proxy's answer into the syscall's result. The slot's bookkeeping is
     * written before the request becomes visible, so whichever core sees the answer can complete it.
     * why says what the thread waits for if it blocks (null: "proxy: " and the syscall's name, made
     * only then, as the call that spins is the fast one).
     */
    private long post(Thread t, Syscall call, long nr, long[] args, String why, LongUnaryOperator then) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return -Errno.ENOSYS;
        int slot = c.channel.reserve();
        if (slot < 0)
            return -Errno.EAGAIN; // more concurrent delegated calls than slots
        c.waiting[slot] = t;
        c.then[slot] = then;
        c.call[slot] = call;
        c.channel.setLimits(slot, CallCredentials.capabilities(t, call, args), t.process().rlimits().soft(jmck.lwk.proc.Rlimits.RLIMIT_FSIZE));
        System.arraycopy(args, 0, c.args[slot], 0, 6);
        c.inFlight.incrementAndGet();
        long seq = sequence.incrementAndGet();
        c.postedAt[slot] = System.nanoTime();
        c.channel.publish(slot, t.tid(), seq, nr, args, t.process().umask(),
                t.process().rlimits().soft(jmck.lwk.proc.Rlimits.RLIMIT_NOFILE), CallCredentials.uid(t, call, args),
                CallCredentials.gid(t, call, args));
        if (c.channel.needsWorker())
            doorbell.ringProxies(); // the proxy starts workers on demand
        EventSink sink = kernel.eventSink();
        if (sink != null)
            sink.ikc(t.core(), t.process().pid(), t.tid(), "ikc request: "
                    + (why != null ? why.replaceFirst("^proxy: ", "") : call.linuxName));
        AdaptiveSpin spun = null;
        long kicks = CoreAnswerSleep.kicks(kernel, t);
        if (!kernel.scheduler().othersRunnable(t)) { // nothing else to run: wait here, as McKernel's do_syscall
            AdaptiveSpin spin = spun = spins.get();
            spin.start();
            int rounds = 0;
            do {
                int state = c.channel.state(slot);
                if (state == IkcChannel.RESPONSE && c.channel.takeResponse(slot)) { // the poll leaves it to us
                    spin.done();
                    return finish(complete(c, slot));
                }
                if (state == IkcChannel.CLAIMED)
                    serveCallBack(c, slot);
                // A thread woken on this core goes first; looked for every 16 rounds, as exact mode's look at
                // every core allocates an iterator (garbage that brought a collection every second).
            } while (spin.spin() && ((++rounds & 15) != 0 || !kernel.scheduler().othersRunnable(t)));
            if (CoreAnswerSleep.sleep(kernel, t, c.channel, slot, kicks)) // still nothing else to run: sleep for it here
                spin.waited(System.nanoTime() - c.postedAt[slot]);
        }
        c.channel.answers().stop(slot); // from now on the worker rings the doorbell: the poll takes the answer
        Completed done = null;
        synchronized (c) { // the answer may have come meanwhile: then take it now, else the poll will
            if (c.channel.takeResponse(slot)) {
                done = complete(c, slot);
            } else {
                String reason = why != null ? why : "proxy: " + call.linuxName;
                c.blocked[slot] = true;
                c.spunInVain[slot] = spun;
                if (call == null) // the LWK's own request runs to its end; a syscall ends early for a signal
                    kernel.scheduler().block(t, reason);
                else
                    kernel.scheduler().block(t, reason, Thread.Interrupt.HOST, new Runnable() { // a class: see spins
                        @Override
                        public void run() {
                            HostCallInterrupts.request(c.channel, slot, seq, c.proxyPid, c.interruptSent);
                        }
                    });
                kernel.externalWait(1);
            }
        }
        return done != null ? finish(done) : SyscallDispatcher.NO_RETURN;
    }

    /** An answer taken off its slot, to act on once the slot is free and no lock is held. */
    private record Completed(Thread thread, Syscall call, long[] args, LongUnaryOperator then, long result,
            DirectReads direct, int offeredFd, int generation, boolean interrupted) {}

    /**
     * Takes what a slot whose response the caller has taken holds, and frees it (from then on another core
     * may reuse it). By the spinning thread, or by the poll under c's lock.
     */
    private Completed complete(ProcessChannel c, int i) {
        AdaptiveSpin spun = c.spunInVain[i];
        if (spun != null) {
            spun.waited(System.nanoTime() - c.postedAt[i]);
            c.spunInVain[i] = null;
        }
        Syscall call = c.call[i];
        int offered = c.direct != null && (call == Syscall.READ || call == Syscall.PREAD64) ? c.channel.offeredFd(i) : -1;
        Completed done = new Completed(c.waiting[i], call, c.args[i].clone(), c.then[i], c.channel.result(i),
                c.direct, offered, c.channel.offeredGeneration(i), c.interruptSent[i] != 0 && c.channel.interruptRequested(i));
        c.waiting[i] = null;
        c.interruptSent[i] = 0;
        c.then[i] = null;
        c.call[i] = null;
        c.blocked[i] = false;
        c.channel.free(i);
        c.inFlight.decrementAndGet();
        return done;
    }

    /** What the LWK does with an answer (SIGPIPE, a direct read's descriptor, its continuation); returns the syscall's result. */
    private long finish(Completed done) {
        Thread t = done.thread();
        long result = done.result();
        ownerSignals.deliver(); // what the call raised for a file's owner is pending when it returns, as on Linux
        boolean live = t != null && t.alive();
        EventSink sink = kernel.eventSink();
        if (sink != null && t != null)
            sink.ikc(t.core(), t.process().pid(), t.tid(), "ikc response: " + result);
        if (live && done.call() != null) // a syscall's answer (then: a LOCAL call's continuation, forwardThen)
            SyscallDispatcher.raiseSignals(t, done.call(), done.args(), result);
        if (done.offeredFd() >= 0) // (nothing is learnt once the process's direct reads are closed)
            done.direct().learn(done.args()[0], done.offeredFd(), done.generation());
        if (live && done.call() != null && jmck.lwk.file.LocalFiles.isRedirect(result))
            return kernel.localFiles().call(t, done.call(), done.args(), result); // a local file's fd: the LWK makes
                                                                                // the call (it may block the thread again)
        if (live && done.then() != null)
            result = done.then().applyAsLong(result);
        return result;
    }

    /** Serves a worker's call-back on slot i, if it made one: fault a page in, or write a generated file out. */
    private void serveCallBack(ProcessChannel c, int i) {
        IkcChannel ch = c.channel;
        if (!ch.takeCallBack(i))
            return;
        Thread t = c.waiting[i];
        long arg = ch.callbackArgument(i);
        EventSink sink = kernel.eventSink();
        if (sink != null && t != null)
            sink.ikc(t.core(), t.process().pid(), t.tid(), "ikc call-back: " + (ch.callbackKind(i) == IkcChannel.CALLBACK_GENERATE
                    ? "generate a file" : String.format("remote page fault at %#x", arg)));
        switch (ch.callbackKind(i)) {
            case IkcChannel.CALLBACK_FAULT_READ, IkcChannel.CALLBACK_FAULT_WRITE ->
                    ch.answerCallBack(i, t != null && t.alive()
                            ? t.process().mm().resolve(arg, ch.callbackKind(i) == IkcChannel.CALLBACK_FAULT_WRITE) : -1);
            case IkcChannel.CALLBACK_GENERATE -> ch.answerCallBack(i, generated.generate(arg));
            case IkcChannel.CALLBACK_WRITE -> ch.answerCallBack(i, generated.written(arg));
            default -> ch.answerCallBack(i, -1);
        }
    }

    /**
     * A /proc file for the guest: the proxy opens an empty file for it at once; its contents are generated
     * when the guest first uses the fd (the proxy calls back), as Linux's seq_files are.
     */
    @Override
    public long openContents(Thread t, String name, Supplier<byte[]> contents) {
        return openContents(t, name, contents, null);
    }

    /** A writable one: the guest's writes go to writer (through a call-back) instead of the file. */
    @Override
    public long openContents(Thread t, String name, Supplier<byte[]> contents,
            java.util.function.ToLongFunction<byte[]> writer) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return -Errno.ENOSYS;
        long token = generated.add(contents, writer);
        if (writer != null)
            c.writerTokens.add(token);
        return post(t, IkcCall.OPEN_GENERATED, new long[] {token, writer != null ? 1 : 0, 0, 0, 0, 0},
                "proxy: open " + name, null);
    }

    /**
     * A call with a /proc path the LWK resolved (see IkcCall.PATH_CALL): the syscall's number, which
     * argument is the path and the path travel in a generated file; its token goes in the sixth argument,
     * which none of these calls uses.
     */
    @Override
    public long forwardWithPath(Thread t, Syscall call, long[] args, int pathArg, String hostPath) {
        if (call.args().size() > 5)
            return -Errno.ENOSYS;
        long token = generated.withText(call.nr + " " + pathArg + " " + hostPath);
        if (token < 0)
            return token;
        long[] a = args.clone();
        a[pathArg] = 0;
        a[5] = token;
        return post(t, call, IkcCall.PATH_CALL.number, a, "proxy: " + call.linuxName, null);
    }

    @Override
    public Boolean sleepsOnHost(Thread t) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return null;
        for (int i = 0; i < SLOTS; i++)
            if (c.waiting[i] == t) {
                int worker = c.channel.worker(i);
                return worker != 0 && HostThreadState.sleeping(c.proxyPid, worker);
            }
        return null;
    }

    @Override
    public long hostPid(Process p) {
        ProcessChannel c = clients.get(p);
        return c == null ? -1 : c.proxyPid;
    }

    @Override
    public Path sharedDirectory() {
        return files.directory();
    }

    /**
     * mmap of a file: the proxy checks the fd and names its host fd; the LWK opens the same file through
     * /proc/PROXY/fd/N for a descriptor of its own.
     */
    @Override
    public long hostFile(Thread t, int fd, boolean write, LongUnaryOperator done) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(-Errno.ENODEV);
        return post(t, IkcCall.MAPPABLE_FD, new long[] {fd, write ? 1 : 0, 0, 0, 0, 0}, "proxy: mmap",
                proxyFd -> {
                    if (proxyFd < 0 || (proxyFd & SyscallForwarder.ZERO_DEVICE) != 0)
                        return done.applyAsLong(proxyFd);
                    long own = openProxyFd(c.proxyPid, (int) proxyFd, write);
                    return done.applyAsLong(own < 0 ? own : own | proxyFd & SyscallForwarder.SHARED_WRITABLE);
                });
    }

    private static long openProxyFd(long pid, long fd, boolean write) {
        int flags = (write ? 2 : 0) | 02000000; // O_RDWR or O_RDONLY, O_CLOEXEC
        return HostSyscall.open("/proc/" + pid + "/fd/" + fd, flags, 0);
    }

    /**
     * On the event loop's thread, every tick: answers wake their blocked threads (an answer whose thread
     * still spins is left to it); call-backs are served.
     */
    private void poll() {
        for (ProcessChannel c : clients.values()) {
            if (c.inFlight.get() == 0)
                continue;
            IkcChannel ch = c.channel;
            for (int i = 0; i < SLOTS; i++) {
                int state = ch.state(i);
                if (state == IkcChannel.CLAIMED) {
                    serveCallBack(c, i);
                    HostCallInterrupts.resend(ch, i, c.proxyPid, c.interruptSent);
                }
                if (state != IkcChannel.RESPONSE)
                    continue;
                Completed done;
                synchronized (c) {
                    if (!c.blocked[i] || !ch.takeResponse(i))
                        continue; // its thread still spins for it and takes it itself
                    done = complete(c, i);
                    kernel.externalWait(-1);
                }
                Thread t = done.thread();
                long result = finish(done);
                var tracer = kernel.syscalls().tracer();
                if (tracer != null && t != null)
                    tracer.resumed(t, done.call(), result);
                if (result == -Errno.EINTR && done.interrupted() && done.call() != null && t != null)
                    kernel.scheduler().wakeInterrupted(t, HostCallInterrupts.modeOf(done.call()));
                else if (result != SyscallDispatcher.NO_RETURN && t != null)
                    kernel.scheduler().wake(t, result);
            }
        }
    }

    /**
     * A process forked: the child gets a channel, and the parent's proxy, asked through the parent's own
     * channel, starts serving it with copies of the parent's files before the fork returns.
     */
    @Override
    public long processForked(Thread t, Process child, LongUnaryOperator done) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(0);
        attach(child, c.link, c.proxyPid);
        return post(t, IkcCall.FORK, new long[] {child.pid(), 0, 0, 0, 0, 0}, "proxy: fork", done);
    }

    /** execve's file, opened by the proxy; the LWK takes its own descriptor through /proc/PROXY/fd/N. */
    @Override
    public long openExecutable(Thread t, long path, LongUnaryOperator done) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(-Errno.ENOSYS);
        return post(t, IkcCall.OPEN_EXEC, new long[] {path, 0, 0, 0, 0, 0}, "proxy: execve",
                fd -> done.applyAsLong(fd < 0 ? fd : openProxyFd(c.proxyPid, fd, false)));
    }

    @Override
    public long openLocalFile(Thread t, long lwkPid, int pipeFd, long id, int flags, LongUnaryOperator done) {
        if (!clients.containsKey(t.process()))
            return done.applyAsLong(-Errno.ENOSYS);
        return post(t, IkcCall.OPEN_LOCAL_FILE, new long[] {lwkPid, pipeFd, flags, id, 0, 0}, "proxy: open a local file", done);
    }

    @Override
    public long localFileOf(Thread t, int fd, LongUnaryOperator done) {
        if (!clients.containsKey(t.process()))
            return done.applyAsLong(-Errno.EBADF);
        return post(t, IkcCall.LOCAL_FILE_OF, new long[] {fd, 0, 0, 0, 0, 0}, "proxy: which file", done);
    }

    @Override
    public long copyFd(Thread t, int pid, int fd, LongUnaryOperator done) {
        if (!clients.containsKey(t.process()))
            return done.applyAsLong(-Errno.EBADF);
        return post(t, IkcCall.COPY_FD, new long[] {pid, fd, 0, 0, 0, 0}, "proxy: pidfd_getfd", done);
    }

    @Override
    public long compareFiles(Thread t, int pid1, int fd1, int pid2, int fd2, LongUnaryOperator done) {
        if (!clients.containsKey(t.process()))
            return done.applyAsLong(-Errno.EBADF);
        return post(t, IkcCall.COMPARE_FILES, new long[] {pid1, fd1, pid2, fd2, 0, 0}, "proxy: kcmp", done);
    }

    /** Marks OPEN_EXEC's third argument: the second is a guest directory fd, the rest execveat's flags. */
    public static final long EXEC_AT = 1L << 32;

    @Override
    public long openExecutableAt(Thread t, int dirfd, long path, int flags, LongUnaryOperator done) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(-Errno.ENOSYS);
        return post(t, IkcCall.OPEN_EXEC, new long[] {path, dirfd, EXEC_AT | (flags & 0xffffffffL), 0, 0, 0},
                "proxy: execveat", fd -> done.applyAsLong(fd < 0 ? fd : openProxyFd(c.proxyPid, fd, false)));
    }

    /** A process exec'ed: its page tables are new, and the proxy closes its close-on-exec files. */
    @Override
    public long execDone(Thread t, LongUnaryOperator done) {
        ProcessChannel c = clients.get(t.process());
        if (c == null)
            return done.applyAsLong(0);
        c.channel.setRoot(t.process().mm().root());
        return post(t, IkcCall.EXEC_DONE, new long[6], "proxy: execve", done);
    }

    @Override
    public void processExited(Process p, String message) {
        ProcessChannel c = clients.remove(p);
        if (c == null)
            return;
        if (c.direct != null) {
            retiredDirectReads.addAndGet(c.direct.count());
            c.direct.close();
        }
        c.link.exited(p, p.waitStatus(), message);
        synchronized (c) {
            for (int i = 0; i < SLOTS; i++)
                if (c.waiting[i] != null) {
                    if (c.blocked[i])
                        kernel.externalWait(-1);
                    c.waiting[i] = null;
                    c.blocked[i] = false;
                }
        }
        c.channel.markExited();
        generated.forgetWriters(c.writerTokens);
        java.nio.file.Path procState = files.directory().resolve("proc").resolve(Integer.toString(p.pid()));
        if (procState.toFile().exists()) // what ProcFs kept for p; most processes never ask (looking by walking: 0.4 ms)
            IkcFiles.deleteTree(procState);
        try {
            Files.deleteIfExists(c.channel.file());
        } catch (IOException e) {
            // the proxy still has it mapped; nothing else to do
        }
        // Unmapped at the next tick: this may run inside poll(), which may still read the channel.
        kernel.submit(new Runnable() { // a class: see spins
            @Override
            public void run() {
                c.channel.close();
            }
        });
    }

    @Override
    public java.util.List<String> requestsInFlight() {
        java.util.List<String> l = new java.util.ArrayList<>();
        for (ProcessChannel c : clients.values())
            for (int i = 0; i < SLOTS; i++) {
                Thread t = c.waiting[i];
                if (t == null)
                    continue;
                String what = c.call[i] != null ? c.call[i].linuxName : IkcCall.describe(c.channel.number(i));
                int callBack = c.channel.callbackState(i);
                String state = switch (c.channel.state(i)) {
                    case IkcChannel.FILLING -> "being posted";
                    case IkcChannel.REQUEST -> "posted, waiting for a proxy worker";
                    case IkcChannel.CLAIMED -> callBack == IkcChannel.CALLBACK_REQUESTED || callBack == IkcChannel.CALLBACK_SERVING
                            ? "claimed by a proxy worker, which asks the LWK for a call-back" : "claimed by a proxy worker";
                    case IkcChannel.RESPONSE -> String.format("answered (%d), the LWK takes it at its next tick", c.channel.result(i));
                    case IkcChannel.TAKEN -> "answered, being taken";
                    default -> "free";
                };
                l.add(String.format("pid %d tid %d %s: slot %d, %s", c.process.pid(), t.tid(), what, i, state));
            }
        return l;
    }

    /** Reads the LWK served itself, without crossing to a proxy (see DirectReads). */
    public long directReads() {
        long n = retiredDirectReads.get();
        for (ProcessChannel c : clients.values())
            if (c.direct != null)
                n += c.direct.count();
        return n;
    }

    /** Channels open (one per live process being served). */
    public int channels() {
        return clients.size();
    }

    /** The link of a process's proxy, or null. */
    public ProxyLink linkOf(Process p) {
        ProcessChannel c = clients.get(p);
        return c == null ? null : c.link;
    }

    /** The processes being served. */
    public Iterable<Process> processes() {
        return clients.keySet();
    }
}
