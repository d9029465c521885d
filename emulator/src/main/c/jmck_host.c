/* libjmckhost: raw Linux system calls for the JVM (jmck.emulator.host.HostSyscall). A library of its own,
 * with no dependency on libunicorn, so that host calls (mapping physical memory, futexes, the proxy's
 * delegated calls) are ready as soon as JNA is, while libunicorn loads on another thread (EnginePrefetch). */

/* A raw Linux system call: returns the kernel's result, -errno on failure, with no libc errno in between. */
long jmck_host_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#include <signal.h>
#include <string.h>

static void interrupted(int sig)
{
	(void)sig;
}

/* Makes signal sig end the blocking host call of the thread it is sent to with EINTR (no SA_RESTART) and do
 * nothing else: how the LWK ends a delegated call that the guest thread it runs for no longer waits for
 * (a signal came for that thread). Returns 0 or -1. */
int jmck_host_interrupt_with(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupted;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}
