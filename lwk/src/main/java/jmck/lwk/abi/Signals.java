package jmck.lwk.abi;

/** Linux signal numbers and siginfo codes (asm/signal.h, asm-generic/siginfo.h). */
public final class Signals {
    private Signals() {}

    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
            SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
            SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
            SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28,
            SIGIO = 29, SIGPWR = 30, SIGSYS = 31, SIGRTMIN = 32, NSIG = 64;

    /** si_code values. */
    public static final int SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TKILL = -6;
    public static final int SEGV_MAPERR = 1, SEGV_ACCERR = 2;
    public static final int BUS_ADRALN = 1, BUS_ADRERR = 2;
    public static final int ILL_ILLOPC = 1, ILL_ILLOPN = 2, ILL_PRVOPC = 5;
    public static final int FPE_INTDIV = 1, FPE_INTOVF = 2, FPE_FLTDIV = 3;
    public static final int TRAP_BRKPT = 1;
    public static final int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5,
            CLD_CONTINUED = 6;

    private static final String[] NAMES = {"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
            "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
            "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
            "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    /** How a shell describes death by this signal (bash's strsignal texts). */
    private static final String[] DESCRIPTIONS = {"", "Hangup", "Interrupt", "Quit", "Illegal instruction",
            "Trace/breakpoint trap", "Aborted", "Bus error", "Floating point exception", "Killed",
            "User defined signal 1", "Segmentation fault", "User defined signal 2", "Broken pipe", "Alarm clock",
            "Terminated", "Stack fault", "Child exited", "Continued", "Stopped (signal)", "Stopped",
            "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition", "CPU time limit exceeded",
            "File size limit exceeded", "Virtual timer expired", "Profiling timer expired", "Window changed",
            "I/O possible", "Power failure", "Bad system call"};

    public static String name(int sig) {
        if (sig > 0 && sig < NAMES.length)
            return NAMES[sig];
        return sig >= SIGRTMIN && sig <= NSIG ? "SIGRT" + (sig - SIGRTMIN) : "SIG" + sig;
    }

    public static String description(int sig) {
        return sig > 0 && sig < DESCRIPTIONS.length ? DESCRIPTIONS[sig] : "Real-time signal " + (sig - SIGRTMIN);
    }

    /** Signals whose default action dumps core (the shell adds "(core dumped)" when a core is written). */
    public static boolean dumpsCore(int sig) {
        switch (sig) {
            case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
            case SIGXCPU: case SIGXFSZ: case SIGSYS:
                return true;
            default:
                return false;
        }
    }

    /** Signals whose default action is to ignore them. */
    public static boolean ignoredByDefault(int sig) {
        return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
    }

    /** Signals whose default action stops the process. */
    public static boolean stopsByDefault(int sig) {
        return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    }
}
