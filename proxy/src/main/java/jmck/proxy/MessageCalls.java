package jmck.proxy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;
import jmck.lwk.abi.Errno;

/**
 * sendmsg, recvmsg and vmsplice: calls whose arguments hold pointers to iovecs, addresses and control
 * messages. The guest's msghdr becomes a host one whose iovecs point into guest memory (no copy); file
 * descriptors passed in SCM_RIGHTS control messages are translated both ways (a received host fd becomes
 * a new guest fd, close-on-exec with MSG_CMSG_CLOEXEC).
 */
final class MessageCalls {
    private static final int SYS_SENDMSG = 46, SYS_RECVMSG = 47, SYS_VMSPLICE = 278;
    private static final int MSGHDR = 56, SOCKADDR_MAX = 128, SOL_SOCKET = 1, SCM_RIGHTS = 1,
            MSG_CTRUNC = 8, MSG_CMSG_CLOEXEC = 0x40000000;
    /** Linux's limit on control data (net.core.optmem_max is larger; this bounds the copy). */
    private static final long CONTROL_MAX = 1 << 20;
    private final FdTable fds;
    private final GuestBuffers mem;

    MessageCalls(FdTable fds, GuestBuffers mem) {
        this.fds = fds;
        this.mem = mem;
    }

    long sendmsg(long fd, long msgVa, long flags) {
        return message(fd, msgVa, flags, false);
    }

    long recvmsg(long fd, long msgVa, long flags) {
        return message(fd, msgVa, flags, true);
    }

