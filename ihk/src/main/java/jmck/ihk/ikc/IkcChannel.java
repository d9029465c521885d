package jmck.ihk.ikc;

import java.nio.file.Path;

/**
 * An IKC channel between the LWK and the mcexec proxy of one guest process: syscall request slots in shared
 * memory (McKernel's syscall_request / syscall_response), and a doorbell word the proxy's workers sleep
 * on. The LWK posts a delegated syscall (or an {@link IkcCall}) into a free slot and rings the proxy; a
 * worker claims it, runs it on the host, writes the result and rings the LWK's instance {@link Doorbell}.
 * While running it, a worker may call back into the LWK through the same slot: to fault a guest page in
 * (McKernel's remote page fault), or to have a file the LWK generates (/proc) written out.
 *
 * <p>Every state change that two parties could make at once is a compare-and-set, so several LWK cores
 * may post, take answers and serve call-backs on one channel at the same time without a lock: a slot is
 * reserved FREE -> FILLING by one poster, claimed REQUEST -> CLAIMED by one worker, its answer taken
 * RESPONSE -> TAKEN by one core, its call-back taken REQUESTED -> SERVING by one core.
 *
 * <p>Layout (little-endian, offsets in bytes; docs/ikc.md describes every field):
 * <pre>
 * header  0  magic "JMCKIKC1"     8  slot count         12 version (7)
 *         16 proxy doorbell       20 proxy sleepers     24 page-table root (CR3) of the process
 *         32 process exited (1)   36 proxy workers serving the channel
 *         40 wanted (1: the LWK posted while no worker was idle)   44 idle workers (waiting for a request)
 *         48 fd-table generation (the proxy adds 1 before a guest fd stops naming its file)
 *         52 direct reads (1: the LWK reads regular files itself, see DirectReads; the proxy offers them)
 *         56 a worker spins for requests (1): a post then wakes no sleeping worker
 *         60 slots in use so far: the highest slot ever reserved, plus one (the proxy scans no further)
 * slot i at 64 + 192 * i:
 *         0  state: 0 free, 4 filling, 1 request, 2 claimed, 3 response, 5 taken
 *         4  tid of the LWK thread  8  sequence number  16 syscall or IkcCall number  24 args[6]
 *         72 result (what the guest gets in rax: a value or -errno)
 *         80 call-back state: 0 none, 1 requested, 3 serving, 2 done
 *         84 call-back kind: 1 fault, 2 fault for a write, 3 generate a file, 4 a write to a generated file
 *         88 its argument: the guest address, or the file's token
 *         96 its result: the page's physical address, 0, -1, or the write's (bytes taken or -errno)
 *         104 the process's umask    112 its RLIMIT_NOFILE
 *         120 after a read: the host fd the LWK may read the file through itself, or -1
 *         124 the fd-table generation that offer holds for
 *         128 the uid and 132 the gid the host checks the call's permissions with (the proxy applies
 *            them, the umask and the limit to the call)
 *         136 the host tid of the worker running the call (0: none)
 *         140 interrupt: the call's sequence number (as token()) when the LWK asks that it end with EINTR
 *            (a signal came for its thread), else 0
 *         144 the effective capabilities the host checks the call with (the proxy's worker takes them on)
 *         152 the process's RLIMIT_FSIZE (soft; -1 infinity): the proxy applies it to writes and truncates
 *         160 awaited: 1 the posting core spins for the answer (the worker rings no doorbell after it), 2 it
 *            sleeps on this word (the worker wakes it here instead), 0 neither (the worker rings the doorbell)
 * </pre>
 */
