package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: Linux ABI details that LTP's syscall tests found wrong under jmck (docs/ltp.md, the failure
 * table), each a guest program run natively and under jmck with the same output and status.
 */
class LtpFoundAbiTest {
    /**
     * RLIMIT_FSIZE (llseek01, truncate03): the host applied only the proxy's limit, so writes and truncates
     * went past the guest's and no SIGXFSZ came. Writes across it are shortened, at it EFBIG and SIGXFSZ;
     * truncate cannot grow a file past it; pipes and devices are not limited.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void fileSizeLimit(String flavor) {
        String prog = Guests.guest(flavor, "fsize").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("write across the limit: 4096", "write at the limit: EFBIG, SIGXFSZ: 1",
                "pwrite past it: EFBIG, SIGXFSZ: 2", "ftruncate past it: EFBIG, SIGXFSZ: 4",
                "truncate past it: EFBIG, SIGXFSZ: 5", "append across it: 3996",
                "child with the default action: killed by SIGXFSZ");
    }

    /**
     * Memory locks (mlock05, mlock201, mlock203, mmap14, munlock01, munlockall01): mlock only faulted pages
     * in and the rest were no-ops, so VmLck stayed 0, smaps (the proxy's, from the host) had no such
     * mapping, MLOCK_ONFAULT faulted everything in, munlock refused an unaligned address, MAP_LOCKED and
     * mlockall locked nothing, and MADV_DONTNEED dropped locked pages. madvise (madvise02, madvise10):
     * MADV_WIPEONFORK and MADV_DONTFORK did nothing, a hole in the range and advice for the wrong kind of
     * mapping were not refused.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void memoryLocks(String flavor) {
        String prog = Guests.guest(flavor, "mlock").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("VmLck grew by: 12 kB, resident pages: 3", "smaps of the locked part: Rss 12 kB, Locked 12 kB",
                "madvise(MADV_DONTNEED) of locked memory: EINVAL", "munlock of an unaligned address: 0, VmLck grew by: 0 kB",
                "mlock across a hole: ENOMEM, VmLck grew by: 4 kB",
                "mlock2(MLOCK_ONFAULT): 0, VmLck grew by: 16 kB, resident pages: 1",
                "mmap(MAP_LOCKED): VmLck grew by: 16 kB, resident pages: 4",
                "a mapping after MCL_FUTURE: VmLck grew by: 16 kB, resident pages: 4", "forked child: VmLck 0",
                "munlockall: 0, VmLck 0", "MADV_WIPEONFORK of shared memory: EINVAL", "MADV_NORMAL across a hole: ENOMEM",
                "child: wiped page reads 0, mincore of the MADV_DONTFORK page: ENOMEM", "parent: the page still reads 7");
    }

    /**
     * prctl (prctl02, prctl03, prctl06, prctl08, prctl09): PR_SET_TIMERSLACK, PR_SET_CHILD_SUBREAPER,
     * PR_SET_THP_DISABLE, PR_SET_TIMING, PR_GET_SECUREBITS and PR_CAP_AMBIENT were EINVAL, an orphan always
     * went to init, and /proc/self/status always said NoNewPrivs 0.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void prctlSettings(String flavor) {
        String prog = Guests.guest(flavor, "prctl").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("set 70000: 0, get: 70000, in /proc: 70000", "child: inherited 70000, default after 0: 70000",
                "set 0: back to 50000", "grandchild: adopted by the subreaper: 1, subreaper flag inherited: 0",
                "wait after the child: an orphan: 1, its status: 7, SIGCHLD came: 1",
                "NoNewPrivs after PR_SET_NO_NEW_PRIVS: 1", "PR_SET_THP_DISABLE: 0, get: 1, with a stray argument: EINVAL");
    }
}
