package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: calls about the LWK's own memory, futexes and signals that were ENOSYS or wrong, each a guest
 * program run natively and under jmck with the same output and status (as {@link LinuxAbiTest}).
 */
class LwkLocalCallsTest {
    /** Runs prog natively and under jmck, asserts the same output and status, and that each line is there. */
    private static void sameAsLinux(String prog, String... lines) {
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        for (String line : lines)
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * mseal (ENOSYS before): the argument checks; a sealed range refuses munmap, mprotect (which changes
     * what lies before it, as Linux's does), mremap, an mmap over it and MADV_DONTNEED on read-only
     * anonymous memory with EPERM; a forked child inherits the seal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void sealedMemory(String flavor) {
        sameAsLinux(Guests.guest(flavor, "mseal").toString(), "length wraps to 0: EINVAL", "over a hole: ENOMEM",
                "munmap over it: EPERM", "pages 0-1 after it (changed up to the sealed VMA): r--p",
                "mremap shrinking over it: EPERM", "mmap MAP_FIXED over it: EPERM",
                "madvise DONTNEED, read-only: EPERM", "child: munmap: EPERM", "sealed range in maps: rw-p");
    }

    /**
     * sigwait, sigwaitinfo, sigtimedwait for a signal that is not blocked and has a handler: the call takes
     * it (under jmck the handler ran and the call restarted, for ever); another signal ends it with EINTR;
     * kill of a zombie succeeds (it was ESRCH).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void sigwaitTakesUnblockedSignals(String flavor) {
        sameAsLinux(Guests.guest(flavor, "sigwait").toString(), "sigwait, SIGUSR1 not blocked: 0 sig 10, handler ran: 0",
                "sigwaitinfo: 10, si_pid is the sender: 1, handler ran: 0",
                "sigtimedwait, another signal came: EINTR, its handler ran: 1", "kill of a zombie: 0");
    }
}
