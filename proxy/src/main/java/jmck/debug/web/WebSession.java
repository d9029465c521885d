package jmck.debug.web;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import jmck.debug.Addresses;
import jmck.debug.BadCommand;
import jmck.debug.Debugger;
import jmck.debug.Inspector;
import jmck.lwk.Kernel;
import jmck.lwk.proc.Process;

/**
 * {@code jmck step --web}: the stepper driven from a browser. The machine's side runs on the scheduler's
 * thread: at each stop the view is added to the history and the thread waits for a command from the page
 * (which the HTTP threads queue). Commands that inspect answer at once; commands that run the program
 * return to the kernel. Nothing here waits for the browser while the program runs, so a closed tab never
 * holds the guest up: the next stop simply waits for a page again.
 */
public final class WebSession implements Debugger.Frontend {
    /** Where the session is. */
    enum State { RUNNING, STOPPED, OVER }

    /** A command from the page, for the stop it was given at. */
    private record Request(int stop, String line, CompletableFuture<Answer> answer) {}

    /** What a command did: ok or not, a message, and for a walk the walk's view. */
    record Answer(boolean ok, String message, String walk) {
        static Answer fail(String message) {
            return new Answer(false, message, null);
        }
    }

    private final Debugger debugger;
    private final Inspector inspect;
    private final StopViews views;
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    // Guarded by this: what the page reads.
    private final List<String> history = new ArrayList<>();
    private State state = State.RUNNING;
    // The scheduler thread's own.
    private Debugger.Stop stop;
    private int mainPid = -1;
    public WebSession(Kernel kernel, Inspector inspect) {
        this.debugger = new Debugger(kernel);
        this.inspect = inspect;
        this.views = new StopViews(kernel, inspect);
    }

    /** Starts watching: the machine stops at the program's first instruction and waits for a page. */
    public void attach() {
        debugger.setInterruptible(true); // the page's pause button
        debugger.attach(this);
    }

    // ---- the scheduler's side ----

    @Override
    public Debugger.Resume stopped(Debugger.Stop s) {
        stop = s;
        if (s.kind() == Debugger.Kind.START) {
            mainPid = s.thread().process().pid();
        }
        publish(views.stop(s, debugger.lastFault(), null), State.STOPPED);
        while (true) {
            Request r;
            try {
                r = requests.take();
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
                return Debugger.Resume.until(Debugger.Until.DETACH);
            }
            if (r.stop() != views.stops()) {
                r.answer().complete(Answer.fail("the program has moved on since (stop " + views.stops() + "): try again"));
                continue;
            }
            try {
                Debugger.Resume resume = run(r.line(), r.answer());
                if (resume != null) {
                    synchronized (this) {
                        state = State.RUNNING;
                        notifyAll();
                    }
                    r.answer().complete(new Answer(true, "running", null));
                    return resume;
                }
            } catch (BadCommand e) {
                r.answer().complete(Answer.fail(e.getMessage()));
            } catch (RuntimeException e) { // the machine refused (an engine error): say so, keep the session
                r.answer().complete(Answer.fail("error: " + e.getMessage()));
            }
        }
    }

    /** Runs one command at the current stop; returns how to resume, or null after an inspection. */
    private Debugger.Resume run(String line, CompletableFuture<Answer> answer) {
        String[] w = line.strip().split("\\s+", 2);
        String arg = w.length > 1 ? w[1] : "";
        return switch (w[0]) {
            case "step" -> Debugger.Resume.step(arg.isEmpty() ? 1 : count(arg));
            case "fault" -> Debugger.Resume.until(Debugger.Until.FAULT);
            case "syscall" -> Debugger.Resume.until(Debugger.Until.SYSCALL);
            case "signal" -> Debugger.Resume.until(Debugger.Until.SIGNAL);
            case "continue" -> Debugger.Resume.until(Debugger.Until.BREAKPOINT);
            case "until" -> debugger.runTo(address(arg));
            case "quit" -> Debugger.Resume.killProgram();
            case "detach" -> Debugger.Resume.until(Debugger.Until.DETACH);
            case "walk" -> {
                long va = address(arg);
                answer.complete(new Answer(true, String.format("walk of %#x", va), views.walk(stop.thread().process().mm(), va)));
                yield null;
            }
            case "break" -> {
                long va = address(arg);
                debugger.addBreakpoint(va);
                answer.complete(new Answer(true, String.format("breakpoint at %#x%s", va, inspect.symbolOf(stop.thread().process().mm(), va)), null));
                yield null;
            }
            default -> throw new BadCommand("unknown command '" + w[0] + "'");
        };
    }

    private long address(String word) {
        return Addresses.parse(word, inspect, stop.thread().process().mm(), stop.core().cpu());
    }

    private static long count(String s) {
        try {
            long n = s.startsWith("0x") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
            if (n < 1)
                throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new BadCommand("bad number '" + s + "': give a count of instructions, 1 or more");
        }
    }

    @Override
    public void exited(Process p) {
        if (p.pid() == mainPid || mainPid < 0)
            publish(views.exited(p), State.OVER);
    }

    private synchronized void publish(String view, State now) {
        history.add(view);
        state = now;
        notifyAll();
    }

    // ---- the page's side (HTTP threads) ----

    /** The state and the views after the first since, waiting up to waitMillis for something new. */
    synchronized Snapshot await(int since, State seen, long waitMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + waitMillis;
        while (history.size() <= since && state == seen && state != State.OVER) {
            long left = end - System.currentTimeMillis();
            if (left <= 0)
                break;
            wait(left);
        }
        return new Snapshot(state, history.size(), List.copyOf(history.subList(Math.min(since, history.size()), history.size())));
    }

    record Snapshot(State state, int count, List<String> views) {}

    synchronized State state() {
        return state;
    }

    /** Runs a command the page sent at stop atStop; waits for its answer (a resume answers at once). */
    Answer command(int atStop, String line) throws InterruptedException {
        String verb = line.strip().split("\\s+", 2)[0];
        if (verb.equals("pause")) {
            if (state() != State.RUNNING)
                return Answer.fail("the program is not running");
            debugger.interrupt();
            return new Answer(true, "pausing at the end of the current slice", null);
        }
        synchronized (this) {
            if (state == State.OVER)
                return Answer.fail("the program has ended; the session is over");
            if (state == State.RUNNING)
                return Answer.fail("the program is running: wait for the next stop, or pause it");
        }
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        requests.add(new Request(atStop, line, answer));
        try {
            return answer.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return Answer.fail("no answer from the machine: " + e);
        }
    }
}
