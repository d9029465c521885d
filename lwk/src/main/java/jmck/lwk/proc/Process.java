package jmck.lwk.proc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.signal.SigAction;
import jmck.lwk.signal.SigInfo;

/**
 * A guest process (McKernel's struct process): its address space, its threads, signal actions, limits and
 * credentials. Files are not here: the mcexec proxy holds the process's file descriptors on the host.
 * The task lock (ProcessTable) guards its life, tree, signal actions and job-control state; the lists of
 * threads and children are copy-on-write, so any core may walk them.
 */
public final class Process {
    private final int pid;
    private Process parent;
    private volatile AddressSpace mm;
    private String exe;
    private String comm;
    /** Changed by setuid and the like on the process's own core, read by any (kill's permission check). */
    private volatile Credentials credentials;
    private volatile Capabilities capabilities;
    private SchedParams sched = new SchedParams();
    /** /proc/PID/oom_score_adj, and the lowest value it may be set to without CAP_SYS_RESOURCE. */
    private int oomScoreAdj, oomScoreAdjMin;
    final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<Process> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Written under the task lock; read by any core (the array publishes each action safely). */
    private final java.util.concurrent.atomic.AtomicReferenceArray<SigAction> actions =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(Signals.NSIG + 1);
    private final Rlimits rlimits;
    private int umask = 022;

    private volatile boolean exiting;
    /** Linux wait status: exit code << 8, or the signal number (| 0x80 with a core dump). */
    private int waitStatus;
    private boolean reaped;
    private final long startNanos = System.nanoTime();
    private int pgid;
    private int sid;
    /** The signal the parent gets when this process ends (clone's low byte: SIGCHLD for fork). */
    private int exitSignal = Signals.SIGCHLD;
    /** A thread blocked in wait4/waitid, and the number of that wait. */
    public record Waiter(Thread thread, long seq) {}

    /** Threads of this process blocked in wait4/waitid: a child's exit runs their syscall again. @GuardedBy("task lock") */
    final List<Waiter> childWaiters = new ArrayList<>();
    /** The parent thread blocked in vfork until this child execs or exits. */
    Thread vforkParent;
    /** CPU time of waited-for children, for getrusage(RUSAGE_CHILDREN) and times(). */

    Process(int pid, Process parent, AddressSpace mm, String exe, Credentials credentials, Rlimits rlimits) {
        this.pid = pid;
        this.parent = parent;
        this.mm = mm;
        this.exe = exe;
        this.comm = exe.substring(exe.lastIndexOf('/') + 1);
        this.credentials = credentials;
        this.capabilities = Capabilities.of(credentials);
        this.rlimits = rlimits;
        this.pgid = parent == null ? pid : parent.pgid;
        this.sid = parent == null ? pid : parent.sid;
        for (int i = 0; i < actions.length(); i++)
            actions.set(i, SigAction.DEFAULT);
    }

    /** A child's copy of its parent's settings: signal actions, umask, name and arguments (fork). */
    void inheritFrom(Process parent) {
        pgid = parent.pgid; // the forking process's, also where CLONE_PARENT gave the child another parent
        sid = parent.sid;
        for (int i = 0; i < actions.length(); i++)
            actions.set(i, parent.actions.get(i));
        umask = parent.umask;
        capabilities = parent.capabilities;
        sched = parent.sched.forChild();
        for (Flag f : new Flag[] {Flag.NO_NEW_PRIVS, Flag.THP_DISABLE})
            if (parent.flag(f))
                flags.add(f);
        oomScoreAdj = parent.oomScoreAdj;
        personality = parent.personality;
        cwdInProc = parent.cwdInProc;
        oomScoreAdjMin = parent.oomScoreAdjMin;
        comm = parent.comm;
        cmdline = parent.cmdline;
    }

    /**
     * Whether the working directory is /proc (chdir there, as pidof does before it reads PID/stat): relative
     * paths then name the LWK's /proc, as absolute ones do. Inherited by fork and execve.
     */
    public volatile boolean cwdInProc;

    /** personality(2)'s persona (PER_LINUX, 0, and flags): kept and reported, inherited by fork and execve. */
    public volatile int personality;
    private volatile jmck.lwk.time.ProcessTimers timers;

    /** The process's timers (made when first used, with host as what they need from the kernel). */
    public synchronized jmck.lwk.time.ProcessTimers timers(jmck.lwk.time.ProcessTimers.Host host) {
        if (timers == null)
            timers = new jmck.lwk.time.ProcessTimers(this, host);
        return timers;
    }

    /**
     * A signal leaves the queue: a POSIX timer's gets the overruns counted up to now, or is dropped (null)
     * if its timer was re-armed or deleted since it was sent; a SIGALRM lets a periodic ITIMER_REAL run on.
     */
    SigInfo timerSignalTaken(SigInfo info) {
        if (timers == null || info == null)
            return info;
        if (info.signo() == jmck.lwk.abi.Signals.SIGALRM)
            timers.alarmTaken();
        return info.code() != jmck.lwk.time.ProcessTimers.SI_TIMER ? info : timers.taken(info);
    }

