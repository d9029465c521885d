package jmck.lwk.fs;

import java.nio.charset.StandardCharsets;
import jmck.lwk.syscall.SyscallContext;
import jmck.lwk.mm.FrameAllocator;
import jmck.lwk.mm.Vma;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Rlimits;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigAction;

/**
 * The contents of the /proc files the LWK generates, in Linux's formats (fs/proc/array.c, task_mmu.c,
 * base.c). A thread's view (/proc/PID/task/TID/...) differs from its process's in the pid, state and
 * signal fields. Produced when the guest first reads, as Linux's seq_files are.
 */
final class ProcFiles {
    private static final long PAGE = 4096;
    /** USER_HZ: the unit of times in stat. */
    private static final long TICK_NANOS = 10_000_000L;
    private final SyscallContext kernel;

    ProcFiles(SyscallContext kernel) {
        this.kernel = kernel;
    }

    /**
     * String.format in Locale.US: the kernel's text is the same in every locale, and Locale.US spares a
     * first read of status, smaps or meminfo the loading of the default locale's digits for %d (some 90
     * classes of locale data: 20 ms of a run that reads /proc/self/status).
     */
    private static String format(String format, Object... args) {
        return String.format(java.util.Locale.US, format, args);
    }

    byte[] maps(Process p) {
        return ascii(p.mm().maps());
    }

    /**
     * /proc/PID/smaps: each maps line with its sizes (task_mmu.c's show_smap). Rss counts the pages mapped
     * now; the LWK shares no anonymous page between processes except after fork, so Pss is Rss and the
     * pages are private; Locked is Rss in a locked mapping.
     */
    byte[] smaps(Process p) {
        StringBuilder b = new StringBuilder();
        jmck.lwk.mm.AddressSpace mm = p.mm();
        synchronized (mm) {
            for (Vma v : mm.vmas()) {
                long rssKb = residentBytes(mm, v) / 1024, sizeKb = (v.end() - v.start()) / 1024;
                boolean anon = v.backing().anonymous();
                b.append(v.mapsLine(mm.label(v))).append('\n');
                Object[][] rows = {{"Size", sizeKb}, {"KernelPageSize", 4}, {"MMUPageSize", 4}, {"Rss", rssKb},
                    {"Pss", rssKb}, {"Pss_Dirty", anon ? rssKb : 0}, {"Shared_Clean", 0}, {"Shared_Dirty", 0},
                    {"Private_Clean", anon ? 0 : rssKb}, {"Private_Dirty", anon ? rssKb : 0}, {"Referenced", rssKb},
                    {"Anonymous", anon && !v.shared() ? rssKb : 0}, {"KSM", 0}, {"LazyFree", 0}, {"AnonHugePages", 0},
                    {"ShmemPmdMapped", 0}, {"FilePmdMapped", 0}, {"Shared_Hugetlb", 0}, {"Private_Hugetlb", 0},
                    {"Swap", 0}, {"SwapPss", 0}, {"Locked", v.locked() ? rssKb : 0}};
                for (Object[] r : rows)
                    b.append(format("%-16s%8d kB%n", r[0] + ":", ((Number) r[1]).longValue()));
                b.append("THPeligible:    0\n");
                b.append("VmFlags:").append(vmFlags(v)).append('\n');
            }
        }
        return ascii(b.toString());
    }

    private static long residentBytes(jmck.lwk.mm.AddressSpace mm, Vma v) {
        long total = 0;
        for (long va = v.start(); va < v.end(); ) {
            jmck.lwk.mm.Walk w = mm.pageTable().walk(va);
            // not mapped: skip what the entry where the walk stopped would have covered (4 KiB .. 512 GiB)
            long span = w.mapped() ? w.pageSize().bytes : PAGE << (9 * (4 - w.depth()));
            long next = (va & -span) + span;
            if (w.mapped())
                total += Math.min(next, v.end()) - va;
            va = next;
        }
        return total;
    }

    /** smaps' VmFlags: the two-letter codes of the flags the LWK has. */
    private static String vmFlags(Vma v) {
        StringBuilder f = new StringBuilder();
        f.append(v.readable() ? " rd" : "").append(v.writable() ? " wr" : "").append(v.executable() ? " ex" : "");
        f.append(v.shared() ? " sh" : "").append(" mr mw me").append(v.shared() ? " ms" : "");
        f.append(v.growsDown() ? " gd" : "").append(v.locked() ? " lo" : "");
        return f.toString();
    }

