package jmck.lwk.syscall;

import java.util.function.LongUnaryOperator;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.file.LocalFiles;
import jmck.lwk.file.PidFile;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * pidfds (Linux's kernel/pid.c, kernel/signal.c, fs/pidfs.c): pidfd_open, pidfd_send_signal, pidfd_getfd,
 * and the pidfd that clone3's CLONE_PIDFD returns. A pidfd names a process of this instance, so it is a
 * local file ({@link PidFile}): the guest's fd, in its proxy, reads as ready once the process has ended.
 * waitid(P_PIDFD) is in {@link TaskSyscalls}.
 */
final class PidfdSyscalls implements SyscallDispatcher.Handler {
    private static final int PIDFD_NONBLOCK = 04000, O_CLOEXEC = 02000000;
    private static final int PIDFD_SIGNAL_THREAD = 1, PIDFD_SIGNAL_THREAD_GROUP = 2, PIDFD_SIGNAL_PROCESS_GROUP = 4,
            PIDFD_SELF_THREAD = -10000, PIDFD_SELF_THREAD_GROUP = -10001;
    private static final int CAP_SYS_PTRACE = 19;
    private final SyscallContext kernel;

    PidfdSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.PIDFD_OPEN, Syscall.PIDFD_SEND_SIGNAL, Syscall.PIDFD_GETFD);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case PIDFD_OPEN -> open(t, (int) a[0], a[1] & 0xffffffffL);
            case PIDFD_SEND_SIGNAL -> sendSignal(t, (int) a[0], (int) a[1], a[2], a[3] & 0xffffffffL);
            case PIDFD_GETFD -> getfd(t, (int) a[0], (int) a[1], a[2] & 0xffffffffL);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /**
     * pidfd_open(pid, flags): a new pidfd (close-on-exec) for a process that exists, a zombie included.
     * PIDFD_THREAD (a pidfd for one thread, Linux 6.9) is not offered: EINVAL, as before 6.9.
     */
    private long open(Thread t, int pid, long flags) {
        if ((flags & ~PIDFD_NONBLOCK) != 0 || pid <= 0)
            return -Errno.EINVAL;
        Process p = kernel.processes().process(pid);
        if (p == null || p.reaped())
            return kernel.processes().thread(pid) != null ? -Errno.ENOENT : -Errno.ESRCH; // a thread, not a process
        return install(t, p, (int) flags, fd -> fd);
    }

    /** Installs a new pidfd for p in t's process (close-on-exec, O_NONBLOCK if asked); done gets the fd or -errno. */
    long install(Thread t, Process p, int nonblock, LongUnaryOperator done) {
        PidFile f = kernel.localFiles().pidFiles().of(p);
        if (f == null)
            return done.applyAsLong(-Errno.ENFILE);
        LocalFiles files = kernel.localFiles();
        int pipe = files.reserve(f.id());
        if (pipe < 0)
            return done.applyAsLong(-Errno.ESRCH);
        return kernel.syscalls().forwarder().openLocalFile(t, files.hostPid, pipe, f.id(), O_CLOEXEC | (nonblock & PIDFD_NONBLOCK),
                fd -> {
                    files.opened(f.id());
                    return done.applyAsLong(fd);
                });
    }

    /**
     * The pidfd behind guest fd: done gets it and whether the fd has O_NONBLOCK; EBADF for an fd that is
     * not open or is no pidfd (a /proc/PID directory is not taken for one, as by Linux's pidfd_get_pid).
     */
    static long withPidFile(SyscallContext kernel, Thread t, int fd, PidFileCall then) {
        return withPidFile(kernel, t, fd, then, null);
    }

    /**
     * The same, where an fd of an LWK process's /proc/PID directory stands for that process too, given to
     * orDirectory: pidfd_send_signal's rule (Linux's tgid_pidfd_to_pid; psmisc's killall signals through
     * such fds). A process reaped since is ESRCH.
     */
    static long withPidFile(SyscallContext kernel, Thread t, int fd, PidFileCall then,
            java.util.function.ToLongFunction<Process> orDirectory) {
        return kernel.syscalls().forwarder().localFileOf(t, fd, answer -> {
            if (LocalFiles.isProcDirectory(answer)) {
                if (orDirectory == null)
                    return -Errno.EBADF;
                Process p = kernel.processes().process((int) (answer & ~LocalFiles.PROC_DIRECTORY));
                return p == null || p.reaped() ? -Errno.ESRCH : orDirectory.applyAsLong(p);
            }
            if (answer <= 0)
                return answer == 0 ? -Errno.EBADF : answer;
            return kernel.localFiles().get(LocalFiles.idOf(answer)) instanceof PidFile f
                    ? then.call(f, LocalFiles.nonblock(answer)) : -Errno.EBADF;
        });
    }

    /** What to do with a pidfd once it is known. */
    interface PidFileCall {
        long call(PidFile f, boolean nonblock);
    }

    /**
     * pidfd_send_signal(pidfd, sig, info, flags): as kill (or rt_sigqueueinfo with info) toward the pidfd's
     * process; a process that has been reaped is ESRCH even if its pid names another one now. The flags
     * choose the thread, the process (the default) or its group. PIDFD_SELF_THREAD and
     * PIDFD_SELF_THREAD_GROUP name the caller without an fd (Linux 6.15).
     */
    private long sendSignal(Thread t, int pidfd, int sig, long infoVa, long flags) {
        if ((flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP)) != 0
                || Long.bitCount(flags) > 1)
            return -Errno.EINVAL;
        if (pidfd == PIDFD_SELF_THREAD || pidfd == PIDFD_SELF_THREAD_GROUP)
            return send(t, t.process(), pidfd == PIDFD_SELF_THREAD ? t : null, sig, infoVa, flags);
        return withPidFile(kernel, t, pidfd, (f, nonblock) -> {
            Process p = f.process();
            return p == null ? -Errno.ESRCH : send(t, p, null, sig, infoVa, flags);
        }, p -> send(t, p, null, sig, infoVa, flags));
    }

    private long send(Thread t, Process target, Thread thread, int sig, long infoVa, long flags) {
        if ((flags & PIDFD_SIGNAL_THREAD) != 0)
            thread = target.threads().isEmpty() ? null : target.threads().get(0); // the pidfd's task: the leader
        else if (flags != 0)
            thread = null;
        SigInfo info;
        if (infoVa != 0) {
            SigInfo given = SigInfo.fromBytes(t.process().mm().copyIn(infoVa, SigInfo.SIZE));
            if (given.signo() != sig)
                return -Errno.EINVAL;
            // Only the sender itself may be sent a kernel code (si_code >= 0, or SI_TKILL)
            boolean self = thread == null ? target.pid() == t.tid() : thread == t;
            if ((!self || (flags & PIDFD_SIGNAL_PROCESS_GROUP) != 0) && (given.code() >= 0 || given.code() == Signals.SI_TKILL))
                return -Errno.EPERM;
            info = SigInfo.queued(sig, given.code(), given.pid(), given.uid(), given.addr());
        } else {
            info = SigInfo.sent(sig, thread != null ? Signals.SI_TKILL : Signals.SI_USER, t.process().pid(),
                    (int) t.process().credentials().uid());
        }
        if (sig < 0 || sig > Signals.NSIG)
            return -Errno.EINVAL;
        if ((flags & PIDFD_SIGNAL_PROCESS_GROUP) != 0) {
            boolean any = false, allowed = false;
            for (Process p : kernel.processes().processes())
                if (p.pgid() == target.pgid() && !p.ended()) {
                    any = true;
                    if (SignalSyscalls.mayKill(t.process(), p, sig)) {
                        allowed = true;
                        if (sig != 0)
                            kernel.signals().send(p, info);
                    }
                }
            return !any ? -Errno.ESRCH : allowed ? 0 : -Errno.EPERM;
        }
        if (!SignalSyscalls.mayKill(t.process(), target, sig))
            return -Errno.EPERM;
        if (sig == 0 || target.ended() || target.exiting())
            return 0; // a zombie still has its pid: the signal goes nowhere, as on Linux
        if (thread != null && thread.alive())
            kernel.signals().sendThread(thread, info);
        else
            kernel.signals().send(target, info);
        return 0;
    }

    /**
     * pidfd_getfd(pidfd, targetfd, flags): a duplicate, close-on-exec, of another process's fd. The caller
     * must be allowed to ptrace the process (PTRACE_MODE_ATTACH_REALCREDS: the same ids, or
     * CAP_SYS_PTRACE). The fd tables are the proxies': both processes must be served by the same mcexec
     * (a process and those it forked).
     */
    private long getfd(Thread t, int pidfd, int targetfd, long flags) {
        if (flags != 0)
            return -Errno.EINVAL;
        return withPidFile(kernel, t, pidfd, (f, nonblock) -> {
            Process p = f.process();
            if (p == null)
                return -Errno.ESRCH;
            if (!mayPtrace(t.process(), p))
                return -Errno.EPERM;
            if (p.ended())
                return -Errno.EBADF; // its files are closed
            return kernel.syscalls().forwarder().copyFd(t, p.pid(), targetfd, fd -> fd);
        });
    }

    /** Linux's ptrace_may_access with real credentials, for attaching: the same uids and gids, or CAP_SYS_PTRACE. */
    static boolean mayPtrace(Process caller, Process target) {
        if (caller == target)
            return true;
        Credentials c = caller.credentials(), o = target.credentials();
        boolean same = c.uid() == o.uid() && c.uid() == o.euid() && c.uid() == o.suid() && c.gid() == o.gid()
                && c.gid() == o.egid() && c.gid() == o.sgid();
        return same && !target.flag(Process.Flag.NOT_DUMPABLE) || caller.capabilities().has(CAP_SYS_PTRACE);
    }
}