public final class IkcChannel {
    /** Slot states. */
    public static final int FREE = 0, REQUEST = 1, CLAIMED = 2, RESPONSE = 3, FILLING = 4, TAKEN = 5;
    /** Call-back states. */
    public static final int CALLBACK_NONE = 0, CALLBACK_REQUESTED = 1, CALLBACK_DONE = 2, CALLBACK_SERVING = 3;
    /** What a call-back asks of the LWK. */
    public static final int CALLBACK_FAULT_READ = 1, CALLBACK_FAULT_WRITE = 2, CALLBACK_GENERATE = 3,
            CALLBACK_WRITE = 4;
    private static final long MAGIC = 0x31434b494b434d4aL; // "JMCKIKC1"
    private static final int VERSION = 7, HEADER = 64, SLOT = 192;
    private static final int H_SLOTS = 8, H_VERSION = 12, H_BELL = 16, H_SLEEPERS = 20, H_ROOT = 24, H_EXITED = 32,
            H_WORKERS = 36, H_WANTED = 40, H_IDLE = 44, H_FD_GENERATION = 48, H_DIRECT_READS = 52, H_SPINNING = 56,
            H_USED = 60;
    static final int S_STATE = 0, S_TID = 4, S_SEQ = 8, S_NR = 16, S_ARGS = 24, S_RESULT = 72,
            S_CALLBACK = 80, S_CALLBACK_KIND = 84, S_CALLBACK_ARG = 88, S_CALLBACK_RESULT = 96, S_UMASK = 104,
            S_NOFILE = 112, S_OFFER_FD = 120, S_OFFER_GENERATION = 124, S_FSUID = 128, S_FSGID = 132,
            S_WORKER = 136, S_INTERRUPT = 140, S_CAPS = 144, S_FSIZE = 152;
    static final int S_AWAITED = 160; // see AnswerWaits

    private final SharedWords w;
    private final int slots;

    private final AnswerWaits answers;

    private IkcChannel(SharedWords w) {
        this.w = w;
        this.slots = w.getInt(H_SLOTS);
        this.answers = new AnswerWaits(w);
    }

    /** Creates a channel file with the given number of slots (the LWK side). */
    public static IkcChannel create(Path file, int slots) {
        SharedWords w = SharedWords.map(file, HEADER + SLOT * slots, true);
        w.putInt(H_SLOTS, slots);
        w.putInt(H_VERSION, VERSION);
        w.putLong(0, MAGIC);
        return new IkcChannel(w);
    }

    /** Maps an existing channel (the proxy side). */
    public static IkcChannel open(Path file) {
        SharedWords w = SharedWords.map(file, 0, false);
        if (w.size() < HEADER || w.getLong(0) != MAGIC || w.getInt(H_VERSION) != VERSION)
            throw new jmck.emulator.JmckException(file + " is not an IKC channel of this jmck");
        return new IkcChannel(w);
    }

    public Path file() {
        return w.file();
    }

    public int slots() {
        return slots;
    }

    static int slot(int i) {
        return HEADER + SLOT * i;
    }

    // ---- process-wide fields ----

    /** The process's page-table root, for the proxy's walks (set by the LWK; changes at execve). */
    public void setRoot(long cr3) {
        w.putLong(H_ROOT, cr3);
    }

    public long root() {
        return w.getLong(H_ROOT);
    }

    /** The guest process is gone: workers stop. */
    public void markExited() {
        w.putInt(H_EXITED, 1);
        w.addInt(H_BELL, 1);
        w.futexWake(H_BELL, Integer.MAX_VALUE); // every sleeping worker leaves
    }

    public boolean exited() {
        return w.getInt(H_EXITED) != 0;
    }

    /** Unmaps the channel (this side's mapping); nothing may use it afterwards. */
    public void close() {
        w.unmap();
    }

    // ---- the LWK side ----

    /** Reserves a free slot for a request (FREE -> FILLING); returns it, or -1 if all are busy. */
    public int reserve() {
        for (int i = 0; i < slots; i++)
            if (w.getInt(slot(i) + S_STATE) == FREE && w.casInt(slot(i) + S_STATE, FREE, FILLING)) {
                for (int used; (used = w.getInt(H_USED)) <= i && !w.casInt(H_USED, used, i + 1); )
                    ; // before the request is published: a worker that sees it scans this far
                return i;
            }
        return -1;
    }

    /** How many slots the proxy looks at: a process that makes one call at a time uses only the first. */
    private int used() {
        return Math.min(slots, w.getInt(H_USED));
    }

