package jmck.lwk.proc;

/** getrlimit/setrlimit values (soft, hard) per resource, RLIMIT_CPU (0) .. RLIMIT_RTTIME (15). */
public final class Rlimits {
    public static final int RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_STACK = 3, RLIMIT_CORE = 4, RLIMIT_NOFILE = 7,
            RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIM_NLIMITS = 16;
    public static final long RLIM_INFINITY = -1L;
    private final long[] soft = new long[RLIM_NLIMITS];
    private final long[] hard = new long[RLIM_NLIMITS];

    public Rlimits(long[] soft, long[] hard) {
        System.arraycopy(soft, 0, this.soft, 0, RLIM_NLIMITS);
        System.arraycopy(hard, 0, this.hard, 0, RLIM_NLIMITS);
    }

    public Rlimits copy() {
        return new Rlimits(soft, hard);
    }

    public long soft(int r) {
        return soft[r];
    }

    public long hard(int r) {
        return hard[r];
    }

    public void set(int r, long s, long h) {
        soft[r] = s;
        hard[r] = h;
    }
}
