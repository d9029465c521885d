package jmck.cli.args;

import java.util.List;

/**
 * The man page of a command tree, in roff (man(7) macros), made from the same definitions as --help: one
 * page with every command, its options, exit statuses and environment. Read it with `man -l FILE`.
 */
public final class ManPage {
    private ManPage() {}

    /** The page for root; version goes in the footer ("jmck 0.1.0"). */
    public static String of(Command root, String version, List<String> seeAlso) {
        StringBuilder b = new StringBuilder();
        String name = root.name();
        b.append(".TH ").append(name.toUpperCase()).append(" 1 \"\" \"").append(esc(version)).append("\" \"User Commands\"\n");
        b.append(".SH NAME\n").append(esc(name)).append(" \\- ").append(esc(root.summary())).append('\n');
        b.append(".SH SYNOPSIS\n");
        for (Command c : root.tree())
            if (c.action() != null && !c.isHidden())
                b.append(".br\n").append(synopsis(c)).append('\n');
        b.append(".SH DESCRIPTION\n");
        for (String p : root.paragraphs())
            b.append(".PP\n").append(esc(p)).append('\n');
        b.append(".SH COMMANDS\n");
        for (Command c : root.tree()) {
            if (c == root || c.isHidden() || c.action() == null && c.options().isEmpty() && c.paragraphs().isEmpty())
                continue;
            b.append(".SS \"").append(esc(c.usage())).append("\"\n").append(esc(c.summary())).append('\n');
            for (String p : c.paragraphs())
                b.append(".PP\n").append(esc(p)).append('\n');
            for (Operand<?> o : c.operands())
                if (o.description() != null)
                    b.append(".TP\n.I ").append(esc(o.label())).append('\n').append(esc(o.description())).append('\n');
            for (Option<?> o : c.options())
                b.append(".TP\n").append(option(o)).append('\n').append(esc(HelpText.describe(o))).append('\n');
            if (c.exitStatuses() != root.exitStatuses() && !c.exitStatuses().equals(root.exitStatuses())) {
                b.append(".PP\nExit status:\n.RS\n");
                for (Command.ExitStatus e : c.exitStatuses())
                    b.append(".TP\n.B ").append(esc(e.code())).append('\n').append(esc(e.meaning())).append('\n');
                b.append(".RE\n");
            }
        }
        b.append(".SH OPTIONS OF EVERY COMMAND\n");
        for (Option<?> o : List.of(Parser.HELP, Parser.VERSION))
            b.append(".TP\n").append(option(o)).append('\n').append(esc(o.description())).append('\n');
        b.append(".SH EXIT STATUS\n");
        for (Command.ExitStatus e : root.exitStatuses())
            b.append(".TP\n.B ").append(esc(e.code())).append('\n').append(esc(e.meaning())).append('\n');
        if (!root.variables().isEmpty()) {
            b.append(".SH ENVIRONMENT\n");
            for (Command.Variable v : root.variables())
                b.append(".TP\n.B ").append(esc(v.name())).append('\n').append(esc(v.meaning())).append('\n');
        }
        if (!root.examples().isEmpty()) {
            b.append(".SH EXAMPLES\n.nf\n");
            for (String e : root.examples())
                b.append(esc(e)).append('\n');
            b.append(".fi\n");
        }
        if (!seeAlso.isEmpty())
            b.append(".SH SEE ALSO\n").append(esc(String.join(", ", seeAlso))).append('\n');
        return b.toString();
    }

    /** ".B jmck run" [OPTIONS] PROGRAM [ARG...] with operands in italics. */
    private static String synopsis(Command c) {
        StringBuilder b = new StringBuilder(".B ").append(esc(c.fullName())).append('\n');
        if (!c.options().isEmpty())
            b.append("[\\fIOPTIONS\\fR] ");
        for (Operand<?> o : c.operands())
            b.append(switch (o.arity()) {
                case ONE -> "\\fI" + esc(o.label()) + "\\fR ";
                case OPTIONAL -> "[\\fI" + esc(o.label()) + "\\fR] ";
                case REST -> "[\\fI" + esc(o.label()) + "\\fR...] ";
            });
        return b.toString().stripTrailing();
    }

    /** ".BR \-v ", " \-\-verbose" with the value label in italics. */
    private static String option(Option<?> o) {
        StringBuilder b = new StringBuilder();
        List<String> names = o.names();
        for (int i = 0; i < names.size(); i++)
            b.append(i == 0 ? "" : ", ").append("\\fB").append(esc(names.get(i))).append("\\fR");
        if (o.label() != null)
            b.append(" \\fI").append(esc(o.label())).append("\\fR");
        return b.toString();
    }

    /** Text safe in roff: backslashes and dashes escaped, no line starting with a control character. */
    static String esc(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        t = t.replace("\n.", "\n\\&.").replace("\n'", "\n\\&'");
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
