package jmck.emulator.host;

import jmck.emulator.NativeLibraries;

/**
 * Raw Linux system calls on the host (jmck_host_syscall in jmck_host.c): the result is what the kernel
 * returned, -errno on failure, exactly what a guest expects in rax. Pointer arguments are host addresses.
 * Bound through JNI, not JNA: the first host calls (mapping physical memory) then need not wait
 * for JNA's start-up (its class initialisation, java.util.logging, and registering this class's methods:
 * tens of milliseconds that jmck run's machine set-up waited for).
 */
public final class HostSyscall {
    static {
        NativeLibraries.loadHost();
    }

    private HostSyscall() {}

    private static native long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

    private static native int interruptHandler(int sig);

    /**
     * The signal that ends a proxy worker's blocking host call with EINTR ({@link #interruptWith}): a
     * real-time signal neither the JVM nor libc uses.
     */
    public static final int SIG_INTERRUPT = 62;

    /** Installs a handler that does nothing for sig, without SA_RESTART: sent to a thread, it ends its blocking call. */
    public static boolean interruptWith(int sig) {
        return interruptHandler(sig) == 0;
    }

    public static long call(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        return syscall6(nr, a0, a1, a2, a3, a4, a5);
    }

    public static long call(long nr, long a0, long a1, long a2) {
        return syscall6(nr, a0, a1, a2, 0, 0, 0);
    }

    /** openat(AT_FDCWD, path, flags, mode) on the host: the new fd, or -errno. */
    public static long open(String path, int flags, int mode) {
        HostBuffer p = HostBuffer.cString(path);
        long fd = call(SYS_OPENAT, AT_FDCWD, p.address(), flags, mode, 0, 0);
        java.lang.ref.Reference.reachabilityFence(p); // the call reads it by address only
        return fd;
    }

    /** The size of the file open as host fd (fstat's st_size), or -errno. */
    public static long fileSize(long fd) {
        HostBuffer st = HostBuffer.allocate(144);
        long r = call(SYS_FSTAT, fd, st.address(), 0);
        return r < 0 ? r : st.getLong(48);
    }

    private static long pid;

    /**
     * This process's id, from getpid: ProcessHandle.current() would first initialize the JDK's process
     * machinery (a thread pool, a random generator), milliseconds of jmck run's start-up.
     */
    public static long pid() {
        if (pid == 0)
            pid = call(SYS_GETPID, 0, 0, 0);
        return pid;
    }

    /**
     * Ends this process at once with status, as _exit(2) does: no JVM shutdown (Runtime.halt still waits for
     * every thread to reach a safepoint and stops the JVM's own threads first, some 2 ms of a short run).
     * Output written through Java streams must be flushed first.
     */
    public static void exitGroup(int status) {
        call(SYS_EXIT_GROUP, status, 0, 0);
    }

    /**
     * CPU time of the calling thread in nanoseconds (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), without the
     * JDK's management beans, whose first use loads some 50 classes.
     */
    public static long threadCpuNanos() {
        HostBuffer ts = HostBuffer.allocate(16);
        if (call(SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, ts.address(), 0) != 0)
            return 0;
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }

    // Host syscall numbers used outside the generic path.
    public static final int SYS_OPENAT = 257, SYS_CLOSE = 3, SYS_FTRUNCATE = 77, SYS_MMAP = 9, SYS_MUNMAP = 11,
            SYS_UNLINK = 87, SYS_MADVISE = 28, SYS_FALLOCATE = 285, SYS_GETPID = 39, SYS_FSTAT = 5,
            SYS_GETTID = 186, SYS_TGKILL = 234, SYS_CLOCK_GETTIME = 228, SYS_EXIT_GROUP = 231;
    public static final int AT_FDCWD = -100;
    public static final int O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_CLOEXEC = 02000000;
    public static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10,
            MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    public static final int MADV_DONTNEED = 4, MADV_REMOVE = 9, MADV_HUGEPAGE = 14, MADV_POPULATE_WRITE = 23;
}
