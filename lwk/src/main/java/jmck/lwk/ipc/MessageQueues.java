package jmck.lwk.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import jmck.lwk.abi.Errno;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;

/**
 * System V message queues (ipc/msg.c): msgget, msgsnd, msgrcv, msgctl, in the LWK (a queue is the LWK's
 * memory and its waits are the LWK's scheduling). A sender finding the queue full, or a receiver finding no
 * message of the kind it wants, waits (unless IPC_NOWAIT) and runs its call again when the queue changes; a
 * removed queue fails its waiters with EIDRM, a signal with EINTR. Synchronized on this.
 */
public final class MessageQueues {
    private static final int IPC_NOWAIT = 04000, MSG_NOERROR = 010000, MSG_EXCEPT = 020000, MSG_COPY = 040000;
    private static final int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3, MSG_STAT = 11, MSG_INFO = 12,
            MSG_STAT_ANY = 13, IPC_64 = 0x100;
    private static final int CAP_SYS_RESOURCE = 24;


    private static final class Queue extends IpcObject {
        final LinkedList<long[]> types = new LinkedList<>(); // {type} per message, in order
        final LinkedList<byte[]> texts = new LinkedList<>();
        long bytes, maxBytes, stime, rtime;
        int lspid, lrpid;
        final List<Thread> waiters = new ArrayList<>();

        Queue(int key, int id, int seq, Process creator, int mode, long maxBytes) {
            super(key, id, seq, creator.credentials(), mode);
            this.maxBytes = maxBytes;
        }
    }

    private final IpcRegistry<Queue> queues = new IpcRegistry<>("msg");
    private final IpcWaits waits;

    public MessageQueues(IpcWaits waits) {
        this.waits = waits;
    }

    public synchronized long msgget(Thread t, int key, int flags) {
        long mnb = IpcLimits.value("msgmnb", 16384);
        return queues.get(t.process(), key, flags, (int) IpcLimits.value("msgmni", 32000),
                (k, id, seq) -> new Queue(k, id, seq, t.process(), flags, mnb), id -> 0L);
    }

    /** Wakes every waiter of q: each runs its call again and finds what changed. */
    private void changed(Queue q) {
        List<Thread> l = new ArrayList<>(q.waiters);
        q.waiters.clear();
        for (Thread w : l)
            waits.restart(w);
    }

    private void await(Thread t, Queue q, String reason) {
        q.waiters.add(t);
        waits.block(t, reason, false, () -> { // System V IPC calls are never restarted: EINTR
            synchronized (this) {
                q.waiters.remove(t);
            }
        });
    }

    /** msgsnd(id, msgp, size, flags): msgp is {long mtype; char mtext[size]}. */
    public synchronized long msgsnd(Thread t, int id, long msgp, long size, int flags) {
        if (removedUnder(t))
            return -Errno.EIDRM;
        long max = IpcLimits.value("msgmax", 8192);
        if (size < 0 || size > max)
            return -Errno.EINVAL;
        Queue q = queues.byId(id);
        if (q == null)
            return -Errno.EINVAL;
        if (!q.allows(t.process(), 0222))
            return -Errno.EACCES;
        AddressSpace mm = t.process().mm();
        long type = mm.readLong(msgp);
        if (type < 1)
            return -Errno.EINVAL;
        byte[] text = mm.copyIn(msgp + 8, (int) size);
        if (q.bytes + size > q.maxBytes || q.texts.size() + 1 > q.maxBytes) {
            if ((flags & IPC_NOWAIT) != 0)
                return -Errno.EAGAIN;
            await(t, q, "msgsnd");
            return jmck.lwk.syscall.SyscallDispatcher.NO_RETURN;
        }
        q.types.add(new long[] {type});
        q.texts.add(text);
        q.bytes += size;
        q.lspid = t.process().pid();
        q.stime = IpcObject.now();
        changed(q);
        return 0;
    }

    /** msgrcv(id, msgp, size, type, flags): the first message of the kind type asks for (ipc/msg.c's convert_mode). */
    public synchronized long msgrcv(Thread t, int id, long msgp, long size, long type, int flags) {
        if (removedUnder(t))
            return -Errno.EIDRM;
        if (size < 0)
            return -Errno.EINVAL;
        if ((flags & MSG_COPY) != 0 && ((flags & IPC_NOWAIT) == 0 || (flags & MSG_EXCEPT) != 0))
            return -Errno.EINVAL;
        Queue q = queues.byId(id);
        if (q == null)
            return -Errno.EINVAL;
        if (!q.allows(t.process(), 0444))
            return -Errno.EACCES;
        int found = -1, i = 0;
        long best = Long.MAX_VALUE;
        for (long[] m : q.types) {
            long mt = m[0];
            if ((flags & MSG_COPY) != 0) {
                if (i == type) {
                    found = i;
                    break;
                }
            } else if (type == 0 || type > 0 && (flags & MSG_EXCEPT) == 0 && mt == type
                    || type > 0 && (flags & MSG_EXCEPT) != 0 && mt != type) {
                found = i;
                break;
            } else if (type < 0 && mt <= -type && mt < best) {
                best = mt;
                found = i;
            }
            i++;
        }
        if (found < 0) {
            if ((flags & MSG_COPY) != 0)
                return -Errno.ENOMSG;
            if ((flags & IPC_NOWAIT) != 0)
                return -Errno.ENOMSG;
            await(t, q, "msgrcv");
            return jmck.lwk.syscall.SyscallDispatcher.NO_RETURN;
        }
        byte[] text = q.texts.get(found);
        if (text.length > size && (flags & MSG_NOERROR) == 0)
            return -Errno.E2BIG;
        int n = (int) Math.min(text.length, size);
        AddressSpace mm = t.process().mm();
        ByteBuffer b = ByteBuffer.allocate(8 + n).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(q.types.get(found)[0]).put(text, 0, n);
        mm.copyOut(msgp, b.array());
        if ((flags & MSG_COPY) == 0) {
            q.types.remove(found);
            q.texts.remove(found);
            q.bytes -= text.length;
            q.lrpid = t.process().pid();
            q.rtime = IpcObject.now();
            changed(q);
        }
        return n;
    }

