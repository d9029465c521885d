package jmck.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: ptrace(2) between guest processes (ENOSYS before), as LTP's ptrace tests use it: a guest tracing
 * another guest compared with the same program run natively, on two cores.
 */
class PtraceTest {
    /**
     * TRACEME and signal-delivery stops reported by wait (an ignored signal too), the stop's siginfo, PEEK and
     * POKE of the tracee's memory, CONT dropping or passing the signal, KILL, GETREGS/SETREGS (a new rip),
     * PEEKUSER, GETFPREGS, GETREGSET, the debug registers' checks, ATTACH to a running and to a job-stopped
     * child (usable at once), DETACH, the SIGTRAP after a tracee's execve, and the errors.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc", "musl"})
    void guestTracesGuest(String flavor) {
        Guests.runsAsOnLinux(Guests.guest(flavor, "ptrace").toString(), "--cores", "2").assertHasLines(
                "TRACEME child sends itself SIGUSR1: stopped by 10", "GETSIGINFO: 0, signo 10, SI_USER 1, from the child 1",
                "PEEKDATA: 0x1234 0", "the handler did not run, the poked word is read: exited 66",
                "CONT with SIGUSR1: the handler ran: exited 152", "an ignored SIGUSR2 stops a tracee: stopped by 12",
                "after KILL: killed by 9", "GETREGS: 0, PEEKUSER of rip agrees: 1, orig_rax is kill's: 1",
                "GETREGS to address 1: EFAULT", "PEEKUSER at offset 1: EIO", "PEEKDATA at 0: EIO",
                "GETFPREGS: 0, cwd 0x37f, mxcsr 0x1f80", "GETREGSET NT_PRSTATUS: 0, 216 bytes",
                "POKEUSER DR0 in the kernel's half: EINVAL", "DR0 then: 0x1, DR7: 0x1", "POKEUSER DR4: EIO",
                "it ran there: exited 9", "it stops: stopped by 19", "ATTACH again: EPERM", "ATTACH to myself: EPERM",
                "ATTACH to a reaped pid: ESRCH", "ATTACH to a zombie: EPERM", "CONT after DETACH: ESRCH", "it ran on untraced: killed by 15",
                "POKEUSER at once: 0", "PEEKUSER DR0: 2", "continued: exited 0",
                "TRACEME twice, EPERM the second time: exited 0", "a tracee's execve: stopped by 5",
                "its new program: exited 7");
    }

    /**
     * A child sent a handled signal, or attached, before its first instruction returns 0 from fork all the
     * same (guest-images/src/fork_early.c): before the fix a quarter of them ran their fork again as read(2)
     * and took the parent's path with -1 EBADF, since delivery read rip from the child's copy of its
     * parent's registers, still on the syscall instruction. 100 children each way.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gcc/2", "musl/2", "gcc/exact"})
    void aChildSignalledOrAttachedBeforeItRunsReturnsZeroFromFork(String flavorAndCores) {
        String[] f = flavorAndCores.split("/");
        String[] options = f[1].equals("exact") ? new String[] {"--exact", "--cores", "2"} : new String[] {"--cores", f[1]};
        Guests.runsAsOnLinux(Guests.guest(f[0], "fork_early").toString(), options).assertHasLines(
                "a handled signal at once: 100 of 100 children returned 0 from fork",
                "PTRACE_ATTACH at once: 100 of 100 children returned 0 from fork");
    }
}
