package jmck.proxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;

/**
 * POSIX record locks (fcntl F_SETLK, F_SETLKW, F_GETLK) per guest process. On the host every guest process
 * is the one proxy process, whose POSIX locks never conflict with each other and all go when it closes any
 * descriptor of the file. So each guest process gets, for each file it locks, a private host open file
 * description of that file, and its POSIX lock requests become open-file-description (OFD) locks on it:
 * the host then enforces them between guest processes, against other programs' locks, and with POSIX's
 * range splitting and merging; closing the private description drops them, which happens when the guest
 * process closes any descriptor of the file or ends, as POSIX says. OFD locks the guest takes itself pass
 * straight through: a guest's open file descriptions are the host's.
 *
 * <p>What the host cannot say is which guest process holds a conflicting lock (F_GETLK's l_pid) and
 * whether a wait would deadlock (EDEADLK): a copy of each process's ranges is kept for that. Synchronized
 * on this; one per proxy host process.
 */
final class RecordLocks {
    static final RecordLocks INSTANCE = new RecordLocks();

    private static final int SYS_FCNTL = 72, SYS_FSTAT = 5, SYS_CLOSE = 3, SYS_LSEEK = 8;
    private static final int F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_OFD_GETLK = 36, F_OFD_SETLK = 37,
            F_OFD_SETLKW = 38, F_GETFL = 3;
    private static final short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
    private static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CLOEXEC = 02000000,
            S_IFMT = 0170000, S_IFREG = 0100000;
    private static final long OFFSET_MAX = Long.MAX_VALUE;
    private static final int ENOLCK = 37;

    /** A file by host device and inode. */
    private record FileId(long dev, long ino) {}

    /** One guest process's locks on one file: its private host description and a copy of its ranges. */
    private static final class Held {
        final int hostFd;
        /** {start, end (inclusive), type} ranges, disjoint. */
        final List<long[]> ranges = new ArrayList<>();

        Held(int hostFd) {
            this.hostFd = hostFd;
        }
    }

    /**
     * A guest process blocked in F_SETLKW (in the host's F_OFD_SETLKW, on worker thread tid): what it asked
     * for, and which guest process holds it up (-1: none of them; the edges deadlock detection follows).
     */
    private static final class Waiter {
        final FileId file;
        final long first, last;
        final short type;
        final long tid = HostSyscall.call(HostSyscall.SYS_GETTID, 0, 0, 0);
        int blocker;
        /** Its wait would now close a cycle: its host call is to end (SIG_INTERRUPT) and fail with EDEADLK. */
        boolean deadlocked;

        Waiter(FileId file, long first, long last, short type, int blocker) {
            this.file = file;
            this.first = first;
            this.last = last;
            this.type = type;
            this.blocker = blocker;
        }
    }

    private final Map<Integer, Map<FileId, Held>> byOwner = new HashMap<>();
    /** The guest processes blocked in F_SETLKW, by process. */
    private final Map<Integer, Waiter> waiters = new HashMap<>();

    private RecordLocks() {}

