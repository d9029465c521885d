package jmck.cli;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.cli.args.Args;
import jmck.cli.args.Command;
import jmck.cli.args.Option;
import jmck.cli.args.ValueType;
import jmck.debug.Inspector;
import jmck.debug.Stepper;
import jmck.debug.web.HtmlExport;
import jmck.debug.web.WebServer;
import jmck.debug.web.WebSession;
import jmck.emulator.JmckException;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;

/**
 * jmck step: jmck run with the stepper attached, stopped before the program's first instruction. Commands
 * come from the terminal, or from a script (--script FILE, "-" for standard input), echoed as a transcript;
 * or from a browser (--web), which shows the machine as pictures; --html writes those pictures for every
 * stop of a command-line session into one page.
 */
final class StepCommand {
    static final Option<Path> SCRIPT = Option.value("--script", "FILE", ValueType.file(),
            "read commands from FILE (- for standard input) and echo them");

    static final Option<String> WEB = Option.value("--web", "[[HOST]:PORT]", Values.hostPort(),
            "drive the stepper from a web page instead: serve it on HOST:PORT (default 127.0.0.1 and a free port) at a URL "
                    + "with a random token, printed at start").valueOptional("127.0.0.1:0");
    static final Option<Path> HTML = Option.value("--html", "OUT.html", ValueType.file(),
            "also write every stop of the session (page-table walks, memory map, VMAs, cores, events) into one "
                    + "self-contained web page");

    private StepCommand() {}

    static Command command() {
        return new Command("step", "Run a program under the stepper: stop at page faults, syscalls, signals or addresses;"
                + " single-step instructions; show registers, page-table walks, VMAs and frames. Type help at the prompt.")
                .options(RunCommand.options()).options(SCRIPT, WEB, HTML).operands(RunCommand.PROGRAM, RunCommand.ARGS)
                .exits(Main.PROGRAM_EXITS).action(a -> RunCommand.run(a, (k, elf) -> attach(a, k, elf), false)); // exact mode
    }

    private static AutoCloseable attach(Args a, Kernel k, ElfImage elf) throws IOException {
        Path script = a.get(SCRIPT), html = a.get(HTML);
        Inspector inspect = new Inspector(k.memory(), elf);
        if (a.has(WEB)) {
            if (script != null || html != null)
                throw new JmckException("--web drives the stepper from a page: it does not go with --script or --html");
            WebSession session = new WebSession(k, inspect);
            WebServer server = WebServer.start(session, a.get(WEB), System.err);
            session.attach();
            return () -> {
                server.close();
                inspect.close();
            };
        }
        BufferedReader in;
        if (script == null || script.toString().equals("-"))
            in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        else if (!Files.isReadable(script))
            throw new JmckException("cannot read the script " + script);
        else
            in = Files.newBufferedReader(script, StandardCharsets.UTF_8);
        PrintStream out = System.out;
        ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        HtmlExport export = null;
        if (html != null) {
            export = new HtmlExport(k, inspect, html, "jmck step " + a.get(RunCommand.PROGRAM), transcript);
            out = new PrintStream(tee(System.out, transcript), true, StandardCharsets.UTF_8);
        }
        Stepper s = new Stepper(k, inspect, in, out, script != null);
        s.setRecorder(export);
        s.attach();
        HtmlExport written = export;
        return () -> {
            if (written != null)
                written.write();
            inspect.close();
            in.close();
        };
    }

    private static OutputStream tee(OutputStream a, OutputStream b) {
        return new OutputStream() {
            @Override
            public void write(int c) throws IOException {
                a.write(c);
                b.write(c);
            }

            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                a.write(buf, off, len);
                b.write(buf, off, len);
            }

            @Override
            public void flush() throws IOException {
                a.flush();
            }
        };
    }
}
