package jmck.ihk;

import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;

/**
 * The emulated machine before IHK partitions it: a number of cores and one block of physical memory.
 * The first 2 MiB stay with the "host" (nothing uses them; a stray physical pointer 0 is caught there).
 */
public final class Machine implements AutoCloseable {
    /** Physical memory below this stays with the host. */
    public static final long HOST_RESERVED = 2L << 20;
    public static final int MAX_CORES = 64;

    private final int cores;
    private final PhysicalMemory memory;

    private Machine(int cores, PhysicalMemory memory) {
        this.cores = cores;
        this.memory = memory;
    }

    /** A machine with the given cores and bytes of memory (rounded up to 2 MiB, plus the host's 2 MiB). */
    public static Machine create(int cores, long memoryBytes) {
        if (cores < 1 || cores > MAX_CORES)
            throw new JmckException("core count must be between 1 and " + MAX_CORES + ", not " + cores);
        if (memoryBytes < (8L << 20))
            throw new JmckException("memory must be at least 8M");
        long size = ((memoryBytes + (2L << 20) - 1) & -(2L << 20)) + HOST_RESERVED;
        return new Machine(cores, PhysicalMemory.create(size));
    }

    public int cores() {
        return cores;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** Memory an LWK may be given: everything above the host's reservation. */
    public long[] lwkMemory() {
        return new long[] {HOST_RESERVED, memory.size() - HOST_RESERVED};
    }

    @Override
    public void close() {
        memory.close();
    }
}
