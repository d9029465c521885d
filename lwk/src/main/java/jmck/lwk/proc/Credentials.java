package jmck.lwk.proc;

/**
 * User and group ids of a process (real, effective, saved, filesystem) and its supplementary groups;
 * McKernel takes them from the mcexec that started it. Immutable: a set*id call makes a new one.
 */
public record Credentials(long uid, long euid, long suid, long fsuid, long gid, long egid, long sgid, long fsgid,
        long[] groups) {
    /** Ids whose filesystem ids follow the effective ones, with no supplementary groups. */
    public Credentials(long uid, long euid, long suid, long gid, long egid, long sgid) {
        this(uid, euid, suid, euid, gid, egid, sgid, egid, new long[0]);
    }

    public static Credentials of(long uid, long gid) {
        return new Credentials(uid, uid, uid, gid, gid, gid);
    }

    public Credentials withUids(long uid, long euid, long suid, long fsuid) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups);
    }

    public Credentials withGids(long gid, long egid, long sgid, long fsgid) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups);
    }

    public Credentials withGroups(long[] groups) {
        return new Credentials(uid, euid, suid, fsuid, gid, egid, sgid, fsgid, groups.clone());
    }

    /** Whether gid is the effective group or one of the supplementary groups. */
    public boolean inGroup(long g) {
        if (g == egid)
            return true;
        for (long x : groups)
            if (x == g)
                return true;
        return false;
    }
}
