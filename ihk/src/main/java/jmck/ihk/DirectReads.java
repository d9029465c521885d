package jmck.ihk;

import java.util.LinkedHashMap;
import java.util.Map;
import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;

/**
 * Reads of regular files that the LWK serves itself, without an IKC round trip: a program that reads a
 * file 4 KiB at a time (md5sum, sort, a compiler) would otherwise cross to the proxy and back for every
 * block. The semantics stay the host's because the LWK reads the very same open file: after a delegated
 * read of a regular file on a local file system, the proxy offers its host fd (see IkcChannel: offer),
 * and the LWK takes its own descriptor of that open file, with dup in `jmck run` (one process) or
 * pidfd_getfd from mcexec. The file offset, O_APPEND, and whatever another process writes are therefore
 * shared exactly as the proxy's own read would share them, and every read is a real host read: a file
 * that changes is read as it is now.
 *
 * <p>What stays delegated: pipes, sockets, terminals, devices, /proc and other pseudo or network file
 * systems (their reads can block or have side effects), files the LWK generates, reads of more than
 * {@link #MAX_BYTES} (so a core is never held long), reads into memory the guest may not write (the proxy
 * gives Linux's partial-read and EFAULT answers), and reads while other threads wait for the core (a
 * thread blocks in a delegated call and they run). A guest fd's entry is valid only while the channel's
 * fd-table generation is the one the offer was made at: the proxy changes it before any fd stops naming
 * its file (close, dup2 over it, close-on-exec), so a stale descriptor is never read.
 *
 * <p>Several cores may read at once for threads of one process: this object's monitor guards its table and
 * its iovec, and a read holds the process's mm lock from its page walk to its end (lock order: this
 * monitor, then the mm lock; it is taken under no other kernel lock). A read that races with a close of
 * the same fd on another core reads the file the fd named when the read began, as on Linux.
 */
final class DirectReads {
    /** What {@link #read} returns when the read must go to the proxy. */
    static final long DELEGATE = Long.MIN_VALUE;
    static final int MAX_BYTES = 1 << 20;
    /** Descriptors the LWK holds per process, at most (the oldest is closed first). */
    private static final int MAX_FILES = 16;
    private static final int SYS_CLOSE = 3, SYS_READV = 19, SYS_PREADV = 295, SYS_FCNTL = 72, F_DUPFD_CLOEXEC = 1030,
            SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438;
    private static final long PAGE = 4096;

    private final PhysicalMemory memory;
    private final boolean sameProcess;
    private final int pidfd;
    private final IkcChannel channel;
    /** Guest fd to the LWK's own descriptor and the generation it holds for, oldest first. Guarded by this. */
    private final Map<Integer, int[]> files = new LinkedHashMap<>();
    /** The iovec array of a read. */
    private final HostBuffer iov = HostBuffer.allocate(16 * (MAX_BYTES / PAGE + 1));
    private long reads;
    /** The process ended: a descriptor offered by an answer taken meanwhile (on another core) is not taken. */
    private boolean closed;

    private DirectReads(PhysicalMemory memory, IkcChannel channel, boolean sameProcess, int pidfd) {
        this.memory = memory;
        this.channel = channel;
        this.sameProcess = sameProcess;
        this.pidfd = pidfd;
    }

    /** Direct reads for a process whose proxy is proxyPid, or null if the LWK cannot reach the proxy's files. */
    static DirectReads open(PhysicalMemory memory, IkcChannel channel, long proxyPid) {
        if (Boolean.getBoolean("jmck.ikc.nodirect"))
            return null;
        if (proxyPid == HostSyscall.pid()) // not ProcessHandle: the JDK's process machinery costs start-up milliseconds
            return new DirectReads(memory, channel, true, -1);
        long pidfd = HostSyscall.call(SYS_PIDFD_OPEN, proxyPid, 0, 0);
        return pidfd < 0 ? null : new DirectReads(memory, channel, false, (int) pidfd);
    }

    /**
     * read(fd, buf, count) or, if positional, pread64(fd, buf, count, offset) of the guest process whose
     * memory is mm: the result, or {@link #DELEGATE}. Lock order: this object, then the mm lock.
     */
    synchronized long read(AddressSpace mm, long fd, long buf, long count, boolean positional, long offset) {
        int[] f = files.get((int) fd);
        if (f == null || fd != (int) fd)
            return DELEGATE;
        if (f[1] != channel.fdGeneration()) { // the fd has changed since: forget it
            forget((int) fd);
            return DELEGATE;
        }
        if (count <= 0 || count > MAX_BYTES || !X86.accessOk(buf, count))
            return DELEGATE;
        // Under the mm lock (the AddressSpace's monitor) from the page walk to the end of the read, so that
        // no other core can unmap the pages and free their frames while the host writes into them.
        synchronized (mm) {
            int n = 0;
            for (long va = buf, end = buf + count; va < end; ) {
                long pa = mm.resolve(va, true);
                if (pa < 0)
                    return DELEGATE;
                long len = Math.min(end - va, PAGE - (va & (PAGE - 1))), host = memory.hostAddress(pa);
                if (n > 0 && iov.getLong(16 * (n - 1)) + iov.getLong(16 * (n - 1) + 8) == host)
                    iov.setLong(16 * (n - 1) + 8, iov.getLong(16 * (n - 1) + 8) + len);
                else {
                    iov.setLong(16 * n, host);
                    iov.setLong(16 * n + 8, len);
                    n++;
                }
                va += len;
            }
            reads++;
            return HostSyscall.call(positional ? SYS_PREADV : SYS_READV, f[0], iov.address(), n,
                    positional ? offset : 0, 0, 0);
        }
    }

    /**
     * A delegated read of guest fd fd was answered with an offer of the proxy's hostFd (or -1), valid at
     * generation: takes a descriptor of that open file, if the fd table has not changed since.
     */
    synchronized void learn(long fd, int hostFd, int generation) {
        if (closed || hostFd < 0 || fd != (int) fd || files.containsKey((int) fd))
            return;
        long mine = sameProcess ? HostSyscall.call(SYS_FCNTL, hostFd, F_DUPFD_CLOEXEC, 0)
                : HostSyscall.call(SYS_PIDFD_GETFD, pidfd, hostFd, 0);
        if (mine < 0)
            return;
        if (channel.fdGeneration() != generation) { // it changed while the descriptor was taken
            HostSyscall.call(SYS_CLOSE, mine, 0, 0);
            return;
        }
        if (files.size() >= MAX_FILES)
            forget(files.keySet().iterator().next());
        files.put((int) fd, new int[] {(int) mine, generation});
    }

    private void forget(int fd) {
        int[] f = files.remove(fd);
        if (f != null)
            HostSyscall.call(SYS_CLOSE, f[0], 0, 0);
    }

    /** Reads served so far. */
    synchronized long count() {
        return reads;
    }

    /** Closes every descriptor (the process ended). */
    synchronized void close() {
        closed = true;
        for (int fd : files.keySet().toArray(new Integer[0]))
            forget(fd);
        if (pidfd >= 0)
            HostSyscall.call(SYS_CLOSE, pidfd, 0, 0);
    }
}
