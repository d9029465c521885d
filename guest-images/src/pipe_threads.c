/* Threads blocked in delegated reads must not stall the rest of the process: N threads (argv[1], 16 by
 * default) each block reading their own pipe; only then does the main thread write to the pipes, last
 * one first, and each reader answers on a shared pipe. A proxy with fewer workers than blocked readers
 * plus one would never run the main thread's writes. */
// guest-ldflags: -pthread
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX 64

static int in[MAX][2], answers[2];

static void *reader(void *arg)
{
	long i = (long)arg;
	char c;
	if (read(in[i][0], &c, 1) != 1)
		return NULL;
	c += 1;
	write(answers[1], &c, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 16;
	pthread_t t[MAX];
	if (n < 1 || n > MAX)
		return 2;
	pipe(answers);
	for (long i = 0; i < n; i++) {
		pipe(in[i]);
		pthread_create(&t[i], NULL, reader, (void *)i);
	}
	usleep(100000); /* let them block (the answers do not depend on it) */
	for (long i = n - 1; i >= 0; i--)
		write(in[i][1], "a", 1);
	int sum = 0;
	for (long i = 0; i < n; i++) {
		char c;
		if (read(answers[0], &c, 1) == 1)
			sum += c;
	}
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%ld readers blocked in read, all answered: %s\n", n, sum == n * 'b' ? "yes" : "no");
	return 0;
}
