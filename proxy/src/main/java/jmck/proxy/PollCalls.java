package jmck.proxy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;

/**
 * Waiting for fds: poll, ppoll, select and pselect6, all as one host ppoll over translated fds (Linux's
 * fs/select.c does the same: select is poll over the fd sets). Timeouts are read before anything else and
 * what is left of them is written back (ppoll, select, pselect6), as Linux does. The signal masks of ppoll
 * and pselect6 are the LWK's business (jmck.lwk.syscall.WaitMasks): it has the call interrupted (EINTR)
 * when a signal comes that the mask lets through (jmck.ihk.HostCallInterrupts).
 */
final class PollCalls {
    private static final int SYS_PPOLL = 271;
    private static final short POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10,
            POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200;
    /** What makes select report an fd readable, writable, or exceptional (fs/select.c). */
    private static final int IN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR,
            OUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR, EX_SET = POLLPRI;
    private static final long NANOS = 1_000_000_000L;
    private final FdTable fds;
    private final GuestBuffers mem;

    PollCalls(FdTable fds, GuestBuffers mem) {
        this.fds = fds;
        this.mem = mem;
    }

    /** poll: a negative timeout waits for ever. */
    long poll(long guestFds, long nfds, long millis) {
        return poll(guestFds, nfds, millis < 0 ? -1 : millis * 1_000_000L, 0);
    }

    /** ppoll: the timeout and the mask are read first; the time left goes back into the timeout. */
    long ppoll(long guestFds, long nfds, long guestTimeout, long mask, long maskSize) {
        long timeout = timespec(guestTimeout);
        if (timeout == -Errno.EFAULT || timeout == -Errno.EINVAL)
            return timeout;
        if (mask != 0 && maskSize != 8)
            return -Errno.EINVAL;
        if (mask != 0 && mem.readGuest(mask, 8) == null)
            return -Errno.EFAULT;
        return poll(guestFds, nfds, timeout, guestTimeout);
    }

    /** The nanoseconds of a guest timespec, -1 for a null pointer (no timeout), or -EFAULT / -EINVAL. */
    private long timespec(long va) {
        if (va == 0)
            return -1;
        byte[] b = mem.readGuest(va, 16);
        if (b == null)
            return -Errno.EFAULT;
        ByteBuffer t = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long sec = t.getLong(0), nsec = t.getLong(8);
        if (sec < 0 || nsec < 0 || nsec >= NANOS)
            return -Errno.EINVAL;
        return sec >= Long.MAX_VALUE / NANOS ? Long.MAX_VALUE / 2 : sec * NANOS + nsec;
    }

    /**
     * poll and ppoll over translated fds (timeout in nanoseconds, -1 for ever; timespecVa, if not 0, gets
     * the time left); a guest fd that is not open reports POLLNVAL, as Linux does, and makes the poll
     * return at once. As in Linux the whole array is read before the poll and each revents written after
     * it: an array the guest may read but not write is polled, then fails with EFAULT.
     */
    private long poll(long guestFds, long nfds, long timeout, long timespecVa) {
        nfds &= 0xffffffffL; // an unsigned int
        if (nfds > fds.limit())
            return -Errno.EINVAL;
        if (nfds > Integer.MAX_VALUE / 8)
            return -Errno.ENOMEM; // more than the proxy reads at once (under a limit raised that far)
        byte[] in = mem.readGuest(guestFds, (int) (8 * nfds));
        if (in == null)
            return -Errno.EFAULT;
        ByteBuffer g = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        HostBuffer p = mem.arena.allocate(Math.max(8, 8 * nfds));
        int invalid = 0;
        for (int i = 0; i < nfds; i++) {
            int fd = g.getInt(8 * i);
            int h = fd < 0 ? -1 : fds.host(fd);
            if (fd >= 0 && h < 0)
                invalid++;
            p.setInt(8L * i, h);
            p.setShort(8L * i + 4, g.getShort(8 * i + 4));
            p.setShort(8L * i + 6, (short) 0);
        }
        long r = hostPoll(p, nfds, invalid > 0 ? 0 : timeout, timespecVa);
        if (r < 0)
            return r;
        for (int i = 0; i < nfds; i++) {
            int fd = g.getInt(8 * i);
            short revents = fd >= 0 && fds.host(fd) < 0 ? POLLNVAL : p.getShort(8L * i + 6);
            if (!mem.writeGuest(guestFds + 8L * i + 6, new byte[] {(byte) revents, (byte) (revents >> 8)}))
                return -Errno.EFAULT;
        }
        return r + invalid;
    }

    /** The host ppoll over host pollfds, then the time left written to the guest's timespec (if any). */
    private long hostPoll(HostBuffer pollfds, long n, long timeout, long timespecVa) {
        long ts = 0;
        if (timeout >= 0) {
            HostBuffer t = mem.arena.allocate(16);
            t.setLong(0, timeout / NANOS);
            t.setLong(8, timeout % NANOS);
            ts = t.address();
        }
        long start = System.nanoTime();
        long r = HostSyscall.call(SYS_PPOLL, pollfds.address(), n, ts, 0, 8, 0);
        if (timespecVa != 0 && timeout >= 0 && r >= 0)
            putTimespec(timespecVa, Math.max(0, timeout - (System.nanoTime() - start)), false);
        return r;
    }

