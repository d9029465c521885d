/* The stepper's teaching guest (docs/stepping.md): three demand-paging faults in touch(), then a write to a
 * page made read-only with mprotect (a protection fault, SIGSEGV, a handler that makes it writable again),
 * then one delegated write(2). Built with symbols so the stepper and gdb can name main and touch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *pages;

/* Writes one byte at the start of each of n pages: in 4 KiB mode each write takes a fault of its own. */
__attribute__((noinline)) void touch(char *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i * 4096] = (char)('a' + i);
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	/* The faulting write runs again when the handler returns: let it succeed this time. */
	mprotect(pages, 4096, PROT_READ | PROT_WRITE);
}

int main(void)
{
	pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return 1;
	touch(pages, 3);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	mprotect(pages, 4096, PROT_READ);
	touch(pages, 1); /* a write to a read-only page */

	char msg[32];
	int len = snprintf(msg, sizeof msg, "pages %c%c%c\n", pages[0], pages[4096], pages[8192]);
	write(1, msg, len);
	return 0;
}
