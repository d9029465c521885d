package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;

/**
 * A guest process's file descriptors, held by its proxy: guest fd N names a host fd, like mcexec whose
 * own fds are the guest's. The guest sees the numbers Linux would give (lowest free first, 0-2 at start)
 * and cannot reach the proxy's own files. Host fds are opened close-on-exec; the guest's FD_CLOEXEC flag
 * is kept here, for execve. A forked table shares its parent's host fds (HostFds counts them); what Linux
 * keeps with the open file and the host must not see, F_SETOWN and F_SETSIG, is kept by FdSignals.
 */
final class FdTable {
    private static final int SYS_DUP = 32, SYS_FCNTL = 72, F_DUPFD_CLOEXEC = 1030;
    private static final int LIMIT = 65536, NR_OPEN = 1 << 20;
    /** Guest fds are below this: the guest's RLIMIT_NOFILE (see setLimit). */
    private int limit = LIMIT;
    private int[] host = new int[64];
    private boolean[] cloexec = new boolean[64];
    /**
     * The id of the local file (jmck.lwk.file.LocalFiles: a pidfd, a signalfd) each guest fd is, 0 for none;
     * kept across dup and fork, which share the open file.
     */
    private long[] local = new long[64];
    /** Whether any fd was ever a local file: until then the guest's reads need not look. */
    private volatile boolean anyLocal;
    /** Contents still to be written into a generated file's memfd, by guest fd (see installGenerated). */
    private final java.util.Map<Integer, java.util.function.Supplier<byte[]>> pending = new java.util.HashMap<>();
    /** Guest fds of generated files; like Linux's seq_files they cannot be spliced or sendfile'd. */
    private final java.util.Set<Integer> generated = new java.util.HashSet<>();
    /** What takes the writes to writable generated files, by guest fd. */
    private final java.util.Map<Integer, java.util.function.ToLongFunction<byte[]>> writers = new java.util.HashMap<>();

    /** The writer of guest fd g if it is a writable generated file, else null. */
    synchronized java.util.function.ToLongFunction<byte[]> writer(long g) {
        return writers.get((int) g);
    }

    /** Runs before a guest fd stops naming its host file (close, replaced by dup2): the LWK's direct reads depend on it. */
    private Runnable onRemove = new Runnable() { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
        @Override
        public void run() {}
    };

    synchronized void onRemove(Runnable r) {
        onRemove = r;
    }

    synchronized boolean isGenerated(long g) {
        return generated.contains((int) g);
    }

    /** The guest process whose table this is (its POSIX record locks, see RecordLocks); 0 if unknown. */
    private int owner;

    /** Where the signals the host raises for this table's files go (see FdSignals). */
    private FdSignals.Sink signalSink;

    synchronized void setOwner(int pid, FdSignals.Sink sink) {
        owner = pid;
        signalSink = sink;
    }

    synchronized FdSignals.Sink signalSink() {
        return signalSink;
    }

    synchronized int owner() {
        return owner;
    }

    /**
     * This table's entry naming host fd h goes: the process's POSIX locks on its file go first, as on Linux;
     * h closes if no other table names it. Returns close's result, or 0.
     */
    private long closeHost(int h) {
        if (owner > 0)
            RecordLocks.INSTANCE.closing(owner, h);
        return HostFds.INSTANCE.release(h) ? HostSyscall.call(3, h, 0, 0) : 0;
    }

    static {
        ignoreSigio();
    }

    /**
     * The host sends SIGIO to the proxy for what its files do on its behalf (a lease the guest took is
     * broken, an O_ASYNC descriptor): the guest's fds are the proxy's, but the signal is not for the proxy,
     * whose default action for it would end the proxy. It is ignored.
     */
    private static void ignoreSigio() {
        HostBuffer act = HostBuffer.allocate(32);
        act.setLong(0, 1); // SIG_IGN
        HostSyscall.call(13 /* rt_sigaction */, 29 /* SIGIO */, act.address(), 0, 8, 0, 0);
        java.lang.ref.Reference.reachabilityFence(act);
    }

    FdTable() {
        HostFacts.raiseFileLimit();
        java.util.Arrays.fill(host, -1);
    }

    /** A table whose 0, 1 and 2 are copies of the proxy's own stdin, stdout and stderr. */
    static FdTable withStdio() {
        FdTable t = new FdTable();
        for (int fd = 0; fd < 3; fd++) {
            long h = HostSyscall.call(SYS_FCNTL, fd, F_DUPFD_CLOEXEC, 3);
            if (h >= 0)
                t.installAt(fd, (int) h, false);
        }
        return t;
    }

