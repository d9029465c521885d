package jmck.proxy;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.arch.X86;
import jmck.lwk.syscall.Syscall;

/**
 * Runs a guest's delegated syscalls on the host: mcexec's main loop body. Each call goes by a rule of its own
 * ({@link #rule}: read and write over the guest buffer's pieces, the fd-table calls, polling, messages) or,
 * for a call whose arguments the {@link Syscall} table describes fully, by the generic path, which passes
 * each argument by its kind: values as they are, guest fds translated through the {@link FdTable}, guest
 * buffers and strings as host pointers ({@link GuestBuffers}). The host kernel, which is Linux, then
 * decides what the guest gets.
 */
final class HostCalls {
    private static final int SYS_FSTAT = 5, SYS_READV = 19, SYS_WRITEV = 20, SYS_PREADV = 295, SYS_PWRITEV = 296,
            SYS_FCNTL = 72, F_GETFL = 3, SYS_PREADV2 = 327, SYS_PWRITEV2 = 328;
    private static final int AT_FDCWD = -100, IOV_MAX = GuestBuffers.IOV_MAX;
    private static final long PAGE = GuestBuffers.PAGE, MAX_RW_COUNT = GuestBuffers.MAX_RW_COUNT;

    /**
     * The calls with code of their own ({@link #rule}); every other delegated call is passed by its
     * arguments' kinds. Kept beside rule's switch: SyscallTableTest checks that every delegated call is one
     * or the other.
     */
    private static final java.util.Set<Syscall> RULED = java.util.EnumSet.of(
            Syscall.READ, Syscall.PREAD64, Syscall.READV, Syscall.PREADV, Syscall.PREADV2, Syscall.PWRITEV2,
            Syscall.WRITE, Syscall.PWRITE64, Syscall.WRITEV, Syscall.PWRITEV, Syscall.CLOSE, Syscall.SENDFILE,
            Syscall.SPLICE, Syscall.COPY_FILE_RANGE, Syscall.DUP, Syscall.DUP2, Syscall.DUP3,
            Syscall.CLOSE_RANGE, Syscall.FCNTL, Syscall.IOCTL, Syscall.PIPE, Syscall.PIPE2, Syscall.SOCKETPAIR,
            Syscall.POLL, Syscall.PPOLL, Syscall.SELECT, Syscall.ACCESS, Syscall.FACCESSAT, Syscall.FACCESSAT2,
            Syscall.SENDMMSG, Syscall.RECVMMSG, Syscall.OPENAT2, Syscall.SYSFS, Syscall.NAME_TO_HANDLE_AT,
            Syscall.OPEN_BY_HANDLE_AT, Syscall.SENDMSG, Syscall.RECVMSG, Syscall.VMSPLICE, Syscall.KEYCTL,
            Syscall.ADD_KEY, Syscall.REQUEST_KEY, Syscall.FSCONFIG, Syscall.STATMOUNT, Syscall.LISTMOUNT,
            Syscall.PSELECT6);

    /** NO_RULE: rule has no case for the call. */
    private static final long NO_RULE = Long.MIN_VALUE;