    public synchronized long msgctl(Thread t, int id, int cmd, long buf) {
        cmd &= ~IPC_64;
        Process p = t.process();
        AddressSpace mm = p.mm();
        switch (cmd) {
            case IPC_INFO:
            case MSG_INFO: {
                long mnb = IpcLimits.value("msgmnb", 16384), mni = IpcLimits.value("msgmni", 32000);
                ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
                boolean info = cmd == MSG_INFO;
                int totalBytes = 0, messages = 0;
                for (Queue q : queues.all()) {
                    totalBytes += q.bytes;
                    messages += q.texts.size();
                }
                // struct msginfo: msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql (ints), msgseg (short)
                b.putInt(0, info ? queues.count() : (int) (mni * mnb / 1024)).putInt(4, info ? messages : (int) mnb)
                        .putInt(8, (int) IpcLimits.value("msgmax", 8192)).putInt(12, (int) mnb).putInt(16, (int) mni)
                        .putInt(20, 16).putInt(24, info ? totalBytes : (int) mnb).putShort(28, (short) 0xffff);
                mm.copyOut(buf, b.array());
                return queues.highestIndex();
            }
            case IPC_STAT:
            case MSG_STAT:
            case MSG_STAT_ANY: {
                Queue q = cmd == IPC_STAT ? queues.byId(id) : queues.byIndex(id);
                if (q == null)
                    return -Errno.EINVAL;
                if (cmd != MSG_STAT_ANY && !q.allows(p, 0444))
                    return -Errno.EACCES;
                ByteBuffer b = ByteBuffer.allocate(120).order(ByteOrder.LITTLE_ENDIAN);
                q.putPerm(b);
                b.putLong(48, q.stime).putLong(56, q.rtime).putLong(64, q.ctime).putLong(72, q.bytes)
                        .putLong(80, q.texts.size()).putLong(88, q.maxBytes).putInt(96, q.lspid).putInt(100, q.lrpid);
                mm.copyOut(buf, b.array());
                return cmd == IPC_STAT ? 0 : q.id;
            }
            case IPC_SET: {
                Queue q = queues.byId(id);
                if (q == null)
                    return -Errno.EINVAL;
                ByteBuffer b = ByteBuffer.wrap(mm.copyIn(buf, 120)).order(ByteOrder.LITTLE_ENDIAN);
                if (!q.ownedBy(p))
                    return -Errno.EPERM;
                long qbytes = b.getLong(88);
                if (qbytes > IpcLimits.value("msgmnb", 16384) && !p.capabilities().has(CAP_SYS_RESOURCE))
                    return -Errno.EPERM;
                q.setPerm(b);
                q.maxBytes = qbytes;
                changed(q);
                return 0;
            }
            case IPC_RMID: {
                Queue q = queues.byId(id);
                if (q == null)
                    return -Errno.EINVAL;
                if (!q.ownedBy(p))
                    return -Errno.EPERM;
                queues.remove(q);
                idrm.addAll(q.waiters); // the waiters run again and are told EIDRM
                changed(q);
                return 0;
            }
            default:
                return -Errno.EINVAL;
        }
    }

    /** /proc/sysvipc/msg (ipc/msg.c's sysvipc_msg_proc_show). */
    public synchronized String procListing() {
        StringBuilder b = new StringBuilder("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n");
        for (Queue q : queues.all())
            b.append(String.format("%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d%n", q.key, q.id, q.mode,
                    q.bytes, q.texts.size(), q.lspid, q.lrpid, q.uid, q.gid, q.cuid, q.cgid, q.stime, q.rtime, q.ctime));
        return b.toString();
    }

    /** Threads whose queue was removed while they waited: their call, run again, fails with EIDRM. */
    private final java.util.Set<Thread> idrm = new java.util.HashSet<>();

    /** Whether t waited on a queue that was removed meanwhile (it is then told EIDRM, once). */
    private boolean removedUnder(Thread t) {
        return idrm.remove(t);
    }
}
