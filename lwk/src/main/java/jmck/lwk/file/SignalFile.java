package jmck.lwk.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * A signalfd (Linux's fs/signalfd.c): a read takes the reader's pending signals that are in the file's
 * mask, as struct signalfd_siginfo records, waiting for one if none is pending (unless O_NONBLOCK). Its
 * fds poll readable while a signal of the mask is pending for a process that made or read it (Linux looks
 * at the poller's own signals, which the host's poll cannot ask the LWK about; a signalfd is almost always
 * polled by the process that reads it, so this is the same but for a file shared across a fork).
 */
public final class SignalFile implements LocalFile {
    /** sizeof(struct signalfd_siginfo). */
    public static final int RECORD = 128;
    private static final int SI_USER = 0, SI_KERNEL = 0x80, SI_TIMER = -2, SIGCHLD = 17;
    final ReadinessPipe pipe;
    private final SignalFiles files;
    /** guarded by this */
    private long mask;
    /** guarded by this: the live processes that made or read it, whose signals its readiness follows */
    private final java.util.Set<Process> users = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    long id;

    SignalFile(SignalFiles files, Process creator, long mask, ReadinessPipe pipe) {
        this.files = files;
        this.users.add(creator);
        this.mask = mask;
        this.pipe = pipe;
    }

    public long id() {
        return id;
    }

    public synchronized long mask() {
        return mask;
    }

    /** Adds p to the users; false if it was one. */
    synchronized boolean addUser(Process p) {
        return users.add(p);
    }

    synchronized void removeUser(Process p) {
        users.remove(p);
    }

    synchronized java.util.List<Process> users() {
        return new java.util.ArrayList<>(users);
    }

    /** signalfd4 on this file's fd: a new mask. */
    public void setMask(long m) {
        synchronized (this) {
            mask = m;
        }
        update();
    }

    /** Makes the fds readable exactly while a thread of a user has a signal of the mask pending. */
    synchronized void update() {
        long pending = 0;
        for (Process p : users)
            for (Thread t : p.threads())
                if (t.alive())
                    pending |= t.pendingMask();
        pipe.setReadable((pending & mask) != 0);
    }

    /**
     * read: as many records as fit (at least one must), the reader's own signals first, then those queued
     * for its process's other threads. With none pending it waits (the thread waits for the mask's signals
     * as rt_sigtimedwait does, and runs the read again when one comes) or, with O_NONBLOCK, fails with EAGAIN.
     */
    @Override
    public long read(Thread t, GuestBuffer buf, boolean nonblock) {
        if (buf.size() < RECORD)
            return -Errno.EINVAL;
        files.use(this, t.process());
        long m = mask();
        int n = 0;
        while ((n + 1) * (long) RECORD <= buf.size()) {
            SigInfo info = take(t, m);
            if (info == null)
                break;
            buf.put((long) n * RECORD, record(info));
            n++;
        }
        update();
        if (n > 0)
            return (long) n * RECORD;
        return nonblock ? -Errno.EAGAIN : files.waitFor(t, m);
    }

    private static SigInfo take(Thread t, long m) {
        SigInfo info = t.takePending(m);
        if (info != null)
            return info;
        for (Thread other : t.process().threads())
            if (other != t && other.alive() && (info = other.takePending(m)) != null)
                return info;
        return null;
    }

    /** struct signalfd_siginfo for a signal, with the fields its siginfo layout has (signalfd_copyinfo). */
    static byte[] record(SigInfo si) {
        ByteBuffer b = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, si.signo()).putInt(4, si.errno()).putInt(8, si.code());
        if (si.isFault()) {
            b.putLong(72, si.addr());
        } else if (si.poll()) {
            b.putInt(20, si.pid()).putInt(28, (int) si.addr()); // ssi_fd, ssi_band
        } else if (si.code() == SI_TIMER) {
            b.putInt(24, si.pid()).putInt(32, si.uid()); // the timer id and its overruns
            b.putLong(48, si.addr()).putInt(44, (int) si.addr());
        } else if (si.signo() == SIGCHLD && si.code() > SI_USER && si.code() < SI_KERNEL) {
            b.putInt(12, si.pid()).putInt(16, si.uid()).putInt(40, si.status());
        } else {
            b.putInt(12, si.pid()).putInt(16, si.uid());
            if (si.code() < 0) // queued with a value (sigqueue, message queues), tkill
                b.putLong(48, si.addr()).putInt(44, (int) si.addr());
        }
        return b.array();
    }

    @Override
    public String kind() {
        return "signalfd";
    }
}
