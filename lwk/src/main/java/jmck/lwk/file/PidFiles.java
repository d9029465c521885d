package jmck.lwk.file;

import java.util.IdentityHashMap;
import java.util.Map;
import jmck.lwk.proc.Process;

/**
 * The pidfds of the instance's processes: one {@link PidFile} per process that has some, made at the first
 * pidfd_open (or clone with CLONE_PIDFD), told when the process ends and when it is reaped.
 *
 * <p>Thread safety: guarded by this object's lock; the lock order is this, then {@link LocalFiles}.
 */
public final class PidFiles {
    private final LocalFiles files;
    /** guarded by this */
    private final Map<Process, PidFile> byProcess = new IdentityHashMap<>();

    PidFiles(LocalFiles files) {
        this.files = files;
    }

    /**
     * p's pidfd file, made if it has none (readable at once if p has ended), or null if the host has no
     * fd to spare for its pipe.
     */
    public synchronized PidFile of(Process p) {
        PidFile f = byProcess.get(p);
        if (f != null)
            return f;
        ReadinessPipe pipe = ReadinessPipe.create();
        if (pipe == null)
            return null;
        f = new PidFile(p, pipe);
        f.id = files.add(f, pipe);
        byProcess.put(p, f);
        if (p.ended())
            f.ended(p.waitStatus());
        return f;
    }

    /** The file was forgotten (no guest fd holds it): the next pidfd of its process gets a new one. */
    synchronized void forget(PidFile f) {
        Process p = f.process();
        if (p != null && byProcess.get(p) == f)
            byProcess.remove(p);
    }

    synchronized void exited(Process p) {
        PidFile f = byProcess.get(p);
        if (f != null)
            f.ended(p.waitStatus());
    }

    /** p was reaped: its file (returned, or null if it had none) closes its pipe. */
    synchronized PidFile reaped(Process p) {
        PidFile f = byProcess.remove(p);
        if (f != null)
            f.reaped();
        return f;
    }
}