    /** Writes time left to a guest timespec (or timeval if micro); a guest that made it read-only is not told. */
    private void putTimespec(long va, long nanos, boolean micro) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(nanos / NANOS).putLong(micro ? nanos % NANOS / 1000 : nanos % NANOS);
        mem.writeGuest(va, b.array());
    }

    /** select: the timeout is a timeval, and the time left goes back into it. */
    long select(int nfds, long readSet, long writeSet, long exceptSet, long timeval) {
        long timeout = -1;
        if (timeval != 0) {
            byte[] b = mem.readGuest(timeval, 16);
            if (b == null)
                return -Errno.EFAULT;
            ByteBuffer t = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long sec = t.getLong(0), usec = t.getLong(8);
            if (sec < 0 || usec < 0 || usec >= 1_000_000)
                return -Errno.EINVAL;
            timeout = sec >= Long.MAX_VALUE / NANOS ? Long.MAX_VALUE / 2 : sec * NANOS + usec * 1000;
        }
        long r = sets(nfds, readSet, writeSet, exceptSet, timeout);
        if (timeval != 0 && r >= 0)
            putTimespec(timeval, remaining, true);
        return r;
    }

    /** pselect6: its sixth argument points at {sigset pointer, sigset size}; the timeout is a timespec. */
    long pselect6(int nfds, long readSet, long writeSet, long exceptSet, long timespecVa, long maskArg) {
        long timeout = timespec(timespecVa);
        if (timeout == -Errno.EFAULT || timeout == -Errno.EINVAL)
            return timeout;
        if (maskArg != 0) {
            byte[] b = mem.readGuest(maskArg, 16);
            if (b == null)
                return -Errno.EFAULT;
            ByteBuffer m = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long set = m.getLong(0), size = m.getLong(8);
            if (set != 0 && size != 8)
                return -Errno.EINVAL;
            if (set != 0 && mem.readGuest(set, 8) == null)
                return -Errno.EFAULT;
        }
        long r = sets(nfds, readSet, writeSet, exceptSet, timeout);
        if (timespecVa != 0 && r >= 0)
            putTimespec(timespecVa, remaining, false);
        return r;
    }

    /** The time left of the last select-family wait. */
    private long remaining;

    /**
     * select over fd sets of nfds bits: every fd in a set must be open (else EBADF); each becomes a pollfd;
     * afterwards each set keeps only the fds that are ready for it, and the result is how many bits are set.
     */
    private long sets(int nfds, long readSet, long writeSet, long exceptSet, long timeout) {
        if (nfds < 0)
            return -Errno.EINVAL;
        int maxFds = 64; // Linux looks no further than its fd table's size: 64, then powers of two
        while (maxFds <= fds.highest())
            maxFds *= 2;
        nfds = Math.min(nfds, maxFds);
        int words = (nfds + 63) / 64;
        long[][] in = new long[3][];
        long[] sets = {readSet, writeSet, exceptSet};
        for (int s = 0; s < 3; s++) {
            in[s] = new long[words];
            if (sets[s] == 0 || words == 0)
                continue;
            byte[] b = mem.readGuest(sets[s], 8 * words);
            if (b == null)
                return -Errno.EFAULT;
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            for (int w = 0; w < words; w++)
                in[s][w] = bb.getLong(8 * w);
        }
        int[] wanted = new int[nfds];
        int n = 0;
        for (int fd = 0; fd < nfds; fd++) {
            long bit = 1L << (fd & 63);
            int events = ((in[0][fd >> 6] & bit) != 0 ? POLLIN | POLLRDNORM | POLLRDBAND : 0)
                    | ((in[1][fd >> 6] & bit) != 0 ? POLLOUT | POLLWRNORM | POLLWRBAND : 0)
                    | ((in[2][fd >> 6] & bit) != 0 ? POLLPRI : 0);
            if (events == 0)
                continue;
            if (fds.host(fd) < 0)
                return -Errno.EBADF;
            wanted[fd] = events;
            n++;
        }
        HostBuffer p = mem.arena.allocate(Math.max(8, 8L * n));
        int i = 0;
        for (int fd = 0; fd < nfds; fd++)
            if (wanted[fd] != 0) {
                p.setInt(8L * i, fds.host(fd));
                p.setShort(8L * i + 4, (short) wanted[fd]);
                p.setShort(8L * i + 6, (short) 0);
                i++;
            }
        long start = System.nanoTime();
        long r = hostPoll(p, n, timeout, 0);
        remaining = timeout < 0 ? 0 : Math.max(0, timeout - (System.nanoTime() - start));
        if (r < 0)
            return r;
        long[][] out = new long[3][words];
        long count = 0;
        i = 0;
        for (int fd = 0; fd < nfds; fd++) {
            if (wanted[fd] == 0)
                continue;
            int revents = p.getShort(8L * i + 6) & 0xffff;
            i++;
            long bit = 1L << (fd & 63);
            int[] masks = {IN_SET, OUT_SET, EX_SET};
            for (int s = 0; s < 3; s++)
                if ((in[s][fd >> 6] & bit) != 0 && (revents & masks[s]) != 0) {
                    out[s][fd >> 6] |= bit;
                    count++;
                }
        }
        for (int s = 0; s < 3; s++) {
            if (sets[s] == 0 || words == 0)
                continue;
            ByteBuffer bb = ByteBuffer.allocate(8 * words).order(ByteOrder.LITTLE_ENDIAN);
            for (long w : out[s])
                bb.putLong(w);
            if (!mem.writeGuest(sets[s], bb.array()))
                return -Errno.EFAULT;
        }
        return count;
    }
}