    /**
     * The host fd for guest fd g, or -1 if g is not open. Only the low 32 bits of g count, as Linux reads an
     * fd argument as an int. A generated file gets its contents now.
     */
    synchronized int host(long g) {
        int i = (int) g;
        int h = i >= 0 && i < host.length ? host[i] : -1;
        if (h >= 0 && !pending.isEmpty()) {
            var contents = pending.remove((int) g);
            if (contents != null) // (a class, not a lambda: glibc and libgomp read a generated /sys file at start-up)
                HostCalls.asProxyWhile(new java.util.function.Supplier<Void>() {
                    @Override
                    public Void get() {
                        fill(h, contents.get());
                        return null;
                    }
                });
        }
        return h;
    }

    private static final int SYS_MEMFD_CREATE = 319, SYS_LSEEK = 8, SYS_OPEN = 2, SYS_DUP3 = 292, MFD_CLOEXEC = 1,
            O_RDONLY = 0, O_CLOEXEC = 02000000;

    /**
     * Installs a read-only file whose contents come from the LWK (a /proc file), in a host memfd. Like
     * Linux's seq_files they are produced when the guest first uses the fd (reads, seeks, stats), not at
     * open. Returns the guest fd or -errno.
     */
    synchronized int installGenerated(String name, java.util.function.Supplier<byte[]> contents,
            java.util.function.ToLongFunction<byte[]> writer) {
        HostBuffer n = HostBuffer.allocate(Math.min(name.length(), 200) + 1L);
        n.setString(0, name.length() > 200 ? name.substring(0, 200) : name);
        long fd = HostSyscall.call(SYS_MEMFD_CREATE, n.address(), MFD_CLOEXEC, 0);
        java.lang.ref.Reference.reachabilityFence(n); // the calls read the buffers by address only
        if (fd < 0)
            return (int) fd;
        int g = install((int) fd, false, 0);
        if (g >= 0) {
            pending.put(g, contents);
            generated.add(g);
            if (writer != null)
                writers.put(g, writer);
        }
        return g;
    }

    private static void fill(int hostFd, byte[] contents) {
        HostBuffer data = HostBuffer.allocate(Math.max(1, contents.length));
        data.write(0, contents, 0, contents.length);
        long done = 0;
        while (done < contents.length) {
            long w = HostSyscall.call(1, hostFd, data.address() + done, contents.length - done);
            if (w <= 0)
                break;
            done += w;
        }
        // The guest opened it read-only: hostFd becomes a read-only open of the same file (so that write is
        // EBADF, as on Linux), at offset 0.
        HostBuffer path = HostBuffer.allocate(32);
        path.setString(0, "/proc/self/fd/" + hostFd);
        long ro = HostSyscall.call(SYS_OPEN, path.address(), O_RDONLY | O_CLOEXEC, 0);
        java.lang.ref.Reference.reachabilityFence(data);
        java.lang.ref.Reference.reachabilityFence(path);
        if (ro >= 0) {
            HostSyscall.call(SYS_DUP3, ro, hostFd, O_CLOEXEC);
            HostSyscall.call(3, ro, 0, 0);
        } else {
            HostSyscall.call(SYS_LSEEK, hostFd, 0, 0);
        }
    }

    /** Sets the bound on guest fd numbers from the guest's RLIMIT_NOFILE soft limit, as Linux bounds them. */
    synchronized void setLimit(long rlimitNofile) {
        limit = rlimitNofile < 0 || rlimitNofile > NR_OPEN ? NR_OPEN : (int) rlimitNofile;
    }

    /** The bound on guest fd numbers: new fds are below it. */
    synchronized int limit() {
        return limit;
    }

    /** Installs hostFd at the lowest free guest fd at or above min; returns it, or -EMFILE. */
    synchronized int install(int hostFd, boolean closeOnExec, int min) {
        for (int g = Math.max(0, min); g < limit; g++) {
            if (g >= host.length)
                grow(g + 1);
            if (host[g] < 0) {
                host[g] = hostFd;
                cloexec[g] = closeOnExec;
                local[g] = 0;
                HostFds.INSTANCE.fresh(hostFd);
                return g;
            }
        }
        HostSyscall.call(3, hostFd, 0, 0);
        return -24; // EMFILE
    }