    private long message(long fd, long msgVa, long flags, boolean receive) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        byte[] raw = mem.readGuest(msgVa, MSGHDR);
        if (raw == null)
            return -Errno.EFAULT;
        ByteBuffer m = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long nameVa = m.getLong(0), iovVa = m.getLong(16), iovLen = m.getLong(24), controlVa = m.getLong(32),
                controlLen = m.getLong(40);
        int nameLen = m.getInt(8);
        HostBuffer hdr = mem.arena.allocate(MSGHDR);
        hdr.clear(MSGHDR);
        // the address: copied in for send, a buffer for receive
        HostBuffer name = null, control = null;
        if (nameVa != 0 && nameLen != 0) {
            if (nameLen < 0)
                return -Errno.EINVAL;
            int len = Math.min(nameLen, SOCKADDR_MAX);
            name = mem.arena.allocate(SOCKADDR_MAX);
            if (!receive) {
                byte[] n = mem.readGuest(nameVa, len);
                if (n == null)
                    return -Errno.EFAULT;
                name.write(0, n, 0, n.length);
            }
            hdr.setLong(0, name.address());
            hdr.setInt(8, receive ? SOCKADDR_MAX : nameLen);
        }
        if (Long.compareUnsigned(iovLen, GuestBuffers.IOV_MAX) > 0)
            return -Errno.EMSGSIZE; // a message's iovec count (readv's is EINVAL), as copy_msghdr_from_user
        HostBuffer iov = mem.arena.allocate(16L * GuestBuffers.IOV_MAX);
        long[] covered = new long[1];
        long n = mem.hostIovecs(iovVa, iovLen, receive, iov, covered);
        if (n < 0)
            return n;
        hdr.setLong(16, iov.address());
        hdr.setLong(24, n);
        if (controlVa != 0 && controlLen > 0) {
            long len = Math.min(controlLen, CONTROL_MAX);
            control = mem.arena.allocate(len);
            control.clear(len);
            if (!receive) {
                byte[] c = mem.readGuest(controlVa, (int) len);
                if (c == null)
                    return -Errno.EFAULT;
                control.write(0, c, 0, c.length);
                long bad = translateRights(control, len, false, false);
                if (bad < 0)
                    return bad;
            }
            hdr.setLong(32, control.address());
            hdr.setLong(40, len);
        }
        long r = HostSyscall.call(receive ? SYS_RECVMSG : SYS_SENDMSG, h, hdr.address(),
                flags | (receive ? MSG_CMSG_CLOEXEC : 0), 0, 0, 0);
        if (r < 0 || !receive)
            return r;
        // what recvmsg filled: the address and its length, the control messages (with guest fds), the flags
        // MSG_CMSG_CLOEXEC shows in msg_flags when the guest asked for it (the host was always asked)
        int msgFlags = hdr.getInt(48) & ~MSG_CMSG_CLOEXEC | (int) (flags & MSG_CMSG_CLOEXEC);
        if (nameVa != 0 && nameLen > 0) {
            int got = hdr.getInt(8);
            if (!mem.writeGuest(nameVa, name.getByteArray(0, Math.min(got, nameLen))))
                return -Errno.EFAULT;
        }
        long controlGot = 0;
        if (controlVa != 0 && controlLen > 0) {
            controlGot = hdr.getLong(40);
            if (translateRights(control, controlGot, true, (flags & MSG_CMSG_CLOEXEC) != 0) > 0)
                msgFlags |= MSG_CTRUNC; // the guest's table was full: the fds that did not fit are gone
            if (!mem.writeGuest(controlVa, control.getByteArray(0, (int) controlGot)))
                return -Errno.EFAULT;
        }
        ByteBuffer back = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (nameVa != 0 && !mem.writeGuest(msgVa + 8, back.putInt(0, nameVa != 0 && nameLen > 0 ? hdr.getInt(8) : 0).array()))
            return -Errno.EFAULT;
        if (!mem.writeGuest(msgVa + 40, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, controlGot).array())
                || !mem.writeGuest(msgVa + 48, back.putInt(0, msgFlags).array()))
            return -Errno.EFAULT;
        return r;
    }

    /**
     * Translates the fds of SCM_RIGHTS messages in a control buffer: guest to host before a send (-EBADF
     * for one that is not open), host to new guest fds after a receive (returning how many did not fit,
     * which are closed and left as -1).
     */
    private long translateRights(HostBuffer control, long len, boolean received, boolean cloexec) {
        long dropped = 0;
        for (long at = 0; at + 16 <= len; ) {
            long cmsgLen = control.getLong(at);
            int level = control.getInt(at + 8), type = control.getInt(at + 12);
            if (cmsgLen < 16 || at + cmsgLen > len)
                break;
            if (level == SOL_SOCKET && type == SCM_RIGHTS)
                for (long p = at + 16; p + 4 <= at + cmsgLen; p += 4) {
                    int fd = control.getInt(p);
                    if (!received) {
                        int host = fds.host(fd);
                        if (host < 0)
                            return -Errno.EBADF;
                        control.setInt(p, host);
                    } else {
                        int guest = fds.install(fd, cloexec, 0); // closes the host fd if the table is full
                        if (guest < 0)
                            dropped++;
                        control.setInt(p, guest < 0 ? -1 : guest);
                    }
                }
            at += (cmsgLen + 7) & ~7L;
        }
        return dropped;
    }

    private static final int MMSGHDR = 64, UIO_MAXIOV = 1024, MSG_DONTWAIT = 0x40, MSG_WAITFORONE = 0x10000;

    /** sendmmsg: sendmsg for each struct mmsghdr {msghdr, unsigned msg_len}; how many went, or the first error. */
    long sendmmsg(long fd, long vec, long count, long flags) {
        return mmsg(fd, vec, count, flags, false);
    }

    /** recvmmsg (its timeout is not kept): MSG_WAITFORONE waits for the first message only. */
    long recvmmsg(long fd, long vec, long count, long flags) {
        return mmsg(fd, vec, count, flags, true);
    }

    private long mmsg(long fd, long vec, long count, long flags, boolean receive) {
        count = Math.min(count & 0xffffffffL, UIO_MAXIOV);
        long done = 0;
        for (int i = 0; i < count; i++) {
            long f = receive && (flags & MSG_WAITFORONE) != 0 && i > 0 ? (flags | MSG_DONTWAIT) & ~MSG_WAITFORONE
                    : flags & ~MSG_WAITFORONE;
            long r = message(fd, vec + (long) MMSGHDR * i, f, receive);
            if (r < 0)
                return done > 0 ? done : r;
            byte[] len = {(byte) r, (byte) (r >> 8), (byte) (r >> 16), (byte) (r >> 24)};
            if (!mem.writeGuest(vec + (long) MMSGHDR * i + 56, len))
                return done > 0 ? done : -Errno.EFAULT;
            done++;
        }
        return done;
    }

    /** vmsplice: the guest's iovecs as host iovecs over its pages; the host decides the direction by the pipe end. */
    long vmsplice(long fd, long iovVa, long count, long flags) {
        int h = fds.host(fd);
        if (h < 0)
            return -Errno.EBADF;
        HostBuffer iov = mem.arena.allocate(16L * GuestBuffers.IOV_MAX);
        long[] covered = new long[1];
        // a pipe's read end fills the guest's buffers: ask for write access (faulting pages in) either way
        long n = mem.hostIovecs(iovVa, count, true, iov, covered);
        if (n < 0)
            return n;
        return HostSyscall.call(SYS_VMSPLICE, h, iov.address(), n, flags, 0, 0);
    }
}
