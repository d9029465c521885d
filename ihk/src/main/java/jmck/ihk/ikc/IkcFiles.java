package jmck.ihk.ikc;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the IKC files of one LWK instance (or of one `jmck run`) are: one directory that holds the
 * instance's doorbell, a channel per process and the files the LWK generates for the proxy. The LWK
 * creates them; mcexec is told the directory and finds each file by the same names.
 *
 * @param directory RUNTIME/osN.ikc for instance N, or /dev/shm/jmck-PID-* for `jmck run`
 */
public record IkcFiles(Path directory) {
    /** Instance os's directory under the IHK runtime directory. */
    public static IkcFiles ofInstance(Path runtime, int os) {
        return new IkcFiles(runtime.resolve("os" + os + ".ikc"));
    }

    /** The instance's doorbell (see {@link Doorbell}). */
    public Path doorbell() {
        return directory.resolve("bell");
    }

    /** Signals the host raised for guests' files, from the proxies to the LWK (see {@link SignalQueue}). */
    public Path signals() {
        return directory.resolve("signals");
    }

    /** Process pid's channel (see {@link IkcChannel}). */
    public Path channel(int pid) {
        return directory.resolve("ikc." + pid);
    }

    /** A generated file's contents (/proc), written by the LWK for {@link IkcCall#OPEN_GENERATED}'s token. */
    public Path generated(long token) {
        return directory.resolve("gen." + token);
    }

    /** What the guest wrote to writable generated file token, put here by the proxy for the LWK to take. */
    public Path written(long token) {
        return directory.resolve("written." + token);
    }

    /**
     * Deletes f and, if it is a directory (not a link to one), what it holds. Best effort: what cannot be
     * deleted, or comes meanwhile, stays. Not Files.walk: its streams, comparators and lambdas are linked
     * in the interpreter the first time, some 2 ms of every run's exit.
     */
    public static void deleteTree(Path f) {
        deleteTree(f.toFile());
    }

    private static void deleteTree(java.io.File f) {
        java.io.File[] inside = Files.isSymbolicLink(f.toPath()) ? null : f.listFiles();
        if (inside != null)
            for (java.io.File e : inside)
                deleteTree(e);
        f.delete();
    }
}
