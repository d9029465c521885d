package jmck.lwk.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * A pidfd: a file that names one process of the instance (Linux's pidfs). Its fds are readable once the
 * process has ended (a zombie), and hung up as well once it was reaped, as Linux's pidfd_poll reports; read and write fail with EINVAL;
 * ioctl PIDFD_GET_INFO tells the process's ids and credentials, and its exit status once it was reaped.
 * One PidFile serves every pidfd of a process.
 */
public final class PidFile implements LocalFile {
    private static final long PIDFD_GET_INFO_NR = 0xff0b, IOC_NR_TYPE = 0xffff, INFO_SIZE = 72, INFO_SIZE_VER0 = 64;
    private static final long PIDFD_INFO_PID = 1, PIDFD_INFO_CREDS = 2, PIDFD_INFO_CGROUPID = 4, PIDFD_INFO_EXIT = 8;
    final ReadinessPipe pipe;
    private final int pid;
    /** guarded by this: the process until it is reaped, then null; its wait status once it ended */
    private Process process;
    private int waitStatus;
    private boolean ended;
    long id;

    PidFile(Process p, ReadinessPipe pipe) {
        this.process = p;
        this.pid = p.pid();
        this.pipe = pipe;
    }

    public long id() {
        return id;
    }

    public int pid() {
        return pid;
    }

    /** The process, or null once it was reaped (its pid may name another process by now). */
    public synchronized Process process() {
        return process;
    }

    synchronized void ended(int status) {
        ended = true;
        waitStatus = status;
        pipe.setReadable(true);
    }

    /** The process was reaped: the pipe closes, so that the fds see POLLHUP besides POLLIN, as Linux's. */
    synchronized void reaped() {
        process = null;
        pipe.close();
    }

    @Override
    public long read(Thread t, GuestBuffer buf, boolean nonblock) {
        return -Errno.EINVAL;
    }

    @Override
    public String kind() {
        return "pidfd";
    }

    /**
     * PIDFD_GET_INFO (an extensible ioctl: the structure's size is in the request, at least 64 bytes): the
     * pid, parent and credentials while the process exists (a zombie included), and with PIDFD_INFO_EXIT
     * asked, its wait status once it was reaped (before that, none; after it, nothing else, or ESRCH).
     */
    @Override
    public long ioctl(Thread t, long cmd, long arg) {
        if ((cmd & IOC_NR_TYPE) != PIDFD_GET_INFO_NR)
            return -Errno.ENOTTY;
        long size = (cmd >> 16) & 0x3fff;
        if (size < INFO_SIZE_VER0)
            return -Errno.ENOTTY;
        if (arg == 0)
            return -Errno.EINVAL;
        long mask = t.process().mm().readLong(arg);
        ByteBuffer b = ByteBuffer.allocate((int) INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long cgroup = HostCgroup.id();
        synchronized (this) {
            Process p = process;
            if (p == null) {
                if ((mask & PIDFD_INFO_EXIT) == 0 || !ended)
                    return -Errno.ESRCH;
                b.putLong(0, PIDFD_INFO_EXIT | (cgroup != 0 ? PIDFD_INFO_CGROUPID : 0));
                b.putLong(8, cgroup);
                b.putInt(60, waitStatus);
            } else {
                Credentials c = p.credentials();
                b.putLong(0, PIDFD_INFO_PID | PIDFD_INFO_CREDS | (cgroup != 0 ? PIDFD_INFO_CGROUPID : 0));
                b.putLong(8, cgroup);
                b.putInt(16, p.pid()).putInt(20, p.pid()).putInt(24, p.ppid());
                b.putInt(28, (int) c.uid()).putInt(32, (int) c.gid()).putInt(36, (int) c.euid()).putInt(40, (int) c.egid());
                b.putInt(44, (int) c.suid()).putInt(48, (int) c.sgid()).putInt(52, (int) c.fsuid()).putInt(56, (int) c.fsgid());
            }
        }
        t.process().mm().copyOut(arg, b.array(), 0, (int) Math.min(size, INFO_SIZE));
        return 0;
    }
}
