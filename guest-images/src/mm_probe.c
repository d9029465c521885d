/* Reads memory-management commands on stdin and reports what the CPU can then do, one line each:
 *   m PAGE N PROT      mmap N pages at BASE+PAGE*4096 with MAP_FIXED (PROT: r, rw, rx, none)
 *   u PAGE N           munmap
 *   p PAGE N PROT      mprotect
 *   d PAGE N           madvise(MADV_DONTNEED)
 *   r PAGE / w PAGE    read / write one byte of the page: prints ok (and the byte) or fault
 * Fed the same random script, a native run and a jmck run must print the same lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "errname.h"

#define BASE ((char *)0x300000000UL)
static sigjmp_buf env;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

static int prot(const char *s)
{
	if (!strcmp(s, "r")) return PROT_READ;
	if (!strcmp(s, "rw")) return PROT_READ | PROT_WRITE;
	if (!strcmp(s, "rx")) return PROT_READ | PROT_EXEC;
	return PROT_NONE;
}

int main(void)
{
	signal(SIGSEGV, on_segv);
	char op[8], ps[8];
	long page, n;
	int step = 0;
	while (scanf("%7s", op) == 1) {
		step++;
		char *at;
		if (op[0] == 'r' || op[0] == 'w') {
			if (scanf("%ld", &page) != 1)
				return 2;
			volatile char *p = BASE + page * 4096 + (step % 4096);
			if (sigsetjmp(env, 1) == 0) {
				int v = op[0] == 'w' ? (*p = (char)step) : *p;
				printf("%d %c %ld ok %d\n", step, op[0], page, v & 0xff);
			} else {
				printf("%d %c %ld fault\n", step, op[0], page);
			}
			continue;
		}
		if (scanf("%ld %ld", &page, &n) != 2)
			return 2;
		at = BASE + page * 4096;
		long r = 0;
		if (op[0] == 'm' || op[0] == 'p') {
			if (scanf("%7s", ps) != 1)
				return 2;
			r = op[0] == 'm' ? (mmap(at, n * 4096, prot(ps), MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0)
					 : mprotect(at, n * 4096, prot(ps));
		} else if (op[0] == 'u') {
			r = munmap(at, n * 4096);
		} else if (op[0] == 'd') {
			r = madvise(at, n * 4096, MADV_DONTNEED);
		}
		printf("%d %s %ld %ld = %s\n", step, op, page, n, r ? errname(errno) : "0");
	}
	return 0;
}
