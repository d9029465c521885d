package jmck.cli;

import jmck.emulator.JmckException;

/** Parses sizes like 512M, 2G, 4k, 1048576. */
final class Sizes {
    private Sizes() {}

    static long parse(String s) {
        String t = s.trim().toUpperCase();
        long unit = 1;
        if (t.endsWith("IB"))
            t = t.substring(0, t.length() - 2);
        else if (t.endsWith("B"))
            t = t.substring(0, t.length() - 1);
        if (t.endsWith("K")) unit = 1L << 10;
        else if (t.endsWith("M")) unit = 1L << 20;
        else if (t.endsWith("G")) unit = 1L << 30;
        else if (t.endsWith("T")) unit = 1L << 40;
        if (unit != 1)
            t = t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(t);
            if (v <= 0 || v > Long.MAX_VALUE / unit)
                throw new NumberFormatException();
            return v * unit;
        } catch (NumberFormatException e) {
            throw new JmckException("bad size '" + s + "': use a number with K, M or G, like 512M");
        }
    }
}
