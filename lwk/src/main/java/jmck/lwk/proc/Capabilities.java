package jmck.lwk.proc;

/**
 * A process's capability sets (effective, permitted, inheritable, bounding; one bit per CAP_*), as capget
 * and prctl report them and as the LWK checks them. A guest running as root gets what a root process on
 * the host jmck runs on gets: the host's bounding set, which a container may have cut down (often without
 * CAP_SYS_RESOURCE).
 */
public record Capabilities(long effective, long permitted, long inheritable, long bounding) {
    public static final int CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7,
            CAP_SETPCAP = 8, CAP_IPC_LOCK = 14, CAP_SYS_NICE = 23, CAP_SYS_RESOURCE = 24;
    /** Every capability Linux 6.x knows (CAP_LAST_CAP is 40). */
    public static final long ALL = (1L << 41) - 1;

    public boolean has(int cap) {
        return (effective >>> cap & 1) != 0;
    }

    /** The capabilities a filesystem uid of 0 brings (CAP_CHOWN, DAC_*, FOWNER, FSETID, LINUX_IMMUTABLE, MAC_OVERRIDE, MKNOD). */
    private static final long FS_MASK = 0x1fL | (1L << 9) | (1L << 27) | (1L << 32);

    /**
     * The sets after a set*uid call changed old ids to new ones (Linux's cap_emulate_setxuid and
     * cap_task_fix_setuid): leaving root in all of real, effective and saved uid drops everything (unless
     * PR_SET_KEEPCAPS keeps the permitted set); the
     * effective set goes when the effective uid leaves 0 and comes back from the permitted set when it
     * returns; a filesystem uid leaving 0 drops the filesystem capabilities from the effective set.
     */
    public Capabilities afterUidChange(Credentials old, Credentials now, boolean keepCaps) {
        long eff = effective, perm = permitted;
        boolean wasRoot = old.uid() == 0 || old.euid() == 0 || old.suid() == 0;
        boolean nowRoot = now.uid() == 0 || now.euid() == 0 || now.suid() == 0;
        if (wasRoot && !nowRoot && !keepCaps) {
            perm = 0;
            eff = 0;
        }
        if (old.euid() == 0 && now.euid() != 0)
            eff = 0;
        if (old.euid() != 0 && now.euid() == 0)
            eff = perm;
        if (old.fsuid() == 0 && now.fsuid() != 0)
            eff &= ~FS_MASK;
        else if (old.fsuid() != 0 && now.fsuid() == 0)
            eff |= perm & FS_MASK;
        return new Capabilities(eff, perm, inheritable, bounding);
    }

    /** The sets a process with these credentials starts with: a root one the host's bounding set. */
    public static Capabilities of(Credentials c) {
        long bound = hostBound();
        return c.euid() != 0 ? new Capabilities(0, 0, 0, bound) : new Capabilities(bound, bound, 0, bound);
    }

    public Capabilities withSets(long effective, long permitted, long inheritable) {
        return new Capabilities(effective, permitted, inheritable, bounding);
    }

    /** prctl(PR_CAPBSET_DROP): the capability leaves the bounding set. */
    public Capabilities withoutBounding(int cap) {
        return new Capabilities(effective, permitted, inheritable, bounding & ~(1L << cap));
    }

    private static long bound = -1;

    /** CapBnd of the host process the LWK runs in (all capabilities if it cannot be read). */
    private static synchronized long hostBound() {
        if (bound < 0) {
            bound = ALL;
            String capBnd = jmck.emulator.host.HostStatus.field("CapBnd");
            try {
                if (capBnd != null)
                    bound = Long.parseUnsignedLong(capBnd, 16) & ALL;
            } catch (NumberFormatException e) {
                // keep ALL
            }
        }
        return bound;
    }
}
