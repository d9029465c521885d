package jmck.proxy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;
import jmck.ihk.Control;
import jmck.ihk.Ihk;
import jmck.ihk.ikc.Doorbell;
import jmck.ihk.ikc.IkcChannel;
import jmck.ihk.ikc.IkcFiles;
import jmck.lwk.elf.Executable;
import jmck.lwk.elf.ProgramLoader;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Rlimits;

/**
 * mcexec: the host process that stands for a guest process of a booted LWK instance. It asks the LWK to
 * create the process, maps the instance's memory and the process's IKC channel, and serves its delegated
 * syscalls ({@link ProxySession}) until it ends; then it exits with the guest's status. Its file
 * descriptors are the guest's. Processes the guest forks are served here too (McKernel forks mcexec
 * instead; a JVM cannot fork). Ctrl-C and other terminating signals it receives go to the guest.
 */
public final class Mcexec {
    private final Ihk ihk;
    private final int os;
    private final boolean stats;

    public Mcexec(Ihk ihk, int os, boolean stats) {
        this.ihk = ihk;
        this.os = os;
        this.stats = stats;
    }

    /** Runs exe as the guest with argv (argv[0] as given) and environment env; returns the shell-style exit status. */
    public int run(Path exe, String execfn, List<String> argv, List<String> env) {
        // refuse unfit files here, with the same one-line messages and status as jmck run
        ProgramLoader.checkInterpreter(Executable.open(exe, execfn, argv).elf());
        Control.Link link;
        try {
            link = Control.Link.connect(ihk.socket(os));
        } catch (IOException e) {
            throw new JmckException("OS " + os + " is not running (start it with: jmck ihk boot -n " + os
                    + ", or jmck ihk reboot)");
        }
        try (link) {
            Credentials c = HostFacts.credentials();
            Rlimits r = HostFacts.rlimits();
            long[] soft = new long[Rlimits.RLIM_NLIMITS], hard = new long[Rlimits.RLIM_NLIMITS];
            for (int i = 0; i < soft.length; i++) {
                soft[i] = r.soft(i);
                hard[i] = r.hard(i);
            }
            link.send(new Control.Prepare(exe.toAbsolutePath().toString(), execfn, argv, env, c.uid(),
                    c.gid(), c.euid(), c.egid(), soft, hard, HostFacts.umask(), ProcessHandle.current().pid()));
            Control.Message reply = link.receive();
            if (reply instanceof Control.Failed f)
                throw new JmckException(f.message());
            if (!(reply instanceof Control.Prepared p))
                throw new JmckException("OS " + os + " did not answer");
            return serve(link, p);
        } catch (IOException e) {
            throw new JmckException("lost OS " + os + ": " + e.getMessage());
        }
    }

    private int serve(Control.Link link, Control.Prepared p) throws IOException {
        try (PhysicalMemory memory = PhysicalMemory.empty()) {
            for (PhysicalMemory.Block b : p.blocks())
                memory.attach(b);
            IkcFiles files = new IkcFiles(Path.of(p.ikcDirectory()));
            ProxySession session = new ProxySession(memory, Doorbell.open(files.doorbell()), files);
            session.serve(p.pid(), IkcChannel.open(files.channel(p.pid())), FdTable.withStdio(), true);
            forwardSignals(link);
            link.send(new Control.Start());
            int status = 1;
            for (Control.Message m; ; ) {
                m = link.receive();
                if (m == null) {
                    System.err.println("jmck: OS " + os + " went away");
                    break;
                }
                if (m instanceof Control.Exited e) {
                    session.exited(e.pid());
                    if (e.pid() != p.pid())
                        continue;
                    if (!e.message().isEmpty())
                        System.err.println(e.message());
                    int ws = e.waitStatus();
                    status = (ws & 0x7f) == 0 ? (ws >> 8) & 0xff : 128 + (ws & 0x7f);
                    break;
                }
            }
            session.close();
            if (stats)
                System.err.println("mcexec: " + session.statistics());
            return status;
        }
    }

    /** Ctrl-C, SIGTERM and SIGHUP sent to mcexec go to the guest (whose default action ends it, and mcexec with it). */
    @SuppressWarnings("restriction")
    private static void forwardSignals(Control.Link link) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            sun.misc.Signal sig = new sun.misc.Signal(name);
            try {
                sun.misc.Signal.handle(sig, s -> link.send(new Control.Signal(s.getNumber())));
            } catch (IllegalArgumentException e) {
                // the JVM keeps this one for itself
            }
        }
    }
}
