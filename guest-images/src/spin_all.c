/* `spin_all THREADS [handle]`: THREADS threads (the main one among them) spin without a syscall, forever,
 * after printing "spinning" once all run. With "handle", SIGINT and SIGTERM have a handler that prints
 * the signal and exits with status 3; otherwise their default action ends the program. A test that the
 * kernel reaches cores busy in guest code: a timeout, a signal, a kill must each end the program. */
// guest-ldflags: -pthread
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int running;
static volatile unsigned long spins[64];

static void handler(int sig)
{
	const char *m = sig == SIGINT ? "caught SIGINT\n" : "caught SIGTERM\n";
	write(1, m, strlen(m));
	_exit(3);
}

static void spin(int id)
{
	__atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST);
	for (;;)
		spins[id]++;
}

static void *worker(void *arg)
{
	spin((int)(long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2;
	if (n < 1 || n > 64) {
		fprintf(stderr, "usage: spin_all THREADS(1-64) [handle]\n");
		return 2;
	}
	if (argc > 2 && strcmp(argv[2], "handle") == 0) {
		signal(SIGINT, handler);
		signal(SIGTERM, handler);
	}
	pthread_t t;
	for (int i = 1; i < n; i++)
		pthread_create(&t, NULL, worker, (void *)(long)i);
	while (running < n - 1)
		;
	printf("spinning\n");
	fflush(stdout);
	spin(0);
}
