package jmck.lwk.mm;

import jmck.emulator.PhysicalMemory;

/** Memory that reads as zero (nothing to copy): {@link Backing#ANONYMOUS} and its read-only /dev/zero kin. */
final class AnonymousMemory implements Backing {
    private final boolean sharedWritable;
    private final String name;

    AnonymousMemory(boolean sharedWritable, String name) {
        this.sharedWritable = sharedWritable;
        this.name = name;
    }

    @Override
    public void fill(PhysicalMemory mem, long pa, long offset, long length) {}

    @Override
    public boolean anonymous() {
        return true;
    }

    @Override
    public boolean sharedWritable() {
        return sharedWritable;
    }

    @Override
    public String toString() {
        return name;
    }
}
