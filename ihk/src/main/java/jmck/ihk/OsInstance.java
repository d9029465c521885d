package jmck.ihk;

import java.util.List;
import jmck.emulator.UnicornCpu;
import jmck.lwk.Kernel;
import jmck.lwk.mm.PageSize;

/**
 * An OS instance: an LWK booted on a partition of the machine's cores and memory (what `ihkconfig create`,
 * `ihkosctl assign` and `ihkosctl boot` make). Each assigned core is one Unicorn engine mapping the
 * machine's physical memory.
 */
public final class OsInstance {
    private final Machine machine;
    private final Kernel kernel;

    private OsInstance(Machine machine, Kernel kernel) {
        this.machine = machine;
        this.kernel = kernel;
    }

    /** Boots an LWK on cores cores and the given memory ranges of machine. */
    public static OsInstance boot(Machine machine, int cores, List<long[]> memory, PageSize maxPage) {
        return boot(machine, cores, memory, maxPage, Kernel.DEFAULT_TLB_ENTRIES);
    }

    public static OsInstance boot(Machine machine, int cores, List<long[]> memory, PageSize maxPage, int tlbEntries) {
        return boot(machine, cores, memory, maxPage, tlbEntries, false);
    }

    /** parallel: each core on a host thread of its own if the engine allows (else exact mode, one host thread). */
    public static OsInstance boot(Machine machine, int cores, List<long[]> memory, PageSize maxPage, int tlbEntries,
            boolean parallel) {
        Kernel.CpuFactory cpus = new Kernel.CpuFactory() { // a class, not a lambda: linking one took 0.2-0.9 ms here
            @Override
            public jmck.emulator.Cpu create(int id, jmck.emulator.Cpu.TrapHandler handler) {
                return new UnicornCpu(id, machine.memory(), handler);
            }
        };
        Kernel k = new Kernel(machine.memory(), new Kernel.Config(memory, cores, maxPage, cpus, tlbEntries, parallel));
        k.boot();
        return new OsInstance(machine, k);
    }

    public Kernel kernel() {
        return kernel;
    }

    public Machine machine() {
        return machine;
    }

    /** Stops the LWK: processes are killed, cores closed, the kernel's frames returned. */
    public void shutdown() {
        kernel.shutdown();
    }
}
