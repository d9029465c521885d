package jmck.lwk.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.UserfaultRange;
import jmck.lwk.proc.Scheduler;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.SyscallDispatcher;

/**
 * A userfaultfd (Linux's fs/userfaultfd.c): a local file through which a process answers the page faults of
 * the memory it registered. A thread faulting there waits ({@link #caught}, from the fault path) while a
 * message (struct uffd_msg, UFFD_EVENT_PAGEFAULT) is read from the file; another thread answers with an
 * ioctl that fills the page ({@link UserfaultIoctls}) and so ends the wait, and the faulting instruction
 * runs again. Its fds poll readable while an unread message waits. The memory side is
 * {@link jmck.lwk.mm.UserfaultPages}.
 *
 * <p>Thread safety: guarded by this object's lock, taken under the mm lock by the fault path; nothing is
 * woken under it.
 */
public final class UserfaultFile implements LocalFile {
    /** sizeof(struct uffd_msg). */
    public static final int MESSAGE = 32;
    private static final int UFFD_EVENT_PAGEFAULT = 0x12;
    static final long FEATURE_THREAD_ID = 1 << 8, FEATURE_EXACT_ADDRESS = 1 << 11, FEATURE_SIGBUS = 1 << 7;
    private static volatile boolean anyMade;

    /** A faulting thread's wait: its page, and the wait's number once it blocked (-1 before). */
    public final class Wait {
        final Thread thread;
        final long address, flags, rax;
        long seq = -1;
        boolean answered;

        Wait(Thread thread, long address, long flags, long rax) {
            this.thread = thread;
            this.address = address;
            this.flags = flags;
            this.rax = rax;
        }

        /** The thread now waits as wait number seq (it may have been answered already: it goes on at once). */
        public void blocked(long seq) {
            boolean now;
            synchronized (UserfaultFile.this) {
                this.seq = seq;
                now = answered;
            }
            if (now)
                resume(this);
            readiness();
        }
    }

    final ReadinessPipe pipe;
    private final Scheduler scheduler;
    /** The address space whose faults this file answers (its creator's: Linux's ctx->mm). */
    final AddressSpace mm;
    long id;
    /** guarded by this: UFFDIO_API done, and the features it enabled */
    private boolean ready;
    private long features;
    /** guarded by this: the faults waiting for an answer, and those of them not read yet */
    private final List<Wait> waits = new ArrayList<>();
    private final ArrayDeque<Wait> unread = new ArrayDeque<>();
    /** guarded by this: readers waiting for a message (thread, wait number) */
    private final List<long[]> readerSeqs = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    /** guarded by this: the registrations made through this file */
    private final List<UserfaultRange> ranges = new ArrayList<>();
    private boolean closed;

    private UserfaultFile(ReadinessPipe pipe, Scheduler scheduler, AddressSpace mm) {
        this.pipe = pipe;
        this.scheduler = scheduler;
        this.mm = mm;
    }

    /** A new userfaultfd of mm's faults, or null if the host has no fd to spare for its pipe. */
    public static UserfaultFile create(LocalFiles files, Scheduler scheduler, AddressSpace mm) {
        ReadinessPipe pipe = ReadinessPipe.create();
        if (pipe == null)
            return null;
        UserfaultFile f = new UserfaultFile(pipe, scheduler, mm);
        f.id = files.add(f, pipe);
        anyMade = true;
        return f;
    }

    /** Whether any userfaultfd was ever made: until then page faults need not look for one. */
    public static boolean anyMade() {
        return anyMade;
    }

    public long id() {
        return id;
    }

    // ---- the handshake (UFFDIO_API) and registrations ----

    /** UFFDIO_API: false if it was done already. */
    synchronized boolean start(long features) {
        if (ready)
            return false;
        ready = true;
        this.features = features;
        return true;
    }

    synchronized boolean ready() {
        return ready;
    }

    /** With UFFD_FEATURE_SIGBUS a fault raises SIGBUS instead of waiting. */
    public synchronized boolean sigbusInstead() {
        return (features & FEATURE_SIGBUS) != 0;
    }

    synchronized UserfaultRange newRange(int modes) {
        UserfaultRange r = new UserfaultRange(this, modes);
        ranges.add(r);
        return r;
    }

