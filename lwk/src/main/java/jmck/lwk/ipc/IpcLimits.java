package jmck.lwk.ipc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The System V IPC limits (msgmax, msgmnb, msgmni, sem, shmmax, shmall, shmmni): those the guest reads and
 * (as root) writes in /proc/sys/kernel, which are the host's, read when a call needs them, so that a test
 * that lowers one sees the LWK obey it. Linux's defaults stand in when a file cannot be read.
 */
final class IpcLimits {
    private IpcLimits() {}

    /** A limit's value; one beyond Long.MAX_VALUE (shmmax, shmall) is Long.MAX_VALUE, for comparisons. */
    static long value(String name, long fallback) {
        long v = unsigned(name, fallback);
        return v < 0 ? Long.MAX_VALUE : v;
    }

    /** A limit's value as the unsigned 64-bit number the file holds. */
    static long unsigned(String name, long fallback) {
        try {
            return Long.parseUnsignedLong(Files.readAllLines(Paths.get("/proc/sys/kernel/" + name)).get(0).trim()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }

    /**
     * The id /proc/sys/kernel/NAME_next_id asks the next get call to use, or -1. The file is the host's, and
     * only the host's kernel can set it back to -1 (a write of -1 is refused): one private object of that
     * kind is made and removed on the host, which uses the id up.
     */
    static int takeNextId(String name) {
        java.nio.file.Path f = Paths.get("/proc/sys/kernel/" + name + "_next_id");
        int id;
        try {
            id = Integer.parseInt(Files.readAllLines(f).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        if (id >= 0)
            useUpOnHost(name);
        return id;
    }

    private static final int SYS_SHMGET = 29, SYS_SHMCTL = 31, SYS_SEMGET = 64, SYS_SEMCTL = 66, SYS_MSGGET = 68,
            SYS_MSGCTL = 71, IPC_RMID = 0;

    private static void useUpOnHost(String kind) {
        long id;
        switch (kind) {
            case "msg":
                id = jmck.emulator.host.HostSyscall.call(SYS_MSGGET, 0, 0600, 0);
                if (id >= 0)
                    jmck.emulator.host.HostSyscall.call(SYS_MSGCTL, id, IPC_RMID, 0);
                break;
            case "sem":
                id = jmck.emulator.host.HostSyscall.call(SYS_SEMGET, 0, 1, 0600);
                if (id >= 0)
                    jmck.emulator.host.HostSyscall.call(SYS_SEMCTL, id, 0, IPC_RMID, 0, 0, 0);
                break;
            default:
                id = jmck.emulator.host.HostSyscall.call(SYS_SHMGET, 0, 4096, 0600);
                if (id >= 0)
                    jmck.emulator.host.HostSyscall.call(SYS_SHMCTL, id, IPC_RMID, 0);
        }
    }

    /** A value of /proc/sys/vm/NAME (hugetlb_shm_group). */
    static long vm(String name, long fallback) {
        try {
            return Long.parseLong(Files.readAllLines(Paths.get("/proc/sys/vm/" + name)).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }

    /** /proc/sys/kernel/sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI. */
    static long[] sem() {
        long[] d = {32000, 1024000000, 500, 32000};
        try {
            String[] f = Files.readAllLines(Paths.get("/proc/sys/kernel/sem")).get(0).trim().split("\\s+");
            for (int i = 0; i < 4 && i < f.length; i++)
                d[i] = Long.parseLong(f[i]);
        } catch (IOException | RuntimeException e) {
            // the defaults
        }
        return d;
    }
}
