package jmck.lwk.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.UserfaultPages;
import jmck.lwk.mm.UserfaultRange;
import jmck.lwk.proc.Thread;

/**
 * The ioctls of a userfaultfd (Linux's userfaultfd_ioctl): the UFFDIO_API handshake, registering memory,
 * and the answers to faults, each of which fills or changes pages ({@link UserfaultPages}) and then ends
 * the waits of the faults in its range unless its DONTWAKE mode says not to. The structures are Linux's
 * (include/uapi/linux/userfaultfd.h); a result field is written back as Linux does.
 */
final class UserfaultIoctls {
    static final long UFFD_API = 0xaa;
    private static final int API = 0x3f, REGISTER = 0x00, UNREGISTER = 0x01, WAKE = 0x02, COPY = 0x03,
            ZEROPAGE = 0x04, MOVE = 0x05, WRITEPROTECT = 0x06, CONTINUE = 0x07, POISON = 0x08;
    /**
     * The features offered: PAGEFAULT_FLAG_WP, SIGBUS, THREAD_ID, MINOR_SHMEM, EXACT_ADDRESS, POISON, MOVE.
     * Not the events of fork, mremap, munmap and madvise, nor hugetlbfs.
     */
    static final long FEATURES = 1 | 1 << 7 | 1 << 8 | 1 << 10 | 1 << 11 | 1 << 14 | 1 << 16;
    private static final long API_IOCTLS = 1L << REGISTER | 1L << UNREGISTER | 1L << API;
    private static final long RANGE_IOCTLS = 1L << WAKE | 1L << COPY | 1L << ZEROPAGE | 1L << MOVE
            | 1L << WRITEPROTECT | 1L << CONTINUE | 1L << POISON;
    private static final long PAGE = 4096;

    private UserfaultIoctls() {}

    static long call(UserfaultFile f, Thread t, long cmd, long arg) {
        int c = (int) cmd;
        if ((c >>> 8 & 0xff) != 0xaa)
            return -Errno.ENOTTY;
        int nr = c & 0xff, size = c >>> 16 & 0x3fff;
        if (nr == API && size == 24)
            return api(f, t, arg);
        if (!f.ready())
            return -Errno.EINVAL;
        AddressSpace caller = t.process().mm();
        long[] s = switch (nr) {
            case REGISTER, ZEROPAGE, CONTINUE, POISON -> read(caller, arg, 3);
            case UNREGISTER, WAKE -> read(caller, arg, 2);
            case COPY, MOVE -> read(caller, arg, 4);
            case WRITEPROTECT -> read(caller, arg, 3);
            default -> null;
        };
        if (s == null)
            return -Errno.EINVAL;
        switch (nr) {
            case REGISTER:
                return register(f, caller, arg, s[0], s[1], s[2]);
            case UNREGISTER: {
                long e = checkRange(s[0], s[1]);
                if (e < 0)
                    return e;
                e = UserfaultPages.unregister(f.mm, s[0], s[0] + s[1], f);
                if (e == 0)
                    f.wake(s[0], s[0] + s[1]); // as Linux: they fault again, now as ordinary faults
                return e;
            }
            case WAKE: {
                long e = checkRange(s[0], s[1]);
                if (e == 0)
                    f.wake(s[0], s[0] + s[1]);
                return e;
            }
            case COPY: // dst, src, len, mode; copy at 32
                return answer(f, caller, arg + 32, s[0], s[2], s[3], 1 | 2, 1,
                        () -> UserfaultPages.copy(f.mm, f, s[0], s[1], s[2], (s[3] & 2) != 0), s[1]);
            case MOVE: // dst, src, len, mode; move at 32
                return answer(f, caller, arg + 32, s[0], s[2], s[3], 1 | 2, 1,
                        () -> UserfaultPages.move(f.mm, f, s[0], s[1], s[2], (s[3] & 2) != 0), s[1]);
            case ZEROPAGE: // range, mode; zeropage at 24
                return answer(f, caller, arg + 24, s[0], s[1], s[2], 1, 1,
                        () -> UserfaultPages.zero(f.mm, f, s[0], s[1]), 0);
            case CONTINUE: // range, mode; mapped at 24
                return answer(f, caller, arg + 24, s[0], s[1], s[2], 1 | 2, 1,
                        () -> UserfaultPages.continueMinor(f.mm, f, s[0], s[1]), 0);
            case POISON: // range, mode; updated at 24
                return answer(f, caller, arg + 24, s[0], s[1], s[2], 1, 1,
                        () -> UserfaultPages.poison(f.mm, f, s[0], s[1]), 0);
            case WRITEPROTECT: { // range, mode (WP 1, DONTWAKE 2)
                long mode = s[2];
                long e = checkRange(s[0], s[1]);
                if (e == 0 && (mode & ~3L) != 0 || (mode & 3) == 3)
                    e = -Errno.EINVAL; // Linux: write-protecting needs no wake-up, so both is nonsense
                if (e == 0)
                    e = UserfaultPages.writeProtect(f.mm, f, s[0], s[1], (mode & 1) != 0);
                if (e == 0 && (mode & 3) == 0)
                    f.wake(s[0], s[0] + s[1]);
                return e;
            }
            default:
                return -Errno.EINVAL;
        }
    }

