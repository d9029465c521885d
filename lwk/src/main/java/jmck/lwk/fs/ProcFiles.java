package jmck.lwk.fs;

import java.nio.charset.StandardCharsets;
import jmck.lwk.syscall.SyscallContext;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * The /proc files that describe the LWK rather than the host: a guest that opens /proc/self/maps must see
 * its own VMAs, not those of the proxy serving it (McKernel answers these through mcctrl's procfs). The
 * contents are generated at open time, as Linux's seq_files are.
 */
public final class ProcFiles {
    private final SyscallContext kernel;

    public ProcFiles(SyscallContext kernel) {
        this.kernel = kernel;
    }

    /** The contents of path for thread t, or null if the host should open it. */
    public byte[] contents(Thread t, String path) {
        if (path.equals("/proc/meminfo"))
            return meminfo();
        if (!path.startsWith("/proc/"))
            return null;
        String rest = path.substring(6);
        int slash = rest.indexOf('/');
        if (slash < 0)
            return null;
        String who = rest.substring(0, slash), file = rest.substring(slash + 1);
        Process p;
        if (who.equals("self") || who.equals("thread-self"))
            p = t.process();
        else {
            try {
                p = kernel.processes().process(Integer.parseInt(who));
            } catch (NumberFormatException e) {
                return null;
            }
            if (p == null)
                return null;
        }
        switch (file) {
            case "maps":
                return p.mm().maps().getBytes(StandardCharsets.UTF_8);
            case "comm":
                return (p.comm() + "\n").getBytes(StandardCharsets.UTF_8);
            case "cmdline":
                return p.cmdline();
            case "auxv":
                return p.mm().savedAuxvBytes();
            case "status":
                return status(p).getBytes(StandardCharsets.UTF_8);
            default:
                return null;
        }
    }

    private static String status(Process p) {
        long rssKb = p.mm().residentBytes() / 1024, peakKb = p.mm().peakResidentBytes() / 1024;
        return "Name:\t" + p.comm() + "\n"
                + "State:\t" + (p.exiting() ? "Z (zombie)" : "R (running)") + "\n"
                + "Tgid:\t" + p.pid() + "\n"
                + "Pid:\t" + p.pid() + "\n"
                + "PPid:\t" + p.ppid() + "\n"
                + "Uid:\t" + p.credentials().uid() + "\t" + p.credentials().euid() + "\t" + p.credentials().suid() + "\t"
                + p.credentials().euid() + "\n"
                + "Gid:\t" + p.credentials().gid() + "\t" + p.credentials().egid() + "\t" + p.credentials().sgid() + "\t"
                + p.credentials().egid() + "\n"
                + "VmHWM:\t" + String.format("%8d kB", peakKb) + "\n"
                + "VmRSS:\t" + String.format("%8d kB", rssKb) + "\n"
                + "Threads:\t" + p.threads().stream().filter(Thread::alive).count() + "\n";
    }

    private byte[] meminfo() {
        FrameAllocator f = kernel.frames();
        long totalKb = f.totalFrames() * 4, freeKb = f.freeFrames() * 4;
        String s = String.format("MemTotal:       %8d kB%nMemFree:        %8d kB%nMemAvailable:   %8d kB%n"
                + "SwapTotal:             0 kB%nSwapFree:              0 kB%n", totalKb, freeKb, freeKb);
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
