/**
 * Processes, threads, cores and the scheduler: {@link jmck.lwk.proc.Process}, {@link jmck.lwk.proc.Thread},
 * {@link jmck.lwk.proc.ProcessTable}, {@link jmck.lwk.proc.Core} (one emulated CPU and its run queue),
 * {@link jmck.lwk.proc.Scheduler} (run queues, waits and wake-ups, the slice loop) and
 * {@link jmck.lwk.proc.Futexes}.
 *
 * <h2>Locking</h2>
 * In parallel mode every core runs kernel code on its own host thread (its syscalls, faults and slices),
 * beside the event loop's thread (IKC answers, timers, requests from outside). Per-core state needs no lock:
 * a core's CPU, its current thread's registers, its budget are touched by its own thread only, and a thread
 * runs on one core at a time. What cores share is guarded by these locks, always taken in this order
 * (outermost first; a lock may be skipped, never taken out of order):
 * <ol>
 * <li><b>task lock</b>: the {@link jmck.lwk.proc.ProcessTable}'s monitor ({@code taskLock()}). The process
 * tables and tree, each process's life (exiting, ended, reaped), signal actions and job-control state, and
 * each thread's death. Fork and clone, exit and kill and reap, wait4, signal sending and delivery, exec's
 * de_thread. Rare next to the paths below, which never need it.</li>
 * <li><b>System V IPC locks</b>: the monitors of {@code jmck.lwk.ipc}'s MessageQueues, Semaphores and
 * SharedMemory (one each per instance). An exiting process's reap takes them under the task lock; shared
 * memory counts attaches in the address spaces (mm locks) under its own. Likewise the local files' locks
 * ({@code jmck.lwk.file.LocalFiles} gives their own order): signal sending and reaps reach them under the
 * task lock.</li>
 * <li><b>IKC lock</b>: each delegating client's monitor in {@code jmck.ihk.IkcForwarder}: which thread
 * waits on which slot of the process's channel. What an answer leads to (a fork's start, an execve) runs
 * after it is let go.</li>
 * <li><b>futex lock</b>: the {@link jmck.lwk.proc.Futexes} monitor, Linux's hash-bucket lock with one
 * bucket: FUTEX_WAIT reads the word, compares and sleeps under it; wakes take waiters under it.</li>
 * <li><b>direct-reads lock</b>: each delegating process's {@code jmck.ihk.DirectReads} monitor: the host
 * descriptors of the regular files the LWK reads itself. A direct read takes the mm lock under it, so that
 * no other core unmaps the buffer and frees its frames during the read.</li>
 * <li><b>mm lock</b>: each {@link jmck.lwk.mm.AddressSpace}'s monitor: VMAs and page tables (faults, mmap,
 * munmap, mprotect, copy-in and copy-out). TLB shootdowns run under it and wait only for cores in guest code,
 * which acknowledge without a lock.</li>
 * <li><b>page-cache lock</b>: the {@link jmck.lwk.mm.PageCache}'s: which frame holds which file page. Taken
 * by faults on file mappings and by unmaps that drop a cached page's last mapping, under the mm lock.</li>
 * <li><b>frame lock</b>: the {@link jmck.lwk.mm.FrameAllocator}'s monitor.</li>
 * <li><b>thread lock</b>: each {@link jmck.lwk.proc.Thread#lock}: its scheduling state and wait, its pending
 * signals and masks, whether a core runs it, and its saved registers against a reaper.</li>
 * <li><b>run-queue lock</b>: each {@link jmck.lwk.proc.Core}'s run queue.</li>
 * </ol>
 * Leaves, which take nothing while held: the timers, the kernel log, the event loop's counters, trace
 * sinks, a core's list of code to retire. Fields guarded by a lock say so ({@code @GuardedBy}); a field
 * read without its lock for a glance is volatile.
 *
 * <p>In exact mode the same code runs on one host thread, so the locks are never contended and the order
 * of events is fixed by the block budgets: runs are deterministic.
 */
package jmck.lwk.proc;
