/* Signals under the LWK, compared with Linux line for line: handlers run and return to where the program
 * was, masks hold signals back until unblocked, SIGSEGV's siginfo names the faulting address, sigaltstack,
 * SA_RESETHAND, SA_NODEFER, sigsuspend, sigtimedwait, signals that end a sleep (EINTR) or arrive from
 * another thread, and finally the default action: the process dies of argv[1] (SIGTERM if none). */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t hits, last_sig, nested, depth;
static volatile void *fault_addr;
static volatile int fault_code;
static sigjmp_buf recover;
static volatile uintptr_t handler_sp;

static void count(int sig)
{
	hits++;
	last_sig = sig;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(recover, 1);
}

static void on_alt(int sig)
{
	(void)sig;
	int local;
	handler_sp = (uintptr_t)&local;
}

static void reenter(int sig)
{
	depth++;
	if (depth > nested)
		nested = depth;
	if (depth < 3)
		raise(sig); /* with SA_NODEFER the same signal interrupts this handler */
	depth--;
}

static void *sender(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	pthread_kill(target, SIGUSR1);
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);

	/* 1. a handler runs, and the program goes on after it */
	sa.sa_handler = count;
	sigaction(SIGUSR1, &sa, NULL);
	volatile long sum = 0;
	for (int i = 0; i < 100; i++) {
		sum += i;
		if (i == 50)
			raise(SIGUSR1);
	}
	printf("handler ran %d time(s), signal %d, the loop went on: sum %ld\n", (int)hits, (int)last_sig, (long)sum);

	/* 2. a blocked signal waits until it is unblocked; a standard signal is pending once */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	hits = 0;
	raise(SIGUSR1);
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("blocked: handler ran %d time(s), pending %d\n", (int)hits, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: handler ran %d time(s)\n", (int)hits);

	/* 3. SIGSEGV: si_addr and si_code for an unmapped address and for a write to a read-only page */
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	char *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sigsetjmp(recover, 1) == 0)
		*(volatile int *)(uintptr_t)0x1234 = 1;
	printf("SIGSEGV at 0x1234: si_addr %p %s\n", (void *)fault_addr,
	       fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
	if (sigsetjmp(recover, 1) == 0)
		ro[4100] = 1;
	printf("SIGSEGV writing read-only page: si_addr is the byte: %s, %s\n", fault_addr == ro + 4100 ? "yes" : "no",
	       fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other");
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("after siglongjmp SIGSEGV is unblocked again: %s\n", sigismember(&now, SIGSEGV) ? "no" : "yes");

	/* 4. sigaltstack: the handler runs on the alternate stack */
	stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
	sigaltstack(&ss, NULL);
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("handler on the alternate stack: %s\n",
	       handler_sp >= (uintptr_t)ss.ss_sp && handler_sp < (uintptr_t)ss.ss_sp + ss.ss_size ? "yes" : "no");

	/* 5. SA_RESETHAND: the second one takes the default action (ignored for SIGCHLD-like SIGURG) */
	hits = 0;
	sa.sa_handler = count;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGURG, &sa, NULL);
	raise(SIGURG);
	raise(SIGURG);
	sigaction(SIGURG, NULL, &sa);
	printf("SA_RESETHAND: handler ran %d time(s), now default: %s\n", (int)hits, sa.sa_handler == SIG_DFL ? "yes" : "no");

	/* 6. SA_NODEFER lets a handler be interrupted by its own signal */
	sa.sa_handler = reenter;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("SA_NODEFER: nested %d deep\n", (int)nested);

	/* 7. sigsuspend waits for a handled signal with a temporary mask, then restores the old one */
	sa.sa_handler = count;
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, &old);
	pthread_t self = pthread_self(), th;
	pthread_create(&th, NULL, sender, &self);
	hits = 0;
	sigset_t waitmask;
	sigemptyset(&waitmask);
	errno = 0;
	int r = sigsuspend(&waitmask);
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("sigsuspend: %d %s, handler ran %d time(s), SIGUSR1 blocked again: %s\n", r, errname(errno), (int)hits,
	       sigismember(&now, SIGUSR1) ? "yes" : "no");
	pthread_join(th, NULL);

	/* 8. sigtimedwait takes a blocked signal without a handler; times out with EAGAIN */
	pthread_create(&th, NULL, sender, &self);
	siginfo_t si;
	struct timespec ten = {10, 0}, tiny = {0, 1000000};
	r = sigtimedwait(&set, &si, &ten);
	printf("sigtimedwait: %d, si_signo %d, si_code is SI_TKILL: %s, handler ran %d time(s)\n", r, si.si_signo,
	       si.si_code == SI_TKILL ? "yes" : "no", (int)hits);
	pthread_join(th, NULL);
	errno = 0;
	r = sigtimedwait(&set, &si, &tiny);
	printf("sigtimedwait with nothing pending: %d %s\n", r, errname(errno));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* 9. a signal from another thread ends a sleep with EINTR and the time left */
	pthread_create(&th, NULL, sender, &self);
	struct timespec longsleep = {30, 0}, left = {0, 0};
	errno = 0;
	r = nanosleep(&longsleep, &left);
	printf("nanosleep interrupted: %d %s, time left between 25 and 30 s: %s\n", r, errname(errno),
	       left.tv_sec >= 25 && left.tv_sec < 30 ? "yes" : "no");
	pthread_join(th, NULL);

	/* 10. ignored signals vanish; SIGKILL cannot be caught */
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	errno = 0;
	r = sigaction(SIGKILL, &sa, NULL);
	printf("sigaction(SIGKILL): %d %s\n", r, errname(errno));

	/* 11. the default action ends the process; the shell sees 128 + the signal */
	int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
	printf("raising signal %d with its default action\n", sig);
	signal(sig, SIG_DFL);
	raise(sig);
	printf("still here\n");
	return 0;
}
