package jmck.lwk;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Core;

/**
 * TLB shootdown (Linux's flush_tlb_mm_range and flush_tlb_multi): after an address space's mapping is
 * downgraded or removed, every core whose TLB may hold its translations forgets them before it runs more
 * guest code, and the initiator waits for that; a freed code frame is retired on every core before it runs
 * again.
 *
 * <p>With cores on parallel host threads it is a Dekker-style handshake (the other half is enter_guest in
 * jmck_uc.c): the initiator sets the target's flush request, then reads whether the target is in guest
 * code; the target marks itself in guest code before it enters or re-enters it, then looks for requests.
 * So either the initiator sees the target in guest code and waits for its acknowledgement (the target
 * flushes at its next block boundary, or while paused), or the target sees the request before it runs
 * guest code again. A target in the kernel (a syscall, a fault, waiting for the mm lock the initiator
 * holds) is not waited for. The initiator holds the mm lock; the targets need no lock to acknowledge.
 */
final class TlbShootdown implements AddressSpace.Shootdown {
    private final List<Core> cores;

    TlbShootdown(List<Core> cores) {
        this.cores = cores;
    }

    @Override
    public void flush(AddressSpace as) {
        VarHandle.fullFence(); // the page-table writes before the reads of each core's loaded root
        List<Core> wait = null;
        long root = as.root();
        for (Core c : cores) {
            if (c.loadedRoot() != root)
                continue;
            if (c.onOwnHostThread()) { // the initiator's own core, or every core in exact mode: they are stopped
                c.cpu().flushTlb();
            } else if (c.cpu().requestTlbFlush()) {
                if (wait == null)
                    wait = new ArrayList<>();
                wait.add(c);
            }
        }
        if (wait != null)
            for (Core c : wait)
                for (int spins = 0; c.cpu().tlbFlushOutstanding(); spins++)
                    if (spins < 1000)
                        java.lang.Thread.onSpinWait();
                    else
                        java.lang.Thread.yield(); // more cores than host CPUs: let the target run
    }

    /**
     * A destroyed address space: the cores that have it loaded flush when they next load a thread, not now
     * (the flush cost a program's exit 1.5-4 ms on its way out, OpenMP CG on 2 cores; no guest code could see
     * the stale translations before that load, and at the end of a run none comes).
     */
    @Override
    public void forget(AddressSpace as) {
        long root = as.root();
        for (Core c : cores)
            c.forgetRoot(root);
    }

    @Override
    public void retireCode(long pa, long length) {
        for (Core c : cores)
            c.retireCode(pa, length);
    }
}
