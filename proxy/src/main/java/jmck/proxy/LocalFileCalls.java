package jmck.proxy;

import java.util.EnumSet;
import java.util.Set;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.file.LocalFiles;
import jmck.lwk.syscall.Syscall;

/**
 * The proxy's part in the files the LWK implements itself (jmck.lwk.file: pidfds, signalfds). Their guest
 * fds are read ends of pipes the LWK keeps, so that the host's poll, select and epoll see them ready when
 * the LWK says; the fd table marks them with the file's id. A read, write or ioctl on one is not run here:
 * the answer is a redirect ({@link LocalFiles#REDIRECT}) and the LWK makes the call. The LWK's questions
 * about fds (which file is this fd, a copy of another process's fd, are two fds one file) are answered here,
 * where the fd tables are.
 */
final class LocalFileCalls {
    private static final int SYS_FCNTL = 72, SYS_OPENAT = 257, SYS_KCMP = 312, SYS_GETPID = 39;
    private static final int F_GETFL = 3, F_SETFL = 4, O_RDONLY = 0, O_NONBLOCK = 04000, O_CLOEXEC = 02000000,
            KCMP_FILE = 0;
    /** Requests every file takes, whatever it is (fs/ioctl.c do_vfs_ioctl): the host's or the table's. */
    private static final int FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIONBIO = 0x5421, FIOASYNC = 0x5452;
    /** The calls on a local file's fd that the LWK makes. */
    private static final Set<Syscall> REDIRECTED = EnumSet.of(Syscall.READ, Syscall.READV, Syscall.WRITE,
            Syscall.WRITEV, Syscall.IOCTL);
    private static final long OWN_PID = HostSyscall.call(SYS_GETPID, 0, 0, 0);

    private LocalFileCalls() {}

    /**
     * The redirect for call if its fd (the first argument) is a local file's: the file's id, and whether the
     * fd has O_NONBLOCK; 0 for any other call or fd.
     */
    static long redirect(FdTable fds, Syscall call, long[] a) {
        if (!REDIRECTED.contains(call))
            return 0;
        long id = fds.local(a[0]);
        if (id == 0)
            return 0;
        int req = (int) a[1];
        if (call == Syscall.IOCTL && (req == FIOCLEX || req == FIONCLEX || req == FIONBIO || req == FIOASYNC))
            return 0;
        long fl = HostSyscall.call(SYS_FCNTL, fds.host(a[0]), F_GETFL, 0);
        return LocalFiles.REDIRECT | (fl >= 0 && (fl & O_NONBLOCK) != 0 ? LocalFiles.NONBLOCK : 0) | id;
    }

    /**
     * IkcCall.OPEN_LOCAL_FILE: a read end of the LWK's pipe (host fd pipeFd of process lwkPid, opened through
     * /proc), installed in fds marked with id, with O_NONBLOCK and close-on-exec as flags say. The guest fd,
     * or -errno.
     */
    static long open(FdTable fds, long lwkPid, long pipeFd, long flags, long id) {
        HostBuffer path = HostBuffer.allocate(64);
        path.setString(0, "/proc/" + (lwkPid == OWN_PID ? "self" : Long.toString(lwkPid)) + "/fd/" + pipeFd);
        long h = HostCalls.asProxyWhile(() -> HostSyscall.call(SYS_OPENAT, HostSyscall.AT_FDCWD, path.address(),
                O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0, 0, 0));
        java.lang.ref.Reference.reachabilityFence(path); // the call reads it by address only
        if (h < 0)
            return h;
        if ((flags & O_NONBLOCK) == 0)
            HostSyscall.call(SYS_FCNTL, h, F_SETFL, O_RDONLY);
        return fds.installLocal((int) h, (flags & O_CLOEXEC) != 0, id);
    }

    /**
     * IkcCall.LOCAL_FILE_OF: the id guest fd is marked with (| NONBLOCK); for an unmarked fd, PROC_DIRECTORY |
     * PID if it is an LWK process's /proc/PID directory (PID's directory under the LWK's state directory,
     * proc/PID), else 0; -EBADF if it is not open.
     */
    static long of(FdTable fds, long fd, java.nio.file.Path stateDirectory) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        long id = fds.local(fd);
        if (id == 0)
            return procDirectory(h, stateDirectory);
        long fl = HostSyscall.call(SYS_FCNTL, h, F_GETFL, 0);
        return id | (fl >= 0 && (fl & O_NONBLOCK) != 0 ? LocalFiles.NONBLOCK : 0);
    }

    private static long procDirectory(int hostFd, java.nio.file.Path stateDirectory) {
        try {
            java.nio.file.Path opened = java.nio.file.Files.readSymbolicLink(
                    java.nio.file.Path.of("/proc/self/fd/" + hostFd));
            if (stateDirectory == null || !stateDirectory.resolve("proc").toRealPath().equals(opened.getParent()))
                return 0;
            return LocalFiles.PROC_DIRECTORY | Integer.parseInt(opened.getFileName().toString());
        } catch (java.io.IOException | RuntimeException e) { // not a link to a path; a name that is no pid
            return 0;
        }
    }

    /** IkcCall.COMPARE_FILES: kcmp KCMP_FILE on the host fds behind two guest fds of tables a and b. */
    static long compare(FdTable a, long fdA, FdTable b, long fdB) {
        int ha = a.host(fdA), hb = b.host(fdB);
        if (ha < 0 || hb < 0)
            return -Errno.EBADF;
        return HostSyscall.call(SYS_KCMP, OWN_PID, OWN_PID, KCMP_FILE, ha, hb, 0);
    }
}
