package jmck.ihk;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;
import jmck.ihk.ikc.AdaptiveSpin;
import jmck.ihk.ikc.IkcChannel;
import jmck.lwk.proc.Process;
import jmck.lwk.proc.Thread;
import jmck.lwk.syscall.Syscall;

/**
 * One guest process as the LWK's side of IKC sees it: its channel, the proxy that serves it, and per slot
 * the thread that waits for the call in it and what to do with the answer. IkcForwarder's bookkeeping.
 */
final class ProcessChannel {
    final Process process;
    final IkcChannel channel;
    final IkcForwarder.ProxyLink link;
    final long proxyPid;
    final Thread[] waiting = new Thread[IkcForwarder.SLOTS];
    /** What to do with a slot's result before it reaches the thread (null: it is the syscall's result). */
    final LongUnaryOperator[] then = new LongUnaryOperator[IkcForwarder.SLOTS];
    /** The syscall and arguments in each slot, for what the LWK does with the result (SIGPIPE). */
    final Syscall[] call = new Syscall[IkcForwarder.SLOTS];
    final long[][] args = new long[IkcForwarder.SLOTS][6];
    /** Regular files the LWK reads itself (null: all reads go to the proxy). */
    final DirectReads direct;
    /** Requests posted and not yet completed: the tick looks only at channels with some. */
    final AtomicInteger inFlight = new AtomicInteger();
    /** Whether the slot's thread stopped spinning and blocked: only then may the poll take the answer. Guarded by this. */
    final boolean[] blocked = new boolean[IkcForwarder.SLOTS];
    /**
     * The spinner of the core thread that spun for each slot's answer in vain and then blocked its thread,
     * and when the call was posted: told how long the whole wait took, it learns whether spinning on
     * would have paid (AdaptiveSpin.waited).
     */
    final AdaptiveSpin[] spunInVain = new AdaptiveSpin[IkcForwarder.SLOTS];
    final long[] postedAt = new long[IkcForwarder.SLOTS];
    /** When a signal for its thread last asked each slot's call to end (0: never; see HostCallInterrupts). */
    final long[] interruptSent = new long[IkcForwarder.SLOTS];
    /** The tokens of writable generated files opened by the process (forgotten when it ends). */
    final List<Long> writerTokens = new CopyOnWriteArrayList<>();

    ProcessChannel(Process process, IkcChannel channel, IkcForwarder.ProxyLink link, long proxyPid, DirectReads direct) {
        this.process = process;
        this.channel = channel;
        this.link = link;
        this.proxyPid = proxyPid;
        this.direct = direct;
    }
}
