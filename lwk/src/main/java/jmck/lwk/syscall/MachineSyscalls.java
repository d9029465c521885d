package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/**
 * Calls about the whole machine that the LWK answers itself rather than let the host carry them out: reboot
 * (the host must not reboot because a guest asks) and vhangup. They check what Linux checks and succeed
 * for what changes nothing.
 */
final class MachineSyscalls implements SyscallDispatcher.Handler {
    private static final long MAGIC1 = 0xfee1deadL;
    private static final long[] MAGIC2 = {672274793, 85072278, 369367448, 537993216};
    private static final int CMD_CAD_OFF = 0, CMD_CAD_ON = 0x89abcdef, CAP_SYS_BOOT = 22, CAP_SYS_TTY_CONFIG = 26;
    /** RESTART, HALT, CAD_ON, CAD_OFF, POWER_OFF, RESTART2, SW_SUSPEND, KEXEC. */
    private static final java.util.Set<Integer> COMMANDS = java.util.Set.of(0x01234567, 0xCDEF0123, CMD_CAD_ON,
            CMD_CAD_OFF, 0x4321FEDC, 0xA1B2C3D4, 0xD000FCE2, 0x45584543);
    private final SyscallContext kernel;

    MachineSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.REBOOT, Syscall.VHANGUP);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case REBOOT -> reboot(t, a);
            case VHANGUP -> t.process().capabilities().has(CAP_SYS_TTY_CONFIG) ? 0 : -Errno.EPERM;
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long reboot(Thread t, long[] a) {
        if (!t.process().capabilities().has(CAP_SYS_BOOT))
            return -Errno.EPERM;
        boolean magic2 = false;
        for (long m : MAGIC2)
            magic2 |= (a[1] & 0xffffffffL) == m;
        if ((a[0] & 0xffffffffL) != MAGIC1 || !magic2)
            return -Errno.EINVAL;
        int cmd = (int) a[2];
        if (!COMMANDS.contains(cmd))
            return -Errno.EINVAL;
        if (cmd == CMD_CAD_ON || cmd == CMD_CAD_OFF)
            return 0; // Ctrl-Alt-Del's meaning: nothing on an LWK
        kernel.kmsg().log("pid %d: reboot(%#x) refused: the LWK is not rebooted from a guest", t.process().pid(), cmd);
        return -Errno.EPERM;
    }
}
