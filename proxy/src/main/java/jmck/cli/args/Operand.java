package jmck.cli.args;

/**
 * A positional argument of a command: its label in help ("PROGRAM"), its type, and how many it takes.
 * An optional operand before a required one takes a word only if the word parses as its type, so
 * `jmck mcexec 1 prog` names instance 1 and `jmck mcexec prog` runs prog on instance 0, as McKernel's
 * mcexec reads its `[<mcos-id>]`.
 */
public final class Operand<T> {
    /** How many words an operand takes. */
    public enum Arity { ONE, OPTIONAL, REST }

    private final String label;
    private final ValueType<T> type;
    private final String description;
    private final Arity arity;

    private Operand(String label, ValueType<T> type, String description, Arity arity) {
        this.label = label;
        this.type = type;
        this.description = description;
        this.arity = arity;
    }

    /** An operand that must be given. */
    public static <T> Operand<T> required(String label, ValueType<T> type, String description) {
        return new Operand<>(label, type, description, Arity.ONE);
    }

    /** An operand that may be left out. */
    public static <T> Operand<T> optional(String label, ValueType<T> type, String description) {
        return new Operand<>(label, type, description, Arity.OPTIONAL);
    }

    /** Every word left, as given (a program's arguments); options are not looked for among them. */
    public static Operand<String> rest(String label, String description) {
        return new Operand<>(label, ValueType.text(), description, Arity.REST);
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

    public Arity arity() {
        return arity;
    }

    /** "PROGRAM", "[OS]", "[ARG...]" */
    public String synopsis() {
        return switch (arity) {
            case ONE -> label;
            case OPTIONAL -> "[" + label + "]";
            case REST -> "[" + label + "...]";
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
