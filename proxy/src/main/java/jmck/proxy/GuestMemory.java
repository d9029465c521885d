package jmck.proxy;

import jmck.emulator.PhysicalMemory;

/**
 * The proxy's view of one guest process's memory: the unified address space. A guest virtual address is
 * resolved to a physical address by walking the LWK's page tables (faulting the page in through the LWK
 * when it is not there yet); the physical page is then host memory the proxy can hand straight to a host
 * system call. Nothing is copied on the way.
 */
public interface GuestMemory {
    /** The instance's physical memory, mapped into this process. */
    PhysicalMemory physical();

    /** The physical address of va, faulting it in for the given access; -1 if the guest may not access it. */
    long resolve(long va, boolean write);

    /** The host address of va for the access, or -1 (EFAULT). */
    default long hostAddress(long va, boolean write) {
        long pa = resolve(va, write);
        // only frames of this instance's blocks: a page-table entry pointing elsewhere reaches nothing
        return pa < 0 || !physical().contains(pa, 1) ? -1 : physical().hostAddress() + pa;
    }
}
