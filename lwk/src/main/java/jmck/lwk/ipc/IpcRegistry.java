package jmck.lwk.ipc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import jmck.lwk.abi.Errno;
import jmck.lwk.proc.Process;

/**
 * One kind of System V IPC object by key and id (Linux's struct ipc_ids): ids are a slot index plus a
 * sequence number times 32768, so that an id of a removed object does not name its slot's next object.
 * The get calls (msgget, semget, shmget) go through {@link #get}. Callers synchronize on the registry.
 */
final class IpcRegistry<T extends IpcObject> {
    static final int IPC_PRIVATE = 0, IPC_CREAT = 01000, IPC_EXCL = 02000, IPCMNI = 32768;

    /** Makes a new object: key, id, sequence number. */
    interface Factory<T> {
        T make(int key, int id, int seq);
    }

    private final List<T> slots = new ArrayList<>();
    private final Map<Integer, T> byKey = new HashMap<>();
    private int seq;
    /** "msg", "sem" or "shm": the name of the kind's /proc/sys/kernel/*_next_id. */
    private final String kind;

    IpcRegistry(String kind) {
        this.kind = kind;
    }

    /**
     * The get call: the object with key (a new one for IPC_PRIVATE), made if missing and IPC_CREAT asks,
     * as long as fewer than max exist. Returns its id, or -errno (ENOENT, EEXIST, EACCES, ENOSPC, or what
     * check says about an existing one, such as EINVAL for a size that does not fit).
     */
    long get(Process p, int key, int flags, int max, Factory<T> factory, IntFunction<Long> check) {
        T existing = key == IPC_PRIVATE ? null : byKey.get(key);
        if (existing == null) {
            if (key != IPC_PRIVATE && (flags & IPC_CREAT) == 0)
                return -Errno.ENOENT;
            if (count() >= max)
                return -Errno.ENOSPC;
            int wanted = IpcLimits.takeNextId(kind), index, s;
            if (wanted >= 0 && byId(wanted) == null && (wanted % IPCMNI >= slots.size() || slots.get(wanted % IPCMNI) == null)) {
                index = wanted % IPCMNI;
                s = wanted / IPCMNI;
                while (slots.size() <= index)
                    slots.add(null);
            } else {
                index = slots.indexOf(null);
                if (index < 0) {
                    index = slots.size();
                    slots.add(null);
                }
                s = seq++ & 0xffff;
            }
            T made = factory.make(key, s * IPCMNI + index, s);
            if (made == null)
                return -Errno.ENOMEM;
            slots.set(index, made);
            if (key != IPC_PRIVATE)
                byKey.put(key, made);
            return made.id;
        }
        if ((flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL))
            return -Errno.EEXIST;
        if (!existing.allows(p, flags))
            return -Errno.EACCES;
        long r = check.apply(existing.id);
        return r < 0 ? r : existing.id;
    }

    /** The object with id, or null (EINVAL for the caller): a stale id names no object. */
    T byId(int id) {
        if (id < 0)
            return null;
        int index = id % IPCMNI;
        T o = index < slots.size() ? slots.get(index) : null;
        return o != null && o.id == id ? o : null;
    }

    /** The object with key, or null. */
    T byKey(int key) {
        return byKey.get(key);
    }

    /** The object in slot index (the *_STAT calls take an index, not an id), or null. */
    T byIndex(int index) {
        return index >= 0 && index < slots.size() ? slots.get(index) : null;
    }

    /** The highest slot in use, or 0: what IPC_INFO and *_INFO return. */
    int highestIndex() {
        for (int i = slots.size() - 1; i >= 0; i--)
            if (slots.get(i) != null)
                return i;
        return 0;
    }

    int count() {
        int n = 0;
        for (T o : slots)
            if (o != null)
                n++;
        return n;
    }

    List<T> all() {
        List<T> l = new ArrayList<>();
        for (T o : slots)
            if (o != null)
                l.add(o);
        return l;
    }

    /** The object keeps its id but not its key (a removed shared memory segment still attached). */
    void forgetKey(T o) {
        if (o.key != IPC_PRIVATE && byKey.get(o.key) == o)
            byKey.remove(o.key);
    }

    /** Takes the object out: its id and key name nothing from now on. */
    void remove(T o) {
        o.removed = true;
        int index = o.id % IPCMNI;
        if (index < slots.size() && slots.get(index) == o)
            slots.set(index, null);
        if (o.key != IPC_PRIVATE && byKey.get(o.key) == o)
            byKey.remove(o.key);
    }
}
