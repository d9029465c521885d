package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9, wild pointers: the wildptr guest passes NULL, unmapped, kernel-half, PROT_NONE, read-only,
 * page-crossing and misaligned pointers to every pointer-taking syscall jmck implements, LWK-native and
 * delegated, and prints one line per case; under jmck the output must be native Linux's, line for line.
 */
class WildPointerTest {
    private static final String[] KINDS = {"null", "unmapped", "kernel", "prot_none", "readonly", "cross", "misaligned"};

    /** The native run: it must be the whole program, with what Linux does in the cases that matter most. */
    private static Guests.Result linux(String flavor) {
        Guests.Result r = Guests.host(Guests.guest(flavor, "wildptr").toString());
        assertEquals(0, r.status(), r.stderr());
        assertComplete(r.stdout());
        return r;
    }

    /** A few lines each of which a weaker jmck got wrong, and enough cases of every kind. */
    private static void assertComplete(String out) {
        for (String line : new String[] {
                "read             buf      cross      = 32",                                     // partial read
                "read             pipe buf cross      = -1 EFAULT, the pipe then holds 64",      // a pipe loses nothing
                "write            /dev/null null       = 64",                                    // never touched
                "readv            iov      misaligned = 64",                                     // straddling iovecs
                "stat             both     kernel     = -1 ENOENT",                              // lookup first
                "readlink         buf      cross      = 4",                                      // fits before the hole
                "readlink         size 0   null       = -1 EINVAL",
                "getdents64       buf      cross      = 240",
                "poll             fds      misaligned = 2",
                "ioctl            TCGETS   null       = -1 ENOTTY",
                "fcntl            F_SETLK  readonly   = 0",
                "sendfile         then the copy has 48 bytes",                                   // copied, then EFAULT
                "getrandom        buf      cross      = 32",
                "rt_sigaction     SIGKILL  unmapped   = -1 EFAULT",
                "rt_sigaction     then SIGUSR2 is ignored: yes",
                "sigaltstack      then the alternate stack is on: yes",
                "prlimit64        then the soft limit was lowered: yes",
                "futex            WAKE_PRIV unmapped   = 0",
                "futex            WAKE     unmapped   = -1 EFAULT",
                "wait4            status   readonly   = -1 EFAULT\nwait4            then a second wait gives ECHILD",
                "waitid           infop    cross      = 0, si_status 3",
                "prctl            then the name is wildptr-fifteen",
                "pipe             next free fd 10"}) {
            assertTrue(out.contains(line + "\n"), "missing: " + line);
        }
        for (String kind : KINDS) {
            long cases = out.lines().filter(l -> l.matches("\\S+ +\\S+ +" + kind + " += .*")).count();
            assertTrue(cases >= 130, cases + " cases of " + kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void wildPointersGetWhatLinuxGives(String flavor) {
        Guests.Result linux = linux(flavor);
        Guests.jmck("run", Guests.guest(flavor, "wildptr").toString()).assertSameAs(linux);
    }

    /** With 4 KiB pages and two cores: every buffer in separate frames, and another core's scheduler in play. */
    @Test
    void smallPagesAndTwoCores() {
        Guests.Result linux = linux("gcc-pie");
        Guests.jmck("run", "--page-size", "4k", "--cores", "2", Guests.guest("gcc-pie", "wildptr").toString())
                .assertSameAs(linux);
    }

    /** Through a separate mcexec, whose page walks and remote faults differ from the in-process proxy's. */
    @Test
    void throughMcexec(@TempDir Path runtime) {
        Map<String, String> env = Map.of("JMCK_RUNTIME_DIR", runtime.toString());
        try {
            Guests.Result boot = Guests.jmck(env, null, "ihk", "reboot", "--cpus", "1", "--mem", "256M");
            assertEquals(0, boot.status(), boot.stderr());
            Guests.Result linux = linux("musl");
            Guests.jmck(env, null, "mcexec", Guests.guest("musl", "wildptr").toString()).assertSameAs(linux);
        } finally {
            Guests.jmck(env, null, "ihk", "stop"); // never leave a daemon behind
        }
    }
}
