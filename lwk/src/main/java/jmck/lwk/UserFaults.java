package jmck.lwk;

import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.abi.Signals;
import jmck.lwk.arch.X86;
import jmck.lwk.file.UserfaultFile;
import jmck.lwk.mm.FaultOutcome;
import jmck.lwk.mm.UserfaultPages;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * The fault path's userfaultfd step (Linux's handle_userfault): a user-mode page fault in memory registered
 * with a userfaultfd, of a kind it asked for, is not resolved here. The thread waits, off its core, while
 * the userfaultfd's reader learns of the fault and answers it from another thread, maybe on another core;
 * then the faulting instruction runs again and finds its page. A poisoned page (UFFDIO_POISON), or any
 * caught fault under UFFD_FEATURE_SIGBUS, raises SIGBUS instead. The wait ignores signals other than those
 * that kill (Linux lets a handler run first, then faults again).
 */
final class UserFaults {
    private final Kernel k;

    UserFaults(Kernel k) {
        this.k = k;
    }

    /** Whether a userfaultfd takes thread t's fault at addr (then the core stops: t waits or gets SIGBUS). */
    boolean caught(Thread t, Cpu cpu, long addr, FaultOutcome.Access access, int err) {
        if (!UserfaultFile.anyMade())
            return false;
        UserfaultFile.Wait[] wait = new UserfaultFile.Wait[1];
        UserfaultPages.Catch c = UserfaultPages.intercept(t.process().mm(), addr, access, hit -> {
            UserfaultFile f = (UserfaultFile) hit.range().owner;
            if (!f.sigbusInstead())
                wait[0] = f.caught(t, addr, hit.flags(), cpu.reg(X86Reg.RAX));
        });
        if (c == null)
            return false;
        if (wait[0] == null) {
            t.setTrap(X86.VEC_PF, err);
            k.signals().force(t, SigInfo.fault(Signals.SIGBUS, Signals.BUS_ADRERR, addr)); // poisoned too, as Linux 6.x
            return true;
        }
        wait[0].blocked(k.scheduler().block(t, "userfaultfd page fault"));
        return true;
    }
}
