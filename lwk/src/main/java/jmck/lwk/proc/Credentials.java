package jmck.lwk.proc;

/** User and group ids of a process; McKernel takes them from the mcexec that started it. */
public record Credentials(long uid, long euid, long suid, long gid, long egid, long sgid) {
    public static Credentials of(long uid, long gid) {
        return new Credentials(uid, uid, uid, gid, gid, gid);
    }
}
