package jmck.cli;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jmck.emulator.JmckException;
import jmck.emulator.NativeLibraries;
import jmck.ihk.CpuSet;
import jmck.ihk.Ihk;
import jmck.ihk.OsStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * jmck ihk: IHK's ihkconfig and ihkosctl verbs on the emulated machine, plus mcreboot/mcstop+release as
 * `reboot` and `stop`. Verbs that act on an instance take -n (instance 0 by default).
 */
@Command(name = "ihk", mixinStandardHelpOptions = true, scope = picocli.CommandLine.ScopeType.INHERIT, description = "Partition the emulated machine and manage LWK instances (IHK).",
        subcommands = {IhkCommand.MachineCmd.class, IhkCommand.Reserve.class, IhkCommand.Release.class,
                IhkCommand.Query.class, IhkCommand.Create.class, IhkCommand.Destroy.class, IhkCommand.Assign.class,
                IhkCommand.Boot.class, IhkCommand.Status.class, IhkCommand.Kmsg.class, IhkCommand.Shutdown.class,
                IhkCommand.Reboot.class, IhkCommand.Stop.class})
final class IhkCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static Ihk ihk() {
        return new Ihk(Ihk.defaultRuntimeDir());
    }

    /** How to start another JVM running jmck (an instance daemon). */
    static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xss8m");
        cmd.add("-Djmck.root=" + NativeLibraries.root());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    static final class InstanceOption {
        @Option(names = "-n", paramLabel = "OS", description = "the OS instance (default 0)", defaultValue = "0")
        int os;
    }

    @Command(name = "machine", description = "Show the emulated machine, or set its size while nothing is reserved.")
    static final class MachineCmd implements Callable<Integer> {
        @Option(names = "--cores", paramLabel = "N")
        Integer cores;

        @Option(names = "--mem", paramLabel = "SIZE")
        String mem;

        @Override
        public Integer call() {
            System.out.println(ihk().machine(cores, mem == null ? null : Sizes.parse(mem)));
            return 0;
        }
    }

    @Command(name = "reserve", description = "Take cores (cpu 1-3) or memory (mem 512M) away from the host (ihkconfig).")
    static final class Reserve implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "cpu|mem")
        String what;

        @Parameters(index = "1", paramLabel = "LIST|SIZE")
        String value;

        @Override
        public Integer call() {
            if (what.equals("cpu"))
                ihk().reserveCpu(CpuSet.parse(value));
            else if (what.equals("mem")) {
                var b = ihk().reserveMemory(Sizes.parse(value.replaceFirst("@.*$", "")));
                System.out.printf("reserved %#x-%#x (%d MiB)%n", b.base(), b.end(), b.size() >> 20);
            } else
                throw new JmckException("reserve cpu LIST or reserve mem SIZE, not '" + what + "'");
            return 0;
        }
    }

    @Command(name = "release", description = "Give cores or memory back: to the host (ihkconfig), or from an instance with -n (ihkosctl).")
    static final class Release implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "cpu|mem")
        String what;

        @Parameters(index = "1", paramLabel = "LIST|all|ADDRESS")
        String value;

        @Option(names = "-n", paramLabel = "OS", description = "take them from this OS instance instead")
        Integer os;

        @Override
        public Integer call() {
            Ihk ihk = ihk();
            if (what.equals("cpu")) {
                if (os == null)
                    ihk.releaseCpu(CpuSet.parse(value));
                else
                    ihk.releaseCpu(os, CpuSet.parse(value));
            } else if (what.equals("mem")) {
                if (os == null)
                    ihk.releaseMemory(value);
                else
                    ihk.releaseMemory(os, value);
            } else
                throw new JmckException("release cpu LIST or release mem all|ADDRESS, not '" + what + "'");
            return 0;
        }
    }

    @Command(name = "query", description = "List reserved cores (cpu) or memory (mem).")
    static final class Query implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "cpu|mem")
        String what;

        @Override
        public Integer call() {
            if (what.equals("cpu"))
                System.out.println(ihk().queryCpu());
            else if (what.equals("mem"))
                System.out.println(ihk().queryMemory());
            else
                throw new JmckException("query cpu or query mem, not '" + what + "'");
            return 0;
        }
    }

    @Command(name = "create", description = "Create an OS instance; prints its number.")
    static final class Create implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(ihk().create());
            return 0;
        }
    }

    @Command(name = "destroy", description = "Destroy an OS instance that is not running.")
    static final class Destroy implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Override
        public Integer call() {
            ihk().destroy(n.os);
            return 0;
        }
    }

    @Command(name = "assign", description = "Give reserved cores (cpu LIST) or memory (mem all|SIZE) to an instance; a running one gets them at once.")
    static final class Assign implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "cpu|mem")
        String what;

        @Parameters(index = "1", paramLabel = "LIST|all|SIZE")
        String value;

        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Override
        public Integer call() {
            if (what.equals("cpu"))
                System.out.print(ihk().assignCpu(n.os, CpuSet.parse(value)));
            else if (what.equals("mem"))
                System.out.print(ihk().assignMemory(n.os, value));
            else
                throw new JmckException("assign cpu LIST or assign mem all|SIZE, not '" + what + "'");
            return 0;
        }
    }

    @Command(name = "boot", description = "Boot the LWK on an instance's cores and memory.")
    static final class Boot implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Option(names = "--kargs", paramLabel = "ARGS", description = "kernel arguments, e.g. \"page_size=4k tlb=8192\"", defaultValue = "")
        String kargs;

        @Override
        public Integer call() {
            ihk().boot(n.os, javaCommand(), kargs);
            return 0;
        }
    }

    @Command(name = "status", description = "Print an instance's status (IHK's state names) and what it runs.")
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Option(names = {"-v", "--verbose"}, description = "also its counters, one \"name: value\" a line: frames, "
                + "tasks, processes, IKC channels and files, the daemon's pid, fds, threads and channel mappings")
        boolean verbose;

        @Override
        public Integer call() {
            Ihk ihk = ihk();
            String status = ihk.status(n.os).strip() + "\n";
            System.out.print(status);
            if (verbose && status.startsWith("RUNNING"))
                System.out.print(ihk.counters(n.os));
            return 0;
        }
    }

    @Command(name = "kmsg", description = "Print an instance's kernel message buffer.")
    static final class Kmsg implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Option(names = "--clear", description = "empty it afterwards")
        boolean clear;

        @Override
        public Integer call() {
            Ihk ihk = ihk();
            System.out.print(ihk.kmsg(n.os));
            if (clear)
                ihk.clearKmsg(n.os);
            return 0;
        }
    }

    @Command(name = "shutdown", description = "Shut an instance down (its processes are killed; its resources stay assigned).")
    static final class Shutdown implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        InstanceOption n;

        @Override
        public Integer call() {
            ihk().shutdown(n.os);
            return 0;
        }
    }

    @Command(name = "reboot", description = "Like McKernel's mcreboot.sh: reserve cores and memory, create an instance, assign, boot.")
    static final class Reboot implements Callable<Integer> {
        @Option(names = "--cpus", paramLabel = "LIST", description = "cores to reserve (default: 1)", defaultValue = "1")
        String cpus;

        @Option(names = "--mem", paramLabel = "SIZE", description = "memory (default: ${DEFAULT-VALUE})", defaultValue = "1G")
        String mem;

        @Option(names = "--kargs", paramLabel = "ARGS", defaultValue = "")
        String kargs;

        @Override
        public Integer call() {
            Ihk ihk = ihk();
            CpuSet set = CpuSet.parse(cpus);
            ihk.reserveCpu(set);
            int os = ihk.create();
            ihk.assignCpu(os, set);
            ihk.assignMemory(os, String.valueOf(Sizes.parse(mem)));
            ihk.boot(os, javaCommand(), kargs);
            System.out.println(os);
            return 0;
        }
    }

    @Command(name = "stop", description = "Like McKernel's mcstop+release.sh: shut down and destroy every instance, release everything.")
    static final class Stop implements Callable<Integer> {
        @Override
        public Integer call() {
            Ihk ihk = ihk();
            for (int os : ihk.instances()) {
                OsStatus st = ihk.state(os);
                if (st == OsStatus.RUNNING)
                    ihk.shutdown(os);
                ihk.destroy(os);
            }
            ihk.releaseMemory("all");
            String reserved = ihk.queryCpu();
            if (!reserved.isEmpty())
                ihk.releaseCpu(CpuSet.parse(reserved));
            return 0;
        }
    }
}
