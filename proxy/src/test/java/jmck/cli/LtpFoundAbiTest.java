package jmck.cli;

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
        Guests.runsAsOnLinux(Guests.guest(flavor, "fsize").toString()).assertHasLines("write across the limit: 4096", "write at the limit: EFBIG, SIGXFSZ: 1",
                "pwrite past it: EFBIG, SIGXFSZ: 2", "ftruncate past it: EFBIG, SIGXFSZ: 4",
                "truncate past it: EFBIG, SIGXFSZ: 5", "append across it: 3996",
                "child with the default action: killed by SIGXFSZ");
    }

    /**
     * clone08, signal06, clock_nanosleep01: clone(CLONE_PARENT) gave the child its caller as parent (an
     * orphan once the caller exited); a signal frame that could not be written (an alternate stack made
     * read-only) killed the process where Linux runs the SIGSEGV handler; clock_nanosleep interrupted by a
     * handler said EINTR where the remaining time could not be written (EFAULT); membarrier01: membarrier
     * knew no command; execveat03: fexecve of a file with no name (a memfd) failed with ENOENT;
     * personality02: select wrote the time left even with STICKY_TIMEOUTS; mmap13, futex_wake05: a page
     * past the end of a mapped file read as zeros (Linux: SIGBUS, and EFAULT for a syscall); ioctl01:
     * grantpt and unlockpt failed (ENOTTY for the pseudo-terminal ioctls), so no pty could be opened;
     * name_to_handle_at02: with EOVERFLOW the mount id was not written, so a bad pointer went unnoticed;
     * ioprio_set02: ioprio_get said best-effort after class NONE was set; ioctl_ficlone02: FICLONERANGE was
     * ENOTTY; sockioctl01: SIOCGIFCONF and the interface requests were ENOTTY; setrlimit06: RLIMIT_CPU
     * was kept but never enforced; memfd_create01: mprotect made a shared mapping of a file opened
     * read-only writable; mprotect01: /dev/zero could not be mapped (ENODEV); times03: all CPU time was
     * user time, and a reaped child's system time was 0; madvise12: MADV_GUARD_INSTALL was EINVAL.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void parentsSignalFramesAndSleeps(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "ltp_found").toString()).assertHasLines(
                "CLONE_PARENT: the caller's parent waits for the child: 1, its parent was the caller's parent: 1",
                "a frame on a read-only alternate stack: SIGHUP handled 0, SIGSEGV handled 1",
                "clock_nanosleep with an unwritable remaining time, interrupted: -1 EFAULT",
                "membarrier: QUERY has GLOBAL and PRIVATE_EXPEDITED: 1, bad flags: EINVAL, unregistered: EPERM, registered: 0 0, GLOBAL: 0",
                "select's timeout afterwards: 0 us, with STICKY_TIMEOUTS: 20000 us",
                "file of half a page mapped for two: the first page: no signal, the second: SIGBUS (BUS_ADRERR), a page"
                        + " of an empty file: SIGBUS (BUS_ADRERR), write from it: -1 EFAULT",
                "pseudo-terminal: master and slave open: 1, a line through it: 1",
                "name_to_handle_at with no room for the handle: EOVERFLOW, and an unwritable mount id: EFAULT",
                "I/O priority: at first 0, best-effort 3: 0x4003, none again: 0",
                "SIOCGIFCONF: 0, some interfaces: 1, the first: lo; lo's flags: 0, up: 1; no ifreq: EFAULT",
                "RLIMIT_CPU 1 s, hard 2 s: SIGXCPU seen: 1, then killed by SIGKILL",
                "mprotect to writable: a shared read-only file: EACCES, a private one: 0, /dev/zero read-only: EACCES;"
                        + " /dev/zero shared with a child: 42, reads zero at first: 1",
                "times: user time grew: 1, system time grew: 1; after a child: its user time: 1, system time: 1,"
                        + " getrusage(RUSAGE_CHILDREN) agrees: 1",
                "guard pages: installed: 0, a child touching one: SIGSEGV, beside them: exits; write from one: EFAULT;"
                        + " removed: 0, then it reads 0 and a child touching it exits",
                "fexecve of a memfd: runs");
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
        Guests.runsAsOnLinux(Guests.guest(flavor, "mlock").toString()).assertHasLines("VmLck grew by: 12 kB, resident pages: 3", "smaps of the locked part: Rss 12 kB, Locked 12 kB",
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
        Guests.runsAsOnLinux(Guests.guest(flavor, "prctl").toString(), "--cores", "2").assertHasLines("set 70000: 0, get: 70000, in /proc: 70000", "child: inherited 70000, default after 0: 70000",
                "set 0: back to 50000", "grandchild: adopted by the subreaper: 1, subreaper flag inherited: 0",
                "wait after the child: an orphan: 1, its status: 7, SIGCHLD came: 1",
                "NoNewPrivs after PR_SET_NO_NEW_PRIVS: 1", "PR_SET_THP_DISABLE: 0, get: 1, with a stray argument: EINVAL");
    }

    /**
     * Process ids and signals (get_robust_list01, getpgid01, personality01, rt_sigqueueinfo01,
     * sched_setaffinity01, sched_setscheduler01, sched_setscheduler04, setpgid03, setpriority02, sigaction01, sysinfo01,
     * tgkill02, tgkill03, timer_create01): SA_RESETHAND cleared the whole action, tgkill took a tgid of -1
     * for any and never ran out of queue, a thread's id named no process, SIGEV_THREAD was EINVAL, a zombie
     * had no scheduling settings, personality was always 0, sysinfo's uptime was the instance's, and pid 1
     * (init, on the host) was ESRCH for every call.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void processIdsAndSignals(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "procids").toString(), "--cores", "2").assertHasLines("SA_RESETHAND: handler ran: 1, SA_SIGINFO kept and handler reset: 1",
                "tgkill with tgid -1: EINVAL, with tid -1: EINVAL", "tgkill of a real-time signal past RLIMIT_SIGPENDING: EAGAIN",
                "rt_sigqueueinfo to a thread's id: 0, taken by the process: 1, value 42",
                "timer_create with SIGEV_THREAD (the raw call): 0", "a child inherits it: 1",
                "sched_getparam of a zombie: 0, priority 0, sched_getscheduler: 0",
                "setpgid of a child after its execve: EACCES",
                "sysinfo uptime matches /proc/uptime: 1", "getpgid(1) is /proc/1/stat's: 1, getsid(1) too: 1",
                "as another user: setpriority of init: EPERM, sched_setscheduler of init: EPERM",
                "as another user: get_robust_list of init: EPERM, sched_setaffinity of root's process: EPERM");
    }

    /**
     * Signals the kernel raises for a file go to the owner the guest set (fcntl31, fcntl33, fcntl38,
     * fcntl39): O_ASYNC with and without F_SETSIG, owners by process, group and thread; F_NOTIFY's signal
     * is pending when the chmod that raised it returns, and a forked child closing its copy of the watched
     * directory takes nothing away; a lease break's SIGIO reaches the holder. The host sent them all to the
     * proxy, which ignored them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void signalsForAnFdsOwner(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "fdsignals").toString()).assertHasLines(
                "O_ASYNC, F_SETSIG SIGUSR1, owner the process: the expected signal: 1, si_fd is the fd: 1, si_code POLL_IN: 1, si_band has POLLIN: 1",
                "O_ASYNC without F_SETSIG: the expected signal: 1, si_code SI_KERNEL: 1",
                "owner the process group: the expected signal: 1, si_fd is the fd: 1, si_code POLL_IN: 1, si_band has POLLIN: 1",
                "owner the thread (F_SETOWN_EX): the expected signal: 1, si_fd is the fd: 1, si_code POLL_IN: 1, si_band has POLLIN: 1",
                "after chmod: notified: 1, si_fd is the directory's: 1",
                "after rename of the watched subdirectory: notifications: 1, si_fd is the parent's: 1",
                "the lease holder got SIGIO: 1, F_SETLEASE F_UNLCK: 0, the breaker's open went on: 1");
    }

    /**
     * fork09: a process that fills its fd table forks, and the child uses and closes every fd. The proxy
     * held a host fd per guest fd of every process, so the child's copies went past the proxy's limit
     * (EMFILE); forked tables share host fds now. Per table: what an fd names after dup2, FD_CLOEXEC; per
     * open file: the offset and O_APPEND.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void forkWithAFullFdTable(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "forkfds").toString()).assertHasLines(
                "child: dup2 over a shared fd: 1, it reads /dev/null: 1",
                "parent: offset after the child's read: 1, O_APPEND the child set: 1, FD_CLOEXEC the child set: 0, still reads the file: 1",
                "filled the table: EMFILE, every fd below the limit is open: 1",
                "child: closed all but its file: 1, opens again: 1",
                "parent: the child exited 0: 1, its own fds are still open: 1");
    }

    /**
     * execve's permission checks and ETXTBSY (creat07, execve02, execve04; prctl06 runs an execute-only
     * set-user-ID program as nobody): the proxy opened the program as itself (root), so nobody could run a
     * 0700 file, and the host never saw the LWK's programs run, so a running program could be written,
     * truncated, even replaced under its process, and a file open for writing could be executed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void execPermissionAndTextBusy(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "execperm").toString()).assertHasLines(
                "0755, as root: ran, as nobody: ran", "0700, as root: ran, as nobody: EACCES", "0644, as root: EACCES",
                "06111 (execute only), as nobody: ran", "open for writing, execve: ETXTBSY, closed again: ran",
                "while it runs: open for writing: ETXTBSY, O_TRUNC: ETXTBSY, truncate: ETXTBSY, creat: ETXTBSY, open for reading: 0",
                "after it ended: open for writing: 0");
    }
}
