package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: signalfd and signalfd4 (ENOSYS before): the LWK's signals read through an fd of the proxy's,
 * compared with Linux.
 */
class SignalfdTest {
    /**
     * Records for kill, tgkill, sigqueue values and SIGCHLD; poll and epoll readiness that follows what is
     * pending; reads that wait for a signal sent by another process or to another thread; a new mask on an
     * existing fd; readv; a forked child reading its own signals through the inherited fd; the errors.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void signalfdAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "signalfd").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"after raise: readable 1, epoll 1 data 7", "taken: readable 0, still pending 0",
                ", code -1, pid is me, uid 0, int 100, status 0", // sigqueue's value (SIGRTMIN: 34, musl 35)
                "SIGCHLD: 128 bytes, signo 17, pid is the child 1, status 9, code CLD_EXITED 1",
                "blocking read, another process signals: 128 bytes, signo 10, from the child 1",
                "a thread's blocking read: 128 bytes, signo 10", "readv: 128 bytes, signo 12",
                "child: read 128, pid is the child's 1"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /** The same on two cores, where the sender and the blocked reader run at once. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc"})
    void signalfdOnTwoCores(String flavor) {
        String prog = Guests.guest(flavor, "signalfd").toString();
        Guests.Result linux = Guests.host(prog);
        Guests.jmck("run", "--cores", "2", prog).assertSameAs(linux);
    }
}
