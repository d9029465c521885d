package jmck.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import jmck.emulator.JmckException;
import jmck.ihk.IkcForwarder;
import jmck.ihk.ikc.Doorbell;
import jmck.lwk.Kernel;
import jmck.lwk.elf.ElfImage;
import jmck.lwk.proc.Process;

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
        try {
            directory = Files.createTempDirectory(Paths.get("/dev/shm"), "jmck-" + ProcessHandle.current().pid() + "-");
        } catch (IOException e) {
            throw new JmckException("cannot create a directory in /dev/shm: " + e.getMessage());
        }
        Doorbell doorbell = Doorbell.create(directory.resolve("bell"));
        kernel.setIdler(doorbell.idler());
        forwarder = new IkcForwarder(kernel, directory);
        kernel.syscalls().setForwarder(forwarder);
        session = new ProxySession(kernel.memory(), doorbell, directory);
        link = (p, waitStatus, message) -> session.exited(p.pid());
    }

    /** Creates the process and starts serving and running it. */
    public Process start(ElfImage elf, String execfn, List<String> argv, List<String> env) {
        Process p = kernel.prepare(elf, execfn, argv, env, HostFacts.credentials(), HostFacts.rlimits());
        p.setUmask(HostFacts.umask());
        session.serve(p.pid(), forwarder.attach(p, link, ProcessHandle.current().pid()), FdTable.withStdio());
        kernel.start(p);
        return p;
    }

    /** Runs the kernel until p has ended; prints how it died if a signal killed it; returns its shell status. */
    public int runToEnd(Process p) {
        kernel.run(p::dead);
        if (p.exitMessage() != null && !p.exitMessage().isEmpty())
            System.err.println(p.exitMessage());
        return p.shellStatus();
    }

    /** Delegation statistics (for --stats). */
    public String statistics() {
        return session.statistics();
    }

    @Override
    public void close() {
        session.close();
        try (var files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover directory in /dev/shm, harmless
        }
    }
}
