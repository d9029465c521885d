package jmck.lwk.file;

import jmck.emulator.host.HostBuffer;
import jmck.emulator.host.HostSyscall;

/**
 * A host pipe whose read end is what the guest holds for a local file, and whose write end the LWK keeps:
 * one byte in the pipe makes every read end readable, so the host's poll, select and epoll over the proxy's
 * fds see the file as ready exactly when the LWK says. Proxies take read ends by opening
 * /proc/LWK_PID/fd/{@link #fd()} for reading (a pipe opened through /proc is a new open file description of
 * the same pipe); the LWK keeps no read end of its own, so that it can tell when no guest holds the file
 * any more ({@link #unread()}). Closing it makes the read ends see POLLHUP as well.
 */
final class ReadinessPipe {
    private static final int SYS_READ = 0, SYS_WRITE = 1, SYS_CLOSE = 3, SYS_POLL = 7, SYS_PIPE2 = 293,
            O_RDONLY = 0, O_NONBLOCK = 04000, O_CLOEXEC = 02000000, POLLOUT = 4, POLLERR = 8;
    /** The LWK's write end; -1 once closed. */
    private int writeFd;
    /** The read end made with the pipe, kept until the first proxy has a read end of its own. */
    private int firstReadFd;
    /** Proxies about to open a read end (the pipe must not be closed meanwhile). */
    private int opening;
    private boolean readable;

    private ReadinessPipe(int readFd, int writeFd) {
        this.firstReadFd = readFd;
        this.writeFd = writeFd;
    }

    /** A new pipe, not readable; null if the host has no fd to spare. */
    static ReadinessPipe create() {
        HostBuffer fds = HostBuffer.allocate(8);
        if (HostSyscall.call(SYS_PIPE2, fds.address(), O_NONBLOCK | O_CLOEXEC, 0) < 0)
            return null;
        return new ReadinessPipe(fds.getInt(0), fds.getInt(4));
    }

    /**
     * A proxy is about to open a read end: until {@link #opened}, the pipe is not closed as unread. Returns
     * the fd to open through /proc, or -1 if the pipe is closed already.
     */
    synchronized int reserve() {
        if (writeFd < 0)
            return -1;
        opening++;
        return writeFd;
    }

    /** A proxy has a read end now (or failed to get one): the pipe's own read end goes. */
    synchronized void opened() {
        if (opening > 0)
            opening--;
        if (firstReadFd >= 0) {
            HostSyscall.call(SYS_CLOSE, firstReadFd, 0, 0);
            firstReadFd = -1;
        }
    }

    /** Makes the read ends readable (one byte in the pipe) or not (the pipe emptied). */
    synchronized void setReadable(boolean on) {
        if (writeFd < 0 || on == readable)
            return;
        if (on) {
            HostBuffer one = HostBuffer.allocate(1);
            one.setByte(0, (byte) 1);
            HostSyscall.call(SYS_WRITE, writeFd, one.address(), 1); // EPIPE if no reader: nobody to tell
            java.lang.ref.Reference.reachabilityFence(one); // the call reads it by address only
        } else {
            drain();
        }
        readable = on;
    }

    /** Empties the pipe through a read end of the LWK's own, opened for the moment. */
    private void drain() {
        int r = firstReadFd;
        if (r < 0) {
            r = (int) HostSyscall.open("/proc/self/fd/" + writeFd, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
            if (r < 0)
                return;
        }
        HostBuffer buf = HostBuffer.allocate(64);
        while (HostSyscall.call(SYS_READ, r, buf.address(), 64) > 0) {
            // one byte at most; read until empty all the same
        }
        java.lang.ref.Reference.reachabilityFence(buf);
        if (r != firstReadFd)
            HostSyscall.call(SYS_CLOSE, r, 0, 0);
    }

    /** Whether no read end is left (every guest fd of the file was closed): the file can be forgotten. */
    synchronized boolean unread() {
        if (writeFd < 0)
            return true;
        if (firstReadFd >= 0 || opening > 0)
            return false;
        HostBuffer pfd = HostBuffer.allocate(8);
        pfd.setInt(0, writeFd);
        pfd.setInt(4, POLLOUT);
        return HostSyscall.call(SYS_POLL, pfd.address(), 1, 0) > 0 && (pfd.getShort(6) & POLLERR) != 0;
    }

    /** Closes the LWK's ends: the read ends see POLLHUP (and stay readable if they were). */
    synchronized void close() {
        if (firstReadFd >= 0) {
            HostSyscall.call(SYS_CLOSE, firstReadFd, 0, 0);
            firstReadFd = -1;
        }
        if (writeFd >= 0) {
            HostSyscall.call(SYS_CLOSE, writeFd, 0, 0);
            writeFd = -1;
        }
    }
}
