package jmck.lwk;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import jmck.emulator.Cpu;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.KernelImage;
import jmck.lwk.arch.X86;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfLoader;
import jmck.lwk.elf.InitialStack;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.ProcessTable;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.signal.SignalFrame;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.syscall.SyscallTable;
import jmck.lwk.trace.EventSink;
import jmck.lwk.trace.FaultEvent;

/**
 * The lightweight kernel: McKernel's kernel/ in Java. It owns the partition's physical memory (a buddy
 * allocator), its cores (one emulated CPU each), the processes and the scheduler, and it is where every
 * trap from a core arrives: {@link #syscall} and {@link #interrupt}. Boot order is {@link #boot}.
 */
public final class Kernel implements Core.TrapEntry, Scheduler.Hooks, jmck.lwk.signal.Signals.Terminator {
    /** Makes the emulated CPU for a core. */
    public interface CpuFactory {
        Cpu create(int core, Cpu.TrapHandler handler);
    }

    /** What a kernel instance is given: memory ranges of the machine's physical memory, core count, page policy. */
    public record Config(List<long[]> memory, int cores, PageSize maxPage, CpuFactory cpus, int tlbEntries) {
        public Config(List<long[]> memory, int cores, PageSize maxPage, CpuFactory cpus) {
            this(memory, cores, maxPage, cpus, DEFAULT_TLB_ENTRIES);
        }
    }

    /** Software TLB entries each core grows to before it runs a new address space (QEMU starts at 256). */
    public static final int DEFAULT_TLB_ENTRIES = 16384;

    /** Told when a process has ended and its resources are back. */
    public interface ExitListener {
        void exited(Process p, SigInfo killedBy, long killRip);
    }

    private final PhysicalMemory mem;
    private final Config config;
    private final KernelLog kmsg = new KernelLog();
    private final FrameAllocator frames;
    private final List<Core> cores = new ArrayList<>();
    private final ProcessTable processes = new ProcessTable();
    private final SyscallDispatcher syscalls = new SyscallDispatcher(kmsg);
    private final jmck.lwk.signal.Signals signals = new jmck.lwk.signal.Signals(this);
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
    private final Object wakeup = new Object();
    private Scheduler scheduler;
    private KernelImage image;
    private long hwcap;
    private volatile EventSink events;
    /** The stepper's or gdb stub's hooks; null (one check per trap) when no debugger is attached. */
    private volatile DebugHooks debug;
    /** What the debugger asked for at this slice's beforeRun: instructions to step, 0 for a normal run. */
    private long debugSteps;
    private boolean booted;
    private int externalWaits;
    private final long bootNanos = System.nanoTime();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(Comparator.comparingLong(Timer::deadline));

    /** A kernel timer: at deadline (System.nanoTime), run action on the scheduler's thread. */
    private record Timer(long deadline, Runnable action) {}

    /**
     * How an idle kernel sleeps and is woken. By default a Java monitor; an instance daemon uses its IKC
     * doorbell, a word in shared memory that proxies in other processes can ring.
     */
    public interface Idler {
        /** A value to wait for a change from. */
        int count();

        void await(int count, long nanos);

        void wake();
    }

