/* The cost of an OpenMP parallel region (fork and join), the way CG pays it about 750 times per run:
 * `omp_regions REGIONS WORK` runs REGIONS parallel regions of OMP_NUM_THREADS threads, each thread doing its
 * share of WORK floating-point steps, and prints the time per region in microseconds on stderr. With WORK 0
 * it is the bare fork/join; with a share of work each region also waits for the slowest thread, which shows
 * how the host CPUs are shared when threads outnumber them. The checksum on stdout is the same on any machine
 * for the same thread count.
 * Built with gcc -fopenmp -static -O2 (bench/run.sh). */
// bench-cflags: -fopenmp
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: omp_regions REGIONS WORK\n");
		return 2;
	}
	int regions = atoi(argv[1]), work = atoi(argv[2]);
	double part[256] = {0}, checksum = 0;
#pragma omp parallel
	part[omp_get_thread_num() & 255] = 0; /* the threads start before the clock does */
	double t0 = now_us();
	for (int r = 0; r < regions; r++) {
#pragma omp parallel
		{
			int share = work / omp_get_num_threads();
			double s = 0;
			for (int i = 0; i < share; i++)
				s += i * 0.5;
			part[omp_get_thread_num() & 255] = s;
		}
		for (int t = 0; t < 256; t++)
			checksum += part[t];
	}
	double us = (now_us() - t0) / regions;
	printf("omp_regions: %d regions, %d threads, checksum %.6e\n", regions, omp_get_max_threads(), checksum);
	fprintf(stderr, "omp_region_us %.2f\n", us);
	return 0;
}
