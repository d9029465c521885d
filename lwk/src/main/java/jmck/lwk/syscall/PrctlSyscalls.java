package jmck.lwk.syscall;

import java.nio.charset.StandardCharsets;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * prctl: the process and thread settings it reads and changes, with Linux's argument checks (kernel/sys.c,
 * security/commoncap.c). Options the LWK does not know are EINVAL, as Linux answers an unknown one.
 */
final class PrctlSyscalls {
    private static final int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
            PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_GET_TIMING = 13, PR_SET_TIMING = 14, PR_SET_NAME = 15,
            PR_GET_NAME = 16, PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24, PR_GET_SECUREBITS = 27,
            PR_SET_SECUREBITS = 28, PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30, PR_SET_CHILD_SUBREAPER = 36,
            PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_SET_THP_DISABLE = 41,
            PR_GET_THP_DISABLE = 42, PR_CAP_AMBIENT = 47, PR_GET_SPECULATION_CTRL = 52;
    private static final int PR_TIMING_STATISTICAL = 0, SECBIT_KEEP_CAPS = 1 << 4, PR_SPEC_STORE_BYPASS = 0,
            PR_SPEC_PRCTL = 1, PR_SPEC_ENABLE = 2, PR_CAP_AMBIENT_IS_SET = 1, PR_CAP_AMBIENT_LOWER = 3,
            PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private static final int CAP_LAST_CAP = 40;

    private PrctlSyscalls() {}

    static long prctl(Thread t, long[] a) {
        switch ((int) a[0]) {
            case PR_SET_NAME: {
                String name = t.process().mm().readStringUpTo(a[1], 15); // Linux reads no more than fits
                byte[] b = name.getBytes(StandardCharsets.UTF_8);
                t.process().setComm(new String(b, 0, Math.min(15, b.length), StandardCharsets.UTF_8));
                return 0;
            }
            case PR_GET_NAME: {
                byte[] b = new byte[16];
                byte[] n = t.process().comm().getBytes(StandardCharsets.UTF_8);
                System.arraycopy(n, 0, b, 0, Math.min(15, n.length));
                t.process().mm().copyOut(a[1], b);
                return 0;
            }
            case PR_GET_DUMPABLE:
                return t.process().flag(Process.Flag.NOT_DUMPABLE) ? 0 : 1;
            case PR_SET_DUMPABLE:
                if (a[1] != 0 && a[1] != 1)
                    return -Errno.EINVAL;
                t.process().setFlag(Process.Flag.NOT_DUMPABLE, a[1] == 0);
                return 0;
            case PR_SET_PDEATHSIG:
                if (a[1] < 0 || a[1] > jmck.lwk.abi.Signals.NSIG)
                    return -Errno.EINVAL;
                t.process().setParentDeathSignal((int) a[1]);
                return 0;
            case PR_GET_PDEATHSIG:
                t.process().mm().writeInt(a[1], t.process().parentDeathSignal());
                return 0;
            case PR_SET_NO_NEW_PRIVS:
                if (a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0)
                    return -Errno.EINVAL;
                t.process().setFlag(Process.Flag.NO_NEW_PRIVS, true);
                return 0;
            case PR_GET_NO_NEW_PRIVS:
                return a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 ? -Errno.EINVAL
                        : t.process().flag(Process.Flag.NO_NEW_PRIVS) ? 1 : 0;
            case PR_GET_KEEPCAPS:
                return t.process().flag(Process.Flag.KEEP_CAPS) ? 1 : 0;
            case PR_SET_KEEPCAPS:
                if (a[1] != 0 && a[1] != 1)
                    return -Errno.EINVAL;
                t.process().setFlag(Process.Flag.KEEP_CAPS, a[1] == 1);
                return 0;
            case PR_CAPBSET_READ:
                if (a[1] < 0 || a[1] > CAP_LAST_CAP)
                    return -Errno.EINVAL;
                return t.process().capabilities().bounding() >>> a[1] & 1;
            case PR_CAPBSET_DROP:
                if (a[1] < 0 || a[1] > CAP_LAST_CAP)
                    return -Errno.EINVAL;
                if (!t.process().capabilities().has(jmck.lwk.proc.Capabilities.CAP_SETPCAP))
                    return -Errno.EPERM;
                t.process().setCapabilities(t.process().capabilities().withoutBounding((int) a[1]));
                return 0;
            case PR_SET_TIMERSLACK: // per thread; 0 (or less) goes back to the default the thread was made with
                t.setTimerSlack(a[1] <= 0 ? t.defaultTimerSlack() : a[1]);
                return 0;
            case PR_GET_TIMERSLACK:
                return t.timerSlack();
            case PR_SET_CHILD_SUBREAPER: // orphaned descendants are reparented here, not to init (ProcessExit)
                t.process().setFlag(Process.Flag.CHILD_SUBREAPER, a[1] != 0);
                return 0;
            case PR_GET_CHILD_SUBREAPER:
                t.process().mm().writeInt(a[1], t.process().flag(Process.Flag.CHILD_SUBREAPER) ? 1 : 0);
                return 0;
            case PR_GET_SECUREBITS:
                return t.process().flag(Process.Flag.KEEP_CAPS) ? SECBIT_KEEP_CAPS : 0;
            case PR_SET_SECUREBITS: // changing them needs CAP_SETPCAP (cap_task_prctl); the LWK keeps only KEEP_CAPS
                if (!t.process().capabilities().has(jmck.lwk.proc.Capabilities.CAP_SETPCAP))
                    return -Errno.EPERM;
                if ((a[1] & ~SECBIT_KEEP_CAPS) != 0)
                    return -Errno.EINVAL;
                t.process().setFlag(Process.Flag.KEEP_CAPS, a[1] != 0);
                return 0;
            case PR_GET_TIMING:
                return PR_TIMING_STATISTICAL;
            case PR_SET_TIMING:
                return a[1] == PR_TIMING_STATISTICAL ? 0 : -Errno.EINVAL;
            case PR_SET_THP_DISABLE:
                if (a[2] != 0 || a[3] != 0 || a[4] != 0)
                    return -Errno.EINVAL;
                t.process().setFlag(Process.Flag.THP_DISABLE, a[1] != 0);
                return 0;
            case PR_GET_THP_DISABLE:
                return a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 ? -Errno.EINVAL
                        : t.process().flag(Process.Flag.THP_DISABLE) ? 1 : 0;
            case PR_GET_SPECULATION_CTRL: // what status's Speculation_Store_Bypass line says: "thread vulnerable"
                if (a[2] != 0 || a[3] != 0 || a[4] != 0)
                    return -Errno.EINVAL;
                return a[1] == PR_SPEC_STORE_BYPASS ? PR_SPEC_PRCTL | PR_SPEC_ENABLE : -Errno.ENODEV;
            case PR_CAP_AMBIENT: // the ambient set is always empty here: raising into it is not offered (EINVAL)
                if (a[1] == PR_CAP_AMBIENT_CLEAR_ALL)
                    return a[2] != 0 || a[3] != 0 || a[4] != 0 ? -Errno.EINVAL : 0;
                if (a[2] < 0 || a[2] > CAP_LAST_CAP || a[3] != 0 || a[4] != 0)
                    return -Errno.EINVAL;
                return a[1] == PR_CAP_AMBIENT_IS_SET || a[1] == PR_CAP_AMBIENT_LOWER ? 0 : -Errno.EINVAL;
            default:
                return -Errno.EINVAL;
        }
    }
}