    /**
     * dup2/dup3: guest fd g becomes a duplicate of guest fd from (which must be open), replacing what g held.
     * An open g keeps its host descriptor, which dup3 on the host replaces at once: like Linux, this needs
     * no free descriptor, so it works in a full table (unless another table shares it). Returns g, or -errno.
     */
    synchronized long dupOnto(long from, int g, boolean closeOnExec) {
        int h = host(from);
        if (h < 0)
            return -9; // EBADF
        int target = g < host.length ? host[g] : -1;
        if (target < 0 || HostFds.INSTANCE.shared(target)) {
            long d = HostSyscall.call(SYS_FCNTL, h, F_DUPFD_CLOEXEC, 3);
            if (d < 0)
                return d;
            installAt(g, (int) d, closeOnExec);
            local[g] = local[(int) from];
            FdSignals.INSTANCE.copy(h, (int) d);
            return g;
        }
        onRemove.run(); // g stops naming its file: the LWK's direct reads of it end
        if (owner > 0) // dup3 closes what target held
            RecordLocks.INSTANCE.closing(owner, target);
        FdSignals.INSTANCE.forget(target);
        long r = HostSyscall.call(SYS_DUP3, h, target, O_CLOEXEC);
        if (r < 0)
            return r;
        pending.remove(g);
        generated.remove(g);
        writers.remove(g);
        cloexec[g] = closeOnExec;
        local[g] = local[(int) from];
        FdSignals.INSTANCE.copy(h, target);
        return g;
    }

    /** Puts hostFd at guest fd g, closing what g held. */
    synchronized void installAt(int g, int hostFd, boolean closeOnExec) {
        if (g >= host.length)
            grow(g + 1);
        if (host[g] >= 0) {
            onRemove.run();
            closeHost(host[g]);
        }
        pending.remove(g);
        generated.remove(g);
        writers.remove(g);
        host[g] = hostFd;
        cloexec[g] = closeOnExec;
        local[g] = 0;
        HostFds.INSTANCE.fresh(hostFd);
    }

    private void grow(int n) {
        int size = Math.max(n, host.length * 2);
        int old = host.length;
        host = java.util.Arrays.copyOf(host, size);
        cloexec = java.util.Arrays.copyOf(cloexec, size);
        local = java.util.Arrays.copyOf(local, size);
        java.util.Arrays.fill(host, old, size, -1);
    }

    /** Closes guest fd g: 0, or -EBADF. */
    synchronized long close(long g) {
        int h = host(g);
        if (h < 0)
            return -9;
        onRemove.run();
        host[(int) g] = -1;
        cloexec[(int) g] = false;
        local[(int) g] = 0;
        pending.remove((int) g);
        generated.remove((int) g);
        writers.remove((int) g);
        long r = closeHost(h);
        return r == -4 ? 0 : r; // EINTR from close still closed the fd
    }

    /** The host fd of guest fd g if it is a plain host file (not one the LWK generates), else -1. */
    synchronized int plainHost(long g) {
        int i = (int) g;
        return i >= 0 && i < host.length && !generated.contains(i) ? host[i] : -1;
    }

    /** A host duplicate of guest fd g (close-on-exec on the host), or -errno. */
    synchronized long dupHost(long g) {
        int h = host(g);
        if (h < 0)
            return -9;
        return HostSyscall.call(SYS_FCNTL, h, F_DUPFD_CLOEXEC, 3);
    }

    /** dup and F_DUPFD: a new guest fd at or above min for the open file of guest fd g; it or -errno. */
    long duplicate(long g, boolean closeOnExec, int min) {
        return copyInto(this, g, closeOnExec, min);
    }

    /**
     * Guest fd g of this table duplicated into to (pidfd_getfd, dup), at or above min: the new fd, or -errno.
     * One table's lock at a time, so that copies both ways between two tables cannot deadlock.
     */
    long copyInto(FdTable to, long g, boolean closeOnExec, int min) {
        long h, id;
        int from;
        synchronized (this) {
            h = dupHost(g);
            if (h < 0)
                return h;
            id = local[(int) g];
            from = host[(int) g];
        }
        synchronized (to) {
            int n = to.install((int) h, closeOnExec, min);
            if (n >= 0 && id != 0)
                to.markLocal(n, id);
            if (n >= 0)
                FdSignals.INSTANCE.copy(from, (int) h);
            return n;
        }
    }

    /** Installs a local file's read end (see the local field) at the lowest free fd: it, or -EMFILE. */
    synchronized int installLocal(int hostFd, boolean closeOnExec, long id) {
        int g = install(hostFd, closeOnExec, 0);
        if (g >= 0)
            markLocal(g, id);
        return g;
    }

    private void markLocal(int g, long id) {
        local[g] = id;
        anyLocal = true;
    }