    /** execve: a new address space and program; handled signals go back to their default action. */
    public void replaceImage(AddressSpace newMm, String newExe) {
        if (timers != null)
            timers.execed();
        flags.remove(Flag.KEEP_CAPS);
        flags.remove(Flag.NOT_DUMPABLE);
        flags.add(Flag.EXECED);
        usage.programReplaced(mm);
        mm = newMm;
        exe = newExe;
        comm = newExe.substring(newExe.lastIndexOf('/') + 1);
        for (int sig = 1; sig <= Signals.NSIG; sig++)
            if (!actions.get(sig).isDefault() && !actions.get(sig).isIgnore())
                actions.set(sig, SigAction.DEFAULT);
    }

    public int pgid() {
        return pgid;
    }

    public void setPgid(int pgid) {
        this.pgid = pgid;
    }

    public int sid() {
        return sid;
    }

    /** setsid: a new session and process group led by this process. */
    public void newSession() {
        sid = pid;
        pgid = pid;
    }

    public int exitSignal() {
        return exitSignal;
    }

    public void setExitSignal(int sig) {
        exitSignal = sig;
    }

    public Thread vforkParent() {
        return vforkParent;
    }

    public void setVforkParent(Thread t) {
        vforkParent = t;
    }

    /** The threads waiting for a child (wait4, waitid). Under the task lock. */
    public List<Waiter> childWaiters() {
        return childWaiters;
    }

    /** What getrusage and times report: CPU time and peak memory, the process's and its reaped children's. */
    public ProcessUsage usage() {
        return usage;
    }

    final ProcessUsage usage = new ProcessUsage(this);

    public int pid() {
        return pid;
    }

    public Process parent() {
        return parent;
    }

    public int ppid() {
        return parent == null ? 1 : parent.pid;
    }

    /** The parent died: this process now belongs to reaper, a subreaper, or to init if null (no one here waits). */
    void orphan(Process reaper) {
        parent = reaper;
        if (reaper != null)
            reaper.children.add(this);
    }

    public AddressSpace mm() {
        return mm;
    }

    /** The absolute host path of the executable (what /proc/self/exe links to). */
    public String exe() {
        return exe;
    }

    /** The name in /proc/PID/comm: up to 15 bytes of the executable's name. */
    public String comm() {
        return comm.length() > 15 ? comm.substring(0, 15) : comm;
    }

    public void setComm(String name) {
        comm = name;
    }

    private byte[] cmdline = new byte[0];

    /** The arguments, NUL-terminated one after the other, as /proc/PID/cmdline shows them. */
    public byte[] cmdline() {
        return cmdline.clone();
    }

