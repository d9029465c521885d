package jmck.lwk.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * A process's capability sets (effective, permitted, inheritable; one bit per CAP_*), as capget reports
 * them and as the LWK checks them. A guest running as root gets what a root process on the host jmck runs
 * on gets: the host's bounding set, which a container may have cut down (often without CAP_SYS_RESOURCE).
 */
public record Capabilities(long effective, long permitted, long inheritable) {
    public static final int CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7,
            CAP_SETPCAP = 8, CAP_SYS_NICE = 23, CAP_SYS_RESOURCE = 24;
    /** Every capability Linux 6.x knows (CAP_LAST_CAP is 40). */
    public static final long ALL = (1L << 41) - 1;
    public static final Capabilities NONE = new Capabilities(0, 0, 0);

    public boolean has(int cap) {
        return (effective >>> cap & 1) != 0;
    }

    /** The sets a process with these credentials starts with: a root one the host's bounding set. */
    public static Capabilities of(Credentials c) {
        if (c.euid() != 0)
            return NONE;
        long bound = hostBound();
        return new Capabilities(bound, bound, 0);
    }

    private static long bound = -1;

    /** CapBnd of the host process the LWK runs in (all capabilities if it cannot be read). */
    public static long bound() {
        return hostBound();
    }

    static synchronized long hostBound() {
        if (bound < 0) {
            bound = ALL;
            try {
                for (String line : Files.readAllLines(Paths.get("/proc/self/status")))
                    if (line.startsWith("CapBnd:"))
                        bound = Long.parseUnsignedLong(line.substring(7).trim(), 16) & ALL;
            } catch (IOException | NumberFormatException e) {
                // keep ALL
            }
        }
        return bound;
    }
}
