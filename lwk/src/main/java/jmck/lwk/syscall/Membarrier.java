package jmck.lwk.syscall;

import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Thread;

/**
 * membarrier(2): every thread of the process (or of every process) that runs on a core has passed a full
 * memory barrier when the call returns. The guest's cores are host threads of this process, so the host's
 * own membarrier over this process does it: its expedited form interrupts the host CPUs that run this
 * process's threads (Linux's IPIs). Registrations belong to the address space, as Linux's mm->membarrier_state:
 * a fork's new one and an execve's start without any.
 */
final class Membarrier {
    static final int QUERY = 0, GLOBAL = 1, GLOBAL_EXPEDITED = 2, REGISTER_GLOBAL_EXPEDITED = 4,
            PRIVATE_EXPEDITED = 8, REGISTER_PRIVATE_EXPEDITED = 16, PRIVATE_EXPEDITED_SYNC_CORE = 32,
            REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64, GET_REGISTRATIONS = 512;
    /** What QUERY answers: the rseq commands are missing, as rseq is. */
    static final int SUPPORTED = GLOBAL | GLOBAL_EXPEDITED | REGISTER_GLOBAL_EXPEDITED | PRIVATE_EXPEDITED
            | REGISTER_PRIVATE_EXPEDITED | PRIVATE_EXPEDITED_SYNC_CORE | REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
            | GET_REGISTRATIONS;
    private static final long SYS_MEMBARRIER = 324;
    private static volatile boolean hostRegistered;

    private Membarrier() {}

    static long call(Thread t, int cmd, long flags) {
        if (flags != 0) // only MEMBARRIER_CMD_FLAG_CPU, for the rseq command
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        switch (cmd) {
            case QUERY:
                return SUPPORTED;
            case GET_REGISTRATIONS:
                return mm.membarrierRegistrations;
            case REGISTER_GLOBAL_EXPEDITED:
            case REGISTER_PRIVATE_EXPEDITED:
            case REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
                synchronized (mm) {
                    mm.membarrierRegistrations |= cmd;
                }
                return 0;
            case PRIVATE_EXPEDITED:
            case PRIVATE_EXPEDITED_SYNC_CORE:
                if ((mm.membarrierRegistrations & cmd << 1) == 0)
                    return -Errno.EPERM; // not registered for it
                barrier();
                return 0;
            case GLOBAL:
            case GLOBAL_EXPEDITED:
                barrier();
                return 0;
            default:
                return -Errno.EINVAL;
        }
    }

    /** A full barrier on every host CPU running one of this process's threads, the guest's cores among them. */
    private static void barrier() {
        java.lang.invoke.VarHandle.fullFence();
        if (!hostRegistered)
            hostRegistered = HostSyscall.call(SYS_MEMBARRIER, REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
        if (hostRegistered)
            HostSyscall.call(SYS_MEMBARRIER, PRIVATE_EXPEDITED, 0, 0);
    }
}
