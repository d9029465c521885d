/* futex_waitv(2): waits on several futexes and returns the index of the one woken; EAGAIN when a word
 * changed, ETIMEDOUT at an absolute deadline on either clock; Linux's argument checks; a shared futex woken
 * by another process. Same output natively. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

#define U32 2
#define FUTEX_WAKE 1
#define FUTEX_WAKE_PRIVATE 129
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif
#define PRIVATE 128

static uint32_t words[8];

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *to, int clock)
{
	return syscall(__NR_futex_waitv, w, n, flags, to, clock);
}

static struct timespec in(int clock, long ms)
{
	struct timespec t;
	clock_gettime(clock, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static void *waker(void *arg)
{
	int i = (int)(intptr_t)arg;
	/* wake until someone was woken: the waiter may not sleep yet */
	while (syscall(SYS_futex, &words[i], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0)
		usleep(1000);
	return NULL;
}

int main(void)
{
	struct waitv w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (struct waitv){.val = 0, .uaddr = (uintptr_t)&words[i], .flags = U32 | PRIVATE};

	for (int k = 0; k < 8; k += 5) {
		pthread_t t;
		struct timespec to = in(CLOCK_MONOTONIC, 10000);
		pthread_create(&t, NULL, waker, (void *)(intptr_t)k);
		printf("woken on futex %d: %s\n", k, outcome(waitv(w, 8, 0, &to, CLOCK_MONOTONIC)));
		pthread_join(t, NULL);
	}
	words[3] = 1;
	printf("a word changed: %s\n", outcome(waitv(w, 8, 0, NULL, 0)));
	words[3] = 0;
	struct timespec to = in(CLOCK_REALTIME, 100);
	printf("deadline on CLOCK_REALTIME: %s\n", outcome(waitv(w, 8, 0, &to, CLOCK_REALTIME)));
	to = in(CLOCK_MONOTONIC, 100);
	printf("deadline on CLOCK_MONOTONIC: %s\n", outcome(waitv(w, 2, 0, &to, CLOCK_MONOTONIC)));
	printf("clock CLOCK_TAI: %s\n", outcome(waitv(w, 1, 0, &to, CLOCK_TAI)));
	printf("flags 1: %s\n", outcome(waitv(w, 1, 1, &to, CLOCK_MONOTONIC)));
	printf("0 futexes: %s\n", outcome(waitv(w, 0, 0, &to, CLOCK_MONOTONIC)));
	printf("129 futexes: %s\n", outcome(waitv(w, 129, 0, &to, CLOCK_MONOTONIC)));
	printf("NULL waiters: %s\n", outcome(waitv(NULL, 1, 0, &to, CLOCK_MONOTONIC)));
	struct waitv bad = w[0];
	bad.flags = PRIVATE;
	printf("no size: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	bad.flags = 3 | PRIVATE;
	printf("64-bit size: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	bad = w[0];
	bad.reserved = 1;
	printf("reserved set: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	bad = w[0];
	bad.val = 1ULL << 32;
	printf("value over 32 bits: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	bad = w[0];
	bad.uaddr = 1;
	printf("unaligned: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	bad.uaddr = 0;
	printf("address 0: %s\n", outcome(waitv(&bad, 1, 0, &to, CLOCK_MONOTONIC)));
	printf("waiters at a bad address: %s\n", outcome(waitv((struct waitv *)8, 1, 0, &to, CLOCK_MONOTONIC)));
	struct timespec badto = {0, 1000000000};
	printf("bad timespec: %s\n", outcome(waitv(w, 1, 0, &badto, CLOCK_MONOTONIC)));

	uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct waitv sw[2] = {{.val = 0, .uaddr = (uintptr_t)&words[0], .flags = U32 | PRIVATE},
			      {.val = 0, .uaddr = (uintptr_t)&shared[1], .flags = U32}};
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		while (syscall(SYS_futex, &shared[1], FUTEX_WAKE, 1, NULL, NULL, 0) == 0)
			usleep(1000);
		_exit(0);
	}
	to = in(CLOCK_MONOTONIC, 10000);
	printf("a shared futex woken by another process: %s\n", outcome(waitv(sw, 2, 0, &to, CLOCK_MONOTONIC)));
	waitpid(pid, NULL, 0);
	return 0;
}
