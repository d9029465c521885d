package jmck.lwk.syscall;

import java.util.BitSet;
import jmck.lwk.KernelLog;
import jmck.lwk.abi.Errno;
import jmck.lwk.abi.Signals;
import jmck.lwk.mm.BadAddressException;
import jmck.lwk.proc.Thread;
import jmck.lwk.signal.SigInfo;

/**
 * Sends each syscall where the {@link Syscall} table says: to a LOCAL handler registered by one of the
 * subsystem classes (MemorySyscalls, ProcessSyscalls, ...), to the proxy, or back with ENOSYS. Handlers
 * fetch nothing themselves: the six arguments arrive in an array that is reused, not kept.
 */
public final class SyscallDispatcher {
    /**
     * A subsystem's LOCAL syscalls: runs call, one of those it registered, with a switch (not a lambda per
     * call: linking 170 lambdas cost 20-25 ms of CPU at every start); returns the result, a negated errno,
     * or {@link #NO_RETURN}.
     */
    public interface Handler {
        long call(Syscall call, Thread t, long[] a);
    }

    /**
     * The thread does not return from the syscall now: it exited, blocked, or the handler set all registers
     * (rt_sigreturn, execve). rax is left alone.
     */
    public static final long NO_RETURN = Long.MIN_VALUE;

    /** Told about every syscall when tracing is on. */
    public interface Tracer {
        /** A syscall returned (result NO_RETURN: it blocked, or does not return); delegated: the host ran it. */
        void syscall(Thread t, Syscall call, long nr, long[] args, long result, boolean delegated);

        /** A syscall that blocked got its result (a delegated call answered by a proxy in another process). */
        default void resumed(Thread t, Syscall call, long result) {}
    }

    private final Handler[] handlers = new Handler[512];
    private final BitSet reported = new BitSet();
    private final KernelLog kmsg;
    private volatile SyscallForwarder forwarder = SyscallForwarder.NONE;
    private volatile Tracer tracer;
    /** The handlers' registration while it runs on another thread; null when there is none to wait for. */
    private volatile java.util.concurrent.FutureTask<Void> registration;
    /** Per host thread (a core's, in parallel mode): whether the call it dispatched last went to the proxy. */
    private final ThreadLocal<boolean[]> forwarded = new ThreadLocal<>() { // (a class, not withInitial's lambda: made at boot, where linking a lambda took 0.2-0.9 ms)
        @Override
        protected boolean[] initialValue() {
            return new boolean[1];
        }
    };

    public SyscallDispatcher(KernelLog kmsg) {
        this.kmsg = kmsg;
    }

    /**
     * What a Handler's switch throws for a call it has no case for: a call registered without one (jmck's bug;
     * SyscallTableTest looks for this message).
     */
    public static IllegalArgumentException notOneOf(Syscall call, Handler h) {
        return new IllegalArgumentException(call + " is not one of " + h.getClass().getSimpleName() + "'s calls");
    }

    /** Sends calls to h. */
    public void register(Handler h, Syscall... calls) {
        for (Syscall call : calls) {
            if (call.where != Syscall.Where.LOCAL)
                throw new IllegalArgumentException(call + " is not a LOCAL syscall");
            handlers[call.nr] = h;
        }
    }

    public boolean hasHandler(Syscall call) {
        awaitHandlers();
        return handlers[call.nr] != null;
    }

    /**
     * Runs register (which registers the handlers) on a thread of its own; {@link #awaitHandlers} waits for
     * it, and so does the first LOCAL call dispatched: a program's first instructions and page faults run
     * meanwhile (on two host CPUs a static hello's run began up to 35 ms later when the kernel waited before
     * any core ran).
     */
    public void registerInBackground(Runnable register) {
        java.util.concurrent.FutureTask<Void> task = new java.util.concurrent.FutureTask<>(register, null);
        registration = task;
        java.lang.Thread registrar = new java.lang.Thread(task, "jmck-syscall-table");
        registrar.setDaemon(true);
        registrar.start();
    }

    /** Waits until the handlers registered in the background are in; rethrows what stopped them. */
    public void awaitHandlers() {
        java.util.concurrent.FutureTask<Void> task = registration;
        if (task == null)
            return;
        try {
            task.get();
        } catch (InterruptedException e) {
            java.lang.Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering syscall handlers", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r)
                throw r;
            if (e.getCause() instanceof Error err)
                throw err;
            throw new IllegalStateException(e.getCause());
        }
        registration = null;
    }

    public void setForwarder(SyscallForwarder f) {
        forwarder = f == null ? SyscallForwarder.NONE : f;
    }

    public SyscallForwarder forwarder() {
        return forwarder;
    }

    public void setTracer(Tracer t) {
        tracer = t;
    }

