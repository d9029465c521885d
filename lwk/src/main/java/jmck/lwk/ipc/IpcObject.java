package jmck.lwk.ipc;

import java.nio.ByteBuffer;
import jmck.lwk.proc.Capabilities;
import jmck.lwk.proc.Credentials;
import jmck.lwk.proc.Process;

/**
 * What every System V IPC object has (Linux's struct kern_ipc_perm): its key and id, owner and creator,
 * mode, and the slot sequence number that is part of its id. Guarded by the registry that holds it.
 */
public class IpcObject {
    /** The ipc64_perm structure's size, at the start of every *id64_ds. */
    static final int PERM_SIZE = 48;
    private static final int CAP_IPC_OWNER = 15, CAP_SYS_ADMIN = 21;

    final int key, id, seq;
    long uid, gid;
    final long cuid, cgid;
    int mode;
    long ctime = now();
    boolean removed;

    IpcObject(int key, int id, int seq, Credentials creator, int mode) {
        this.key = key;
        this.id = id;
        this.seq = seq;
        this.uid = this.cuid = creator.euid();
        this.gid = this.cgid = creator.egid();
        this.mode = mode & 0777;
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /**
     * Whether p may use the object as requested (Linux's ipcperms): flag holds permission bits the caller
     * asks for (0444 read, 0222 write, or a get call's mode); the owner's, group's or others' bits decide,
     * unless p has CAP_IPC_OWNER.
     */
    boolean allows(Process p, int flag) {
        int requested = (flag >> 6 | flag >> 3 | flag) & 7;
        int granted = mode;
        Credentials c = p.credentials();
        if (c.euid() == uid || c.euid() == cuid)
            granted >>= 6;
        else if (c.inGroup(gid) || c.inGroup(cgid))
            granted >>= 3;
        return (requested & ~granted & 7) == 0 || p.capabilities().has(CAP_IPC_OWNER);
    }

    /** Whether p may change or remove the object (IPC_SET, IPC_RMID): its owner or creator, or CAP_SYS_ADMIN. */
    boolean ownedBy(Process p) {
        long euid = p.credentials().euid();
        return euid == uid || euid == cuid || p.capabilities().has(CAP_SYS_ADMIN);
    }

    /** Writes struct ipc64_perm at b's position 0. */
    void putPerm(ByteBuffer b) {
        b.putInt(0, key).putInt(4, (int) uid).putInt(8, (int) gid).putInt(12, (int) cuid).putInt(16, (int) cgid);
        b.putShort(20, (short) mode).putShort(24, (short) seq);
    }

    /** IPC_SET: the new owner and mode from a struct ipc64_perm in b. */
    void setPerm(ByteBuffer b) {
        uid = b.getInt(4) & 0xffffffffL;
        gid = b.getInt(8) & 0xffffffffL;
        mode = mode & ~0777 | b.getShort(20) & 0777;
        ctime = now();
    }
}
