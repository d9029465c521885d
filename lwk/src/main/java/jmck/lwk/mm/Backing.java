package jmck.lwk.mm;

import jmck.emulator.PhysicalMemory;

/**
 * Where the contents of a mapping's pages come from when they are first touched, like McKernel's memobj:
 * anonymous memory reads as zero; a file mapping copies the file's bytes. Frames reach fill() already zeroed.
 * Pages of a file mapped privately go through the {@link PageCache}, which fills each once for all.
 */
public interface Backing {
    /** Anonymous memory: nothing to copy. */
    Backing ANONYMOUS = new AnonymousMemory(true, "anonymous");

    /**
     * /dev/zero opened read-only and mapped shared: anonymous memory that mprotect may not make writable
     * (Linux's shmem_zero_setup without VM_MAYWRITE).
     */
    Backing ZERO_DEVICE_READ_ONLY = new AnonymousMemory(false, "/dev/zero, read-only");

    /** Copies the bytes at [offset, offset+length) of this object to physical address pa. */
    void fill(PhysicalMemory mem, long pa, long offset, long length);

    /** A host file's size now (a page wholly past it raises SIGBUS); -1 for anything else. */
    default long currentSize() {
        return -1;
    }

    default boolean anonymous() {
        return false;
    }

    /** For /proc/self/maps: the device ("fe:01"), inode and path of a file; anonymous memory has none. */
    default String device() {
        FileId id = fileId();
        return id == null ? "00:00" : id.deviceName();
    }

    default long inode() {
        FileId id = fileId();
        return id == null ? 0 : id.inode();
    }

    default String path() {
        return null;
    }

    /**
     * The host file behind this backing, for the page cache: null for anonymous memory and for a file whose
     * identity is unknown (its pages are then read for each mapping on its own).
     */
    default FileId fileId() {
        return null;
    }

    /**
     * For memory that owns its pages ({@link SharedPages}): the frame that holds the page at offset, with
     * one more reference for the caller's mapping; -1 if pages are filled instead, -2 if no frame is free.
     */
    default long sharedFrame(long offset) {
        return -1;
    }

    /**
     * Whether a shared mapping of this object may be made writable (Linux's VM_MAYWRITE): not for a file
     * opened read-only or a memfd sealed against writes, so mprotect cannot add PROT_WRITE there.
     */
    default boolean sharedWritable() {
        return true;
    }

    /** Where bytes start to read as zero instead of the file's (a data segment's .bss), or Long.MAX_VALUE. */
    default long zeroFrom() {
        return Long.MAX_VALUE;
    }
}
