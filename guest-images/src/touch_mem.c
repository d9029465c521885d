/* Allocates N MiB with malloc (default 1024), writes every page, then reads it all back.
 * With 2 MiB pages the LWK should take about N/2 faults; in 4 KiB mode N*256. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	size_t size = mib << 20;
	unsigned char *p = malloc(size);
	if (!p) {
		puts("malloc failed");
		return 1;
	}
	for (size_t i = 0; i < size; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	unsigned long sum = 0;
	for (size_t i = 0; i < size; i += 4096)
		sum += p[i];
	printf("touched %zu MiB, checksum %lu\n", mib, sum);
	free(p);
	return 0;
}