    /**
     * Writes a request into reserved slot i with the process state the host call needs (umask,
     * RLIMIT_NOFILE, the filesystem uid and gid its permissions are checked with), makes it visible
     * (FILLING -> REQUEST) and rings the proxy.
     */
    public void publish(int i, int tid, long seq, long nr, long[] args, int umask, long nofile, int fsuid, int fsgid) {
        int s = slot(i);
        // Nobody reads these before the state below says REQUEST: release stores (no fence each), then the
        // one volatile store that publishes them.
        w.putIntRelease(s + S_TID, tid);
        w.putLongRelease(s + S_SEQ, seq);
        w.putLongRelease(s + S_NR, nr);
        for (int a = 0; a < 6; a++)
            w.putLongRelease(s + S_ARGS + 8 * a, args[a]);
        w.putIntRelease(s + S_UMASK, umask);
        w.putLongRelease(s + S_NOFILE, nofile);
        w.putIntRelease(s + S_FSUID, fsuid);
        w.putIntRelease(s + S_FSGID, fsgid);
        w.putIntRelease(s + S_CALLBACK, CALLBACK_NONE);
        w.putIntRelease(s + S_OFFER_FD, -1);
        w.putIntRelease(s + S_WORKER, 0);
        w.putIntRelease(s + S_INTERRUPT, 0);
        w.putIntRelease(s + S_AWAITED, AnswerWaits.SPIN); // the poster spins first (see AnswerWaits)
        w.putInt(s + S_STATE, REQUEST);
        ringProxy();
    }

    /**
     * After a post: true if no proxy worker is idle to take it (the proxy starts workers on demand and idle
     * ones leave; a busy one may be blocked in a host call), so the caller must ring the proxies' doorbell;
     * the channel is marked wanted.
     */
    public boolean needsWorker() {
        if (w.getInt(H_IDLE) != 0)
            return false;
        w.putInt(H_WANTED, 1);
        return true;
    }

    public int state(int i) {
        return w.getInt(slot(i) + S_STATE);
    }

    public int tid(int i) {
        return w.getInt(slot(i) + S_TID);
    }

    /** Takes slot i's response (RESPONSE -> TAKEN): true for the one caller that may read and free it. */
    public boolean takeResponse(int i) {
        return w.casInt(slot(i) + S_STATE, RESPONSE, TAKEN);
    }

    public long result(int i) {
        return w.getLong(slot(i) + S_RESULT);
    }

    /**
     * Asks that call number seq, in slot i, end with EINTR (its thread got a signal); returns the host tid of
     * the worker running it, to be sent {@link jmck.emulator.host.HostSyscall#SIG_INTERRUPT}, 0 if no worker
     * runs it yet (the worker that claims it sees the request before it starts the call), or -1 if the slot
     * holds another call now. The mark names seq, so that one landing on a later call of the slot is no mark.
     */
    public int requestInterrupt(int i, long seq) {
        if (sequence(i) != seq)
            return -1;
        w.putInt(slot(i) + S_INTERRUPT, token(seq));
        return worker(i);
    }

    /** The host tid of the proxy worker running the call in slot i, 0 if none runs it (yet). */
    public int worker(int i) {
        return w.getInt(slot(i) + S_WORKER);
    }

    /** Whether the LWK asked that the call now in slot i be interrupted. */
    public boolean interruptRequested(int i) {
        int mark = w.getInt(slot(i) + S_INTERRUPT);
        return mark != 0 && mark == token(sequence(i));
    }

    /** The sequence number of the call in slot i. */
    public long sequence(int i) {
        return w.getLong(slot(i) + S_SEQ);
    }

    /** A call's sequence number as an interrupt mark: never 0. */
    private static int token(long seq) {
        return (int) (seq % Integer.MAX_VALUE) + 1;
    }

    /** Frees a slot whose response the LWK has taken. */
    public void free(int i) {
        w.putInt(slot(i) + S_STATE, FREE);
    }

    // ---- direct reads (see jmck.ihk.DirectReads) ----

    /** Whether the LWK reads regular files itself: then the proxy offers them after reads. */
    public void setDirectReads(boolean on) {
        w.putInt(H_DIRECT_READS, on ? 1 : 0);
    }

    public boolean directReads() {
        return w.getInt(H_DIRECT_READS) != 0;
    }

    /** The fd table's generation: it changes before any guest fd stops naming the file it named. */
    public int fdGeneration() {
        return w.getInt(H_FD_GENERATION);
    }

    /** The proxy: a guest fd is about to stop naming its file. */
    public void bumpFdGeneration() {
        w.addInt(H_FD_GENERATION, 1);
    }

    /** The proxy, answering a read: the guest fd read is host fd hostFd, a regular file, as of generation. */
    public void offer(int i, int hostFd, int generation) {
        w.putInt(slot(i) + S_OFFER_GENERATION, generation);
        w.putInt(slot(i) + S_OFFER_FD, hostFd);
    }

    /** The host fd a read's answer offered for direct reads, or -1. */
    public int offeredFd(int i) {
        return w.getInt(slot(i) + S_OFFER_FD);
    }

    public int offeredGeneration(int i) {
        return w.getInt(slot(i) + S_OFFER_GENERATION);
    }

