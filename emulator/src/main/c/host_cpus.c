/*
 * host_cpus.c - the host's CPUs lent to emulated cores as tokens.
 *
 * In parallel mode every emulated core has a host thread of its own. With more cores than host CPUs (4 cores
 * on a 2-CPU host) the host time-slices those threads blindly: a guest thread spinning at an OpenMP barrier
 * keeps a host CPU for a whole host time slice while the thread it waits for sits preempted. Hypervisors meet
 * the same problem with vCPUs and answer it with pause-loop exiting and a directed yield to a preempted vCPU.
 * Here a core runs guest code only while it holds one of N tokens, N the host CPUs it may use:
 *   - a core that spins (a pause, jmck_uc.c's pause hook) while another waits hands its token to the first
 *     in line that is not itself a spinner queued less than SPINNER_NANOS ago: the directed yield. The
 *     others at a barrier spin too, and a token passed from spinner to spinner is a host wake-up each hop
 *     and no work (with 4 cores on 2 CPUs, ten times as many hand-overs as barriers);
 *   - a core that has waited a slice asks the holder that has had its token longest to give it back at its
 *     next block boundary (a kick), so that compute-bound cores take turns too;
 *   - a waiting core sleeps on a futex and uses no CPU.
 * A core keeps its token through its syscalls and faults (the thread that must go on after waking the others
 * at a barrier is the one making the futex call) and gives it back when it leaves the engine for the kernel's
 * loop, where it may sleep. A core that stays in the kernel a whole slice while others wait loses its token
 * to the first in line: the kernel may be waiting for one of them (a call run on another core), and the
 * waits of TLB shootdowns and exclusive steps are for cores in guest code only, which hold tokens and run.
 * Tokens are counted only while cores outnumber host CPUs; otherwise taking one costs an atomic load.
 *
 * And only while other processes keep the host's CPUs busy, unless JMCK_HOST_CPUS asks for them always: on an
 * otherwise idle host the host's scheduler shares its CPUs better than tokens do, since a spinner's
 * sched_yield (every 64th pause) hands its CPU to a runnable thread at once, where a token wakes a sleeping
 * one (OpenMP CG with 4 threads on 4 cores on 2 CPUs: 1.3 s without tokens, 1.8 s with them, quiet; 4.0 s
 * without and 2.9 s with them beside a CPU-bound process). A watcher thread looks at the host's CPU time
 * every WATCH_NANOS, less jmck's own.
 */
#include "host_cpus.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A core that waits this long for a token asks the longest holder for its own (CFS's slices are a few ms). */
#define SLICE_NANOS 2000000L
/* A core that gave its token up while spinning is handed another by a spinner only after this long in line:
 * what it waits for may have happened by then (the last thread reached the barrier). */
#define SPINNER_NANOS 100000u

/* How often the watcher looks at the host's CPU time, and how much of it others use (in CPUs) for tokens to be
 * counted (on at BUSY, off below IDLE: the host's statistics are in 10 ms ticks). */
#define WATCH_NANOS 200000000L
#define OTHERS_BUSY 0.5
#define OTHERS_IDLE 0.25

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards what follows */
static int cpus;                  /* tokens in all; 0: not counted */
static int seats;                 /* cores in parallel mode */
static int free_tokens;           /* tokens nobody holds */
static host_cpu_seat *all;        /* every seat, to find the longest holder */
static host_cpu_seat *head, *tail; /* cores waiting for a token, first come first served */
static uint32_t waiting;          /* cores in that queue (atomic: the pause hook reads it unlocked) */
static uint32_t counted;          /* tokens are counted (atomic: read unlocked on every entry to guest code) */
static int always;                /* JMCK_HOST_CPUS set: counted whenever cores outnumber host CPUs */
static int others_busy;           /* the watcher saw other processes use a host CPU's worth */
static int watching;              /* the watcher thread runs */

static void *watch(void *unused);

/* The tokens the seats hold (locked). */
static int tokens_held(void)
{
	int held = 0;
	for (host_cpu_seat *s = all; s; s = s->next)
		held += s->held;
	return held;
}

