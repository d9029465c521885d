/* Memory-bandwidth kernel: STREAM's triad a[i] = b[i] + q * c[i] over three arrays of N doubles
 * (default 4 M each, 96 MB in all), repeated R times (default 10). Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000000, reps = argc > 2 ? atol(argv[2]) : 10;
	double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
	for (long i = 0; i < n; i++) {
		b[i] = i;
		c[i] = 2.0 * i;
	}
	for (long r = 0; r < reps; r++)
		for (long i = 0; i < n; i++)
			a[i] = b[i] + 3.0 * c[i];
	double sum = 0;
	for (long i = 0; i < n; i += 1000)
		sum += a[i];
	printf("%.1f\n", sum);
	return 0;
}
