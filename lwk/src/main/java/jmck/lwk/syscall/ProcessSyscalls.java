package jmck.lwk.syscall;

import java.nio.charset.StandardCharsets;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.OutsideInit;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;

/** Process and thread identity, exit, limits and per-thread settings (TLS base, TID address, robust list). */
final class ProcessSyscalls implements SyscallDispatcher.Handler {
    private static final int ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004,
            ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012;
    private final SyscallContext kernel;
    private final TimerSyscalls timers;

    ProcessSyscalls(SyscallContext kernel, TimerSyscalls timers) {
        this.kernel = kernel;
        this.timers = timers;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.GETPID, Syscall.GETTID, Syscall.GETPPID, Syscall.GETPGRP, Syscall.GETPGID,
                Syscall.GETSID, Syscall.SETPGID, Syscall.SETSID, Syscall.SET_TID_ADDRESS, Syscall.SET_ROBUST_LIST,
                Syscall.GET_ROBUST_LIST, Syscall.ARCH_PRCTL, Syscall.RSEQ, Syscall.PRLIMIT64, Syscall.GETRLIMIT,
                Syscall.SETRLIMIT, Syscall.UMASK, Syscall.PRCTL, Syscall.PERSONALITY);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case GETPID -> t.process().pid();
            case GETTID -> t.tid();
            case GETPPID -> t.process().ppid();
            case GETPGRP -> t.process().pgid();
            case GETPGID -> getpgid(t, a);
            case GETSID -> getsid(t, a);
            case SETPGID -> setpgid(t, a);
            case SETSID -> setsid(t, a);
            case SET_TID_ADDRESS -> setTidAddress(t, a);
            case SET_ROBUST_LIST -> setRobustList(t, a);
            case GET_ROBUST_LIST -> getRobustList(t, a);
            case ARCH_PRCTL -> archPrctl(t, a);
            case RSEQ -> -Errno.ENOSYS; // restartable sequences: not offered; libc copes
            // Linux reads a new limit before it looks at anything else, and stores the old one last
            case PRLIMIT64 -> prlimit(t, (int) a[0], (int) a[1], a[2] == 0 ? null : limit(t, a[2]), a[3]);
            case GETRLIMIT -> getrlimit(t, a);
            case SETRLIMIT -> prlimit(t, 0, (int) a[0], limit(t, a[1]), 0);
            case UMASK -> umask(t, a);
            case PRCTL -> PrctlSyscalls.prctl(t, a);
            case PERSONALITY -> personality(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private static long personality(Thread t, long[] a) { // 0xffffffff asks; the flags change nothing here
        int old = t.process().personality;
        if ((int) a[0] != -1)
            t.process().personality = (int) a[0];
        return old;
    }

    private long getpgid(Thread t, long[] a) {
        if (OutsideInit.is(a[0]))
            return kernel.syscalls().forward(t, Syscall.GETPGID, a);
        Process p = a[0] == 0 ? t.process() : kernel.processes().process((int) a[0]);
        return p == null || p.ended() ? -Errno.ESRCH : p.pgid();
    }

    private long getsid(Thread t, long[] a) {
        if (OutsideInit.is(a[0]))
            return kernel.syscalls().forward(t, Syscall.GETSID, a);
        Process p = a[0] == 0 ? t.process() : kernel.processes().process((int) a[0]);
        return p == null || p.ended() ? -Errno.ESRCH : p.sid();
    }

    private long setsid(Thread t, long[] a) {
        Process p = t.process();
        for (Process q : kernel.processes().processes())
            if (q.pgid() == p.pid())
                return -Errno.EPERM; // already a group leader
        p.newSession();
        return p.sid();
    }

    private long setTidAddress(Thread t, long[] a) {
        t.setClearChildTid(a[0]);
        return t.tid();
    }

    private long setRobustList(Thread t, long[] a) {
        if (a[1] != 24)
            return -Errno.EINVAL;
        t.setRobustList(a[0], a[1]);
        return 0;
    }

    private long getrlimit(Thread t, long[] a) {
        int resource = (int) a[0];
        if (resource < 0 || resource >= Rlimits.RLIM_NLIMITS)
            return -Errno.EINVAL;
        putLimit(t, a[1], t.process().rlimits().soft(resource), t.process().rlimits().hard(resource));
        return 0;
    }

    private long umask(Thread t, long[] a) {
        int old = t.process().umask();
        t.process().setUmask((int) a[0]);
        return old;
    }

    /** setpgid(pid, pgid): the caller or a child of it joins or starts a process group in its session. */
    private long setpgid(Thread t, long[] a) {
        int pid = (int) a[0], pgid = (int) a[1];
        if (pgid < 0)
            return -Errno.EINVAL;
        Process self = t.process();
        Process p = pid == 0 ? self : kernel.processes().process(pid);
        if (p == null || p.ended() || p != self && p.parent() != self)
            return -Errno.ESRCH;
        if (p.sid() != self.sid())
            return -Errno.EPERM; // another session
        if (p != self && p.flag(Process.Flag.EXECED))
            return -Errno.EACCES; // a child that has run execve
        if (p.sid() == p.pid())
            return -Errno.EPERM; // a session leader
        if (pgid == 0)
            pgid = p.pid();
        if (pgid != p.pid()) {
            boolean exists = false;
            for (Process q : kernel.processes().processes())
                exists |= q.pgid() == pgid && q.sid() == self.sid();
            if (!exists)
                return -Errno.EPERM;
        }
        p.setPgid(pgid);
        return 0;
    }

    private static Credentials creds(Thread t) {
        return t.process().credentials();
    }

    private long getRobustList(Thread t, long[] a) {
        if (OutsideInit.is(a[0])) // another user's process: Linux's ptrace_may_access refuses it
            return -Errno.EPERM;
        Thread target = a[0] == 0 ? t : kernel.processes().thread((int) a[0]);
        if (target == null)
            return -Errno.ESRCH;
        t.process().mm().writeLong(a[2], 24); // sizeof(struct robust_list_head), set or not; first, as Linux
        t.process().mm().writeLong(a[1], target.robustList());
        return 0;
    }

    private long archPrctl(Thread t, long[] a) {
        int code = (int) a[0];
        long addr = a[1];
        switch (code) {
            case ARCH_SET_FS:
            case ARCH_SET_GS:
                if (!X86.isUserAddress(addr))
                    return -Errno.EPERM;
                kernel.cpuOf(t).setReg(code == ARCH_SET_FS ? X86Reg.FS_BASE : X86Reg.GS_BASE, addr);
                return 0;
            case ARCH_GET_FS:
            case ARCH_GET_GS:
                t.process().mm().writeLong(addr, kernel.cpuOf(t).reg(code == ARCH_GET_FS ? X86Reg.FS_BASE : X86Reg.GS_BASE));
                return 0;
            case ARCH_GET_CPUID:
                return 1; // cpuid is allowed
            case ARCH_SET_CPUID:
                return -Errno.ENODEV; // cpuid faulting is not offered
            default:
                return -Errno.EINVAL;
        }
    }

    /** A struct rlimit read from the guest: {soft, hard}. */
    private static long[] limit(Thread t, long va) {
        byte[] b = t.process().mm().copyIn(va, 16);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return new long[] {bb.getLong(0), bb.getLong(8)};
    }

    private static void putLimit(Thread t, long va, long soft, long hard) {
        byte[] b = new byte[16];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(soft).putLong(hard);
        t.process().mm().copyOut(va, b);
    }

    /** prlimit64 with the new limit already read (null: none); the old one goes to oldPtr unless it is 0. */
    private long prlimit(Thread t, int pid, int resource, long[] limit, long oldPtr) {
        Process p = pid == 0 ? t.process() : kernel.processes().process(pid);
        if (p == null)
            return -Errno.ESRCH;
        if (resource < 0 || resource >= Rlimits.RLIM_NLIMITS)
            return -Errno.EINVAL;
        Rlimits r = p.rlimits();
        long oldSoft = r.soft(resource), oldHard = r.hard(resource);
        if (limit != null) {
            long soft = limit[0], hard = limit[1];
            if (Long.compareUnsigned(soft, hard) > 0)
                return -Errno.EINVAL;
            if (Long.compareUnsigned(hard, oldHard) > 0 && !t.process().capabilities().has(jmck.lwk.proc.Capabilities.CAP_SYS_RESOURCE))
                return -Errno.EPERM;
            r.set(resource, soft, hard);
            if (resource == Rlimits.RLIMIT_STACK)
                p.mm().setStackLimit(soft == Rlimits.RLIM_INFINITY ? 1L << 30 : soft);
            if (resource == Rlimits.RLIMIT_CPU)
                timers.cpuLimitChanged(p);
        }
        if (oldPtr != 0)
            putLimit(t, oldPtr, oldSoft, oldHard);
        return 0;
    }
}
