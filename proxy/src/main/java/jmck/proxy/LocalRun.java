package jmck.proxy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import jmck.emulator.JmckException;
import jmck.emulator.host.HostSyscall;
import jmck.ihk.IkcForwarder;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.ihk.ikc.IkcFiles;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.abi.Signals;
import jmck.lwk.proc.Process;
import jmck.lwk.signal.SigInfo;

/**
 * The proxy of `jmck run`: the LWK and the proxy share this host process, but talk as an instance daemon
 * and mcexec do, through IKC channels and a doorbell, so a blocked read never stalls the cores. One run
 * serves the program and every process it forks.
 */
public final class LocalRun implements AutoCloseable {
    private final Kernel kernel;
    private final Path directory;
    private final IkcForwarder forwarder;
    private final ProxySession session;
    private final IkcForwarder.ProxyLink link;

    /** Wires kernel (booted, with its memory mapped here) to an in-process proxy. */
    public LocalRun(Kernel kernel) {
        this.kernel = kernel;
        removeStaleDirectories();
        directory = createDirectory();
        IkcFiles files = new IkcFiles(directory);
        Doorbell doorbell = Doorbell.create(files.doorbell());
        kernel.setIdler(doorbell.idler());
        forwarder = new IkcForwarder(kernel, files, doorbell);
        kernel.syscalls().setForwarder(forwarder);
        session = new ProxySession(kernel.memory(), doorbell, files);
        link = new IkcForwarder.ProxyLink() { // a class, not a lambda: on the start-up path, where linking a lambda took 0.2-0.9 ms
            @Override
            public void exited(Process p, int waitStatus, String message) {
                session.exited(p.pid());
            }
        };
    }

    /** Creates the process and starts serving and running it. */
    public Process start(ElfImage elf, String execfn, List<String> argv, List<String> env) {
        Process p = kernel.prepare(elf, execfn, argv, env, HostFacts.credentials(), HostFacts.rlimits());
        p.setUmask(HostFacts.umask());
        forwarder.attach(p, link, HostSyscall.pid());
        // The proxy maps the channel itself, as it does a forked child's: the LWK unmaps its own mapping at
        // the tick after the process exits, while a worker may still be closing the process's files through
        // the channel (a shared mapping crashed the JVM there: LwkLocalCallsTest, futex_waitv on 2 cores)
        IkcChannel channel = IkcChannel.open(forwarder.files().channel(p.pid()));
        session.serve(p.pid(), channel, FdTable.withStdio(), true);
        kernel.start(p);
        return p;
    }

    /** Runs the kernel until p has ended; prints how it died if a signal killed it; returns its shell status. */
    public int runToEnd(Process p) {
        return runToEnd(p, 0);
    }

    /** The status `jmck run --timeout` exits with when the time ran out, as timeout(1) does. */
    public static final int TIMED_OUT = 124;

    /**
     * Runs the kernel until p has ended, or until timeoutNanos (if positive) have passed, when p is killed
     * and this returns {@link #TIMED_OUT}. Ctrl-C, SIGTERM and SIGHUP sent to this process meanwhile go to
     * p, as mcexec forwards them. Prints how p died if a signal killed it; returns its shell status.
     */
    public int runToEnd(Process p, long timeoutNanos) {
        forwardHostSignals(p);
        boolean[] timedOut = {false};
        if (timeoutNanos > 0) // exact mode: a pending timer makes a lone core run in slices, so the timer can fire
            kernel.addTimer(System.nanoTime() + timeoutNanos, () -> {
                if (!p.dead()) {
                    timedOut[0] = true;
                    kernel.killProcess(p, SigInfo.sent(Signals.SIGKILL, Signals.SI_KERNEL, 0, 0), false);
                }
            });
        kernel.run(new java.util.function.BooleanSupplier() { // (a class: see the constructor)
            @Override
            public boolean getAsBoolean() {
                return p.dead();
            }
        });
        if (timedOut[0]) {
            String seconds = new java.math.BigDecimal(timeoutNanos / 1e9).round(new java.math.MathContext(3))
                    .stripTrailingZeros().toPlainString();
            System.err.printf("jmck: %s (pid %d): timed out after %s s: killed%n", p.comm(), p.pid(), seconds);
            return TIMED_OUT;
        }
        if (p.exitMessage() != null && !p.exitMessage().isEmpty())
            System.err.println(p.exitMessage());
        return p.shellStatus();
    }

