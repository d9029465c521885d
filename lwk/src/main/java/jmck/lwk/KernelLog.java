package jmck.lwk;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel message buffer (kmsg), as `ihkosctl kmsg` shows it: timestamped lines, oldest dropped first.
 * Lines also go to an echo sink (stderr with --verbose) when one is set.
 *
 * <p>A line is formatted when someone reads it, not when it is logged: the first String.format of a JVM
 * loads java.util.Formatter, regular expressions and the locale data, some 10 ms of jmck run's start-up
 * for lines that a run without --verbose never shows. The arguments are kept as they were at the call
 * (numbers, strings and characters as they are, anything else as its string).
 */
public final class KernelLog {
    private static final int CAPACITY = 4096;
    private final ArrayDeque<Line> lines = new ArrayDeque<>();
    private final long bootNanos = System.nanoTime();
    private volatile java.util.function.Consumer<String> echo;

    /** One message: when it was logged, its format and its arguments; the text is made on first read. */
    private static final class Line {
        final long nanos;
        final String format;
        final Object[] args;
        String text;

        Line(long nanos, String format, Object[] args) {
            this.nanos = nanos;
            this.format = format;
            this.args = args;
        }

        String text() {
            if (text == null)
                text = String.format("[%12.6f] ", nanos / 1e9) + String.format(format, args);
            return text;
        }
    }

    public synchronized void log(String format, Object... args) {
        Object[] kept = args.clone();
        for (int i = 0; i < kept.length; i++)
            if (!(kept[i] == null || kept[i] instanceof Number || kept[i] instanceof String
                    || kept[i] instanceof Character || kept[i] instanceof Boolean))
                kept[i] = String.valueOf(kept[i]); // as %s would show it now, not later
        Line line = new Line(System.nanoTime() - bootNanos, format, kept);
        if (lines.size() == CAPACITY)
            lines.removeFirst();
        lines.addLast(line);
        var e = echo;
        if (e != null)
            e.accept(line.text());
    }

    /** All lines still in the buffer. */
    public synchronized List<String> lines() {
        List<String> l = new ArrayList<>(lines.size());
        for (Line line : lines)
            l.add(line.text());
        return l;
    }

    public synchronized void clear() {
        lines.clear();
    }

    /** Sends every line to echo as it is written, after the lines already in the buffer. */
    public synchronized void setEcho(java.util.function.Consumer<String> echo) {
        if (echo != null)
            for (Line line : lines)
                echo.accept(line.text());
        this.echo = echo;
    }
}