    public void setCmdline(java.util.List<String> argv) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String a : argv) {
            byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            b.write(x, 0, x.length);
            b.write(0);
        }
        cmdline = b.toByteArray();
    }

    public Credentials credentials() {
        return credentials;
    }

    public void setCredentials(Credentials c) {
        credentials = c;
    }

    /** Per-process prctl settings. */
    public enum Flag {
        /** PR_SET_DUMPABLE 0. */
        NOT_DUMPABLE,
        /** PR_SET_NO_NEW_PRIVS: execve grants nothing; inherited, never cleared. */
        NO_NEW_PRIVS,
        /** PR_SET_KEEPCAPS: leaving uid 0 keeps the permitted capabilities; cleared by execve. */
        KEEP_CAPS,
        /** PR_SET_CHILD_SUBREAPER: orphaned descendants become its children, not init's; not inherited. */
        CHILD_SUBREAPER,
        /** PR_SET_THP_DISABLE (inherited). */
        THP_DISABLE,
        /** It has run execve since its fork (Linux's !PF_FORKNOEXEC): its parent may no longer setpgid it. */
        EXECED
    }

    private final java.util.EnumSet<Flag> flags = java.util.EnumSet.noneOf(Flag.class);
    /** PR_SET_PDEATHSIG: the signal this process gets when its parent ends (0: none). */
    private int parentDeathSignal;

    public synchronized boolean flag(Flag f) {
        return flags.contains(f);
    }

    public synchronized void setFlag(Flag f, boolean on) {
        if (on)
            flags.add(f);
        else
            flags.remove(f);
    }

    public int parentDeathSignal() {
        return parentDeathSignal;
    }

    public void setParentDeathSignal(int sig) {
        parentDeathSignal = sig;
    }

    /** The scheduling settings (policy, priority, nice, I/O priority). */
    public SchedParams sched() {
        return sched;
    }

    public Capabilities capabilities() {
        return capabilities;
    }

    public void setCapabilities(Capabilities c) {
        capabilities = c;
    }

    public int oomScoreAdj() {
        return oomScoreAdj;
    }

    public int oomScoreAdjMin() {
        return oomScoreAdjMin;
    }

    /** Sets oom_score_adj; a process with CAP_SYS_RESOURCE also sets the floor unprivileged writes keep to. */
    public void setOomScoreAdj(int value, boolean privileged) {
        oomScoreAdj = value;
        if (privileged)
            oomScoreAdjMin = value;
    }

    public Rlimits rlimits() {
        return rlimits;
    }

    public int umask() {
        return umask;
    }

    public void setUmask(int mask) {
        umask = mask & 0777;
    }

    public List<Thread> threads() {
        return Collections.unmodifiableList(threads);
    }

    public List<Process> children() {
        return Collections.unmodifiableList(children);
    }

    public SigAction action(int sig) {
        return actions.get(sig);
    }

    public void setAction(int sig, SigAction a) {
        actions.set(sig, a);
    }

    public boolean exiting() {
        return exiting;
    }

    void markExiting(int status) {
        if (!exiting) {
            exiting = true;
            waitStatus = status;
        }
    }

    public int waitStatus() {
        return waitStatus;
    }

    /** The status a shell reports: the exit code, or 128 + the signal that killed it. */
    public int shellStatus() {
        int sig = waitStatus & 0x7f;
        return sig == 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
    }

    private String exitMessage;
    private boolean outOfMemory;

    /** The OOM killer chose this process (a fault found no free frame). */
    public void setOutOfMemory() {
        outOfMemory = true;
    }

    public boolean outOfMemory() {
        return outOfMemory;
    }

    /** How the process died, if a signal killed it ("jmck: prog (pid 100): killed by SIGSEGV ..."); else "". */
    public String exitMessage() {
        return exitMessage;
    }

    public void setExitMessage(String message) {
        exitMessage = message;
    }

    public boolean reaped() {
        return reaped;
    }

    private volatile boolean ended;
    /** The first signal that killed it and the rip then, for the death message (null: it exited). */
    private SigInfoAndRip killedBy;
    /** Its resources are being given back (by the last of its threads to leave a core). */
    private boolean reapStarted;

    private record SigInfoAndRip(jmck.lwk.signal.SigInfo info, long rip) {}

    /** Notes the signal that killed the process (the first one counts), for its death message. */
    public void setKilledBy(jmck.lwk.signal.SigInfo info, long rip) {
        if (killedBy == null)
            killedBy = new SigInfoAndRip(info, rip);
    }

    public jmck.lwk.signal.SigInfo killedBy() {
        return killedBy == null ? null : killedBy.info();
    }

    public long killRip() {
        return killedBy == null ? 0 : killedBy.rip();
    }

    /** Claims the reap (true once): under the task lock. */
    public boolean startReap() {
        if (reapStarted)
            return false;
        reapStarted = true;
        return true;
    }
    /** The signal that stopped the process (SIGSTOP, SIGTSTP, ...), 0 while it runs. */
    private volatile int stopSignal;
    /** A stop or a continue that the parent's wait has not reported yet (WUNTRACED, WCONTINUED). */
    private boolean stopToReport, continueToReport;
    /** Threads taken off their cores by the stop, to put back on SIGCONT. */
    private final List<Thread> parked = new ArrayList<>();

    public int stopSignal() {
        return stopSignal;
    }

    /** Stops the process (job control); its threads park as they next reach their cores. */
    public void stop(int sig) {
        stopSignal = sig;
        stopToReport = true;
        continueToReport = false;
    }

    /** SIGCONT: returns the threads parked by the stop, which may run again. */
    public List<Thread> resume() {
        stopSignal = 0;
        stopToReport = false;
        continueToReport = true;
        List<Thread> l = new ArrayList<>(parked);
        parked.clear();
        return l;
    }

    public void park(Thread t) {
        parked.add(t);
    }

    /** Takes the unreported stop (for wait with WUNTRACED); keep leaves it for the next wait (WNOWAIT). */
    public boolean takeStopReport(boolean keep) {
        boolean r = stopToReport && stopSignal != 0;
        if (!keep)
            stopToReport = false;
        return r;
    }

    public boolean takeContinueReport(boolean keep) {
        boolean r = continueToReport;
        if (!keep)
            continueToReport = false;
        return r;
    }

    public boolean hasStopReport() {
        return stopToReport && stopSignal != 0;
    }

    public boolean hasContinueReport() {
        return continueToReport;
    }

    /** Whether the process has ended and given its resources back: a zombie until its parent waits for it. */
    public boolean ended() {
        return ended;
    }

    public void markEnded() {
        ended = true;
        if (timers != null)
            timers.cancelAll();
    }

    void markReaped() {
        reaped = true;
    }

    public long startNanos() {
        return startNanos;
    }

    /** Whether every thread has finished. */
    public boolean dead() {
        for (Thread t : threads)
            if (t.alive())
                return false;
        return true;
    }

    @Override
    public String toString() {
        return "process " + pid + " (" + comm() + ")";
    }
}
