package jmck.cli.args;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the text of an option's value or of an operand means: a parser to a typed value, and what a shell
 * may complete there. A parser that refuses a text throws {@link IllegalArgumentException} with the rest
 * of a sentence that starts with the text: "is not a whole number", "is not one of 4k, 2m".
 *
 * <p>The common types' parsers are classes, not lambdas: every command makes its options' types before it
 * parses its arguments, and a lambda's first run linked it, 0.2 ms or more (docs/performance.md, "code run
 * once").
 */
public final class ValueType<T> {
    /** What a shell completes for a value. */
    public enum Completion { NONE, FILE, DIRECTORY, PROGRAM, WORDS }

    /** Text to value; throws IllegalArgumentException("is not ...") when the text does not fit. */
    @FunctionalInterface
    public interface Parse<T> {
        T parse(String text);
    }

    private final Parse<T> parse;
    private final Completion completion;
    private final List<String> words;

    public ValueType(Parse<T> parse, Completion completion, List<String> words) {
        this.parse = parse;
        this.completion = completion;
        this.words = List.copyOf(words);
    }

    public ValueType(Parse<T> parse) {
        this(parse, Completion.NONE, List.of());
    }

    public T parse(String text) {
        return parse.parse(text);
    }

    public Completion completion() {
        return completion;
    }

    /** The values a shell offers (for {@link Completion#WORDS}). */
    public List<String> words() {
        return words;
    }

    /** The same parser, completed as kind. */
    public ValueType<T> completedAs(Completion kind) {
        return new ValueType<>(parse, kind, words);
    }

    // ---- the common types ----

    /** Any text. */
    public static ValueType<String> text() {
        return new ValueType<>(new Parse<String>() {
            @Override
            public String parse(String s) {
                return s;
            }
        });
    }

    /** A whole number from min to max (decimal, or hexadecimal after 0x). */
    public static ValueType<Integer> integer(int min, int max) {
        return new ValueType<>(new Parse<Integer>() {
            @Override
            public Integer parse(String s) {
                long v;
                try {
                    v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("is not a whole number");
                }
                if (v < min || v > max)
                    throw new IllegalArgumentException(max == Integer.MAX_VALUE ? "is less than " + min
                            : "is out of range (" + min + " to " + max + ")");
                return (int) v;
            }
        });
    }

    /** A decimal number of at least min, not infinite or NaN. */
    public static ValueType<Double> decimal(double min) {
        return new ValueType<>(new Parse<Double>() {
            @Override
            public Double parse(String s) {
                double v;
                try {
                    v = Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("is not a number");
                }
                if (Double.isNaN(v) || Double.isInfinite(v))
                    throw new IllegalArgumentException("is not a number");
                if (v < min)
                    throw new IllegalArgumentException("is less than " + (min == Math.rint(min) ? String.valueOf((long) min) : min));
                return v;
            }
        });
    }

    /** One of the given words (case-insensitive); the value is the word as listed. */
    public static ValueType<String> oneOf(String... choices) {
        return new ValueType<>(new Parse<String>() {
            @Override
            public String parse(String s) {
                for (String c : choices)
                    if (c.equalsIgnoreCase(s))
                        return c;
                throw new IllegalArgumentException("is not one of " + String.join(", ", choices));
            }
        }, Completion.WORDS, List.of(choices));
    }

    /** A constant of an enum, by its name (case-insensitive). */
    public static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants())
            names.add(e.name().toLowerCase(Locale.ROOT));
        return new ValueType<>(new Parse<E>() {
            @Override
            public E parse(String s) {
                for (E e : type.getEnumConstants())
                    if (e.name().equalsIgnoreCase(s))
                        return e;
                throw new IllegalArgumentException("is not one of " + String.join(", ", names));
            }
        }, Completion.WORDS, names);
    }

    /** A file name (not checked for existence: the command says what is wrong with the file). */
    public static ValueType<Path> file() {
        return new ValueType<>(new Parse<Path>() {
            @Override
            public Path parse(String s) {
                if (s.isEmpty())
                    throw new IllegalArgumentException("is not a file name");
                try {
                    return Path.of(s);
                } catch (InvalidPathException e) {
                    throw new IllegalArgumentException("is not a file name");
                }
            }
        }, Completion.FILE, List.of());
    }
}
