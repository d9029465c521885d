package jmck.ihk.ikc;

/**
 * How the LWK core that posted a call on a channel waits for its answer, as the slot's awaited word (160)
 * tells the worker that answers it: the core spins for it (the worker does nothing more), sleeps on the
 * word (the worker wakes it there), or neither, its thread blocked (the worker rings the LWK's doorbell,
 * and the event loop's poll takes the answer).
 *
 * <p>Every answer used to ring the doorbell. In an instance daemon that woke the LWK's event loop, a thread
 * of its own, for nothing while the core spun for the answer: a third runnable thread per call beside the
 * spinning core and worker. Sleeping on the word lets the answer reach a core whose spin gave up in one
 * wake-up, where the doorbell took two more (the event loop, then the core it kicks).
 *
 * <p>Each change of the word and of the slot's state is sequentially consistent: the worker writes the
 * state, then reads the word; the core writes the word, then reads the state. One of them sees the other,
 * so an answer is never left without a ring while nobody waits for it.
 */
public final class AnswerWaits {
    /** Values of the awaited word. */
    static final int NONE = 0, SPIN = 1, SLEEP = 2;
    private final SharedWords w;

    AnswerWaits(SharedWords w) {
        this.w = w;
    }

    private static int word(int i) {
        return IkcChannel.slot(i) + IkcChannel.S_AWAITED;
    }

    /**
     * The worker has answered slot i (state RESPONSE written): wakes the core if it sleeps for the answer;
     * returns whether the LWK's doorbell must ring (nobody waits for it on a core).
     */
    boolean answered(int i) {
        int awaited = w.getInt(word(i));
        if (awaited == SLEEP && w.casInt(word(i), SLEEP, SPIN)) {
            w.futexWake(word(i), 1);
            return false;
        }
        return awaited == NONE || w.getInt(word(i)) == NONE;
    }

    /**
     * The core stopped waiting for slot i's answer (its thread blocks; the event loop's poll will take the
     * answer): the worker rings the doorbell from now on. The caller then looks at the slot's state.
     */
    public void stop(int i) {
        w.putInt(word(i), NONE);
    }

    /**
     * The core is about to sleep for slot i's answer ({@link #sleep}): from now on the answer, and
     * {@link #wake}, wake it. The caller looks at what else could end its wait after this, then sleeps.
     */
    public void markAsleep(int i) {
        w.putInt(word(i), SLEEP);
    }

    /**
     * Sleeps (after {@link #markAsleep}) until slot i has its answer, {@link #wake} is called, or nanos
     * pass; true if the answer is there. The caller then calls {@link #stop} and takes the answer, or
     * blocks its thread.
     */
    public boolean sleep(int i, long nanos) {
        int state = IkcChannel.slot(i) + IkcChannel.S_STATE;
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; w.getInt(state) != IkcChannel.RESPONSE; left = deadline - System.nanoTime()) {
            if (left <= 0 || w.getInt(word(i)) != SLEEP)
                return false;
            w.futexWait(word(i), SLEEP, left);
        }
        return true;
    }

    /** Ends the core's sleep for slot i's answer (the core was kicked: it has other work). */
    public void wake(int i) {
        if (w.casInt(word(i), SLEEP, SPIN))
            w.futexWake(word(i), 1);
    }
}
