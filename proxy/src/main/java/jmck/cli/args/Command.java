package jmck.cli.args;

import java.util.ArrayList;
import java.util.List;

/**
 * The definition of a command: name, one-line summary, options, operands, subcommands, the exit statuses it
 * documents, and the action that runs it. Help, the man page and shell completion are all generated from
 * these definitions ({@link HelpText}, {@link ManPage}, {@link BashCompletion}), so they cannot disagree
 * with what the parser accepts. Every command also answers -h/--help and -V/--version.
 */
public final class Command {
    /** What runs when the command is chosen; returns the exit status. */
    @FunctionalInterface
    public interface Action {
        int run(Args args) throws Exception;
    }

    /** A documented exit status: "124" and what it means. */
    public record ExitStatus(String code, String meaning) {}

    /** An environment variable the command reads, and what for. */
    public record Variable(String name, String meaning) {}

    private final String name;
    private final String summary;
    private final List<String> paragraphs = new ArrayList<>();
    private final List<Option<?>> options = new ArrayList<>();
    private final List<Operand<?>> operands = new ArrayList<>();
    private final List<Command> subcommands = new ArrayList<>();
    private final List<ExitStatus> exits = new ArrayList<>();
    private final List<String> examples = new ArrayList<>();
    private final List<Variable> variables = new ArrayList<>();
    private final java.util.Map<String, String> hints = new java.util.HashMap<>();
    private Command parent;
    private Action action;
    private boolean hidden;

    public Command(String name, String summary) {
        this.name = name;
        this.summary = summary;
    }

    /** A paragraph of description for --help and the man page. */
    public Command describe(String paragraph) {
        paragraphs.add(paragraph);
        return this;
    }

    public Command options(Option<?>... more) {
        options.addAll(List.of(more));
        return this;
    }

    public Command options(List<Option<?>> more) {
        options.addAll(more);
        return this;
    }

    /** Operands in order: required and optional ones, then at most one rest. */
    public Command operands(Operand<?>... more) {
        operands.addAll(List.of(more));
        return this;
    }

    public Command subcommands(Command... more) {
        for (Command c : more) {
            c.parent = this;
            subcommands.add(c);
        }
        return this;
    }

    public Command exits(ExitStatus... more) {
        exits.addAll(List.of(more));
        return this;
    }

    public Command exits(List<ExitStatus> more) {
        exits.addAll(more);
        return this;
    }

    /** Environment variables the command reads (documented in its help and the man page). */
    public Command environment(Variable... more) {
        variables.addAll(List.of(more));
        return this;
    }

    /** An example command line with a comment, for the man page and --help. */
    public Command example(String line) {
        examples.add(line);
        return this;
    }

    public Command action(Action a) {
        this.action = a;
        return this;
    }

    /** What the usage error for an unknown option adds (a retired or look-alike option: what to write instead). */
    public Command hint(String option, String text) {
        hints.put(option, text);
        return this;
    }

    /** The hint for an unknown option, or null. */
    public String hint(String option) {
        return hints.get(option);
    }

    /** Left out of help listings and completion (it still works). */
    public Command hidden() {
        this.hidden = true;
        return this;
    }

    public String name() {
        return name;
    }

    /** "jmck ihk boot" */
    public String fullName() {
        return parent == null ? name : parent.fullName() + " " + name;
    }

    public String summary() {
        return summary;
    }

    public List<String> paragraphs() {
        return List.copyOf(paragraphs);
    }

    public List<Option<?>> options() {
        return List.copyOf(options);
    }

    public List<Operand<?>> operands() {
        return List.copyOf(operands);
    }

    public List<Command> subcommands() {
        return List.copyOf(subcommands);
    }

    /** Subcommands shown in help and completion. */
    public List<Command> visibleSubcommands() {
        return subcommands.stream().filter(c -> !c.hidden).toList();
    }

    public Command subcommand(String word) {
        for (Command c : subcommands)
            if (c.name.equals(word))
                return c;
        return null;
    }

    /** The exit statuses this command documents: its own, else its parent's. */
    public List<ExitStatus> exitStatuses() {
        return exits.isEmpty() && parent != null ? parent.exitStatuses() : List.copyOf(exits);
    }

    public List<Variable> variables() {
        return List.copyOf(variables);
    }

    public List<String> examples() {
        return List.copyOf(examples);
    }

    public Action action() {
        return action;
    }

    public Command parent() {
        return parent;
    }

    public boolean isHidden() {
        return hidden;
    }

    /** True if the first operand ends the options: what follows belongs to the program (jmck run PROGRAM ARG...). */
    public boolean runsProgram() {
        for (Operand<?> o : operands) // (a loop: a stream here loaded 7 classes and linked a lambda at every start)
            if (o.arity() == Operand.Arity.REST)
                return true;
        return false;
    }

    /** The option called name ("--cores", "-v"), or null. */
    public Option<?> option(String optionName) {
        for (Option<?> o : options)
            if (o.names().contains(optionName))
                return o;
        return null;
    }

    /** "jmck run [OPTIONS] PROGRAM [ARG...]" or "jmck ihk COMMAND" */
    public String usage() {
        StringBuilder b = new StringBuilder(fullName());
        if (!options.isEmpty())
            b.append(" [OPTIONS]");
        if (!subcommands.isEmpty() && operands.isEmpty())
            b.append(" COMMAND");
        for (Operand<?> o : operands)
            b.append(' ').append(o.synopsis());
        return b.toString();
    }

    /** This command and every command below it, depth first. */
    public List<Command> tree() {
        List<Command> all = new ArrayList<>();
        all.add(this);
        for (Command c : subcommands)
            all.addAll(c.tree());
        return all;
    }
}
