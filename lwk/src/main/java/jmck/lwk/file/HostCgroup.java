package jmck.lwk.file;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The cgroup the instance's processes are in, as PIDFD_GET_INFO reports it: the host's cgroup v2 of this
 * process (an instance is one host cgroup), by its id (the inode number of its directory); 0 if unknown.
 */
final class HostCgroup {
    private static volatile long id = -1;

    private HostCgroup() {}

    static long id() {
        long v = id;
        if (v < 0) {
            v = 0;
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/cgroup")))
                    if (line.startsWith("0::")) {
                        Object ino = Files.getAttribute(Path.of("/sys/fs/cgroup" + line.substring(3)), "unix:ino");
                        v = ((Number) ino).longValue();
                    }
            } catch (Exception e) {
                v = 0; // no cgroup v2 here
            }
            id = v;
        }
        return v;
    }
}
