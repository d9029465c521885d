package jmck.lwk;

import java.util.ArrayList;
import java.util.List;
import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.InitialStack;
import jmck.lwk.elf.ProgramLoader;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SignalFrame;
import jmck.lwk.trace.EventSink;

/**
 * How processes and threads begin (McKernel's process.c and the PREPARE/SCHEDULE_PROCESS messages): a new
 * program ({@link #prepare}, {@link #start}, {@link #spawn}), execve ({@link #exec}), fork and clone
 * ({@link #fork}, {@link #cloneThread}). How they end is {@link ProcessExit}.
 */
public final class ProcessLifecycle {
    /** The most threads and processes an instance holds at once (fork bombs stop here with EAGAIN). */
    public static final int MAX_TASKS = 4096;

    /**
     * fork also fails with EAGAIN while less than 1/FORK_RESERVE of the partition is free. A child's first
     * writes copy pages, a whole 2 MiB page each with large pages, so without a reserve a fork bomb ends
     * in the OOM killer (which may pick the parent) instead of in a failing fork; Linux keeps
     * user_reserve_kbytes for the same purpose. Threads share their memory and only count as tasks.
     */
    public static final int FORK_RESERVE = 16;

    private final Kernel k;

    ProcessLifecycle(Kernel k) {
        this.k = k;
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
    /**
     * A new program's name (/proc/PID/comm), as Linux's exec takes it: the last part of the path execve was
     * given (python3 for /usr/bin/python3, a link to python3.11; the script for a #! script).
     */
    private static String comm(String execfn, ElfImage elf) {
        String name = execfn.substring(execfn.lastIndexOf('/') + 1);
        if (name.isEmpty()) {
            String real = elf.realPath();
            name = real.substring(real.lastIndexOf('/') + 1);
        }
        return name;
    }

    public Process prepare(ElfImage elf, String execfn, List<String> argv, List<String> envp, Credentials creds,
            Rlimits limits) {
        AddressSpace mm = k.newAddressSpace();
        try {
            mm.setStackLimit(stackLimit(limits));
            ProgramLoader.Program loaded = ProgramLoader.load(elf, mm);
            long sp = InitialStack.build(mm, loaded, execfn, argv, envp, facts(creds));
            Process p = k.processes().create(null, mm, elf.realPath(), creds, limits);
            p.setComm(comm(execfn, elf));
            p.setCmdline(argv);
            Thread t = p.threads().get(0);
            t.setStart(loaded.start(), sp);
            k.kmsg().log("pid %d: %s loaded, %s", p.pid(), execfn, loaded.describe());
            return p;
        } catch (RuntimeException e) {
            mm.destroy();
            throw e;
        }
    }

    private static long stackLimit(Rlimits limits) {
        long soft = limits.soft(Rlimits.RLIMIT_STACK);
        return soft == Rlimits.RLIM_INFINITY ? 1L << 30 : soft;
    }

    /** What the initial stack's auxiliary vector tells a new program about itself and the CPU. */
    private InitialStack.Facts facts(Credentials c) {
        return new InitialStack.Facts(c.uid(), c.euid(), c.gid(), c.egid(), k.hwcap(), SignalFrame.MIN_SIGSTACK);
    }

    /** Schedules a prepared process's first thread on the least loaded core (SCHEDULE_PROCESS). */
    public void start(Process p) {
        Thread t = p.threads().get(0);
        t.setCore(k.scheduler().placeNew());
        k.scheduler().enqueue(t);
        k.kmsg().log("pid %d: scheduled on core %d", p.pid(), t.core());
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.schedule(t.core(), p.pid(), t.tid(), "new process placed on core " + t.core());
    }

    /**
     * execve, once the file is open and checked: builds the new image in a new address space, and only
     * when that worked, replaces the process's program. Other threads end; handled signals go back to
     * their default action; the thread starts afresh at the new entry point the next time it runs. A vfork
     * parent waiting for this process resumes. Returns 0, or -errno with the old program untouched.
     */
    public long exec(Thread t, ElfImage elf, String execfn, List<String> argv, List<String> envp) {
        Process p = t.process();
        AddressSpace mm = k.newAddressSpace();
        long sp;
        ProgramLoader.Program loaded;
        try {
            mm.setStackLimit(stackLimit(p.rlimits()));
            loaded = ProgramLoader.load(elf, mm);
            sp = InitialStack.build(mm, loaded, execfn, argv, envp, facts(p.credentials()));
        } catch (jmck.lwk.elf.ExecFormatException e) {
            mm.destroy();
            return -e.errno();
        } catch (jmck.lwk.mm.OutOfMemoryException | jmck.lwk.mm.BadAddressException e) {
            mm.destroy();
            return -jmck.lwk.abi.Errno.ENOMEM;
        }
        // The point of no return (Linux's de_thread and exec_mmap): the other threads end and leave their cores.
        if (!endOtherThreads(t)) {
            mm.destroy(); // another thread's execve or an exit_group came first: t is dead
            return 0;
        }
        k.exits().releaseLocks(t); // robust futexes are released while the old memory is still there
        AddressSpace old = p.mm();
        p.replaceImage(mm, elf.realPath());
        p.setComm(comm(execfn, elf));
        p.setCmdline(argv);
        old.release();
        t.setAltStack(0, 0, 2); // SS_DISABLE
        t.setClearChildTid(0);
        t.setRobustList(0, 0);
        t.setStart(loaded.start(), sp);
        t.resetContext();
        k.kmsg().log("pid %d: execve %s, %s", p.pid(), execfn, loaded.describe());
        Thread vforked = p.vforkParent();
        if (vforked != null) {
            p.setVforkParent(null);
            k.scheduler().wake(vforked, p.pid());
        }
        return 0;
    }

    /**
     * exec's de_thread: every other thread of t's process ends, and this waits until none is on a core (a
     * core may be in guest code on the old address space). False if t itself was ended meanwhile.
     */
    private boolean endOtherThreads(Thread t) {
        java.util.List<Thread> others = new ArrayList<>();
        synchronized (k.processes().taskLock()) {
            if (!t.alive())
                return false;
            for (Thread other : t.process().threads())
                if (other != t && other.alive()) {
                    k.processes().kill(other);
                    others.add(other);
                }
        }
        for (Thread other : others) {
            k.scheduler().kickIfRunning(other);
            for (int spins = 0; other.onCore(); spins++) // it stops at its next block boundary
                if (spins < 100)
                    java.lang.Thread.onSpinWait();
                else
                    java.lang.Thread.yield();
        }
        synchronized (k.processes().taskLock()) {
            for (Thread other : others) {
                k.exits().releaseLocks(other);
                other.releaseContext();
                k.processes().removeThread(other);
            }
        }
        return true;
    }

    /** Whether memory is below the fork reserve: 1/FORK_RESERVE of the partition, and at least 4 of its largest pages. */
    private boolean belowForkReserve() {
        FrameAllocator frames = k.frames();
        long reserve = Math.max(frames.totalFrames() / FORK_RESERVE, 4 * (k.maxPage().bytes / FrameAllocator.PAGE_SIZE));
        return frames.freeFrames() < reserve;
    }

    /**
     * fork and clone without CLONE_THREAD: a new process whose address space is a copy-on-write copy of
     * t's (or t's own, shared, with CLONE_VM), with one thread whose registers are t's at this syscall
     * (see {@link #childRegisters}). It is not scheduled yet: the proxy first takes a copy of the parent's
     * files ({@link #start}). Returns null (EAGAIN) when the instance is full, below the fork reserve, or out
     * of memory.
     */
    public Process fork(Thread t, boolean shareVm, boolean sibling, Cpu.Context registers) {
        if (k.processes().taskCount() >= MAX_TASKS || !shareVm && belowForkReserve())
            return null;
        Process parent = t.process();
        AddressSpace mm;
        if (shareVm) {
            mm = parent.mm();
            mm.addUser();
        } else {
            mm = k.newAddressSpace();
            try {
                parent.mm().forkInto(mm);
            } catch (jmck.lwk.mm.OutOfMemoryException e) {
                mm.destroy();
                return null;
            }
        }
        Process child = k.processes().fork(parent, mm, sibling);
        Thread ct = child.threads().get(0);
        ct.setContext(registers, k.cpuOf(t).syscallRip() + 2, !shareVm);
        ct.setBlockedMask(t.blockedMask());
        ct.setAltStack(t.altStackSp(), t.altStackSize(), t.altStackFlags());
        ct.inheritTimerSlack(t);
        ct.setMemoryPolicy(t.memoryPolicy());
        k.kmsg().log("pid %d: forked pid %d%s", parent.pid(), child.pid(), shareVm ? " (sharing its memory)" : "");
        return child;
    }

    /**
     * clone with CLONE_THREAD: a new thread of t's process, starting from t's registers at this syscall. It
     * does not run before {@link #startThread} (its TID words are written first: on another core it could
     * otherwise run, and even exit, before its parent set them). Returns null when the instance is full.
     */
    public Thread cloneThread(Thread t, Cpu.Context registers) {
        if (k.processes().taskCount() >= MAX_TASKS)
            return null;
        Thread child = k.processes().newThread(t.process());
        child.setContext(registers, k.cpuOf(t).syscallRip() + 2, false);
        child.setBlockedMask(t.blockedMask());
        child.inheritTimerSlack(t);
        child.setMemoryPolicy(t.memoryPolicy());
        return child;
    }

    /** Places a thread made by {@link #cloneThread} on the least loaded core: it runs from now on. */
    public void startThread(Thread child) {
        child.setCore(k.scheduler().placeNew());
        k.scheduler().enqueue(child);
        EventSink sink = k.eventSink();
        if (sink != null)
            sink.schedule(child.core(), child.process().pid(), child.tid(), "new thread placed on core " + child.core());
    }

    /**
     * A copy of the registers of t's core at its clone/fork syscall, as the child starts with them: rax 0
     * (the child's return value), rsp the new stack if one is given, fs_base the new TLS if setTls.
     */
    public Cpu.Context childRegisters(Thread t, long newStack, boolean setTls, long tls) {
        Cpu cpu = k.cpuOf(t);
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
            k.processes().kill(t);
            t.releaseContext();
        }
        child.mm().release();
        child.markEnded();
        k.processes().remove(child);
    }
}