    byte[] comm(Process p) {
        return ascii(p.comm() + "\n");
    }

    /**
     * The state letter of ps and /proc/PID/stat: R running or runnable, S sleeping (blocked in a futex, a
     * wait, a delegated call that sleeps on the host), T stopped, Z ended and not yet reaped. The thread
     * reading the file is running, although it is blocked in the read while the LWK generates the contents.
     * A thread blocked for a delegated call that has not gone to sleep on the host (queued, or running as a
     * write to a pipe does) is R, as on Linux: programs that wait for another to show S (in F_SETLKW, say)
     * before they go on must not take a quick call's wait for that sleep.
     */
    private char state(Process p, Thread t, Thread reader) {
        if (p.exiting() || t == null || !t.alive())
            return 'Z';
        if (p.stopSignal() != 0)
            return 'T';
        if (t.state() != Thread.State.BLOCKED || t == reader)
            return 'R';
        Boolean host = kernel.syscalls().forwarder().sleepsOnHost(t);
        return host == null || host ? 'S' : 'R';
    }

    /** The thread whose state and id a process's files show: its first thread, as Linux shows its leader's. */
    private static Thread leader(Process p) {
        for (Thread t : p.threads())
            if (t.tid() == p.pid())
                return t;
        return p.threads().isEmpty() ? null : p.threads().get(0);
    }

    /** Signal sets as status shows them: ignored and caught (handled) from the actions. */
    private static long[] ignoredAndCaught(Process p) {
        long ignored = 0, caught = 0;
        for (int sig = 1; sig <= 64; sig++) {
            SigAction a = p.action(sig);
            if (a.isIgnore())
                ignored |= 1L << (sig - 1);
            else if (!a.isDefault())
                caught |= 1L << (sig - 1);
        }
        return new long[] {ignored, caught};
    }

    private static long virtualBytes(Process p) {
        long total = 0;
        for (Vma v : p.mm().vmas())
            total += v.end() - v.start();
        return total;
    }

