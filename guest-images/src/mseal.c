/* mseal(2): a sealed range refuses munmap, mprotect, mremap, an mmap over it and discarding advice on
 * read-only anonymous memory (EPERM), in a forked child too; the argument checks. Same output natively. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef __NR_mseal
#define __NR_mseal 462
#endif

static long mseal(void *addr, size_t len, unsigned long flags)
{
	return syscall(__NR_mseal, addr, len, flags);
}

/* The permissions /proc/self/maps shows for the VMA starting at p. */
static const char *perms(void *p)
{
	static char found[8];
	char line[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	strcpy(found, "none");
	while (maps && fgets(line, sizeof line, maps)) {
		char *dash = strchr(line, '-');
		if (strtoul(line, NULL, 16) == (unsigned long)p && dash && strchr(dash, ' '))
			snprintf(found, sizeof found, "%.4s", strchr(dash, ' ') + 1);
	}
	if (maps)
		fclose(maps);
	return found;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, 4 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gap = mmap(NULL, 4 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gap + 2 * page, page);
	if (m == MAP_FAILED || ro == MAP_FAILED || gap == MAP_FAILED)
		return 1;
	m[0] = 1;
	printf("flags: %s\n", outcome(mseal(m, page, 1)));
	printf("unaligned: %s\n", outcome(mseal(m + 1, page, 0)));
	printf("length wraps to 0: %s\n", outcome(mseal(m, (size_t)-page + 2, 0)));
	printf("length 0: %s\n", outcome(mseal(m, 0, 0)));
	printf("over a hole: %s\n", outcome(mseal(gap, 4 * page, 0)));
	printf("unmapped start: %s\n", outcome(mseal(gap + 2 * page, 2 * page, 0)));
	printf("hole left untouched, munmap of it: %s\n", outcome(munmap(gap, page)));

	printf("seal pages 2-3: %s\n", outcome(mseal(m + 2 * page, 2 * page, 0)));
	printf("seal again: %s\n", outcome(mseal(m + 2 * page, 2 * page, 0)));
	printf("munmap over it: %s\n", outcome(munmap(m, 8 * page)));
	printf("munmap beside it: %s\n", outcome(munmap(m + 6 * page, 2 * page)));
	printf("mprotect over it: %s\n", outcome(mprotect(m, 8 * page, PROT_READ)));
	printf("pages 0-1 after it (changed up to the sealed VMA): %s\n", perms(m));
	void *r = mremap(m, 6 * page, 2 * page, MREMAP_MAYMOVE);
	printf("mremap shrinking over it: %s\n", r == MAP_FAILED ? errname(errno) : "moved");
	r = mremap(m + 2 * page, 2 * page, 4 * page, MREMAP_MAYMOVE);
	printf("mremap of it: %s\n", r == MAP_FAILED ? errname(errno) : "moved");
	r = mmap(m, 8 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("mmap MAP_FIXED over it: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
	printf("madvise DONTNEED, writable: %s\n", outcome(madvise(m + 2 * page, 2 * page, MADV_DONTNEED)));
	printf("mseal read-only: %s\n", outcome(mseal(ro, 4 * page, 0)));
	printf("madvise DONTNEED, read-only: %s\n", outcome(madvise(ro, 4 * page, MADV_DONTNEED)));
	printf("madvise WILLNEED, read-only: %s\n", outcome(madvise(ro, 4 * page, MADV_WILLNEED)));
	/* protection keys: none is needed for -1, and a key never allocated cannot be freed */
	printf("pkey_mprotect with no key, beside the seal: %s\n",
	       outcome(syscall(SYS_pkey_mprotect, m + 6 * page, page, PROT_READ, -1)));
	printf("pkey_mprotect over the seal: %s\n", outcome(syscall(SYS_pkey_mprotect, m + 2 * page, page, PROT_READ, -1)));
	printf("pkey_free of a key not allocated: %s\n", outcome(syscall(SYS_pkey_free, 7)));
	m[2 * page] = 7;
	printf("sealed page still written: %d\n", m[2 * page]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: munmap: %s\n", outcome(munmap(m + 2 * page, page)));
		printf("child: mprotect: %s\n", outcome(mprotect(ro, page, PROT_NONE)));
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("sealed range in maps: %s\n", perms(m + 2 * page));
	return 0;
}
