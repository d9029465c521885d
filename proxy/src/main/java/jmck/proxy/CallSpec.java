package jmck.proxy;

import java.util.EnumMap;
import java.util.Map;
import jmck.lwk.syscall.Syscall;

/**
 * How the proxy passes each delegated syscall's arguments to the host: which are plain values, which are
 * guest file descriptors to translate, which point at guest memory (and how much of it, in which
 * direction). Guest and host are both x86-64 Linux, so structures need no conversion, only their
 * addresses. Calls whose arguments hold nested pointers or fd lists have their own code in {@link HostCalls}.
 */
final class CallSpec {
    /** The kinds of argument. */
    enum Kind {
        /** Passed as is. */
        VAL,
        /** A guest file descriptor: translated to the host's. */
        FD,
        /** A directory fd for the *at calls: AT_FDCWD passes as is. */
        DIRFD,
        /** A NUL-terminated path (guest memory, read). */
        PATH,
        /** A buffer the host reads. */
        IN,
        /** A buffer the host writes. */
        OUT,
        /** A buffer the host reads and writes. */
        INOUT
    }

    /** One argument: its kind, and for buffers a fixed size or the index of the argument holding the size. */
    record Arg(Kind kind, int size, int sizeArg) {
        long length(long[] args) {
            return sizeArg >= 0 ? args[sizeArg] : size;
        }
    }

    /**
     * A whole call: up to six arguments, whether the result is a new file descriptor, and for such calls the
     * argument whose O_CLOEXEC bit (SOCK_CLOEXEC, EFD_CLOEXEC: the same bit) makes it close-on-exec, or -1.
     */
    record Spec(Arg[] args, boolean returnsFd, int cloexecArg) {
        Spec(Arg[] args, boolean returnsFd) {
            this(args, returnsFd, -1);
        }
    }

    static final Arg V = new Arg(Kind.VAL, 0, -1), FD = new Arg(Kind.FD, 0, -1), DIRFD = new Arg(Kind.DIRFD, 0, -1),
            PATH = new Arg(Kind.PATH, 0, -1);

    static Arg in(int size) {
        return new Arg(Kind.IN, size, -1);
    }

    static Arg out(int size) {
        return new Arg(Kind.OUT, size, -1);
    }

    static Arg inout(int size) {
        return new Arg(Kind.INOUT, size, -1);
    }

    /** A buffer whose length is argument i. */
    static Arg inArg(int i) {
        return new Arg(Kind.IN, 0, i);
    }

    static Arg outArg(int i) {
        return new Arg(Kind.OUT, 0, i);
    }

    private static final int STAT = 144, STATFS = 120, UTSNAME = 390, STATX = 256, TIMESPEC2 = 32, TIMEVAL2 = 32,
            OFF_T = 8, SOCKADDR_MAX = 128;
    private static final Map<Syscall, Spec> SPECS = new EnumMap<>(Syscall.class);

    private static void def(Syscall s, Arg... args) {
        SPECS.put(s, new Spec(args, false));
    }

    private static void defFd(Syscall s, Arg... args) {
        SPECS.put(s, new Spec(args, true));
    }

    /** A call that returns a new fd, with its O_CLOEXEC-style flag in argument cloexecArg. */
    private static void defFd(Syscall s, int cloexecArg, Arg... args) {
        SPECS.put(s, new Spec(args, true, cloexecArg));
    }

