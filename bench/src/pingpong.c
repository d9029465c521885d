/* Futex wake latency: two threads hand a token back and forth through a futex word N times (each round
 * trip is two wake-ups and two context switches) and print the time per round trip. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int turn; /* 0: main's turn, 1: the other thread's */
static int rounds;

static void futex(volatile int *w, int op, int val)
{
	syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static void pass(int me)
{
	while (turn != me)
		futex(&turn, FUTEX_WAIT, !me);
}

static void give(int to)
{
	turn = to;
	futex(&turn, FUTEX_WAKE, 1);
}

static void *other(void *arg)
{
	(void)arg;
	for (int i = 0; i < rounds; i++) {
		pass(1);
		give(0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? atoi(argv[1]) : 100000;
	pthread_t t;
	pthread_create(&t, NULL, other, NULL);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++) {
		give(1);
		pass(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / rounds;
	printf("pingpong_round_trip_us %.3f\n", us);
	return 0;
}
