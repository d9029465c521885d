package jmck.proxy;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * ETXTBSY, which the host cannot give for the LWK's programs: Linux refuses to open for writing (or
 * truncate) a file that a process runs, and to execute a file that is open for writing. The LWK runs a
 * guest's program from its own read-only descriptor, which the host does not count as an execution. So
 * the proxy keeps the file each guest process runs (from the end of an execve it served, forked with the
 * fd table, gone when the process execs again or ends) and refuses to open those for writing; and before
 * an execve it asks the host whether the file is open for writing anywhere (a read lease is refused then,
 * EAGAIN). One per proxy process.
 */
final class RunningPrograms {
    static final RunningPrograms INSTANCE = new RunningPrograms();

    private static final int SYS_FSTAT = 5, SYS_NEWFSTATAT = 262, SYS_FCNTL = 72, F_SETLEASE = 1024, F_RDLCK = 0,
            F_UNLCK = 2, O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0100, O_TRUNC = 01000, AT_FDCWD = -100;

    /**
     * A file by device and inode. equals and hashCode written out: a record's are made at their first call
     * by java.lang.runtime.ObjectMethods, some 20 ms of the first exec or write of every run.
     */
    private record FileId(long dev, long ino) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FileId f && f.dev == dev && f.ino == ino;
        }

        @Override
        public int hashCode() {
            return 31 * Long.hashCode(dev) + Long.hashCode(ino);
        }
    }

    /** The program each guest process runs, by its fd table (a process's, until it ends). */
    private final Map<FdTable, FileId> running = new IdentityHashMap<>();
    /** How many processes run each file. */
    private final Map<FileId, Integer> runners = new HashMap<>();
    /** running's size, for a look without the lock on every delegated open. */
    private volatile int processes;

    private RunningPrograms() {}

    /**
     * Adds delta to the processes running f, forgetting f at none. (Not merge's lambdas: each linked at
     * its first call, on the path of a run's first exec.)
     */
    private void count(FileId f, int delta) {
        Integer n = runners.get(f);
        int now = (n == null ? 0 : n) + delta;
        if (now > 0)
            runners.put(f, now);
        else
            runners.remove(f);
    }

    /** The process of table t now runs the file of host fd h (its execve is over). */
    void exec(FdTable t, int h) {
        FileId f = fileOf(h);
        synchronized (this) {
            ended(t);
            if (f != null) {
                running.put(t, f);
                count(f, 1);
            }
            processes = running.size();
        }
    }

    /** A forked child (table child) runs its parent's program. */
    synchronized void forked(FdTable parent, FdTable child) {
        FileId f = running.get(parent);
        if (f != null) {
            running.put(child, f);
            count(f, 1);
        }
        processes = running.size();
    }

    /** The process of table t ended or runs another program now. */
    synchronized void ended(FdTable t) {
        FileId f = running.remove(t);
        if (f != null)
            count(f, -1);
        processes = running.size();
    }

    /**
     * Before open, openat, openat2 or creat for writing (or with O_TRUNC), and truncate, with guest arguments
     * a: -ETXTBSY if the file is a guest's running program, else 0. The path is looked up as the call will
     * look it up (the caller runs with the guest's ids).
     */
    long refuseWrite(Syscall call, long[] a, FdTable fds, GuestBuffers mem) {
        if (call != Syscall.OPEN && call != Syscall.OPENAT && call != Syscall.CREAT && call != Syscall.TRUNCATE
                && call != Syscall.OPENAT2 || processes == 0)
            return 0;
        long dir = AT_FDCWD, pathVa, flags;
        switch (call) {
            case OPEN -> { pathVa = a[0]; flags = a[1]; }
            case CREAT -> { pathVa = a[0]; flags = O_WRONLY | O_CREAT | O_TRUNC; }
            case TRUNCATE -> { pathVa = a[0]; flags = O_WRONLY; }
            case OPENAT -> { dir = a[0]; pathVa = a[1]; flags = a[2]; }
            case OPENAT2 -> {
                dir = a[0];
                pathVa = a[1];
                byte[] how = mem.readGuest(a[2], 8);
                if (how == null)
                    return 0;
                flags = java.nio.ByteBuffer.wrap(how).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
            }
            default -> { return 0; }
        }
        if ((flags & O_ACCMODE) == O_RDONLY && (flags & O_TRUNC) == 0)
            return 0;
        if ((int) dir != AT_FDCWD) {
            dir = fds.host(dir);
            if (dir < 0)
                return 0; // the call gives EBADF
        } else {
            dir = AT_FDCWD;
        }
        long path = mem.path(pathVa);
        if (path < 0)
            return 0;
        FileId f = fileAt(dir, path);
        synchronized (this) {
            return f != null && runners.containsKey(f) ? -Errno.ETXTBSY : 0;
        }
    }

    /**
     * Whether the file of host fd h (opened read-only) is open for writing anywhere on the host: a read
     * lease is refused with EAGAIN then. False if the host cannot say (no leases on the file system, or the
     * proxy may not take one).
     */
    boolean openForWriting(int h) {
        long r = HostSyscall.call(SYS_FCNTL, h, F_SETLEASE, F_RDLCK);
        if (r == 0)
            HostSyscall.call(SYS_FCNTL, h, F_SETLEASE, F_UNLCK);
        return r == -Errno.EAGAIN;
    }

    /** The file of host fd h, or null. */
    private static FileId fileOf(int h) {
        HostBuffer st = HostBuffer.allocate(144);
        long r = HostSyscall.call(SYS_FSTAT, h, st.address(), 0);
        return r < 0 ? null : new FileId(st.getLong(0), st.getLong(8));
    }

    /** The file at host path (an address) relative to host directory fd dir, or null if there is none. */
    private static FileId fileAt(long dir, long path) {
        HostBuffer st = HostBuffer.allocate(144);
        long r = HostSyscall.call(SYS_NEWFSTATAT, dir, path, st.address(), 0, 0, 0);
        return r < 0 ? null : new FileId(st.getLong(0), st.getLong(8));
    }
}
