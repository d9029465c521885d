package jmck.emulator;

import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the native libraries jmck runs on: Unicorn 2.1.1 built with jmck's patches (.deps/unicorn-smp/, by
 * emulator/unicorn/build.sh), which lets cores run on parallel host threads, else Debian trixie's Unicorn
 * 2.1.1; Capstone 5 from Debian trixie; and jmck's own hook library built into emulator/target/native.
 * Setting the {@code jmck.unicorn} system property (or the JMCK_UNICORN environment variable) to
 * {@code debian} picks Debian's build even when the patched one is there (for comparisons). The project
 * root comes from the {@code jmck.root} system property, which the {@code jmck} launcher and the Maven
 * tests set.
 */
public final class NativeLibraries {
    public static final String SETUP_HINT = "run scripts/setup.sh";
    private static final String DEBIAN_LIB_DIR = ".deps/root/usr/lib/x86_64-linux-gnu";
    private static final String PATCHED_LIB = ".deps/unicorn-smp/libunicorn.so.2";

    static {
        // JNA's NativeLibrary, when this property is unset, runs `/sbin/ldconfig -p` as a child process to
        // learn the system's library path (some 100 ms of CPU at every start); jmck loads its libraries by
        // absolute path and needs no search path.
        if (System.getProperty("jna.platform.library.path") == null)
            System.setProperty("jna.platform.library.path", "");
    }

    private NativeLibraries() {}

    /** The project root: where .deps/ and emulator/target/native are. */
    public static Path root() {
        String root = System.getProperty("jmck.root");
        if (root == null || root.isEmpty())
            throw new JmckException("jmck.root is not set: start jmck with the ./jmck launcher");
        return Paths.get(root).toAbsolutePath();
    }

    private static final String HOOK_LIB = "emulator/target/native/libjmckuc.so";
    private static final String HOOK_LIB_WHAT = "jmck's native hook library";
    private static boolean hooksLoaded;

    /** The libunicorn.so.2 jmck loads: the patched build (.deps/unicorn-smp/) if present and not declined. */
    public static Path unicornFile() {
        Path patched = root().resolve(PATCHED_LIB);
        String choice = System.getProperty("jmck.unicorn", System.getenv().getOrDefault("JMCK_UNICORN", ""));
        if (!choice.equals("debian") && Files.isReadable(patched))
            return patched;
        return root().resolve(DEBIAN_LIB_DIR).resolve("libunicorn.so.2");
    }

    /** libcapstone.so.5 from .deps/. */
    public static NativeLibrary capstone() {
        return load(root().resolve(DEBIAN_LIB_DIR).resolve("libcapstone.so.5"), "Capstone 5");
    }

    /** Loads jmck's host system call library (it needs no other library) for HostSyscall's JNI methods. */
    public static void loadHost() {
        systemLoad(root().resolve("emulator/target/native/libjmckhost.so"), "jmck's host system call library");
    }

    /**
     * Loads libunicorn.so.2 ({@link #unicornFile}), then jmck's own hook library, which links against its
     * soname (so it binds to the one loaded first) and holds the JNI binding of both. Through the JVM, not
     * JNA: no JNA start-up is needed to open an engine.
     */
    public static synchronized void hooks() {
        if (hooksLoaded)
            return;
        systemLoad(unicornFile(), "Unicorn 2.1");
        systemLoad(root().resolve(HOOK_LIB), HOOK_LIB_WHAT);
        hooksLoaded = true;
    }

    /** The hook library for JNA's direct mapping (the Java hooks of stepping and tracing), after {@link #hooks}. */
    public static NativeLibrary hooksForJna() {
        hooks();
        return load(root().resolve(HOOK_LIB), HOOK_LIB_WHAT);
    }

    private static void systemLoad(Path file, String what) {
        if (!Files.isReadable(file))
            throw new JmckException(what + " not found at " + file + ": " + SETUP_HINT);
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new JmckException("cannot load " + what + " from " + file + " (" + e.getMessage() + "): " + SETUP_HINT, e);
        }
    }

    private static NativeLibrary load(Path file, String what) {
        if (!Files.isReadable(file))
            throw new JmckException(what + " not found at " + file + ": " + SETUP_HINT);
        try {
            return NativeLibrary.getInstance(file.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new JmckException("cannot load " + what + " from " + file + " (" + e.getMessage() + "): " + SETUP_HINT, e);
        }
    }
}
