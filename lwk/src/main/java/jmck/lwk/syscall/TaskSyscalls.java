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
import jmck.lwk.elf.ExecFormatException;
import jmck.lwk.elf.Executable;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;

/**
 * The life of tasks: clone (threads and processes), fork, vfork, execve, exit; waiting for children
 * (wait4, waitid) is {@link ChildWaits}. Process creation and exec need the proxy too, which holds the files: a forked child's
 * proxy takes copies of its parent's descriptors, and execve's file is opened by the proxy, where the
 * guest's working directory and permissions are.
 */
final class TaskSyscalls implements SyscallDispatcher.Handler {
    static final long CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
            CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
            CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000,
            CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000,
            CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x01000000, CLONE_IO = 0x80000000L,
            CLONE_INTO_CGROUP = 0x200000000L;
    /** Namespace flags (CLONE_NEWCGROUP .. CLONE_NEWNET, CLONE_NEWNS): one instance has one of each. */
    private static final long CLONE_NAMESPACES = 0x7e020000L;
    private static final int MAX_ARG_STRINGS = 0x7fffffff, MAX_ARG_BYTES = 2 << 20, PATH_MAX = 4096;
    private final SyscallContext kernel;
    private final PidfdSyscalls pidfds;
    private final TimerSyscalls timers;

    TaskSyscalls(SyscallContext kernel, TimerSyscalls timers) {
        this.kernel = kernel;
        this.timers = timers;
        this.pidfds = new PidfdSyscalls(kernel);
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.CLONE, Syscall.CLONE3, Syscall.FORK, Syscall.VFORK, Syscall.EXECVE, Syscall.EXECVEAT,
                Syscall.EXIT, Syscall.EXIT_GROUP);
        new ChildWaits(kernel).register(d);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            // clone's CLONE_PIDFD puts the pidfd where CLONE_PARENT_SETTID would put the tid
            case CLONE -> (a[0] & (CLONE_PIDFD | CLONE_PARENT_SETTID)) == (CLONE_PIDFD | CLONE_PARENT_SETTID)
                    ? -Errno.EINVAL : clone(t, a[0], a[1], a[2], a[3], a[4], a[2]);
            case CLONE3 -> clone3(t, a);
            case FORK -> clone(t, Signals.SIGCHLD, 0, 0, 0, 0, 0);
            case VFORK -> clone(t, CLONE_VM | CLONE_VFORK | Signals.SIGCHLD, 0, 0, 0, 0, 0);
            case EXECVE -> execve(t, a[0], a[1], a[2]);
            case EXECVEAT -> execveat(t, (int) a[0], a[1], a[2], a[3], (int) a[4]);
            case EXIT -> exit(t, a);
            case EXIT_GROUP -> exitGroup(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long exit(Thread t, long[] a) {
        kernel.exits().exitThread(t, ((int) a[0] & 0xff) << 8);
        return SyscallDispatcher.NO_RETURN;
    }

    private long exitGroup(Thread t, long[] a) {
        kernel.exits().exitProcess(t.process(), ((int) a[0] & 0xff) << 8);
        return SyscallDispatcher.NO_RETURN;
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
        if (child.rlimits().soft(Rlimits.RLIMIT_CPU) != Rlimits.RLIM_INFINITY)
            timers.cpuLimitChanged(child); // the limit holds for the child's own CPU time, from 0
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
            kernel.signals().ptrace().execed(t); // a tracee stops with SIGTRAP in its new program
            kernel.scheduler().enqueue(t); // runs again from the new entry point
            return SyscallDispatcher.NO_RETURN;
        });
    }

    private static int openHost(String path) {
        return (int) HostSyscall.open(path, HostSyscall.O_CLOEXEC, 0); // O_RDONLY
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
}
