package jmck.lwk.trace;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;

/** strace-like lines for --trace syscalls: "[pid 100] write(0x1, 0x4c52a0, 0x6) = 6 <host>". */
public final class SyscallFormat {
    private SyscallFormat() {}

    public static String line(Thread t, Syscall call, long nr, long[] a, long r) {
        StringBuilder b = new StringBuilder();
        b.append("[pid ").append(t.tid()).append("] ");
        b.append(call == null ? "syscall_" + nr : call.linuxName).append('(');
        int n = 6;
        while (n > 0 && a[n - 1] == 0)
            n--;
        for (int i = 0; i < n; i++)
            b.append(i == 0 ? "" : ", ").append(a[i] >= 0 && a[i] < 4096 ? Long.toString(a[i]) : "0x" + Long.toHexString(a[i]));
        b.append(") = ");
        if (r == jmck.lwk.syscall.SyscallDispatcher.NO_RETURN)
            b.append('?');
        else if (Errno.isError(r))
            b.append("-1 ").append(Errno.name((int) -r));
        else
            b.append(r >= 0 && r < 1 << 20 ? Long.toString(r) : "0x" + Long.toHexString(r));
        if (call != null && call.where == Syscall.Where.DELEGATED)
            b.append(" <host>");
        return b.toString();
    }
}
