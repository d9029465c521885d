package jmck.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 13: userfaultfd (ENOSYS before), the LWK's own since the page faults are: guest-images/src/userfaultfd.c
 * run natively and under jmck with the same output and status. A fault of registered memory waits until another
 * thread answers it; the modes cover both ways cores run: one host thread taking turns (the faulting thread
 * leaves the core for the handler), and a host thread per core (the fault waits on one core, the answer comes
 * from the other).
 */
class UserfaultfdTest {
    private static final String[] LINES = {"bad flags: EINVAL", "read before UFFDIO_API: EINVAL",
            "UFFDIO_API again: EINVAL", "read with nothing to read: EAGAIN",
            "message: event 0x12, flags 0, page 0, offset in page 0, thread id is the faulter's: 1",
            "read of page 0 after UFFDIO_COPY: X", "UFFDIO_COPY: 0, result 4096",
            "message: event 0x12, flags 0x1, page 1, offset in page 0, thread id is the faulter's: 1",
            "write to page 1 after UFFDIO_ZEROPAGE: 1 0", "UFFDIO_COPY over a present page: EEXIST, result -17",
            "UFFDIO_COPY outside the range: ENOENT, result -2", "page 3 faults as ordinary memory: 0",
            "page 2 after UFFDIO_MOVE: XM", "the source page is gone, reads as zero: 0",
            "message: event 0x12, flags 0x3, page 0, offset in page 0, thread id is the faulter's: 0",
            "the write was not seen while it waited: 0, then it was: W", "read of a poisoned page: SIGBUS, code 2",
            "read under UFFD_FEATURE_SIGBUS: SIGBUS, code 2", "register MINOR on private memory: -22",
            "message: event 0x12, flags 0x4, page 0, offset in page 0, thread id is the faulter's: 0",
            "memfd page after UFFDIO_CONTINUE: Z",
            "USERFAULTFD_IOC_NEW: a new fd 1, UFFDIO_API on it: 0, another ioctl: EINVAL"};

    /**
     * The handshake and its errors; UFFDIO_COPY after poll and read, UFFDIO_ZEROPAGE for a write fault,
     * UFFDIO_MOVE after a blocking read; EEXIST and ENOENT; write protection; UFFDIO_POISON and
     * UFFD_FEATURE_SIGBUS; UFFDIO_CONTINUE of a memfd page; unregistering; /dev/userfaultfd.
     */
    @ParameterizedTest
    @CsvSource({"gcc, --cores 1", "gcc, --cores 2 --exact", "gcc, --cores 2", "musl, --cores 2 --exact", "musl, --cores 2"})
    void faultsAnsweredByAnotherThread(String flavor, String options) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "userfaultfd").toString(), options.split(" ")).assertHasLines(LINES);
    }
}
