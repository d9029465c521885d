package jmck.lwk.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.SyscallDispatcher;

/**
 * System V semaphores (ipc/sem.c): semget, semop, semtimedop, semctl, in the LWK. A semop applies all its
 * operations at once or none; one that cannot proceed waits (unless IPC_NOWAIT) and runs again when the set
 * changes. SEM_UNDO adjustments are kept per process and applied when it ends. Synchronized on this.
 */
public final class Semaphores {
    private static final int IPC_NOWAIT = 04000, SEM_UNDO = 010000, SEMVMX = 32767;
    private static final int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3, GETPID = 11, GETVAL = 12,
            GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17, SEM_STAT = 18, SEM_INFO = 19,
            SEM_STAT_ANY = 20, IPC_64 = 0x100;

    private static final class Set extends IpcObject {
        final int[] values, pids;
        long otime;
        /** Waiting threads and the semaphore and kind (true: for zero) of the operation that stopped each. */
        final Map<Thread, int[]> waiters = new HashMap<>();

        Set(int key, int id, int seq, Process creator, int mode, int n) {
            super(key, id, seq, creator.credentials(), mode);
            values = new int[n];
            pids = new int[n];
        }

        int count(int sem, boolean zero) {
            int n = 0;
            for (int[] w : waiters.values())
                if (w[0] == sem && (w[1] == 1) == zero)
                    n++;
            return n;
        }
    }

    private final IpcRegistry<Set> sets = new IpcRegistry<>("sem");
    private final IpcWaits waits;
    /** SEM_UNDO adjustments: process, set id, semaphore number. */
    private final Map<Process, Map<Integer, int[]>> undo = new HashMap<>();
    /** Threads whose set was removed while they waited (told EIDRM), and semtimedop deadlines of waiters. */
    private final java.util.Set<Thread> idrm = new java.util.HashSet<>();
    private final Map<Thread, Long> deadlines = new HashMap<>();

    public Semaphores(IpcWaits waits) {
        this.waits = waits;
    }

    public synchronized long semget(Thread t, int key, int nsems, int flags) {
        long[] limits = IpcLimits.sem(); // SEMMSL, SEMMNS, SEMOPM, SEMMNI
        if (nsems < 0 || nsems > limits[0])
            return -Errno.EINVAL;
        int total = 0;
        for (Set s : sets.all())
            total += s.values.length;
        boolean creates = (flags & IpcRegistry.IPC_CREAT) != 0 && (key == IpcRegistry.IPC_PRIVATE || sets.byKey(key) == null);
        if (creates && total + nsems > limits[1])
            return -Errno.ENOSPC;
        return sets.get(t.process(), key, flags, (int) limits[3], (k, id, seq) -> nsems == 0 ? null
                : new Set(k, id, seq, t.process(), flags, nsems), id -> nsems > sets.byId(id).values.length
                ? (long) -Errno.EINVAL : 0L);
    }