    /**
     * Runs call by its rule, or returns NO_RULE. A switch rather than a table of lambdas: linking some 45
     * lambdas when the class initialised was 6-8 ms of CPU in every run, on the first worker's thread while
     * the program started.
     */
    private long rule(Syscall call, long[] a) {
        return switch (call) {
            case READ -> transfer(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case PREAD64 -> transfer(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            case READV -> vector(SYS_READV, a[0], a[1], a[2], true, -1, false);
            case PREADV -> vector(SYS_PREADV, a[0], a[1], a[2], true, a[3], true);
            // preadv2/pwritev2: offset -1 is the file position; the flags (RWF_*) go along
            case PREADV2 -> vector2(SYS_PREADV2, a, true);
            case PWRITEV2 -> vector2(SYS_PWRITEV2, a, false);
            // a write to a writable generated file (/proc) goes to the LWK; like Linux's /proc write handlers,
            // those take no offset
            case WRITE -> fds.writer(a[0]) != null ? writeGenerated(a[0], a[1], a[2], false)
                    : transfer(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PWRITE64 -> fds.writer(a[0]) != null ? writeGenerated(a[0], a[1], a[2], false)
                    : transfer(SYS_PWRITEV, a[0], a[1], a[2], false, a[3], true);
            case WRITEV -> fds.writer(a[0]) != null ? writeGenerated(a[0], a[1], a[2], true)
                    : vector(SYS_WRITEV, a[0], a[1], a[2], false, -1, false);
            case PWRITEV -> fds.writer(a[0]) != null ? writeGenerated(a[0], a[1], a[2], true)
                    : vector(SYS_PWRITEV, a[0], a[1], a[2], false, a[3], true);
            case CLOSE -> fds.close(a[0]);
            // a generated /proc file, like a seq_file, has no splice_read
            case SENDFILE -> fds.isGenerated(a[1]) ? -Errno.EINVAL : sendfile(a);
            case SPLICE -> fds.isGenerated(a[0]) ? -Errno.EINVAL : generic.run(Syscall.SPLICE, a);
            case COPY_FILE_RANGE -> fds.isGenerated(a[0]) ? -Errno.EINVAL
                    : generic.run(Syscall.COPY_FILE_RANGE, a);
            case DUP -> fdCalls.dup(a[0]);
            case DUP2 -> fdCalls.dup2(a[0], a[1]);
            case DUP3 -> fdCalls.dup3(a[0], a[1], a[2]);
            case CLOSE_RANGE -> fdCalls.closeRange(a[0], a[1], a[2]);
            case FCNTL -> fdCalls.fcntl(a[0], (int) a[1], a[2]);
            case IOCTL -> fdCalls.ioctl(a[0], a[1], a[2]);
            case PIPE -> fdCalls.pair(a[0], 0, -1);
            case PIPE2 -> fdCalls.pair(a[0], (int) a[1], -1);
            case SOCKETPAIR -> fdCalls.pair(a[3], (int) a[1], a[0] | ((long) a[2] << 32));
            case POLL -> polls.poll(a[0], a[1], (int) a[2]);
            case PPOLL -> polls.ppoll(a[0], a[1], a[2], a[3], a[4]);
            case SELECT -> polls.select((int) a[0], a[1], a[2], a[3], a[4]);
            // access checks with the ids the LWK sent (the real ones unless AT_EACCESS): the host's faccessat2
            // with AT_EACCESS checks with this thread's filesystem ids, which are those
            case ACCESS -> access(new long[] {AT_FDCWD, a[0], a[1], 0}, 0);
            case FACCESSAT -> access(new long[] {a[0], a[1], a[2], 0}, 1);
            case FACCESSAT2 -> access(new long[] {a[0], a[1], a[2], a[3]}, 1);
            case SENDMMSG -> messages.sendmmsg(a[0], a[1], a[2], a[3]);
            case RECVMMSG -> messages.recvmmsg(a[0], a[1], a[2], a[3]);
            case OPENAT2 -> fdCalls.openat2(a, pathOverrideArg == 1 ? pathOverride : null);
            case SYSFS -> filesystems.sysfs(a);
            case NAME_TO_HANDLE_AT -> filesystems.nameToHandle(a);
            case OPEN_BY_HANDLE_AT -> filesystems.openByHandle(a);
            case SENDMSG -> messages.sendmsg(a[0], a[1], a[2]);
            case RECVMSG -> messages.recvmsg(a[0], a[1], a[2]);
            case VMSPLICE -> messages.vmsplice(a[0], a[1], a[2], a[3]);
            case KEYCTL -> KeyCalls.onKeysThread(() -> keys.keyctl(a));
            case ADD_KEY -> KeyCalls.onKeysThread(() -> generic.run(Syscall.ADD_KEY, a));
            case REQUEST_KEY -> KeyCalls.onKeysThread(() -> generic.run(Syscall.REQUEST_KEY, a));
            case FSCONFIG -> mounts.fsconfig(a);
            case STATMOUNT -> mounts.mountInfo(Syscall.STATMOUNT, a);
            case LISTMOUNT -> mounts.mountInfo(Syscall.LISTMOUNT, a);
            case PSELECT6 -> polls.pselect6((int) a[0], a[1], a[2], a[3], a[4], a[5]);
            default -> NO_RULE;
        };
    }

    private static final long AT_EACCESS = 0x200;

    /** faccessat2 with AT_EACCESS added; pathArg is where the calling syscall had its path. */
    private long access(long[] a, int pathArg) {
        if (pathOverrideArg == pathArg)
            pathOverrideArg = 1;
        a[3] |= AT_EACCESS;
        return generic.run(Syscall.FACCESSAT2, a);
    }

    /** Whether the proxy can run call: a rule of its own, or arguments the table describes fully. */
    static boolean canRun(Syscall call) {
        return RULED.contains(call) || call.fullyDescribed();
    }

    private final GuestBuffers mem;
    private final FdTable fds;
    private final FdCalls fdCalls;
    private final PollCalls polls;
    private final MessageCalls messages;
    private final FilesystemCalls filesystems;
    private final GenericCalls generic;
    private final KeyCalls keys;
    private final MountCalls mounts;
    /**
     * The guest process's umask (the LWK keeps it: umask is a LOCAL call), set before each call; -1 leaves
     * the host process's own umask in force.
     */
    int umask = -1;
    /**
     * The guest process's filesystem uid and gid (the LWK keeps its credentials), set before each call: a
     * call runs with them on the host (on this worker's thread only), so that the host checks permissions
     * as Linux would for the guest; -1 leaves the proxy's own.
     */
    int fsuid = -1, fsgid = -1;
    /** The guest's effective capabilities for the call (the LWK keeps them), set before each call; -1: the proxy's. */
    long capabilities = -1;
    /** The guest process's RLIMIT_FSIZE (the LWK keeps it), set before each call; -1: none (FileSizeLimit). */
    long fileSizeLimit = -1;
    private static final int SYS_SETFSUID = 122, SYS_SETFSGID = 123;
    /**
     * The IKC slot of the call being served, set before each call, so that a call made of several host calls
     * can tell whether the LWK asked to interrupt it (a signal for its thread); null channel: not served
     * through IKC.
     */
    jmck.ihk.ikc.IkcChannel channel;
    int slot;
    /** The proxy's own filesystem ids, which each worker goes back to after a call. */
    private static final int OWN_FSUID = (int) HostSyscall.call(SYS_SETFSUID, -1, 0, 0),
            OWN_FSGID = (int) HostSyscall.call(SYS_SETFSGID, -1, 0, 0);

    /** The generation of the process's working directory this worker entered last (see WorkingDirectory). */
    private long directorySeen;

    /** Calls for a guest process, made on the calling thread (a worker of that process's). */
    HostCalls(GuestMemory guest, FdTable fds) {
        WorkingDirectory.ownThread();
        this.mem = new GuestBuffers(guest, fds);
        this.fds = fds;
        this.fdCalls = new FdCalls(fds, mem);
        this.polls = new PollCalls(fds, mem);
        this.messages = new MessageCalls(fds, mem);
        this.filesystems = new FilesystemCalls(mem, fds);
        this.generic = new GenericCalls(this, mem, fds);
        this.keys = new KeyCalls(generic, mem);
        this.mounts = new MountCalls(generic, mem);
    }

    FdTable fds() {
        return fds;
    }

    /**
     * sendfile(out, in, offset, count) served in one crossing where Linux returns early. Linux's sendfile to
     * a pipe returns after each pipe's worth (64 KiB), and `busybox cat` calls it again until it returns 0:
     * 128 crossings for 8 MiB, the pipe's reader waiting through each. Here, after a call that moved
     * something short of count, the host's sendfile is called again if the output takes more within
     * {@link #SENDFILE_ROOM_MILLIS} (a reader drains the pipe meanwhile). Otherwise the partial count is the
     * answer, as on Linux, a little later: a thread that fills a pipe it reads itself gets its 64 KiB back
     * rather than blocking. A call that moves nothing (end of file, an error) or a signal for the guest
     * thread ends it too, with the bytes moved so far. A non-blocking output is left as Linux leaves it: its
     * owner wants what fits now, not more later.
     */
    private long sendfile(long[] a) {
        long moved = generic.run(Syscall.SENDFILE, a); // the guest's count as it is: the host checks it
        long count = Long.compareUnsigned(a[3], MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : a[3]; // Linux's cap
        long out = fds.host(a[0]);
        if (moved <= 0 || moved >= count || !blocking(out))
            return moved; // the whole count, nothing, or a non-blocking output's answer: as Linux's
        long[] rest = a.clone();
        while (moved < count && (channel == null || !channel.interruptRequested(slot)) && takesMoreSoon(out)) {
            rest[3] = count - moved;
            long n = generic.run(Syscall.SENDFILE, rest);
            if (n <= 0)
                break;
            moved += n;
        }
        return moved;
    }

    /** How long a sendfile that filled its output waits for room before it answers with what it moved. */
    static final int SENDFILE_ROOM_MILLIS = 2;
    private static final int SYS_POLL = 7, POLLOUT = 4, O_NONBLOCK = 04000;
    private HostBuffer pollfd;

    /** Whether host fd is one and blocks (O_NONBLOCK clear). */
    private static boolean blocking(long fd) {
        return fd >= 0 && (HostSyscall.call(SYS_FCNTL, fd, F_GETFL, 0) & O_NONBLOCK) == 0;
    }

    /** Whether host fd takes more output within SENDFILE_ROOM_MILLIS (or fails: the next call says how). */
    private boolean takesMoreSoon(long fd) {
        if (pollfd == null)
            pollfd = HostBuffer.allocate(8);
        pollfd.setInt(0, (int) fd);
        pollfd.setInt(4, POLLOUT); // events; revents 0
        return HostSyscall.call(SYS_POLL, pollfd.address(), 1, SENDFILE_ROOM_MILLIS) > 0;
    }

    /** Bytes moved with and without a bounce copy, for tests and benchmarks. */
    long zeroCopyBytes() {
        return mem.zeroCopyBytes;
    }

    long bounceBytes() {
        return mem.bounceBytes;
    }

    /** A path that replaces the guest's in argument pathOverrideArg for this call (see executeWithPath). */
    String pathOverride;
    int pathOverrideArg = -1;

    /** Executes call with the path argument pathArg replaced by hostPath (a /proc path the LWK resolved). */
    long executeWithPath(Syscall call, long[] a, int pathArg, String hostPath) {
        pathOverride = hostPath;
        pathOverrideArg = pathArg;
        try {
            return execute(call, a);
        } finally {
            pathOverride = null;
            pathOverrideArg = -1;
        }
    }

    /** truncate's path as the call will take it (the LWK's /proc resolution, or the guest's), or -errno. */
    private long limitedPath(Syscall call, long[] a) {
        if (call != Syscall.TRUNCATE)
            return -1;
        return pathOverrideArg == 0 ? mem.hostPath(pathOverride) : mem.path(a[0]);
    }

    /** Executes call with guest arguments a; returns what the guest sees in rax. */
    long execute(Syscall call, long[] a) {
        long redirect = LocalFileCalls.redirect(fds, call, a); // a pidfd's or signalfd's: the LWK makes the call
        if (redirect != 0)
            return redirect;
        mem.arena.reset();
        directorySeen = fds.directory().enter(directorySeen);
        boolean switched = asGuest();
        try {
            if (fileSizeLimit >= 0 && call.has(Syscall.Flag.FSIZE) && fds.writer(a[0]) == null
                    && (a = FileSizeLimit.apply(call, a, fileSizeLimit, fds, mem, limitedPath(call, a))) == null)
                return FileSizeLimit.REFUSED;
            long busy = pathOverride == null ? RunningPrograms.INSTANCE.refuseWrite(call, a, fds, mem) : 0;
            if (busy != 0)
                return busy;
            long r = rule(call, a);
            if (r == NO_RULE)
                r = call.fullyDescribed() ? generic.run(call, a) : -Errno.ENOSYS;
            if (r == 0 && (call == Syscall.CHDIR || call == Syscall.FCHDIR || call == Syscall.CHROOT))
                directorySeen = fds.directory().changed(call == Syscall.CHROOT);
            return r;
        } finally {
            if (switched)
                asProxy();
        }
    }

    /**
     * Takes on the guest's filesystem ids and effective capabilities on this thread if they are not the
     * proxy's (setfsuid, setfsgid and capset are per thread; a filesystem uid other than 0 also drops the
     * filesystem capabilities, as for the guest on Linux). Returns whether it switched.
     */
    private boolean asGuest() {
        boolean caps = capabilities != -1 && capabilities != (ThreadCapabilities.OWN_EFFECTIVE & ~capabilityMask());
        if (!caps && (fsuid == -1 || fsuid == OWN_FSUID) && (fsgid == -1 || fsgid == OWN_FSGID))
            return false;
        HostSyscall.call(SYS_SETFSGID, fsgid == -1 ? OWN_FSGID : fsgid, 0, 0);
        HostSyscall.call(SYS_SETFSUID, fsuid == -1 ? OWN_FSUID : fsuid, 0, 0);
        if (caps)
            threadCaps.setEffective(capabilities);
        capsSwitched = caps;
        return true;
    }

    private void asProxy() {
        if (capsSwitched)
            threadCaps.setEffective(ThreadCapabilities.OWN_EFFECTIVE);
        HostSyscall.call(SYS_SETFSUID, OWN_FSUID, 0, 0);
        HostSyscall.call(SYS_SETFSGID, OWN_FSGID, 0, 0);
    }

    /** The filesystem capabilities, which a filesystem uid other than 0 drops anyway (see asGuest). */
    private long capabilityMask() {
        return fsuid > 0 ? FS_CAPABILITIES : 0;
    }

    private static final long FS_CAPABILITIES = 0x1fL | (1L << 9) | (1L << 27) | (1L << 32);
    private final ThreadCapabilities threadCaps = new ThreadCapabilities();
    private boolean capsSwitched;

    /**
     * Runs work with the proxy's own filesystem ids on this thread (the proxy's files, such as a generated
     * /proc file's contents, are its own business even while a call runs as the guest), then puts back
     * whatever ids the thread had.
     */
    static <T> T asProxyWhile(java.util.function.Supplier<T> work) {
        int u = (int) HostSyscall.call(SYS_SETFSUID, -1, 0, 0), g = (int) HostSyscall.call(SYS_SETFSGID, -1, 0, 0);
        if (u == OWN_FSUID && g == OWN_FSGID)
            return work.get();
        HostSyscall.call(SYS_SETFSUID, OWN_FSUID, 0, 0);
        HostSyscall.call(SYS_SETFSGID, OWN_FSGID, 0, 0);
        try {
            return work.get();
        } finally {
            HostSyscall.call(SYS_SETFSGID, g, 0, 0);
            HostSyscall.call(SYS_SETFSUID, u, 0, 0);
        }
    }

    /**
     * A new guest fd whose contents are generated when first used, and whose writes (if writer is not null)
     * go to writer (see {@link FdTable#installGenerated}).
     */
    long openContents(String name, java.util.function.Supplier<byte[]> contents,
            java.util.function.ToLongFunction<byte[]> writer) {
        return fds.installGenerated(name, contents, writer);
    }

    /**
     * A write to a writable generated file: the bytes (of one buffer, or of count iovecs at buf if vector)
     * go to the LWK, whose answer is the result. As Linux's /proc write handlers, it takes up to a page.
     */
    private long writeGenerated(long fd, long buf, long count, boolean vector) {
        java.util.function.ToLongFunction<byte[]> writer = fds.writer(fd);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long[][] pieces = {{buf, count}};
        if (vector) {
            if (count < 0 || count > IOV_MAX)
                return -Errno.EINVAL;
            byte[] v = mem.readGuest(buf, 16 * (int) count);
            if (v == null)
                return -Errno.EFAULT;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            pieces = new long[(int) count][];
            for (int i = 0; i < count; i++)
                pieces[i] = new long[] {b.getLong(16 * i), b.getLong(16 * i + 8)};
        }
        for (long[] piece : pieces) {
            long len = Math.min(piece[1], PAGE - out.size());
            if (len < 0)
                return -Errno.EINVAL;
            byte[] b = mem.readGuest(piece[0], (int) len);
            if (b == null)
                return -Errno.EFAULT;
            out.write(b, 0, b.length);
        }
        return writer.applyAsLong(out.toByteArray());
    }

    /** The host files behind guest fds that the LWK needs itself (mmap, execve). */
    HostFilesForLwk filesForLwk() {
        directorySeen = fds.directory().enter(directorySeen); // execve's relative path
        return new HostFilesForLwk(mem, fds, this::asGuestWhile);
    }

    /** Runs a host call with the guest's filesystem ids and capabilities on this thread, as execute does. */
    long asGuestWhile(java.util.function.LongSupplier work) {
        boolean switched = asGuest();
        try {
            return work.getAsLong();
        } finally {
            if (switched)
                asProxy();
        }
    }

    /** The flags of a preadv2/pwritev2 being served, passed as the host call's sixth argument. */
    private long vectorFlags;

    private long vector2(int vecCall, long[] a, boolean toGuest) {
        vectorFlags = a[5];
        try {
            return vector(vecCall, a[0], a[1], a[2], toGuest, a[3], a[3] != -1);
        } finally {
            vectorFlags = 0;
        }
    }

    /** read/write/pread64/pwrite64 as readv-family calls over the guest buffer's pieces: no copy. */
    private long transfer(int vecCall, long fd, long buf, long count, boolean toGuest, long offset, boolean positional) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        if (!X86.accessOk(buf, count)) // Linux checks the whole range first, even for count 0
            return failed(vecCall, h, offset, -Errno.EFAULT);
        if (count == 0)
            return HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return move(vecCall, h, new long[] {buf, Math.min(count, MAX_RW_COUNT)}, toGuest, offset, positional);
    }

    /**
     * readv/writev/preadv/pwritev: each guest iovec becomes one or more host iovecs over guest pages. The
     * iovecs are read and checked before anything moves, as Linux's import_iovec does: EINVAL for a
     * negative length, EFAULT for an array the guest may not read or a buffer outside the user half.
     */
    private long vector(int vecCall, long fd, long guestIov, long iovcnt, boolean toGuest, long offset, boolean positional) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        if (Long.compareUnsigned(iovcnt, IOV_MAX) > 0)
            return failed(vecCall, h, offset, -Errno.EINVAL);
        if (iovcnt > 0 && !X86.accessOk(guestIov, 16 * iovcnt))
            return failed(vecCall, h, offset, -Errno.EFAULT);
        long[] ranges = new long[2 * (int) iovcnt];
        for (int i = 0; i < iovcnt; i++) {
            byte[] v = mem.readGuest(guestIov + 16L * i, 16); // an iovec may straddle two pages
            if (v == null)
                return failed(vecCall, h, offset, -Errno.EFAULT);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ranges[2 * i] = b.getLong(0);
            ranges[2 * i + 1] = b.getLong(8);
            if (ranges[2 * i + 1] < 0)
                return failed(vecCall, h, offset, -Errno.EINVAL);
        }
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            long len = ranges[2 * i + 1];
            if (!X86.accessOk(ranges[2 * i], iovcnt == 1 ? Math.min(len, MAX_RW_COUNT) : len)) // one iovec: clamped first
                return failed(vecCall, h, offset, -Errno.EFAULT);
            len = Math.min(len, MAX_RW_COUNT - total);
            ranges[2 * i + 1] = len;
            total += len;
        }
        if (total == 0)
            return HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return move(vecCall, h, ranges, toGuest, offset, positional);
    }

    /**
     * The result of a read or write whose guest buffers are bad: error, unless the host finds something
     * wrong first with the descriptor (EBADF for a file not open for reading, ESPIPE for pread on a pipe,
     * EINVAL for a negative offset), as Linux checks those first. The call over no iovecs asks just that.
     */
    private static long failed(int vecCall, int h, long offset, long error) {
        long r = HostSyscall.call(vecCall, h, 0, 0, offset, 0, 0);
        return r < 0 ? r : error;
    }

    /**
     * Moves bytes between host fd h and guest memory (ranges holds va, length pairs) with vecCall over host
     * iovecs for the ranges' physically contiguous pieces. When there are more pieces than one call takes
     * (IOV_MAX), further calls follow for as long as each moves all it was given, so that, as on Linux, one
     * write moves everything and one read fills the buffer from a regular file; a read from anything else
     * (a pipe, socket or terminal) returns what the first call found. Where a range runs into memory the
     * guest may not access, the rest of it is {@link #GuestBuffers.GUARD}: the host moves what comes before and then
     * returns what Linux would (a regular file the bytes moved, a pipe EFAULT, /dev/null everything).
     */
    private long move(int vecCall, int h, long[] ranges, boolean toGuest, long offset, boolean positional) {
        HostBuffer iov = mem.arena.allocate(16L * IOV_MAX);
        long[] covered = new long[1];
        long done = 0, into = 0; // the next guest byte is at ranges[2 * i] + into
        int i = 0;
        while (true) {
            int n = 0;
            long batch = 0;
            boolean fault = false;
            while (i < ranges.length / 2 && n < IOV_MAX) {
                long left = ranges[2 * i + 1] - into;
                if (left > 0) {
                    long va = ranges[2 * i] + into;
                    n = mem.pieces(va, left, toGuest, iov, n, covered);
                    batch += covered[0];
                    into += covered[0];
                    if (covered[0] < left) {
                        if (n == IOV_MAX)
                            break; // the host iovecs are full: the next call starts here
                        iov.setLong(16L * n, GuestBuffers.GUARD + ((va + covered[0]) & (PAGE - 1)));
                        iov.setLong(16L * n + 8, left - covered[0]);
                        n++;
                        fault = true;
                        break;
                    }
                }
                i++;
                into = 0;
            }
            mem.zeroCopyBytes += batch;
            long r = HostSyscall.call(vecCall, h, iov.address(), n, positional ? offset + done : offset, 0, vectorFlags);
            if (r < 0)
                return done > 0 ? done : r;
            done += r;
            if (r < batch || fault || i >= ranges.length / 2 || toGuest && !fillsReads(h))
                return done;
        }
    }

    /** Whether a read from host fd h fills the buffer as far as the data goes: a regular file or block device. */
    private boolean fillsReads(int h) {
        HostBuffer st = mem.arena.allocate(144);
        if (HostSyscall.call(SYS_FSTAT, h, st.address(), 0) < 0)
            return false;
        int type = st.getInt(24) & 0170000; // st_mode
        return type == 0100000 || type == 0060000;
    }
}