    /** Takes slot i's call-back, if its worker made one (REQUESTED -> SERVING): true for the one caller that serves it. */
    public boolean takeCallBack(int i) {
        return w.getInt(slot(i) + S_CALLBACK) == CALLBACK_REQUESTED
                && w.casInt(slot(i) + S_CALLBACK, CALLBACK_REQUESTED, CALLBACK_SERVING);
    }

    /** The call-back's state (CALLBACK_NONE, _REQUESTED, _SERVING, _DONE), for debuggers. */
    public int callbackState(int i) {
        return w.getInt(slot(i) + S_CALLBACK);
    }

    /** The call-back's kind (CALLBACK_FAULT_READ, CALLBACK_FAULT_WRITE, CALLBACK_GENERATE). */
    public int callbackKind(int i) {
        return w.getInt(slot(i) + S_CALLBACK_KIND);
    }

    /** The call-back's argument: a guest address, or a generated file's token. */
    public long callbackArgument(int i) {
        return w.getLong(slot(i) + S_CALLBACK_ARG);
    }

    /** Answers a call-back taken with {@link #takeCallBack} (a physical address, 0, or -1) and wakes its worker. */
    public void answerCallBack(int i, long value) {
        int s = slot(i);
        w.putLong(s + S_CALLBACK_RESULT, value);
        w.putInt(s + S_CALLBACK, CALLBACK_DONE);
        w.futexWake(s + S_CALLBACK, Integer.MAX_VALUE);
    }

    /**
     * Rings the workers' doorbell after a post. A worker spinning for requests will see the post: then no
     * sleeper is woken, as a woken one would only find the request claimed and compete for a CPU with the
     * spinner and the posting core. The worker that stops spinning, and the one that claims a request,
     * look for another request after they let go of the spin (see {@link #stopSpinning}).
     */
    private void ringProxy() {
        w.addInt(H_BELL, 1);
        if (w.getInt(H_SPINNING) == 0 && w.getInt(H_SLEEPERS) > 0)
            w.futexWake(H_BELL, 1);
    }

    // ---- the proxy side ----

    /** Workers serving the channel: the proxy counts them here, for {@link #needsWorker}. */
    public int addWorkers(int delta) {
        return w.addInt(H_WORKERS, delta);
    }

    public int workers() {
        return w.getInt(H_WORKERS);
    }

    /** Workers waiting for a request, or starting: the proxy counts them here, for {@link #needsWorker}. */
    public int addIdle(int delta) {
        return w.addInt(H_IDLE, delta);
    }

    public int idle() {
        return w.getInt(H_IDLE);
    }

    /** Marks the channel as wanting a worker (a leaving worker saw a request come in). */
    public void want() {
        w.putInt(H_WANTED, 1);
    }

    /** Takes the wanted mark: true if the channel was waiting for a worker. */
    public boolean takeWanted() {
        return w.getInt(H_WANTED) != 0 && w.casInt(H_WANTED, 1, 0);
    }

    /** True if a request is waiting to be claimed. */
    public boolean pending() {
        for (int i = 0, n = used(); i < n; i++)
            if (w.getInt(slot(i) + S_STATE) == REQUEST)
                return true;
        return false;
    }

    /** Claims a posted request; returns its slot, or -1 if none is waiting. */
    public int claim() {
        for (int i = 0, n = used(); i < n; i++)
            if (w.getInt(slot(i) + S_STATE) == REQUEST && w.casInt(slot(i) + S_STATE, REQUEST, CLAIMED))
                return i;
        return -1;
    }

    public long number(int i) {
        return w.getLong(slot(i) + S_NR);
    }

    public long arg(int i, int a) {
        return w.getLong(slot(i) + S_ARGS + 8 * a);
    }

    public int umask(int i) {
        return w.getInt(slot(i) + S_UMASK);
    }

    public long nofile(int i) {
        return w.getLong(slot(i) + S_NOFILE);
    }

    /**
     * Sets the effective capabilities and the file size limit the call in reserved slot i is to run with on
     * the host (before {@link #publish}; a slot not given them runs with no capabilities beyond its
     * filesystem ids' and no file size limit).
     */
    public void setLimits(int i, long effective, long fileSize) {
        w.putLong(slot(i) + S_CAPS, effective);
        w.putLong(slot(i) + S_FSIZE, fileSize);
    }

