/* TLB shootdown under stress: `ipi_stress THREADS ROUNDS`. Each round one thread (a different one each round,
 * so on every core in turn) maps a fresh region and fills it, while the other threads read it without a
 * pause, so that their cores hold its translations; then it takes the mapping away, first making it
 * read-only, then unmapping it. Only after mprotect and munmap return does it tell the others, who then
 * must fault: a write after mprotect(PROT_READ), a read after munmap. A write or read that succeeds used a
 * stale translation a core kept; a wrong value read is a translation to the wrong frame. Prints the faults
 * seen and "no stale translation" when every check held. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mman.h>

#define PAGES 3
#define PAGE 4096
enum { IDLE, MAPPED, READ_ONLY, UNMAPPED };

static int nthreads, rounds;
static volatile long *volatile region;
static volatile int phase, round_no, finished; /* the last round whose mapper saw every acknowledgement */
static int acks; /* readers done with the current phase (atomic) */
static long stale_writes, stale_reads, wrong_values, write_faults, read_faults; /* atomic */
static __thread sigjmp_buf on_fault;
static __thread volatile int expecting;

static void segv(int sig)
{
	(void)sig;
	if (expecting)
		siglongjmp(on_fault, 1);
	abort();
}

/* A spin-wait step that gives the CPU away now and then: there may be more threads than CPUs. */
static void relax(unsigned *spins)
{
	if (++*spins % 256 == 0)
		sched_yield();
	else
		__asm__ volatile("pause");
}

static void wait_phase(int r, int p)
{
	unsigned spins = 0;
	while (round_no != r || phase != p)
		relax(&spins);
}

/* A reader: keeps the region's translations hot, then checks that each downgrade reached its core. */
static void read_round(int r)
{
	wait_phase(r, MAPPED);
	long want = r * 1000L;
	for (int n = 0; phase == MAPPED; n++) {
		long v = region[(n % (PAGES * PAGE / 8))];
		if (v != want + (n % (PAGES * PAGE / 8)) % 7)
			__atomic_add_fetch(&wrong_values, 1, __ATOMIC_SEQ_CST);
		if (n == 1000)
			__atomic_add_fetch(&acks, 1, __ATOMIC_SEQ_CST);
	}
	wait_phase(r, READ_ONLY);
	expecting = 1;
	if (sigsetjmp(on_fault, 1) == 0) {
		region[r % (PAGES * PAGE / 8)] = -1; /* must fault: the mapping is read-only now */
		__atomic_add_fetch(&stale_writes, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_add_fetch(&write_faults, 1, __ATOMIC_SEQ_CST);
	}
	expecting = 0;
	__atomic_add_fetch(&acks, 1, __ATOMIC_SEQ_CST);
	wait_phase(r, UNMAPPED);
	expecting = 1;
	if (sigsetjmp(on_fault, 1) == 0) {
		long v = region[(r * 13) % (PAGES * PAGE / 8)]; /* must fault: the mapping is gone */
		(void)v;
		__atomic_add_fetch(&stale_reads, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_add_fetch(&read_faults, 1, __ATOMIC_SEQ_CST);
	}
	expecting = 0;
	__atomic_add_fetch(&acks, 1, __ATOMIC_SEQ_CST);
}

static void await_acks(int n)
{
	unsigned spins = 0;
	while (__atomic_load_n(&acks, __ATOMIC_SEQ_CST) < n)
		relax(&spins);
	__atomic_store_n(&acks, 0, __ATOMIC_SEQ_CST);
}

/* The round's mapper: map, fill, let the others read; downgrade, tell them; unmap, tell them. */
static void map_round(int r)
{
	long *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	for (int i = 0; i < PAGES * PAGE / 8; i++)
		p[i] = r * 1000L + i % 7;
	region = p;
	round_no = r;
	phase = MAPPED;
	await_acks(nthreads - 1); /* every reader's core has read it */
	if (mprotect(p, PAGES * PAGE, PROT_READ) != 0) {
		perror("mprotect");
		exit(2);
	}
	phase = READ_ONLY;
	await_acks(nthreads - 1);
	if (munmap(p, PAGES * PAGE) != 0) {
		perror("munmap");
		exit(2);
	}
	phase = UNMAPPED;
	await_acks(nthreads - 1);
	finished = r;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int r = 1; r <= rounds; r++) {
		unsigned spins = 0;
		while (finished != r - 1) /* the acknowledgements of one round must not count for the next */
			relax(&spins);
		if (r % nthreads == id)
			map_round(r);
		else
			read_round(r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	nthreads = argc > 1 ? atoi(argv[1]) : 2;
	rounds = argc > 2 ? atoi(argv[2]) : 1000;
	if (nthreads < 2 || nthreads > 64 || rounds < 1) {
		fprintf(stderr, "usage: ipi_stress THREADS(2-64) ROUNDS\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = segv, .sa_flags = SA_NODEFER};
	sigaction(SIGSEGV, &sa, NULL);
	pthread_t t[64];
	for (int i = 1; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	worker(0);
	for (int i = 1; i < nthreads; i++)
		pthread_join(t[i], NULL);
	long checks = (long)rounds * (nthreads - 1);
	printf("rounds %d, threads %d: write faults %ld of %ld, read faults %ld of %ld\n", rounds, nthreads, write_faults,
	       checks, read_faults, checks);
	printf("stale writes %ld, stale reads %ld, wrong values %ld\n", stale_writes, stale_reads, wrong_values);
	int ok = stale_writes == 0 && stale_reads == 0 && wrong_values == 0 && write_faults == checks && read_faults == checks;
	printf("%s\n", ok ? "no stale translation" : "STALE TRANSLATIONS");
	return ok ? 0 : 1;
}
