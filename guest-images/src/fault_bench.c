/* Fault throughput: maps N pages (default 20000), touches each once, unmaps; R rounds (default 5).
 * Prints the time per fault of each round: the first round also pays for host memory, later ones reuse it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000, rounds = argc > 2 ? atol(argv[2]) : 5;
	for (long r = 0; r < rounds; r++) {
		struct timespec a, b;
		volatile char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			p[i * 4096] = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		munmap((void *)p, n * 4096);
		double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
		printf("round %ld: %ld pages, %.2f us per page\n", r, n, us);
	}
	return 0;
}
