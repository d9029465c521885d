package jmck.lwk.mm;

import java.nio.ByteBuffer;
import jmck.emulator.PhysicalMemory;

/**
 * A host file's contents, mapped read-only from the host. Bytes at or past limit read as zero: an ELF
 * data segment's last page holds the file's data up to p_filesz and zeros after it (the start of .bss).
 */
public final class FileBacking implements Backing {
    private final ByteBuffer contents;
    private final long limit;
    private final String path;
    private final String device;
    private final long inode;

    public FileBacking(ByteBuffer contents, long limit, String path, String device, long inode) {
        this.contents = contents.asReadOnlyBuffer();
        this.limit = Math.min(limit, contents.capacity());
        this.path = path;
        this.device = device;
        this.inode = inode;
    }

    /** The same file with a different zero limit. */
    public FileBacking withLimit(long newLimit) {
        return new FileBacking(contents, newLimit, path, device, inode);
    }

    @Override
    public void fill(PhysicalMemory mem, long pa, long offset, long length) {
        long n = Math.min(length, limit - offset);
        if (n <= 0)
            return;
        ByteBuffer src = contents.duplicate();
        src.position((int) offset).limit((int) (offset + n));
        mem.write(pa, src);
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public long inode() {
        return inode;
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
