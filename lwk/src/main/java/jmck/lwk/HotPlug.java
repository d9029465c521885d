package jmck.lwk;

import jmck.emulator.PhysicalMemory;
import jmck.lwk.proc.Core;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * Cores and memory added to or taken from a running instance (ihkosctl assign/release cpu|mem). In
 * parallel mode a new core gets its host thread at once; a core taken away is first taken off line (no
 * thread can be queued on it), its host thread stopped, and its threads placed on the other cores; a
 * memory block is mapped into (or out of) each core's engine by that core's own thread.
 */
final class HotPlug {
    private final Kernel k;

    HotPlug(Kernel k) {
        this.k = k;
    }

    /** Adds a core: a new emulated CPU, set up like the others. Returns its number. */
    int addCore() {
        Core core = k.bringUpCore(k.cores().size());
        k.cores().add(core);
        if (k.coreThreads().running())
            k.coreThreads().start(core);
        k.kmsg().log("core %d: online", core.id());
        return core.id();
    }

    /** Removes the highest-numbered core; its threads move to the other cores. False if it is the last core. */
    boolean removeCore() {
        if (k.cores().size() <= 1)
            return false;
        Core core = k.cores().get(k.cores().size() - 1);
        java.util.List<Thread> queued = core.goOffline();
        k.coreThreads().stop(core); // its running thread, if any, goes to another core at the end of its slice
        core.saveForMigration();
        k.cores().remove(core);
        for (Thread t : queued) {
            t.setCore(-1);
            k.scheduler().enqueue(t);
        }
        for (Process p : k.processes().live())
            for (Thread t : p.threads())
                if (t.core() == core.id())
                    t.setCore(k.scheduler().placeNew());
        core.close();
        k.kmsg().log("core %d: offline", core.id());
        return true;
    }

    /** Adds a block of physical memory (already attached to this kernel's memory view) to every core and the allocator. */
    void addMemory(PhysicalMemory.Block b) {
        k.image().mapPhysical(b.base(), b.size());
        for (Core c : k.cores())
            c.callOnCore(() -> c.cpu().attachBlock(b));
        k.frames().addRange(b.base(), b.size());
        k.kmsg().log("memory %#x-%#x: online, %d frames free", b.base(), b.end(), k.frames().freeFrames());
    }

    /** Takes a block back if none of its frames is in use; false otherwise. */
    boolean removeMemory(PhysicalMemory.Block b) {
        if (!k.frames().removeRange(b.base(), b.size()))
            return false;
        for (Core c : k.cores())
            c.callOnCore(() -> c.cpu().detachBlock(b));
        k.kmsg().log("memory %#x-%#x: offline", b.base(), b.end());
        return true;
    }
}