    /**
     * Ctrl-C, SIGTERM and SIGHUP sent to jmck go to the guest's processes, as a terminal sends them to its
     * foreground process group. If no guest process has a handler for the signal (or ignores it), its
     * default action ends them all, so jmck ends at once with the status a shell would see. Otherwise the
     * kernel delivers it promptly even if the guest spins: in parallel mode a kick stops the core running
     * the thread that takes it; in exact mode the guest's handler made the cores run in slices (see
     * Scheduler.setPreemptible).
     */
    @SuppressWarnings("restriction")
    private void forwardHostSignals(Process p) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), new sun.misc.SignalHandler() { // (a class: see the constructor)
                    @Override
                    public void handle(sun.misc.Signal s) {
                        int sig = s.getNumber();
                        boolean handled = kernel.processes().live().stream().anyMatch(q -> !q.action(sig).isDefault());
                        if (!handled) {
                            System.err.printf("jmck: %s (pid %d): killed by %s (%s)%n", p.comm(), p.pid(), Signals.name(sig),
                                    Signals.description(sig));
                            deleteTree(directory);
                            Runtime.getRuntime().halt(128 + sig);
                        }
                        kernel.submit(() -> {
                            for (Process q : kernel.processes().live())
                                kernel.signals().send(q, SigInfo.sent(sig, Signals.SI_USER, 0, 0));
                        });
                    }
                });
            } catch (IllegalArgumentException e) {
                // the JVM keeps this one for itself
            }
        }
    }

    /**
     * A new directory /dev/shm/jmck-PID-N, readable by this user only. (Files.createTempDirectory would
     * name it with SecureRandom, whose first use costs start-up some milliseconds; the pid makes it unique.)
     */
    private static Path createDirectory() {
        FileAttribute<?> ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        String prefix = "jmck-" + HostSyscall.pid() + "-";
        for (int n = 0; n < 1000; n++)
            try {
                return Files.createDirectory(Paths.get("/dev/shm", prefix + n), ownerOnly);
            } catch (FileAlreadyExistsException e) {
                // an earlier run in this process, or a leftover: the next number
            } catch (IOException e) {
                throw new JmckException("cannot create a directory in /dev/shm: " + e.getMessage());
            }
        throw new JmckException("cannot create a directory in /dev/shm: /dev/shm/" + prefix + "0 to 999 exist");
    }

    /**
     * Directories left in /dev/shm by runs that were killed (their process is gone). (Listed with
     * java.io.File: Files.list's stream, the first of the run, cost start-up 1-2.5 ms on an empty /dev/shm.)
     */
    private static void removeStaleDirectories() {
        String[] names = new java.io.File("/dev/shm").list();
        if (names == null)
            return; // nothing to clean, or not ours to clean
        for (String name : names) {
            String pid = ownerPid(name);
            if (pid != null && !new java.io.File("/proc", pid).exists() && new java.io.File("/dev/shm", name).isDirectory())
                deleteTree(Paths.get("/dev/shm", name));
        }
    }

    /**
     * PID of a name jmck-PID-N, else null. (Written out: a regular expression here was the first of the
     * run, and loading java.util.regex cost start-up some milliseconds.)
     */
    static String ownerPid(String name) {
        if (!name.startsWith("jmck-"))
            return null;
        int dash = name.indexOf('-', 5);
        if (dash < 0 || !digits(name, 5, dash) || !digits(name, dash + 1, name.length()))
            return null;
        return name.substring(5, dash);
    }

    private static boolean digits(String s, int from, int to) {
        if (from >= to)
            return false;
        for (int i = from; i < to; i++)
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
                return false;
        return true;
    }

    private static void deleteTree(Path directory) {
        // a channel file that came while deleting (a guest process starting) keeps the directory: again;
        // what is still left after that is a harmless leftover that the next run removes
        for (int attempt = 0; attempt < 3 && Files.exists(directory); attempt++)
            IkcFiles.deleteTree(directory);
    }

    /** Delegation statistics (for --stats). */
    public String statistics() {
        return session.statistics();
    }

    @Override
    public void close() {
        session.close();
        deleteTree(directory);
    }
}
