package jmck.ihk.ikc;

import java.nio.file.Path;

/**
 * The LWK's doorbell: one shared word that anyone with work for the LWK (a proxy that posted a response,
 * a control thread with a new request) increments and wakes; the LWK's scheduler sleeps on it when idle.
 * One per instance, in a file every mcexec of the instance maps (IHK's IKC interrupt, in spirit).
 * A second word rings the other way, for the proxies: the LWK posted on a channel no worker serves.
 */
public final class Doorbell {
    private static final int RING = 0, SLEEPING = 4, PROXY_RING = 8, PROXY_SLEEPERS = 12, SIZE = 4096;
    private final SharedWords words;

    private Doorbell(SharedWords words) {
        this.words = words;
    }

    public static Doorbell create(Path file) {
        return new Doorbell(SharedWords.map(file, SIZE, true));
    }

    public static Doorbell open(Path file) {
        return new Doorbell(SharedWords.map(file, SIZE, false));
    }

    public Path file() {
        return words.file();
    }

    /** Rings: the LWK will look for work. */
    public void ring() {
        words.addInt(RING, 1);
        if (words.getInt(SLEEPING) != 0)
            words.futexWake(RING, Integer.MAX_VALUE);
    }

    /** The current count, to wait for a change from. */
    public int count() {
        return words.getInt(RING);
    }

    /** Rings the proxies: some channel has a request and no worker (every proxy looks at its own). */
    public void ringProxies() {
        words.addInt(PROXY_RING, 1);
        if (words.getInt(PROXY_SLEEPERS) > 0)
            words.futexWake(PROXY_RING, Integer.MAX_VALUE);
    }

    public int proxyCount() {
        return words.getInt(PROXY_RING);
    }

    /** Sleeps until the proxies' doorbell rings after count was read, or nanos pass. */
    public void awaitProxies(int count, long nanos) {
        words.addInt(PROXY_SLEEPERS, 1);
        if (words.getInt(PROXY_RING) == count)
            words.futexWait(PROXY_RING, count, nanos);
        words.addInt(PROXY_SLEEPERS, -1);
    }

    /** The LWK's idler on this doorbell: an idle kernel sleeps on it, anyone ringing it wakes the kernel. */
    public jmck.lwk.EventLoop.Idler idler() {
        return new jmck.lwk.EventLoop.Idler() {
            @Override
            public int count() {
                return Doorbell.this.count();
            }

            @Override
            public void await(int count, long nanos, boolean soon) {
                if (soon)
                    Doorbell.this.await(count, nanos);
                else
                    sleep(count, nanos);
            }

            @Override
            public void wake() {
                ring();
            }
        };
    }

    /** How the LWK's idle loop spins before it sleeps (one idle loop per doorbell). */
    private final AdaptiveSpin idleSpin = new AdaptiveSpin();

    /** Sleeps until the doorbell rings after count was read, or nanos pass; spins first (see AdaptiveSpin). */
    public void await(int count, long nanos) {
        idleSpin.start();
        while (words.getInt(RING) == count)
            if (!idleSpin.spin()) {
                sleep(count, nanos);
                return;
            }
        idleSpin.done();
    }

    private void sleep(int count, long nanos) {
        words.putInt(SLEEPING, 1);
        if (words.getInt(RING) == count)
            words.futexWait(RING, count, nanos);
        words.putInt(SLEEPING, 0);
    }
}
