package jmck.lwk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import jmck.emulator.Cpu;
import jmck.emulator.PhysicalMemory;
import jmck.lwk.arch.Cpuid;
import jmck.lwk.arch.KernelImage;
import jmck.lwk.debug.DebugHooks;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.PageCache;
import jmck.lwk.mm.PageSize;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Futexes;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.ProcessTable;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;
import jmck.lwk.signal.Signals;
import jmck.lwk.syscall.SyscallContext;
import jmck.lwk.syscall.SyscallDispatcher;
import jmck.lwk.syscall.SyscallTable;
import jmck.lwk.trace.EventSink;

/**
 * One LWK instance: McKernel's kernel/ in Java. This class holds the instance's state (its physical
 * memory and buddy allocator, its cores, processes, futexes, signals, syscall table) and boots it
 * ({@link #boot}); the kernel's code lives in one class per mechanism beside it (see package-info):
 * {@link KernelEntry} where traps arrive, {@link ReturnToUser} around each slice, {@link ProcessLifecycle}
 * and {@link ProcessExit} for processes, {@link EventLoop} and {@link Timers} for what happens between
 * slices, {@link HotPlug} and {@link TlbShootdown}. The public methods below are the instance's API for the
 * host side (IHK, mcexec, `jmck run`); syscall handlers see the narrower {@link SyscallContext}.
 */
public final class Kernel implements SyscallContext {
    /** Makes the emulated CPU for a core. */
    public interface CpuFactory {
        Cpu create(int core, Cpu.TrapHandler handler);
    }

    /**
     * What a kernel instance is given: memory ranges of the machine's physical memory, core count, page
     * policy, and whether its cores run in parallel (each on a host thread of its own; else exact mode,
     * every core on one host thread, deterministic).
     */
    public record Config(List<long[]> memory, int cores, PageSize maxPage, CpuFactory cpus, int tlbEntries,
            boolean parallel) {
        public Config(List<long[]> memory, int cores, PageSize maxPage, CpuFactory cpus, int tlbEntries) {
            this(memory, cores, maxPage, cpus, tlbEntries, false);
        }

        public Config(List<long[]> memory, int cores, PageSize maxPage, CpuFactory cpus) {
            this(memory, cores, maxPage, cpus, DEFAULT_TLB_ENTRIES, false);
        }
    }

    /** Software TLB entries each core grows to before it runs a new address space (QEMU starts at 256). */
    public static final int DEFAULT_TLB_ENTRIES = 16384;

    /** Told when a process has ended and its resources are back. */
    public interface ExitListener {
        void exited(Process p, SigInfo killedBy, long killRip);
    }

    // ---- the instance's state ----
    private final PhysicalMemory mem;
    private final Config config;
    private final KernelLog kmsg = new KernelLog();
    private final FrameAllocator frames;
    /** File pages that address spaces map privately, shared between them (libraries' text). */
    private final PageCache pageCache;
    private final List<Core> cores = new CopyOnWriteArrayList<>();
    private final ProcessTable processes = new ProcessTable();
    private final Futexes futexes = new Futexes();
    private final SyscallDispatcher syscalls = new SyscallDispatcher(kmsg);
    private final Scheduler scheduler = new Scheduler(cores);
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
    /** Files the LWK implements itself (pidfds, signalfds); told when processes end and are reaped. */
    private final jmck.lwk.file.LocalFiles localFiles = new jmck.lwk.file.LocalFiles();
    private final long bootNanos = System.nanoTime();
    private volatile EventSink events;
    /** The stepper's or gdb stub's hooks; null (one check per trap) when no debugger is attached. */
    private volatile DebugHooks debug;
    private KernelImage image;
    private Cpuid cpuid;
    private boolean booted;
    /** Whether the cores run on host threads of their own (asked for, and the engine keeps lock ops atomic). */
    private boolean parallel;

    // ---- the kernel's mechanisms ----
    private final ProcessExit exits = new ProcessExit(this);
    private final Signals signals = new Signals(exits, processes.taskLock(), scheduler);
    private final ProcessLifecycle lifecycle = new ProcessLifecycle(this);
    private final KernelEntry entry = new KernelEntry(this);
    private final ReturnToUser returnToUser = new ReturnToUser(this);
    private final Timers timers = new Timers();
    private final EventLoop eventLoop = new EventLoop(this);
    private final TlbShootdown shootdown = new TlbShootdown(cores);
    private final HotPlug hotPlug = new HotPlug(this);
    private final CoreThreads coreThreads = new CoreThreads(this);

