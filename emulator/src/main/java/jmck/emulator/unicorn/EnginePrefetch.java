package jmck.emulator.unicorn;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import jmck.emulator.JmckException;
import jmck.emulator.NativeLibraries;

/**
 * The native half of start-up, done on a background thread while the JVM does the Java half: libunicorn and
 * jmck's hook library (bound through JNI), the page-fault self-test, Unicorn engines opened (and their
 * translation buffers flushed) ahead of the cores that will take them, then the first core's large TLB
 * made ahead (getting its memory took 1-10 ms in half of a static hello's runs when the core grew it on
 * the path of the program's first instruction). (JNA is not started: nothing on the path of a run uses it
 * since the proxy's buffers moved to HostBuffer; stepping, tracing and Capstone start it when asked for.)
 * On two host CPUs this overlaps with parsing the command line, reading the ELF file, mapping physical
 * memory and writing the kernel's page tables, which `jmck run` otherwise does one after the other.
 *
 * <p>Nothing here changes what happens, only when: an engine taken with {@link #take} is the same as one
 * opened then, and a failure (no libunicorn, the wrong version) reaches the caller of take with the
 * message it would have had.
 */
public final class EnginePrefetch {
    /** Engines opened ahead, or the error that stopped the prefetch. */
    private static final BlockingQueue<Object> READY = new LinkedBlockingQueue<>();
    /** Engines promised and not taken yet. */
    private static final AtomicInteger COMING = new AtomicInteger();

    private EnginePrefetch() {}

    /**
     * Starts loading the native side on a daemon thread, opening n engines (0: just the libraries), then,
     * if it opened any, making a TLB of tlbEntries ahead for the first core's grow to take (0: none; see
     * Unicorn.reserveTlb).
     */
    public static void start(int n, int tlbEntries) {
        COMING.addAndGet(n);
        java.lang.Thread t = new java.lang.Thread("jmck-native-prefetch") { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
            @Override
            public void run() {
                prefetch(n, tlbEntries);
            }
        };
        t.setDaemon(true);
        t.start();
    }

    private static void prefetch(int n, int tlbEntries) {
        try { // a missing library fails in NativeLibraries, before any class is half initialized
            NativeLibraries.hooks(); // libunicorn and the hook library: the engines need them
            NativeCore.probeOffsets();
        } catch (RuntimeException | LinkageError e) {
            for (int i = 0; i < n; i++)
                READY.add(e);
            return;
        }
        for (int i = 0; i < n; i++)
            try {
                READY.add(Unicorn.openX86_64());
            } catch (RuntimeException e) {
                READY.add(e);
            }
        if (n > 0 && tlbEntries > 256) // after the engines: their taker does not wait for it
            Unicorn.reserveTlb(tlbEntries);
    }

    /** An engine: one opened ahead if one is ready or on its way (waiting for it then), else a new one. */
    public static Unicorn take() {
        int coming;
        do { // (a loop, not getAndUpdate's lambda: this is on the start-up path)
            coming = COMING.get();
        } while (coming > 0 && !COMING.compareAndSet(coming, coming - 1));
        if (coming == 0)
            return Unicorn.openX86_64();
        Object o;
        try {
            o = READY.take();
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            throw new JmckException("interrupted while opening an engine");
        }
        if (o instanceof RuntimeException r)
            throw r;
        if (o instanceof Error e)
            throw e;
        return (Unicorn) o;
    }
}
