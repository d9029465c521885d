package jmck.lwk.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Directories made for a guest to list where the host's would list the wrong things (/proc itself, a
 * /proc/self/fd): each open gets a fresh one, PREFIX.N under a parent directory, filled by the caller with
 * links and empty directories, and the one before the last is deleted then (a reader of it would see it end
 * early). On tmpfs a directory lists its newest entry first, so a caller that makes its entries in reverse
 * gets them listed in order.
 */
public final class Listings {
    private final Path parent;
    private final String prefix;
    private long made;

    public Listings(Path parent, String prefix) {
        this.parent = parent;
        this.prefix = prefix;
    }

    /** A new, empty listing directory (its parent made if missing); the one before the last is deleted. */
    public synchronized Path next() throws IOException {
        Path d = parent.resolve(prefix + "." + ++made);
        Files.createDirectories(d);
        Path old = parent.resolve(prefix + "." + (made - 2));
        if (Files.isDirectory(old, LinkOption.NOFOLLOW_LINKS)) {
            try (var entries = Files.newDirectoryStream(old)) {
                for (Path e : entries)
                    Files.deleteIfExists(e); // a link, or an empty directory: nothing is followed
            }
            Files.deleteIfExists(old);
        }
        return d;
    }
}