    /**
     * fcntl F_GETLK, F_SETLK or F_SETLKW by guest process owner on host fd h, with the guest's struct flock
     * at host address lock (32 bytes: type, whence, start, len, pid; F_GETLK writes it). Returns 0 or
     * -errno. Not regular files (where Linux's rules are the same) keep the host's POSIX locks.
     */
    long fcntl(int owner, int h, int cmd, long lock) {
        HostBuffer fl = HostBuffer.over(lock, 32);
        short type = fl.getShort(0), whence = fl.getShort(2);
        long start = fl.getLong(8), len = fl.getLong(16);
        FileId file = regularFile(h);
        if (file == null || owner <= 0)
            return HostSyscall.call(SYS_FCNTL, h, cmd, lock);
        if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
            return -Errno.EINVAL;
        long mode = HostSyscall.call(SYS_FCNTL, h, F_GETFL, 0) & O_ACCMODE;
        if (cmd != F_GETLK && (type == F_RDLCK && mode == O_WRONLY || type == F_WRLCK && mode == O_RDONLY))
            return -Errno.EBADF;
        // the range from the start of the file, as the host would resolve it against this fd
        long base = whence == 0 ? 0 : whence == 1 ? HostSyscall.call(SYS_LSEEK, h, 0, 1) : whence == 2 ? size(h) : -1;
        if (base < 0)
            return -Errno.EINVAL;
        long first = base + start, last;
        if (len > 0) {
            last = first + len - 1;
        } else if (len < 0) {
            last = first - 1;
            first += len;
        } else {
            last = OFFSET_MAX;
        }
        if (first < 0 || last < first && len != 0)
            return -Errno.EINVAL;
        HostBuffer req = HostBuffer.allocate(32);
        req.clear(32);
        req.setShort(0, type);
        req.setShort(2, (short) 0);
        req.setLong(8, first);
        req.setLong(16, last == OFFSET_MAX ? 0 : last - first + 1);
        List<Waiter> deadlocked = null;
        Waiter waiter = null;
        synchronized (this) {
            Held held = held(owner, file, h, cmd == F_GETLK);
            if (cmd == F_GETLK) {
                long r = HostSyscall.call(SYS_FCNTL, held == null ? h : held.hostFd, held == null ? F_GETLK : F_OFD_GETLK,
                        req.address());
                if (r < 0)
                    return r;
                if (req.getShort(0) == F_UNLCK) { // no conflict: Linux changes only l_type
                    fl.setShort(0, F_UNLCK);
                    return 0;
                }
                if (req.getInt(24) <= 0) { // the host names no pid for an OFD lock: the guest process holding it
                    long from = req.getLong(8), length = req.getLong(16);
                    short reported = req.getShort(0);
                    req.setInt(24, holder(file, owner, from, length == 0 ? OFFSET_MAX : from + length - 1, t -> t == reported));
                }
                fl.write(0, req.getByteArray(0, 32), 0, 32);
                return 0;
            }
            if (held == null)
                return -ENOLCK;
            long r = HostSyscall.call(SYS_FCNTL, held.hostFd, F_OFD_SETLK, req.address());
            if (r == 0) {
                record(held, first, last, type);
                deadlocked = recheckWaiters();
            } else {
                if (r != -Errno.EAGAIN || cmd != F_SETLKW)
                    return r;
                int blocker = holder(file, owner, first, last, type);
                if (blocker > 0 && deadlocks(owner, blocker))
                    return -Errno.EDEADLK;
                waiter = new Waiter(file, first, last, type, blocker);
                waiters.put(owner, waiter);
            }
        }
        long r = 0;
        if (waiter != null) {
            r = HostSyscall.call(SYS_FCNTL, heldFd(owner, file), F_OFD_SETLKW, req.address());
            synchronized (this) {
                waiters.remove(owner);
                Held held = byOwner.getOrDefault(owner, Map.of()).get(file);
                if (r == 0 && held != null) {
                    record(held, first, last, type);
                    deadlocked = recheckWaiters();
                } else if (waiter.deadlocked) {
                    r = -Errno.EDEADLK;
                }
            }
        }
        if (deadlocked != null)
            breakDeadlocks(deadlocked);
        return r;
    }

    /**
     * Some guest process's locks changed (an unlock, a close, an exit): each waiter is held up by whoever
     * holds up its request now, as Linux's waiters retry when woken; one whose wait now closes a cycle is
     * marked deadlocked. Returns those, whose host waits must be ended ({@link #breakDeadlocks}), or null.
     */
    private List<Waiter> recheckWaiters() {
        List<Waiter> deadlocked = null;
        for (Map.Entry<Integer, Waiter> e : waiters.entrySet()) {
            Waiter w = e.getValue();
            if (w.deadlocked)
                continue;
            w.blocker = holder(w.file, e.getKey(), w.first, w.last, w.type);
            if (w.blocker > 0 && deadlocks(e.getKey(), w.blocker)) {
                w.deadlocked = true;
                (deadlocked == null ? deadlocked = new ArrayList<>() : deadlocked).add(w);
            }
        }
        return deadlocked;
    }

    /**
     * Ends each deadlocked waiter's host wait with SIG_INTERRUPT (its F_OFD_SETLKW returns EINTR, and it
     * answers EDEADLK), again every millisecond until it has left: a signal that lands just before the
     * waiter enters the host call is lost. Called without the monitor, which the waiter needs to leave.
     */
    private void breakDeadlocks(List<Waiter> deadlocked) {
        long pid = HostSyscall.pid();
        for (Waiter w : deadlocked)
            for (int tries = 0; tries < 1000 && stillWaiting(w); tries++) {
                HostSyscall.call(HostSyscall.SYS_TGKILL, pid, w.tid, HostSyscall.SIG_INTERRUPT);
                try {
                    java.lang.Thread.sleep(1);
                } catch (InterruptedException ie) {
                    java.lang.Thread.currentThread().interrupt();
                    return;
                }
            }
    }

    private synchronized boolean stillWaiting(Waiter w) {
        return waiters.containsValue(w);
    }

