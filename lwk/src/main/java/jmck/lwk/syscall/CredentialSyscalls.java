package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Capabilities;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * User and group ids, supplementary groups and capabilities (kernel/sys.c, kernel/groups.c,
 * kernel/capability.c, security/commoncap.c): the LWK keeps them (McKernel handles the uid family
 * itself), starting from those of the user jmck runs as. A changed id moves the capabilities as Linux
 * does. Ids are 32-bit: -1 means "leave it".
 */
final class CredentialSyscalls implements SyscallDispatcher.Handler {
    private static final long NO_ID = 0xffffffffL;
    private static final int NGROUPS_MAX = 65536;
    private static final int CAP_V1 = 0x19980330, CAP_V2 = 0x20071026, CAP_V3 = 0x20080522;
    private final SyscallContext kernel;

    CredentialSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.GETUID, Syscall.GETEUID, Syscall.GETGID, Syscall.GETEGID, Syscall.GETRESUID,
                Syscall.GETRESGID, Syscall.GETGROUPS, Syscall.SETGROUPS, Syscall.SETUID, Syscall.SETGID,
                Syscall.SETREUID, Syscall.SETREGID, Syscall.SETRESUID, Syscall.SETRESGID, Syscall.SETFSUID,
                Syscall.SETFSGID, Syscall.CAPGET, Syscall.CAPSET);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case GETUID -> creds(t).uid();
            case GETEUID -> creds(t).euid();
            case GETGID -> creds(t).gid();
            case GETEGID -> creds(t).egid();
            case GETRESUID -> putIds(t, a, creds(t).uid(), creds(t).euid(), creds(t).suid());
            case GETRESGID -> putIds(t, a, creds(t).gid(), creds(t).egid(), creds(t).sgid());
            case GETGROUPS -> getgroups(t, a);
            case SETGROUPS -> setgroups(t, a);
            case SETUID -> setuid(t, id(a[0]), false);
            case SETGID -> setuid(t, id(a[0]), true);
            case SETREUID -> setreuid(t, id(a[0]), id(a[1]), false);
            case SETREGID -> setreuid(t, id(a[0]), id(a[1]), true);
            case SETRESUID -> setresuid(t, id(a[0]), id(a[1]), id(a[2]), false);
            case SETRESGID -> setresuid(t, id(a[0]), id(a[1]), id(a[2]), true);
            case SETFSUID -> setfsuid(t, id(a[0]), false);
            case SETFSGID -> setfsuid(t, id(a[0]), true);
            case CAPGET -> capget(t, a);
            case CAPSET -> capset(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private static Credentials creds(Thread t) {
        return t.process().credentials();
    }

    private static long id(long arg) {
        return arg & 0xffffffffL;
    }

    private long putIds(Thread t, long[] a, long r, long e, long s) {
        // Linux writes all three, each may fault on its own
        t.process().mm().writeInt(a[0], (int) r);
        t.process().mm().writeInt(a[1], (int) e);
        t.process().mm().writeInt(a[2], (int) s);
        return 0;
    }

    /** Whether t may set ids freely: CAP_SETUID for user ids, CAP_SETGID for group ids. */
    private static boolean privileged(Thread t, boolean group) {
        return t.process().capabilities().has(group ? Capabilities.CAP_SETGID : Capabilities.CAP_SETUID);
    }

    /** Real, effective, saved and filesystem id of the kind asked for. */
    private static long[] ids(Credentials c, boolean group) {
        return group ? new long[] {c.gid(), c.egid(), c.sgid(), c.fsgid()} : new long[] {c.uid(), c.euid(), c.suid(), c.fsuid()};
    }

    /** Installs new ids of one kind; a change of user ids moves the capabilities. */
    private static void install(Thread t, long[] n, boolean group) {
        Process p = t.process();
        Credentials old = p.credentials();
        Credentials now = group ? old.withGids(n[0], n[1], n[2], n[3]) : old.withUids(n[0], n[1], n[2], n[3]);
        p.setCredentials(now);
        if (!group)
            p.setCapabilities(p.capabilities().afterUidChange(old, now, p.flag(Process.Flag.KEEP_CAPS)));
    }

    private static long setuid(Thread t, long id, boolean group) {
        if (id == NO_ID)
            return -Errno.EINVAL;
        long[] c = ids(creds(t), group);
        if (privileged(t, group))
            install(t, new long[] {id, id, id, id}, group);
        else if (id == c[0] || id == c[2])
            install(t, new long[] {c[0], id, c[2], id}, group);
        else
            return -Errno.EPERM;
        return 0;
    }

    private static long setreuid(Thread t, long r, long e, boolean group) {
        long[] c = ids(creds(t), group);
        boolean priv = privileged(t, group);
        if (r != NO_ID && r != c[0] && r != c[1] && !priv)
            return -Errno.EPERM;
        if (e != NO_ID && e != c[0] && e != c[1] && e != c[2] && !priv)
            return -Errno.EPERM;
        long nr = r != NO_ID ? r : c[0], ne = e != NO_ID ? e : c[1];
        long ns = r != NO_ID || e != NO_ID && e != c[0] ? ne : c[2];
        install(t, new long[] {nr, ne, ns, ne}, group);
        return 0;
    }

    private static long setresuid(Thread t, long r, long e, long s, boolean group) {
        long[] c = ids(creds(t), group);
        if (!privileged(t, group))
            for (long want : new long[] {r, e, s})
                if (want != NO_ID && want != c[0] && want != c[1] && want != c[2])
                    return -Errno.EPERM;
        long ne = e != NO_ID ? e : c[1];
        install(t, new long[] {r != NO_ID ? r : c[0], ne, s != NO_ID ? s : c[2], ne}, group);
        return 0;
    }

    /** setfsuid/setfsgid: return the old filesystem id whatever happens; change it only if allowed. */
    private static long setfsuid(Thread t, long id, boolean group) {
        long[] c = ids(creds(t), group);
        long old = c[3];
        if (id != NO_ID && (id == c[0] || id == c[1] || id == c[2] || id == c[3] || privileged(t, group)))
            install(t, new long[] {c[0], c[1], c[2], id}, group);
        return old;
    }

    private long getgroups(Thread t, long[] a) {
        int size = (int) a[0];
        long[] groups = creds(t).groups();
        if (size < 0)
            return -Errno.EINVAL;
        if (size == 0)
            return groups.length;
        if (size < groups.length)
            return -Errno.EINVAL;
        ByteBuffer b = ByteBuffer.allocate(4 * groups.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long g : groups)
            b.putInt((int) g);
        t.process().mm().copyOut(a[1], b.array());
        return groups.length;
    }

    private long setgroups(Thread t, long[] a) {
        int size = (int) a[0];
        if (size < 0 || size > NGROUPS_MAX)
            return -Errno.EINVAL;
        if (!privileged(t, true))
            return -Errno.EPERM;
        ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[1], 4 * size)).order(ByteOrder.LITTLE_ENDIAN);
        long[] groups = new long[size];
        for (int i = 0; i < size; i++)
            groups[i] = b.getInt(4 * i) & 0xffffffffL;
        java.util.Arrays.sort(groups);
        t.process().setCredentials(creds(t).withGroups(groups));
        return 0;
    }

    // ---- capabilities ----

    /**
     * The header's version: the number of 32-bit words per set it speaks (1 or 2), or 0 for one the kernel
     * does not know, which is then answered with the version the kernel prefers.
     */
    private static int words(Thread t, long header) {
        int version = t.process().mm().readInt(header);
        if (version == CAP_V1)
            return 1;
        if (version == CAP_V2 || version == CAP_V3)
            return 2;
        t.process().mm().writeInt(header, CAP_V3);
        return 0;
    }

    private long capget(Thread t, long[] a) {
        int words = words(t, a[0]);
        if (a[1] == 0)
            return 0; // a probe for the version (answered in the header)
        if (words == 0)
            return -Errno.EINVAL;
        int pid = t.process().mm().readInt(a[0] + 4);
        if (pid < 0)
            return -Errno.EINVAL;
        Process target = pid == 0 ? t.process() : kernel.processes().process(pid);
        if (target == null || target.ended()) {
            var th = pid == 0 ? null : kernel.processes().thread(pid);
            if (th == null || !th.alive())
                return -Errno.ESRCH;
            target = th.process();
        }
        Capabilities c = target.capabilities();
        ByteBuffer b = ByteBuffer.allocate(12 * words).order(ByteOrder.LITTLE_ENDIAN);
        for (int w = 0; w < words; w++)
            b.putInt((int) (c.effective() >>> 32 * w)).putInt((int) (c.permitted() >>> 32 * w))
                    .putInt((int) (c.inheritable() >>> 32 * w));
        t.process().mm().copyOut(a[1], b.array());
        return 0;
    }

    private long capset(Thread t, long[] a) {
        int words = words(t, a[0]);
        if (words == 0)
            return -Errno.EINVAL;
        int pid = t.process().mm().readInt(a[0] + 4);
        if (pid != 0 && pid != t.tid() && pid != t.process().pid())
            return -Errno.EPERM; // only one's own capabilities can be set
        ByteBuffer b = ByteBuffer.wrap(t.process().mm().copyIn(a[1], 12 * words)).order(ByteOrder.LITTLE_ENDIAN);
        long eff = 0, perm = 0, inh = 0;
        for (int w = 0; w < words; w++) {
            eff |= (b.getInt(12 * w) & 0xffffffffL) << 32 * w;
            perm |= (b.getInt(12 * w + 4) & 0xffffffffL) << 32 * w;
            inh |= (b.getInt(12 * w + 8) & 0xffffffffL) << 32 * w;
        }
        Capabilities old = t.process().capabilities();
        if (words == 1) { // version 1 speaks for the low 32 capabilities: the others stay
            long high = ~0xffffffffL;
            eff |= old.effective() & high;
            perm |= old.permitted() & high;
            inh |= old.inheritable() & high;
        }
        long bound = old.bounding();
        if ((inh & ~(old.inheritable() | old.permitted())) != 0 && !old.has(Capabilities.CAP_SETPCAP)
                || (inh & ~(old.inheritable() | bound)) != 0 // the bounding set limits inheritable
                || (perm & ~old.permitted()) != 0           // permitted can only shrink
                || (eff & ~perm) != 0)                      // effective within permitted
            return -Errno.EPERM;
        t.process().setCapabilities(old.withSets(eff, perm, inh));
        return 0;
    }
}
