package jmck.lwk.file;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * The instance's signalfds by the process whose signals their readiness follows, so that a signal made
 * pending or taken updates them ({@link #changed}). A reader with nothing to read waits as rt_sigtimedwait
 * does, through {@link Waiter} (the scheduler's side).
 *
 * <p>Thread safety: guarded by this object's lock, which is never held while calling LocalFiles (see its
 * lock order); a file's lock comes after it.
 */
public final class SignalFiles {
    /** How a reader waits for a signal of a mask: blocks t and returns SyscallDispatcher.NO_RETURN. */
    public interface Waiter {
        long waitFor(Thread t, long mask);
    }

    private final LocalFiles files;
    /** guarded by this: each process's signalfds (those it made or read) */
    private final Map<Process, List<SignalFile>> byUser = new IdentityHashMap<>();
    /** Whether any signalfd was ever made: until then signals need not look here. */
    private volatile boolean any;
    private volatile Waiter waiter;

    SignalFiles(LocalFiles files) {
        this.files = files;
    }

    public void setWaiter(Waiter w) {
        waiter = w;
    }

    long waitFor(Thread t, long mask) {
        return waiter.waitFor(t, mask);
    }

    /** A new signalfd of p's with mask, or null if the host has no fd to spare for its pipe. */
    public SignalFile create(Process p, long mask) {
        ReadinessPipe pipe = ReadinessPipe.create();
        if (pipe == null)
            return null;
        SignalFile f = new SignalFile(this, p, mask, pipe);
        f.id = files.add(f, pipe); // not under this lock (adding may forget files, and so call back here)
        synchronized (this) {
            byUser.computeIfAbsent(p, k -> new ArrayList<>()).add(f);
            any = true;
        }
        f.update();
        return f;
    }

    /** p read f: its readiness follows p's signals too. */
    synchronized void use(SignalFile f, Process p) {
        if (f.addUser(p))
            byUser.computeIfAbsent(p, k -> new ArrayList<>()).add(f);
    }

    /** p's pending signals changed (one arrived, or was taken): its signalfds poll accordingly. */
    public void changed(Process p) {
        if (!any)
            return;
        List<SignalFile> l;
        synchronized (this) {
            List<SignalFile> mine = byUser.get(p);
            if (mine == null)
                return;
            l = new ArrayList<>(mine);
        }
        for (SignalFile f : l)
            f.update();
    }

    /** p has ended: its signalfds stop following its signals. */
    void exited(Process p) {
        List<SignalFile> l;
        synchronized (this) {
            l = byUser.remove(p);
        }
        if (l != null)
            for (SignalFile f : l) {
                f.removeUser(p);
                f.update();
            }
    }

    /** f was forgotten (no fd of it is left). */
    synchronized void forget(SignalFile f) {
        for (Process p : f.users()) {
            List<SignalFile> l = byUser.get(p);
            if (l != null && l.remove(f) && l.isEmpty())
                byUser.remove(p);
        }
    }
}
