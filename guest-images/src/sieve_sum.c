/* A CPU-bound guest with a checkable answer: sieves primes up to N (default 2000000) R times (default 3)
 * and prints how many it found in all. Debugger tests run it across many slices to catch replayed
 * instructions: its memset of N bytes (glibc's vector loop) goes wrong if a block is run twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000, rounds = argc > 2 ? atol(argv[2]) : 3, total = 0;
	char *prime = malloc(n + 1);
	if (!prime)
		return 1;
	for (long r = 0; r < rounds; r++) {
		memset(prime, 1, n + 1);
		prime[0] = prime[1] = 0;
		for (long i = 2; i * i <= n; i++)
			if (prime[i])
				for (long j = i * i; j <= n; j += i)
					prime[j] = 0;
		for (long i = 0; i <= n; i++)
			total += prime[i];
	}
	printf("%ld primes up to %ld in %ld rounds\n", total, n, rounds);
	return 0;
}
