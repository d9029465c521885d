package jmck.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: calls about the LWK's own memory, futexes and signals that were ENOSYS or wrong, each a guest
 * program run natively and under jmck with the same output and status (as {@link LinuxAbiTest}).
 */
class LwkLocalCallsTest {
    /** Runs prog natively and under jmck, asserts the same output and status, and that each line is there. */
    private static void sameAsLinux(String prog, String... lines) {
        Guests.runsAsOnLinux(prog, "--cores", "2").assertHasLines(lines);
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
                "madvise DONTNEED, read-only: EPERM", "child: munmap: EPERM", "sealed range in maps: rw-p",
                "pkey_mprotect over the seal: EPERM", "pkey_free of a key not allocated: EINVAL");
    }

    /**
     * NUMA memory policies (ENOSYS before, which libnuma's start-up in every ps run made jmck log): the
     * thread's (set_mempolicy, inherited by a new thread and a forked child), a range's (mbind, kept by fork,
     * not applied over a hole), MPOL_F_ADDR, MPOL_F_NODE and MPOL_F_MEMS_ALLOWED, with Linux's checks. The
     * LWK is one node; so must the host be for its answers to be the same.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void memoryPoliciesOnOneNode(String flavor) throws java.io.IOException {
        java.nio.file.Path possible = java.nio.file.Path.of("/sys/devices/system/node/possible");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(possible)
                && java.nio.file.Files.readString(possible).trim().equals("0"), "the host is not one NUMA node");
        sameAsLinux(Guests.guest(flavor, "mempolicy").toString(), "after bind: mode 0x2, nodes 0x1, higher words zeroed: 1",
                "static keeps the nodes given: mode 0x8001, nodes 0x21, higher words zeroed: 1",
                "bind to node 1 only: EINVAL", "bind with an unreadable mask: EFAULT",
                "page 1: mode 0x2, nodes 0x1, higher words zeroed: 1", "unmapped page 3: EFAULT",
                "mbind over the hole: EFAULT", "page 2 after mbind over the hole: mode 0x2, nodes 0x1, higher words zeroed: 1",
                "a new thread's policy: mode 0x3, nodes 0x1, higher words zeroed: 1",
                "a forked child's page 1: mode 0x2, nodes 0x1, higher words zeroed: 1",
                "page 1 after: mode 0, nodes 0, higher words zeroed: 1");
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

    /**
     * futex_waitv (ENOSYS before): the index of the futex woken, by a thread and, on a shared futex, by
     * another process; EAGAIN when a word changed; ETIMEDOUT at an absolute deadline on either clock;
     * Linux's argument checks (flags, count, clock, size, reserved bits, alignment, bad pointers).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void futexWaitv(String flavor) {
        sameAsLinux(Guests.guest(flavor, "futex_waitv").toString(), "woken on futex 5: 5", "a word changed: EAGAIN",
                "deadline on CLOCK_REALTIME: ETIMEDOUT", "clock CLOCK_TAI: EINVAL", "64-bit size: EINVAL",
                "address 0: EFAULT", "a shared futex woken by another process: 1");
    }

    /**
     * A POSIX timer with a 1 ns interval whose first expiry lies in the past: the signal's overrun is
     * capped at INT_MAX and the handler runs (the timer expired without end meanwhile; LTP's
     * timer_settime03 timed out). The timer now waits while its signal does, as Linux's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void timerOverrunCapped(String flavor) {
        sameAsLinux(Guests.guest(flavor, "timer_overrun").toString(), "handler ran: 1, overrun capped: 1",
                "disarmed by the handler: 1");
    }

    /** remap_file_pages of a removed System V segment's last attach fails with EINVAL (it succeeded for ever). */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void remapOfARemovedSegment(String flavor) {
        sameAsLinux(Guests.guest(flavor, "shm_remap").toString(), "remap while it lives: 0, contents kept: 1",
                "remap after the removal: EINVAL", "the segment is gone: EINVAL");
    }

    /**
     * Linux's native AIO (ENOSYS before): the ring io_setup maps in the process (its header as Linux's),
     * write, read, vectored read and fsync requests with their events, reaping from the ring itself, the
     * timeout, a thread waiting in io_getevents woken by another's io_submit, RWF_NOWAIT's EAGAIN as the
     * event's result, and the errors of io_setup, io_submit, io_cancel and io_destroy.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void asynchronousIo(String flavor) {
        sameAsLinux(Guests.guest(flavor, "aio").toString(), "io_setup, nr -1: EINVAL",
                "ring: magic 0xa10a10a1, header 32, features 1/0, head 0 tail 0, room for 8: 1", "io_submit of 4: 4",
                "  data 13, obj is its iocb: 1, res 12, res2 0", "read: [asynchronous world], readv: [hello][, async]",
                "ring has 1, event data 21 res 5", "io_getevents once the ring is empty, 100 ms: 0",
                "a waiting thread got: 1, data 31 res 3", "RWF_NOWAIT read of an empty pipe: 1, event 1 res EAGAIN",
                "read of a write-only fd: EBADF", "a good request then a bad one: 1", "io_destroy again: EINVAL");
    }
}
