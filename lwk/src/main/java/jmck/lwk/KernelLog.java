package jmck.lwk;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel message buffer (kmsg), as `ihkosctl kmsg` shows it: timestamped lines, oldest dropped first.
 * Lines also go to an echo sink (stderr with --verbose) when one is set.
 */
public final class KernelLog {
    private static final int CAPACITY = 4096;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private final long bootNanos = System.nanoTime();
    private volatile java.util.function.Consumer<String> echo;

    public synchronized void log(String format, Object... args) {
        double t = (System.nanoTime() - bootNanos) / 1e9;
        String line = String.format("[%12.6f] ", t) + String.format(format, args);
        if (lines.size() == CAPACITY)
            lines.removeFirst();
        lines.addLast(line);
        var e = echo;
        if (e != null)
            e.accept(line);
    }

    /** All lines still in the buffer. */
    public synchronized List<String> lines() {
        return new ArrayList<>(lines);
    }

    public synchronized void clear() {
        lines.clear();
    }

    /** Sends every line to echo as it is written, after the lines already in the buffer. */
    public synchronized void setEcho(java.util.function.Consumer<String> echo) {
        if (echo != null)
            lines.forEach(echo);
        this.echo = echo;
    }
}
