package jmck.proxy;

/**
 * Host fds shared between guest fd tables. A forked child's table shares its parent's host fds, as a
 * forked process shares its parent's open files: what Linux keeps per open file (offset, status flags,
 * the owner of its signals) is then one host fd's, and a fork costs no host fd (a process that fills its
 * table and forks, as LTP's fork09, would otherwise need twice the proxy's limit). What Linux keeps per
 * table entry (FD_CLOEXEC) stays in each table. Counted here: a host fd closes when the last table entry
 * naming it goes. One per proxy process, for all its tables.
 */
final class HostFds {
    static final HostFds INSTANCE = new HostFds();

    /** Table entries naming each host fd (0: none, or not a table's). */
    private int[] refs = new int[256];

    private HostFds() {}

    /** Host fd h, new from the host, enters one table. */
    synchronized void fresh(int h) {
        ensure(h);
        refs[h] = 1;
    }

    /** Host fd h enters another table (fork). */
    synchronized void share(int h) {
        ensure(h);
        refs[h] = Math.max(1, refs[h]) + 1;
    }

    /** Whether another table names host fd h too (then it must not be replaced in place). */
    synchronized boolean shared(int h) {
        return h >= 0 && h < refs.length && refs[h] > 1;
    }

    /**
     * A table entry naming host fd h goes: true if it was the last, and the caller closes h (its guest
     * settings are forgotten now, before the number can be given out again).
     */
    boolean release(int h) {
        synchronized (this) {
            if (h >= 0 && h < refs.length && refs[h] > 1) {
                refs[h]--;
                return false;
            }
            if (h >= 0 && h < refs.length)
                refs[h] = 0;
        }
        FdSignals.INSTANCE.forget(h);
        return true;
    }

    private void ensure(int h) {
        if (h >= refs.length)
            refs = java.util.Arrays.copyOf(refs, Math.max(h + 1, refs.length * 2));
    }
}
