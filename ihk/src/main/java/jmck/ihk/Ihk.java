package jmck.ihk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;

/**
 * The IHK manager: the verbs of ihkconfig (reserve and release cores and memory from the host, create and
 * destroy OS instances) and ihkosctl (assign resources to an instance, boot it, read its kmsg, shut it
 * down), on the emulated machine. State lives in the runtime directory ({@link IhkState}); a booted
 * instance is a daemon process ({@link InstanceDaemon}) reached through a Unix socket there.
 */
public final class Ihk {
    public static final int DEFAULT_MACHINE_CORES = 8;
    public static final long DEFAULT_MACHINE_MEMORY = 8L << 30;
    private static final long BOOT_TIMEOUT_MS = 60_000;

    private final Path dir;

    public Ihk(Path runtimeDir) {
        this.dir = runtimeDir;
    }

    /** $JMCK_RUNTIME_DIR, or /tmp/jmck-UID. */
    public static Path defaultRuntimeDir() {
        String env = System.getenv("JMCK_RUNTIME_DIR");
        if (env != null && !env.isEmpty())
            return Paths.get(env);
        return Paths.get(System.getProperty("java.io.tmpdir"), "jmck-" + System.getProperty("user.name"));
    }

    public Path runtimeDir() {
        return dir;
    }

    public Path socket(int os) {
        return dir.resolve("os" + os + ".sock");
    }

    public Path log(int os) {
        return dir.resolve("os" + os + ".log");
    }

    /** Where instance os's IKC files are (its doorbell, a channel per process, generated files). */
    public jmck.ihk.ikc.IkcFiles ikcFiles(int os) {
        return jmck.ihk.ikc.IkcFiles.ofInstance(dir, os);
    }

