package jmck.emulator.host;

import java.io.FileInputStream;
import java.io.IOException;

/**
 * Fields of this process's /proc/self/status that a guest inherits and that jmck never changes (Umask,
 * CapBnd), read once for all who ask, as bytes (the lines are ASCII): read twice through a line reader, the
 * file cost every run 1.1-1.3 ms on its way to the program's first instruction; now 0.2-0.4.
 */
public final class HostStatus {
    private static String text;

    private HostStatus() {}

    /** The value of field ("Umask", "CapBnd"), trimmed, or null if the file or the field is not there. */
    public static synchronized String field(String field) {
        if (text == null)
            text = read();
        String key = "\n" + field + ":";
        int at = ("\n" + text).indexOf(key);
        if (at < 0)
            return null;
        int from = at + key.length() - 1, end = text.indexOf('\n', from);
        return text.substring(from, end < 0 ? text.length() : end).trim();
    }

    private static String read() {
        try (FileInputStream in = new FileInputStream("/proc/self/status")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }
}
