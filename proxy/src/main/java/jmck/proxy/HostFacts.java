package jmck.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostMemory;
import jmck.emulator.host.HostStatus;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Rlimits;

/**
 * What a guest process inherits from the proxy's host process, as McKernel's mcexec passes it on:
 * credentials, resource limits, the umask and the environment (in its original order). Read as the program
 * loads, through HostBuffer and HostMemory (JNI) rather than JNA, whose start-up no run pays.
 */
public final class HostFacts {
    private static final int SYS_GETUID = 102, SYS_GETGID = 104, SYS_GETEUID = 107, SYS_GETEGID = 108,
            SYS_PRLIMIT64 = 302, SYS_GETGROUPS = 115;

    private HostFacts() {}

    public static Credentials credentials() {
        long uid = HostSyscall.call(SYS_GETUID, 0, 0, 0), gid = HostSyscall.call(SYS_GETGID, 0, 0, 0);
        long euid = HostSyscall.call(SYS_GETEUID, 0, 0, 0), egid = HostSyscall.call(SYS_GETEGID, 0, 0, 0);
        // getgroups(0) says how many there are: a buffer for the most there can be (65,536) was 256 KB of
        // fresh memory cleared and faulted in on every run's path (0.8-0.9 ms; now 0.08)
        long count = HostSyscall.call(SYS_GETGROUPS, 0, 0, 0);
        HostBuffer list = HostBuffer.allocate(4 * Math.max(1, count));
        long n = count <= 0 ? count : HostSyscall.call(SYS_GETGROUPS, count, list.address(), 0);
        long[] groups = new long[(int) Math.max(0, n)];
        for (int i = 0; i < groups.length; i++)
            groups[i] = list.getInt(4 * i) & 0xffffffffL;
        return new Credentials(uid, euid, euid, gid, egid, egid).withGroups(groups);
    }

    /** The limits this process was started with, read before {@link #raiseFileLimit} changes one. */
    private static Rlimits inherited;
    /** The proxy's own files (the JVM's, channels, generated files) beyond the guest's: kept free for them. */
    private static final long PROXY_FILES = 128;

    /**
     * The resource limits the guest inherits: this process's, as it started; except that RLIMIT_NOFILE is
     * cut to what the proxy can hold besides its own files when it could not raise its hard limit far
     * enough (without CAP_SYS_RESOURCE), so that a guest that fills its table meets its own limit exactly.
     */
    public static synchronized Rlimits rlimits() {
        if (inherited == null) {
            inherited = read();
            raiseFileLimit();
            long room = read().hard(RLIMIT_NOFILE) - PROXY_FILES;
            long soft = inherited.soft(RLIMIT_NOFILE), hard = inherited.hard(RLIMIT_NOFILE);
            if (Long.compareUnsigned(hard, room) > 0)
                inherited.set(RLIMIT_NOFILE, Long.compareUnsigned(soft, room) > 0 ? room : soft, room);
        }
        return inherited.copy();
    }

    private static final int RLIMIT_NOFILE = 7;
    private static boolean raised;

    /**
     * Raises this process's own RLIMIT_NOFILE as far as it may (to fs.nr_open as root, else the soft limit
     * to the hard one), once. Every guest descriptor is a host descriptor of the proxy, which has files of
     * its own: without room beyond the guest's limit, a guest would run out of descriptors before its
     * RLIMIT_NOFILE says (the guest's limit is enforced by the proxy's fd table instead).
     */
    public static synchronized void raiseFileLimit() {
        if (inherited == null) {
            rlimits(); // what the guest inherits is read first, and raises
            return;
        }
        if (raised)
            return;
        raised = true;
        long max;
        try {
            max = Long.parseLong(Files.readAllLines(Paths.get("/proc/sys/fs/nr_open")).get(0).trim()); // (readString of a /proc file reads one byte)
        } catch (IOException | NumberFormatException e) {
            max = 1 << 20;
        }
        HostBuffer m = HostBuffer.allocate(16);
        long at = m.address();
        m.setLong(0, max);
        m.setLong(8, max);
        if (HostSyscall.call(SYS_PRLIMIT64, 0, RLIMIT_NOFILE, at, 0, 0, 0) != 0
                && HostSyscall.call(SYS_PRLIMIT64, 0, RLIMIT_NOFILE, 0, at, 0, 0) == 0) {
            m.setLong(0, m.getLong(8)); // not allowed to raise the hard limit: the soft one up to it
            HostSyscall.call(SYS_PRLIMIT64, 0, RLIMIT_NOFILE, at, 0, 0, 0);
        }
        java.lang.ref.Reference.reachabilityFence(m); // the calls read it by address only
    }

    private static Rlimits read() {
        long[] soft = new long[Rlimits.RLIM_NLIMITS], hard = new long[Rlimits.RLIM_NLIMITS];
        HostBuffer m = HostBuffer.allocate(16);
        for (int r = 0; r < Rlimits.RLIM_NLIMITS; r++) {
            if (HostSyscall.call(SYS_PRLIMIT64, 0, r, 0, m.address(), 0, 0) == 0) {
                soft[r] = m.getLong(0);
                hard[r] = m.getLong(8);
            } else {
                soft[r] = hard[r] = Rlimits.RLIM_INFINITY;
            }
        }
        return new Rlimits(soft, hard);
    }

    /** This process's umask, which the guest inherits as a child process would; 022 if it cannot be read. */
    public static int umask() {
        String umask = HostStatus.field("Umask");
        try {
            return umask == null ? 022 : Integer.parseInt(umask, 8);
        } catch (NumberFormatException e) {
            return 022;
        }
    }

    /** The environment of this process as the kernel gave it, in order (System.getenv() loses the order). */
    public static List<String> environment() {
        List<String> env = new ArrayList<>();
        try {
            byte[] raw = Files.readAllBytes(Paths.get("/proc/self/environ"));
            int start = 0;
            for (int i = 0; i < raw.length; i++)
                if (raw[i] == 0) {
                    if (i > start)
                        env.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
        } catch (IOException e) {
            System.getenv().forEach((k, v) -> env.add(k + "=" + v));
        }
        return env;
    }
}
