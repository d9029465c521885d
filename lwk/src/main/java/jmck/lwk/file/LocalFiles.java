package jmck.lwk.file;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;

/**
 * The instance's local files by id (see the package comment), and the way in for the guest's calls on
 * them: the proxy answers a read, write or ioctl on a local file's fd with {@link #redirect}, and the LWK
 * makes the call on the file ({@link #call}). A file is forgotten once no guest fd refers to it any more
 * (its pipe has no reader), which is looked at whenever a file is added and when a process ends.
 *
 * <p>Thread safety. Lock order: {@link PidFiles}, then this (the table), then {@link SignalFiles}, then a
 * file, then its pipe. This object's lock is never held while calling out ({@link #add} forgets files after
 * letting it go); each file guards its own state.
 */
public final class LocalFiles {
    /** The proxy's answer for a call on a local file's fd: this tag | {@link #NONBLOCK} if the fd has O_NONBLOCK | the id. */
    public static final long REDIRECT = 0xb10c_0000_0000_0000L;
    public static final long NONBLOCK = 1L << 47;
    private static final long TAG_MASK = 0xffff_0000_0000_0000L, ID_MASK = NONBLOCK - 1;
    private static final int IOV_MAX = 1024;

    /** Whether a delegated call's result is the proxy's redirect to a local file. */
    public static boolean isRedirect(long result) {
        return (result & TAG_MASK) == REDIRECT;
    }

    /** The file id in a redirect or in the proxy's answer to "which file is this fd". */
    public static long idOf(long answer) {
        return answer & ID_MASK;
    }

    public static boolean nonblock(long answer) {
        return (answer & NONBLOCK) != 0;
    }

    /**
     * In the proxy's answer to "which file is this fd": the fd is no local file but an LWK process's /proc/PID
     * directory (its directory in the LWK's state directory, jmck.lwk.fs.ProcFs), and the rest is the pid.
     */
    public static final long PROC_DIRECTORY = 1L << 46;

    public static boolean isProcDirectory(long answer) {
        return answer > 0 && (answer & PROC_DIRECTORY) != 0;
    }

    private record Entry(LocalFile file, ReadinessPipe pipe) {}

    /**
     * How many pidfd files of reaped processes are kept while the guest may still hold their fds (their pipes
     * are closed, so whether it does cannot be told): beyond it the oldest are forgotten, and an fd of one
     * then answers EBADF where Linux says ESRCH.
     */
    private static final int REAPED_KEPT = 4096;
    /** guarded by this: ids of the pidfd files of reaped processes, oldest first */
    private final java.util.ArrayDeque<Long> reaped = new java.util.ArrayDeque<>();

    /** guarded by this */
    private final Map<Long, Entry> files = new HashMap<>();
    /** guarded by this */
    private long nextId = 1;
    private final PidFiles pidFiles = new PidFiles(this);
    private final SignalFiles signalFiles = new SignalFiles(this);
    /** This process's host pid: proxies open /proc/PID/fd/N for read ends of the pipes. */
    public final long hostPid = jmck.emulator.host.HostSyscall.pid();

    /** The pidfds of the instance's processes. */
    public PidFiles pidFiles() {
        return pidFiles;
    }

    /** The signalfds. */
    public SignalFiles signalFiles() {
        return signalFiles;
    }

    /** Adds f with its pipe; returns its id. Files nobody holds any more are forgotten first. */
    long add(LocalFile f, ReadinessPipe pipe) {
        List<Entry> gone;
        long id;
        synchronized (this) {
            gone = unread();
            id = nextId++;
            files.put(id, new Entry(f, pipe));
        }
        release(gone);
        return id;
    }

    /** The file with this id, or null (forgotten, or never one). */
    public synchronized LocalFile get(long id) {
        Entry e = files.get(id);
        return e == null ? null : e.file;
    }

    /**
     * The host fd proxies open through /proc/{@link #hostPid}/fd/N for a read end of file id's pipe, kept
     * open until {@link #opened}; -1 if the file is gone.
     */
    public synchronized int reserve(long id) {
        Entry e = files.get(id);
        return e == null ? -1 : e.pipe.reserve();
    }

    /** A proxy opened (or failed to open) a read end of file id's pipe. */
    public synchronized void opened(long id) {
        Entry e = files.get(id);
        if (e != null)
            e.pipe.opened();
    }

    /** Takes out the files whose pipes no guest fd reads any more. */
    private List<Entry> unread() {
        List<Entry> gone = new ArrayList<>();
        for (var it = files.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.file instanceof PidFile p && p.process() == null)
                continue; // kept in the reaped list
            if (e.pipe.unread()) {
                gone.add(e);
                it.remove();
            }
        }
        return gone;
    }

    /** Closes the pipes of files taken out (outside this object's lock: PidFiles' lock comes first). */
    private void release(List<Entry> gone) {
        for (Entry e : gone) {
            e.pipe.close();
            if (e.file instanceof PidFile p)
                pidFiles.forget(p);
            else if (e.file instanceof SignalFile f)
                signalFiles.forget(f);
            else if (e.file instanceof UserfaultFile u)
                u.released();
        }
    }

    /** Process p has ended (it is a zombie now): its pidfds become readable; files nobody holds go. */
    public void exited(Process p) {
        pidFiles.exited(p);
        signalFiles.exited(p);
        List<Entry> gone;
        synchronized (this) {
            gone = unread();
        }
        release(gone);
    }

    /** Process p was reaped: its pidfds no longer name a process (and see POLLHUP). */
    public void reaped(Process p) {
        PidFile f = pidFiles.reaped(p);
        if (f == null)
            return;
        synchronized (this) {
            reaped.addLast(f.id());
            while (reaped.size() > REAPED_KEPT)
                files.remove(reaped.removeFirst());
        }
    }

    /**
     * The guest's call on a local file, which the proxy answered with a redirect: read, readv, write,
     * writev or ioctl on the file. Returns the syscall's result, -errno or NO_RETURN (the thread waits).
     */
    public long call(Thread t, Syscall call, long[] a, long redirect) {
        LocalFile f = get(idOf(redirect));
        if (f == null)
            return -Errno.EBADF;
        boolean nonblock = nonblock(redirect);
        switch (call) {
            case READ:
                return f.read(t, GuestBuffer.of(t.process().mm(), a[1], a[2]), nonblock);
            case WRITE:
                return f.write(t, GuestBuffer.of(t.process().mm(), a[1], a[2]), nonblock);
            case READV:
            case WRITEV:
                if (a[2] < 0 || a[2] > IOV_MAX)
                    return -Errno.EINVAL;
                GuestBuffer v = GuestBuffer.ofIovec(t.process().mm(), a[1], a[2]);
                return call == Syscall.READV ? f.read(t, v, nonblock) : f.write(t, v, nonblock);
            case IOCTL:
                return f.ioctl(t, a[1], a[2]);
            default:
                return -Errno.EINVAL;
        }
    }

    /** "pidfd", "signalfd", ... for the file behind id, or null. */
    public String kind(long id) {
        LocalFile f = get(id);
        return f == null ? null : f.kind();
    }
}
