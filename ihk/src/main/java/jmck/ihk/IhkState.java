package jmck.ihk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import jmck.emulator.JmckException;
import jmck.emulator.PhysicalMemory;

/**
 * What IHK knows about the emulated machine, kept in a text file in the runtime directory so that every
 * `jmck ihk` command, every instance daemon and every mcexec sees the same thing (the real IHK keeps
 * this in its kernel module). Changes are made under a file lock by {@link Ihk#update}.
 *
 * <pre>
 * machine cores=8 mem=8589934592
 * reserved cpus=1-3
 * block base=0x200000 size=0x20000000 file=/dev/shm/jmck-ihk-0-200000.ram os=0
 * os 0 status=RUNNING cpus=1-3 pid=4242
 * </pre>
 */
final class IhkState {
    /** A reserved block of memory; os is the instance it is assigned to, or -1. */
    static final class Block {
        final long base, size;
        final Path file;
        int os = -1;

        Block(long base, long size, Path file) {
            this.base = base;
            this.size = size;
            this.file = file;
        }

        PhysicalMemory.Block physical() {
            return new PhysicalMemory.Block(base, size, file);
        }
    }

    /** An OS instance. */
    static final class Instance {
        final int id;
        OsStatus status = OsStatus.NOT_BOOTED;
        CpuSet cpus = CpuSet.empty();
        long pid;

        Instance(int id) {
            this.id = id;
        }
    }

    int machineCores;
    long machineMemory;
    CpuSet reservedCpus = CpuSet.empty();
    final List<Block> blocks = new ArrayList<>();
    final TreeMap<Integer, Instance> instances = new TreeMap<>();

    IhkState(int cores, long memory) {
        machineCores = cores;
        machineMemory = memory;
    }

    /** Blocks assigned to instance os, in address order. */
    List<Block> blocksOf(int os) {
        List<Block> l = new ArrayList<>();
        for (Block b : blocks)
            if (b.os == os)
                l.add(b);
        l.sort((a, b) -> Long.compare(a.base, b.base));
        return l;
    }

    Instance instance(int id) {
        Instance i = instances.get(id);
        if (i == null)
            throw new JmckException("no OS instance " + id + (instances.isEmpty() ? " (create one with: jmck ihk create)" : ""));
        return i;
    }

    /** CPUs assigned to some instance. */
    CpuSet assignedCpus() {
        CpuSet s = CpuSet.empty();
        for (Instance i : instances.values())
            s = s.plus(i.cpus);
        return s;
    }

    static IhkState load(Path file, int defaultCores, long defaultMemory) throws IOException {
        IhkState s = new IhkState(defaultCores, defaultMemory);
        if (!Files.exists(file))
            return s;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 0 || w[0].isEmpty() || w[0].startsWith("#"))
                continue;
            switch (w[0]) {
                case "machine" -> {
                    s.machineCores = Integer.parseInt(value(w, "cores"));
                    s.machineMemory = Long.parseLong(value(w, "mem"));
                }
                case "reserved" -> s.reservedCpus = CpuSet.parse(value(w, "cpus"));
                case "block" -> {
                    Block b = new Block(Long.decode(value(w, "base")), Long.decode(value(w, "size")),
                            Path.of(value(w, "file")));
                    b.os = Integer.parseInt(value(w, "os"));
                    s.blocks.add(b);
                }
                case "os" -> {
                    Instance i = new Instance(Integer.parseInt(w[1]));
                    i.status = OsStatus.valueOf(value(w, "status"));
                    i.cpus = CpuSet.parse(value(w, "cpus"));
                    i.pid = Long.parseLong(value(w, "pid"));
                    s.instances.put(i.id, i);
                }
                default -> throw new IOException("bad line in " + file + ": " + line);
            }
        }
        return s;
    }

    private static String value(String[] words, String key) {
        for (String w : words)
            if (w.startsWith(key + "="))
                return w.substring(key.length() + 1);
        return "";
    }

    void save(Path file) throws IOException {
        StringBuilder b = new StringBuilder("# jmck IHK state: written by jmck ihk, do not edit while instances run\n");
        b.append("machine cores=").append(machineCores).append(" mem=").append(machineMemory).append('\n');
        b.append("reserved cpus=").append(reservedCpus).append('\n');
        for (Block k : blocks)
            b.append(String.format("block base=%#x size=%#x file=%s os=%d%n", k.base, k.size, k.file, k.os));
        for (Instance i : instances.values())
            b.append("os ").append(i.id).append(" status=").append(i.status).append(" cpus=").append(i.cpus)
                    .append(" pid=").append(i.pid).append('\n');
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
