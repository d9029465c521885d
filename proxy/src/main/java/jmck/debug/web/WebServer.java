package jmck.debug.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import jmck.emulator.JmckException;

/**
 * The HTTP side of {@code jmck step --web} (the JDK's own server): the page, and a small API it polls. Every
 * request must carry the session's random token (in the URL, as Jupyter does); others get 403. One tab
 * controls the session at a time: another is told so and may take over. A tab counts as gone when it
 * has not asked anything for {@link #LEASE_MILLIS}, or at once when it says so as it closes.
 *
 * <pre>
 * GET  /?token=T                          the page
 * GET  /api/views?since=N&amp;client=C       the state and the views after the first N (waits up to 5 s)
 * POST /api/command?stop=N&amp;client=C      body: a command (fault, step 3, until main, walk 0x401000, ...)
 * POST /api/takeover?client=C            this tab controls the session from now on
 * POST /api/release?client=C             this tab is closing
 * </pre>
 */
public final class WebServer implements AutoCloseable {
    static final long LEASE_MILLIS = 6000, POLL_MILLIS = 5000;

    private final WebSession session;
    private final HttpServer server;
    private final ExecutorService threads;
    private final String token;
    private final String page;
    // Guarded by this: the tab in control and when it was last heard from.
    private String controller;
    private long controllerSeen;
    private int controllerPolls;
    private boolean finalViewDelivered;

    private WebServer(WebSession session, InetSocketAddress address) throws IOException {
        this.session = session;
        byte[] t = new byte[16];
        new SecureRandom().nextBytes(t);
        token = HexFormat.of().formatHex(t);
        page = Page.live(token);
        server = HttpServer.create(address, 16);
        threads = Executors.newFixedThreadPool(4, r -> {
            java.lang.Thread th = new java.lang.Thread(r, "jmck-web");
            th.setDaemon(true);
            return th;
        });
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Serves session at spec ([HOST]:PORT or PORT; default 127.0.0.1 and a free port) and prints the URL
     * to tell; returns the running server.
     */
    public static WebServer start(WebSession session, String spec, PrintStream tell) {
        String host = "127.0.0.1", port = spec;
        int colon = spec.lastIndexOf(':');
        if (colon >= 0) {
            host = colon == 0 ? host : spec.substring(0, colon);
            port = spec.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
            if (p < 0 || p > 65535)
                throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new JmckException("bad --web address '" + spec + "': give [HOST]:PORT, e.g. 127.0.0.1:8080 or :0 for a free port");
        }
        try {
            InetAddress a = InetAddress.getByName(host);
            WebServer s = new WebServer(session, new InetSocketAddress(a, p));
            String shown = a.getHostAddress().contains(":") ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
            tell.printf("jmck: the stepper's page is at http://%s:%d/?token=%s%n", shown, s.port(), s.token);
            if (!a.isLoopbackAddress())
                tell.printf("jmck: warning: %s is reachable from other machines; anyone with the URL can drive the program%n", host);
            tell.flush();
            return s;
        } catch (IOException e) {
            throw new JmckException("cannot serve the web view at " + spec + ": " + e.getMessage());
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The session's URL (for tests and the message at start). */
    public String url() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + port() + "/?token=" + token;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            Map<String, String> q = query(x.getRequestURI().getRawQuery());
            String given = q.getOrDefault("token", x.getRequestHeaders().getFirst("X-Jmck-Token"));
            if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
                send(x, 403, "text/plain", "jmck: this URL needs the session's token: use the full URL jmck printed\n");
                return;
            }
            String path = x.getRequestURI().getPath(), method = x.getRequestMethod();
            x.getResponseHeaders().add("Cache-Control", "no-store");
            if (path.equals("/") && method.equals("GET")) {
                send(x, 200, "text/html; charset=utf-8", page);
                return;
            }
            String client = q.getOrDefault("client", "");
            switch (path) {
                case "/api/views" -> views(x, client, q);
                case "/api/command" -> command(x, client, q);
                case "/api/takeover" -> {
                    synchronized (this) {
                        controller = client;
                        controllerSeen = System.currentTimeMillis();
                        controllerPolls = 0;
                    }
                    send(x, 200, "application/json", "{\"ok\":true}");
                }
                case "/api/release" -> {
                    synchronized (this) {
                        if (client.equals(controller))
                            controller = null;
                    }
                    send(x, 200, "application/json", "{\"ok\":true}");
                }
                default -> send(x, 404, "text/plain", "jmck: no such page: " + path + "\n");
            }
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the tab went away mid-answer: nothing to do, the session goes on
        } catch (RuntimeException e) {
            send(x, 500, "application/json", new Json().obj().field("ok", false).field("message", "error: " + e).end().toString());
        }
    }

