package jmck.proxy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;
import jmck.lwk.syscall.Syscall;

/**
 * Calls that name filesystems rather than read or write files: sysfs's filesystem types, and
 * name_to_handle_at and open_by_handle_at, whose file handles are the host's (its filesystems'), so the calls
 * are the host's, with the struct file_handle (whose size is in its first word) copied through host memory.
 * open_by_handle_at needs CAP_DAC_READ_SEARCH, which the host checks with the guest's filesystem uid in
 * force (a non-zero one drops it), and never opens the machine's memory (see MachineMemoryFiles).
 */
final class FilesystemCalls {
    private static final int MAX_HANDLE_SZ = 128,
            AT_FDCWD = -100, AT_HANDLE_MNT_ID_UNIQUE = 1, O_CLOEXEC = 02000000, HEADER = 8;
    private final GuestBuffers mem;
    private final FdTable fds;

    FilesystemCalls(GuestBuffers mem, FdTable fds) {
        this.mem = mem;
        this.fds = fds;
    }

    /** The guest's struct file_handle at va in host memory: its header and up to MAX_HANDLE_SZ bytes of handle. */
    private HostBuffer handle(long va, int[] length) {
        byte[] header = mem.readGuest(va, 4);
        if (header == null)
            return null;
        long bytes = (header[0] & 0xffL) | (header[1] & 0xffL) << 8 | (header[2] & 0xffL) << 16 | (header[3] & 0xffL) << 24;
        int len = HEADER + (int) Math.min(bytes, MAX_HANDLE_SZ); // more is EINVAL, which the host says
        byte[] raw = mem.readGuest(va, len);
        if (raw == null)
            return null;
        HostBuffer h = mem.arena.allocate(len);
        h.write(0, raw, 0, len);
        length[0] = len;
        return h;
    }

    private long dir(long guestFd) {
        return (int) guestFd == AT_FDCWD ? AT_FDCWD : fds.host(guestFd);
    }

    /** name_to_handle_at(dirfd, path, handle, mount_id, flags): the handle (or, EOVERFLOW, its size) and mount id. */
    long nameToHandle(long[] a) {
        int[] len = {0};
        HostBuffer handle = handle(a[2], len);
        if (handle == null)
            return -Errno.EFAULT;
        long path = a[1] == 0 ? 0 : mem.path(a[1]);
        if (path < 0)
            return path;
        HostBuffer mountId = mem.arena.allocate(8);
        long r = HostSyscall.call(Syscall.NAME_TO_HANDLE_AT.nr, dir(a[0]), path, handle.address(),
                a[3] == 0 ? 0 : mountId.address(), a[4], 0);
        if (r != 0 && r != -Errno.EOVERFLOW)
            return r;
        // the mount id is written with EOVERFLOW too, so a bad mount_id pointer is EFAULT then (Linux's order)
        if (!mem.writeGuest(a[3], mountId.getByteArray(0, (a[4] & AT_HANDLE_MNT_ID_UNIQUE) != 0 ? 8 : 4)))
            return -Errno.EFAULT;
        return mem.writeGuest(a[2], handle.getByteArray(0, len[0])) ? r : -Errno.EFAULT;
    }

    /** open_by_handle_at(mount_fd, handle, flags): a new guest fd, close-on-exec if flags say so. */
    long openByHandle(long[] a) {
        int[] len = {0};
        HostBuffer handle = handle(a[1], len);
        if (handle == null)
            return -Errno.EFAULT;
        long r = HostSyscall.call(Syscall.OPEN_BY_HANDLE_AT.nr, dir(a[0]), handle.address(), a[2] | O_CLOEXEC, 0, 0, 0);
        if (r < 0)
            return r;
        if (MachineMemoryFiles.isMemory((int) r)) {
            HostSyscall.call(Syscall.CLOSE.nr, r, 0, 0);
            return -Errno.EACCES;
        }
        return fds.install((int) r, (a[2] & O_CLOEXEC) != 0, 0);
    }

    /**
     * sysfs(2): option 1 turns a filesystem name into its index, 2 an index into its name (in a buffer of
     * the caller's: names are short), 3 counts them.
     */
    long sysfs(long[] a) {
        switch ((int) a[0]) {
            case 1: {
                long name = mem.string(a[1], false);
                return name < 0 ? name : HostSyscall.call(Syscall.SYSFS.nr, 1, name, 0);
            }
            case 2: {
                HostBuffer buf = mem.arena.allocate(256);
                long r = HostSyscall.call(Syscall.SYSFS.nr, 2, a[1], buf.address());
                if (r < 0)
                    return r;
                String s = buf.getString(0);
                byte[] b = Arrays.copyOf(s.getBytes(StandardCharsets.US_ASCII), s.length() + 1);
                return mem.writeGuest(a[2], b) ? r : -Errno.EFAULT;
            }
            default:
                return HostSyscall.call(Syscall.SYSFS.nr, a[0], a[1], a[2]);
        }
    }
}
