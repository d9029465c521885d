package jmck.proxy;

import jmck.emulator.PhysicalMemory;
import jmck.lwk.mm.AddressSpace;

/**
 * The unified address space when the proxy shares the LWK's process: addresses resolve through the
 * address space itself, which walks its page tables and faults missing pages in.
 */
final class LocalGuestMemory implements GuestMemory {
    private final AddressSpace mm;

    LocalGuestMemory(AddressSpace mm) {
        this.mm = mm;
    }

    @Override
    public PhysicalMemory physical() {
        return mm.memory();
    }

    @Override
    public long resolve(long va, boolean write) {
        return mm.resolve(va, write);
    }
}
