package jmck.cli.args;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parses a command line against a tree of {@link Command}s, the way getopt_long-based tools read theirs:
 * words select subcommands; "--name value", "--name=value", "-n value" and "-nvalue" give options;
 * options and operands may mix until the operand of a program runner (PROGRAM), after which every word
 * is the program's; "--" ends the options. Every command takes -h/--help and -V/--version.
 */
public final class Parser {
    /** Shows the command's help. */
    public static final Option<Boolean> HELP = Option.flag("--help", "show this help and exit").alias("-h");
    /** Shows the versions of jmck and of the libraries it runs on. */
    public static final Option<Boolean> VERSION = Option.flag("--version",
            "show the versions of jmck, Unicorn and Capstone and exit").alias("-V");

    /** What the command line asks for. */
    public enum Request { RUN, HELP, VERSION }

    /** The command chosen, its arguments, and whether to run it or show its help or version. */
    public record Invocation(Command command, Args args, Request request) {}

    private Parser() {}

    public static Invocation parse(Command root, String... argv) throws UsageException {
        Command c = root;
        Args args = new Args(c);
        List<Operand<?>> operands = new ArrayList<>(c.operands());
        boolean optionsEnded = false;
        for (int i = 0; i < argv.length; i++) {
            String w = argv[i];
            if (!optionsEnded && w.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (!optionsEnded && w.startsWith("-") && w.length() > 1) {
                if (HELP.names().contains(w))
                    return new Invocation(c, args, Request.HELP);
                if (VERSION.names().contains(w))
                    return new Invocation(c, args, Request.VERSION);
                i = option(c, args, argv, i);
                continue;
            }
            if (operands.isEmpty() && !c.subcommands().isEmpty()) {
                Command sub = c.subcommand(w);
                if (sub == null)
                    throw new UsageException(c, "unknown command '" + w + "' (commands: " + String.join(", ",
                            c.visibleSubcommands().stream().map(Command::name).toList()) + ")");
                c = sub;
                args = new Args(c);
                operands = new ArrayList<>(c.operands());
                continue;
            }
            // An operand: an optional one takes the word only if the word fits it.
            while (!operands.isEmpty() && operands.get(0).arity() == Operand.Arity.OPTIONAL && !fits(operands.get(0), w))
                operands.remove(0);
            if (operands.isEmpty())
                throw new UsageException(c, "unexpected argument '" + w + "'");
            Operand<?> o = operands.get(0);
            if (o.arity() == Operand.Arity.REST) {
                for (int j = i; j < argv.length; j++)
                    args.add(o, argv[j]);
                break;
            }
            args.add(o, value(c, o.label(), o.type(), w));
            operands.remove(0);
            if (c.runsProgram() && !operands.isEmpty() && operands.get(0).arity() == Operand.Arity.REST)
                optionsEnded = true; // after PROGRAM, everything is the program's
        }
        if (!c.subcommands().isEmpty() && c.operands().isEmpty())
            return new Invocation(c, args, Request.HELP); // a group alone: "jmck ihk" shows its commands
        for (Operand<?> o : operands)
            if (o.arity() == Operand.Arity.ONE)
                throw new UsageException(c, "missing " + o.label());
        return new Invocation(c, args, Request.RUN);
    }

    /** Reads the option at argv[i] (and its value); returns the index of the last word it used. */
    private static int option(Command c, Args args, String[] argv, int i) throws UsageException {
        String w = argv[i], name = w, inline = null;
        if (w.startsWith("--") && w.indexOf('=') > 0) { // --name=value
            name = w.substring(0, w.indexOf('='));
            inline = w.substring(w.indexOf('=') + 1);
        } else if (!w.startsWith("--") && w.length() > 2 && c.option(w) == null) { // -nVALUE
            name = w.substring(0, 2);
            inline = w.substring(2);
        }
        Option<?> o = c.option(name);
        if (o == null || (inline != null && !o.takesValue() && !w.startsWith("--"))) {
            String unknown = o == null ? name : w, hint = c.hint(unknown);
            throw new UsageException(c, "unknown option " + unknown + (hint == null ? "" : ": " + hint));
        }
        if (!o.takesValue()) {
            if (inline != null)
                throw new UsageException(c, name + " takes no value");
            args.add(o, Boolean.TRUE);
            return i;
        }
        if (inline == null && o.fallback() != null) { // an optional value: the next word, if it is one
            if (i + 1 < argv.length && fits(o.type(), argv[i + 1]))
                inline = argv[++i];
            else {
                args.add(o, o.fallback());
                return i;
            }
        }
        if (inline == null) {
            if (i + 1 >= argv.length)
                throw new UsageException(c, name + " needs a value (" + o.label() + ")");
            inline = argv[++i];
        }
        List<String> parts = o.separator() == null ? List.of(inline) : List.of(inline.split(Pattern.quote(o.separator()), -1));
        for (String part : parts)
            args.add(o, value(c, name, o.type(), part));
        return i;
    }

    private static Object value(Command c, String what, ValueType<?> type, String text) throws UsageException {
        try {
            return type.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(c, what + ": '" + text + "' " + e.getMessage());
        }
    }

    private static boolean fits(Operand<?> o, String w) {
        return fits(o.type(), w);
    }

    private static boolean fits(ValueType<?> type, String w) {
        try {
            type.parse(w);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
