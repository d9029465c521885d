package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * process_vm_readv and process_vm_writev: bytes between the caller's memory and another LWK process's,
 * in the LWK (McKernel handles them itself: both sides are LWK memory), with Linux's rules: the caller may
 * read the other process's memory only if it could ptrace it (the same user, or CAP_SYS_PTRACE), a fault
 * in the other process ends the transfer early, one in the caller's iovecs is EFAULT.
 */
final class ProcessVmSyscalls implements SyscallDispatcher.Handler {
    private static final int IOV_MAX = 1024, CAP_SYS_PTRACE = 19, CHUNK = 4096;
    private final SyscallContext kernel;

    ProcessVmSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.PROCESS_VM_READV, Syscall.PROCESS_VM_WRITEV);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case PROCESS_VM_READV -> transfer(t, a, false);
            case PROCESS_VM_WRITEV -> transfer(t, a, true);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    /** Reads count iovecs at va from mm as {base, length} pairs; null if one's length is negative. */
    private static long[][] iovecs(AddressSpace mm, long va, long count) {
        ByteBuffer b = ByteBuffer.wrap(mm.copyIn(va, (int) (16 * count))).order(ByteOrder.LITTLE_ENDIAN);
        long[][] v = new long[(int) count][];
        for (int i = 0; i < count; i++) {
            v[i] = new long[] {b.getLong(16 * i), b.getLong(16 * i + 8)};
            if (v[i][1] < 0)
                return null;
        }
        return v;
    }

    /** process_vm_readv/writev(pid, local iovecs, count, remote iovecs, count, flags). */
    private long transfer(Thread t, long[] a, boolean write) {
        if (a[5] != 0 || Long.compareUnsigned(a[2], IOV_MAX) > 0 || Long.compareUnsigned(a[4], IOV_MAX) > 0)
            return -Errno.EINVAL;
        AddressSpace mine = t.process().mm();
        long[][] local = iovecs(mine, a[1], a[2]), remote = iovecs(mine, a[3], a[4]);
        if (local == null || remote == null)
            return -Errno.EINVAL;
        jmck.lwk.proc.Thread th = kernel.processes().thread((int) a[0]);
        Process target = th == null || !th.alive() ? kernel.processes().process((int) a[0]) : th.process();
        if (target == null || target.ended())
            return -Errno.ESRCH;
        var me = t.process().credentials();
        var them = target.credentials();
        boolean same = me.uid() == them.uid() && me.uid() == them.euid() && me.uid() == them.suid()
                && me.gid() == them.gid() && me.gid() == them.egid() && me.gid() == them.sgid();
        if (!same && !t.process().capabilities().has(CAP_SYS_PTRACE))
            return -Errno.EPERM;
        AddressSpace other = target.mm();
        long done = 0;
        boolean faulted = false;
        int li = 0;
        long loff = 0;
        for (long[] r : remote) {
            long roff = 0;
            while (roff < r[1]) {
                while (li < local.length && loff >= local[li][1]) {
                    li++;
                    loff = 0;
                }
                if (li >= local.length)
                    return done;
                int n = (int) Math.min(CHUNK, Math.min(r[1] - roff, local[li][1] - loff));
                try {
                    if (write) {
                        byte[] b = mine.copyIn(local[li][0] + loff, n);
                        other.copyOut(r[0] + roff, b);
                    } else {
                        byte[] b = copyInPartial(other, r[0] + roff, n);
                        if (b.length == 0) {
                            faulted = true;
                            break; // the remote range faults: on to the next one, as Linux does
                        }
                        mine.copyOut(local[li][0] + loff, b);
                        n = b.length;
                    }
                } catch (BadAddressException e) {
                    if (done > 0)
                        return done;
                    return -Errno.EFAULT;
                }
                done += n;
                roff += n;
                loff += n;
            }
        }
        return done == 0 && faulted ? -Errno.EFAULT : done;
    }

    /** Up to n bytes at va of mm, stopping at the first page that cannot be read. */
    private static byte[] copyInPartial(AddressSpace mm, long va, int n) {
        try {
            return mm.copyIn(va, n);
        } catch (BadAddressException e) {
            int ok = (int) Math.min(n, 4096 - (va & 4095));
            if (ok >= n)
                return new byte[0];
            try {
                return mm.copyIn(va, ok);
            } catch (BadAddressException e2) {
                return new byte[0];
            }
        }
    }
}
