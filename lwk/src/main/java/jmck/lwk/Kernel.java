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
import jmck.lwk.elf.InitialStack;
import jmck.lwk.elf.ProgramLoader;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;
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
    private final jmck.lwk.proc.Futexes futexes = new jmck.lwk.proc.Futexes();
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

    public jmck.lwk.proc.Futexes futexes() {
        return futexes;
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
        frames.setListener(sink == null ? null : sink::frames);
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
            ProgramLoader.Program loaded = ProgramLoader.load(elf, mm);
            long sp = InitialStack.build(mm, loaded, execfn, argv, envp, new InitialStack.Facts(creds.uid(),
                    creds.euid(), creds.gid(), creds.egid(), hwcap, SignalFrame.MIN_SIGSTACK));
            Process p = processes.create(null, mm, elf.realPath(), creds, limits);
            p.setCmdline(argv);
            Thread t = p.threads().get(0);
            t.setStart(loaded.start(), sp);
            kmsg.log("pid %d: %s loaded, %s", p.pid(), execfn, loaded.describe());
            return p;
        } catch (RuntimeException e) {
            mm.destroy();
            throw e;
        }
    }

    /**
     * execve, once the file is open and checked: builds the new image in a new address space, and only
     * when that worked, replaces the process's program. Other threads end; handled signals go back to
     * their default action; the thread starts afresh at the new entry point the next time it runs. A vfork
     * parent waiting for this process resumes. Returns 0, or -errno with the old program untouched.
     */
    public long exec(Thread t, ElfImage elf, String execfn, List<String> argv, List<String> envp) {
        Process p = t.process();
        AddressSpace mm = newAddressSpace();
        long sp;
        ProgramLoader.Program loaded;
        try {
            Rlimits limits = p.rlimits();
            mm.setStackLimit(limits.soft(Rlimits.RLIMIT_STACK) == Rlimits.RLIM_INFINITY ? 1L << 30
                    : limits.soft(Rlimits.RLIMIT_STACK));
            loaded = ProgramLoader.load(elf, mm);
            Credentials c = p.credentials();
            sp = InitialStack.build(mm, loaded, execfn, argv, envp, new InitialStack.Facts(c.uid(), c.euid(), c.gid(),
                    c.egid(), hwcap, SignalFrame.MIN_SIGSTACK));
        } catch (jmck.lwk.elf.ExecFormatException e) {
            mm.destroy();
            return -e.errno();
        } catch (jmck.lwk.mm.OutOfMemoryException | jmck.lwk.mm.BadAddressException e) {
            mm.destroy();
            return -jmck.lwk.abi.Errno.ENOMEM;
        }
        // The point of no return (Linux's de_thread and exec_mmap).
        for (Thread other : new ArrayList<>(p.threads()))
            if (other != t && other.alive()) {
                processes.kill(other);
                other.releaseContext();
                processes.removeThread(other);
            }
        AddressSpace old = p.mm();
        p.replaceImage(mm, elf.realPath());
        p.setCmdline(argv);
        old.release();
        t.setAltStack(0, 0, 2); // SS_DISABLE
        t.setClearChildTid(0);
        t.setRobustList(0, 0);
        t.setStart(loaded.start(), sp);
        t.resetContext();
        kmsg.log("pid %d: execve %s, %s", p.pid(), execfn, loaded.describe());
        Thread vforked = p.vforkParent();
        if (vforked != null) {
            p.setVforkParent(null);
            scheduler.wake(vforked, p.pid());
        }
        return 0;
    }

    /** The most threads and processes an instance holds at once (fork bombs stop here with EAGAIN). */
    public static final int MAX_TASKS = 4096;

    /**
     * fork also fails with EAGAIN while less than 1/FORK_RESERVE of the partition is free. A child's first
     * writes copy pages, a whole 2 MiB page each with large pages, so without a reserve a fork bomb ends
     * in the OOM killer (which may pick the parent) instead of in a failing fork; Linux keeps
     * user_reserve_kbytes for the same purpose. Threads share their memory and only count as tasks.
     */
    public static final int FORK_RESERVE = 16;

    /** Whether memory is below the fork reserve: 1/FORK_RESERVE of the partition, and at least 4 of its largest pages. */
    private boolean belowForkReserve() {
        long reserve = Math.max(frames.totalFrames() / FORK_RESERVE, 4 * (config.maxPage().bytes / FrameAllocator.PAGE_SIZE));
        return frames.freeFrames() < reserve;
    }

    /**
     * fork and clone without CLONE_THREAD: a new process whose address space is a copy-on-write copy of
     * t's (or t's own, shared, with CLONE_VM), with one thread whose registers are t's at this syscall
     * (see {@link #childRegisters}). It is not scheduled yet: the proxy first takes a copy of the parent's
     * files ({@link #start}). Returns null (EAGAIN) when the instance is full, below the fork reserve, or out
     * of memory.
     */
    public Process fork(Thread t, boolean shareVm, Cpu.Context registers) {
        if (processes.taskCount() >= MAX_TASKS || !shareVm && belowForkReserve())
            return null;
        Process parent = t.process();
        AddressSpace mm;
        if (shareVm) {
            mm = parent.mm();
            mm.addUser();
        } else {
            mm = newAddressSpace();
            try {
                parent.mm().forkInto(mm);
            } catch (jmck.lwk.mm.OutOfMemoryException e) {
                mm.destroy();
                return null;
            }
        }
        Process child = processes.fork(parent, mm);
        Thread ct = child.threads().get(0);
        ct.setContext(registers, cpuOf(t).syscallRip() + 2, !shareVm);
        ct.setBlockedMask(t.blockedMask());
        ct.setAltStack(t.altStackSp(), t.altStackSize(), t.altStackFlags());
        kmsg.log("pid %d: forked pid %d%s", parent.pid(), child.pid(), shareVm ? " (sharing its memory)" : "");
        return child;
    }

    /**
     * clone with CLONE_THREAD: a new thread of t's process, starting from t's registers at this syscall,
     * placed on the least loaded core. Returns null when the instance is full.
     */
    public Thread cloneThread(Thread t, Cpu.Context registers) {
        if (processes.taskCount() >= MAX_TASKS)
            return null;
        Thread child = processes.newThread(t.process());
        child.setContext(registers, cpuOf(t).syscallRip() + 2, false);
        child.setBlockedMask(t.blockedMask());
        child.setCore(scheduler.placeNew());
        scheduler.enqueue(child);
        EventSink sink = events;
        if (sink != null)
            sink.schedule(child.core(), t.process().pid(), child.tid(), "new thread placed on core " + child.core());
        return child;
    }

    /**
     * A copy of the registers of t's core at its clone/fork syscall, as the child starts with them: rax 0
     * (the child's return value), rsp the new stack if one is given, fs_base the new TLS if setTls.
     */
    public Cpu.Context childRegisters(Thread t, long newStack, boolean setTls, long tls) {
        Cpu cpu = cpuOf(t);
        long rax = cpu.reg(X86Reg.RAX), rsp = cpu.reg(X86Reg.RSP), fs = cpu.reg(X86Reg.FS_BASE);
        cpu.setReg(X86Reg.RAX, 0);
        if (newStack != 0)
            cpu.setReg(X86Reg.RSP, newStack);
        if (setTls)
            cpu.setReg(X86Reg.FS_BASE, tls);
        Cpu.Context c = cpu.newContext();
        cpu.save(c);
        cpu.setReg(X86Reg.RAX, rax);
        cpu.setReg(X86Reg.RSP, rsp);
        cpu.setReg(X86Reg.FS_BASE, fs);
        return c;
    }

    /** Undoes a fork whose child never ran (the proxy could not serve it). */
    public void discard(Process child) {
        for (Thread t : child.threads()) {
            processes.kill(t);
            t.releaseContext();
        }
        child.mm().release();
        child.markEnded();
        processes.remove(child);
    }

    /** Schedules a prepared process's first thread on the least loaded core (SCHEDULE_PROCESS). */
    public void start(Process p) {
        Thread t = p.threads().get(0);
        t.setCore(scheduler.placeNew());
        scheduler.enqueue(t);
        kmsg.log("pid %d: scheduled on core %d", p.pid(), t.core());
        EventSink sink = events;
        if (sink != null)
            sink.schedule(t.core(), p.pid(), t.tid(), "new process placed on core " + t.core());
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

    /** The kernel's counters, for leak checks (`jmck ihk status -v`): frames, tasks, processes. */
    public java.util.Map<String, Long> counters() {
        java.util.Map<String, Long> c = new java.util.LinkedHashMap<>();
        c.put("frames_total", frames.totalFrames());
        c.put("frames_free", frames.freeFrames());
        c.put("tasks", (long) processes.taskCount());
        c.put("processes", (long) processes.processes().size()); // live ones and zombies not yet reaped
        c.put("live_processes", (long) processes.live().size());
        return c;
    }

    /** Runs the scheduler on the calling host thread until done says stop. */
    public void run(BooleanSupplier done) {
        scheduler.run(done);
    }

    /**
     * Ends thread t (exit). Its CLONE_CHILD_CLEARTID word is cleared and one waiter on it woken (that is
     * how pthread_join learns of the exit). When it was the last thread, the process ends with waitStatus.
     */
    public void exitThread(Thread t, int waitStatus) {
        Process p = t.process();
        long tidAddress = t.clearChildTid();
        if (tidAddress != 0 && !p.exiting()) {
            try {
                p.mm().writeInt(tidAddress, 0);
                for (Thread w : futexes.take(futexKey(p.mm(), tidAddress), 1, jmck.lwk.proc.Futexes.ANY))
                    scheduler.wake(w, 0);
            } catch (jmck.lwk.mm.BadAddressException e) {
                // the word is gone (the stack was unmapped): nothing to clear, as Linux
            }
        }
        processes.kill(t);
        if (p.dead()) {
            processes.exit(p, waitStatus);
            reap(p, null, 0);
        } else {
            processes.removeThread(t);
        }
    }

    /**
     * The futex queue for the word at va (Linux's get_futex_key): private memory is named by address space
     * and address, shared memory by physical address, so that processes sharing a page meet on it. Throws
     * {@link jmck.lwk.mm.BadAddressException} if va is not mapped.
     */
    public jmck.lwk.proc.Futexes.Key futexKey(AddressSpace mm, long va) {
        jmck.lwk.mm.Vma v = mm.find(va);
        if (v == null || !v.shared())
            return new jmck.lwk.proc.Futexes.Key(mm, va);
        long pa = mm.resolve(va, false);
        if (pa < 0)
            throw new jmck.lwk.mm.BadAddressException(jmck.lwk.abi.Errno.EFAULT);
        return new jmck.lwk.proc.Futexes.Key(null, pa);
    }

    /** exit_group: ends every thread of p with the given wait status. */
    public void exitProcess(Process p, int waitStatus) {
        processes.exit(p, waitStatus);
        for (Thread t : p.threads())
            processes.kill(t);
        reap(p, null, 0);
    }

    @Override
    public void interrupt(Thread t) {
        scheduler.interrupt(t);
    }

    @Override
    public void wakeSigwait(Thread t) {
        scheduler.wakeToRestart(t);
    }

    @Override
    public void stopProcess(Process p, int sig) {
        if (p.exiting() || p.stopSignal() != 0)
            return;
        p.stop(sig);
        kmsg.log("pid %d: stopped by %s", p.pid(), Signals.name(sig));
        EventSink sink = events;
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "stopped by " + Signals.name(sig));
        tellParent(p, Signals.CLD_STOPPED, sig);
    }

    @Override
    public void continueProcess(Process p) {
        if (p.exiting() || p.stopSignal() == 0)
            return;
        for (Thread t : p.resume())
            if (t.alive())
                scheduler.enqueue(t);
        kmsg.log("pid %d: continued", p.pid());
        tellParent(p, Signals.CLD_CONTINUED, Signals.SIGCONT);
    }

    /** A child stopped or continued: the parent hears SIGCHLD (unless SA_NOCLDSTOP) and its waits look again. */
    private void tellParent(Process p, int code, int status) {
        Process parent = p.parent();
        if (parent == null || parent.ended())
            return;
        if (!parent.action(Signals.SIGCHLD).has(jmck.lwk.signal.SigAction.SA_NOCLDSTOP))
            signals.send(parent, new SigInfo(Signals.SIGCHLD, code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
        for (Thread w : new ArrayList<>(parent.childWaiters()))
            scheduler.wakeToRestart(w);
    }

    @Override
    public void killProcess(Process p, SigInfo info, boolean core) {
        long rip = 0;
        for (Thread t : p.threads())
            if (t.alive() && cores.get(t.core()).current() == t)
                rip = t.rip();
        // The core flag says a dump was written; Linux writes none when RLIMIT_CORE is 0 (jmck never writes one).
        boolean dumped = core && p.rlimits().soft(Rlimits.RLIMIT_CORE) != 0;
        processes.exit(p, info.signo() | (dumped ? 0x80 : 0));
        for (Thread t : p.threads())
            processes.kill(t);
        String why = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        kmsg.log("pid %d: killed by %s%s, rip %#x", p.pid(), Signals.name(info.signo()), why, rip);
        EventSink sink = events;
        if (sink != null)
            sink.signal(-1, p.pid(), p.pid(), "killed by " + Signals.name(info.signo()) + why);
        reap(p, info, rip);
    }

    /**
     * Gives back everything a dead process held (its frames and page tables, unless a vfork child still
     * shares them), tells the proxy and listeners, and leaves the process a zombie for its parent: the
     * parent gets its exit signal and its wait4 runs again. Its own children pass to init, which reaps.
     */
    private void reap(Process p, SigInfo killedBy, long rip) {
        long before = frames.freeFrames();
        p.mm().release();
        futexes.forget(p);
        for (Thread t : p.threads())
            t.releaseContext();
        p.markEnded();
        kmsg.log("pid %d: exited with status %#x, %d frames freed", p.pid(), p.waitStatus(), frames.freeFrames() - before);
        p.setExitMessage(killedBy == null ? "" : deathMessage(p, killedBy, rip));
        syscalls.forwarder().processExited(p, p.exitMessage());
        DebugHooks d = debug;
        if (d != null)
            d.processExited(p);
        for (ExitListener l : exitListeners)
            l.exited(p, killedBy, rip);
        Thread vforked = p.vforkParent();
        if (vforked != null) {
            p.setVforkParent(null);
            scheduler.wake(vforked, p.pid());
        }
        for (Process child : new ArrayList<>(p.children())) {
            processes.orphan(child);
            if (child.ended())
                processes.remove(child);
        }
        notifyParent(p);
        wake();
    }

    /** A child ended: its parent gets the exit signal (SIGCHLD) and its waiters look again; init reaps orphans. */
    private void notifyParent(Process p) {
        Process parent = p.parent();
        if (parent == null || parent.ended()) {
            processes.remove(p);
            return;
        }
        int ws = p.waitStatus();
        int code = (ws & 0x7f) == 0 ? Signals.CLD_EXITED : (ws & 0x80) != 0 ? Signals.CLD_DUMPED : Signals.CLD_KILLED;
        int status = (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : ws & 0x7f;
        jmck.lwk.signal.SigAction a = parent.action(Signals.SIGCHLD);
        boolean autoReap = p.exitSignal() == Signals.SIGCHLD
                && (a.isIgnore() || a.has(jmck.lwk.signal.SigAction.SA_NOCLDWAIT));
        if (p.exitSignal() != 0)
            signals.send(parent, new SigInfo(p.exitSignal(), code, 0, 0, p.pid(), (int) p.credentials().uid(), status));
        if (autoReap)
            processes.remove(p);
        for (Thread w : new ArrayList<>(parent.childWaiters()))
            scheduler.wakeToRestart(w);
    }

    /**
     * "jmck: null_deref (pid 100): killed by SIGSEGV (Segmentation fault) at address 0x0, rip 0x401745", or
     * for the OOM killer's victim "jmck: touch_mem (pid 100): killed by SIGKILL (out of memory), rip 0x401567"
     */
    public static String deathMessage(Process p, SigInfo info, long rip) {
        String where = info.isFault() ? String.format(" at address %#x", info.addr()) : "";
        boolean oom = info.signo() == Signals.SIGKILL && p.outOfMemory();
        return String.format("jmck: %s (pid %d): killed by %s (%s)%s, rip %#x", p.comm(), p.pid(),
                Signals.name(info.signo()), oom ? "out of memory" : Signals.description(info.signo()), where, rip);
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
        t.setSyscallNr(nr);
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
        if (Traps.softwareInterrupt(vector))
            cpu.setReg(X86Reg.RIP, cpu.trapRip() - 2); // a #GP at the int instruction, as Linux reports it
        long ioFrom = cpu.trapIoFrom();
        if (ioFrom != 0) // in/out: a #GP at the instruction, which decoding finds
            cpu.setReg(X86Reg.RIP, Traps.portIoInstruction(codeFrom(t.process().mm(), ioFrom), ioFrom));
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
            t.process().setOutOfMemory(); // its death line says so
            signals.force(t, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0));
        } else {
            int code = o.decision() == FaultOutcome.Decision.SEGV_MAPERR ? Signals.SEGV_MAPERR : Signals.SEGV_ACCERR;
            signals.force(t, SigInfo.fault(Signals.SIGSEGV, code, addr));
        }
        return Cpu.STOP;
    }

    /** The code at va up to the end of the next page (less where that is not mapped). */
    private static byte[] codeFrom(AddressSpace mm, long va) {
        int len = (int) (2 * 4096 - (va & (4096 - 1)));
        while (true) {
            try {
                return mm.copyIn(va, len);
            } catch (BadAddressException e) {
                if (len <= 4096)
                    return new byte[0];
                len -= 4096;
            }
        }
    }

    // ---- around each slice (Scheduler.Hooks) ----

    @Override
    public void scheduled(Core c, Thread t, String what) {
        EventSink sink = events;
        if (sink != null)
            sink.schedule(c == null ? t.core() : c.id(), t.process().pid(), t.tid(), what);
    }

    @Override
    public boolean beforeRun(Core core, Thread t) {
        core.retirePendingCode();
        t.applyPendingResult(core.cpu());
        if (t.hasDeliverable())
            deliverSignals(core, t);
        if (t.alive() && t.interrupted() != Thread.Interrupt.NONE) { // no handler took the signal: look again
            t.restoreSavedMask();
            t.restartSyscall(core.cpu());
        }
        if (t.alive() && t.process().stopSignal() != 0) { // job control: off the core until SIGCONT
            scheduler.block(t, "stopped");
            t.process().park(t);
            return false;
        }
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
            signals.force(t, SigInfo.fault(Signals.SIGILL, Signals.ILL_ILLOPN, t.rip()));
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
        DebugHooks d = debug;
        long ready = t.pendingMask() & ~t.blockedMask();
        if (d != null && ready != 0)
            d.signalDelivering(core, t, Long.numberOfTrailingZeros(ready) + 1);
        SigInfo handled = signals.deliver(core.cpu(), t, t.trapNo(), t.trapError());
        EventSink sink = events;
        if (handled != null && sink != null)
            sink.signal(core.id(), t.process().pid(), t.tid(), "handler for " + Signals.name(handled.signo()) + " runs");
        t.setTrap(0, 0);
        if (t.alive())
            t.setRip(core.cpu().reg(X86Reg.RIP));
    }

    /** Nanoseconds since boot. */
    public long uptimeNanos() {
        return System.nanoTime() - bootNanos;
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
