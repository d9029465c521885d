/* The mmap family at its edges: every result is printed as Linux reports it (errno names, fault kinds,
 * contents), never an address, so the output can be compared with a native run line by line. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "errname.h"

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_code;
static const long PAGE = 4096;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(env, 1);
}

/* Reads or writes one byte; prints "ok", or the fault with si_code and whether si_addr is the address. */
static void probe(const char *what, volatile char *p, int write)
{
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 42;
		else
			(void)*p;
		printf("%-40s ok\n", what);
	} else {
		printf("%-40s SIGSEGV %s, si_addr %s\n", what, fault_code == SEGV_MAPERR ? "SEGV_MAPERR"
		       : fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
		       fault_addr == (void *)p ? "exact" : "WRONG");
	}
}

static const char *err(long r)
{
	static char buf[64];
	if (r != -1)
		return "ok";
	snprintf(buf, sizeof buf, "%s", errname(errno));
	return buf;
}

static char *map(void *hint, long len, int prot, int flags)
{
	return mmap(hint, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	/* Bad arguments: the errno Linux gives. */
	printf("mmap len 0: %s\n", err((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
	printf("mmap no type: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0)));
	printf("mmap bad offset: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 123)));
	printf("mmap huge: %s\n", err((long)mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
	printf("mmap fixed unaligned: %s\n", err((long)map((void *)0x10000001, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED)));
	printf("munmap unaligned: %s\n", err(munmap((void *)0x10000001, PAGE)));
	printf("munmap len 0: %s\n", err(munmap((void *)0x10000000, 0)));
	printf("mprotect unmapped: %s\n", err(mprotect((void *)0x10000000, PAGE, PROT_READ)));
	printf("mprotect unaligned: %s\n", err(mprotect((void *)0x10000001, PAGE, PROT_READ)));

	/* A partial unmap splits a mapping in three. */
	char *a = map(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(a, 7, 3 * PAGE);
	printf("munmap middle page: %s\n", err(munmap(a + PAGE, PAGE)));
	probe("read first page after split", a, 0);
	probe("read middle page after split", a + PAGE, 0);
	probe("read last page after split", a + 2 * PAGE, 0);
	printf("contents kept: %d %d\n", a[0], a[2 * PAGE + 5]);

	/* Write to a read-only mapping. */
	char *ro = map(NULL, PAGE, PROT_READ, MAP_PRIVATE);
	probe("read PROT_READ page", ro, 0);
	probe("write PROT_READ page", ro + 123, 1);

	/* A guard page between two writable pages. */
	char *g = map(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	printf("mprotect guard: %s\n", err(mprotect(g + PAGE, PAGE, PROT_NONE)));
	probe("write below guard", g, 1);
	probe("read guard page", g + PAGE + 8, 0);
	probe("write above guard", g + 2 * PAGE, 1);
	printf("mprotect guard back: %s\n", err(mprotect(g + PAGE, PAGE, PROT_READ | PROT_WRITE)));
	probe("write former guard", g + PAGE, 1);

	/* mprotect downgrade after the page was written: the old writable translation must be gone. */
	char *d = map(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	d[0] = 1;
	mprotect(d, PAGE, PROT_READ);
	probe("write after downgrade to read-only", d, 1);
	printf("value survived downgrade: %d\n", d[0]);

	/* MAP_FIXED over an existing mapping replaces it with fresh zero pages. */
	char *f = map(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(f, 9, 2 * PAGE);
	char *f2 = map(f + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	int same = f2 == f + PAGE;
	printf("MAP_FIXED same address: %d, old page %d, new page %d\n", same, f[0], f[PAGE]);
	printf("MAP_FIXED_NOREPLACE over it: %s\n", err((long)map(f, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE)));

	/* mremap: grow in place or move, shrink; contents follow. */
	char *r = map(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	strcpy(r, "remapped");
	char *r2 = mremap(r, PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	if (r2 == MAP_FAILED)
		return 1;
	printf("mremap grow: %s, contents %s, new tail %d\n", err((long)r2), r2, r2[63 * PAGE]);
	char *r3 = mremap(r2, 64 * PAGE, PAGE, 0);
	int kept = r3 == r2;
	printf("mremap shrink: %s, same address %d\n", err((long)r3), kept);
	probe("read past shrunk mapping", r2 + 2 * PAGE, 0);
	printf("mremap no move blocked: %s\n", err((long)mremap(a, PAGE, 2 * PAGE, 0)));
	printf("mremap bad flags: %s\n", err((long)mremap(r3, PAGE, PAGE, 99)));

	/* madvise(MADV_DONTNEED) drops anonymous contents. */
	char *m = map(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(m, 5, 2 * PAGE);
	long dn = madvise(m, PAGE, MADV_DONTNEED);
	printf("madvise dontneed: %s, then %d %d\n", err(dn), m[0], m[PAGE]);

	/* brk grows and shrinks the heap. */
	char *b0 = sbrk(0);
	long grown = (long)sbrk(10 * PAGE); /* musl's sbrk refuses any increment */
	printf("sbrk grow: %s\n", err(grown));
	if (grown != -1) {
		probe("write in grown heap", b0 + 5 * PAGE, 1);
		printf("sbrk shrink: %s\n", err((long)sbrk(-10 * PAGE)));
		probe("write above shrunk heap", b0 + 5 * PAGE, 1);
	}

	/* mincore reports residency. */
	char *c = map(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	c[PAGE] = 1;
	unsigned char vec[4];
	long mc = mincore(c, 4 * PAGE, vec);
	printf("mincore: %s %d%d%d%d\n", err(mc), vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);

	/* A large mapping is reserved, not populated: touching two pages of 1 GiB is cheap. */
	char *big = map(NULL, 1L << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
	big[0] = 1;
	big[(1L << 30) - 1] = 2;
	printf("1 GiB reservation: %d %d\n", big[0], big[(1L << 30) - 1]);
	printf("munmap 1 GiB: %s\n", err(munmap(big, 1L << 30)));
	return 0;
}
