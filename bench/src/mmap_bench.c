/* mmap with many mappings: the cost of finding a free range as the address space fills up.
 * Usage: mmap_bench N. Phases, each timed with clock_gettime inside the program:
 *   map N     N one-page anonymous mappings; neighbours alternate PROT_READ and PROT_READ|PROT_WRITE so
 *             that Linux cannot merge them either: both kernels hold N areas, top-down below each other.
 *   unmap N/2 every other mapping: N/2 one-page holes between the ones left.
 *   refill    N/2 one-page mappings again: top-down, each takes the highest hole.
 *   skip      N/4 two-page mappings while N/2 one-page holes are free: each must skip every hole.
 *   hint      N/4 one-page mappings with a hint inside the skipped holes (honoured when free).
 * Prints one line per phase: "PHASE: CALLS calls, MS ms, US us/call", and checks as it goes that no
 * mapping overlaps another (a wrong placement is an error exit, not a number). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

static const long PAGE = 4096;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void report(const char *phase, long calls, double ms)
{
	printf("%s: %ld calls, %.2f ms, %.3f us/call\n", phase, calls, ms, ms * 1e3 / calls);
}

static char *map(void *hint, long pages, int i)
{
	char *p = mmap(hint, pages * PAGE, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static int cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* Every mapping in a (of n, each pages[i] pages long) is disjoint from the others. */
static void check_disjoint(char **a, long *pages, long n)
{
	uintptr_t *r = malloc(2 * n * sizeof *r);
	for (long i = 0; i < n; i++) {
		r[2 * i] = (uintptr_t)a[i];
		r[2 * i + 1] = (uintptr_t)pages[i];
	}
	qsort(r, n, 2 * sizeof *r, cmp);
	for (long i = 1; i < n; i++)
		if (r[2 * (i - 1)] + r[2 * (i - 1) + 1] * PAGE > r[2 * i]) {
			fprintf(stderr, "overlapping mappings at %#lx\n", (unsigned long)r[2 * i]);
			exit(1);
		}
	free(r);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 8000;
	if (n < 8 || n % 4) {
		fprintf(stderr, "usage: mmap_bench N (a multiple of 4, at least 8)\n");
		return 2;
	}
	long total = n + n / 4;
	char **a = malloc(total * sizeof *a), **freed = malloc(n / 4 * sizeof *freed);
	long *pages = malloc(total * sizeof *pages);

	double t = now();
	for (long i = 0; i < n; i++) {
		a[i] = map(NULL, 1, (int)i);
		pages[i] = 1;
	}
	report("map", n, now() - t);

	t = now();
	for (long i = 0; i < n; i += 2)
		munmap(a[i], PAGE);
	report("unmap", n / 2, now() - t);

	t = now();
	for (long i = 0; i < n; i += 2)
		a[i] = map(NULL, 1, (int)i);
	report("refill", n / 2, now() - t);
	check_disjoint(a, pages, n);

	/* N/4 one-page holes again, so that two-page requests have holes to skip */
	for (long i = 0; i < n / 4; i++) {
		freed[i] = a[4 * i];
		munmap(a[4 * i], PAGE);
	}
	t = now();
	for (long i = 0; i < n / 4; i++) {
		a[n + i] = map(NULL, 2, (int)i);
		pages[n + i] = 2;
	}
	report("skip", n / 4, now() - t);

	long honoured = 0;
	t = now();
	for (long i = 0; i < n / 4; i++) {
		a[4 * i] = map(freed[i], 1, (int)i);
		honoured += a[4 * i] == freed[i];
	}
	report("hint", n / 4, now() - t);
	check_disjoint(a, pages, n + n / 4);
	if (honoured != n / 4) {
		fprintf(stderr, "only %ld of %ld free hints were honoured\n", honoured, n / 4);
		return 1;
	}
	return 0;
}
