/* Integer kernel: sieve of Eratosthenes over N bytes (default 20 M), repeated R times (default 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000, reps = argc > 2 ? atol(argv[2]) : 5, total = 0;
	char *s = malloc(n + 1);
	for (long r = 0; r < reps; r++) {
		memset(s, 1, n + 1);
		s[0] = s[1] = 0;
		for (long i = 2; i * i <= n; i++)
			if (s[i])
				for (long j = i * i; j <= n; j += i)
					s[j] = 0;
		for (long i = 0; i <= n; i++)
			total += s[i];
	}
	printf("%ld\n", total);
	return 0;
}
