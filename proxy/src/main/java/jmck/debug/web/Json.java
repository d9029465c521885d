package jmck.debug.web;

/**
 * A small JSON writer for what the web view sends: objects, arrays, strings and numbers, written in
 * order. 64-bit machine values (addresses, entries) go as hex strings, since JavaScript numbers hold
 * only 53 bits. The text is safe to put inside an HTML script element (no "</").
 */
final class Json {
    private final StringBuilder b;
    /** The closing brackets of the open objects and arrays, innermost last. */
    private final StringBuilder open = new StringBuilder();
    private boolean comma;

    Json() {
        this(new StringBuilder(4096));
    }

    Json(StringBuilder b) {
        this.b = b;
    }

    Json obj() {
        sep();
        b.append('{');
        open.append('}');
        comma = false;
        return this;
    }

    Json end() {
        b.append(open.charAt(open.length() - 1));
        open.setLength(open.length() - 1);
        comma = true;
        return this;
    }

    Json arr() {
        sep();
        b.append('[');
        open.append(']');
        comma = false;
        return this;
    }

    Json key(String k) {
        sep();
        string(k);
        b.append(':');
        comma = false;
        return this;
    }

    Json value(String s) {
        sep();
        if (s == null)
            b.append("null");
        else
            string(s);
        comma = true;
        return this;
    }

    Json value(long n) {
        sep();
        b.append(n);
        comma = true;
        return this;
    }

    Json value(double d) {
        sep();
        b.append(Double.isFinite(d) ? String.format("%.3f", d) : "null");
        comma = true;
        return this;
    }

    Json value(boolean v) {
        sep();
        b.append(v);
        comma = true;
        return this;
    }

    /** A 64-bit value as "0x..." (JavaScript reads it with BigInt). */
    Json hex(long v) {
        return value(String.format("%#x", v));
    }

    Json field(String k, String v) {
        return key(k).value(v);
    }

    Json field(String k, long v) {
        return key(k).value(v);
    }

    Json field(String k, boolean v) {
        return key(k).value(v);
    }

    Json hexField(String k, long v) {
        return key(k).hex(v);
    }

    /** Already-written JSON (a view made earlier), as a value. */
    Json raw(String json) {
        sep();
        b.append(json);
        comma = true;
        return this;
    }

    private void sep() {
        if (comma)
            b.append(',');
    }

    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '<', '>', '&' -> b.append(String.format("\\u%04x", (int) c)); // safe inside <script>
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029)
                        b.append(String.format("\\u%04x", (int) c));
                    else
                        b.append(c);
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
