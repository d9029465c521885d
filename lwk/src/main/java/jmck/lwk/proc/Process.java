package jmck.lwk.proc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.AddressSpace;
import jmck.lwk.signal.SigAction;

/**
 * A guest process (McKernel's struct process): its address space, its threads, signal actions, limits and
 * credentials. Files are not here: the mcexec proxy holds the process's file descriptors on the host.
 */
public final class Process {
    private final int pid;
    private final Process parent;
    private final AddressSpace mm;
    private final String exe;
    private String comm;
    private final Credentials credentials;
    final List<Thread> threads = new ArrayList<>();
    final List<Process> children = new ArrayList<>();
    private final SigAction[] actions = new SigAction[Signals.NSIG + 1];
    private final Rlimits rlimits;
    private int umask = 022;

    private boolean exiting;
    /** Linux wait status: exit code << 8, or the signal number (| 0x80 with a core dump). */
    private int waitStatus;
    private boolean reaped;
    private final long startNanos = System.nanoTime();

    Process(int pid, Process parent, AddressSpace mm, String exe, Credentials credentials, Rlimits rlimits) {
        this.pid = pid;
        this.parent = parent;
        this.mm = mm;
        this.exe = exe;
        this.comm = exe.substring(exe.lastIndexOf('/') + 1);
        this.credentials = credentials;
        this.rlimits = rlimits;
        java.util.Arrays.fill(actions, SigAction.DEFAULT);
    }

    public int pid() {
        return pid;
    }

    public Process parent() {
        return parent;
    }

    public int ppid() {
        return parent == null ? 1 : parent.pid;
    }

    public AddressSpace mm() {
        return mm;
    }

    /** The absolute host path of the executable (what /proc/self/exe links to). */
    public String exe() {
        return exe;
    }

    /** The name in /proc/PID/comm: up to 15 bytes of the executable's name. */
    public String comm() {
        return comm.length() > 15 ? comm.substring(0, 15) : comm;
    }

    public void setComm(String name) {
        comm = name;
    }

    private byte[] cmdline = new byte[0];

    /** The arguments, NUL-terminated one after the other, as /proc/PID/cmdline shows them. */
    public byte[] cmdline() {
        return cmdline.clone();
    }

    public void setCmdline(java.util.List<String> argv) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String a : argv) {
            byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            b.write(x, 0, x.length);
            b.write(0);
        }
        cmdline = b.toByteArray();
    }

    public Credentials credentials() {
        return credentials;
    }

    public Rlimits rlimits() {
        return rlimits;
    }

    public int umask() {
        return umask;
    }

    public void setUmask(int mask) {
        umask = mask & 0777;
    }

    public List<Thread> threads() {
        return Collections.unmodifiableList(threads);
    }

    public List<Process> children() {
        return Collections.unmodifiableList(children);
    }

    public SigAction action(int sig) {
        return actions[sig];
    }

    public void setAction(int sig, SigAction a) {
        actions[sig] = a;
    }

    public boolean exiting() {
        return exiting;
    }

    void markExiting(int status) {
        if (!exiting) {
            exiting = true;
            waitStatus = status;
        }
    }

    public int waitStatus() {
        return waitStatus;
    }

    /** The status a shell reports: the exit code, or 128 + the signal that killed it. */
    public int shellStatus() {
        int sig = waitStatus & 0x7f;
        return sig == 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
    }

    private String exitMessage;

    /** How the process died, if a signal killed it ("jmck: prog (pid 100): killed by SIGSEGV ..."); else "". */
    public String exitMessage() {
        return exitMessage;
    }

    public void setExitMessage(String message) {
        exitMessage = message;
    }

    public boolean reaped() {
        return reaped;
    }

    void markReaped() {
        reaped = true;
    }

    public long startNanos() {
        return startNanos;
    }

    /** Whether every thread has finished. */
    public boolean dead() {
        for (Thread t : threads)
            if (t.alive())
                return false;
        return true;
    }

    @Override
    public String toString() {
        return "process " + pid + " (" + comm() + ")";
    }
}
