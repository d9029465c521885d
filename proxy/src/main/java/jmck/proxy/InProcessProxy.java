package jmck.proxy;

import java.util.HashMap;
import java.util.Map;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;
import jmck.lwk.syscall.SyscallForwarder;

/**
 * The proxy running inside the LWK's own host process: delegated syscalls execute synchronously on the
 * core's host thread, against a per-process fd table whose 0-2 are this process's stdio.
 */
public final class InProcessProxy implements SyscallForwarder {
    private final Map<Process, HostCalls> perProcess = new HashMap<>();

    @Override
    public long forward(Thread thread, Syscall call, long[] args) {
        HostCalls calls = calls(thread);
        calls.umask = thread.process().umask(); // what the LWK keeps and the host calls need
        calls.fds().setLimit(thread.process().rlimits().soft(jmck.lwk.proc.Rlimits.RLIMIT_NOFILE));
        return calls.execute(call, args);
    }

    @Override
    public long openContents(Thread thread, String name, java.util.function.Supplier<byte[]> contents) {
        return calls(thread).openContents(name, contents);
    }

    private HostCalls calls(Thread thread) {
        return perProcess.computeIfAbsent(thread.process(),
                p -> new HostCalls(new LocalGuestMemory(p.mm()), FdTable.withStdio()));
    }

    /** The LWK gets a duplicate of the proxy's host descriptor (same open file). */
    @Override
    public long hostFile(Thread thread, int fd, boolean write, java.util.function.LongUnaryOperator done) {
        long h = calls(thread).mappableHostFd(fd, write);
        if (h >= 0)
            h = jmck.emulator.host.HostSyscall.call(72, h, 1030, 0); // fcntl(F_DUPFD_CLOEXEC)
        return done.applyAsLong(h);
    }

    @Override
    public void processExited(Process p) {
        HostCalls calls = perProcess.remove(p);
        if (calls != null)
            calls.fds().closeAll();
    }
}
