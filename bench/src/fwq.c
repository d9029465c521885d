/* FWQ (fixed work quanta, as in the LLNL noise benchmark): times the same small amount of work many times
 * and prints the minimum, median and maximum duration. The spread shows the noise the system adds.
 * `fwq SAMPLES WORK THREADS`: with THREADS > 1 each thread (one per core) measures on its own and prints its
 * own line, then the worst spread over all of them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int samples = 10000, work = 20000;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct result {
	double min, median, max;
};

static void *measure(void *arg)
{
	struct result *r = arg;
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
	r->min = d[0];
	r->median = d[samples / 2];
	r->max = d[samples - 1];
	free(d);
	return NULL;
}

int main(int argc, char **argv)
{
	samples = argc > 1 ? atoi(argv[1]) : 10000;
	work = argc > 2 ? atoi(argv[2]) : 20000;
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	struct result r[64];
	pthread_t t[64];
	if (threads < 1 || threads > 64)
		return 2;
	for (int i = 1; i < threads; i++)
		pthread_create(&t[i], NULL, measure, &r[i]);
	measure(&r[0]);
	for (int i = 1; i < threads; i++)
		pthread_join(t[i], NULL);
	double worst = 0, median = 0;
	for (int i = 0; i < threads; i++) {
		if (threads > 1)
			printf("fwq_thread %d min %.2f median %.2f max %.2f\n", i, r[i].min, r[i].median, r[i].max);
		if (r[i].max / r[i].min > worst)
			worst = r[i].max / r[i].min;
		median += r[i].median / threads;
	}
	printf("fwq_min_us %.2f\nfwq_median_us %.2f\nfwq_max_us %.2f\nfwq_max_over_min %.2f\n", r[0].min, median,
	       r[0].max, worst);
	return 0;
}