    /** The local file guest fd g is (its id), or 0; cheap while no fd ever was one. */
    long local(long g) {
        if (!anyLocal)
            return 0;
        synchronized (this) {
            int i = (int) g;
            return i >= 0 && i < host.length && host[i] >= 0 ? local[i] : 0;
        }
    }

    synchronized boolean cloexec(long g) {
        return host(g) >= 0 && cloexec[(int) g];
    }

    synchronized void setCloexec(long g, boolean on) {
        if (host(g) >= 0)
            cloexec[(int) g] = on;
    }

    /** Number of open guest fds. */
    synchronized int open() {
        int n = 0;
        for (int h : host)
            if (h >= 0)
                n++;
        return n;
    }

    /** The highest open guest fd, or -1. */
    synchronized int highest() {
        for (int g = host.length - 1; g >= 0; g--)
            if (host[g] >= 0)
                return g;
        return -1;
    }

    /** The working directory of the process (or processes sharing it) these fds belong to: not a file, but forked with them. */
    private WorkingDirectory directory;

    synchronized WorkingDirectory directory() {
        if (directory == null)
            directory = WorkingDirectory.ofProxy();
        return directory;
    }

    /**
     * A copy for a forked child: every open fd names the same host fd (the same open file, as fork shares
     * it; HostFds counts the tables), with the same close-on-exec flags. A generated file not read yet
     * stays empty in the child unless the parent reads it first.
     */
    synchronized FdTable fork() {
        FdTable t = new FdTable();
        t.limit = limit;
        t.directory = directory == null ? null : directory.fork();
        t.grow(host.length);
        for (int g = 0; g < host.length; g++)
            if (host[g] >= 0) {
                HostFds.INSTANCE.share(host[g]);
                t.host[g] = host[g];
                t.cloexec[g] = cloexec[g];
                if (local[g] != 0)
                    t.markLocal(g, local[g]);
            }
        t.generated.addAll(generated);
        RunningPrograms.INSTANCE.forked(this, t);
        return t;
    }

    /** Where listing() makes its directories (the process's directory in the LWK's state directory), or null. */
    private jmck.lwk.fs.Listings listings;

    synchronized void setListingDirectory(java.nio.file.Path d) {
        listings = new jmck.lwk.fs.Listings(d, "fd-listing");
    }

    /**
     * A directory that lists the guest's open fds, as /proc/self/fd and /dev/fd list a process's (the host's
     * would list the proxy's own): for each guest fd a symbolic link named by it to where its host fd leads,
     * and one for the fd that the open of this listing is about to get (the lowest free), to the directory,
     * as Linux's shows the listing's own fd. Made anew at each call ({@link jmck.lwk.fs.Listings}) in the
     * process's directory in the LWK's state directory, which the LWK deletes when the process ends; made
     * from the highest fd down, it lists from 0 up on tmpfs. Null if it cannot be made: the proxy's own fds
     * are listed then.
     */
    synchronized String listing() {
        if (listings == null)
            return null;
        try {
            java.nio.file.Path d = listings.next();
            int next = 0;
            while (next < host.length && host[next] >= 0)
                next++;
            for (int g = Math.max(next, host.length - 1); g >= 0; g--) {
                String to = g == next ? "/proc/" + owner + "/fd" : host[g] >= 0 ? hostTarget(host[g]) : null;
                if (to != null)
                    java.nio.file.Files.createSymbolicLink(d.resolve(Integer.toString(g)), java.nio.file.Path.of(to));
            }
            return d.toString();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** Where a host fd of this process leads (its /proc/self/fd link's text), or null. */
    private static String hostTarget(int hostFd) {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + hostFd)).toString();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The host fd of execve's file while the LWK loads it, or -1. */
    private int execFile = -1;

    synchronized int execFile() {
        return execFile;
    }

    /** Keeps execve's file open until the exec is over (a later exec, the end of this one, or the process). */
    synchronized void holdExecFile(int h) {
        if (execFile >= 0)
            HostSyscall.call(3, execFile, 0, 0);
        execFile = h;
    }

    /** Closes everything (the guest process ended); its record locks go too. */
    synchronized void closeAll() {
        if (owner > 0)
            RecordLocks.INSTANCE.exited(owner);
        RunningPrograms.INSTANCE.ended(this);
        if (directory != null)
            directory.close();
        holdExecFile(-1);
        for (int g = 0; g < host.length; g++)
            if (host[g] >= 0)
                close(g);
    }

    /** Closes the fds marked close-on-exec, and execve's own file (the exec is over). */
    synchronized void closeOnExec() {
        holdExecFile(-1);
        for (int g = 0; g < host.length; g++)
            if (host[g] >= 0 && cloexec[g])
                close(g);
    }
}
