package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;

/**
 * An AIO context's completion ring, in the process's own memory as Linux's (fs/aio.c): a 32-byte header
 * {id, nr, head, tail, magic, compat_features, incompat_features, header_length} and then nr struct
 * io_event {data, obj, res, res2}. The context's id is the ring's address. The kernel writes events at
 * tail; the program takes them at head, by io_getevents or by reading the ring itself (libaio does when
 * it can), so head is read from the ring every time.
 */
final class AioRing {
    static final int HEADER = 32, EVENT = 32;
    private static final int MAGIC = 0xa10a10a1, COMPAT_FEATURES = 1;
    private static final int HEAD = 8, TAIL = 12;
    private static final long PAGE = 4096;

    final long address;
    final long size;
    /** Events the ring holds (one slot stays free, so head == tail means empty). */
    final int nr;
    /** What io_setup asked for, counted against aio-max-nr. */
    final long maxRequests;

    private AioRing(long address, long size, int nr, long maxRequests) {
        this.address = address;
        this.size = size;
        this.nr = nr;
        this.maxRequests = maxRequests;
    }

    /**
     * The ring size Linux's ioctx_alloc and aio_setup_ring give for nr_events requested events on a machine
     * of cores CPUs: max(nr, 4 per CPU) doubled, then as many as fill the pages. -EINVAL when too many.
     */
    static long events(long requested, int cores) {
        long n = Math.max(requested, 4L * cores) * 2 & 0xffffffffL; // unsigned int arithmetic
        if (n > 0x10000000L / EVENT)
            return -Errno.EINVAL;
        long pages = (HEADER + n * EVENT + PAGE - 1) / PAGE;
        return (pages * PAGE - HEADER) / EVENT;
    }

    /** Writes the header of a new ring of nr events mapped at address (size bytes). */
    static AioRing create(AddressSpace mm, long address, long size, int nr, int id, long maxRequests) {
        ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(id).putInt(nr).putInt(0).putInt(0).putInt(MAGIC).putInt(COMPAT_FEATURES).putInt(0).putInt(HEADER);
        mm.copyOut(address, b.array());
        return new AioRing(address, size, nr, maxRequests);
    }

    /** Whether another event fits (the program may not have taken the earlier ones). */
    boolean hasRoom(AddressSpace mm) {
        int head = Integer.remainderUnsigned(mm.readInt(address + HEAD), nr);
        int tail = mm.readInt(address + TAIL);
        return (tail + 1) % nr != head;
    }

    /** Appends the completion of the iocb at obj (its aio_data is data): res is its result or -errno. */
    void complete(AddressSpace mm, long data, long obj, long res) {
        int tail = mm.readInt(address + TAIL);
        ByteBuffer e = ByteBuffer.allocate(EVENT).order(ByteOrder.LITTLE_ENDIAN);
        e.putLong(data).putLong(obj).putLong(res).putLong(0);
        mm.copyOut(address + HEADER + (long) tail * EVENT, e.array());
        mm.writeInt(address + TAIL, (tail + 1) % nr);
    }

    /** Events waiting between head and tail. */
    int available(AddressSpace mm) {
        int head = Integer.remainderUnsigned(mm.readInt(address + HEAD), nr);
        int tail = mm.readInt(address + TAIL);
        return (tail - head + nr) % nr;
    }

    /**
     * Moves up to max events to the program's array at events and advances head past them (Linux's
     * aio_read_events_ring); returns how many. Throws BadAddressException if events cannot be written,
     * head then unchanged.
     */
    int take(AddressSpace mm, long events, long max) {
        int head = Integer.remainderUnsigned(mm.readInt(address + HEAD), nr);
        int n = (int) Math.min(max, available(mm));
        for (int i = 0; i < n; i++) {
            int slot = (head + i) % nr;
            mm.copyOut(events + (long) i * EVENT, mm.copyIn(address + HEADER + (long) slot * EVENT, EVENT));
        }
        mm.writeInt(address + HEAD, (head + n) % nr);
        return n;
    }
}
