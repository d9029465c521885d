/* A POSIX timer with a 1 ns interval whose first expiry lies 20 s in the past: its signal reports an
 * overrun capped at INT_MAX, and the timer does not flood the machine while the signal waits (under jmck
 * it expired without end and the handler never ran). Same output natively. */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static timer_t timer;
static volatile int calls, overrun;

static void handler(int sig)
{
	if (calls++ == 0) {
		overrun = timer_getoverrun(timer);
		struct itimerspec off;
		memset(&off, 0, sizeof off);
		timer_settime(timer, 0, &off, NULL);
	}
}

int main(void)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	signal(SIGUSR1, handler);
	if (timer_create(CLOCK_REALTIME, &sev, &timer) != 0)
		return 1;
	struct itimerspec spec;
	memset(&spec, 0, sizeof spec);
	clock_gettime(CLOCK_REALTIME, &spec.it_value);
	spec.it_value.tv_sec -= 20;
	spec.it_interval.tv_nsec = 1;
	printf("timer_settime: %s\n", outcome(timer_settime(timer, TIMER_ABSTIME, &spec, NULL)));
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (!calls && now.tv_sec - start.tv_sec < 20);
	printf("handler ran: %d, overrun capped: %d\n", calls > 0, overrun == INT_MAX);
	struct itimerspec left;
	timer_gettime(timer, &left);
	printf("disarmed by the handler: %d\n", left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0);
	return 0;
}
