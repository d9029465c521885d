package jmck.proxy;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Rlimits;

/**
 * What a guest process inherits from the proxy's host process, as McKernel's mcexec passes it on:
 * credentials, resource limits, the umask and the environment (in its original order).
 */
public final class HostFacts {
    private static final int SYS_GETUID = 102, SYS_GETGID = 104, SYS_GETEUID = 107, SYS_GETEGID = 108,
            SYS_PRLIMIT64 = 302;

    private HostFacts() {}

    public static Credentials credentials() {
        long uid = HostSyscall.call(SYS_GETUID, 0, 0, 0), gid = HostSyscall.call(SYS_GETGID, 0, 0, 0);
        long euid = HostSyscall.call(SYS_GETEUID, 0, 0, 0), egid = HostSyscall.call(SYS_GETEGID, 0, 0, 0);
        return new Credentials(uid, euid, euid, gid, egid, egid);
    }

    public static Rlimits rlimits() {
        long[] soft = new long[Rlimits.RLIM_NLIMITS], hard = new long[Rlimits.RLIM_NLIMITS];
        Memory m = new Memory(16);
        for (int r = 0; r < Rlimits.RLIM_NLIMITS; r++) {
            if (HostSyscall.call(SYS_PRLIMIT64, 0, r, 0, HostSyscall.address(m), 0, 0) == 0) {
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
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status")))
                if (line.startsWith("Umask:"))
                    return Integer.parseInt(line.substring(6).trim(), 8);
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return 022;
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
