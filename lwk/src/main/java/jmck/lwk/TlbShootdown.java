package jmck.lwk;

import java.util.List;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Core;

/**
 * TLB shootdown (Linux's flush_tlb_mm_range): after an address space's mapping is downgraded or removed,
 * every core whose TLB may hold its translations forgets them; a freed code frame is retired on every
 * core before it runs again.
 */
final class TlbShootdown implements AddressSpace.Shootdown {
    private final List<Core> cores;

    TlbShootdown(List<Core> cores) {
        this.cores = cores;
    }

    @Override
    public void flush(AddressSpace as) {
        for (Core c : cores)
            if (c.loadedRoot() == as.root())
                c.cpu().flushTlb();
    }

    @Override
    public void retireCode(long pa, long length) {
        for (Core c : cores)
            c.retireCode(pa, length);
    }
}
