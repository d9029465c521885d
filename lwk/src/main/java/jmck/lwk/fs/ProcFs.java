package jmck.lwk.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import jmck.lwk.syscall.SyscallContext;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * /proc as a guest sees it (McKernel answers these through mcctrl's procfs), and the CPU lists of sysfs
 * (/sys/devices/system/cpu/online, possible, present), which name the LWK's cores as McKernel's sysfs does:
 * sysconf(_SC_NPROCESSORS_ONLN) and sched_getaffinity then agree on how many CPUs there are. A path that names
 * an LWK process (/proc/self, /proc/thread-self, /proc/PID, /proc/PID/task/TID, PID an LWK pid or tid)
 * describes that process, not the proxy that serves it; a number that is no LWK task is ENOENT, whatever the
 * host has under it. Each such path resolves to a {@link Target}: contents the LWK generates (status, stat,
 * maps, ...), a host path the call goes to instead (the proxy's own /proc entry for what the host knows, such
 * as mountinfo or cgroup; the program file for exe; a file the LWK keeps for oom_score_adj, which is
 * writable), or an errno. /proc/meminfo and /proc/cpuinfo are the LWK's too; every other path, /proc/sys
 * among them, is the host's.
 */
public final class ProcFs {
    /**
     * What a /proc path is: generated contents for a read (null if the host path is opened instead), what
     * takes writes (null: the file is read-only), the host path that open, stat and access use, the text of
     * a symbolic link (readlink), or an errno; for a directory the LWK lists itself, what makes that listing
     * and gives its host path, which an open uses (null if it cannot be made: the host path then).
     */
    public record Target(Supplier<byte[]> contents, ToLongFunction<byte[]> writer, String hostPath, String link,
            int errno, Supplier<String> listing) {
        static Target generated(Supplier<byte[]> contents, String hostPath) {
            return new Target(contents, null, hostPath, null, 0, null);
        }

        static Target host(String hostPath) {
            return new Target(null, null, hostPath, null, 0, null);
        }

        static Target error(int errno) {
            return new Target(null, null, null, null, errno, null);
        }

        static Target listed(Supplier<String> listing, String hostPath) {
            return new Target(null, null, hostPath, null, 0, listing);
        }
    }

    private final SyscallContext kernel;
    private final ProcFiles files;
    private final jmck.lwk.ipc.Ipc ipc;

    public ProcFs(SyscallContext kernel, jmck.lwk.ipc.Ipc ipc) {
        this.kernel = kernel;
        this.files = new ProcFiles(kernel);
        this.ipc = ipc;
    }

    /**
     * The names in path between slashes, empty ones (from "//" or a trailing "/") and "." left out, as the
     * kernel's path walk skips them. By hand: String.split with a pattern compiles a regular expression, milliseconds
     * in the interpreter on the first /proc lookup of every run.
     */
    static String[] components(String path) {
        java.util.List<String> l = new java.util.ArrayList<>();
        for (int i = 0, j; i < path.length(); i = j + 1) {
            j = path.indexOf('/', i);
            if (j < 0)
                j = path.length();
            if (j > i && !(j == i + 1 && path.charAt(i) == '.')) // "." names the directory it is in
                l.add(path.substring(i, j));
        }
        return l.toArray(new String[0]);
    }

    /** The directory whose CPU lists the LWK answers. */
    public static final String CPU_DIRECTORY = "/sys/devices/system/cpu/";

    /** What path means for thread t, or null if it is no LWK path (the host answers it as it is). */
    public Target resolve(Thread t, String path) {
        if (path.startsWith(CPU_DIRECTORY))
            return cpuList(path);
        if (isRoot(path))
            return Target.listed(() -> rootListing(t), "/proc");
        if (!path.startsWith("/proc/"))
            return null;
        String[] parts = components(path.substring(6));
        int n = parts.length;
        if (n == 0)
            return null;
        if (n == 1 && parts[0].equals("meminfo"))
            return Target.generated(files::meminfo, "/proc/meminfo");
        if (n == 1 && parts[0].equals("cpuinfo"))
            return Target.generated(() -> cpuInfo().text(kernel.coreCount()), "/proc/cpuinfo");
        if (n == 2 && parts[0].equals("sysvipc") && ipc.procFile(parts[1]) != null) // the LWK's IPC objects
            return Target.generated(() -> ascii(ipc.procFile(parts[1])), path);
        Process p;
        Thread thread = null;
        switch (parts[0]) {
            case "self" -> p = t.process();
            case "thread-self" -> {
                p = t.process();
                thread = t;
            }
            default -> {
                int id;
                try {
                    id = Integer.parseInt(parts[0]);
                } catch (NumberFormatException e) {
                    return null;
                }
                if (jmck.lwk.proc.OutsideInit.is(id)) // init is the host's (jmck.lwk.proc.OutsideInit)
                    return Target.host("/proc/" + String.join("/", java.util.Arrays.copyOfRange(parts, 0, n)));
                p = kernel.processes().process(id);
                if (p == null) {
                    Thread other = kernel.processes().thread(id);
                    if (other == null || !other.alive())
                        return Target.error(Errno.ENOENT);
                    p = other.process();
                    thread = other;
                }
            }
        }
        // the host's answers: the proxy's own entries (through /proc/self in the proxy for the caller's
        // process, where the proxy also translates fd/N)
        boolean self = p == t.process();
        String host = self ? "/proc/self" : hostDirectory(p);
        String hostTask = self ? "/proc/thread-self" : host + "/task/" + hostPid(p);
        if (thread != null) // /proc/TID and /proc/thread-self: that thread's view
            return task(t, p, thread, hostTask, parts, 1, n);
        if (n >= 2 && parts[1].equals("task")) {
            if (n == 2)
                return Target.host(taskDirectory(p));
            Thread member;
            try {
                member = kernel.processes().thread(Integer.parseInt(parts[2]));
            } catch (NumberFormatException e) {
                return Target.error(Errno.ENOENT);
            }
            if (member == null || member.process() != p || !member.alive())
                return Target.error(Errno.ENOENT);
            return task(t, p, member, hostTask, parts, 3, n);
        }
        return file(t, p, null, host, n == 1 ? "" : parts[1], parts, 1, n);
    }

    /**
     * /sys/devices/system/cpu/{online,possible,present}: the LWK's cores, numbered from 0 as sched_getaffinity
     * reports them ("0-3" for four, "0" for one); the host's other files there (cpu0/, kernel_max) stay.
     */
    private Target cpuList(String path) {
        String[] parts = components(path.substring(CPU_DIRECTORY.length()));
        if (parts.length != 1 || !java.util.Set.of("online", "possible", "present").contains(parts[0]))
            return null;
        // a class, not a lambda: glibc and libgomp read these at start-up, where linking one cost up to 2 ms
        return Target.generated(new Supplier<byte[]>() {
            @Override
            public byte[] get() {
                int n = kernel.coreCount();
                return ascii(n == 1 ? "0\n" : "0-" + (n - 1) + "\n");
            }
        }, path);
    }

    /** A file of one thread's directory (/proc/PID/task/TID/...): parts[from..n) is the path inside it. */
    private Target task(Thread t, Process p, Thread thread, String host, String[] parts, int from, int n) {
        if (n > from && parts[from].equals("task"))
            return Target.error(Errno.ENOENT); // a thread's directory has no task/
        return file(t, p, thread, host, n == from ? "" : parts[from], parts, from, n);
    }

    /**
     * A file of a process's directory, or of one of its threads' if thread is not null, for the caller t:
     * name is the first component inside it ("" for the directory), parts[from..n) the whole path inside it.
     */
    private Target file(Thread t, Process p, Thread thread, String host, String name, String[] parts, int from, int n) {
        String inside = String.join("/", java.util.Arrays.copyOfRange(parts, from, n));
        String hostPath = inside.isEmpty() ? host : host + "/" + inside;
        if (n > from + 1) // fd/N, ns/..., attr/...: the host's (fd numbers are the proxy's: not yet translated)
            return Target.host(hostPath);
        if (name.isEmpty() && thread == null)
            return Target.listed(() -> processDirectory(t, p), hostPath);
        switch (name) {
            case "status":
                return Target.generated(() -> files.status(p, thread, t), hostPath);
            case "stat":
                return Target.generated(() -> files.stat(p, thread, t), hostPath);
            case "statm":
                return Target.generated(() -> files.statm(p), hostPath);
            case "maps":
                return Target.generated(() -> files.maps(p), hostPath);
            case "smaps":
                return Target.generated(() -> files.smaps(p), hostPath);
            case "comm":
                return Target.generated(() -> files.comm(p), hostPath);
            case "cmdline":
                return Target.generated(p::cmdline, hostPath);
            case "auxv":
                return Target.generated(() -> p.mm().savedAuxvBytes(), hostPath);
            case "limits":
                return Target.generated(() -> files.limits(p), hostPath);
            case "timerslack_ns": // the thread's (for a process: its main thread's, as Linux's leader)
                return Target.generated(() -> ascii((thread != null ? thread : p.threads().stream()
                        .filter(m -> m.tid() == p.pid()).findFirst().orElse(t)).timerSlack() + "\n"), hostPath);
            case "oom_score":
                return Target.generated(() -> ascii("0\n"), hostPath);
            case "oom_score_adj":
                return new Target(() -> ascii(p.oomScoreAdj() + "\n"), w -> writeOomScoreAdj(t, p, w), hostPath,
                        null, 0, null);
            case "exe":
                return new Target(null, null, p.exe(), p.exe(), 0, null);
            default:
                return Target.host(hostPath);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- host paths ----

    /** The proxy's /proc directory, where the host's answers for p are. */
    private String hostDirectory(Process p) {
        long pid = hostPid(p);
        return pid > 0 ? "/proc/" + pid : "/proc/self";
    }

    private long hostPid(Process p) {
        return kernel.syscalls().forwarder().hostPid(p);
    }

    /** A directory of the LWK's under the forwarder's (shared with the proxy), for p; created if missing. */
    private Path stateDirectory(Process p) {
        Path base = kernel.syscalls().forwarder().sharedDirectory();
        if (base == null)
            return null;
        Path d = base.resolve("proc").resolve(Integer.toString(p.pid()));
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            return null;
        }
        return d;
    }

    private CpuInfo cpuInfo;

    private synchronized CpuInfo cpuInfo() {
        if (cpuInfo == null)
            cpuInfo = new CpuInfo(kernel.cpuid());
        return cpuInfo;
    }

    /** Whether path names /proc itself ("/proc", "/proc/", "//proc//"). */
    public static boolean isRoot(String path) {
        String[] parts = components(path);
        return path.startsWith("/") && parts.length == 1 && parts[0].equals("proc");
    }

    /**
     * /proc itself, opened to be listed (ps, top, pgrep and pidof read it to find processes): the host's
     * entries other than processes, then pid 1 (init, the host's: {@link jmck.lwk.proc.OutsideInit}) and the
     * LWK's processes, zombies among them (Linux lists thread-group leaders, not their other threads). The
     * host's own list would name the host's processes, each of them ENOENT here. Kept, as task/ is, as a
     * directory in the LWK's state directory, made anew for each open ({@link Listings}): the files the
     * LWK generates (meminfo, cpuinfo) are written there as they are at the open; the host's other entries
     * and pid 1 are symbolic links to themselves under /proc, so that a lookup relative to the directory's
     * fd still reaches the host's file; an LWK pid is an empty directory (by its full path, /proc/PID, it is the LWK's). Made in
     * reverse, it lists in Linux's order on tmpfs (`jmck run`'s state directory). Null without a state
     * directory (the host's /proc is listed).
     */
    private synchronized String rootListing(Thread t) {
        Path base = kernel.syscalls().forwarder().sharedDirectory();
        if (base == null)
            return null;
        try {
            if (hostEntries == null)
                hostEntries = names("/proc", name -> !Character.isDigit(name.charAt(0)));
            java.util.TreeSet<Integer> pids = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
            for (Process p : kernel.processes().processes())
                if (!p.reaped())
                    pids.add(p.pid());
            if (rootListings == null)
                rootListings = new Listings(base, "proc-root");
            Path d = rootListings.next();
            for (int pid : pids)
                Files.createDirectory(d.resolve(Integer.toString(pid)));
            String init = Integer.toString(jmck.lwk.proc.OutsideInit.PID);
            Files.createSymbolicLink(d.resolve(init), Path.of("/proc", init));
            for (int i = hostEntries.size() - 1; i >= 0; i--) {
                String name = hostEntries.get(i);
                Target x = resolve(t, "/proc/" + name);
                if (x != null && x.contents() != null) // meminfo, cpuinfo: the LWK's, as at this open
                    Files.write(d.resolve(name), x.contents().get());
                else
                    Files.createSymbolicLink(d.resolve(name), Path.of("/proc", name));
            }
            return d.toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** Where /proc's listings are made, and the host's /proc entries other than processes, in its order. */
    private Listings rootListings;
    private java.util.List<String> hostEntries;

    /** The names in a host directory that keep accepts, in the host's order. */
    private static java.util.List<String> names(String directory, java.util.function.Predicate<String> keep)
            throws IOException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (var all = Files.newDirectoryStream(Path.of(directory))) {
            for (Path e : all)
                if (keep.test(e.getFileName().toString()))
                    names.add(e.getFileName().toString());
        }
        return names;
    }


    /**
     * /proc/PID/task: a directory listing p's live threads, kept by the LWK (the host's would list the
     * proxy's threads). Each entry is a directory, as Linux's are.
     */
    private String taskDirectory(Process p) {
        Path d = stateDirectory(p);
        if (d == null)
            return hostDirectory(p) + "/task";
        Path task = d.resolve("task");
        try {
            Files.createDirectories(task);
            java.util.Set<String> live = new java.util.HashSet<>();
            for (Thread th : p.threads())
                if (th.alive())
                    live.add(Integer.toString(th.tid()));
            try (var old = Files.list(task)) {
                for (Path e : (Iterable<Path>) old::iterator)
                    if (!live.remove(e.getFileName().toString()))
                        Files.deleteIfExists(e);
            }
            for (String tid : live)
                Files.createDirectories(task.resolve(tid));
        } catch (IOException e) {
            return hostDirectory(p) + "/task";
        }
        return task.toString();
    }

    /**
     * /proc/PID opened as a directory (killall, pstree and fuser open it, then read stat or cmdline relative
     * to it; the host's would be the proxy's): p's directory in the LWK's state directory, where task/ is,
     * holding for each name the host has in a process's directory what /proc/PID/NAME gives: the contents
     * the LWK generates, as files written at this open (a snapshot, where Linux's are read live), and any
     * other name a symbolic link to where that path leads (the proxy's entry; the program file for exe).
     * Null if it cannot be made (the proxy's directory is opened).
     */
    private synchronized String processDirectory(Thread t, Process p) {
        Path d = stateDirectory(p);
        if (d == null)
            return null;
        taskDirectory(p); // task/, kept there already
        String host = hostDirectory(p);
        try {
            if (processEntries == null)
                processEntries = names("/proc/self", name -> !name.equals("task"));
            for (String name : processEntries) {
                Target x = file(t, p, null, host, name, new String[] {name}, 0, 1);
                Path entry = d.resolve(name);
                if (x.contents() != null) { // replaced whole: a reader of the one before reads it to its end
                    Path part = d.resolve("." + name + ".new");
                    Files.write(part, x.contents().get());
                    Files.move(part, entry, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } else if (x.errno() == 0) { // a link; exe's changes with execve
                    Path to = Path.of(x.link() != null ? x.link() : x.hostPath());
                    if (Files.isSymbolicLink(entry) && Files.readSymbolicLink(entry).equals(to))
                        continue;
                    Files.deleteIfExists(entry);
                    Files.createSymbolicLink(entry, to);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return d.toString();
    }

    /** The names a process's directory has (the host's, read once: they are its kernel's), task/ left out. */
    private java.util.List<String> processEntries;


    /**
     * A write to /proc/PID/oom_score_adj by thread t (Linux's oom_score_adj_write): a number from -1000 to
     * 1000; lower than the floor only with CAP_SYS_RESOURCE, which also moves the floor.
     */
    private static long writeOomScoreAdj(Thread t, Process p, byte[] written) {
        int v;
        try {
            v = Integer.decode(new String(written, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            return -Errno.EINVAL;
        }
        if (v < -1000 || v > 1000)
            return -Errno.EINVAL;
        boolean privileged = t.process().capabilities().has(jmck.lwk.proc.Capabilities.CAP_SYS_RESOURCE);
        if (v < p.oomScoreAdjMin() && !privileged)
            return -Errno.EACCES;
        p.setOomScoreAdj(v, privileged);
        return written.length;
    }
}
