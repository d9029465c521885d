package jmck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: Linux ABI details that programs from elsewhere (test suites, libraries) depend on, each a guest
 * program run natively and under jmck with the same output and status.
 */
class LinuxAbiTest {
    /**
     * The FPU state a process, a thread, a forked child, a signal handler and an execve'd image start with,
     * and the floating-point output of printf ("%g", "%.17g", "%La") and strtod/strtold that depends on it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "gcc-pie", "musl"})
    void fpuStartsAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "fpu").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        // lines that differed before the fix (x87 control word and MXCSR started at 0)
        for (String line : new String[] {"start: fcw 0x37f mxcsr 0x1f80", "new thread: fcw 0x37f mxcsr 0x1f80",
                "signal handler: fcw 0x37f mxcsr 0x1f80", "after the handler: fcw 0xe7f mxcsr 0x9f80",
                "after execve: fcw 0x37f mxcsr 0x1f80", "strtod: 0.10000000000000001 2.2250738585072014e-308 9007199254740992"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * A full fd table: dup2 and dup3 onto an open fd replace it (they failed with EMFILE once the host's
     * table, which holds the guest's fds and the proxy's own, was full); dup, F_DUPFD, open and pipe fail.
     * Both runs get a hard limit of 1024 so that the table fills fast.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void dupOntoAnOpenFdInAFullTable(String flavor) {
        String prog = Guests.guest(flavor, "fdtable").toString();
        Guests.Result linux = Guests.host(withFileLimit(1024, List.of(prog)));
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.host(withFileLimit(1024, Guests.jmckCommand("run", prog)));
        mine.assertSameAs(linux);
        String full = mine.stdout().substring(mine.stdout().indexOf("all fds:"));
        for (String line : new String[] {"dup: EMFILE", "dup2 onto an open fd: 0", "dup3 onto an open fd: 0",
                "F_GETFD of it: 1", "write through the replaced fd: 0"})
            assertTrue(full.contains("  " + line + "\n"), line);
    }

    /**
     * /proc/PID for the guest's own pid and its children's: status, stat (the state letter a harness waits
     * on: sleeping, stopped, zombie), statm, limits, task/, and a writable oom_score_adj that a child
     * inherits (LTP's library stopped every test because /proc/PID/oom_score_adj went to the host, where
     * the LWK's pid is someone else's or no one's); a pid that is no LWK process is ENOENT; a listing of
     * /proc names the LWK's processes, each with a stat, as ps and pgrep read it (it named the host's), and
     * so do relative paths once the working directory is /proc, as pidof reads them, and paths relative
     * to a /proc/PID directory's fd, through which killall also signals; /proc/self/fd and /dev/fd list the
     * guest's fds (they listed the proxy's).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void procForLwkPids(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "procfs").toString(), "--cores", "2").assertHasLines(
                "status by pid: read, Pid is getpid: 1, PPid is getppid: 1, Tgid: 1",
                "access oom_score_adj: 0", "write 0: 0", "read back through self: 0", "child blocked in pause: S",
                "child stopped: T", "child killed, not reaped: Z", "task entries: 3, main thread among them: 1",
                "listing of /proc: own pid in it: 1, stopped child in it: 1, each number a process: 1",
                "reaped child in the listing: 0", "lstat /proc/self/ (a trailing slash follows the link) is a directory: 1",
                "listing of /proc/self/fd: fd 9 in it: 1, its own fd: 1, every fd in it open: 1",
                "listing of /dev/fd/: fd 9 in it: 1, its own fd: 1, every fd in it open: 1",
                "through an fd of /proc/PID: stat is mine: 1, cmdline is mine: 1; pidfd_send_signal to a child's: 0, "
                        + "it ended by SIGTERM: 1",
                "after chdir(\"/proc\") (1): self/stat is mine: 1, PID/status names me: 1, . lists me: 1; back: 1, "
                        + "/proc/self/stat is mine: 1",
                "no such pid: ENOENT");
    }

    /**
     * /proc/cpuinfo describes the CPU the program runs on, as cpuid does: under jmck the emulated one, which
     * has SSE3 where this host has AVX2 (it listed the host's flags, and 2 processors whatever --cores
     * said), with as many processors as are online and the brand string as model name.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void cpuinfoDescribesTheCpuItRunsOn(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "cpuinfo").toString(), "--cores", "3").assertHasLines(
                "processors listed = online CPUs: 1", "model name is the brand string: 1", "flags agree with cpuid: 1");
    }

    /**
     * Interval timers and POSIX timers (alarm, setitimer and getitimer were declared LOCAL without a
     * handler, so they returned ENOSYS; timer_create and the rest were unsupported): periodic SIGALRM,
     * SIGPROF after CPU time, SI_TIMER signals with their value and overruns, SIGEV_THREAD_ID, SIGEV_NONE,
     * the C library's SIGEV_THREAD, absolute expiries, and a timer that expires while the program spins in
     * syscalls (a slice used to end only after 100,000 blocks, so the expiry waited); a 1 us periodic
     * ITIMER_REAL (the kernel's thread used to expire it without end, and the guest never ran again).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void timersAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "timers").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"alarm(5) after it: 100", "periodic SIGALRM: at least 3: 1",
                "1 us periodic SIGALRM, disarmed by the 1000th: 1",
                "SIGPROF after CPU time: 1", "signal: code SI_TIMER: 1, value: 1234, count: 1",
                "expired while blocked: pending: 1", "to the main thread: 1", "notify function ran: 1"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * select, pselect6, sendmsg, recvmsg (fds passed in SCM_RIGHTS, MSG_CMSG_CLOEXEC, addresses, MSG_TRUNC,
     * SIGPIPE unless MSG_NOSIGNAL) and vmsplice: the table declared them delegated, but the proxy had no
     * rule for them, so they returned ENOSYS.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void messagesAndSelect(String flavor) {
        String prog = Guests.guest(flavor, "msgio").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"recvmsg: 11 [hell|o world] flags 0",
                "read through it: 7 [through], close-on-exec: 0", "with MSG_CMSG_CLOEXEC: close-on-exec: 1",
                "select readable and writable: 2, read set: 1, write set: 1", "select with a closed fd: EBADF",
                "vmsplice out of it: 8 [vm|splice]", "sendmsg to a closed peer: EPIPE, SIGPIPE: 1"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * rt_sigqueueinfo and rt_tgsigqueueinfo (declared LOCAL without a handler): values and SI_QUEUE,
     * queued real-time signals, kernel codes refused toward others; signals to another user's process
     * refused without CAP_KILL (kill had no permission check).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void sigqueueAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "sigqueue").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"value 4242, SI_QUEUE: 1", "three queued, three delivered: 3, last value: 2",
                "rt_sigqueueinfo SI_USER to a child: EPERM", "an unprivileged user may not signal root: 1"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /** execveat (declared LOCAL without a handler): relative to a directory fd, AT_EMPTY_PATH, and its errors. */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void execveatAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "execveat").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        assertEquals(3, mine.stdout().lines().filter(l -> l.equals("  the new program runs: child")).count(), mine.stdout());
    }

    /**
     * Host files under the guest's ids: a root guest that drops to another uid is refused what that uid may
     * not touch (every delegated call ran as the proxy, root: LTP's "as nobody" checks succeeded), access()
     * checks the real ids, setfsuid moves what open checks, and created files belong to the guest's uid.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void hostFilesUnderTheGuestsIds(String flavor, @TempDir Path nativeDir, @TempDir Path jmckDir) throws IOException {
        for (Path d : new Path[] {nativeDir, jmckDir}) // the uid the guest drops to must reach its directory
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        String prog = Guests.guest(flavor, "fsperm").toString();
        Guests.Result linux = Guests.host(prog, nativeDir.toString());
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog, jmckDir.toString());
        mine.assertSameAs(linux);
        if (!linux.stdout().startsWith("not root"))
            for (String line : new String[] {"open a 0600 root file: EACCES", "open it for writing: EACCES",
                    "access R_OK of the 0600 file: EACCES", "a file it creates belongs to it: 1",
                    "open the 0600 file again: ok"})
                assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * Signals end blocking calls the proxy runs on the host (they ran on: a read from a pipe, a poll ignored
     * SIGALRM, and pthread_cancel of a thread blocked in one hung): EINTR without SA_RESTART, the read goes on
     * with it, poll fails either way, an ignored signal changes nothing, a signal from another process,
     * cancellation with its cleanup handlers, and the signal masks ppoll and pselect wait with (they were not
     * applied: a signal the thread blocks and the call lets through did not end it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void signalsInterruptDelegatedCalls(String flavor) {
        String prog = Guests.guest(flavor, "interrupts").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmckWithin(60, "run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("read, handler without SA_RESTART: EINTR, handler ran 1",
                "read, handler with SA_RESTART: 1 byte, handler ran 1", "poll, handler with SA_RESTART: EINTR, handler ran 1",
                "read, SIGUSR1 from another process: EINTR, handler ran 1",
                "pthread_cancel of a thread blocked in read: 0, join 0, PTHREAD_CANCELED 1",
                "pthread_cancel of a thread blocked in poll: 0, join 0, PTHREAD_CANCELED 1",
                "ppoll with SIGUSR2 let through: EINTR, handler ran 1, SIGUSR2 blocked again: 1",
                "pselect with SIGUSR2 let through: EINTR, handler ran 1, SIGUSR2 blocked again: 1",
                "epoll_pwait with SIGUSR2 let through: EINTR, handler ran 1, SIGUSR2 blocked again: 1",
                "ppoll timing out: 0, SIGUSR2 blocked again: 1", "ppoll with SIGUSR2 pending, let through: EINTR, handler ran 1",
                "pipe and close with signals coming: 0 failed, handler ran: 1");
    }

    /**
     * Robust mutexes (the robust list was never walked: the next locker waited for ever): a thread that
     * exits holding one, a thread exiting while another waits on it, a process that exits or is killed
     * holding a process-shared one; the list's words as the kernel leaves them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void robustMutexesPassOnOwnerDeath(String flavor) {
        String prog = Guests.guest(flavor, "robust").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("thread exited holding it, lock: EOWNERDEAD",
                "blocked while the holder exited, lock: EOWNERDEAD", "process exited holding a shared one, lock: EOWNERDEAD",
                "holder killed (signal 9), lock: EOWNERDEAD",
                "owned with waiters: 0xc0000000, owned by another: unchanged, pending: 0x40000000");
    }

    /**
     * RLIMIT_AS and RLIMIT_DATA make allocations fail with ENOMEM (they were not checked: malloc succeeded
     * past them, and a glibc program that filled its address space and set RLIMIT_DATA to 0 was killed for
     * memory): mmap, malloc, sbrk, mprotect to writable and mremap past them; shared, read-only and PROT_NONE
     * memory is not data; a soft limit of 0 lets data grow to the hard limit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void memoryLimitsFailAllocations(String flavor) {
        String prog = Guests.guest(flavor, "memlimits").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmckWithin(120, "run", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines(
                "RLIMIT_AS 256 MiB: mmap 512 MiB PROT_NONE: ENOMEM, mmap 1 MiB: ok, malloc 300 MiB: ENOMEM, malloc 1 MiB: ok",
                "  mremap 16 -> 400 MiB: ENOMEM, 16 -> 32 MiB: ok",
                "RLIMIT_DATA 0: malloc 1 MiB: NULL (errno ENOMEM), sbrk 64 KiB: ENOMEM",
                "  private writable mmap: ENOMEM, shared writable: ok, read-only: ok, PROT_NONE: ok, mprotect it writable: ENOMEM",
                "  1000 GiB of PROT_NONE mappings, then malloc 4 MiB: NULL (errno ENOMEM)",
                "RLIMIT_DATA soft 0, hard 64 MiB: mmap 8 MiB: ok, mmap 128 MiB: ENOMEM");
    }

    /**
     * Priority-inheritance futexes (FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI were ENOSYS: a
     * PTHREAD_PRIO_INHERIT mutex failed under contention): contended PI mutexes, the raw calls' errors and
     * deadlines, the hand-over to a waiter, and a robust PI mutex whose owner exits.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void priorityInheritanceFutexes(String flavor) {
        String prog = Guests.guest(flavor, "pi_futex").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmckWithin(60, "run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("4 threads x 2000 increments under a PI mutex: 8000",
                "LOCK_PI again: EDEADLK, TRYLOCK_PI: EDEADLK", "held by another thread: TRYLOCK_PI: EAGAIN, UNLOCK_PI: EPERM",
                "LOCK_PI with a deadline 30 ms on: ETIMEDOUT, waiters bit set: 1",
                "LOCK_PI waits for the unlock: 0, the word is mine: 1, owner was 1",
                "robust PI mutex, owner exited while we waited: EOWNERDEAD");
    }

    /**
     * name_to_handle_at and open_by_handle_at (ENOSYS before): a handle's size told by EOVERFLOW, the same
     * handle through a path, a directory fd and AT_EMPTY_PATH, the file opened again by it (O_CLOEXEC kept),
     * the errors, and EPERM once the process dropped root.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void fileHandles(String flavor) {
        String prog = Guests.guest(flavor, "handles").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("handle_bytes 0: EOVERFLOW, size now given: 1",
                "relative to a directory fd: 0, same handle 1, same mount 1",
                "open_by_handle_at: fd, FD_CLOEXEC 0, reads: 9 [handle me]",
                "with O_CLOEXEC through the directory's mount: FD_CLOEXEC 1");
    }

    /**
     * fcntl record locks between guest processes (the host saw one proxy process: they never conflicted,
     * and any close dropped every process's locks), F_GETLK naming the holder, F_SETLKW waiting, EDEADLK
     * (also for a waiter that a third process's unlock leaves in a cycle: it waited for ever),
     * OFD locks, and F_SETOWN(_EX)/F_SETSIG (F_SETOWN went to the host with the guest's pid; the others
     * failed with EINVAL) and leases.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void recordLocksBetweenProcesses(String flavor, @TempDir Path nativeDir, @TempDir Path jmckDir) {
        String prog = Guests.guest(flavor, "locks").toString();
        Guests.Result linux = Guests.host(prog, nativeDir.resolve("f").toString());
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog, jmckDir.resolve("f").toString());
        mine.assertSameAs(linux);
        mine.assertHasLines("child: write-lock 2+2: EAGAIN", "child: F_GETLK write 0+16: write 0+4 by the parent",
                "child: after closing its fd, still locked out of 0+4: EAGAIN",
                "child: after the parent closed a duplicate: write-lock 0+16: 0",
                "child: F_SETLKW on what the parent held got it: 1",
                "parent: F_SETLKW on the child's lock while it waits for ours: EDEADLK",
                "delayed deadlock: the waiter woken into it gets EDEADLK: 1",
                "delayed deadlock: the other waiter then gets its lock: 1", "F_SETSIG SIGUSR1: 0, F_GETSIG: 10");
    }

    /**
     * System V IPC between processes (all ENOSYS before): message queues with types, a waiting receiver, EIDRM
     * on removal; semaphores with atomic operations, a waiter counted and woken, semtimedop's timeout,
     * SEM_UNDO at exit; shared memory attached by parent and child, attach counts, removal while attached.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void systemVIpcAsOnLinux(String flavor) {
        String prog = Guests.guest(flavor, "sysvipc").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        for (String line : new String[] {"msgrcv type -6 (lowest up to 6): 5 [five]",
                "a waiting receiver got the message sent later: 1", "the waiter got EIDRM: 1",
                "GETNCNT while it waits: 1", "child added 3 with SEM_UNDO: 1, after it ended: 0",
                "the child saw the parent's writes: 1, attached while it ran: 3", "the parent sees the child's: child wrote",
                "shmdt: 0, then IPC_STAT: EINVAL"})
            assertTrue(mine.stdout().contains(line + "\n"), line);
    }

    /**
     * Keys and the new mount API, delegated (ENOSYS before): a key added, read, described, updated, found
     * and revoked; a tmpfs made with fsopen, fsconfig and fsmount, moved into place, cloned with open_tree,
     * reconfigured through fspick, made read-only with mount_setattr; bad pointers EFAULT, unknown
     * operations EOPNOTSUPP, an fd that is not open EBADF. Run three times: the proxy's workers must all
     * see the process keyring (a key added through one worker was unreadable through another).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void keysAndTheMountApi(String flavor) {
        String prog = Guests.guest(flavor, "hostres").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        for (int i = 0; i < 3; i++) {
            Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
            mine.assertSameAs(linux);
            mine.assertHasLines("read: 7 [payload]", "update: 0, read: 11 [new payload]", "search finds it: 1",
                    "read into a bad buffer: EFAULT", "operation 999: EOPNOTSUPP", "fsconfig on fd 999: EBADF",
                    "a tmpfs there: 1, of 1M: 1", "reconfigured: 0 0, of 2M: 1", "then a write: E30", "umount: 0");
        }
    }

    /**
     * The working directory is a process's: a forked child's chdir and fchdir moved its parent too (the proxy
     * serving both is one host process), which LTP's library met when its test child entered the mount
     * point; a thread's chdir still moves its process, and a child starts where its parent is.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void workingDirectoryPerProcess(String flavor) {
        String prog = Guests.guest(flavor, "cwd").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", "--cores", "2", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("parent after the child's chdir: []", "parent after the child's fchdir: []",
                "after a thread's chdir: [/b], a relative open: 1", "a child forked now starts in [/b]");
    }

    /**
     * Delegated calls that need a capability fail with EPERM for a guest without it, as root with
     * CAP_SYS_ADMIN dropped and as another user: mount, umount2, sethostname, swapon, fsopen, settimeofday,
     * chroot and acct succeeded, the proxy having every capability (its worker now takes on the guest's).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void capabilitiesCheckedOnTheHost(String flavor) {
        String prog = Guests.guest(flavor, "privileges").toString();
        Guests.Result linux = Guests.host(prog);
        assertEquals(0, linux.status(), linux.stderr());
        Guests.Result mine = Guests.jmck("run", prog);
        mine.assertSameAs(linux);
        mine.assertHasLines("root without CAP_SYS_ADMIN: mount: EPERM", "root without CAP_SYS_ADMIN: swapon: EPERM",
                "user 65534: sethostname to its own name: EPERM", "user 65534: settimeofday: EPERM",
                "user 65534: chroot: EPERM", "user 65534: acct: EPERM");
    }

    /** cmd run with RLIMIT_NOFILE set to limit (soft and hard), as `ulimit -n` sets it. */
    private static String[] withFileLimit(int limit, List<String> cmd) {
        List<String> all = new ArrayList<>(List.of("/bin/sh", "-c", "ulimit -n " + limit + " && exec \"$@\"", "sh"));
        all.addAll(cmd);
        return all.toArray(String[]::new);
    }
}