    /**
     * semop and semtimedop (timeout: a guest timespec, or 0). The operations are sembufs: unsigned short
     * sem_num, short sem_op, short sem_flg.
     */
    public synchronized long semop(Thread t, int id, long sops, long nsops, long timeout) {
        if (idrm.remove(t)) {
            deadlines.remove(t);
            return -Errno.EIDRM;
        }
        long[] limits = IpcLimits.sem();
        if (nsops < 1)
            return -Errno.EINVAL;
        if (nsops > limits[2])
            return -Errno.E2BIG;
        AddressSpace mm = t.process().mm();
        ByteBuffer ops = ByteBuffer.wrap(mm.copyIn(sops, (int) (6 * nsops))).order(ByteOrder.LITTLE_ENDIAN);
        long deadline = -1;
        if (timeout != 0) {
            Long kept = deadlines.get(t); // running again after a wake-up: the same deadline
            if (kept != null) {
                deadline = kept;
            } else {
                ByteBuffer ts = ByteBuffer.wrap(mm.copyIn(timeout, 16)).order(ByteOrder.LITTLE_ENDIAN);
                long sec = ts.getLong(0), nsec = ts.getLong(8);
                if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L)
                    return -Errno.EINVAL;
                deadline = System.nanoTime() + Math.min(sec, Long.MAX_VALUE / 4_000_000_000L) * 1_000_000_000L + nsec;
            }
        }
        Set s = sets.byId(id);
        if (s == null)
            return -Errno.EINVAL;
        boolean alter = false;
        for (int i = 0; i < nsops; i++) {
            int num = ops.getShort(6 * i) & 0xffff;
            if (num >= s.values.length)
                return -Errno.EFBIG;
            alter |= ops.getShort(6 * i + 2) != 0;
        }
        if (!s.allows(t.process(), alter ? 0222 : 0444))
            return -Errno.EACCES;
        // try them all on a copy: all or nothing
        int[] next = s.values.clone();
        for (int i = 0; i < nsops; i++) {
            int num = ops.getShort(6 * i) & 0xffff, op = ops.getShort(6 * i + 2), flg = ops.getShort(6 * i + 4);
            int v = next[num];
            if (op > 0 && v + op > SEMVMX)
                return -Errno.ERANGE;
            boolean blocks = op == 0 ? v != 0 : op < 0 && v + op < 0;
            if (blocks) {
                if ((flg & IPC_NOWAIT) != 0) {
                    deadlines.remove(t);
                    return -Errno.EAGAIN;
                }
                if (deadline >= 0 && deadline <= System.nanoTime()) {
                    deadlines.remove(t);
                    return -Errno.EAGAIN;
                }
                s.waiters.put(t, new int[] {num, op == 0 ? 1 : 0});
                long seq = waits.block(t, "semop", false, () -> {
                    synchronized (this) {
                        s.waiters.remove(t);
                        deadlines.remove(t);
                    }
                });
                if (deadline >= 0) {
                    deadlines.put(t, deadline);
                    waits.timeout(t, seq, deadline, -Errno.EAGAIN);
                }
                return SyscallDispatcher.NO_RETURN;
            }
            next[num] = v + op;
        }
        deadlines.remove(t);
        int pid = t.process().pid();
        for (int i = 0; i < nsops; i++) {
            int num = ops.getShort(6 * i) & 0xffff, op = ops.getShort(6 * i + 2), flg = ops.getShort(6 * i + 4);
            s.pids[num] = pid;
            if ((flg & SEM_UNDO) != 0 && op != 0)
                undo.computeIfAbsent(t.process(), k -> new HashMap<>()).computeIfAbsent(id, k -> new int[s.values.length])[num] -= op;
        }
        System.arraycopy(next, 0, s.values, 0, next.length);
        s.otime = IpcObject.now();
        changed(s);
        return 0;
    }

    private void changed(Set s) {
        List<Thread> l = new ArrayList<>(s.waiters.keySet());
        s.waiters.clear();
        for (Thread w : l)
            waits.restart(w);
    }

    public synchronized long semctl(Thread t, int id, int num, int cmd, long arg) {
        cmd &= ~IPC_64;
        Process p = t.process();
        AddressSpace mm = p.mm();
        if (cmd == IPC_INFO || cmd == SEM_INFO) {
            long[] l = IpcLimits.sem();
            int total = 0;
            for (Set s : sets.all())
                total += s.values.length;
            boolean info = cmd == SEM_INFO;
            // struct seminfo: semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem
            ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, (int) l[1]).putInt(4, (int) l[3]).putInt(8, (int) l[1]).putInt(12, (int) l[1]).putInt(16, (int) l[0])
                    .putInt(20, (int) l[2]).putInt(24, (int) l[2]).putInt(28, info ? sets.count() : 20)
                    .putInt(32, SEMVMX).putInt(36, info ? total : SEMVMX);
            mm.copyOut(arg, b.array());
            return sets.highestIndex();
        }
        Set s = cmd == SEM_STAT || cmd == SEM_STAT_ANY ? sets.byIndex(id) : sets.byId(id);
        if (s == null)
            return -Errno.EINVAL;
        switch (cmd) {
            case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY: {
                if (cmd != SEM_STAT_ANY && !s.allows(p, 0444))
                    return -Errno.EACCES;
                ByteBuffer b = ByteBuffer.allocate(104).order(ByteOrder.LITTLE_ENDIAN);
                s.putPerm(b);
                b.putLong(48, s.otime).putLong(64, s.ctime).putLong(80, s.values.length);
                mm.copyOut(arg, b.array());
                return cmd == IPC_STAT ? 0 : s.id;
            }
            case IPC_SET: {
                ByteBuffer b = ByteBuffer.wrap(mm.copyIn(arg, 104)).order(ByteOrder.LITTLE_ENDIAN);
                if (!s.ownedBy(p))
                    return -Errno.EPERM;
                s.setPerm(b);
                return 0;
            }
            case IPC_RMID: {
                if (!s.ownedBy(p))
                    return -Errno.EPERM;
                sets.remove(s);
                for (Map<Integer, int[]> u : undo.values())
                    u.remove(s.id);
                idrm.addAll(s.waiters.keySet());
                changed(s);
                return 0;
            }
            case GETALL: case GETVAL: case GETPID: case GETNCNT: case GETZCNT: {
                if (!s.allows(p, 0444))
                    return -Errno.EACCES;
                if (cmd == GETALL) {
                    ByteBuffer b = ByteBuffer.allocate(2 * s.values.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (int v : s.values)
                        b.putShort((short) v);
                    mm.copyOut(arg, b.array());
                    return 0;
                }
                if (num < 0 || num >= s.values.length)
                    return -Errno.EINVAL;
                return switch (cmd) {
                    case GETVAL -> s.values[num];
                    case GETPID -> s.pids[num];
                    case GETNCNT -> s.count(num, false);
                    default -> s.count(num, true);
                };
            }
            case SETVAL: case SETALL: {
                if (!s.allows(p, 0222))
                    return -Errno.EACCES;
                if (cmd == SETVAL) {
                    if (num < 0 || num >= s.values.length)
                        return -Errno.EINVAL;
                    int v = (int) arg; // semun's val, passed in the register
                    if (v < 0 || v > SEMVMX)
                        return -Errno.ERANGE;
                    s.values[num] = v;
                    s.pids[num] = p.pid();
                    clearUndo(s.id, num);
                } else {
                    ByteBuffer b = ByteBuffer.wrap(mm.copyIn(arg, 2 * s.values.length)).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < s.values.length; i++)
                        if ((b.getShort(2 * i) & 0xffff) > SEMVMX)
                            return -Errno.ERANGE;
                    for (int i = 0; i < s.values.length; i++) {
                        s.values[i] = b.getShort(2 * i) & 0xffff;
                        s.pids[i] = p.pid();
                        clearUndo(s.id, i);
                    }
                }
                s.ctime = IpcObject.now();
                changed(s);
                return 0;
            }
            default:
                return -Errno.EINVAL;
        }
    }

    private void clearUndo(int id, int num) {
        for (Map<Integer, int[]> u : undo.values()) {
            int[] adj = u.get(id);
            if (adj != null)
                adj[num] = 0;
        }
    }

    /** /proc/sysvipc/sem (ipc/sem.c's sysvipc_sem_proc_show). */
    public synchronized String procListing() {
        StringBuilder b = new StringBuilder("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
        for (Set s : sets.all())
            b.append(String.format("%10d %10d  %4o %10d %5d %5d %5d %5d %10d %10d%n", s.key, s.id, s.mode, s.values.length,
                    s.uid, s.gid, s.cuid, s.cgid, s.otime, s.ctime));
        return b.toString();
    }

    /** p ended: its SEM_UNDO adjustments are applied (each value kept within 0..SEMVMX), as Linux's exit_sem. */
    public synchronized void exited(Process p) {
        Map<Integer, int[]> mine = undo.remove(p);
        if (mine == null)
            return;
        for (Map.Entry<Integer, int[]> e : mine.entrySet()) {
            Set s = sets.byId(e.getKey());
            if (s == null)
                continue;
            int[] adj = e.getValue();
            for (int i = 0; i < adj.length && i < s.values.length; i++)
                if (adj[i] != 0) {
                    s.values[i] = Math.max(0, Math.min(SEMVMX, s.values[i] + adj[i]));
                    s.pids[i] = p.pid();
                }
            changed(s);
        }
    }
}