    /** The guest process that holds a lock over [start, last] of file conflicting with a request of type, or -1. */
    private int holder(FileId file, int except, long start, long last, short type) {
        return holder(file, except, start, last, t -> type == F_WRLCK || t == F_WRLCK);
    }

    /** The guest process (other than except) holding a lock over [start, last] of file whose type is such, or -1. */
    private int holder(FileId file, int except, long start, long last, IntPredicate such) {
        for (Map.Entry<Integer, Map<FileId, Held>> e : byOwner.entrySet()) {
            Held held = e.getValue().get(file);
            if (e.getKey() == except || held == null)
                continue;
            for (long[] range : held.ranges)
                if (range[0] <= last && start <= range[1] && such.test((int) range[2]))
                    return e.getKey();
        }
        return -1;
    }

    /** Whether owner waiting for blocker closes a cycle of waiting processes. */
    private boolean deadlocks(int owner, int blocker) {
        Integer next = blocker;
        for (int steps = 0; next != null && steps < 1000; steps++) {
            if (next == owner)
                return true;
            Waiter w = waiters.get(next);
            next = w == null || w.blocker <= 0 ? null : w.blocker;
        }
        return false;
    }

    private synchronized int heldFd(int owner, FileId file) {
        Held held = byOwner.getOrDefault(owner, Map.of()).get(file);
        return held == null ? -1 : held.hostFd;
    }

    /**
     * owner's private description of file (opened from h), made if missing unless onlyIfThere; null if
     * there is none or it cannot be opened.
     */
    private Held held(int owner, FileId file, int h, boolean onlyIfThere) {
        Map<FileId, Held> files = byOwner.computeIfAbsent(owner, k -> new HashMap<>());
        Held held = files.get(file);
        if (held != null || onlyIfThere)
            return held;
        long fd = HostCalls.asProxyWhile(() -> reopen(h, O_RDWR));
        if (fd < 0)
            fd = HostCalls.asProxyWhile(() -> reopen(h, O_RDONLY));
        if (fd < 0)
            return null;
        held = new Held((int) fd);
        files.put(file, held);
        return held;
    }

    private static long reopen(int h, int mode) {
        return HostSyscall.open("/proc/self/fd/" + h, mode | O_CLOEXEC, 0);
    }

    /** Keeps the copy of held's ranges as the host applied the request: set [first, last] to type (or free it). */
    private static void record(Held held, long first, long last, short type) {
        List<long[]> next = new ArrayList<>();
        for (long[] r : held.ranges) {
            if (r[1] < first || r[0] > last) {
                next.add(r);
                continue;
            }
            if (r[0] < first)
                next.add(new long[] {r[0], first - 1, r[2]});
            if (r[1] > last)
                next.add(new long[] {last + 1, r[1], r[2]});
        }
        if (type != F_UNLCK)
            next.add(new long[] {first, last, type});
        held.ranges.clear();
        held.ranges.addAll(next);
    }

    /**
     * Guest process owner is closing host fd h: its POSIX locks on that file go (Linux drops a process's
     * locks on a file when it closes any descriptor of it).
     */
    void closing(int owner, int h) {
        List<Waiter> deadlocked = null;
        synchronized (this) {
            Map<FileId, Held> files = byOwner.get(owner);
            if (files == null || files.isEmpty())
                return;
            FileId file = regularFile(h);
            Held held = file == null ? null : files.remove(file);
            if (held != null) {
                HostSyscall.call(SYS_CLOSE, held.hostFd, 0, 0);
                deadlocked = recheckWaiters();
            }
        }
        if (deadlocked != null)
            breakDeadlocks(deadlocked);
    }

    /** Guest process owner ended: all its locks go. */
    void exited(int owner) {
        List<Waiter> deadlocked = null;
        synchronized (this) {
            Map<FileId, Held> files = byOwner.remove(owner);
            waiters.remove(owner);
            if (files != null) {
                for (Held held : files.values())
                    HostSyscall.call(SYS_CLOSE, held.hostFd, 0, 0);
                deadlocked = recheckWaiters();
            }
        }
        if (deadlocked != null)
            breakDeadlocks(deadlocked);
    }

    /** The file behind host fd h if it is a regular file, else null. */
    private static FileId regularFile(int h) {
        HostBuffer st = HostBuffer.allocate(144);
        if (HostSyscall.call(SYS_FSTAT, h, st.address(), 0) < 0)
            return null;
        return (st.getInt(24) & S_IFMT) == S_IFREG ? new FileId(st.getLong(0), st.getLong(8)) : null;
    }

    private static long size(int h) {
        return Math.max(-1, HostSyscall.fileSize(h));
    }
}
