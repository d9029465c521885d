package jmck.cli;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import jmck.cli.args.Args;
import jmck.cli.args.Command;
import jmck.cli.args.Operand;
import jmck.cli.args.Option;
import jmck.cli.args.ValueType;
import jmck.emulator.NativeLibraries;
import jmck.ihk.CpuSet;
import jmck.ihk.Ihk;
import jmck.ihk.OsStatus;

/**
 * jmck ihk: IHK's ihkconfig and ihkosctl verbs on the emulated machine, plus mcreboot/mcstop+release as
 * `reboot` and `stop`. The words follow IHK's (`ihkconfig 0 reserve cpu 1-3` is `jmck ihk reserve cpu
 * 1-3`); verbs that act on an instance take -n (instance 0 by default).
 */
final class IhkCommand {
    static final Option<Integer> INSTANCE = Option.value("-n", "OS", Values.instance(), "the OS instance")
            .defaultValue(0, "0");
    static final Operand<CpuSet> CPUS = Operand.required("LIST", Values.cpuList(), "cores, as IHK writes them: 1-3,5");

    private IhkCommand() {}

    static Command command() {
        return new Command("ihk", "Partition the emulated machine and manage LWK instances (IHK).")
                .describe("State lives in the runtime directory ($JMCK_RUNTIME_DIR, or /tmp/jmck-USER); a booted "
                        + "instance is a daemon process that serves mcexec runs until it is shut down.")
                .subcommands(machine(), reserve(), release(), query(), create(), destroy(), assign(), boot(), status(),
                        kmsg(), shutdown(), reboot(), stop());
    }

