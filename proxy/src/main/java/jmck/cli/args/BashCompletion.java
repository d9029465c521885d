package jmck.cli.args;

import java.util.ArrayList;
import java.util.List;

/**
 * Bash completion for a command tree (zsh reads it too, after `autoload bashcompinit; bashcompinit`),
 * made from the definitions: subcommands, each command's options, the values of options with a fixed
 * set, files where a file goes, and the shell's own completion for the program and its arguments.
 * The script is tables (one line per command) and one function that walks the words typed so far.
 */
public final class BashCompletion {
    private BashCompletion() {}

    public static String of(Command root) {
        String fn = "_" + root.name().replaceAll("[^A-Za-z0-9_]", "_");
        StringBuilder b = new StringBuilder();
        b.append("# bash completion for ").append(root.name()).append(", generated from its command definitions.\n");
        b.append("# Load it with: source <(").append(root.name()).append(" completion bash)\n");
        b.append("declare -A ").append(fn).append("_subs ").append(fn).append("_opts ").append(fn).append("_vals ")
                .append(fn).append("_kind\n");
        for (Command c : root.tree()) {
            if (c.isHidden())
                continue;
            String key = path(root, c);
            List<String> opts = new ArrayList<>();
            for (Option<?> o : HelpText.options(c)) {
                opts.addAll(o.names());
                if (o.takesValue())
                    for (String n : o.names())
                        table(b, fn + "_vals", key + " " + n, kind(o.type()));
            }
            table(b, fn + "_opts", key, String.join(" ", opts));
            List<String> subs = c.visibleSubcommands().stream().map(Command::name).toList();
            if (!subs.isEmpty())
                table(b, fn + "_subs", key, String.join(" ", subs));
            if (!c.operands().isEmpty())
                table(b, fn + "_kind", key, !c.runsProgram() ? kind(c.operands().get(0).type())
                        : c.operands().get(0).arity() == Operand.Arity.OPTIONAL ? "number-then-program" : "program");
        }
        b.append(FUNCTION.replace("FN", fn)).append("complete -F ").append(fn).append(' ').append(root.name()).append('\n');
        return b.toString();
    }

    /** "run", "ihk boot": the command's words below the root. */
    private static String path(Command root, Command c) {
        String full = c.fullName();
        return full.equals(root.name()) ? "." : full.substring(root.name().length() + 1);
    }

    /** "file", "dir", "program", "none" or "words:a b c"; a program runner's operands are "program" or "number-then-program" */
    private static String kind(ValueType<?> t) {
        return switch (t.completion()) {
            case FILE -> "file";
            case DIRECTORY -> "dir";
            case PROGRAM -> "program";
            case WORDS -> "words:" + String.join(" ", t.words());
            case NONE -> "none";
        };
    }

    private static void table(StringBuilder b, String table, String key, String value) {
        b.append(table).append("['").append(key).append("']='").append(value.replace("'", "'\\''")).append("'\n");
    }

    /** Finds the command typed so far, skipping options and their values, then completes the current word. */
    private static final String FUNCTION = """
            FN_complete_kind() {
              case "$1" in
                file) COMPREPLY=($(compgen -f -- "$2")); compopt -o filenames 2>/dev/null ;;
                dir) COMPREPLY=($(compgen -d -- "$2")); compopt -o filenames 2>/dev/null ;;
                program|number-then-program)
                  if [[ $2 == */* ]]; then COMPREPLY=($(compgen -f -- "$2")); else COMPREPLY=($(compgen -c -- "$2")); fi
                  compopt -o filenames 2>/dev/null ;;
                words:*) COMPREPLY=($(compgen -W "${1#words:}" -- "$2")) ;;
                *) COMPREPLY=() ;;
              esac
            }
            FN() {
              local cur=${COMP_WORDS[COMP_CWORD]} path=. i=1 w operands=0
              while (( i < COMP_CWORD )); do
                w=${COMP_WORDS[i]}
                if [[ $w == --* && $w == *=* ]]; then :
                elif [[ $w == -* && -n ${FN_vals["$path $w"]} ]]; then (( i++ ))
                elif [[ $w == -* ]]; then :
                elif [[ " ${FN_subs[$path]} " == *" $w "* ]]; then [[ $path == . ]] && path=$w || path="$path $w"
                else
                  (( operands++ ))
                  # after the program's name, the words are the program's (a number first may be an instance: mcexec)
                  if [[ ${FN_kind[$path]} == *program ]] && ! [[ ${FN_kind[$path]} == number-* && $operands == 1 && $w =~ ^[0-9]+$ ]]; then
                    COMPREPLY=($(compgen -f -- "$cur")); compopt -o bashdefault -o default 2>/dev/null; return
                  fi
                fi
                (( i++ ))
              done
              local prev=${COMP_WORDS[COMP_CWORD-1]}
              if (( COMP_CWORD > 1 )) && [[ $prev == -* && -n ${FN_vals["$path $prev"]} ]]; then
                FN_complete_kind "${FN_vals["$path $prev"]}" "$cur"; return
              fi
              if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "${FN_opts[$path]}" -- "$cur"))
              elif [[ -n ${FN_subs[$path]} ]]; then
                COMPREPLY=($(compgen -W "${FN_subs[$path]}" -- "$cur"))
              else
                FN_complete_kind "${FN_kind[$path]}" "$cur"
              fi
            }
            """;
}