    /** Whether client may drive the session (it takes control if nobody else holds it). */
    private synchronized boolean control(String client) {
        long now = System.currentTimeMillis();
        if (controller == null || controller.equals(client) || (controllerPolls == 0 && now - controllerSeen > LEASE_MILLIS)) {
            if (!client.equals(controller))
                controllerPolls = 0;
            controller = client;
            controllerSeen = now;
            return true;
        }
        return false;
    }

    private static final String OTHER_TAB = "Another tab or window controls this session (only one may drive the program). "
            + "Close it, or take over here.";

    private void views(HttpExchange x, String client, Map<String, String> q) throws IOException, InterruptedException {
        if (!control(client)) {
            send(x, 409, "application/json", new Json().obj().field("ok", false).field("message", OTHER_TAB).end().toString());
            return;
        }
        int since = (int) number(q.get("since"), 0);
        WebSession.State seen = WebSession.State.valueOf(q.getOrDefault("state", "RUNNING").toUpperCase());
        WebSession.Snapshot s;
        synchronized (this) {
            controllerPolls++;
        }
        try {
            s = session.await(since, seen, POLL_MILLIS);
        } finally {
            synchronized (this) {
                if (client.equals(controller)) {
                    controllerPolls--;
                    controllerSeen = System.currentTimeMillis();
                }
            }
        }
        Json j = new Json().obj().field("ok", true).field("state", s.state().name().toLowerCase()).field("count", s.count());
        j.key("views").arr();
        for (String v : s.views())
            j.raw(v);
        j.end().end();
        send(x, 200, "application/json", j.toString());
        if (s.state() == WebSession.State.OVER)
            synchronized (this) {
                finalViewDelivered = true;
                notifyAll();
            }
    }

    private void command(HttpExchange x, String client, Map<String, String> q) throws IOException, InterruptedException {
        if (!x.getRequestMethod().equals("POST")) {
            send(x, 405, "text/plain", "jmck: commands are POSTed\n");
            return;
        }
        String line = new String(x.getRequestBody().readNBytes(4096), StandardCharsets.UTF_8);
        WebSession.Answer a;
        if (!control(client))
            a = WebSession.Answer.fail(OTHER_TAB);
        else
            a = session.command((int) number(q.get("stop"), -1), line);
        Json j = new Json().obj().field("ok", a.ok()).field("message", a.message());
        if (a.walk() != null)
            j.key("walk").raw(a.walk());
        send(x, a.ok() ? 200 : 400, "application/json", j.end().toString());
    }

    private static long number(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null)
            return m;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0)
                m.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }

    private static void send(HttpExchange x, int status, String type, String body) {
        try {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", type);
            x.sendResponseHeaders(status, b.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        } catch (IOException e) {
            // the tab is gone
        }
    }

    /**
     * Ends the service once the program is over: after a tab has seen the last view, or when no tab has
     * been heard from for a lease (a session nobody watches ends at once).
     */
    @Override
    public void close() {
        long end = System.currentTimeMillis() + 30_000;
        synchronized (this) {
            while (!finalViewDelivered && System.currentTimeMillis() < end
                    && controller != null && (controllerPolls > 0 || System.currentTimeMillis() - controllerSeen < LEASE_MILLIS)) {
                try {
                    wait(200);
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        server.stop(0);
        threads.shutdownNow();
    }
}