    private static Ihk ihk() {
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

    /** "all", or a size (512M) that mem verbs reserve first. */
    private static ValueType<String> allOrSize() {
        ValueType<Long> size = Values.size();
        return new ValueType<>(s -> {
            if (!s.equals("all"))
                size.parse(s);
            return s;
        }, ValueType.Completion.WORDS, List.of("all"));
    }

    private static Command machine() {
        Option<Integer> cores = Option.value("--cores", "N", ValueType.integer(1, 256), "cores of the machine");
        Option<Long> mem = Option.value("--mem", "SIZE", Values.size(), "memory of the machine");
        return new Command("machine", "Show the emulated machine, or set its size while nothing is reserved.")
                .options(cores, mem).action(a -> {
                    System.out.println(ihk().machine(a.get(cores), a.get(mem)));
                    return 0;
                });
    }

    private static Command reserve() {
        Operand<Long> size = Operand.required("SIZE", new ValueType<>(s -> Values.size().parse(s.replaceFirst("@.*$", ""))),
                "bytes, like 512M (IHK's SIZE@NODE is accepted; the machine has one node)");
        return new Command("reserve", "Take cores or memory away from the host (ihkconfig reserve).").subcommands(
                new Command("cpu", "Reserve cores.").operands(CPUS).action(a -> {
                    ihk().reserveCpu(a.get(CPUS));
                    return 0;
                }),
                new Command("mem", "Reserve a block of memory; prints its physical range.").operands(size).action(a -> {
                    var b = ihk().reserveMemory(a.get(size));
                    System.out.printf("reserved %#x-%#x (%d MiB)%n", b.base(), b.end(), b.size() >> 20);
                    return 0;
                }));
    }

    private static Command release() {
        Option<Integer> from = Option.value("-n", "OS", Values.instance(), "take them from this OS instance instead (ihkosctl)");
        Operand<String> which = Operand.required("all|ADDRESS", new ValueType<>(s -> {
            if (!s.equals("all"))
                try {
                    Long.decode(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("is not all or a block's physical address (see jmck ihk query mem)");
                }
            return s;
        }, ValueType.Completion.WORDS, List.of("all")), "all blocks, or the one at this physical address");
        return new Command("release", "Give cores or memory back: to the host (ihkconfig), or from an instance with -n (ihkosctl).")
                .subcommands(new Command("cpu", "Release cores.").options(from).operands(CPUS).action(a -> {
                    if (a.has(from))
                        ihk().releaseCpu(a.get(from), a.get(CPUS));
                    else
                        ihk().releaseCpu(a.get(CPUS));
                    return 0;
                }), new Command("mem", "Release memory blocks.").options(from).operands(which).action(a -> {
                    if (a.has(from))
                        ihk().releaseMemory(a.get(from), a.get(which));
                    else
                        ihk().releaseMemory(a.get(which));
                    return 0;
                }));
    }

    private static Command query() {
        return new Command("query", "List reserved cores or memory (ihkconfig query).").subcommands(
                new Command("cpu", "List reserved cores.").action(a -> {
                    System.out.println(ihk().queryCpu());
                    return 0;
                }),
                new Command("mem", "List reserved memory blocks.").action(a -> {
                    System.out.println(ihk().queryMemory());
                    return 0;
                }));
    }

    private static Command create() {
        return new Command("create", "Create an OS instance; prints its number.").action(a -> {
            System.out.println(ihk().create());
            return 0;
        });
    }

    private static Command destroy() {
        return new Command("destroy", "Destroy an OS instance that is not running.").options(INSTANCE).action(a -> {
            ihk().destroy(a.get(INSTANCE));
            return 0;
        });
    }

    private static Command assign() {
        Operand<String> mem = Operand.required("all|SIZE", allOrSize(), "every reserved block not assigned yet, or a new block of SIZE");
        return new Command("assign", "Give reserved cores or memory to an instance; a running one gets them at once (ihkosctl assign).")
                .subcommands(new Command("cpu", "Assign reserved cores.").options(INSTANCE).operands(CPUS).action(a -> {
                    System.out.print(ihk().assignCpu(a.get(INSTANCE), a.get(CPUS)));
                    return 0;
                }), new Command("mem", "Assign memory.").options(INSTANCE).operands(mem).action(a -> {
                    System.out.print(ihk().assignMemory(a.get(INSTANCE), a.get(mem)));
                    return 0;
                }));
    }

    private static Option<String> kargs() {
        return Option.value("--kargs", "ARGS", ValueType.text(), "kernel arguments, e.g. \"page_size=4k tlb=8192 "
                + "mode=exact\" (mode=exact runs every core on one host thread; by default each runs on its own)")
                .defaultValue("", null);
    }

    private static Command boot() {
        Option<String> kargs = kargs();
        return new Command("boot", "Boot the LWK on an instance's cores and memory (ihkosctl boot).").options(INSTANCE, kargs)
                .action(a -> {
                    ihk().boot(a.get(INSTANCE), javaCommand(), a.get(kargs));
                    return 0;
                });
    }

    private static Command status() {
        Option<Boolean> verbose = Option.flag("--verbose", "also its counters, one \"name: value\" a line: frames, "
                + "tasks, processes, IKC channels and files, the daemon's pid, fds, threads and channel mappings").alias("-v");
        return new Command("status", "Print an instance's status (IHK's state names) and what it runs.")
                .options(INSTANCE, verbose).action(a -> {
                    Ihk ihk = ihk();
                    String status = ihk.status(a.get(INSTANCE)).strip() + "\n";
                    System.out.print(status);
                    if (a.flag(verbose) && status.startsWith("RUNNING"))
                        System.out.print(ihk.counters(a.get(INSTANCE)));
                    return 0;
                });
    }

    private static Command kmsg() {
        Option<Boolean> clear = Option.flag("--clear", "empty it afterwards");
        return new Command("kmsg", "Print an instance's kernel message buffer.").options(INSTANCE, clear).action(a -> {
            Ihk ihk = ihk();
            System.out.print(ihk.kmsg(a.get(INSTANCE)));
            if (a.flag(clear))
                ihk.clearKmsg(a.get(INSTANCE));
            return 0;
        });
    }

    private static Command shutdown() {
        return new Command("shutdown", "Shut an instance down (its processes are killed; its resources stay assigned).")
                .options(INSTANCE).action(a -> {
                    ihk().shutdown(a.get(INSTANCE));
                    return 0;
                });
    }

    private static Command reboot() {
        Option<CpuSet> cpus = Option.value("--cpus", "LIST", Values.cpuList(), "cores to reserve").defaultValue(CpuSet.of(1), "1");
        Option<Long> mem = Option.value("--mem", "SIZE", Values.size(), "memory").defaultValue(1L << 30, "1G");
        Option<String> kargs = kargs();
        return new Command("reboot", "Like McKernel's mcreboot.sh: reserve cores and memory, create an instance, assign, boot; prints its number.")
                .options(cpus, mem, kargs).action(a -> {
                    Ihk ihk = ihk();
                    CpuSet set = a.get(cpus);
                    ihk.reserveCpu(set);
                    int os = ihk.create();
                    ihk.assignCpu(os, set);
                    ihk.assignMemory(os, String.valueOf(a.get(mem)));
                    ihk.boot(os, javaCommand(), a.get(kargs));
                    System.out.println(os);
                    return 0;
                });
    }

    private static Command stop() {
        return new Command("stop", "Like McKernel's mcstop+release.sh: shut down and destroy every instance, release everything.")
                .action(IhkCommand::stopAll);
    }

    private static int stopAll(Args a) {
        Ihk ihk = ihk();
        for (int os : ihk.instances()) {
            if (ihk.state(os) == OsStatus.RUNNING)
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
