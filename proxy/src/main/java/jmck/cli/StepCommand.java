package jmck.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.cli.args.Args;
import jmck.cli.args.Command;
import jmck.cli.args.Option;
import jmck.cli.args.ValueType;
import jmck.debug.Inspector;
import jmck.debug.Stepper;
import jmck.emulator.JmckException;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;

/**
 * jmck step: jmck run with the stepper attached, stopped before the program's first instruction. Commands
 * come from the terminal, or from a script (--script FILE, "-" for standard input), echoed as a transcript.
 */
final class StepCommand {
    static final Option<Path> SCRIPT = Option.value("--script", "FILE", ValueType.file(),
            "read commands from FILE (- for standard input) and echo them");

    private StepCommand() {}

    static Command command() {
        return new Command("step", "Run a program under the stepper: stop at page faults, syscalls, signals or addresses;"
                + " single-step instructions; show registers, page-table walks, VMAs and frames. Type help at the prompt.")
                .options(RunCommand.options()).options(SCRIPT).operands(RunCommand.PROGRAM, RunCommand.ARGS)
                .exits(Main.PROGRAM_EXITS).action(a -> RunCommand.run(a, (k, elf) -> attach(a, k, elf)));
    }

    private static AutoCloseable attach(Args a, Kernel k, ElfImage elf) throws IOException {
        Path script = a.get(SCRIPT);
        BufferedReader in;
        if (script == null || script.toString().equals("-"))
            in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        else if (!Files.isReadable(script))
            throw new JmckException("cannot read the script " + script);
        else
            in = Files.newBufferedReader(script, StandardCharsets.UTF_8);
        Inspector inspect = new Inspector(k.memory(), ElfSymbols.read(elf));
        Stepper s = new Stepper(k, inspect, in, System.out, script != null);
        s.setEntry(elf.entry());
        s.attach();
        return () -> {
            inspect.close();
            in.close();
        };
    }
}