    /** UFFDIO_API: api must be UFFD_API and the features asked for ones offered; once per file. */
    private static long api(UserfaultFile f, Thread t, long arg) {
        AddressSpace mm = t.process().mm();
        long[] s = read(mm, arg, 2);
        if (s[0] != UFFD_API || (s[1] & ~FEATURES) != 0 || !f.start(s[1])) {
            mm.copyOut(arg, new byte[24]);
            return -Errno.EINVAL;
        }
        write(mm, arg, UFFD_API, FEATURES, API_IOCTLS);
        return 0;
    }

    /** UFFDIO_REGISTER: mode MISSING, WP, MINOR or a mix; the range's ioctls are written back at 24. */
    private static long register(UserfaultFile f, AddressSpace caller, long arg, long start, long len, long mode) {
        long e = checkRange(start, len);
        if (e < 0)
            return e;
        int all = UserfaultRange.MISSING | UserfaultRange.WP | UserfaultRange.MINOR;
        if (mode == 0 || (mode & ~all) != 0)
            return -Errno.EINVAL;
        e = UserfaultPages.register(f.mm, start, start + len, f.newRange((int) mode));
        if (e < 0)
            return e;
        long ioctls = RANGE_IOCTLS;
        if ((mode & UserfaultRange.WP) == 0)
            ioctls &= ~(1L << WRITEPROTECT);
        if ((mode & UserfaultRange.MINOR) == 0)
            ioctls &= ~(1L << CONTINUE);
        caller.writeLong(arg + 24, ioctls);
        return 0;
    }

    /**
     * An ioctl that fills pages [start, start+len): checks the range and the mode (modes: the bits it may
     * have; dontwake: the bit that leaves the waits), runs it, writes its result (bytes done or -errno) at
     * result, wakes the waits of the pages done, and returns 0, or -errno (EAGAIN when only part was done).
     */
    private static long answer(UserfaultFile f, AddressSpace caller, long result, long start, long len, long mode,
            long modes, long dontwake, java.util.function.LongSupplier op, long src) {
        long e = checkRange(start, len);
        if (e == 0 && src != 0 && ((src & (PAGE - 1)) != 0 || src + len < src || !X86.isUserAddress(src + len - 1)))
            e = -Errno.EINVAL;
        if (e == 0 && (mode & ~modes) != 0)
            e = -Errno.EINVAL;
        long done = e < 0 ? e : op.getAsLong();
        caller.writeLong(result, done);
        if (done > 0 && (mode & dontwake) == 0)
            f.wake(start, start + done);
        if (done < 0)
            return done;
        return done == len ? 0 : -Errno.EAGAIN;
    }

    /** A page-aligned, non-empty range of user addresses, or EINVAL. */
    private static long checkRange(long start, long len) {
        if ((start & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0 || len <= 0 || start + len < start
                || !X86.isUserAddress(start) || !X86.isUserAddress(start + len - 1))
            return -Errno.EINVAL;
        return 0;
    }

    private static long[] read(AddressSpace mm, long va, int n) {
        ByteBuffer b = ByteBuffer.wrap(mm.copyIn(va, 8 * n)).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[n];
        for (int i = 0; i < n; i++)
            out[i] = b.getLong(8 * i);
        return out;
    }

    private static void write(AddressSpace mm, long va, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values)
            b.putLong(v);
        mm.copyOut(va, b.array());
    }
}
