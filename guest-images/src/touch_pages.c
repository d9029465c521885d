/* Maps N fresh anonymous pages (default 3) and touches each once with a write: in 4 KiB teaching mode the
 * LWK takes exactly N page faults in this mapping, whose address it prints first. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;
	volatile char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fprintf(stderr, "mapping %p %ld pages\n", (void *)p, n);
	for (long i = 0; i < n; i++)
		p[i * 4096] = 1;
	long sum = 0;
	for (long i = 0; i < n; i++)
		sum += p[i * 4096];
	printf("touched %ld pages, sum %ld\n", n, sum);
	return 0;
}
