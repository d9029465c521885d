/**
 * The lightweight kernel, one class per mechanism. Read in this order:
 * <ul>
 * <li>{@link jmck.lwk.Kernel}: one LWK instance: its state (memory, cores, processes, futexes, signals, the
 * syscall table), its boot order, and its API for the host side (IHK, mcexec, {@code jmck run}).</li>
 * <li>{@link jmck.lwk.KernelEntry}: where traps arrive from a core: {@code syscall}, exceptions, the #PF.</li>
 * <li>{@link jmck.lwk.ReturnToUser}: the work around each slice: signals delivered, a blocked syscall's result
 * put in rax, job-control stops, the debugger's stops; how a slice ended.</li>
 * <li>{@link jmck.lwk.ProcessLifecycle}: how processes and threads begin: spawn, prepare, start, exec, fork,
 * cloneThread. {@link jmck.lwk.ProcessExit}: how they end (exitThread, exitProcess, killProcess), what
 * the parent hears, and job control's stop and continue.</li>
 * <li>{@link jmck.lwk.EventLoop} and {@link jmck.lwk.Timers}: what the kernel does between slices (work
 * handed in by other host threads, IKC polling, due timers) and how an idle kernel sleeps.</li>
 * <li>{@link jmck.lwk.CoreThreads}: parallel mode, a host thread per core, each looping over its run queue.</li>
 * <li>{@link jmck.lwk.TlbShootdown}: after a mapping is downgraded or removed, the cores forget it (the
 * interprocessor handshake with cores running in parallel).</li>
 * <li>{@link jmck.lwk.HotPlug}: cores and memory added to or taken from a running instance.</li>
 * </ul>
 * The per-core run queues and the slice loop are in {@code proc} ({@link jmck.lwk.proc.Scheduler},
 * {@link jmck.lwk.proc.Core}), whose package-info lists the kernel's locks in their order; memory
 * management in {@code mm}; syscall handlers in {@code syscall}, which see the kernel through
 * {@link jmck.lwk.syscall.SyscallContext} only.
 */
package jmck.lwk;
