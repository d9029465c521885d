package jmck.cli.args;

import java.util.ArrayList;
import java.util.List;

/** A command's --help, made from its definition: usage, description, operands, options, commands, exit statuses. */
public final class HelpText {
    private static final int WIDTH = 100, COLUMN = 28;

    private HelpText() {}

    public static String of(Command c) {
        StringBuilder b = new StringBuilder();
        b.append("Usage: ").append(c.usage()).append("\n\n");
        b.append(wrap(c.summary(), 0)).append('\n');
        for (String p : c.paragraphs())
            b.append('\n').append(wrap(p, 0)).append('\n');
        List<String[]> rows = new ArrayList<>();
        for (Operand<?> o : c.operands())
            if (o.description() != null)
                rows.add(new String[] {o.label(), o.description() + choices(o.type())});
        section(b, "Operands", rows);
        rows = new ArrayList<>();
        for (Option<?> o : options(c))
            rows.add(new String[] {(o.names().get(0).startsWith("--") ? "    " : "") + o.synopsis(), describe(o)});
        section(b, "Options", rows);
        rows = new ArrayList<>();
        for (Command s : c.visibleSubcommands())
            rows.add(new String[] {s.name(), s.summary()});
        section(b, "Commands", rows);
        if (!c.subcommands().isEmpty())
            b.append("\n").append(wrap("Each command has its own --help: " + c.fullName() + " COMMAND --help.", 0)).append('\n');
        rows = new ArrayList<>();
        for (Command.ExitStatus e : c.exitStatuses())
            rows.add(new String[] {e.code(), e.meaning()});
        section(b, "Exit status", rows);
        rows = new ArrayList<>();
        for (Command.Variable v : c.variables())
            rows.add(new String[] {v.name(), v.meaning()});
        section(b, "Environment", rows);
        if (!c.examples().isEmpty()) {
            b.append("\nExamples:\n");
            for (String e : c.examples())
                b.append("  ").append(e).append('\n');
        }
        return b.toString();
    }

    /** The command's options followed by the ones every command has. */
    static List<Option<?>> options(Command c) {
        List<Option<?>> all = new ArrayList<>(c.options());
        all.add(Parser.HELP);
        all.add(Parser.VERSION);
        return all;
    }

    /** The description with the default and the choices, if any. */
    static String describe(Option<?> o) {
        String d = o.description();
        if (o.takesValue())
            d += choices(o.type());
        if (o.defaultText() != null)
            d += " (default " + o.defaultText() + ")";
        if (o.separator() != null)
            d += "; several may be given, separated by '" + o.separator() + "'";
        else if (o.isRepeatable())
            d += "; may be given more than once";
        return d;
    }

    private static String choices(ValueType<?> t) {
        return t.completion() == ValueType.Completion.WORDS && !t.words().isEmpty()
                ? ": one of " + String.join(", ", t.words()) : "";
    }

    private static void section(StringBuilder b, String title, List<String[]> rows) {
        if (rows.isEmpty())
            return;
        b.append('\n').append(title).append(":\n");
        for (String[] r : rows) {
            String head = "  " + r[0];
            if (head.length() + 2 > COLUMN) {
                b.append(head).append('\n').append(wrap(r[1], COLUMN)).append('\n');
            } else {
                String text = wrap(r[1], COLUMN);
                b.append(head).append(text.substring(head.length())).append('\n');
            }
        }
    }

    /** Words of text in lines of at most WIDTH columns, each indented by indent spaces. */
    static String wrap(String text, int indent) {
        StringBuilder out = new StringBuilder(), line = new StringBuilder(" ".repeat(indent));
        for (String word : text.split(" ")) {
            if (line.length() > indent && line.length() + 1 + word.length() > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder(" ".repeat(indent));
            }
            if (line.length() > indent)
                line.append(' ');
            line.append(word);
        }
        return out.append(line).toString();
    }
}
