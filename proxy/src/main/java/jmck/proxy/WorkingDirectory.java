package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;

/**
 * A guest process's working directory (and root, once it chroots) on the host. The proxy serves a guest
 * process and every process it forks, each with workers of its own, and a host process has one working
 * directory: a child's chdir moved its parent too (LTP's test child enters its mount point, and the
 * library, its parent, could then not unmount it by its relative name). So each worker thread has a
 * working directory of its own (unshare(CLONE_FS), {@link #ownThread}), and the process's is kept here as an
 * O_PATH fd that a worker enters before a call when the process has moved since ({@link #enter}); a
 * worker whose chdir, fchdir or chroot succeeded makes where it now is the process's ({@link #changed}).
 * A forked child starts where its parent is.
 */
final class WorkingDirectory {
    private static final int SYS_OPEN = 2, SYS_CLOSE = 3, SYS_FCNTL = 72, SYS_FCHDIR = 81, SYS_CHROOT = 161,
            SYS_UNSHARE = 272, CLONE_FS = 0x200, O_PATH = 010000000, O_DIRECTORY = 0200000, O_CLOEXEC = 02000000,
            F_DUPFD_CLOEXEC = 1030;
    private static final HostBuffer DOT = HostBuffer.cString("."), SLASH = HostBuffer.cString("/");

    private int cwd, root; // O_PATH fds; root -1 until the process chroots
    private volatile long generation = 1;

    private WorkingDirectory(int cwd, int root) {
        this.cwd = cwd;
        this.root = root;
    }

    /** Where the proxy itself is: a first guest process starts there. */
    static WorkingDirectory ofProxy() {
        return new WorkingDirectory(open(DOT), -1);
    }

    /** Gives the calling thread a working directory and root of its own (a worker, before its first call). */
    static void ownThread() {
        HostSyscall.call(SYS_UNSHARE, CLONE_FS, 0, 0);
    }

    /** A forked child's: where the parent is now. */
    synchronized WorkingDirectory fork() {
        return new WorkingDirectory(dup(cwd), dup(root));
    }

    /**
     * Puts the calling worker where the process is, unless it is there already (seen is the generation it
     * entered last, 0 for none); returns the generation it is now in.
     */
    long enter(long seen) {
        if (seen == generation)
            return seen;
        synchronized (this) {
            if (root >= 0 && HostSyscall.call(SYS_FCHDIR, root, 0, 0) == 0)
                HostSyscall.call(SYS_CHROOT, DOT.address(), 0, 0);
            if (cwd >= 0)
                HostSyscall.call(SYS_FCHDIR, cwd, 0, 0);
            return generation;
        }
    }

    /** After the calling worker's chdir, fchdir or chroot (rootToo) succeeded: that is the process's now. */
    synchronized long changed(boolean rootToo) {
        int now = open(DOT);
        if (now < 0)
            return 0; // not recorded: the next call enters it again
        close(cwd);
        cwd = now;
        if (rootToo) {
            close(root);
            root = open(SLASH);
        }
        return ++generation;
    }

    synchronized void close() {
        close(cwd);
        close(root);
        cwd = root = -1;
    }

    private static int open(HostBuffer path) {
        return (int) HostSyscall.call(SYS_OPEN, path.address(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    }

    private static int dup(int fd) {
        return fd < 0 ? -1 : (int) HostSyscall.call(SYS_FCNTL, fd, F_DUPFD_CLOEXEC, 3);
    }

    private static void close(int fd) {
        if (fd >= 0)
            HostSyscall.call(SYS_CLOSE, fd, 0, 0);
    }
}