    /** Work other threads hand to the kernel: it runs on the scheduler's thread, between slices. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Polled on the scheduler's thread at every tick (the IKC channels' responses). */
    private final List<Runnable> pollers = new CopyOnWriteArrayList<>();
    private volatile Idler idler = new Idler() {
        private int count;

        @Override
        public int count() {
            synchronized (wakeup) {
                return count;
            }
        }

        @Override
        public void await(int seen, long nanos) {
            synchronized (wakeup) {
                if (count != seen)
                    return;
                try {
                    wakeup.wait(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
                } catch (InterruptedException e) {
                    java.lang.Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void wake() {
            synchronized (wakeup) {
                count++;
                wakeup.notifyAll();
            }
        }
    };

    public Kernel(PhysicalMemory mem, Config config) {
        this.mem = mem;
        this.config = config;
        this.frames = new FrameAllocator(mem.size());
    }

    /**
     * Boots the kernel on its cores:
     * <ol>
     * <li>hands the partition's memory ranges to the buddy allocator;</li>
     * <li>installs the kernel image (GDT, sysret trampoline) and the kernel half of the page tables;</li>
     * <li>brings up each core: an emulated CPU put in long mode with paging, its boot state saved;</li>
     * <li>reads the CPU's feature flags with cpuid (for AT_HWCAP);</li>
     * <li>registers the syscall handlers and starts the scheduler.</li>
     * </ol>
     */
    public void boot() {
        if (booted)
            throw new IllegalStateException("already booted");
        long total = 0;
        for (long[] r : config.memory()) {
            frames.addRange(r[0], r[1]);
            total += r[1];
        }
        kmsg.log("jmck LWK: booting on %d core(s), %d MiB of memory, %s pages", config.cores(), total >> 20,
                config.maxPage() == PageSize.LARGE ? "2M/4K" : "4K-only");
        image = KernelImage.install(mem, frames);
        for (long[] r : config.memory())
            image.mapPhysical(r[0], r[1]);
        for (int i = 0; i < config.cores(); i++) {
            Core core = new Core(i, this, kmsg);
            core.setTlbTarget(config.tlbEntries());
            Cpu cpu = config.cpus().create(i, core);
            image.setUpCore(cpu);
            core.attach(cpu, image);
            cores.add(core);
        }
        hwcap = readHwcap(cores.get(0).cpu());
        SyscallTable.registerAll(syscalls, this);
        scheduler = new Scheduler(cores, this);
        booted = true;
        kmsg.log("jmck LWK: booted, %d frames free", frames.freeFrames());
    }

    private static long readHwcap(Cpu cpu) {
        cpu.setReg(X86Reg.RAX, 1);
        cpu.setReg(X86Reg.RCX, 0);
        cpu.run(KernelImage.CPUID_VA);
        return cpu.reg(X86Reg.RDX) & 0xffffffffL;
    }

    // ---- accessors ----

    public KernelLog kmsg() {
        return kmsg;
    }

    public FrameAllocator frames() {
        return frames;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    public ProcessTable processes() {
        return processes;
    }

    public SyscallDispatcher syscalls() {
        return syscalls;
    }

    public jmck.lwk.signal.Signals signals() {
        return signals;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public List<Core> cores() {
        return cores;
    }

    public PageSize maxPage() {
        return config.maxPage();
    }

    /** The CPU a thread is on (during its syscalls and faults: the one running it). */
    public Cpu cpuOf(Thread t) {
        return cores.get(t.core()).cpu();
    }

    public void setEventSink(EventSink sink) {
        events = sink;
    }

    public EventSink eventSink() {
        return events;
    }

    /** Attaches a debugger (null detaches it); see {@link DebugHooks} for where it is called. */
    public void setDebugHooks(DebugHooks hooks) {
        debug = hooks;
    }

    public DebugHooks debugHooks() {
        return debug;
    }

    public void addExitListener(ExitListener l) {
        exitListeners.add(l);
    }

    // ---- processes ----

    /** A new, empty address space wired to this kernel's TLB shootdown and fault events. */
    public AddressSpace newAddressSpace() {
        AddressSpace as = new AddressSpace(mem, frames, image.root(), config.maxPage());
        as.setShootdown(shootdown);
        as.setKernelFaultListener(o -> {
            EventSink sink = events;
            if (sink != null)
                sink.fault(new FaultEvent(-1, -1, -1, 0, o, true, 0));
        });
        return as;
    }

    /**
     * Creates a process running elf with the given arguments and environment, its first thread queued on
     * the least loaded core. Throws {@link jmck.lwk.elf.ExecFormatException} for a file that cannot run.
     */
    public Process spawn(ElfImage elf, String execfn, List<String> argv, List<String> envp, Credentials creds,
            Rlimits limits) {
        Process p = prepare(elf, execfn, argv, envp, creds, limits);
        start(p);
        return p;
    }

    /**
     * Creates a process running elf, ready but not yet scheduled (McKernel's PREPARE_IMAGE): mcexec starts
     * it with {@link #start} once it serves the process's channel.
     */
    public Process prepare(ElfImage elf, String execfn, List<String> argv, List<String> envp, Credentials creds,
            Rlimits limits) {
        AddressSpace mm = newAddressSpace();
        try {
            mm.setStackLimit(limits.soft(Rlimits.RLIMIT_STACK) == Rlimits.RLIM_INFINITY ? 1L << 30
                    : limits.soft(Rlimits.RLIMIT_STACK));
            ElfLoader.Loaded loaded = ElfLoader.load(elf, mm);
            long sp = InitialStack.build(mm, loaded, execfn, argv, envp, new InitialStack.Facts(creds.uid(),
                    creds.euid(), creds.gid(), creds.egid(), hwcap, SignalFrame.MIN_SIGSTACK));
            Process p = processes.create(null, mm, elf.realPath(), creds, limits);
            p.setCmdline(argv);
            Thread t = p.threads().get(0);
            t.setStart(loaded.entry(), sp);
            kmsg.log("pid %d: %s loaded, entry %#x, brk %#x", p.pid(), execfn, loaded.entry(), loaded.brk());
            return p;
        } catch (RuntimeException e) {
            mm.destroy();
            throw e;
        }
    }

    /** Schedules a prepared process's first thread on the least loaded core (SCHEDULE_PROCESS). */
    public void start(Process p) {
        Thread t = p.threads().get(0);
        t.setCore(scheduler.placeNew());
        scheduler.enqueue(t);
        kmsg.log("pid %d: scheduled on core %d", p.pid(), t.core());
    }

    // ---- hot-plug (ihkosctl assign/release while the instance runs) ----

    /** Adds a core: a new emulated CPU, set up like the others. Returns its number. */
    public int addCore() {
        Core core = new Core(cores.size(), this, kmsg);
        core.setTlbTarget(config.tlbEntries());
        Cpu cpu = config.cpus().create(core.id(), core);
        image.setUpCore(cpu);
        core.attach(cpu, image);
        cores.add(core);
        kmsg.log("core %d: online", core.id());
        return core.id();
    }

    /** Removes the highest-numbered core; its threads move to the other cores. False if it is the last core. */
    public boolean removeCore() {
        if (cores.size() <= 1)
            return false;
        Core core = cores.remove(cores.size() - 1);
        core.saveForMigration();
        for (Thread t : core.drainQueue()) {
            t.setCore(-1);
            scheduler.enqueue(t);
        }
        for (Process p : processes.live())
            for (Thread t : p.threads())
                if (t.core() == core.id())
                    t.setCore(scheduler.placeNew());
        core.close();
        kmsg.log("core %d: offline", core.id());
        return true;
    }

    /** Adds a block of physical memory (already attached to this kernel's memory view) to every core and the allocator. */
    public void addMemory(PhysicalMemory.Block b) {
        image.mapPhysical(b.base(), b.size());
        for (Core c : cores)
            c.cpu().attachBlock(b);
        frames.addRange(b.base(), b.size());
        kmsg.log("memory %#x-%#x: online, %d frames free", b.base(), b.end(), frames.freeFrames());
    }

    /** Takes a block back if none of its frames is in use; false otherwise. */
    public boolean removeMemory(PhysicalMemory.Block b) {
        if (!frames.removeRange(b.base(), b.size()))
            return false;
        for (Core c : cores)
            c.cpu().detachBlock(b);
        kmsg.log("memory %#x-%#x: offline", b.base(), b.end());
        return true;
    }

    /** A few lines about the instance: cores, memory, processes (for `jmck ihk status`). */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("cores: %d%nmemory: %d MiB, %d MiB free%n", cores.size(),
                frames.totalFrames() * FrameAllocator.PAGE_SIZE >> 20, frames.freeFrames() * FrameAllocator.PAGE_SIZE >> 20));
        for (Process p : processes.live())
            b.append(String.format("process %d %s: %d thread(s), %d KiB resident%n", p.pid(), p.comm(),
                    p.threads().stream().filter(Thread::alive).count(), p.mm().residentBytes() >> 10));
        return b.toString();
    }

    /** Runs the scheduler on the calling host thread until done says stop. */
    public void run(BooleanSupplier done) {
        scheduler.run(done);
    }

    /** Ends thread t (exit). When it was the last thread, the process ends with waitStatus. */
    public void exitThread(Thread t, int waitStatus) {
        processes.kill(t);
        if (t.process().dead()) {
            processes.exit(t.process(), waitStatus);
            reap(t.process(), null, 0);
        }
    }

    /** exit_group: ends every thread of p with the given wait status. */
    public void exitProcess(Process p, int waitStatus) {
        processes.exit(p, waitStatus);
        for (Thread t : p.threads())
            processes.kill(t);
        reap(p, null, 0);
    }

    @Override
    public void killProcess(Process p, SigInfo info, boolean core) {
        long rip = 0;
        for (Thread t : p.threads())
            if (t.alive() && cores.get(t.core()).current() == t)
                rip = t.rip();
        processes.exit(p, info.signo() | (core ? 0x80 : 0));
        for (Thread t : p.threads())
            processes.kill(t);
        String why = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        kmsg.log("pid %d: killed by %s%s, rip %#x", p.pid(), Signals.name(info.signo()), why, rip);
        EventSink sink = events;
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "killed by " + Signals.name(info.signo()) + why);
        reap(p, info, rip);
    }

    /** Gives back everything a dead process held: its frames and page tables; tells the proxy and listeners. */
    private void reap(Process p, SigInfo killedBy, long rip) {
        long before = frames.freeFrames();
        p.mm().destroy();
        for (Thread t : p.threads())
            t.releaseContext();
        kmsg.log("pid %d: exited with status %#x, %d frames freed", p.pid(), p.waitStatus(), frames.freeFrames() - before);
        p.setExitMessage(killedBy == null ? "" : deathMessage(p, killedBy, rip));
        syscalls.forwarder().processExited(p, p.exitMessage());
        DebugHooks d = debug;
        if (d != null)
            d.processExited(p);
        for (ExitListener l : exitListeners)
            l.exited(p, killedBy, rip);
        wake();
    }

    /** "jmck: null_deref (pid 100): killed by SIGSEGV (Segmentation fault) at address 0x0, rip 0x401745" */
    public static String deathMessage(Process p, SigInfo info, long rip) {
        String where = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        return String.format("jmck: %s (pid %d): killed by %s (%s)%s, rip %#x", p.comm(), p.pid(),
                Signals.name(info.signo()), Signals.description(info.signo()), where, rip);
    }

    // ---- TLB shootdown ----

    private final AddressSpace.Shootdown shootdown = new AddressSpace.Shootdown() {
        @Override
        public void flush(AddressSpace as) {
            for (Core c : cores)
                if (c.loadedRoot() == as.root())
                    c.cpu().flushTlb();
        }

        @Override
        public void retireCode(long pa, long length) {
            for (Core c : cores)
                c.retireCode(pa, length);
        }
    };

    // ---- traps: the entry points from the cores ----

    /** A core executed `syscall`. Runs inside the CPU's syscall hook. */
    @Override
    public int syscall(Core core, Thread t) {
        Cpu cpu = core.cpu();
        long[] a = core.args;
        for (int i = 0; i < 6; i++)
            a[i] = cpu.syscallArg(i);
        EventSink sink = events;
        DebugHooks d = debug;
        long nr = cpu.syscallNumber();
        long[] args = d == null ? null : a.clone(); // handlers may reuse a
        long start = sink != null ? System.nanoTime() : 0;
        long r = syscalls.dispatch(t, nr, a);
        if (sink != null)
            sink.syscall(core.id(), t.process().pid(), t.tid(), nr, r, syscalls.lastForwarded(), start,
                    System.nanoTime() - start);
        boolean stop = d != null && d.syscallReturned(core, t, nr, args, r, syscalls.lastForwarded());
        if (r == SyscallDispatcher.NO_RETURN)
            return Cpu.STOP | Cpu.KEEP_RAX;
        cpu.setSyscallResult(r);
        if (stop || t.hasDeliverable() || t.state() != Thread.State.RUNNABLE || t.yieldRequested() || core.mustRetireCode())
            return Cpu.STOP;
        return Cpu.CONTINUE;
    }

    /** A core raised an exception. Runs inside the CPU's interrupt hook. */
    @Override
    public int interrupt(Core core, Thread t) {
        Cpu cpu = core.cpu();
        int vector = cpu.trapVector();
        if (vector == X86.VEC_PF)
            return pageFault(core, t, cpu);
        signals.force(t, Traps.signalFor(vector, cpu.trapRip()));
        t.setTrap(vector, 0);
        return Cpu.STOP;
    }

    /**
     * The #PF entry: decode the error code, let the address space's fault handler decide, and either resume
     * the instruction or raise SIGSEGV (SIGKILL when memory is exhausted).
     */
    private int pageFault(Core core, Thread t, Cpu cpu) {
        long addr = cpu.trapCr2();
        int err = cpu.trapErrorCode();
        FaultOutcome.Access access = (err & X86.PF_FETCH) != 0 ? FaultOutcome.Access.EXEC
                : (err & X86.PF_WRITE) != 0 ? FaultOutcome.Access.WRITE : FaultOutcome.Access.READ;
        EventSink sink = events;
        DebugHooks d = debug;
        if (d != null)
            d.faultEntered(core, t, addr, err);
        long start = sink != null ? System.nanoTime() : 0;
        FaultOutcome o = t.process().mm().fault(addr, access, (err & X86.PF_PRESENT) != 0);
        if (sink != null)
            sink.fault(new FaultEvent(core.id(), t.process().pid(), t.tid(), cpu.trapRip(), o, false,
                    System.nanoTime() - start));
        if (o.resolved())
            return d != null && d.faultHandled(core, t, o) ? Cpu.STOP : Cpu.CONTINUE;
        if (d != null)
            d.faultHandled(core, t, o);
        t.setTrap(X86.VEC_PF, err);
        if (o.decision() == FaultOutcome.Decision.OUT_OF_MEMORY) {
            kmsg.log("pid %d: out of memory at %#x: killed", t.process().pid(), addr);
            System.err.println("jmck: out of memory: killed process " + t.process().pid() + " (" + t.process().comm() + ")");
            signals.force(t, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
        } else {
            int code = o.decision() == FaultOutcome.Decision.SEGV_MAPERR ? Signals.SEGV_MAPERR : Signals.SEGV_ACCERR;
            signals.force(t, SigInfo.fault(Signals.SIGSEGV, code, addr));
        }
        return Cpu.STOP;
    }

    // ---- around each slice (Scheduler.Hooks) ----

    @Override
    public boolean beforeRun(Core core, Thread t) {
        core.retirePendingCode();
        t.applyPendingResult(core.cpu());
        if (t.hasDeliverable())
            deliverSignals(core, t);
        EventSink sink = events;
        if (sink != null)
            sink.schedule(core.id(), t.process().pid(), t.tid(), "run");
        DebugHooks d = debug;
        debugSteps = 0;
        if (d != null && t.alive() && t.state() == Thread.State.RUNNABLE)
            debugSteps = d.beforeSlice(core, t); // a debugger's stop: it may step, hold or kill the thread
        return debugSteps >= 0 && t.alive() && t.state() == Thread.State.RUNNABLE;
    }

    @Override
    public long instructionLimit(Core core, Thread t) {
        return debugSteps;
    }

    @Override
    public void afterRun(Core core, Thread t, Cpu.RunResult result) {
        if (!t.alive())
            return;
        if (result == Cpu.RunResult.INVALID_INSTRUCTION) {
            signals.force(t, SigInfo.fault(Signals.SIGILL, Signals.ILL_ILLOPC, t.rip()));
            t.setTrap(X86.VEC_UD, 0);
        } else if (result == Cpu.RunResult.FAILED) {
            kmsg.log("pid %d: core %d failed: %s", t.process().pid(), core.id(), core.cpu().lastRunError());
            System.err.println("jmck: core " + core.id() + " failed: " + core.cpu().lastRunError());
            killProcess(t.process(), SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
            return;
        }
        t.runKernelWork(core.cpu());
        if (t.alive() && t.hasDeliverable())
            deliverSignals(core, t);
    }

    private void deliverSignals(Core core, Thread t) {
        long ready = t.pendingMask() & ~t.blockedMask();
        int signo = Long.numberOfTrailingZeros(ready) + 1;
        DebugHooks d = debug;
        if (d != null && ready != 0)
            d.signalDelivering(core, t, signo);
        EventSink sink = events;
        if (sink != null && ready != 0)
            sink.signal(core.id(), t.process().pid(), t.tid(), Signals.name(signo));
        signals.deliver(core.cpu(), t, t.trapNo(), t.trapError());
        t.setTrap(0, 0);
        if (t.alive())
            t.setRip(core.cpu().reg(X86Reg.RIP));
    }

    /** Nanoseconds since boot. */
    public long uptimeNanos() {
        return System.nanoTime() - bootNanos;
    }

    /** Blocks t until deadline (System.nanoTime); it then returns 0 from its syscall. */
    public void sleep(Thread t, long deadline, String reason) {
        scheduler.block(t, reason);
        addTimer(deadline, () -> {
            if (t.alive() && t.state() == Thread.State.BLOCKED) {
                t.setPendingResult(0);
                scheduler.enqueue(t);
            }
        });
    }

    /** Runs action on the scheduler's thread at deadline. */
    public void addTimer(long deadline, Runnable action) {
        synchronized (wakeup) {
            timers.add(new Timer(deadline, action));
        }
    }

    /** sched_yield: t goes to the back of its core's run queue. */
    public void yield(Thread t) {
        t.requestYield();
    }

    public void setIdler(Idler idler) {
        this.idler = idler;
    }

    /** Runs task on the kernel's thread soon (safe from any thread). */
    public void submit(Runnable task) {
        tasks.add(task);
        wake();
    }

    /** Adds work polled at every tick on the kernel's thread. */
    public void addPoller(Runnable poller) {
        pollers.add(poller);
    }

    /** The idler's count when the last tick began: a ring after it must not be slept through. */
    private int seenAtTick;

    @Override
    public void tick() {
        seenAtTick = idler.count();
        for (Runnable task; (task = tasks.poll()) != null; )
            task.run();
        for (Runnable p : pollers)
            p.run();
        while (true) {
            Timer due;
            synchronized (wakeup) {
                due = timers.peek();
                if (due == null || due.deadline() > System.nanoTime())
                    return;
                timers.poll();
            }
            due.action().run();
        }
    }

    @Override
    public void idle() {
        Idler i = idler;
        int seen = seenAtTick;
        if (!tasks.isEmpty())
            return;
        long waitNanos = 10_000_000L;
        synchronized (wakeup) {
            if (!timers.isEmpty())
                waitNanos = Math.min(waitNanos, timers.peek().deadline() - System.nanoTime());
        }
        if (waitNanos > 0)
            i.await(seen, waitNanos);
    }

    /** Wakes an idle scheduler (a delegated syscall finished, a process ended). */
    public void wake() {
        idler.wake();
    }

    @Override
    public boolean waitingForEvents() {
        DebugHooks d = debug;
        if (d != null && d.wantsSlices())
            return true;
        synchronized (wakeup) {
            return externalWaits > 0 || !timers.isEmpty();
        }
    }

    /** Counts threads blocked on something outside the cores (a delegated syscall, a timer). */
    public void externalWait(int delta) {
        synchronized (wakeup) {
            externalWaits += delta;
        }
    }

    /** Stops the cores and returns the kernel's own frames. The kernel cannot run again. */
    public void shutdown() {
        for (Process p : processes.live())
            killProcess(p, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
        for (Core c : cores)
            c.close();
        if (image != null)
            image.free(frames);
        kmsg.log("jmck LWK: shut down, %d of %d frames free", frames.freeFrames(), frames.totalFrames());
    }

    /** Sends output of the kernel log to a sink as it is written (--verbose). */
    public void echoKmsg(Consumer<String> sink) {
        kmsg.setEcho(sink);
    }
}