    public Kernel(PhysicalMemory mem, Config config) {
        this.mem = mem;
        this.config = config;
        this.frames = new FrameAllocator(mem.size());
        timers.setOnEarliest(new Runnable() { // the kernel's thread may sleep until a later deadline
            @Override
            public void run() {
                eventLoop.wake();
            }
        });
        this.pageCache = new PageCache(mem, frames);
    }

    /**
     * Boots the kernel on its cores:
     * <ol>
     * <li>hands the partition's memory ranges to the buddy allocator;</li>
     * <li>installs the kernel image (GDT, sysret trampoline) and the kernel half of the page tables;</li>
     * <li>brings up each core: an emulated CPU put in long mode with paging, its boot state saved;</li>
     * <li>reads what the CPU says of itself with cpuid (AT_HWCAP, /proc/cpuinfo);</li>
     * <li>starts registering the syscall handlers (on another thread) and hands the scheduler its hooks.</li>
     * </ol>
     */
    public void boot() {
        if (booted)
            throw new IllegalStateException("already booted");
        // The syscall handlers (some 20 classes loaded and made, 4-8 ms in the interpreter) are registered on
        // a second thread while this one sets up memory and cores, the host side loads the first program and
        // it begins to run; its first local syscall waits for them.
        syscalls.registerInBackground(new Runnable() {
            @Override
            public void run() {
                SyscallTable.registerAll(syscalls, Kernel.this);
            }
        });
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
        for (int i = 0; i < config.cores(); i++)
            cores.add(bringUpCore(i));
        kmsg.log("jmck LWK: cores run on %s", cores.get(0).cpu().engineName());
        parallel = config.parallel() && cores.get(0).cpu().canRunInParallel();
        int hostCpus = cores.get(0).cpu().hostCpus();
        if (parallel && hostCpus > 0 && hostCpus < config.cores())
            kmsg.log("jmck LWK: parallel mode: each core on a host thread of its own; %d cores take turns on %d"
                    + " host CPUs, a spinning core handing its CPU over", config.cores(), hostCpus);
        else if (parallel)
            kmsg.log("jmck LWK: parallel mode: each core on a host thread of its own");
        else if (config.parallel())
            kmsg.log("jmck LWK: exact mode: this engine keeps lock ops atomic on one host thread only (scripts/setup.sh"
                    + " builds one that does not)");
        else
            kmsg.log("jmck LWK: exact mode: every core on one host thread, deterministic");
        cpuid = Cpuid.read(cores.get(0).cpu(), image, mem);
        LocalFilesHooks hooks = new LocalFilesHooks();
        exitListeners.add(hooks);
        signals.setPendingListener(hooks);
        processes.setReapListener(hooks);
        scheduler.setHooks(returnToUser, eventLoop);
        booted = true;
        kmsg.log("jmck LWK: booted, %d frames free", frames.freeFrames());
    }

    /**
     * What the local files (pidfds, signalfds) hear of processes: exits, pending signals, reaps. One class
     * rather than three lambdas: at boot each lambda's first run linked it, 0.2-0.9 ms (docs/performance.md,
     * "code run once"); this file's other hooks on the start-up path are classes for the same reason.
     */
    private final class LocalFilesHooks implements ExitListener, Signals.PendingListener, Consumer<Process> {
        @Override
        public void exited(Process p, SigInfo killedBy, long killRip) {
            localFiles.exited(p);
        }

        @Override
        public void changed(Process p) {
            localFiles.signalFiles().changed(p);
        }

        @Override
        public void accept(Process p) {
            localFiles.reaped(p);
        }
    }

    /** A new core: an emulated CPU set up by the kernel image (long mode, paging), its boot state saved. */
    Core bringUpCore(int id) {
        Core core = new Core(id, entry, kmsg);
        core.setTlbTarget(config.tlbEntries());
        Cpu cpu = config.cpus().create(id, core);
        image.setUpCore(cpu);
        core.attach(cpu, image);
        return core;
    }

