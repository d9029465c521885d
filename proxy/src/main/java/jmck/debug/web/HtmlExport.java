package jmck.debug.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.debug.Addresses;
import jmck.debug.BadCommand;
import jmck.debug.Debugger;
import jmck.debug.Inspector;
import jmck.debug.Stepper;
import jmck.emulator.JmckException;
import jmck.lwk.Kernel;
import jmck.lwk.proc.Process;

/**
 * {@code jmck step --html OUT.html}: records every stop of a stepper session (scripted or typed) with the
 * web view's pictures, and the transcript of the commands given there, and writes them as one
 * self-contained page that opens offline. A {@code walk ADDR} command adds that walk to its stop's view.
 */
public final class HtmlExport implements Stepper.Recorder {
    private final Path out;
    private final String title;
    private final StopViews views;
    private final Inspector inspect;
    private final ByteArrayOutputStream transcript;
    private final List<String> stops = new ArrayList<>(), transcripts = new ArrayList<>();
    private final List<List<String>> walks = new ArrayList<>();
    private Debugger.Stop stop;
    private Process main;
    private boolean over;

    /** transcript: where the stepper's output is also written (the export cuts it up by stop). */
    public HtmlExport(Kernel kernel, Inspector inspect, Path out, String title, ByteArrayOutputStream transcript) {
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent))
            throw new JmckException("cannot write the HTML export to " + out + ": no writable directory " + parent);
        this.out = out;
        this.title = title;
        this.inspect = inspect;
        this.transcript = transcript;
        this.views = new StopViews(kernel, inspect);
    }

    private void cut() {
        String text = transcript.toString(StandardCharsets.UTF_8);
        transcript.reset();
        if (!transcripts.isEmpty())
            transcripts.set(transcripts.size() - 1, transcripts.get(transcripts.size() - 1) + text);
    }

    @Override
    public void stopped(Debugger.Stop s, Debugger.FaultInfo lastFault) {
        cut();
        stop = s;
        if (main == null)
            main = s.thread().process();
        stops.add(views.stop(s, lastFault, null));
        transcripts.add("");
        walks.add(new ArrayList<>());
    }

    @Override
    public void command(String line) {
        String[] w = line.strip().split("\\s+");
        if (stop == null || w.length < 2 || !w[0].equals("walk"))
            return;
        try {
            long va = Addresses.parse(w[1], inspect, stop.thread().process().mm(), stop.core().cpu());
            walks.get(walks.size() - 1).add(views.walk(stop.thread().process().mm(), va));
        } catch (BadCommand e) {
            // the stepper says why in the transcript
        }
    }

    @Override
    public void exited(Process p) {
        if (p == main && !over) {
            cut();
            over = true;
            stops.add(views.exited(p));
            transcripts.add("");
            walks.add(new ArrayList<>());
        }
    }

    /** Writes the page (after the session: the program ended, or the script did and it ran on to its end). */
    public void write() throws IOException {
        if (main != null && !over)
            exited(main);
        cut();
        Files.writeString(out, Page.export(title, stops, transcripts, walks), StandardCharsets.UTF_8);
    }
}
