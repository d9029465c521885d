/*
 * Memory locks as programs read them back: VmLck in /proc/self/status, Rss and Locked in
 * /proc/self/smaps, mincore's residency after mlock and mlock2(MLOCK_ONFAULT), MAP_LOCKED, mlockall and
 * munlockall, munlock of an unaligned address, madvise(MADV_DONTNEED) refused on locked memory, and a
 * forked child that does not inherit the locks; and madvise's checks and fork advice (MADV_WIPEONFORK,
 * MADV_DONTFORK, a hole). Compared with Linux by LtpFoundAbiTest.memoryLocks.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define PG 4096L

static long vmlck(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Rss and Locked of the smaps entry starting at addr, in kB; -1 if there is none. */
static void smaps(void *addr, long *rss, long *locked)
{
	char line[512];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	*rss = *locked = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long start;
		if (sscanf(line, "%lx-", &start) == 1 && strchr(line, '-') && strchr(line, ' ') > strchr(line, '-')) {
			in = start == (unsigned long) addr;
			continue;
		}
		if (in)
			sscanf(line, "Rss: %ld", rss), sscanf(line, "Locked: %ld", locked);
	}
	fclose(f);
}

static int resident(char *addr, long pages)
{
	unsigned char vec[64];
	int n = 0;
	if (mincore(addr, pages * PG, vec))
		return -1;
	for (long i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

static void fork_advice(void)
{
	const char *r;
	char *w = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *n = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[1];
	w[0] = w[PG] = n[0] = 7;
	r = outcome(madvise(w, PG, MADV_WIPEONFORK));
	printf("MADV_WIPEONFORK: %s\n", r);
	r = outcome(madvise(s, PG, MADV_WIPEONFORK));
	printf("MADV_WIPEONFORK of shared memory: %s\n", r);
	r = outcome(madvise(n, PG, MADV_DONTFORK));
	printf("MADV_DONTFORK: %s\n", r);
	r = outcome(madvise(w, PG, MADV_REMOVE));
	printf("MADV_REMOVE of private memory: %s\n", r);
	munmap(w + PG, PG);
	r = outcome(madvise(w, 2 * PG, MADV_NORMAL));
	printf("MADV_NORMAL across a hole: %s\n", r);
	fflush(stdout);
	if (fork() == 0) {
		r = outcome(mincore(n, PG, vec));
		printf("child: wiped page reads %d, mincore of the MADV_DONTFORK page: %s\n", w[0], r);
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);
	printf("parent: the page still reads %d\n", w[0]);
}

int main(void)
{
	long base = vmlck(), rss, locked;
	const char *r;
	printf("VmLck at the start: %ld\n", base);

	char *a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = outcome(mlock(a + 100, 2 * PG));
	printf("mlock of 2 pages and 100 bytes, unaligned: %s\n", r);
	printf("VmLck grew by: %ld kB, resident pages: %d\n", vmlck() - base, resident(a, 8));
	smaps(a, &rss, &locked);
	printf("smaps of the locked part: Rss %ld kB, Locked %ld kB\n", rss, locked);
	r = outcome(mlock(a, PG));
	printf("mlock of the same again: %s, VmLck grew by: %ld kB\n", r, vmlck() - base);
	r = outcome(madvise(a, PG, MADV_DONTNEED));
	printf("madvise(MADV_DONTNEED) of locked memory: %s\n", r);
	r = outcome(munlock(a + 100, 2 * PG));
	printf("munlock of an unaligned address: %s, VmLck grew by: %ld kB\n", r, vmlck() - base);
	munmap(a + 5 * PG, PG);
	r = outcome(mlock(a + 4 * PG, 3 * PG));
	printf("mlock across a hole: %s, VmLck grew by: %ld kB\n", r, vmlck() - base);
	r = outcome(munlock(a + 4 * PG, 3 * PG));
	printf("munlock across a hole: %s\n", r);

	char *b = mmap(NULL, 4 * PG, PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	b[0] = 1;
	r = outcome(syscall(SYS_mlock2, b, 4 * PG, 1 /* MLOCK_ONFAULT */));
	printf("mlock2(MLOCK_ONFAULT): %s, VmLck grew by: %ld kB, resident pages: %d\n", r, vmlck() - base,
	       resident(b, 4));
	r = outcome(syscall(SYS_mlock2, b, PG, 2));
	printf("mlock2 with a bad flag: %s\n", r);
	munlock(b, 4 * PG);

	char *c = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	printf("mmap(MAP_LOCKED): VmLck grew by: %ld kB, resident pages: %d\n", vmlck() - base, resident(c, 4));
	munmap(c, 4 * PG);
	printf("after munmap: VmLck grew by: %ld kB\n", vmlck() - base);

	r = outcome(mlockall(0));
	printf("mlockall with no flag: %s\n", r);
	r = outcome(mlockall(MCL_CURRENT | MCL_FUTURE));
	printf("mlockall(MCL_CURRENT | MCL_FUTURE): %s, VmLck above 0: %d\n", r, vmlck() > 0);
	long before = vmlck();
	char *d = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("a mapping after MCL_FUTURE: VmLck grew by: %ld kB, resident pages: %d\n", vmlck() - before,
	       resident(d, 4));
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		printf("forked child: VmLck %ld\n", vmlck());
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	r = outcome(munlockall());
	printf("munlockall: %s, VmLck %ld\n", r, vmlck());
	fork_advice();
	return 0;
}