/* Whether tokens are counted now; when they stop being counted, the cores in line get tokens (locked). */
static void recount(void)
{
	int outnumbered = cpus > 0 && seats > cpus, now = outnumbered && (always || others_busy);
	if (outnumbered && !always && !watching) {
		pthread_t t;
		watching = pthread_create(&t, NULL, watch, NULL) == 0;
		if (watching)
			pthread_detach(t);
	}
	if (now && !counted) /* the tokens held are those granted when counting stopped, not yet given back */
		free_tokens = cpus - tokens_held();
	if (!now) {
		for (host_cpu_seat *s = head; s; s = s->queued) {
			s->held = 1;
			s->since = 0;
			__atomic_store_n(&s->granted, 1, __ATOMIC_RELEASE);
			syscall(SYS_futex, &s->granted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		}
		head = tail = NULL;
		__atomic_store_n(&waiting, 0, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&counted, now, __ATOMIC_SEQ_CST);
}

static uint64_t clock_nanos(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t now_nanos(void)
{
	return clock_nanos(CLOCK_MONOTONIC);
}

/* The host's busy CPU time in nanoseconds, all CPUs, from /proc/stat's ticks (the watcher takes this process's own off). */
static int host_busy_nanos(uint64_t *busy)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq,
			&softirq, &steal);
	fclose(f);
	if (n != 8)
		return 0;
	*busy = (user + nice + system + irq + softirq + steal) * (1000000000ull / sysconf(_SC_CLK_TCK));
	return 1;
}

/* The watcher: every WATCH_NANOS, how many CPUs' worth other processes used (stolen time included). */
static void *watch(void *unused)
{
	uint64_t busy0 = 0, own0 = clock_nanos(CLOCK_PROCESS_CPUTIME_ID);
	if (!host_busy_nanos(&busy0))
		return NULL; /* no /proc: tokens stay off unless asked for */
	for (;;) {
		struct timespec pause = {0, WATCH_NANOS};
		nanosleep(&pause, NULL);
		uint64_t busy1, own1 = clock_nanos(CLOCK_PROCESS_CPUTIME_ID);
		if (!host_busy_nanos(&busy1))
			return NULL;
		double others = ((double)busy1 - busy0 - ((double)own1 - own0)) / WATCH_NANOS;
		busy0 = busy1;
		own0 = own1;
		pthread_mutex_lock(&lock);
		if (others >= OTHERS_BUSY || others < OTHERS_IDLE) {
			int busy = others >= OTHERS_BUSY;
			if (busy != others_busy) {
				others_busy = busy;
				recount();
			}
		}
		pthread_mutex_unlock(&lock);
	}
}

void host_cpus_set(int n)
{
	pthread_mutex_lock(&lock);
	const char *setting = getenv("JMCK_HOST_CPUS"); /* NativeCore reads the number; here only whether it is set */
	always = setting && *setting;
	cpus = n > 0 ? n : 0;
	free_tokens = cpus - tokens_held();
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

/* Whether a core in line should have a token before the spinners that queued just now (locked). */
static int eligible(const host_cpu_seat *s, uint64_t now)
{
	return !s->spun || now - s->queued_at >= SPINNER_NANOS;
}

/* The link to the first eligible core in line (locked; NULL if none is). */
static host_cpu_seat **first_eligible(uint64_t now)
{
	for (host_cpu_seat **p = &head; *p; p = &(*p)->queued)
		if (eligible(*p, now))
			return p;
	return NULL;
}

int host_cpus_worth_handing_over(void)
{
	pthread_mutex_lock(&lock);
	int worth = first_eligible(now_nanos()) != NULL;
	pthread_mutex_unlock(&lock);
	return worth;
}

/* The token of a holder goes to the next core in line, or back to the free ones (locked). */
static void pass_on(host_cpu_seat *holder)
{
	holder->held = 0;
	uint64_t now = now_nanos();
	host_cpu_seat **link = first_eligible(now);
	if (!link && head)
		link = &head; /* only spinners that queued just now: the first of them */
	if (!link) {
		free_tokens++;
		return;
	}
	host_cpu_seat *next = *link;
	*link = next->queued;
	if (tail == next) {
		tail = NULL;
		for (host_cpu_seat *s = head; s; s = s->queued)
			tail = s;
	}
	__atomic_fetch_sub(&waiting, 1, __ATOMIC_SEQ_CST);
	next->held = 1;
	next->since = now;
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
	if (seat->held || !counted) { /* counting may have stopped since the look above */
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
	seat->spun = seat->spinning;
	seat->queued_at = now_nanos();
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
