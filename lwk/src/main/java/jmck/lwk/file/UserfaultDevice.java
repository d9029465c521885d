package jmck.lwk.file;

import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Thread;

/**
 * /dev/userfaultfd (Linux 6.1's userfaultfd_dev): a file whose one ioctl, USERFAULTFD_IOC_NEW, makes a
 * userfaultfd as the syscall does, with the flags as its argument. A local file, since the userfaultfd it
 * makes is the LWK's; opening it needs what the device node's mode (0600 root) asks.
 */
public final class UserfaultDevice implements LocalFile {
    /** _IO(0xAA, 0x00). */
    public static final long USERFAULTFD_IOC_NEW = 0xaa00;

    /** Makes a userfaultfd for t's process: userfaultfd(flags)'s result. */
    public interface Maker {
        long make(Thread t, int flags);
    }

    private final Maker maker;
    long id;

    private UserfaultDevice(Maker maker) {
        this.maker = maker;
    }

    /** A new open file of the device, or null if the host has no fd to spare. */
    public static UserfaultDevice create(LocalFiles files, Maker maker) {
        ReadinessPipe pipe = ReadinessPipe.create();
        if (pipe == null)
            return null;
        UserfaultDevice d = new UserfaultDevice(maker);
        d.id = files.add(d, pipe);
        return d;
    }

    public long id() {
        return id;
    }

    @Override
    public long read(Thread t, GuestBuffer buf, boolean nonblock) {
        return -Errno.EINVAL;
    }

    @Override
    public long ioctl(Thread t, long cmd, long arg) {
        return (int) cmd == USERFAULTFD_IOC_NEW ? maker.make(t, (int) arg) : -Errno.EINVAL;
    }

    @Override
    public String kind() {
        return "userfaultfd device";
    }
}