    public long dispatch(Thread t, long nr, long[] a) {
        Tracer tr = tracer;
        long[] traceArgs = tr != null ? a.clone() : null;
        Syscall call = Syscall.of(nr);
        long r;
        forwarded.get()[0] = false;
        try {
            if (call == null || call.where == Syscall.Where.UNSUPPORTED)
                r = unsupported(nr, call);
            else if (call.where == Syscall.Where.DELEGATED)
                r = delegate(t, call, a);
            else {
                if (registration != null) // the first local call of a run may come before the table is in
                    awaitHandlers();
                r = handlers[call.nr] != null ? handlers[call.nr].call(call, t, a) : unsupported(nr, call);
            }
        } catch (BadAddressException e) {
            r = -e.errno();
        }
        if (tr != null)
            tr.syscall(t, call, nr, traceArgs, r, forwarded.get()[0]);
        return r;
    }

    /**
     * A DELEGATED call, with the signal mask it waits with in force (WaitMasks): a signal that mask lets
     * through, pending already, ends it at once with EINTR; the thread's own mask comes back as soon as it
     * returns otherwise (or, when it had to wait, when the thread next runs: ReturnToUser).
     */
    private long delegate(Thread t, Syscall call, long[] a) {
        long masked = WaitMasks.apply(t, call, a);
        if (masked < 0)
            return masked;
        if (masked == WaitMasks.SET && t.hasDeliverable())
            return -jmck.lwk.abi.Errno.EINTR; // the handler runs on the way out, and the frame keeps the old mask
        long sticky = StickyTimeouts.timeoutOf(t, call, a);
        long r = raiseSignals(t, call, a, sticky == 0 ? forward(t, call, a)
                : StickyTimeouts.forwardKeeping(this, t, call, a, sticky));
        if (masked == WaitMasks.SET && r != NO_RETURN && r != -jmck.lwk.abi.Errno.EINTR)
            t.restoreSavedMask();
        return r;
    }

    /** Forwards a syscall to the proxy; LOCAL handlers call it when the LWK leaves a case to the host. */
    public long forward(Thread t, Syscall call, long[] a) {
        forwarded.get()[0] = true;
        return forwarder.forward(t, call, a);
    }

    /** Forwards a syscall to the proxy, then turns its result with then (when it comes, if the thread waits). */
    long forwardThen(Thread t, Syscall call, long[] a, java.util.function.LongUnaryOperator then) {
        forwarded.get()[0] = true;
        return forwarder.forwardThen(t, call, a, then);
    }

    /** Whether the last dispatched call went to the proxy (for traces and debuggers). */
    public boolean lastForwarded() {
        return forwarded.get()[0];
    }

    public Tracer tracer() {
        return tracer;
    }

    private static final long MSG_NOSIGNAL = 0x4000;

    /**
     * The signals a delegated call's failure also raises in the calling thread, which the host raised in the
     * proxy (that ignores them) or the proxy did not raise at all: SIGPIPE with EPIPE from a write to a pipe
     * or socket with no reader (Linux's pipe_write, splice and socket send paths; not with MSG_NOSIGNAL),
     * for the calls the table marks {@link Syscall.Flag#SIGPIPE}; SIGXFSZ with EFBIG from a write or
     * truncate past the process's RLIMIT_FSIZE (generic_write_check_limits, inode_newsize_ok), for the
     * calls marked {@link Syscall.Flag#FSIZE}. Returns r. A proxy in another process calls this when the
     * result arrives.
     */
    public static long raiseSignals(Thread t, Syscall call, long[] a, long r) {
        if (r == -Errno.EFBIG && call.has(Syscall.Flag.FSIZE)
                && t.process().rlimits().soft(jmck.lwk.proc.Rlimits.RLIMIT_FSIZE) != jmck.lwk.proc.Rlimits.RLIM_INFINITY)
            t.addPending(SigInfo.sent(Signals.SIGXFSZ, Signals.SI_USER, t.process().pid(),
                    (int) t.process().credentials().uid()));
        if (r != -Errno.EPIPE || !call.has(Syscall.Flag.SIGPIPE))
            return r;
        boolean raises = true;
        for (int i = 0; i < call.args().size(); i++)
            if (call.args().get(i).kind() == SyscallArg.Kind.MSG_FLAGS && (a[i] & MSG_NOSIGNAL) != 0)
                raises = false;
        if (raises)
            t.addPending(SigInfo.sent(Signals.SIGPIPE, Signals.SI_USER, t.process().pid(),
                    (int) t.process().credentials().uid()));
        return r;
    }

    private long unsupported(long nr, Syscall call) {
        int key = nr >= 0 && nr < 4096 ? (int) nr : 4096;
        boolean first;
        synchronized (reported) {
            first = !reported.get(key);
            reported.set(key);
        }
        if (first) {
            String name = call != null ? call.linuxName + " (" + nr + ")" : "number " + nr;
            kmsg.log("syscall %s is not implemented: returning ENOSYS", name);
            System.err.println("jmck: syscall " + name + " is not implemented; returning ENOSYS");
        }
        return -Errno.ENOSYS;
    }
}
