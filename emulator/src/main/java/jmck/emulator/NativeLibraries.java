package jmck.emulator;

import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the native libraries jmck runs on: Debian trixie's Unicorn 2.1.1 and Capstone 5, unpacked by
 * scripts/setup.sh into the project's .deps/ folder, and jmck's own hook library built into
 * emulator/target/native. The project root comes from the {@code jmck.root} system property, which the
 * {@code jmck} launcher and the Maven tests set.
 */
public final class NativeLibraries {
    public static final String SETUP_HINT = "run scripts/setup.sh";
    private static final String DEBIAN_LIB_DIR = ".deps/root/usr/lib/x86_64-linux-gnu";

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

    /** libunicorn.so.2 from .deps/. */
    public static NativeLibrary unicorn() {
        return load(root().resolve(DEBIAN_LIB_DIR).resolve("libunicorn.so.2"), "Unicorn 2.1");
    }

    /** libcapstone.so.5 from .deps/. */
    public static NativeLibrary capstone() {
        return load(root().resolve(DEBIAN_LIB_DIR).resolve("libcapstone.so.5"), "Capstone 5");
    }

    /** jmck's host system call library (it needs no other library). */
    public static NativeLibrary host() {
        return load(root().resolve("emulator/target/native/libjmckhost.so"), "jmck's host system call library");
    }

    /** jmck's own hook library; loaded after Unicorn, whose soname it links against. */
    public static NativeLibrary hooks() {
        unicorn();
        return load(root().resolve("emulator/target/native/libjmckuc.so"), "jmck's native hook library");
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
