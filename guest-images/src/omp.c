/* OpenMP on the LWK: a parallel reduction with a known result, and the cores the threads ran on.
 * Built with gcc -fopenmp (libgomp has no musl build here). */
// guest: glibc-only
// guest-ldflags: -fopenmp
#define _GNU_SOURCE
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	double pi = 0;
	int threads = 0;
#pragma omp parallel reduction(+ : pi)
	{
#pragma omp single
		threads = omp_get_num_threads();
#pragma omp for
		for (long i = 0; i < n; i++) {
			double x = (i + 0.5) / n;
			pi += 4.0 / (1.0 + x * x);
		}
	}
	pi /= n;
	long sum = 0;
#pragma omp parallel for reduction(+ : sum)
	for (long i = 1; i <= n; i++)
		sum += i % 7;
	printf("threads %d, pi %.10f, sum %ld\n", threads, pi, sum);
	return 0;
}