    // ---- faults ----

    /**
     * The fault path caught thread t's fault at address (with uffd_msg flags): a message for readers and a
     * wait, which the caller blocks the thread in ({@link Wait#blocked}). rax: the thread's rax, which it
     * gets back when the wait ends (the instruction runs again with its registers as they were). Called
     * under the mm lock, so an answer cannot come between the check and the wait.
     */
    public synchronized Wait caught(Thread t, long address, long flags, long rax) {
        Wait w = new Wait(t, address, flags, rax);
        if (closed) {
            w.answered = true;
            return w;
        }
        waits.add(w);
        unread.addLast(w);
        return w;
    }

    /** Ends the waits for pages in [start, end) (the ioctls that fill pages, UFFDIO_WAKE, unregistering). */
    void wake(long start, long end) {
        List<Wait> now = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Wait> it = waits.iterator(); it.hasNext(); ) {
                Wait w = it.next();
                if (w.address >= start && w.address < end || end == -1) {
                    it.remove();
                    unread.remove(w);
                    w.answered = true;
                    if (w.seq >= 0)
                        now.add(w);
                }
            }
        }
        for (Wait w : now)
            resume(w);
        readiness();
    }

    private void resume(Wait w) {
        scheduler.wakeIfWaiting(w.thread, w.seq, w.rax);
    }

    /** Readable exactly while a message waits to be read; readers waiting then read again. */
    private void readiness() {
        List<Thread> ts = new ArrayList<>();
        List<long[]> seqs = new ArrayList<>();
        boolean any;
        synchronized (this) {
            any = !unread.isEmpty();
            if (any) {
                ts.addAll(readers);
                seqs.addAll(readerSeqs);
                readers.clear();
                readerSeqs.clear();
            }
        }
        pipe.setReadable(any);
        for (int i = 0; i < ts.size(); i++)
            scheduler.wakeToRestart(ts.get(i), seqs.get(i)[0]);
    }

    // ---- the guest's calls ----

    /**
     * read: as many messages as fit (at least one must), oldest first; the faults stay waiting until
     * answered. With none it waits for one, or fails with EAGAIN under O_NONBLOCK.
     */
    @Override
    public long read(Thread t, GuestBuffer buf, boolean nonblock) {
        List<byte[]> out = new ArrayList<>();
        synchronized (this) {
            if (!ready)
                return -Errno.EINVAL;
            if (buf.size() < MESSAGE)
                return -Errno.EINVAL;
            while ((out.size() + 1) * (long) MESSAGE <= buf.size() && !unread.isEmpty())
                out.add(message(unread.pollFirst()));
            if (out.isEmpty() && !nonblock) {
                long seq = scheduler.block(t, "userfaultfd read", Thread.Interrupt.RESTART, null);
                readers.add(t);
                readerSeqs.add(new long[] {seq});
                return SyscallDispatcher.NO_RETURN;
            }
        }
        readiness();
        if (out.isEmpty())
            return -Errno.EAGAIN;
        for (int i = 0; i < out.size(); i++)
            buf.put((long) i * MESSAGE, out.get(i));
        return (long) out.size() * MESSAGE;
    }

    /** struct uffd_msg for a fault. Under this lock. */
    private byte[] message(Wait w) {
        ByteBuffer b = ByteBuffer.allocate(MESSAGE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) UFFD_EVENT_PAGEFAULT);
        b.putLong(8, w.flags);
        b.putLong(16, (features & FEATURE_EXACT_ADDRESS) != 0 ? w.address : w.address & -4096L);
        if ((features & FEATURE_THREAD_ID) != 0)
            b.putInt(24, w.thread.tid());
        return b.array();
    }

    @Override
    public long ioctl(Thread t, long cmd, long arg) {
        return UserfaultIoctls.call(this, t, cmd, arg);
    }

    /** No fd of it is left (Linux's userfaultfd_release): its registrations lapse and every fault goes on. */
    void released() {
        synchronized (this) {
            closed = true;
            for (UserfaultRange r : ranges)
                r.close();
        }
        wake(0, -1);
    }

    @Override
    public String kind() {
        return "userfaultfd";
    }
}