    /** Reads the state under the lock and applies change; the state is saved if change returns normally. */
    <R> R update(Function<IhkState, R> change) {
        try {
            Files.createDirectories(dir);
            try (FileChannel lock = FileChannel.open(dir.resolve("ihk.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock l = lock.lock()) {
                IhkState s = IhkState.load(dir.resolve("ihk.state"), DEFAULT_MACHINE_CORES, DEFAULT_MACHINE_MEMORY);
                refresh(s);
                R r = change.apply(s);
                s.save(dir.resolve("ihk.state"));
                return r;
            }
        } catch (IOException e) {
            throw new JmckException("cannot use the IHK state in " + dir + ": " + e.getMessage());
        }
    }

    /** An instance whose daemon died is marked PANIC (IHK reports a dead OS the same way). */
    private void refresh(IhkState s) {
        for (IhkState.Instance i : s.instances.values())
            if (i.pid != 0 && ProcessHandle.of(i.pid).map(p -> !p.isAlive()).orElse(true)) {
                i.pid = 0;
                if (i.status != OsStatus.NOT_BOOTED && i.status != OsStatus.SHUTDOWN)
                    i.status = OsStatus.PANIC;
                try {
                    Files.deleteIfExists(socket(i.id));
                    Files.deleteIfExists(ikcFiles(i.id).doorbell());
                } catch (IOException e) {
                    // leave them
                }
            }
    }

    // ---- the machine ----

    /** Sets the emulated machine's size (only while nothing is reserved); returns a description. */
    public String machine(Integer cores, Long memory) {
        return update(s -> {
            if (cores != null || memory != null) {
                if (!s.reservedCpus.isEmpty() || !s.blocks.isEmpty())
                    throw new JmckException("release all cores and memory before resizing the machine");
                if (cores != null) {
                    if (cores < 1 || cores > 256)
                        throw new JmckException("a machine has 1 to 256 cores, not " + cores);
                    s.machineCores = cores;
                }
                if (memory != null) {
                    if (memory < (64L << 20) || memory % PhysicalMemory.BLOCK_ALIGN != 0)
                        throw new JmckException("machine memory must be a multiple of 2M and at least 64M");
                    s.machineMemory = memory;
                }
            }
            return String.format("machine: %d cores (0-%d), %d MiB of memory%nreserved cpus: %s%nreserved memory: %s",
                    s.machineCores, s.machineCores - 1, s.machineMemory >> 20, s.reservedCpus.isEmpty() ? "none" : s.reservedCpus,
                    describeBlocks(s.blocks));
        });
    }

    private static String describeBlocks(List<IhkState.Block> blocks) {
        if (blocks.isEmpty())
            return "none";
        StringBuilder b = new StringBuilder();
        for (IhkState.Block k : blocks)
            b.append(String.format("%n  %#x-%#x %d MiB %s", k.base, k.base + k.size, k.size >> 20,
                    k.os < 0 ? "free" : "os " + k.os));
        return b.toString();
    }

    // ---- ihkconfig ----

    /** Takes cores away from the host for LWKs. Core 0 stays with the host, as with IHK. */
    public void reserveCpu(CpuSet cpus) {
        update(s -> {
            if (cpus.isEmpty())
                throw new JmckException("no cores given");
            if (cpus.highest() >= s.machineCores)
                throw new JmckException("the machine has cores 0-" + (s.machineCores - 1) + ", not " + cpus);
            if (cpus.contains(0))
                throw new JmckException("core 0 runs the host; reserve cores 1-" + (s.machineCores - 1));
            if (s.reservedCpus.intersects(cpus))
                throw new JmckException("cores " + cpusOf(s.reservedCpus, cpus) + " are already reserved");
            s.reservedCpus = s.reservedCpus.plus(cpus);
            return null;
        });
    }

    private static CpuSet cpusOf(CpuSet a, CpuSet b) {
        return a.minus(a.minus(b));
    }

    /** Gives reserved cores back to the host; they must not be assigned to an instance. */
    public void releaseCpu(CpuSet cpus) {
        update(s -> {
            if (!s.reservedCpus.containsAll(cpus))
                throw new JmckException("cores " + cpus.minus(s.reservedCpus) + " are not reserved");
            if (s.assignedCpus().intersects(cpus))
                throw new JmckException("cores " + cpusOf(s.assignedCpus(), cpus) + " are assigned to an OS instance");
            s.reservedCpus = s.reservedCpus.minus(cpus);
            return null;
        });
    }

    /** Reserves a block of size bytes from the machine's memory; returns its physical range. */
    public PhysicalMemory.Block reserveMemory(long size) {
        return update(s -> {
            if (size <= 0 || size % PhysicalMemory.BLOCK_ALIGN != 0)
                throw new JmckException("memory is reserved in multiples of 2M");
            long base = Machine.HOST_RESERVED; // first fit above the host's part
            List<IhkState.Block> sorted = new ArrayList<>(s.blocks);
            sorted.sort((a, b) -> Long.compare(a.base, b.base));
            for (IhkState.Block b : sorted) {
                if (b.base - base >= size)
                    break;
                base = Math.max(base, b.base + b.size);
            }
            if (base + size > Machine.HOST_RESERVED + s.machineMemory)
                throw new JmckException("not enough free machine memory for " + (size >> 20) + "M (the machine has "
                        + (s.machineMemory >> 20) + "M; see jmck ihk query mem)");
            // Unique to this runtime directory: several IHK setups (tests, users) may exist side by side.
            Path file = Paths.get("/dev/shm", String.format("jmck-ihk-%08x-%x.ram", dir.toAbsolutePath().toString().hashCode(), base));
            IhkState.Block block = new IhkState.Block(base, size, file);
            PhysicalMemory.createFile(block.physical());
            s.blocks.add(block);
            return block.physical();
        });
    }

    /** Releases reserved memory ("all", or the block starting at a physical address) that no instance uses. */
    public void releaseMemory(String which) {
        update(s -> {
            List<IhkState.Block> gone = new ArrayList<>();
            for (IhkState.Block b : s.blocks)
                if (which.equals("all") || matches(b, which)) {
                    if (b.os >= 0) {
                        if (which.equals("all"))
                            throw new JmckException("memory " + String.format("%#x", b.base) + " is assigned to OS " + b.os);
                        throw new JmckException("that memory is assigned to OS " + b.os);
                    }
                    gone.add(b);
                }
            if (gone.isEmpty() && !which.equals("all"))
                throw new JmckException("no reserved memory block at " + which);
            for (IhkState.Block b : gone) {
                PhysicalMemory.deleteFile(b.physical());
                s.blocks.remove(b);
            }
            return null;
        });
    }

    private static boolean matches(IhkState.Block b, String which) {
        try {
            return Long.decode(which) == b.base;
        } catch (NumberFormatException e) {
            throw new JmckException("bad memory block '" + which + "': give its physical address (see jmck ihk query mem) or all");
        }
    }

    public String queryCpu() {
        return update(s -> s.reservedCpus.toString());
    }

    public String queryMemory() {
        return update(s -> describeBlocks(s.blocks).strip());
    }

    /** Creates an OS instance with no resources yet; returns its number. */
    public int create() {
        return update(s -> {
            int id = 0;
            while (s.instances.containsKey(id))
                id++;
            s.instances.put(id, new IhkState.Instance(id));
            return id;
        });
    }

    /** Destroys an instance that is not running; its resources go back to the reserved pools. */
    public void destroy(int os) {
        update(s -> {
            IhkState.Instance i = s.instance(os);
            if (i.pid != 0)
                throw new JmckException("OS " + os + " is " + i.status + ": shut it down first");
            for (IhkState.Block b : s.blocksOf(os))
                b.os = -1;
            s.instances.remove(os);
            return null;
        });
    }

    public List<Integer> instances() {
        return update(s -> new ArrayList<>(s.instances.keySet()));
    }

    // ---- ihkosctl ----

    /**
     * Assigns reserved cores to an instance; a running instance gets them at once (hot-plug). Returns what
     * the instance said (with the time it took), or "" when it is not running.
     */
    public String assignCpu(int os, CpuSet cpus) {
        boolean running = update(s -> {
            IhkState.Instance i = s.instance(os);
            if (!s.reservedCpus.containsAll(cpus))
                throw new JmckException("cores " + cpus.minus(s.reservedCpus) + " are not reserved (jmck ihk reserve cpu "
                        + cpus.minus(s.reservedCpus) + ")");
            CpuSet taken = s.assignedCpus().minus(i.cpus);
            if (taken.intersects(cpus))
                throw new JmckException("cores " + cpusOf(taken, cpus) + " are assigned to another OS instance");
            if (i.cpus.intersects(cpus))
                throw new JmckException("cores " + cpusOf(i.cpus, cpus) + " are already assigned to OS " + os);
            i.cpus = i.cpus.plus(cpus);
            return i.pid != 0;
        });
        StringBuilder said = new StringBuilder();
        if (running)
            for (int c : cpus.toArray())
                said.append(((Control.Reply) control(os, new Control.AddCpu(c))).text()).append('\n');
        return said.toString();
    }

    /** Takes cores back from an instance; a running instance gives them up at once. */
    public void releaseCpu(int os, CpuSet cpus) {
        boolean running = update(s -> {
            IhkState.Instance i = s.instance(os);
            if (!i.cpus.containsAll(cpus))
                throw new JmckException("cores " + cpus.minus(i.cpus) + " are not assigned to OS " + os);
            if (i.pid != 0 && i.cpus.minus(cpus).isEmpty())
                throw new JmckException("a running OS keeps at least one core");
            return i.pid != 0;
        });
        if (running)
            for (int c : cpus.toArray())
                control(os, new Control.RemoveCpu(c));
        update(s -> {
            s.instance(os).cpus = s.instance(os).cpus.minus(cpus);
            return null;
        });
    }

    /**
     * Assigns reserved memory ("all" free blocks, or a size to reserve and assign) to an instance. Returns
     * what a running instance said, or "".
     */
    public String assignMemory(int os, String what) {
        List<PhysicalMemory.Block> added = new ArrayList<>();
        if (!what.equals("all")) // a size: reserve a block of it first, as mcreboot does
            added.add(reserveMemory(parseSize(what)));
        boolean running = update(s -> {
            IhkState.Instance i = s.instance(os);
            boolean any = false;
            for (IhkState.Block b : s.blocks)
                if (b.os < 0 && (what.equals("all") || added.stream().anyMatch(a -> a.base() == b.base))) {
                    b.os = os;
                    any = true;
                    if (what.equals("all"))
                        added.add(b.physical());
                }
            if (!any)
                throw new JmckException("no free reserved memory (jmck ihk reserve mem SIZE)");
            return i.pid != 0;
        });
        StringBuilder said = new StringBuilder();
        if (running)
            for (PhysicalMemory.Block b : added)
                said.append(((Control.Reply) control(os, new Control.AddMemory(b))).text()).append('\n');
        return said.toString();
    }

    /** Takes memory back from an instance ("all", or one block by physical address). */
    public void releaseMemory(int os, String which) {
        List<IhkState.Block> chosen = update(s -> {
            IhkState.Instance i = s.instance(os);
            List<IhkState.Block> l = new ArrayList<>();
            for (IhkState.Block b : s.blocksOf(os))
                if (which.equals("all") || matches(b, which))
                    l.add(b);
            if (l.isEmpty())
                throw new JmckException("no such memory assigned to OS " + os);
            if (i.pid != 0 && l.size() == s.blocksOf(os).size())
                throw new JmckException("a running OS keeps at least one memory block");
            return l;
        });
        for (IhkState.Block b : chosen)
            if (instanceRunning(os))
                control(os, new Control.RemoveMemory(b.physical()));
        update(s -> {
            for (IhkState.Block b : s.blocks)
                for (IhkState.Block c : chosen)
                    if (b.base == c.base)
                        b.os = -1;
            return null;
        });
    }

    private boolean instanceRunning(int os) {
        return update(s -> s.instance(os).pid != 0);
    }

    static long parseSize(String s) {
        String t = s.trim().toUpperCase();
        long unit = 1;
        if (t.endsWith("K")) unit = 1L << 10;
        else if (t.endsWith("M")) unit = 1L << 20;
        else if (t.endsWith("G")) unit = 1L << 30;
        if (unit != 1)
            t = t.substring(0, t.length() - 1);
        try {
            return Long.parseLong(t) * unit;
        } catch (NumberFormatException e) {
            throw new JmckException("bad size '" + s + "': use a number with K, M or G, like 512M");
        }
    }

    /**
     * Boots an instance: starts its daemon (javaCommand runs {@link InstanceDaemon}) and waits until it
     * serves requests. kargs are the LWK's boot options, e.g. "page_size=4k".
     */
    public void boot(int os, List<String> javaCommand, String kargs) {
        update(s -> {
            IhkState.Instance i = s.instance(os);
            if (i.pid != 0)
                throw new JmckException("OS " + os + " is already " + i.status);
            if (i.cpus.isEmpty())
                throw new JmckException("OS " + os + " has no cores (jmck ihk assign cpu LIST -n " + os + ")");
            if (s.blocksOf(os).isEmpty())
                throw new JmckException("OS " + os + " has no memory (jmck ihk assign mem SIZE -n " + os + ")");
            i.status = OsStatus.BOOTING;
            return null;
        });
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Paths.get("/usr/bin/setsid")))
            cmd.add("/usr/bin/setsid"); // the daemon outlives this terminal session
        cmd.addAll(javaCommand);
        cmd.addAll(List.of(InstanceDaemon.class.getName(), String.valueOf(os), dir.toString(), kargs == null ? "" : kargs));
        Process daemon;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log(os).toFile())).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            daemon = pb.start();
        } catch (IOException e) {
            markFailed(os);
            throw new JmckException("cannot start the daemon of OS " + os + ": " + e.getMessage());
        }
        long deadline = System.currentTimeMillis() + BOOT_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            OsStatus st = update(s -> s.instance(os).status);
            if (st == OsStatus.RUNNING)
                return;
            if (!daemon.isAlive() || st == OsStatus.PANIC) {
                markFailed(os);
                throw new JmckException("OS " + os + " failed to boot: " + lastLine(log(os)));
            }
            try {
                java.lang.Thread.sleep(5);
            } catch (InterruptedException e) {
                java.lang.Thread.currentThread().interrupt();
                break;
            }
        }
        daemon.destroy();
        markFailed(os);
        throw new JmckException("OS " + os + " did not boot within " + BOOT_TIMEOUT_MS / 1000 + " s (see " + log(os) + ")");
    }

    private void markFailed(int os) {
        update(s -> {
            s.instance(os).status = OsStatus.NOT_BOOTED;
            s.instance(os).pid = 0;
            return null;
        });
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--)
                if (!lines.get(i).isBlank())
                    return lines.get(i).replaceFirst("^jmck: ", "");
        } catch (IOException e) {
            // no log
        }
        return "no message";
    }

    /** The instance's status (IHK's names), and what it runs when it is up. */
    public String status(int os) {
        OsStatus st = update(s -> s.instance(os).status);
        if (st != OsStatus.RUNNING)
            return st.name();
        Control.Message r = control(os, new Control.Query("status"));
        return st.name() + "\n" + ((Control.Reply) r).text();
    }

    /** A running instance's counters, one "name: value" a line (see InstanceDaemon). */
    public String counters(int os) {
        return ((Control.Reply) control(os, new Control.Query("counters"))).text();
    }

    public OsStatus state(int os) {
        return update(s -> s.instance(os).status);
    }

    public String kmsg(int os) {
        return ((Control.Reply) control(os, new Control.Query("kmsg"))).text();
    }

    public void clearKmsg(int os) {
        control(os, new Control.Query("clear_kmsg"));
    }

    /** Shuts an instance down: its processes are killed, its daemon exits; resources stay assigned. */
    public void shutdown(int os) {
        long pid = update(s -> {
            IhkState.Instance i = s.instance(os);
            if (i.pid == 0)
                throw new JmckException("OS " + os + " is not running (" + i.status + ")");
            return i.pid;
        });
        control(os, new Control.Shutdown());
        ProcessHandle.of(pid).ifPresent(p -> {
            try {
                p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
        update(s -> {
            s.instance(os).pid = 0;
            s.instance(os).status = OsStatus.SHUTDOWN;
            return null;
        });
    }

    /** Sends a control message to a running instance and returns its reply (a Failed reply becomes an error). */
    Control.Message control(int os, Control.Message m) {
        try (Control.Link link = Control.Link.connect(socket(os))) {
            if (!link.send(m))
                throw new IOException("connection lost");
            Control.Message r = link.receive();
            if (r instanceof Control.Failed f)
                throw new JmckException(f.message());
            if (r == null)
                throw new IOException("no reply");
            return r;
        } catch (IOException e) {
            throw new JmckException("OS " + os + " is not running (" + e.getMessage() + ")");
        }
    }

    // ---- what the daemon reads and writes ----

    /** The instance's cores and memory blocks, for its daemon. */
    record Assignment(CpuSet cpus, List<PhysicalMemory.Block> blocks) {}

    Assignment assignment(int os) {
        return update(s -> {
            IhkState.Instance i = s.instance(os);
            List<PhysicalMemory.Block> l = new ArrayList<>();
            for (IhkState.Block b : s.blocksOf(os))
                l.add(b.physical());
            return new Assignment(i.cpus, l);
        });
    }

    void setStatus(int os, OsStatus status, long pid) {
        update(s -> {
            IhkState.Instance i = s.instances.get(os);
            if (i != null) {
                i.status = status;
                i.pid = pid;
            }
            return null;
        });
    }
}
