package jmck.lwk.proc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jmck.lwk.mm.AddressSpace;

/**
 * Every process and thread of one LWK instance, by id. Pids and tids come from one counter, as in Linux.
 *
 * <p>This object's monitor is the task lock (Linux's tasklist_lock and sighand locks in one), the outermost
 * lock of the kernel (the order is in this package's package-info). It guards the tables here, the process
 * tree (parents, children, zombies), each process's life (exiting, ended, reaped), its signal actions and
 * job-control state, and every thread's death. Paths that take it are rare next to a core's hot paths
 * (faults, futexes, slices), which never need it: fork and clone, exit and kill, wait4, signal sending
 * and delivery, exec's de_thread.
 */
public final class ProcessTable {
    /** Written under the task lock; concurrent so that {@link #processes} needs no lock (pid order). */
    private final Map<Integer, Process> processes = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final Map<Integer, Thread> threads = new LinkedHashMap<>();
    private int nextId = 100;

    private int allocateId() {
        while (processes.containsKey(nextId) || threads.containsKey(nextId))
            nextId++;
        return nextId++;
    }

    /** A new process with one thread whose tid is the pid. */
    public synchronized Process create(Process parent, AddressSpace mm, String exe, Credentials creds, Rlimits limits) {
        int pid = allocateId();
        Process p = new Process(pid, parent, mm, exe, creds, limits);
        processes.put(pid, p);
        if (parent != null)
            parent.children.add(p);
        Thread t = new Thread(pid, p);
        p.threads.add(t);
        threads.put(pid, t);
        return p;
    }

    /**
     * A child of caller made by fork: a new process with one thread, copies of the caller's settings. With
     * CLONE_PARENT (sibling) its parent is the caller's parent, as long as the caller has one in the LWK.
     */
    public synchronized Process fork(Process caller, AddressSpace mm, boolean sibling) {
        Process parent = sibling && caller.parent() != null ? caller.parent() : caller;
        Process p = create(parent, mm, caller.exe(), caller.credentials(), caller.rlimits().copy());
        p.inheritFrom(caller);
        return p;
    }

    /** Forgets a thread that ended, unless it is its process's first thread (whose tid is the pid). */
    public synchronized void removeThread(Thread t) {
        Process p = t.process();
        if (t.tid() == p.pid() || !p.threads.remove(t))
            return;
        p.usage.threadEnded(t.cpu);
        threads.remove(t.tid());
    }

    /** A new thread in p. */
    public synchronized Thread newThread(Process p) {
        Thread t = new Thread(allocateId(), p);
        p.threads.add(t);
        threads.put(t.tid(), t);
        return t;
    }

    /** Threads and processes known, live or waiting to be reaped. */
    public synchronized int taskCount() {
        return threads.size();
    }

    public synchronized Process process(int pid) {
        return processes.get(pid);
    }

    public synchronized Thread thread(int tid) {
        return threads.get(tid);
    }

    /**
     * A snapshot of the processes, taken without the task lock: System V shared memory counts a segment's
     * attaches under its own lock, which an exiting process's reap (under the task lock) also takes.
     */
    public Collection<Process> processes() {
        return new ArrayList<>(processes.values());
    }

    /** Told when a process is reaped (pidfds stop naming it). */
    private java.util.function.Consumer<Process> reapListener = new java.util.function.Consumer<Process>() {
        @Override
        public void accept(Process p) {} // (a class: the table is made at boot, where a lambda's link took 0.2-0.9 ms)
    };

    public synchronized void setReapListener(java.util.function.Consumer<Process> l) {
        reapListener = l;
    }

    /** Forgets a process and its threads once nobody can wait for it any more. */
    public synchronized void remove(Process p) {
        if (!p.reaped())
            reapListener.accept(p);
        p.markReaped();
        processes.remove(p.pid());
        for (Thread t : p.threads)
            threads.remove(t.tid());
        if (p.parent() != null)
            p.parent().children.remove(p);
    }

    /** p's parent ended: p's parent is now init, which reaps it when it ends. */
    public synchronized void orphan(Process p, Process reaper) {
        p.orphan(reaper);
    }

    /** Processes that have at least one live thread. */
    public synchronized List<Process> live() {
        List<Process> l = new ArrayList<>();
        for (Process p : processes.values())
            if (!p.dead())
                l.add(p);
        return l;
    }

    /** Marks p as exiting with a wait status; its threads die when they next leave their core. */
    public synchronized void exit(Process p, int waitStatus) {
        p.markExiting(waitStatus);
    }

    /** The task lock: hold it (synchronized) across a compound change of the tables or a process's life. */
    public Object taskLock() {
        return this;
    }

    /** Marks a thread dead; whether a core runs it now (it then leaves at the end of its slice). */
    public synchronized boolean kill(Thread t) {
        synchronized (t.lock) {
            t.state = Thread.State.DEAD;
            return t.onCore;
        }
    }
}