    static {
        // files
        defFd(Syscall.OPEN, 1, PATH, V, V);
        defFd(Syscall.OPENAT, 2, DIRFD, PATH, V, V);
        defFd(Syscall.CREAT, PATH, V);
        def(Syscall.LSEEK, FD, V, V);
        def(Syscall.FSYNC, FD);
        def(Syscall.FDATASYNC, FD);
        def(Syscall.FTRUNCATE, FD, V);
        def(Syscall.TRUNCATE, PATH, V);
        def(Syscall.FALLOCATE, FD, V, V, V);
        def(Syscall.FADVISE64, FD, V, V, V);
        def(Syscall.FLOCK, FD, V);
        def(Syscall.STAT, PATH, out(STAT));
        def(Syscall.LSTAT, PATH, out(STAT));
        def(Syscall.FSTAT, FD, out(STAT));
        def(Syscall.NEWFSTATAT, DIRFD, PATH, out(STAT), V);
        def(Syscall.STATX, DIRFD, PATH, V, V, out(STATX));
        def(Syscall.STATFS, PATH, out(STATFS));
        def(Syscall.FSTATFS, FD, out(STATFS));
        def(Syscall.ACCESS, PATH, V);
        def(Syscall.FACCESSAT, DIRFD, PATH, V);
        def(Syscall.FACCESSAT2, DIRFD, PATH, V, V);
        def(Syscall.GETDENTS, FD, outArg(2), V);
        def(Syscall.GETDENTS64, FD, outArg(2), V);
        def(Syscall.GETCWD, outArg(1), V);
        def(Syscall.CHDIR, PATH);
        def(Syscall.FCHDIR, FD);
        def(Syscall.CHROOT, PATH);
        def(Syscall.MKDIR, PATH, V);
        def(Syscall.MKDIRAT, DIRFD, PATH, V);
        def(Syscall.RMDIR, PATH);
        def(Syscall.UNLINK, PATH);
        def(Syscall.UNLINKAT, DIRFD, PATH, V);
        def(Syscall.RENAME, PATH, PATH);
        def(Syscall.RENAMEAT, DIRFD, PATH, DIRFD, PATH);
        def(Syscall.RENAMEAT2, DIRFD, PATH, DIRFD, PATH, V);
        def(Syscall.LINK, PATH, PATH);
        def(Syscall.LINKAT, DIRFD, PATH, DIRFD, PATH, V);
        def(Syscall.SYMLINK, PATH, PATH);
        def(Syscall.SYMLINKAT, PATH, DIRFD, PATH);
        def(Syscall.READLINK, PATH, outArg(2), V);
        def(Syscall.READLINKAT, DIRFD, PATH, outArg(3), V);
        def(Syscall.CHMOD, PATH, V);
        def(Syscall.FCHMOD, FD, V);
        def(Syscall.FCHMODAT, DIRFD, PATH, V);
        def(Syscall.CHOWN, PATH, V, V);
        def(Syscall.LCHOWN, PATH, V, V);
        def(Syscall.FCHOWN, FD, V, V);
        def(Syscall.FCHOWNAT, DIRFD, PATH, V, V, V);
        def(Syscall.UTIMENSAT, DIRFD, PATH, in(TIMESPEC2), V);
        def(Syscall.UTIMES, PATH, in(TIMEVAL2));
        def(Syscall.UTIME, PATH, in(16));
        def(Syscall.FUTIMESAT, DIRFD, PATH, in(TIMEVAL2));
        def(Syscall.MKNOD, PATH, V, V);
        def(Syscall.MKNODAT, DIRFD, PATH, V, V);
        def(Syscall.SYNC);
        def(Syscall.SYNCFS, FD);
        def(Syscall.GETXATTR, PATH, PATH, outArg(3), V);
        def(Syscall.LGETXATTR, PATH, PATH, outArg(3), V);
        def(Syscall.FGETXATTR, FD, PATH, outArg(3), V);
        def(Syscall.LISTXATTR, PATH, outArg(2), V);
        def(Syscall.LLISTXATTR, PATH, outArg(2), V);
        def(Syscall.FLISTXATTR, FD, outArg(2), V);
        def(Syscall.SENDFILE, FD, FD, inout(OFF_T), V);
        def(Syscall.COPY_FILE_RANGE, FD, inout(OFF_T), FD, inout(OFF_T), V, V);
        def(Syscall.SPLICE, FD, inout(OFF_T), FD, inout(OFF_T), V, V);
        def(Syscall.TEE, FD, FD, V, V);
        // system
        def(Syscall.UNAME, out(UTSNAME));
        def(Syscall.SETHOSTNAME, inArg(1), V);
        def(Syscall.SETDOMAINNAME, inArg(1), V);
        defFd(Syscall.EVENTFD, V);
        defFd(Syscall.EVENTFD2, 1, V, V);
        // sockets (addresses are buffers the caller sizes)
        defFd(Syscall.SOCKET, 1, V, V, V);
        def(Syscall.CONNECT, FD, inArg(2), V);
        def(Syscall.BIND, FD, inArg(2), V);
        def(Syscall.LISTEN, FD, V);
        def(Syscall.SHUTDOWN, FD, V);
        def(Syscall.SENDTO, FD, inArg(2), V, V, inArg(5), V);
        def(Syscall.SETSOCKOPT, FD, V, V, inArg(4), V);
        def(Syscall.GETSOCKNAME, FD, out(SOCKADDR_MAX), inout(4));
        def(Syscall.GETPEERNAME, FD, out(SOCKADDR_MAX), inout(4));
        defFd(Syscall.ACCEPT, FD, out(SOCKADDR_MAX), inout(4));
        defFd(Syscall.ACCEPT4, 3, FD, out(SOCKADDR_MAX), inout(4), V);
        def(Syscall.GETSOCKOPT, FD, V, V, out(256), inout(4));
        def(Syscall.RECVFROM, FD, outArg(2), V, V, out(SOCKADDR_MAX), inout(4));
    }

    /** The generic rule for a call, or null if it needs code of its own (or is not delegated). */
    static Spec of(Syscall s) {
        return SPECS.get(s);
    }

    private CallSpec() {}
}
