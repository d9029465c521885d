package jmck.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jmck.emulator.host.HostSyscall;

/**
 * Makes the JVM's class-data archives (jmck's jmck.jsa, which holds the JDK's classes too, or the JDK's own
 * classes.jsa where there is none, see
 * scripts/startup-cache.sh) private and writable in one madvise(MADV_POPULATE_WRITE) per mapping, first thing
 * in main. The JVM maps their writable parts privately from the files and writes into them as it loads
 * classes (method entry points, constant-pool caches): each first write to a page it had only read was a
 * copy-on-write fault, and while start-up's threads run on both host CPUs each such fault also flushed the
 * other CPU's TLB by interrupt. A hello world took some 500 of them after main; the copies now cost one call
 * (their pages count in the resident size: up to the archives' writable 7 MB).
 */
final class ClassArchivePages {
    private ClassArchivePages() {}

    static void populate() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) { // "from-to rw-p offset dev inode path"
                if (!line.endsWith(".jsa") || !line.contains(" rw-p "))
                    continue;
                int dash = line.indexOf('-'), space = line.indexOf(' ');
                long from = Long.parseUnsignedLong(line, 0, dash, 16);
                long to = Long.parseUnsignedLong(line, dash + 1, space, 16);
                // (a kernel older than 5.14 fails it with EINVAL: the pages then fault in as before)
                HostSyscall.call(HostSyscall.SYS_MADVISE, from, to - from, HostSyscall.MADV_POPULATE_WRITE);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // a speed-up only: without /proc (or the host call library, which the command then reports) the
            // pages fault in as they are written
        }
    }
}
