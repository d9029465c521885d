package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongUnaryOperator;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Mman;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.Backing;
import jmck.lwk.proc.Thread;

/**
 * Linux's native AIO (io_setup, io_submit, io_getevents, io_pgetevents, io_cancel, io_destroy). The
 * context is the LWK's: its completion ring ({@link AioRing}) lives in the process's memory, where libaio
 * reads it. Each request runs at io_submit, one after the other, as the delegated preadv2, pwritev2,
 * fsync or fdatasync it amounts to (the files are the host's), and its completion goes into the ring; so
 * io_cancel never finds one in flight. A request that cannot start (a bad fd, a file not open for it, bad
 * flags) fails io_submit, as on Linux; the I/O's own errors (EAGAIN for RWF_NOWAIT, EIO) are the event's
 * result. Not done: IOCB_CMD_POLL and IOCB_FLAG_RESFD (EINVAL).
 */
final class AioSyscalls implements SyscallDispatcher.Handler {
    private static final int IOCB_SIZE = 64, CMD_PREAD = 0, CMD_PWRITE = 1, CMD_FSYNC = 2, CMD_FDSYNC = 3,
            CMD_PREADV = 7, CMD_PWRITEV = 8;
    private final SyscallContext kernel;
    /** Each address space's contexts by id (the ring's address); a forked child has none, as on Linux. */
    private final Map<AddressSpace, Map<Long, AioRing>> contexts = new WeakHashMap<>();
    /** Threads in io_getevents, by the ring they wait on; an event or io_destroy runs their call again. */
    private final Map<AioRing, List<Thread>> waiters = new HashMap<>();
    /** The deadline (System.nanoTime) of each thread's io_getevents, kept while the call restarts. */
    private final Map<Thread, Long> deadlines = new HashMap<>();
    private long requested; // over every context of the instance, against aio-max-nr
    private int nextId;

    AioSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.IO_SETUP, Syscall.IO_DESTROY, Syscall.IO_SUBMIT, Syscall.IO_GETEVENTS,
                Syscall.IO_PGETEVENTS, Syscall.IO_CANCEL);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case IO_SETUP -> setup(t, a[0] & 0xffffffffL, a[1]);
            case IO_DESTROY -> destroy(t, a[0]);
            case IO_SUBMIT -> submit(t, a[0], a[1], a[2]);
            case IO_GETEVENTS -> getevents(t, a[0], a[1], a[2], a[3], a[4], 0);
            case IO_PGETEVENTS -> getevents(t, a[0], a[1], a[2], a[3], a[4], a[5]);
            case IO_CANCEL -> cancel(t, a[0], a[1]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /** /proc/sys/fs/aio-max-nr of the host (the guest reads the host's), else Linux's default. */
    private static long aioMaxNr() {
        try {
            return Long.parseLong(java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/sys/fs/aio-max-nr"))
                    .get(0).trim());
        } catch (java.io.IOException | RuntimeException e) {
            return 65536;
        }
    }

    private synchronized AioRing lookup(AddressSpace mm, long id) {
        Map<Long, AioRing> m = contexts.get(mm);
        return m == null ? null : m.get(id);
    }

    /** io_setup(nr_events, ctxp): a new context whose id goes to *ctxp, which must hold 0. */
    private long setup(Thread t, long nrEvents, long ctxp) {
        AddressSpace mm = t.process().mm();
        if (mm.readLong(ctxp) != 0 || nrEvents == 0)
            return -Errno.EINVAL;
        long nr = AioRing.events(nrEvents, kernel.coreCount());
        if (nr < 0)
            return nr;
        long max = aioMaxNr();
        if (nrEvents > max)
            return -Errno.EAGAIN;
        long size = (AioRing.HEADER + nr * AioRing.EVENT + 4095) & -4096L;
        AioRing ring;
        synchronized (this) {
            if (requested + nrEvents > max)
                return -Errno.EAGAIN;
            long addr = mm.mmap(0, size, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS,
                    Backing.ANONYMOUS, 0);
            if (addr < 0 && addr > -4096)
                return addr;
            mm.map(addr, addr + size, Mman.PROT_READ | Mman.PROT_WRITE, false, false, Backing.ANONYMOUS, 0, "[aio]");
            ring = AioRing.create(mm, addr, size, (int) nr, nextId++, nrEvents);
            contexts.computeIfAbsent(mm, k -> new HashMap<>()).put(addr, ring);
            requested += nrEvents;
        }
        try {
            mm.writeLong(ctxp, ring.address);
        } catch (RuntimeException e) {
            destroy(t, ring.address);
            throw e;
        }
        return 0;
    }

    /** io_destroy(ctx): the ring goes; threads waiting on it return EINVAL. */
    private long destroy(Thread t, long id) {
        AddressSpace mm = t.process().mm();
        AioRing ring;
        List<Thread> woken;
        synchronized (this) {
            ring = lookup(mm, id);
            if (ring == null)
                return -Errno.EINVAL;
            contexts.get(mm).remove(id);
            requested -= ring.maxRequests;
            woken = waiters.remove(ring);
        }
        mm.munmap(ring.address, ring.size);
        if (woken != null)
            for (Thread w : woken)
                kernel.scheduler().wakeToRestart(w, w.waitSeq());
        return 0;
    }

    /** io_submit(ctx, nr, iocbpp): runs the requests in order; how many started, else the first one's error. */
    private long submit(Thread t, long id, long nr, long iocbpp) {
        if (nr < 0)
            return -Errno.EINVAL;
        AioRing ring = lookup(t.process().mm(), id);
        if (ring == null)
            return -Errno.EINVAL;
        return submitFrom(t, ring, iocbpp, Math.min(nr, ring.nr), 0);
    }

    /** Runs request i and then the rest, each once the one before it has completed (it may wait for the host). */
    private long submitFrom(Thread t, AioRing ring, long iocbpp, long nr, long i) {
        if (i == nr)
            return i;
        AddressSpace mm = t.process().mm();
        long iocb;
        ByteBuffer b;
        try {
            iocb = mm.readLong(iocbpp + 8 * i);
            b = ByteBuffer.wrap(mm.copyIn(iocb, IOCB_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (jmck.lwk.mm.BadAddressException e) {
            return i > 0 ? i : -Errno.EFAULT;
        }
        long[] call = new long[6];
        Syscall op = prepare(b, iocb, call);
        long bad = op == null ? -Errno.EINVAL : !ring.hasRoom(mm) ? -Errno.EAGAIN : 0;
        if (bad == 0) {
            try {
                mm.writeInt(iocb + 8, 0); // aio_key: KIOCB_KEY
            } catch (jmck.lwk.mm.BadAddressException e) {
                bad = -Errno.EFAULT;
            }
        }
        if (bad != 0)
            return i > 0 ? i : bad;
        long data = b.getLong(0);
        LongUnaryOperator done = r -> {
            if (r == -Errno.EBADF || r == -Errno.EINVAL || r == -Errno.EOPNOTSUPP)
                return i > 0 ? i : r; // it could not start: io_submit's error, as Linux's checks before the I/O
            ring.complete(mm, data, iocb, r);
            wakeWaiters(ring);
            return submitFrom(t, ring, iocbpp, nr, i + 1);
        };
        return kernel.syscalls().forwarder().forwardThen(t, op, call, r -> r != -Errno.ESPIPE ? done.applyAsLong(r)
                : kernel.syscalls().forwarder().forwardThen(t, op, streamCall(call), done)); // a pipe: no offset
    }

    /** The delegated call an iocb amounts to, its arguments in call; null for one this LWK does not run. */
    private static Syscall prepare(ByteBuffer b, long iocb, long[] call) {
        int rwFlags = b.getInt(12), opcode = b.getShort(16) & 0xffff, fd = b.getInt(20);
        long buf = b.getLong(24), nbytes = b.getLong(32), offset = b.getLong(40), reserved = b.getLong(48);
        int flags = b.getInt(56);
        if (reserved != 0 || nbytes < 0 || flags != 0) // IOCB_FLAG_RESFD, IOCB_FLAG_IOPRIO: not here
            return null;
        call[0] = fd;
        switch (opcode) {
            case CMD_PREAD, CMD_PWRITE, CMD_PREADV, CMD_PWRITEV -> {
                boolean one = opcode == CMD_PREAD || opcode == CMD_PWRITE;
                call[1] = one ? iocb + 24 : buf; // aio_buf and aio_nbytes are laid out as one struct iovec
                call[2] = one ? 1 : nbytes;
                call[3] = offset;
                call[5] = rwFlags & 0xffffffffL;
                return opcode == CMD_PREAD || opcode == CMD_PREADV ? Syscall.PREADV2 : Syscall.PWRITEV2;
            }
            case CMD_FSYNC, CMD_FDSYNC -> {
                if (buf != 0 || offset != 0 || nbytes != 0 || rwFlags != 0)
                    return null;
                return opcode == CMD_FSYNC ? Syscall.FSYNC : Syscall.FDATASYNC;
            }
            default -> {
                return null;
            }
        }
    }

    /** The same transfer at the file's position: a pipe or socket has no offset, which Linux's AIO ignores there. */
    private static long[] streamCall(long[] call) {
        long[] c = call.clone();
        c[3] = -1;
        return c;
    }

    private void wakeWaiters(AioRing ring) {
        List<Thread> woken;
        synchronized (this) {
            woken = waiters.remove(ring);
        }
        if (woken != null)
            for (Thread w : woken)
                kernel.scheduler().wakeToRestart(w, w.waitSeq());
    }

    /**
     * io_getevents and io_pgetevents(ctx, min_nr, nr, events, timeout, usig): at least min_nr events, at most
     * nr, waiting up to the (relative) timeout for min_nr; a signal ends the wait with EINTR, unless events came.
     */
    private long getevents(Thread t, long id, long minNr, long nr, long events, long timeout, long usig) {
        AddressSpace mm = t.process().mm();
        long wait = -1;
        if (timeout != 0) {
            ByteBuffer b = ByteBuffer.wrap(mm.copyIn(timeout, 16)).order(ByteOrder.LITTLE_ENDIAN);
            wait = Math.max(0, Math.min(b.getLong(0), Long.MAX_VALUE / 4_000_000_000L) * 1_000_000_000L + b.getLong(8));
        }
        Long mask = null; // io_pgetevents' signal mask while it waits
        if (usig != 0) { // struct { const sigset_t *sigmask; size_t sigsetsize; }
            long set = mm.readLong(usig), size = mm.readLong(usig + 8);
            if (set != 0) {
                if (size != 8)
                    return -Errno.EINVAL;
                mask = jmck.lwk.signal.Signals.sanitizeMask(mm.readLong(set));
            }
        }
        AioRing ring = lookup(mm, id);
        if (ring == null || minNr < 0 || minNr > nr) {
            synchronized (this) {
                deadlines.remove(t);
            }
            return -Errno.EINVAL;
        }
        long deadline;
        synchronized (this) {
            Long d = deadlines.remove(t); // a restart after an event keeps the first call's deadline
            deadline = d != null ? d : wait < 0 ? -1 : System.nanoTime() + wait;
            if (ring.available(mm) < minNr && (deadline < 0 || deadline > System.nanoTime())) {
                deadlines.put(t, deadline);
                waiters.computeIfAbsent(ring, k -> new java.util.ArrayList<>()).add(t);
                if (mask != null) { // back on the way out, or in a handler's frame (WaitMasks)
                    t.saveMask(t.blockedMask());
                    t.setBlockedMask(mask);
                }
                long seq = kernel.scheduler().block(t, "io_getevents", Thread.Interrupt.EINTR, () -> forget(t, ring));
                if (deadline >= 0)
                    kernel.timers().add(deadline, () -> {
                        synchronized (this) {
                            List<Thread> w = waiters.get(ring);
                            if (t.waitSeq() != seq || w == null || !w.remove(t))
                                return; // that wait is over
                            deadlines.put(t, 0L); // the restarted call takes what there is
                        }
                        kernel.scheduler().wakeToRestart(t, seq);
                    });
                return SyscallDispatcher.NO_RETURN;
            }
        }
        return ring.take(mm, events, nr);
    }

    /**
     * A wait in io_getevents ended: off the ring's list; its deadline goes too unless the call runs again
     * (an event came, or the deadline: the restarted call needs it).
     */
    private synchronized void forget(Thread t, AioRing ring) {
        List<Thread> w = waiters.get(ring);
        if (w != null)
            w.remove(t);
        if (t.interrupted() != Thread.Interrupt.RESTART)
            deadlines.remove(t);
    }

    /** io_cancel(ctx, iocb, result): every request completed at io_submit, so none can be cancelled. */
    private long cancel(Thread t, long id, long iocb) {
        AddressSpace mm = t.process().mm();
        if (mm.readInt(iocb + 8) != 0) // aio_key
            return -Errno.EINVAL;
        lookup(mm, id); // no such context, or no such request in it: EINVAL either way
        return -Errno.EINVAL;
    }
}
