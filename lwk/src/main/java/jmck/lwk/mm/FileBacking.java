package jmck.lwk.mm;

import java.nio.ByteBuffer;
import jmck.emulator.PhysicalMemory;

/**
 * A host file's contents, mapped read-only from the host (an ELF program's or interpreter's segments).
 * Bytes at or past limit read as zero: an ELF data segment's last page holds the file's data up to
 * p_filesz and zeros after it (the start of .bss).
 */
public final class FileBacking implements Backing {
    private final ByteBuffer contents;
    private final long limit;
    private final String path;
    private final FileId id;

    /** The file at path with contents; id is its identity (null if unknown: then its pages are not cached). */
    public FileBacking(ByteBuffer contents, long limit, String path, FileId id) {
        this.contents = contents.asReadOnlyBuffer();
        this.limit = Math.min(limit, contents.capacity());
        this.path = path;
        this.id = id;
    }

    /** The same file with a different zero limit. */
    public FileBacking withLimit(long newLimit) {
        return new FileBacking(contents, newLimit, path, id);
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
    public FileId fileId() {
        return id;
    }

    @Override
    public long zeroFrom() {
        return limit < contents.capacity() ? limit : Long.MAX_VALUE;
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
