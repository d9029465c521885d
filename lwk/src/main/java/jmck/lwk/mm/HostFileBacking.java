package jmck.lwk.mm;

import jmck.emulator.PhysicalMemory;
import jmck.emulator.host.HostSyscall;

/**
 * A host file mapped by the guest (mmap with a file descriptor). The LWK holds its own host descriptor for
 * the file; a page is filled on its first fault by a host pread straight into the frame, and pages of a
 * MAP_SHARED mapping that the CPU marked dirty (the PTE's D bit) are written back with pwrite on msync,
 * munmap and exit. Bytes past the end of the file read as zero.
 */
public final class HostFileBacking implements Backing {
    private static final int SYS_PREAD64 = 17, SYS_PWRITE64 = 18, SYS_CLOSE = 3;
    private final int fd;
    private final String path;
    private final FileId id;
    private final boolean sharedWritable;
    private boolean closed;

    /**
     * Takes ownership of the host descriptor fd of the file at path, whose identity is id (null if unknown);
     * sharedWritable: whether the guest's descriptor allowed shared writable mappings.
     */
    public HostFileBacking(int fd, String path, FileId id, boolean sharedWritable) {
        this.fd = fd;
        this.path = path;
        this.id = id;
        this.sharedWritable = sharedWritable;
    }

    @Override
    public boolean sharedWritable() {
        return sharedWritable;
    }

    @Override
    public void fill(PhysicalMemory mem, long pa, long offset, long length) {
        long done = 0;
        while (done < length) {
            long n = HostSyscall.call(SYS_PREAD64, fd, mem.hostAddress(pa + done), length - done, offset + done, 0, 0);
            if (n <= 0) // end of file (the rest stays zero), or an error
                return;
            done += n;
        }
    }

    @Override
    public long currentSize() {
        FileId now = FileId.ofFd(fd); // null for a device or pipe, which has no end to fault past
        return now == null ? -1 : now.size();
    }

    /**
     * A backing for the host descriptor fd (now owned by it), named as the host names the file;
     * sharedWritable as in the constructor.
     */
    public static HostFileBacking of(int fd, boolean sharedWritable) {
        String path = "?";
        try {
            path = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString();
        } catch (java.io.IOException | RuntimeException e) {
            // an unnamed file: maps shows what it can
        }
        return new HostFileBacking(fd, path, FileId.ofFd(fd), sharedWritable);
    }

    /**
     * Writes [pa, pa+length) back to the file at offset, up to the file's end: a mapping's writes do not
     * make the file longer (a page past the end is not written, the last page only up to the end).
     */
    public void writeBack(PhysicalMemory mem, long pa, long offset, long length) {
        FileId now = FileId.ofFd(fd);
        if (now != null)
            length = Math.min(length, Math.max(0, now.size() - offset));
        long done = 0;
        while (done < length) {
            long n = HostSyscall.call(SYS_PWRITE64, fd, mem.hostAddress(pa + done), length - done, offset + done, 0, 0);
            if (n <= 0)
                return;
            done += n;
        }
    }

    /** Address spaces that map this file (fork shares it). */
    private int users = 1;

    /** One more address space maps this file (fork). */
    public void retain() {
        users++;
    }

    /** An address space that mapped this file is gone; the last one closes the descriptor. */
    public void release() {
        if (--users == 0)
            close();
    }

    /** Closes the host descriptor. */
    public void close() {
        if (!closed) {
            closed = true;
            HostSyscall.call(SYS_CLOSE, fd, 0, 0);
        }
    }

    @Override
    public FileId fileId() {
        return id;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String toString() {
        return path;
    }
}
