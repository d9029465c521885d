package jmck.cli.args;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The typed values of one parsed command line: options by their constants, operands by theirs. */
public final class Args {
    private final Command command;
    private final Map<Option<?>, List<Object>> options = new HashMap<>();
    private final Map<Operand<?>, List<Object>> operands = new HashMap<>();

    Args(Command command) {
        this.command = command;
    }

    /** The command these are the arguments of. */
    public Command command() {
        return command;
    }

    void add(Option<?> o, Object value) {
        List<Object> l = valuesOf(options, o);
        if (!o.isRepeatable())
            l.clear(); // the last use counts, as with getopt
        l.add(value);
    }

    void add(Operand<?> o, Object value) {
        valuesOf(operands, o).add(value);
    }

    /** key's list in map, made if missing (not computeIfAbsent's lambda: see Option.SHORT_FIRST). */
    private static <K> List<Object> valuesOf(Map<K, List<Object>> map, K key) {
        List<Object> l = map.get(key);
        if (l == null)
            map.put(key, l = new ArrayList<>());
        return l;
    }

    /** True if the option was given. */
    public boolean has(Option<?> o) {
        return options.containsKey(o);
    }

    /** The option's value: the last given, else its default (null if it has none). */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> o) {
        List<Object> l = options.get(o);
        return l == null ? o.defaultValue() : (T) l.get(l.size() - 1);
    }

    /** A flag: true if given. */
    public boolean flag(Option<Boolean> o) {
        return has(o);
    }

    /** Every value a repeatable option was given, in order (empty if none). */
    @SuppressWarnings("unchecked")
    public <T> List<T> all(Option<T> o) {
        List<Object> l = options.get(o);
        return l == null ? List.of() : (List<T>) List.copyOf(l);
    }

    /** An operand's value, or null if an optional one was left out. */
    @SuppressWarnings("unchecked")
    public <T> T get(Operand<T> o) {
        List<Object> l = operands.get(o);
        return l == null ? null : (T) l.get(0);
    }

    /** All words of a rest operand. */
    @SuppressWarnings("unchecked")
    public <T> List<T> all(Operand<T> o) {
        List<Object> l = operands.get(o);
        return l == null ? List.of() : (List<T>) List.copyOf(l);
    }
}
