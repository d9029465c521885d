package jmck.lwk.abi;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Random bytes from the host kernel's generator (/dev/urandom): what Linux's getrandom and AT_RANDOM give a
 * program. java.security.SecureRandom reads the same source, but its first use initialises Java's security
 * providers, some milliseconds of every `jmck run` (hello needs AT_RANDOM).
 */
public final class KernelRandom {
    private static InputStream urandom;

    private KernelRandom() {}

    /** Fills b. */
    public static synchronized void fill(byte[] b) {
        try {
            if (urandom == null)
                urandom = new FileInputStream("/dev/urandom");
            if (urandom.readNBytes(b, 0, b.length) != b.length)
                throw new IOException("short read");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /dev/urandom", e);
        }
    }
}
