package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.Cpu;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.elf.Executable;
import jmck.lwk.elf.ExecFormatException;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * The life of tasks: clone (threads and processes), fork, vfork, execve, exit, and waiting for children
 * (wait4, waitid). Process creation and exec need the proxy too, which holds the files: a forked child's
 * proxy takes copies of its parent's descriptors, and execve's file is opened by the proxy, where the
 * guest's working directory and permissions are.
 */
final class TaskSyscalls {
    static final long CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
            CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
            CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000,
            CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000,
            CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x01000000, CLONE_IO = 0x80000000L,
            CLONE_INTO_CGROUP = 0x200000000L;
    /** Namespace flags (CLONE_NEWCGROUP .. CLONE_NEWNET, CLONE_NEWNS): one instance has one of each. */
    private static final long CLONE_NAMESPACES = 0x7e020000L;
    private static final int WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000,
            WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000;
    private static final int P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
    private static final int MAX_ARG_STRINGS = 0x7fffffff, MAX_ARG_BYTES = 2 << 20, PATH_MAX = 4096;
    private final SyscallContext kernel;
    private final PidfdSyscalls pidfds;

    TaskSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
        this.pidfds = new PidfdSyscalls(kernel);
    }

    void register(SyscallDispatcher d) {
        // clone's CLONE_PIDFD puts the pidfd where CLONE_PARENT_SETTID would put the tid
        d.register(Syscall.CLONE, (t, a) -> (a[0] & (CLONE_PIDFD | CLONE_PARENT_SETTID)) == (CLONE_PIDFD | CLONE_PARENT_SETTID)
                ? -Errno.EINVAL : clone(t, a[0], a[1], a[2], a[3], a[4], a[2]));
        d.register(Syscall.CLONE3, this::clone3);
        d.register(Syscall.FORK, (t, a) -> clone(t, Signals.SIGCHLD, 0, 0, 0, 0, 0));
        d.register(Syscall.VFORK, (t, a) -> clone(t, CLONE_VM | CLONE_VFORK | Signals.SIGCHLD, 0, 0, 0, 0, 0));
        d.register(Syscall.EXECVE, (t, a) -> execve(t, a[0], a[1], a[2]));
        d.register(Syscall.EXECVEAT, (t, a) -> execveat(t, (int) a[0], a[1], a[2], a[3], (int) a[4]));
        d.register(Syscall.EXIT, (t, a) -> {
            kernel.exits().exitThread(t, ((int) a[0] & 0xff) << 8);
            return SyscallDispatcher.NO_RETURN;
        });
        d.register(Syscall.EXIT_GROUP, (t, a) -> {
            kernel.exits().exitProcess(t.process(), ((int) a[0] & 0xff) << 8);
            return SyscallDispatcher.NO_RETURN;
        });
        // A wait looks at the children and sleeps in one step under the task lock, which a child's exit takes.
        d.register(Syscall.WAIT4, (t, a) -> {
            synchronized (kernel.processes().taskLock()) {
                return wait4(t, (int) a[0], a[1], (int) a[2], a[3]);
            }
        });
        d.register(Syscall.WAITID, (t, a) -> {
            synchronized (kernel.processes().taskLock()) {
                return waitid(t, (int) a[0], (int) a[1], a[2], (int) a[3], a[4]);
            }
        });
    }

    // ---- clone ----

    /**
     * clone(flags, stack, parent_tid, child_tid, tls), with Linux's flag checks (copy_process); with
     * CLONE_PIDFD, a pidfd for the child goes to the int at pidfdVa in the parent.
     */
    private long clone(Thread t, long flags, long stack, long parentTid, long childTid, long tls, long pidfdVa) {
        if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
            return -Errno.EINVAL;
        if ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0)
            return -Errno.EINVAL;
        if ((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0)
            return -Errno.EINVAL;
        if ((flags & CLONE_NAMESPACES) != 0)
            return -Errno.EINVAL; // an instance has one set of namespaces
        boolean pidfd = (flags & CLONE_PIDFD) != 0;
        AddressSpace mm = t.process().mm();
        if (pidfd) { // a pidfd names a process (PIDFD_THREAD, Linux 6.9, is not offered)
            if ((flags & (CLONE_THREAD | CLONE_DETACHED)) != 0)
                return -Errno.EINVAL;
            mm.writeInt(pidfdVa, -1); // EFAULT now, before there is a child to undo
        }
        Cpu.Context registers = kernel.lifecycle().childRegisters(t, stack, (flags & CLONE_SETTLS) != 0, tls);
        if ((flags & CLONE_THREAD) != 0) {
            Thread child = kernel.lifecycle().cloneThread(t, registers);
            if (child == null) {
                registers.close();
                return -Errno.EAGAIN;
            }
            setTids(child, mm, flags, parentTid, childTid);
            kernel.lifecycle().startThread(child);
            return child.tid();
        }
        boolean sibling = (flags & CLONE_PARENT) != 0;
        Process child = kernel.lifecycle().fork(t, (flags & CLONE_VM) != 0, sibling, registers);
        if (child == null) {
            registers.close();
            return -Errno.EAGAIN;
        }
        // CLONE_PARENT: the caller's parent hears of the child as it hears of the caller (Linux's copy_process)
        child.setExitSignal(sibling ? t.process().exitSignal() : (int) (flags & 0xff));
        Thread ct = child.threads().get(0);
        setTids(ct, child.mm(), flags, parentTid, childTid);
        if ((flags & CLONE_PARENT_SETTID) != 0 && child.mm() != mm)
            writeTid(mm, parentTid, ct.tid());
        boolean vfork = (flags & CLONE_VFORK) != 0;
        return kernel.syscalls().forwarder().processForked(t, child, r -> {
            if (r < 0) {
                kernel.lifecycle().discard(child);
                return r;
            }
            if (!pidfd)
                return startChild(t, child, vfork);
            // the pidfd is the parent's only: the child's files were copied before it was made
            return pidfds.install(t, child, 0, fd -> {
                if (fd < 0) {
                    kernel.lifecycle().discard(child);
                    return fd;
                }
                writeTid(mm, pidfdVa, (int) fd);
                return startChild(t, child, vfork);
            });
        });
    }

    /** Lets a forked child run; the vfork parent sleeps until the child execs or exits (it may be using the parent's stack). */
    private long startChild(Thread t, Process child, boolean vfork) {
        if (vfork) {
            child.setVforkParent(t);
            kernel.scheduler().block(t, "vfork");
        }
        kernel.lifecycle().start(child);
        return vfork ? SyscallDispatcher.NO_RETURN : child.pid();
    }

    private static void setTids(Thread child, AddressSpace childMm, long flags, long parentTid, long childTid) {
        if ((flags & CLONE_PARENT_SETTID) != 0)
            writeTid(childMm, parentTid, child.tid());
        if ((flags & CLONE_CHILD_SETTID) != 0)
            writeTid(childMm, childTid, child.tid());
        if ((flags & CLONE_CHILD_CLEARTID) != 0)
            child.setClearChildTid(childTid);
    }

    /** Writes a tid for the new task; a bad address is ignored, as Linux's put_user there is. */
    private static void writeTid(AddressSpace mm, long va, int tid) {
        try {
            mm.writeInt(va, tid);
        } catch (jmck.lwk.mm.BadAddressException e) {
            // the task exists anyway
        }
    }

    /** clone3(struct clone_args *, size): the same as clone with its arguments in a structure. */
    private long clone3(Thread t, long[] a) {
        long size = a[1];
        if (size > 4096)
            return -Errno.E2BIG;
        if (size < 64)
            return -Errno.EINVAL;
        // a larger structure than Linux's (88 bytes) is taken if the rest is zero (copy_struct_from_user)
        byte[] raw = t.process().mm().copyIn(a[0], (int) size);
        for (int i = 88; i < raw.length; i++)
            if (raw[i] != 0)
                return -Errno.E2BIG;
        ByteBuffer b = ByteBuffer.wrap(java.util.Arrays.copyOf(raw, 88)).order(ByteOrder.LITTLE_ENDIAN);
        long flags = b.getLong(0), pidfd = b.getLong(8), childTid = b.getLong(16), parentTid = b.getLong(24);
        long exitSignal = b.getLong(32), stack = b.getLong(40), stackSize = b.getLong(48), tls = b.getLong(56);
        if ((flags & 0xff) != 0 || exitSignal > Signals.NSIG)
            return -Errno.EINVAL;
        if ((flags & CLONE_INTO_CGROUP) != 0)
            return -Errno.EOPNOTSUPP; // cgroups are the host's, which knows the proxy, not the LWK's processes
        if ((stack == 0) != (stackSize == 0))
            return -Errno.EINVAL;
        if (size >= 88 && b.getLong(72) != 0) // set_tid
            return -Errno.EINVAL;
        return clone(t, flags | exitSignal, stack == 0 ? 0 : stack + stackSize, parentTid, childTid, tls, pidfd);
    }

    // ---- execve ----

    /** execve as Linux (6.8 and later) orders it: the path, then the file is opened, then argv and envp are read. */
    private long execve(Thread t, long pathVa, long argvVa, long envpVa) {
        AddressSpace mm = t.process().mm();
        String path = mm.readCString(pathVa, PATH_MAX);
        if (path.isEmpty())
            return -Errno.ENOENT;
        SyscallForwarder proxy = kernel.syscalls().forwarder();
        if (path.equals("/proc/self/exe") || path.equals("/proc/" + t.process().pid() + "/exe"))
            return load(t, openHost(t.process().exe()), path, argvVa, envpVa);
        return proxy.openExecutable(t, pathVa, fd -> fd < 0 ? fd : load(t, (int) fd, path, argvVa, envpVa));
    }

    private static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;

    /**
     * execveat: a path relative to a directory fd, or with AT_EMPTY_PATH and "" the fd itself (fexecve);
     * the proxy opens the file where the fds are.
     */
    private long execveat(Thread t, int dirfd, long pathVa, long argvVa, long envpVa, int flags) {
        if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0)
            return -Errno.EINVAL;
        String path = t.process().mm().readCString(pathVa, PATH_MAX);
        if (path.isEmpty() && (flags & AT_EMPTY_PATH) == 0)
            return -Errno.ENOENT;
        if (flags == 0 && (dirfd == AT_FDCWD || path.startsWith("/")))
            return execve(t, pathVa, argvVa, envpVa);
        String name = path.isEmpty() ? "/dev/fd/" + dirfd : path.startsWith("/") ? path : "/dev/fd/" + dirfd + "/" + path;
        return kernel.syscalls().forwarder().openExecutableAt(t, dirfd, pathVa, flags,
                fd -> fd < 0 ? fd : load(t, (int) fd, name, argvVa, envpVa));
    }

    /**
     * With the file open (host descriptor fd, which this closes): reads the arguments, checks and loads the
     * file, replaces the program, then has the proxy close the close-on-exec files before the new program
     * runs. This may run when the proxy answers, after the syscall's dispatch: a bad argv or envp is
     * reported here.
     */
    private long load(Thread t, int fd, String path, long argvVa, long envpVa) {
        if (fd < 0)
            return fd;
        List<String> argv, envp;
        try {
            argv = strings(t.process().mm(), argvVa);
            envp = strings(t.process().mm(), envpVa);
        } catch (BadAddressException e) {
            HostSyscall.call(3, fd, 0, 0);
            return -e.errno();
        }
        if (argv == null || envp == null) {
            HostSyscall.call(3, fd, 0, 0);
            return -Errno.E2BIG;
        }
        if (argv.isEmpty())
            argv.add(""); // Linux 5.18 and later: no program starts with argc 0
        Executable exe;
        long r;
        try {
            // the file by its name, or, if it has none now (fexecve of an unlinked file), through the
            // descriptor, which stays open until the program is loaded
            Path fdLink = Path.of("/proc/self/fd/" + fd), file = Files.readSymbolicLink(fdLink);
            exe = Executable.open(Files.exists(file) ? file : fdLink, path, argv);
            r = kernel.lifecycle().exec(t, exe.elf(), path, exe.argv(), envp);
        } catch (ExecFormatException e) {
            // The caller reports it as on Linux (a shell prints "Exec format error", or runs a text file
            // itself); the kernel log says why.
            kernel.kmsg().log("pid %d: execve %s: %s", t.process().pid(), path, e.getMessage());
            return -e.errno();
        } catch (java.io.IOException e) {
            return -Errno.ENOENT;
        } finally {
            HostSyscall.call(3, fd, 0, 0);
        }
        if (r < 0)
            return r;
        return kernel.syscalls().forwarder().execDone(t, done -> {
            kernel.scheduler().enqueue(t); // runs again from the new entry point
            return SyscallDispatcher.NO_RETURN;
        });
    }

    private static int openHost(String path) {
        com.sun.jna.Memory p = new com.sun.jna.Memory(path.length() * 3L + 1);
        p.setString(0, path, "UTF-8");
        return (int) HostSyscall.call(257, -100, HostSyscall.address(p), 02000000, 0, 0, 0); // openat O_RDONLY|O_CLOEXEC
    }

    /** A NULL-terminated array of strings (argv, envp); null if they exceed Linux's limits (E2BIG). */
    private static List<String> strings(AddressSpace mm, long va) {
        List<String> l = new ArrayList<>();
        if (va == 0)
            return l;
        long bytes = 0;
        for (int i = 0; ; i++) {
            long p = mm.readLong(va + 8L * i);
            if (p == 0)
                return l;
            String s = mm.readCString(p, MAX_ARG_BYTES);
            bytes += s.length() + 1 + 8;
            if (bytes > MAX_ARG_BYTES || i >= MAX_ARG_STRINGS)
                return null;
            l.add(s);
        }
    }

    // ---- waiting for children ----

    /** Whether child is one that a wait for pid (wait4's encoding) and options covers. */
    private static boolean covers(Process self, Process child, int pid, int options) {
        boolean byPid = pid > 0 ? child.pid() == pid : pid == 0 ? child.pgid() == self.pgid()
                : pid == -1 || child.pgid() == -pid;
        if (!byPid)
            return false;
        if ((options & WALL) != 0)
            return true;
        boolean cloneChild = child.exitSignal() != Signals.SIGCHLD;
        return ((options & WCLONE) != 0) == cloneChild;
    }

    /** What a wait reports of a child: it ended, stopped or continued (Linux's wait status and CLD_ code). */
    private record Report(Process child, int waitStatus, int code, int status, boolean ended) {}

    /**
     * The first child that a wait covers and has something to report, or null; any[0] tells whether the
     * wait covers any child at all. keep leaves a stop or continue to be reported again (WNOWAIT).
     */
    private static Report findReport(Process self, int pid, int options, boolean[] any, boolean keep) {
        for (Process c : self.children()) {
            if (!covers(self, c, pid, options))
                continue;
            any[0] = true;
            if (c.ended() && (options & WEXITED) != 0) {
                int ws = c.waitStatus();
                int code = (ws & 0x7f) == 0 ? Signals.CLD_EXITED : (ws & 0x80) != 0 ? Signals.CLD_DUMPED : Signals.CLD_KILLED;
                return new Report(c, ws, code, (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : ws & 0x7f, true);
            }
            if ((options & WUNTRACED) != 0 && c.hasStopReport()) {
                c.takeStopReport(keep);
                return new Report(c, c.stopSignal() << 8 | 0x7f, Signals.CLD_STOPPED, c.stopSignal(), false);
            }
            if ((options & WCONTINUED) != 0 && c.hasContinueReport()) {
                c.takeContinueReport(keep);
                return new Report(c, 0xffff, Signals.CLD_CONTINUED, Signals.SIGCONT, false);
            }
        }
        return null;
    }

    private long wait4(Thread t, int pid, long statusVa, int options, long rusageVa) {
        if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)) != 0)
            return -Errno.EINVAL;
        if (pid == Integer.MIN_VALUE)
            return -Errno.ESRCH;
        Process self = t.process();
        boolean[] any = {false};
        Report r = findReport(self, pid, options | WEXITED, any, false);
        if (!any[0])
            return -Errno.ECHILD;
        if (r == null)
            return (options & WNOHANG) != 0 ? 0 : sleepForChild(t, "wait4");
        // the child is reaped before its status is stored: a bad address loses the status, not the zombie
        if (r.ended())
            reap(self, r.child());
        AddressSpace mm = self.mm();
        if (statusVa != 0)
            mm.writeInt(statusVa, r.waitStatus());
        if (rusageVa != 0)
            mm.copyOut(rusageVa, rusage(r.child()));
        return r.child().pid();
    }

    private long waitid(Thread t, int idtype, int id, long infoVa, int options, long rusageVa) {
        if ((options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)) != 0
                || (options & (WEXITED | WUNTRACED | WCONTINUED)) == 0)
            return -Errno.EINVAL;
        int pid;
        switch (idtype) {
            case P_ALL: pid = -1; break;
            case P_PID: if (id <= 0) return -Errno.EINVAL; pid = id; break;
            case P_PGID: if (id < 0) return -Errno.EINVAL; pid = id == 0 ? 0 : -id; break;
            case P_PIDFD: // the pidfd's process, if it is a child; its fd's O_NONBLOCK makes a wait EAGAIN
                return PidfdSyscalls.withPidFile(kernel, t, id, (f, nonblock) -> {
                    Process p = f.process();
                    return p == null || p.parent() != t.process() ? -Errno.ECHILD
                            : waitid(t, p.pid(), infoVa, options, rusageVa, nonblock);
                });
            default: return -Errno.EINVAL;
        }
        return waitid(t, pid, infoVa, options, rusageVa, false);
    }

    /** waitid for the children that pid selects (as wait4's); eagain: fail where it would wait. */
    private long waitid(Thread t, int pid, long infoVa, int options, long rusageVa, boolean eagain) {
        Process self = t.process();
        boolean[] any = {false};
        boolean keep = (options & WNOWAIT) != 0;
        Report r = findReport(self, pid, options, any, keep);
        if (!any[0])
            return -Errno.ECHILD;
        AddressSpace mm = self.mm();
        if (r == null) {
            if ((options & WNOHANG) == 0)
                return eagain ? -Errno.EAGAIN : sleepForChild(t, "waitid");
            if (infoVa != 0)
                putWaitidInfo(mm, infoVa, 0, 0, 0, 0, 0); // nothing to report: si_pid 0, as Linux
            return 0;
        }
        Process child = r.child();
        if (r.ended() && !keep) // reaped first, then told, as Linux does
            reap(self, child);
        if (rusageVa != 0)
            mm.copyOut(rusageVa, rusage(child));
        if (infoVa != 0)
            putWaitidInfo(mm, infoVa, Signals.SIGCHLD, r.code(), child.pid(), (int) child.credentials().uid(), r.status());
        return 0;
    }

    /**
     * waitid's siginfo: Linux stores si_signo, si_errno, si_code, si_pid, si_uid and si_status one by one,
     * so only those bytes (the first 28) need to be writable.
     */
    private static void putWaitidInfo(AddressSpace mm, long va, int signo, int code, int pid, int uid, int status) {
        mm.writeInt(va, signo);
        mm.writeInt(va + 4, 0);
        mm.writeInt(va + 8, code);
        mm.writeInt(va + 16, pid);
        mm.writeInt(va + 20, uid);
        mm.writeInt(va + 24, status);
    }

    /**
     * Sleeps until a child changes state; the wait runs again then (a handler with SA_RESTART restarts it
     * too). Under the task lock, which a child's exit takes to wake the waiters.
     */
    private long sleepForChild(Thread t, String why) {
        Process self = t.process();
        Object taskLock = kernel.processes().taskLock();
        long seq = kernel.scheduler().block(t, why, Thread.Interrupt.RESTART, () -> {
            synchronized (taskLock) {
                self.childWaiters().removeIf(w -> w.thread() == t);
            }
        });
        self.childWaiters().add(new Process.Waiter(t, seq));
        return SyscallDispatcher.NO_RETURN;
    }

    /** The zombie child is waited for: its CPU time joins the parent's children's time; it is forgotten. */
    private void reap(Process self, Process child) {
        self.addChildrenCpuNanos(child.cpuNanos() + child.childrenCpuNanos());
        kernel.processes().remove(child);
    }

    /** struct rusage of an ended child: user time and its memory figures. */
    private static byte[] rusage(Process child) {
        long cpu = child.cpuNanos() + child.childrenCpuNanos();
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, cpu / 1_000_000_000L).putLong(8, cpu % 1_000_000_000L / 1000);
        return b.array();
    }
}
