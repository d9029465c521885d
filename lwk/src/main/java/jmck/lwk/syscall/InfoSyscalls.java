package jmck.lwk.syscall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.KernelRandom;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/** getrandom and sysinfo. */
final class InfoSyscalls implements SyscallDispatcher.Handler {
    private static final int GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
    private static final int AT_FDCWD = -100;
    private final SyscallContext kernel;

    InfoSyscalls(SyscallContext kernel) {
        this.kernel = kernel;
    }

    void register(SyscallDispatcher d) {
        d.register(this, Syscall.GETRANDOM, Syscall.SYSINFO);
    }

    @Override
    public long call(Syscall call, Thread t, long[] a) {
        return switch (call) {
            case GETRANDOM -> getrandom(t, a);
            case SYSINFO -> sysinfo(t, a);
            default -> throw SyscallDispatcher.notOneOf(call, this);
        };
    }

    private long getrandom(Thread t, long[] a) {
        int flags = (int) a[2];
        if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0
                || (flags & (GRND_RANDOM | GRND_INSECURE)) == (GRND_RANDOM | GRND_INSECURE))
            return -Errno.EINVAL;
        long n = Long.compareUnsigned(a[1], 33554431) > 0 ? 33554431 : a[1];
        if (!X86.accessOk(a[0], n))
            return -Errno.EFAULT;
        // made and copied a chunk at a time; like Linux, what was copied before a fault is the result
        byte[] chunk = new byte[(int) Math.min(n, 65536)];
        long done = 0;
        while (done < n) {
            int m = (int) Math.min(chunk.length, n - done);
            KernelRandom.fill(chunk);
            int copied = t.process().mm().copyOutPrefix(a[0] + done, chunk, 0, m);
            done += copied;
            if (copied < m)
                break;
        }
        return done > 0 || n == 0 ? done : -Errno.EFAULT;
    }

    private long sysinfo(Thread t, long[] a) {
        FrameAllocator f = kernel.frames();
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        // uptime and load averages are the machine's, as /proc/uptime and /proc/loadavg (the host's) give
        // them; memory and processes are the LWK's, as its /proc/meminfo
        String[] uptime = hostLine("/proc/uptime"), loads = hostLine("/proc/loadavg");
        // rounded up to whole seconds, as Linux does (tv_sec + (tv_nsec ? 1 : 0)): a program that reads
        // sysinfo and then /proc/uptime never sees the second go backwards
        b.putLong(0, uptime != null ? (long) Math.ceil(Double.parseDouble(uptime[0]))
                : (kernel.uptimeNanos() + 999_999_999L) / 1_000_000_000L);
        for (int i = 0; loads != null && i < 3; i++)
            b.putLong(8 + 8 * i, Math.round(Double.parseDouble(loads[i]) * (1 << 16))); // SI_LOAD_SHIFT
        b.putLong(32, f.totalFrames() * FrameAllocator.PAGE_SIZE);
        b.putLong(40, f.freeFrames() * FrameAllocator.PAGE_SIZE);
        b.putShort(80, (short) kernel.processes().live().size());
        b.putInt(104, 1); // mem_unit
        t.process().mm().copyOut(a[0], b.array());
        return 0;
    }

    /** The fields of a host /proc file's first line, or null if it cannot be read. */
    private static String[] hostLine(String path) {
        try {
            String line = java.nio.file.Files.readAllLines(java.nio.file.Path.of(path)).get(0).trim();
            return line.split("\\s+");
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
