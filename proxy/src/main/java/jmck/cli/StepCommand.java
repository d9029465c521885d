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
import jmck.debug.Inspector;
import jmck.debug.Stepper;
import jmck.debug.web.HtmlExport;
import jmck.debug.web.WebServer;
import jmck.debug.web.WebSession;
import jmck.emulator.JmckException;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.elf.ElfSymbols;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * jmck step: jmck run with the stepper attached, stopped before the program's first instruction. Commands
 * come from the terminal, or from a script (--script FILE, "-" for standard input), echoed as a transcript;
 * or from a browser (--web), which shows the machine as pictures; --html writes those pictures for every
 * stop of a command-line session into one page.
 */
@Command(name = "step", description = "Run a program under the stepper: stop at page faults, syscalls, signals or addresses;"
        + " single-step instructions; show registers, page-table walks, VMAs and frames. Type help at the prompt.")
final class StepCommand extends RunCommand {
    @Option(names = "--script", paramLabel = "FILE", description = "read commands from FILE (- for standard input) and echo them")
    Path script;

    @Option(names = "--web", paramLabel = "[HOST]:PORT", arity = "0..1", parameterConsumer = WebAddress.class,
            description = "drive the stepper from a web page instead: serve it on HOST:PORT (default 127.0.0.1 and a free "
                    + "port) at a URL with a random token, printed at start")
    String web;

    /**
     * --web takes the next word as its address only if it looks like one (HOST:PORT, :PORT or a port
     * number); otherwise the word is the program and the page is served on loopback at a free port.
     */
    static final class WebAddress implements picocli.CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(java.util.Stack<String> args, picocli.CommandLine.Model.ArgSpec arg,
                picocli.CommandLine.Model.CommandSpec command) {
            String next = args.isEmpty() ? null : args.peek();
            arg.setValue(next != null && (next.contains(":") || next.matches("\\d+")) ? args.pop() : "127.0.0.1:0");
        }
    }

    @Option(names = "--html", paramLabel = "OUT.html",
            description = "also write every stop of the session (page-table walks, memory map, VMAs, cores, events) "
                    + "into one self-contained web page")
    Path html;

    @Override
    AutoCloseable attach(Kernel k, ElfImage elf) throws IOException {
        Inspector inspect = new Inspector(k.memory(), ElfSymbols.read(elf));
        if (web != null) {
            if (script != null || html != null)
                throw new JmckException("--web drives the stepper from a page: it does not go with --script or --html");
            WebSession session = new WebSession(k, inspect);
            session.setEntry(elf.entry());
            WebServer server = WebServer.start(session, web, System.err);
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
            export = new HtmlExport(k, inspect, html, "jmck step " + program, transcript);
            out = new PrintStream(tee(System.out, transcript), true, StandardCharsets.UTF_8);
        }
        Stepper s = new Stepper(k, inspect, in, out, script != null);
        s.setEntry(elf.entry());
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
