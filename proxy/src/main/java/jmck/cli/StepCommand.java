package jmck.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.debug.Inspector;
import jmck.debug.Stepper;
import jmck.emulator.JmckException;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * jmck step: jmck run with the stepper attached, stopped before the program's first instruction. Commands
 * come from the terminal, or from a script (--script FILE, "-" for standard input), echoed as a transcript.
 */
@Command(name = "step", description = "Run a program under the stepper: stop at page faults, syscalls, signals or addresses;"
        + " single-step instructions; show registers, page-table walks, VMAs and frames. Type help at the prompt.")
final class StepCommand extends RunCommand {
    @Option(names = "--script", paramLabel = "FILE", description = "read commands from FILE (- for standard input) and echo them")
    Path script;

    @Override
    AutoCloseable attach(Kernel k, ElfImage elf) throws IOException {
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
