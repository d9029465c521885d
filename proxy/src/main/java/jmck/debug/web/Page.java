package jmck.debug.web;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The web view's one page (page.html, page.css and page.js beside this class), made self-contained: the
 * style and the script go inline, so the page loads nothing from anywhere. Live, it talks to the server
 * that sent it; exported, it carries every stop of a session as data and needs no server at all.
 */
final class Page {
    private Page() {}

    /** The page of a live session with this token. */
    static String live(String token) {
        return assemble(new Json().obj().field("mode", "live").field("token", token).end().toString());
    }

    /** A page holding a finished session: title, then the views (already JSON), transcripts and walks per stop. */
    static String export(String title, java.util.List<String> views, java.util.List<String> transcripts,
            java.util.List<java.util.List<String>> walks) {
        Json j = new Json().obj().field("mode", "export").field("title", title);
        j.key("views").arr();
        for (String v : views)
            j.raw(v);
        j.end().key("transcripts").arr();
        for (String t : transcripts)
            j.value(t);
        j.end().key("walks").arr();
        for (java.util.List<String> l : walks) {
            j.arr();
            for (String w : l)
                j.raw(w);
            j.end();
        }
        return assemble(j.end().end().toString());
    }

    private static String assemble(String config) {
        // The config last: it holds the user's data, which must not be searched for the other markers.
        return resource("page.html").replace("/*STYLE*/", resource("page.css")).replace("/*SCRIPT*/", resource("page.js"))
                .replace("/*CONFIG*/", "const JMCK = " + config + ";");
    }

    private static String resource(String name) {
        try (InputStream in = Page.class.getResourceAsStream(name)) {
            if (in == null)
                throw new IllegalStateException("the web page's " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the web page's " + name + ": " + e.getMessage());
        }
    }
}
