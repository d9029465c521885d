package jmck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium, driven over the DevTools protocol (a WebSocket, with the JDK's own client):
 * enough to open pages in tabs, run JavaScript in them, press keys and see which URLs they fetch. The
 * flags keep Chromium from reaching out to the network on its own (this machine's network is closed).
 */
final class Chromium implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    /** Events by session, in arrival order (method and params). */
    private final List<JsonNode> events = java.util.Collections.synchronizedList(new ArrayList<>());

    /** A tab: its target and the protocol session attached to it. */
    record Tab(String target, String session) {}

    Chromium() throws Exception {
        profile = Files.createTempDirectory("jmck-chromium-");
        process = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1600,1100",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        Path port = profile.resolve("DevToolsActivePort");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(port) || Files.readAllLines(port).size() < 2) {
            if (System.nanoTime() > end || !process.isAlive())
                throw new IOException("chromium did not start: " + Files.readString(profile.resolve("chromium.log")));
            Thread.sleep(50);
        }
        List<String> lines = Files.readAllLines(port);
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + lines.get(0) + lines.get(1)), new Listener())
                .get(30, TimeUnit.SECONDS);
    }

    static boolean available() {
        return Files.isExecutable(BINARY);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(text.toString());
                    if (m.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
                        if (f != null)
                            f.complete(m);
                    } else {
                        events.add(m);
                    }
                } catch (IOException e) {
                    // not JSON: ignore
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    /** Sends a protocol command (to session, or to the browser when null) and waits for its result. */
    JsonNode send(String session, String method, Map<String, Object> params) {
        int id = ids.incrementAndGet();
        ObjectNode m = JSON.createObjectNode().put("id", id).put("method", method);
        m.set("params", JSON.valueToTree(params));
        if (session != null)
            m.put("sessionId", session);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            socket.sendText(m.toString(), true).get(30, TimeUnit.SECONDS);
            JsonNode r = f.get(60, TimeUnit.SECONDS);
            if (r.has("error"))
                throw new IllegalStateException(method + ": " + r.get("error"));
            return r.get("result");
        } catch (InterruptedException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(method + " got no answer: " + e, e);
        }
    }

    /** Opens url in a new tab; network events of the tab are recorded from the start. */
    Tab open(String url) {
        String target = send(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId").asText();
        String session = send(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true)).get("sessionId").asText();
        send(session, "Network.enable", Map.of());
        send(session, "Page.enable", Map.of());
        send(session, "Page.navigate", Map.of("url", url));
        return new Tab(target, session);
    }

    void close(Tab tab) {
        send(null, "Target.closeTarget", Map.of("targetId", tab.target()));
    }

    /** The value of a JavaScript expression in tab (promises awaited); null if it threw. */
    JsonNode eval(Tab tab, String expression) {
        JsonNode r = send(tab.session(), "Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.has("exceptionDetails"))
            return null;
        return r.get("result").get("value");
    }

    /** Waits until expression is truthy in tab and returns its value; fails after seconds with what. */
    JsonNode waitFor(Tab tab, String expression, int seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonNode v = null;
        while (System.nanoTime() < end) {
            v = eval(tab, expression);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean()) && !(v.isTextual() && v.asText().isEmpty())
                    && !(v.isNumber() && v.asDouble() == 0))
                return v;
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what + " (" + expression + " was " + v + ")");
    }

    /** Presses a key in tab, as a user typing it. */
    void key(Tab tab, String key) {
        for (String type : new String[] {"keyDown", "keyUp"})
            send(tab.session(), "Input.dispatchKeyEvent", Map.of("type", type, "key", key, "text", key));
    }

    /** Moves the mouse to (x, y) in tab's viewport. */
    void mouse(Tab tab, double x, double y) {
        send(tab.session(), "Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", x, "y", y));
    }

    /** The URLs tab has requested so far. */
    List<String> requests(Tab tab) {
        List<String> urls = new ArrayList<>();
        synchronized (events) {
            for (JsonNode e : events)
                if (tab.session().equals(e.path("sessionId").asText()) && e.path("method").asText().equals("Network.requestWillBeSent"))
                    urls.add(e.path("params").path("request").path("url").asText());
        }
        return urls;
    }

    @Override
    public void close() {
        try {
            send(null, "Browser.close", Map.of());
        } catch (RuntimeException e) {
            // it is going anyway
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
        }
        try (var files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary profile left behind
        }
    }
}
