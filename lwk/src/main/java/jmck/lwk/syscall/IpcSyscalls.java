package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.ipc.IpcWaits;
import jmck.lwk.ipc.MessageQueues;
import jmck.lwk.ipc.SharedMemory;
import jmck.lwk.ipc.Semaphores;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * System V IPC in the LWK (jmck.lwk.ipc): message queues and semaphores (their waits are the LWK's
 * scheduling) and shared memory (the LWK's frames, as McKernel keeps it). One set of objects per instance.
 */
final class IpcSyscalls implements SyscallDispatcher.Handler {
    private final MessageQueues messages;
    private final Semaphores semaphores;
    private final SharedMemory shm;
    /** The objects, for /proc/sysvipc. */
    final jmck.lwk.ipc.Ipc ipc;

    IpcSyscalls(SyscallContext kernel) {
        IpcWaits waits = new IpcWaits() {
            @Override
            public long block(Thread t, String reason, boolean restartable, Runnable cancel) {
                return kernel.scheduler().block(t, reason, restartable ? Thread.Interrupt.RESTART : Thread.Interrupt.EINTR,
                        cancel);
            }

            @Override
            public void restart(Thread t) {
                // t is on a waiter list only while in the wait it began there (a wait that ended otherwise
                // leaves the list, in its cancel, before t can wait again), and the list's lock orders this
                // after that wait's start: its current wait is that one
                kernel.scheduler().wakeToRestart(t, t.waitSeq());
            }

            @Override
            public void timeout(Thread t, long seq, long deadline, long result) {
                kernel.timers().add(deadline, () -> kernel.scheduler().timeout(t, seq, result));
            }
        };
        messages = new MessageQueues(waits);
        semaphores = new Semaphores(waits);
        // (classes, not lambdas: made while the kernel boots, where linking a lambda took 0.2-1 ms)
        shm = new SharedMemory(kernel.memory(), kernel.frames(), new java.util.function.Supplier<Iterable<Process>>() {
            @Override
            public Iterable<Process> get() {
                return new java.util.ArrayList<Process>(kernel.processes().processes());
            }
        });
        ipc = new jmck.lwk.ipc.Ipc(messages, semaphores, shm);
        kernel.addExitListener(new jmck.lwk.Kernel.ExitListener() {
            @Override
            public void exited(Process p, jmck.lwk.signal.SigInfo killedBy, long killRip) {
                semaphores.exited(p);
                shm.collect();
            }
        });
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.MSGGET, Syscall.MSGSND, Syscall.MSGRCV, Syscall.MSGCTL, Syscall.SEMGET,
                Syscall.SEMOP, Syscall.SEMTIMEDOP, Syscall.SEMCTL, Syscall.SHMGET, Syscall.SHMAT, Syscall.SHMDT,
                Syscall.SHMCTL, Syscall.REMAP_FILE_PAGES);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case MSGGET -> messages.msgget(t, (int) a[0], (int) a[1]);
            case MSGSND -> messages.msgsnd(t, (int) a[0], a[1], a[2], (int) a[3]);
            case MSGRCV -> messages.msgrcv(t, (int) a[0], a[1], a[2], a[3], (int) a[4]);
            case MSGCTL -> messages.msgctl(t, (int) a[0], (int) a[1], a[2]);
            case SEMGET -> semaphores.semget(t, (int) a[0], (int) a[1], (int) a[2]);
            case SEMOP -> semaphores.semop(t, (int) a[0], a[1], a[2], 0);
            case SEMTIMEDOP -> semaphores.semop(t, (int) a[0], a[1], a[2], a[3]);
            case SEMCTL -> semaphores.semctl(t, (int) a[0], (int) a[1], (int) a[2], a[3]);
            case SHMGET -> shm.shmget(t, (int) a[0], a[1], (int) a[2]);
            case SHMAT -> shm.shmat(t, (int) a[0], a[1], (int) a[2]);
            case SHMDT -> shm.shmdt(t, a[0]);
            case SHMCTL -> shm.shmctl(t, (int) a[0], (int) a[1], a[2]);
            case REMAP_FILE_PAGES -> remapFilePages(t, a[0], a[1], a[2], a[3]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /**
     * remap_file_pages, as Linux emulates it since 4.0: the range of a shared mapping is mapped again at
     * another offset of the same object, an munmap then an mmap. A System V segment removed meanwhile goes
     * with the munmap if that was its last attach, and the mmap then fails (EIDRM), the range unmapped.
     */
    private long remapFilePages(Thread t, long start, long size, long prot, long pgoff) {
        var mm = t.process().mm();
        var v = mm.find(start);
        if (prot != 0 || v == null || !v.shared() || start + size > v.end() || start < v.start())
            return -jmck.lwk.abi.Errno.EINVAL;
        if (v.backingIs(jmck.lwk.mm.SharedPages.class) && !shm.remapping(t, v, start & -4096L, size))
            return -jmck.lwk.abi.Errno.EINVAL;
        long r = mm.mmap(start & -4096L, size, v.prot(), jmck.lwk.abi.Mman.MAP_SHARED | jmck.lwk.abi.Mman.MAP_FIXED,
                v.backing(), pgoff * 4096);
        return r < 0 ? r : 0;
    }
}