    byte[] status(Process p, Thread thread, Thread reader) {
        Thread t = thread != null ? thread : leader(p);
        Credentials c = p.credentials();
        long rssKb = p.mm().residentBytes() / 1024, peakKb = p.mm().peakResidentBytes() / 1024;
        long vmKb = virtualBytes(p) / 1024;
        long[] ic = ignoredAndCaught(p);
        jmck.lwk.proc.Capabilities caps = p.capabilities();
        int cores = kernel.coreCount();
        long cpuMask = cores >= 64 ? -1L : (1L << cores) - 1;
        int threads = liveThreads(p);
        int id = thread != null ? thread.tid() : p.pid();
        char st = state(p, t, reader);
        String stateName = switch (st) {
            case 'R' -> "R (running)";
            case 'S' -> "S (sleeping)";
            case 'T' -> "T (stopped)";
            default -> "Z (zombie)";
        };
        return ascii("Name:\t" + p.comm() + "\n"
                + format("Umask:\t%04o%n", p.umask())
                + "State:\t" + stateName + "\n"
                + "Tgid:\t" + p.pid() + "\n"
                + "Ngid:\t0\n"
                + "Pid:\t" + id + "\n"
                + "PPid:\t" + p.ppid() + "\n"
                + "TracerPid:\t0\n"
                + "Uid:\t" + c.uid() + "\t" + c.euid() + "\t" + c.suid() + "\t" + c.euid() + "\n"
                + "Gid:\t" + c.gid() + "\t" + c.egid() + "\t" + c.sgid() + "\t" + c.egid() + "\n"
                + "FDSize:\t64\n"
                + "Groups:\t\n"
                + "NStgid:\t" + p.pid() + "\n"
                + "NSpid:\t" + id + "\n"
                + "NSpgid:\t" + p.pgid() + "\n"
                + "NSsid:\t" + p.sid() + "\n"
                + format("VmPeak:\t%8d kB%nVmSize:\t%8d kB%nVmLck:\t%8d kB%nVmPin:\t%8d kB%n", vmKb, vmKb,
                        p.mm().locks().lockedBytes() / 1024, 0)
                + format("VmHWM:\t%8d kB%nVmRSS:\t%8d kB%n", peakKb, rssKb)
                + format("RssAnon:\t%8d kB%nRssFile:\t%8d kB%nRssShmem:\t%8d kB%n", rssKb, 0, 0)
                + format("VmData:\t%8d kB%nVmStk:\t%8d kB%nVmExe:\t%8d kB%nVmLib:\t%8d kB%n", vmKb, 132, 0, 0)
                + format("VmPTE:\t%8d kB%nVmSwap:\t%8d kB%n", 0, 0)
                + "Threads:\t" + threads + "\n"
                + "SigQ:\t0/" + p.rlimits().soft(RLIMIT_SIGPENDING) + "\n"
                + format("SigPnd:\t%016x%nShdPnd:\t%016x%n", t == null ? 0 : t.pendingMask(), 0)
                + format("SigBlk:\t%016x%nSigIgn:\t%016x%nSigCgt:\t%016x%n", t == null ? 0 : t.blockedMask(),
                        ic[0], ic[1])
                + format("CapInh:\t%016x%nCapPrm:\t%016x%nCapEff:\t%016x%nCapBnd:\t%016x%nCapAmb:\t%016x%n",
                        caps.inheritable(), caps.permitted(), caps.effective(), caps.bounding(), 0)
                + "NoNewPrivs:\t" + (p.flag(Process.Flag.NO_NEW_PRIVS) ? 1 : 0) + "\nSeccomp:\t0\nSeccomp_filters:\t0\n"
                + "Speculation_Store_Bypass:\tthread vulnerable\n"
                + format("Cpus_allowed:\t%x%nCpus_allowed_list:\t%s%n", cpuMask, cores == 1 ? "0" : "0-" + (cores - 1))
                + "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
                + "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    }

    private static final int RLIMIT_RSS = 5, RLIMIT_SIGPENDING = 11;

    /** /proc/PID/stat: 52 fields on one line (man 5 proc). */
    byte[] stat(Process p, Thread thread, Thread reader) {
        Thread t = thread != null ? thread : leader(p);
        int id = thread != null ? thread.tid() : p.pid();
        long[] ic = ignoredAndCaught(p);
        long utime = thread != null ? thread.cpu().user() : p.usage().user();
        long stime = thread != null ? thread.cpu().system() : p.usage().system();
        long start = (p.startNanos() - (System.nanoTime() - kernel.uptimeNanos())) / TICK_NANOS;
        long rss = p.mm().residentBytes() / PAGE;
        long rsslim = p.rlimits().soft(RLIMIT_RSS);
        long brk = p.mm().brkStart();
        StringBuilder b = new StringBuilder();
        b.append(id).append(" (").append(p.comm()).append(") ").append(state(p, t, reader));
        long[] fields = {p.ppid(), p.pgid(), p.sid(), 0 /* tty */, -1 /* tpgid */, 0x400000 /* flags */,
            p.mm().faults(), 0, 0, 0, utime / TICK_NANOS, stime / TICK_NANOS, p.usage().childrenUser() / TICK_NANOS,
            p.usage().childrenSystem() / TICK_NANOS,
            20 /* priority */, 0 /* nice */, liveThreads(p), 0, start,
            virtualBytes(p), rss, rsslim, 0, 0, 0 /* startcode, endcode, startstack */, 0, 0,
            t == null ? 0 : t.pendingMask(), t == null ? 0 : t.blockedMask(), ic[0], ic[1], 0, 0, 0,
            p.exitSignal(), t == null ? 0 : Math.max(0, t.core()), 0, 0, 0, 0, 0, 0, 0, brk, 0, 0, 0, 0,
            p.exiting() ? p.waitStatus() : 0};
        for (long f : fields)
            b.append(' ').append(f == rsslim && f < 0 ? Long.toUnsignedString(f) : Long.toString(f));
        return ascii(b.append('\n').toString());
    }

    /** /proc/PID/statm: sizes in pages: total, resident, shared, text, lib (0), data, dirty (0). */
    byte[] statm(Process p) {
        long size = virtualBytes(p) / PAGE, rss = p.mm().residentBytes() / PAGE;
        return ascii(size + " " + rss + " 0 0 0 " + size + " 0\n");
    }

    private static final String[][] LIMITS = {{"Max cpu time", "seconds"}, {"Max file size", "bytes"},
        {"Max data size", "bytes"}, {"Max stack size", "bytes"}, {"Max core file size", "bytes"},
        {"Max resident set", "bytes"}, {"Max processes", "processes"}, {"Max open files", "files"},
        {"Max locked memory", "bytes"}, {"Max address space", "bytes"}, {"Max file locks", "locks"},
        {"Max pending signals", "signals"}, {"Max msgqueue size", "bytes"}, {"Max nice priority", ""},
        {"Max realtime priority", ""}, {"Max realtime timeout", "us"}};

    /** /proc/PID/limits: the LWK's limits of p (the proxy's would be the host process's). */
    byte[] limits(Process p) {
        Rlimits r = p.rlimits();
        StringBuilder b = new StringBuilder(format("%-25s %-20s %-20s %-10s%n", "Limit", "Soft Limit",
                "Hard Limit", "Units"));
        for (int i = 0; i < LIMITS.length; i++) {
            b.append(format("%-25s %-20s %-20s ", LIMITS[i][0], limit(r.soft(i)), limit(r.hard(i))));
            b.append(LIMITS[i][1].isEmpty() ? "\n" : format("%-10s%n", LIMITS[i][1]));
        }
        return ascii(b.toString());
    }

    private static String limit(long v) {
        return v == Rlimits.RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(v);
    }

    /**
     * /proc/meminfo in Linux's layout (every field a program may look for): the LWK's memory; no swap, no
     * page cache, no huge pages reserved (2 MiB pages are used for mappings, not hugetlbfs).
     */
    byte[] meminfo() {
        FrameAllocator f = kernel.frames();
        long total = f.totalFrames() * 4, free = f.freeFrames() * 4, used = total - free;
        Object[][] rows = {{"MemTotal", total}, {"MemFree", free}, {"MemAvailable", free}, {"Buffers", 0},
            {"Cached", 0}, {"SwapCached", 0}, {"Active", used}, {"Inactive", 0}, {"Active(anon)", used},
            {"Inactive(anon)", 0}, {"Active(file)", 0}, {"Inactive(file)", 0}, {"Unevictable", 0}, {"Mlocked", 0},
            {"SwapTotal", 0}, {"SwapFree", 0}, {"Zswap", 0}, {"Zswapped", 0}, {"Dirty", 0}, {"Writeback", 0},
            {"AnonPages", used}, {"Mapped", 0}, {"Shmem", 0}, {"KReclaimable", 0}, {"Slab", 0}, {"SReclaimable", 0},
            {"SUnreclaim", 0}, {"KernelStack", 0}, {"PageTables", 0}, {"SecPageTables", 0}, {"NFS_Unstable", 0},
            {"Bounce", 0}, {"WritebackTmp", 0}, {"CommitLimit", total}, {"Committed_AS", used},
            {"VmallocTotal", 34359738367L}, {"VmallocUsed", 0}, {"VmallocChunk", 0}, {"Percpu", 0},
            {"HardwareCorrupted", 0}, {"AnonHugePages", 0}, {"ShmemHugePages", 0}, {"ShmemPmdMapped", 0},
            {"FileHugePages", 0}, {"FilePmdMapped", 0}, {"CmaTotal", 0}, {"CmaFree", 0}, {"Unaccepted", 0}};
        StringBuilder b = new StringBuilder();
        for (Object[] r : rows)
            b.append(format("%-15s %8d kB%n", r[0] + ":", ((Number) r[1]).longValue()));
        // hugetlbfs pages are the host's (a MAP_HUGETLB memfd is a host file): its counts
        java.util.Map<String, String> host = hostMeminfo();
        for (String h : new String[] {"HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"})
            b.append(format("%-15s %8s%n", h + ":", host.getOrDefault(h, "0")));
        b.append(format("%-15s %8s kB%n%-15s %8s kB%n", "Hugepagesize:", host.getOrDefault("Hugepagesize", "2048"),
                "Hugetlb:", host.getOrDefault("Hugetlb", "0")));
        b.append(format("%-15s %8d kB%n%-15s %8d kB%n%-15s %8d kB%n", "DirectMap4k:", 0, "DirectMap2M:",
                total, "DirectMap1G:", 0));
        return ascii(b.toString());
    }

    /** The host's /proc/meminfo values by name (without " kB"); empty if it cannot be read. */
    private static java.util.Map<String, String> hostMeminfo() {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/meminfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0)
                    m.put(line.substring(0, colon), line.substring(colon + 1).replace("kB", "").trim());
            }
        } catch (java.io.IOException e) {
            // none
        }
        return m;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** p's threads still alive. (A loop: a stream here loaded the stream library when a program first read its status.) */
    private static int liveThreads(Process p) {
        int n = 0;
        for (Thread th : p.threads())
            if (th.alive())
                n++;
        return n;
    }
}
