package jmck.lwk.syscall;

import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.MemoryPolicy;
import jmck.lwk.proc.Capabilities;
import jmck.lwk.proc.Thread;

/**
 * get_mempolicy, set_mempolicy and mbind on the LWK's one NUMA node ({@link MemoryPolicy}), with the checks,
 * errnos and nodemask copies of Linux's mm/mempolicy.c (kernel_get_mempolicy, get_nodes, copy_nodes_to_user,
 * do_mbind). libnuma asks for them when it starts (ps links it, as do numactl, hwloc and MPI libraries);
 * where they were ENOSYS, jmck logged the call on every such program's run.
 */
final class MemoryPolicySyscalls implements SyscallDispatcher.Handler {
    private static final int MPOL_F_NODE = 1, MPOL_F_ADDR = 2, MPOL_F_MEMS_ALLOWED = 4;
    private static final long MPOL_MF_STRICT = 1, MPOL_MF_MOVE = 2, MPOL_MF_MOVE_ALL = 4;
    /** Nodes a nodemask may name (CONFIG_NODES_SHIFT 10), and those there are (node 0: nr_node_ids). */
    private static final long MAX_NUMNODES = 1024, NODE_IDS = 1, PAGE = 4096;

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.GET_MEMPOLICY, Syscall.SET_MEMPOLICY, Syscall.MBIND);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case GET_MEMPOLICY -> get(t, a[0], a[1], a[2], a[3], a[4]);
            case SET_MEMPOLICY -> set(t, (int) a[0], a[1], a[2]);
            case MBIND -> mbind(t, a[0], a[1], (int) a[2], a[3], a[4], a[5]);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /** get_mempolicy(mode, nodemask, maxnode, addr, flags). */
    private static long get(Thread t, long modeOut, long nodemask, long maxnode, long addr, long flags) {
        if (nodemask != 0 && Long.compareUnsigned(maxnode, NODE_IDS) < 0)
            return -Errno.EINVAL;
        if ((flags & ~(long) (MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED)) != 0)
            return -Errno.EINVAL;
        AddressSpace mm = t.process().mm();
        int mode;
        long nodes;
        if ((flags & MPOL_F_MEMS_ALLOWED) != 0) {
            if ((flags & (MPOL_F_NODE | MPOL_F_ADDR)) != 0)
                return -Errno.EINVAL;
            mode = 0;
            nodes = MemoryPolicy.ONLINE_NODES;
        } else {
            MemoryPolicy p = t.memoryPolicy();
            if ((flags & MPOL_F_ADDR) != 0)
                p = mm.policyAt(addr); // an mbind range's, not the thread's; EFAULT if unmapped
            else if (addr != 0)
                return -Errno.EINVAL;
            if ((flags & MPOL_F_NODE) != 0) {
                if ((flags & MPOL_F_ADDR) != 0) {
                    mm.copyIn(addr & -PAGE, 1); // the node of the page there, faulted in as Linux's lookup_node
                    mode = 0;
                } else if (p != null && p == t.memoryPolicy() && (p.mode() == MemoryPolicy.MPOL_INTERLEAVE
                        || p.mode() == MemoryPolicy.MPOL_WEIGHTED_INTERLEAVE)) {
                    mode = 0; // the next node an interleave allocates from
                } else {
                    return -Errno.EINVAL;
                }
            } else {
                mode = MemoryPolicy.modeWord(p);
            }
            nodes = MemoryPolicy.nodemask(p);
        }
        if (modeOut != 0)
            mm.writeInt(modeOut, mode);
        return nodemask == 0 ? 0 : writeNodes(mm, nodemask, maxnode, nodes);
    }

    /** set_mempolicy(mode, nodemask, maxnode): the calling thread's policy. */
    private static long set(Thread t, int mode, long nodemask, long maxnode) {
        int bad = MemoryPolicy.checkMode(mode); // before the nodemask is read, as Linux's order of errors
        if (bad != 0)
            return -bad;
        long[] nodes = readNodes(t.process().mm(), nodemask, maxnode);
        if (nodes == null)
            return -Errno.EINVAL;
        MemoryPolicy.Made made = MemoryPolicy.make(mode, nodes[0], nodes[1] != 0);
        if (made.errno() != 0)
            return -made.errno();
        t.setMemoryPolicy(made.policy());
        return 0;
    }

    /** mbind(start, len, mode, nodemask, maxnode, flags): a range's policy. */
    private static long mbind(Thread t, long start, long len, int mode, long nodemask, long maxnode, long flags) {
        int bad = MemoryPolicy.checkMode(mode); // before the nodemask is read, as Linux's order of errors
        if (bad != 0)
            return -bad;
        AddressSpace mm = t.process().mm();
        long[] nodes = readNodes(mm, nodemask, maxnode);
        if (nodes == null)
            return -Errno.EINVAL;
        if ((flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) != 0)
            return -Errno.EINVAL;
        if ((flags & MPOL_MF_MOVE_ALL) != 0 && !t.process().capabilities().has(Capabilities.CAP_SYS_NICE))
            return -Errno.EPERM;
        if ((start & (PAGE - 1)) != 0)
            return -Errno.EINVAL;
        long end = start + ((len + PAGE - 1) & -PAGE); // a length that rounds past the top wraps, as Linux's
        if (Long.compareUnsigned(end, start) < 0)
            return -Errno.EINVAL;
        if (end == start)
            return 0;
        MemoryPolicy.Made made = MemoryPolicy.make(mode, nodes[0], nodes[1] != 0);
        if (made.errno() != 0)
            return -made.errno();
        return mm.mbind(start, end, made.policy()); // MPOL_MF_STRICT: every page is on the one node already
    }

    /**
     * A nodemask the caller gave, as Linux's get_nodes reads it: maxnode counts one more than the nodes it
     * holds. Its first 64 nodes and whether it names one above them (the LWK has node 0 alone); null if it is
     * too long or names a node above MAX_NUMNODES (EINVAL). Unreadable memory is EFAULT.
     */
    private static long[] readNodes(AddressSpace mm, long nodemask, long maxnode) {
        long bits = maxnode - 1;
        if (bits == 0 || nodemask == 0)
            return new long[] {0, 0};
        if (Long.compareUnsigned(bits, PAGE * 8) > 0)
            return null;
        long higher = 0, first = 0;
        int words = (int) ((bits + 63) / 64);
        for (int w = 0; w < words; w++) {
            long word = mm.readLong(nodemask + 8L * w);
            long valid = Math.min(64, bits - 64L * w);
            if (valid < 64)
                word &= (1L << valid) - 1;
            if (w * 64L >= MAX_NUMNODES && word != 0)
                return null;
            if (w == 0)
                first = word;
            else
                higher |= word;
        }
        return new long[] {first, higher};
    }

    /**
     * copy_nodes_to_user: the words of the mask that maxnode covers (rounded to whole words, as Linux copies
     * them), the one node's word first and zeros after it; EINVAL past a page.
     */
    private static long writeNodes(AddressSpace mm, long nodemask, long maxnode, long nodes) {
        long copy = ((maxnode - 1 + 63) & -64L) >>> 3, words = (NODE_IDS + 63) / 64 * 8;
        if (Long.compareUnsigned(copy, words) > 0) {
            if (Long.compareUnsigned(copy, PAGE) > 0)
                return -Errno.EINVAL;
            mm.copyOut(nodemask + words, new byte[(int) (copy - words)]);
            copy = words;
        }
        if (copy > 0)
            mm.writeLong(nodemask, nodes);
        return 0;
    }
}
