package jmck.ihk;

import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;

/**
 * The ids and capabilities the host checks a delegated call's permissions with, sent with the call: the
 * process's filesystem ids and effective capabilities, except for access and faccessat (without
 * AT_EACCESS), which Linux checks with the real ids.
 */
final class CallCredentials {
    private static final long AT_EACCESS = 0x200;

    private CallCredentials() {}

    private static boolean realIds(Syscall call, long[] args) {
        return call == Syscall.ACCESS || call == Syscall.FACCESSAT
                || call == Syscall.FACCESSAT2 && (args[3] & AT_EACCESS) == 0;
    }

    /**
     * The effective capabilities: the process's, or for access checks with the real ids, none unless the
     * real uid is 0, then the permitted set (Linux's do_faccessat).
     */
    static long capabilities(Thread t, Syscall call, long[] args) {
        jmck.lwk.proc.Capabilities caps = t.process().capabilities();
        return !realIds(call, args) ? caps.effective() : t.process().credentials().uid() == 0 ? caps.permitted() : 0;
    }

    static int uid(Thread t, Syscall call, long[] args) {
        jmck.lwk.proc.Credentials c = t.process().credentials();
        return (int) (realIds(call, args) ? c.uid() : c.fsuid());
    }

    static int gid(Thread t, Syscall call, long[] args) {
        jmck.lwk.proc.Credentials c = t.process().credentials();
        return (int) (realIds(call, args) ? c.gid() : c.fsgid());
    }
}
