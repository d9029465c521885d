package jmck.proxy;

import jmck.emulator.PhysicalMemory;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.PageTable;

/**
 * The unified address space from a separate mcexec process: the instance's memory blocks are mapped here
 * at their physical addresses, and a guest address resolves by walking the LWK's own page tables in that
 * memory. A page the LWK has not mapped yet is faulted in by the LWK on request (McKernel's remote page
 * fault), through the IKC slot of the syscall being served. One per worker thread.
 */
final class RemoteGuestMemory implements GuestMemory {
    private final PhysicalMemory memory;
    private final IkcChannel channel;
    private final Doorbell lwk;
    private int slot = -1;

    RemoteGuestMemory(PhysicalMemory memory, IkcChannel channel, Doorbell lwk) {
        this.memory = memory;
        this.channel = channel;
        this.lwk = lwk;
    }

    /** The IKC slot of the request being served, through which faults go. */
    void serve(int slot) {
        this.slot = slot;
    }

    int slot() {
        return slot;
    }

    IkcChannel channel() {
        return channel;
    }

    @Override
    public PhysicalMemory physical() {
        return memory;
    }

    @Override
    public long resolve(long va, boolean write) {
        if (!X86.isUserAddress(va))
            return -1;
        long pa = walk(va, write);
        if (pa >= 0)
            return pa;
        pa = channel.requestFault(slot, va, write, lwk);
        return pa >= 0 && memory.contains(pa, 1) ? pa : -1;
    }

    /** The walk through the LWK's tables; -1 if the page is missing (or the tables point outside this instance). */
    private long walk(long va, boolean write) {
        try {
            long pa = PageTable.translate(memory, channel.root(), va, write);
            return pa >= 0 && memory.contains(pa, 1) ? pa : -1;
        } catch (IndexOutOfBoundsException e) {
            return -1;
        }
    }
}
