package jmck.cli.args;

import java.util.ArrayList;
import java.util.List;

/**
 * One option of a command: its names ("-v", "--verbose"), the label of its value in help ("N"; none for a
 * flag), the type its value is parsed as, a description, a default, and whether it may be given more than
 * once. Options are declared as constants beside the command that reads them:
 * <pre>
 *   static final Option&lt;Integer&gt; CORES = Option.value("--cores", "N", ValueType.integer(1, 64), "emulated cores")
 *           .defaultValue(1, "1");
 *   ... int cores = args.get(CORES);
 * </pre>
 */
public final class Option<T> {
    private final List<String> names = new ArrayList<>();
    private final String label;
    private final ValueType<T> type;
    private final String description;
    private T defaultValue;
    private String defaultText;
    private boolean repeatable;
    private String separator;
    private T fallback;

    private Option(String name, String label, ValueType<T> type, String description) {
        if (!name.startsWith("-"))
            throw new IllegalArgumentException("an option's name starts with '-': " + name);
        this.names.add(name);
        this.label = label;
        this.type = type;
        this.description = description;
    }

    /** An option without a value: set or not. */
    public static Option<Boolean> flag(String name, String description) {
        Option<Boolean> o = new Option<>(name, null, null, description);
        o.defaultValue = false;
        return o;
    }

    /** An option with a value of type, shown as label in help. */
    public static <T> Option<T> value(String name, String label, ValueType<T> type, String description) {
        return new Option<>(name, label, type, description);
    }

    /** Another name for it ("-v" beside "--verbose"). */
    public Option<T> alias(String name) {
        names.add(name);
        names.sort(SHORT_FIRST);
        return this;
    }

    /**
     * Short names first, then by name. A class: Comparator.comparing's comparators are made with ASM at
     * every start, and a lambda's first run linked it (docs/performance.md, "code run once").
     */
    private static final java.util.Comparator<String> SHORT_FIRST = new java.util.Comparator<String>() {
        @Override
        public int compare(String a, String b) {
            return a.startsWith("--") != b.startsWith("--") ? Boolean.compare(a.startsWith("--"), b.startsWith("--"))
                    : a.compareTo(b);
        }
    };

    /** The value when the option is not given; shown is how help shows it (null: not shown). */
    public Option<T> defaultValue(T value, String shown) {
        this.defaultValue = value;
        this.defaultText = shown;
        return this;
    }

    /**
     * The value may be left out ("--web" alone means fallback): the next word is taken as the value only
     * if it is one (parses as the type), else it stays for what comes next (the program, say).
     */
    public Option<T> valueOptional(T fallback) {
        this.fallback = fallback;
        return this;
    }

    /** The value of a use without one, or null when a use needs a value. */
    public T fallback() {
        return fallback;
    }

    /** Each use adds a value ({@link Args#all}) instead of replacing the last. */
    public Option<T> repeatable() {
        this.repeatable = true;
        return this;
    }

    /** Repeatable, and one use may list several values: "--trace faults,syscalls". */
    public Option<T> split(String separator) {
        this.separator = separator;
        return repeatable();
    }

    public List<String> names() {
        return List.copyOf(names);
    }

    /** The name errors use: the long one if there is one. */
    public String name() {
        return names.get(names.size() - 1);
    }

    public boolean takesValue() {
        return type != null;
    }

    public String label() {
        return label;
    }

    public ValueType<T> type() {
        return type;
    }

    public String description() {
        return description;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** How help shows the default, or null. */
    public String defaultText() {
        return defaultText;
    }

    public boolean isRepeatable() {
        return repeatable;
    }

    /** The separator of several values in one use, or null. */
    public String separator() {
        return separator;
    }

    /** "-v, --verbose" or "--cores N" or "-E, --env VAR=VALUE" */
    public String synopsis() {
        return String.join(", ", names) + (label == null ? "" : " " + label);
    }

    @Override
    public String toString() {
        return name();
    }
}
