/*
 * host_cpus.c - the host's CPUs lent to emulated cores as tokens.
 *
 * In parallel mode every emulated core has a host thread of its own. With more cores than host CPUs (4 cores
 * on a 2-CPU host) the host time-slices those threads blindly: a guest thread spinning at an OpenMP barrier
 * keeps a host CPU for a whole host time slice while the thread it waits for sits preempted. Hypervisors meet
 * the same problem with vCPUs and answer it with pause-loop exiting and a directed yield to a preempted vCPU.
 * Here a core runs guest code only while it holds one of N tokens, N the host CPUs it may use:
 *   - a core that spins (a pause, jmck_uc.c's pause hook) while another waits hands its token to the first
 *     in line: the directed yield;
 *   - a core that has waited a slice asks the holder that has had its token longest to give it back at its
 *     next block boundary (a kick), so that compute-bound cores take turns too;
 *   - a waiting core sleeps on a futex and uses no CPU.
 * A core keeps its token through its syscalls and faults (the thread that must go on after waking the others
 * at a barrier is the one making the futex call) and gives it back when it leaves the engine for the kernel's
 * loop, where it may sleep. A core that stays in the kernel a whole slice while others wait loses its token
 * to the first in line: the kernel may be waiting for one of them (a call run on another core), and the
 * waits of TLB shootdowns and exclusive steps are for cores in guest code only, which hold tokens and run.
 * Tokens are counted only while cores outnumber host CPUs; otherwise taking one costs an atomic load.
 */
#include "host_cpus.h"
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A core that waits this long for a token asks the longest holder for its own (CFS's slices are a few ms). */
#define SLICE_NANOS 2000000L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards what follows */
static int cpus;                  /* tokens in all; 0: not counted */
static int seats;                 /* cores in parallel mode */
static int free_tokens;           /* tokens nobody holds */
static host_cpu_seat *all;        /* every seat, to find the longest holder */
static host_cpu_seat *head, *tail; /* cores waiting for a token, first come first served */
static uint32_t waiting;          /* cores in that queue (atomic: the pause hook reads it unlocked) */
static uint32_t counted;          /* cpus && seats > cpus (atomic: read unlocked on every entry to guest code) */

static void recount(void)
{
	__atomic_store_n(&counted, cpus > 0 && seats > cpus, __ATOMIC_SEQ_CST);
}

static uint64_t now_nanos(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void host_cpus_set(int n)
{
	pthread_mutex_lock(&lock);
	int held = 0;
	for (host_cpu_seat *s = all; s; s = s->next)
		held += s->held;
	cpus = n > 0 ? n : 0;
	free_tokens = cpus - held;
	recount();
	pthread_mutex_unlock(&lock);
}

void host_cpus_add_seat(host_cpu_seat *seat)
{
	pthread_mutex_lock(&lock);
	seat->next = all;
	all = seat;
	seats++;
	recount();
	pthread_mutex_unlock(&lock);
}

void host_cpus_remove_seat(host_cpu_seat *seat)
{
	pthread_mutex_lock(&lock);
	for (host_cpu_seat **p = &all; *p; p = &(*p)->next)
		if (*p == seat) {
			*p = seat->next;
			seats--;
			recount();
			break;
		}
	pthread_mutex_unlock(&lock);
}

int host_cpus_wanted(void)
{
	return __atomic_load_n(&waiting, __ATOMIC_RELAXED) != 0;
}

/* The token of a holder goes to the first core in line, or back to the free ones (locked). */
static void pass_on(host_cpu_seat *holder)
{
	holder->held = 0;
	host_cpu_seat *next = head;
	if (!next) {
		free_tokens++;
		return;
	}
	head = next->queued;
	if (!head)
		tail = NULL;
	__atomic_fetch_sub(&waiting, 1, __ATOMIC_SEQ_CST);
	next->held = 1;
	next->since = now_nanos();
	__atomic_store_n(&next->granted, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &next->granted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A slice has passed without a token: the holder that has had one longest gives it back, at its next block
 * boundary if it runs guest code, at once if it is in the kernel (unlocked). */
static void ask_longest_holder(void)
{
	pthread_mutex_lock(&lock);
	host_cpu_seat *oldest = NULL;
	for (host_cpu_seat *s = all; s; s = s->next)
		if (s->held && (!oldest || s->since < oldest->since))
			oldest = s;
	if (oldest && now_nanos() - oldest->since >= SLICE_NANOS) {
		if (__atomic_load_n(oldest->in_guest, __ATOMIC_SEQ_CST))
			oldest->ask_to_yield(oldest);
		else
			pass_on(oldest); /* it takes one again, in line, when it goes back to guest code */
	}
	pthread_mutex_unlock(&lock);
}

void host_cpus_take(host_cpu_seat *seat)
{
	if (!__atomic_load_n(&counted, __ATOMIC_RELAXED))
		return; /* host CPUs enough for every core */
	pthread_mutex_lock(&lock);
	if (seat->held) {
		pthread_mutex_unlock(&lock);
		return;
	}
	if (free_tokens > 0 && !head) {
		free_tokens--;
		seat->held = 1;
		seat->since = now_nanos();
		pthread_mutex_unlock(&lock);
		return;
	}
	__atomic_store_n(&seat->granted, 0, __ATOMIC_RELAXED);
	seat->queued = NULL;
	if (tail)
		tail->queued = seat;
	else
		head = seat;
	tail = seat;
	__atomic_fetch_add(&waiting, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&lock);
	while (!__atomic_load_n(&seat->granted, __ATOMIC_ACQUIRE)) {
		struct timespec slice = {0, SLICE_NANOS};
		if (syscall(SYS_futex, &seat->granted, FUTEX_WAIT_PRIVATE, 0, &slice, NULL, 0) == -1 && errno == ETIMEDOUT)
			ask_longest_holder();
	}
}

void host_cpus_give_back(host_cpu_seat *seat)
{
	if (!__atomic_load_n(&seat->held, __ATOMIC_RELAXED) && !__atomic_load_n(&counted, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lock);
	if (seat->held)
		pass_on(seat); /* straight to the first in line: a token never lies free while a core waits */
	pthread_mutex_unlock(&lock);
}
