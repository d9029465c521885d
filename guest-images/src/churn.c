/* Creates and joins threads one after another (argv[1] times, 1000 by default), some of them detached:
 * after it, the LWK must hold no more threads, frames or contexts than before. */
// guest-ldflags: -pthread
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *work(void *arg)
{
	long *slot = arg;
	*slot += 1;
	return slot;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	long counters[4] = {0};
	for (int i = 0; i < n; i++) {
		pthread_t t[4];
		for (int j = 0; j < 4; j++)
			pthread_create(&t[j], NULL, work, &counters[j]);
		for (int j = 0; j < 4; j++) {
			void *r;
			pthread_join(t[j], &r);
			if (r != &counters[j])
				return 1;
		}
	}
	printf("%d rounds of 4 threads created and joined: %ld %ld %ld %ld\n", n, counters[0], counters[1],
	       counters[2], counters[3]);
	return 0;
}
