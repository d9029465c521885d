/* FWQ (fixed work quanta, as in the LLNL noise benchmark): times the same small amount of work many times
 * and prints the minimum, median and maximum duration. The spread shows the noise the system adds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 10000, work = argc > 2 ? atoi(argv[2]) : 20000;
	double *d = malloc(sizeof(double) * samples);
	volatile unsigned long x = 1;
	for (int s = 0; s < samples; s++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < work; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		clock_gettime(CLOCK_MONOTONIC, &b);
		d[s] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(d, samples, sizeof(double), cmp);
	printf("fwq_min_us %.2f\nfwq_median_us %.2f\nfwq_max_us %.2f\nfwq_max_over_min %.2f\n", d[0], d[samples / 2],
	       d[samples - 1], d[samples - 1] / d[0]);
	return 0;
}
