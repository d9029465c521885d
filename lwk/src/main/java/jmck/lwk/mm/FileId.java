package jmck.lwk.mm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;

/**
 * A host file as it is at the moment it is mapped: device, inode, size and modification time. The page
 * cache knows files by it (a file that changed is a new file), and /proc/PID/maps shows its device and inode.
 */
public record FileId(long device, long inode, long size, long mtimeNanos) {
    private static final int SYS_FSTAT = 5;

    // Written out: a record's generated equals and hashCode bootstrap through method handles the first time
    // they run, some milliseconds of jmck run's start-up (see docs/performance.md, Start-up).
    @Override
    public boolean equals(Object o) {
        return o instanceof FileId f && f.device == device && f.inode == inode && f.size == size && f.mtimeNanos == mtimeNanos;
    }

    @Override
    public int hashCode() {
        return ((Long.hashCode(device) * 31 + Long.hashCode(inode)) * 31 + Long.hashCode(size)) * 31 + Long.hashCode(mtimeNanos);
    }

    /** The identity of the regular file at path (symbolic links followed), or null if it cannot be read. */
    public static FileId of(Path path) {
        try {
            if (!Files.isRegularFile(path))
                return null;
            Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime");
            java.nio.file.attribute.FileTime m = (java.nio.file.attribute.FileTime) a.get("lastModifiedTime");
            java.time.Instant t = m.toInstant();
            return new FileId(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
                    ((Number) a.get("size")).longValue(), t.getEpochSecond() * 1_000_000_000L + t.getNano());
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static final int S_IFMT = 0170000, S_IFREG = 0100000;

    /**
     * The identity of the regular file open on host descriptor fd (fstat), or null: also for a device,
     * whose contents can change with no sign in its times.
     */
    public static FileId ofFd(int fd) {
        HostBuffer st = HostBuffer.allocate(144);
        if (HostSyscall.call(SYS_FSTAT, fd, st.address(), 0) < 0 || (st.getInt(24) & S_IFMT) != S_IFREG)
            return null;
        // struct stat on x86-64: st_dev 0, st_ino 8, st_size 48, st_mtim 88 (seconds) and 96 (nanoseconds)
        return new FileId(st.getLong(0), st.getLong(8), st.getLong(48), st.getLong(88) * 1_000_000_000L + st.getLong(96));
    }

    /** The device as /proc/PID/maps shows it: "fe:01" (major:minor in hex). */
    public String deviceName() {
        StringBuilder b = new StringBuilder(8);
        Vma.hex(b, (device >> 8) & 0xfff, 2).append(':');
        return Vma.hex(b, (device & 0xff) | ((device >> 12) & 0xfff00), 2).toString();
    }
}
