package jmck.ihk.ikc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Signals the host raised for a guest's file, on their way from the proxy to the LWK: an fd's owner gets
 * SIGIO (or its F_SETSIG signal) when the file is ready (O_ASYNC), a watched directory changes (F_NOTIFY)
 * or a lease is broken (F_SETLEASE). The host sends them to the proxy, which holds every guest file; the
 * proxy posts them here and rings the LWK's doorbell, and the LWK sends them to the guest owner. One per
 * instance, in a file every mcexec of the instance maps (docs/ikc.md, "Signals for an fd's owner").
 *
 * <p>Layout (little-endian): 0 magic "JMCKSIG1", 8 posts so far (the LWK looks at the entries only when it
 * moved), 12 the last post's sequence number; entry i at 64 + 32 * i: 0 state (0 free, 1 filling, or
 * 2 | seq << 2 posted: seq orders the entries the LWK takes at once), 4 the guest's signal (0: plain SIGIO),
 * 8 si_code (POLL_IN...), 12 si_fd (a guest fd), 16 si_band, 24 the owner's type (F_OWNER_TID,
 * F_OWNER_PID, F_OWNER_PGRP), 28 the owner (a tid, pid or process group). A poster claims a free entry by
 * compare-and-set, so proxies of several processes may post at once.
 */
public final class SignalQueue {
    /** What the guest gets: signal (0: SIGIO without details), code, fd, band, for the owner. */
    public record Posted(int signal, int code, int fd, long band, int ownerType, int owner) {}

    private static final long MAGIC = 0x314749534b434d4aL; // "JMCKSIG1"
    private static final int POSTS = 8, SEQUENCE = 12, HEADER = 64, ENTRY = 32, ENTRIES = 126, SIZE = HEADER + ENTRY * ENTRIES;
    private static final int FREE = 0, FILLING = 1, POSTED = 2;
    private static final int E_STATE = 0, E_SIGNAL = 4, E_CODE = 8, E_FD = 12, E_BAND = 16, E_TYPE = 24, E_OWNER = 28;
    /** A posted entry's state word holds POSTED | seq << SEQ. */
    private static final int SEQ = 2;

    private final SharedWords w;
    /** The posts count the LWK last acted on. */
    private int seen;

    private SignalQueue(SharedWords w) {
        this.w = w;
    }

    /** Creates the queue's file (the LWK). */
    public static SignalQueue create(Path file) {
        SharedWords w = SharedWords.map(file, SIZE, true);
        w.putLong(0, MAGIC);
        return new SignalQueue(w);
    }

    /** Maps an existing queue (a proxy). */
    public static SignalQueue open(Path file) {
        SharedWords w = SharedWords.map(file, 0, false);
        if (w.size() < SIZE || w.getLong(0) != MAGIC)
            throw new jmck.emulator.JmckException(file + " is not a signal queue of this jmck");
        return new SignalQueue(w);
    }

    private static int entry(int i) {
        return HEADER + ENTRY * i;
    }

    /**
     * Posts a signal for the LWK and rings its doorbell; false if the queue is full (the signal is lost,
     * as Linux loses a real-time signal past the queue's limit).
     */
    public boolean post(Posted p, Doorbell lwk) {
        for (int i = 0; i < ENTRIES; i++) {
            int e = entry(i);
            if (w.getInt(e + E_STATE) != FREE || !w.casInt(e + E_STATE, FREE, FILLING))
                continue;
            w.putIntRelease(e + E_SIGNAL, p.signal());
            w.putIntRelease(e + E_CODE, p.code());
            w.putIntRelease(e + E_FD, p.fd());
            w.putLongRelease(e + E_BAND, p.band());
            w.putIntRelease(e + E_TYPE, p.ownerType());
            w.putIntRelease(e + E_OWNER, p.owner());
            int seq = w.addInt(SEQUENCE, 1) & 0x1fffffff;
            w.putInt(e + E_STATE, POSTED | seq << SEQ);
            w.addInt(POSTS, 1);
            lwk.ring();
            return true;
        }
        return false;
    }

    /** Whether a post came since the last {@link #take}: one shared read, for the LWK's hot paths. */
    public boolean anyNew() {
        return w.getInt(POSTS) != seen;
    }

    /** Takes what was posted (the LWK), oldest first; empty if nothing was. */
    public synchronized List<Posted> take() {
        int posts = w.getInt(POSTS);
        if (posts == seen)
            return List.of();
        seen = posts; // read before the entries: a post after this moves it again
        List<long[]> order = new ArrayList<>();
        List<Posted> taken = new ArrayList<>();
        for (int i = 0; i < ENTRIES; i++) {
            int e = entry(i), state = w.getInt(e + E_STATE);
            if ((state & 3) != POSTED)
                continue;
            order.add(new long[] {state >>> SEQ, taken.size()});
            taken.add(new Posted(w.getInt(e + E_SIGNAL), w.getInt(e + E_CODE), w.getInt(e + E_FD), w.getLong(e + E_BAND),
                    w.getInt(e + E_TYPE), w.getInt(e + E_OWNER)));
            w.putInt(e + E_STATE, FREE);
        }
        order.sort(Comparator.comparingLong(o -> o[0]));
        List<Posted> sorted = new ArrayList<>(taken.size());
        for (long[] o : order)
            sorted.add(taken.get((int) o[1]));
        return sorted;
    }

    public Path file() {
        return w.file();
    }

    /** Unmaps the queue; nothing may use it afterwards. */
    public void close() {
        w.unmap();
    }
}
