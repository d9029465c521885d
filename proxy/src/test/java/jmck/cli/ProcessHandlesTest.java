package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: the calls that name processes by fd or compare what processes share (pidfds, kcmp), and how a
 * wait ends; each a guest program run natively and under jmck with the same output and status.
 */
class ProcessHandlesTest {
    /** Runs prog natively and under jmck (with jmckArgs before it), asserts the same output; returns jmck's. */
    private static Guests.Result same(String prog, String... jmckArgs) {
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        String[] args = new String[jmckArgs.length + 2];
        args[0] = "run";
        System.arraycopy(jmckArgs, 0, args, 1, jmckArgs.length);
        args[args.length - 1] = prog;
        Guests.Result mine = Guests.jmck(args);
        mine.assertSameAs(linux);
        return mine;
    }

    private static void assertLines(Guests.Result r, String... lines) {
        for (String line : lines)
            assertTrue(r.stdout().contains(line + "\n"), line);
    }

    /**
     * pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD), CLONE_PIDFD and PIDFD_GET_INFO (all
     * ENOSYS before): a pidfd polls readable (poll and epoll, through a dup too) once its process is a
     * zombie and hung up once it is reaped; it names that process only, never a later one with its pid.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void pidfdsAsOnLinux(String flavor) {
        Guests.Result r = same(Guests.guest(flavor, "pidfd").toString());
        assertLines(r, "pidfd_open self: fd, FD_CLOEXEC: 1, O_NONBLOCK: 0", "a thread's tid: ENOENT",
                "child running: poll 0, epoll 0", "waitid P_PIDFD nonblocking while it runs: EAGAIN",
                "zombie: poll 0x1, through dup 0x1, epoll 1 data 42", "reaped: poll 0x11",
                "PIDFD_GET_INFO reaped with PIDFD_INFO_EXIT: 0, mask 0x8, exit 0x700",
                "reaped: pidfd_open ESRCH, send_signal ESRCH, waitid ECHILD, getfd ESRCH",
                "with a siginfo: 0, got 10, value 777, SI_QUEUE 1", "  read back: 1", "  waitid: pid ok 1, status 5",
                "clone3 CLONE_PIDFD: pidfd set, waitid 0, status 6");
    }

    /** The same on two cores, where the child's exit and the parent's poll run at once. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc"})
    void pidfdsOnTwoCores(String flavor) {
        same(Guests.guest(flavor, "pidfd").toString(), "--cores", "2");
    }

    /**
     * kcmp (ENOSYS before): open files shared by dup and fork, the address space of threads and vfork
     * children, and the errors in Linux's order (no task, permission, type).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void kcmpAsOnLinux(String flavor) {
        Guests.Result r = same(Guests.guest(flavor, "kcmp").toString());
        assertLines(r, "a fd and its dup: same; two opens of one file: different",
                "child: the parent's fd inherited: same, its dup: same, its own open: different",
                "a vfork child: VM same", "errors: no such pid ESRCH, type KCMP_TYPES EINVAL, type -1 EINVAL, a closed fd EBADF");
    }

    /**
     * A wait ended by the child it waits for returns the child even if the exit signal's handler has no
     * SA_RESTART (it failed with EINTR: the signal was sent before the wait looked again).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void waitEndedByItsChildIsNotInterrupted(String flavor) {
        Guests.Result r = same(Guests.guest(flavor, "wait_signal").toString());
        assertEquals(3, r.stdout().lines().filter(l -> l.startsWith("waitpid for a child that exits: the child")).count(),
                r.stdout());
    }
}
