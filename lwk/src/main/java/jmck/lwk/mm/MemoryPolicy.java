package jmck.lwk.mm;

import jmck.lwk.abi.Errno;

/**
 * A NUMA memory policy (set_mempolicy(2), mbind(2)) on a machine of one node, node 0, which the LWK's
 * memory is: every policy it accepts is met by every page, so a policy changes no allocation; it is kept
 * so that get_mempolicy answers what was set, as Linux with one node does (mm/mempolicy.c: mpol_new and
 * mpol_set_nodemask; McKernel keeps its own per process and per range). Immutable: a thread, a process
 * made by fork and a VMA split in two share one. Null stands for the default policy.
 *
 * @param mode      MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL, MPOL_PREFERRED_MANY or
 *                  MPOL_WEIGHTED_INTERLEAVE
 * @param flags     the mode flags given with it (MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES,
 *                  MPOL_F_NUMA_BALANCING)
 * @param nodes     the nodes it uses (bit 0: node 0; none for MPOL_LOCAL)
 * @param userNodes the nodemask as the caller gave it, what get_mempolicy reports under MPOL_F_STATIC_NODES
 *                  or MPOL_F_RELATIVE_NODES (its first 64 nodes)
 */
public record MemoryPolicy(int mode, int flags, long nodes, long userNodes) {
    public static final int MPOL_DEFAULT = 0, MPOL_PREFERRED = 1, MPOL_BIND = 2, MPOL_INTERLEAVE = 3,
            MPOL_LOCAL = 4, MPOL_PREFERRED_MANY = 5, MPOL_WEIGHTED_INTERLEAVE = 6, MPOL_MAX = 7;
    public static final int MPOL_F_STATIC_NODES = 1 << 15, MPOL_F_RELATIVE_NODES = 1 << 14,
            MPOL_F_NUMA_BALANCING = 1 << 13,
            MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING;
    /** The nodes there are, and may be used: node 0 alone. */
    public static final long ONLINE_NODES = 1;

    /** What a mode argument with its flags holds: MPOL_DEFAULT (a null policy), a policy, or an errno. */
    public record Made(MemoryPolicy policy, int errno) {}

    /**
     * The policy that mode (its flags in its high bits, as the calls take them) with the nodemask the caller
     * gave makes; nodes is that mask's first 64 nodes, and higherNodes whether it names a node above them.
     */
    public static Made make(int modeWithFlags, long nodes, boolean higherNodes) {
        int flags = modeWithFlags & MODE_FLAGS, mode = modeWithFlags & ~MODE_FLAGS;
        int bad = checkMode(modeWithFlags);
        if (bad != 0)
            return error(bad);
        boolean empty = nodes == 0 && !higherNodes;
        boolean userMask = (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) != 0;
        switch (mode) {
            case MPOL_DEFAULT:
                return empty ? new Made(null, 0) : error(Errno.EINVAL);
            case MPOL_PREFERRED:
                if (empty)
                    return userMask ? error(Errno.EINVAL) : new Made(new MemoryPolicy(MPOL_LOCAL, flags, 0, 0), 0);
                break;
            case MPOL_LOCAL:
                return empty && !userMask ? new Made(new MemoryPolicy(MPOL_LOCAL, flags, 0, 0), 0)
                        : error(Errno.EINVAL);
            default:
                if (empty)
                    return error(Errno.EINVAL);
        }
        // The nodes that can be used: relative ones fold onto the online nodes (one node: any at all is node 0)
        long usable = (flags & MPOL_F_RELATIVE_NODES) != 0 ? ONLINE_NODES : nodes & ONLINE_NODES;
        if (usable == 0)
            return error(Errno.EINVAL);
        return new Made(new MemoryPolicy(mode, flags, mode == MPOL_PREFERRED ? Long.lowestOneBit(usable) : usable,
                userMask ? nodes : 0), 0);
    }

    /** The checks of a mode and its flags made before the nodemask is read (sanitize_mpol_flags): 0 or EINVAL. */
    public static int checkMode(int modeWithFlags) {
        int flags = modeWithFlags & MODE_FLAGS, mode = modeWithFlags & ~MODE_FLAGS;
        if (Integer.compareUnsigned(mode, MPOL_MAX) >= 0)
            return Errno.EINVAL;
        if ((flags & MPOL_F_STATIC_NODES) != 0 && (flags & MPOL_F_RELATIVE_NODES) != 0)
            return Errno.EINVAL;
        if ((flags & MPOL_F_NUMA_BALANCING) != 0 && mode != MPOL_BIND && mode != MPOL_PREFERRED_MANY)
            return Errno.EINVAL;
        return 0;
    }

    private static Made error(int errno) {
        return new Made(null, errno);
    }

    /** get_mempolicy's mode word for a policy (null: the default). */
    public static int modeWord(MemoryPolicy p) {
        return p == null ? MPOL_DEFAULT : p.mode | (p.flags & MODE_FLAGS);
    }

    /** get_mempolicy's nodemask for a policy: the caller's under static or relative nodes, else the nodes used. */
    public static long nodemask(MemoryPolicy p) {
        if (p == null)
            return 0;
        return (p.flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)) != 0 ? p.userNodes : p.nodes;
    }
}