    /** RLIMIT_FSIZE of the process making the call in slot i (-1: infinity). */
    public long fileSizeLimit(int i) {
        return w.getLong(slot(i) + S_FSIZE);
    }

    public long capabilities(int i) {
        return w.getLong(slot(i) + S_CAPS);
    }

    public int fsuid(int i) {
        return w.getInt(slot(i) + S_FSUID);
    }

    public int fsgid(int i) {
        return w.getInt(slot(i) + S_FSGID);
    }

    /** The worker (host tid) running the call in slot i, or 0 once it has finished; set before the interrupt is looked at. */
    public void setWorker(int i, int hostTid) {
        w.putInt(slot(i) + S_WORKER, hostTid);
    }

    /**
     * Writes the result of a claimed request. Returns whether the caller must ring the LWK's doorbell: only
     * if the core that posted it no longer waits for it (see {@link AnswerWaits}).
     */
    public boolean respond(int i, long result) {
        w.putLongRelease(slot(i) + S_RESULT, result); // published by the state's volatile store
        w.putInt(slot(i) + S_STATE, RESPONSE);
        return answers.answered(i);
    }

    /** How the LWK core that posted a call waits for its answer (the slots' awaited words). */
    public AnswerWaits answers() {
        return answers;
    }

    /**
     * Asks the LWK to fault in va for the request in slot i and waits for the answer; the caller's doorbell
     * rings the LWK. Returns the physical address, or -1 if the guest may not access va.
     */
    public long requestFault(int i, long va, boolean write, Doorbell lwk) {
        return callBack(i, write ? CALLBACK_FAULT_WRITE : CALLBACK_FAULT_READ, va, lwk);
    }

    /** Asks the LWK to write out the generated file with this token (see IkcForwarder); returns 0 or -1. */
    public long requestGenerate(int i, long token, Doorbell lwk) {
        return callBack(i, CALLBACK_GENERATE, token, lwk);
    }

    /**
     * Hands the LWK what the guest wrote to a generated file (in the file IkcFiles names for the token);
     * returns the write's result: the bytes taken, or -errno.
     */
    public long requestWrite(int i, long token, Doorbell lwk) {
        return callBack(i, CALLBACK_WRITE, token, lwk);
    }

    private long callBack(int i, int kind, long argument, Doorbell lwk) {
        int s = slot(i);
        w.putLong(s + S_CALLBACK_ARG, argument);
        w.putInt(s + S_CALLBACK_KIND, kind);
        w.putInt(s + S_CALLBACK, CALLBACK_REQUESTED);
        lwk.ring();
        long spinUntil = System.nanoTime() + 20_000;
        for (int state; (state = w.getInt(s + S_CALLBACK)) != CALLBACK_DONE; ) {
            if (exited())
                return -1;
            if (System.nanoTime() > spinUntil)
                w.futexWait(s + S_CALLBACK, state, 10_000_000L);
        }
        w.putInt(s + S_CALLBACK, CALLBACK_NONE);
        return w.getLong(s + S_CALLBACK_RESULT);
    }

    /**
     * Takes the spin for requests: true if no other worker of the channel spins now (one at a time: a second
     * spinner would burn a CPU that the posting core and the first spinner need).
     */
    public boolean startSpinning() {
        return w.getInt(H_SPINNING) == 0 && w.casInt(H_SPINNING, 0, 1);
    }

    /**
     * Lets go of the spin taken with {@link #startSpinning}. A post that came meanwhile may have seen the spin
     * and woken nobody, so the caller then looks for requests (the poster wrote its request before it read
     * the spin word, the caller clears the word before it reads the requests: one of the two sees the other)
     * and claims one, or wakes a sleeping worker for it ({@link #wakeWorker}).
     */
    public void stopSpinning() {
        w.putInt(H_SPINNING, 0);
    }

    /** Wakes one worker sleeping on the doorbell, if any. */
    public void wakeWorker() {
        if (w.getInt(H_SLEEPERS) > 0)
            w.futexWake(H_BELL, 1);
    }

    /** Sleeps until the proxy doorbell rings after count was read, or nanos pass (the caller has spun already). */
    public void awaitRequest(int count, long nanos) {
        w.addInt(H_SLEEPERS, 1);
        if (w.getInt(H_BELL) == count)
            w.futexWait(H_BELL, count, nanos);
        w.addInt(H_SLEEPERS, -1);
    }

    public int requestCount() {
        return w.getInt(H_BELL);
    }
}