    // ---- the instance's state (SyscallContext, and the mechanisms) ----

    @Override
    public KernelLog kmsg() {
        return kmsg;
    }

    @Override
    public FrameAllocator frames() {
        return frames;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    @Override
    public ProcessTable processes() {
        return processes;
    }

    @Override
    public SyscallDispatcher syscalls() {
        return syscalls;
    }

    @Override
    public Signals signals() {
        return signals;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public Futexes futexes() {
        return futexes;
    }

    @Override
    public ProcessLifecycle lifecycle() {
        return lifecycle;
    }

    @Override
    public ProcessExit exits() {
        return exits;
    }

    @Override
    public Timers timers() {
        return timers;
    }

    public EventLoop eventLoop() {
        return eventLoop;
    }

    CoreThreads coreThreads() {
        return coreThreads;
    }

    /** Whether the cores run in parallel, each on a host thread of its own (when no debugger is attached). */
    public boolean parallel() {
        return parallel;
    }

    public List<Core> cores() {
        return cores;
    }

    @Override
    public int coreCount() {
        return cores.size();
    }

    public PageSize maxPage() {
        return config.maxPage();
    }

    Config config() {
        return config;
    }

    KernelImage image() {
        return image;
    }

    /** The CPU's feature flags (cpuid 1, edx) for AT_HWCAP. */
    long hwcap() {
        return cpuid.hwcap();
    }

    @Override
    public Cpuid cpuid() {
        return cpuid;
    }

    /** The CPU a thread is on (during its syscalls and faults: the one running it). */
    @Override
    public Cpu cpuOf(Thread t) {
        return cores.get(t.core()).cpu();
    }

    /** Nanoseconds since boot. */
    @Override
    public long uptimeNanos() {
        return System.nanoTime() - bootNanos;
    }

    @Override
    public jmck.lwk.file.LocalFiles localFiles() {
        return localFiles;
    }

    public void setEventSink(EventSink sink) {
        events = sink;
        frames.setListener(sink == null ? null : sink::frames);
        letHooksAnswerFutexWakes();
    }

    public EventSink eventSink() {
        return events;
    }

    /** Attaches a debugger (null detaches it); see {@link DebugHooks} for where it is called. */
    public void setDebugHooks(DebugHooks hooks) {
        debug = hooks;
        letHooksAnswerFutexWakes();
    }

    /**
     * The futex waiter count the cores' syscall hooks may answer FUTEX_WAKE_PRIVATE by ({@link Futexes}), or 0
     * when they must not: in exact mode (every trap comes here, where slices and kicks are decided), and while
     * something watches every syscall (a debugger, an event sink that says so, the syscall tracer, which is
     * set before the cores run).
     */
    long futexWakesWord() {
        EventSink sink = events;
        boolean watched = debug != null || (sink != null && sink.seesEverySyscall()) || syscalls.tracer() != null;
        return parallel && !watched ? futexes.waitersWord() : 0;
    }

    /** Tells every core whether its hook may answer futex wakes ({@link #futexWakesWord}). */
    private void letHooksAnswerFutexWakes() {
        long word = futexWakesWord();
        for (Core c : cores)
            c.cpu().answerFutexWakes(word);
    }

    /** Syscalls the cores' hooks answered without the kernel (futex wakes that found no waiter). */
    public long answeredInHooks() {
        long n = 0;
        for (Core c : cores)
            n += c.cpu().answeredInHook();
        return n;
    }

    public DebugHooks debugHooks() {
        return debug;
    }

    public void addExitListener(ExitListener l) {
        exitListeners.add(l);
    }

    List<ExitListener> exitListeners() {
        return exitListeners;
    }

    /** A new, empty address space wired to this kernel's TLB shootdown and fault events. */
    public AddressSpace newAddressSpace() {
        AddressSpace as = new AddressSpace(mem, frames, image.root(), config.maxPage());
        as.setSettleEntries(parallel); // the engine's page walker must never write an entry another core changes
        as.setShootdown(shootdown);
        as.setPageCache(pageCache);
        as.setKernelFaultListener(new AddressSpace.KernelFaultListener() {
            @Override
            public void onKernelFault(jmck.lwk.mm.FaultOutcome o) {
                EventSink sink = events;
                if (sink != null)
                    sink.fault(new jmck.lwk.trace.FaultEvent(-1, -1, -1, 0, o, true, 0));
            }
        });
        return as;
    }

    // ---- the instance's API for the host side (IHK, mcexec, jmck run) ----

    /** Creates and schedules a process running elf: {@link ProcessLifecycle#spawn}. */
    public Process spawn(ElfImage elf, String execfn, List<String> argv, List<String> envp, Credentials creds,
            Rlimits limits) {
        return lifecycle.spawn(elf, execfn, argv, envp, creds, limits);
    }

    /** Creates a process running elf, not yet scheduled (PREPARE_IMAGE): {@link ProcessLifecycle#prepare}. */
    public Process prepare(ElfImage elf, String execfn, List<String> argv, List<String> envp, Credentials creds,
            Rlimits limits) {
        return lifecycle.prepare(elf, execfn, argv, envp, creds, limits);
    }

    /** Schedules a prepared process (SCHEDULE_PROCESS): {@link ProcessLifecycle#start}. */
    public void start(Process p) {
        lifecycle.start(p);
    }

    /** Kills p as a signal does: {@link ProcessExit#killProcess}. */
    public void killProcess(Process p, SigInfo info, boolean core) {
        exits.killProcess(p, info, core);
    }

    /**
     * Runs the kernel until done says stop: in parallel mode a host thread per core while the calling thread
     * runs the event loop; in exact mode (or with a debugger attached) every core on the calling thread.
     * When this returns no core runs.
     */
    public void run(BooleanSupplier done) {
        letHooksAnswerFutexWakes();
        if (parallel && debug == null) {
            coreThreads.run(done);
            return;
        }
        for (Core c : cores)
            c.stopBetweenBlocks(debug == null);
        scheduler.run(done);
    }

    /** Runs action at deadline (System.nanoTime) on the kernel's thread: {@link Timers#add}. */
    public void addTimer(long deadline, Runnable action) {
        timers.add(deadline, action);
    }

    /** Runs task on the kernel's thread soon (safe from any thread). */
    public void submit(Runnable task) {
        eventLoop.submit(task);
    }

    /** Adds work polled at every tick on the kernel's thread (the IKC channels' responses). */
    public void addPoller(Runnable poller) {
        eventLoop.addPoller(poller);
    }

    /** How an idle kernel sleeps and is woken: {@link EventLoop#setIdler}. */
    public void setIdler(EventLoop.Idler idler) {
        eventLoop.setIdler(idler);
    }

    /** Wakes an idle kernel (a delegated syscall finished, a process ended). */
    public void wake() {
        eventLoop.wake();
    }

    /** Counts threads blocked on something outside the cores (a delegated syscall, a timer). */
    public void externalWait(int delta) {
        eventLoop.externalWait(delta);
    }

    /** Adds a core (ihkosctl assign cpu): {@link HotPlug#addCore}. */
    public int addCore() {
        return hotPlug.addCore();
    }

    /** Removes the highest-numbered core: {@link HotPlug#removeCore}. */
    public boolean removeCore() {
        return hotPlug.removeCore();
    }

    /** Adds a block of physical memory: {@link HotPlug#addMemory}. */
    public void addMemory(PhysicalMemory.Block b) {
        hotPlug.addMemory(b);
    }

    /** Takes a block of physical memory back if none of its frames is in use: {@link HotPlug#removeMemory}. */
    public boolean removeMemory(PhysicalMemory.Block b) {
        return hotPlug.removeMemory(b);
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
        c.put("page_cache_pages", pageCache.pages()); // file pages some process maps (0 when none runs)
        return c;
    }

    /** Stops the cores and returns the kernel's own frames. The kernel cannot run again. */
    public void shutdown() {
        for (Process p : processes.live())
            exits.killProcess(p, SigInfo.sent(jmck.lwk.abi.Signals.SIGKILL, jmck.lwk.abi.Signals.SI_KERNEL, 0, 0), false);
        long answered = answeredInHooks();
        if (answered > 0)
            kmsg.log("jmck LWK: the cores' hooks answered %d futex wakes that found no waiter", answered);
        for (Core c : new ArrayList<>(cores))
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
