/* The shared-counter test: `atomics THREADS ITERATIONS` has THREADS threads add 1 to shared counters
 * ITERATIONS times each, every counter with its own kind of atomic update, and prints each total. With
 * cores on parallel host threads, a total is exact only if the emulator keeps the instruction atomic:
 *   lock inc        - lock incq on an aligned word
 *   lock xadd       - lock xaddq
 *   lock cmpxchg    - a compare-and-swap retry loop
 *   xchg spinlock   - a plain increment under a lock taken with xchg (which locks without a prefix)
 *   cmpxchg16b      - lock cmpxchg16b on a 16-byte pair, both halves counted
 *   misaligned      - lock incl on a word 2 bytes before a cache-line boundary (TCG's stop-the-world path)
 *   page-crossing   - lock xaddl on a word 2 bytes before a page boundary
 * Threads spin at a start line first so that they really overlap. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static long iterations;
static volatile int ready, go;

static long inc_counter, xadd_counter, cas_counter, spin_counter;
static volatile int spinlock;
static __int128 pair __attribute__((aligned(16)));
/* Two pages, page-aligned: a misaligned word inside, and one that spans the two pages. */
static unsigned char area[8192] __attribute__((aligned(4096)));
#define MISALIGNED ((volatile int *)(area + 64 - 2))
#define PAGE_CROSSING ((volatile int *)(area + 4096 - 2))

static void cmpxchg16b_add1(__int128 *p)
{
	uint64_t elo = (uint64_t)*p, ehi = (uint64_t)(*p >> 64);
	unsigned char ok;
	do {
		uint64_t lo = elo + 1, hi = ehi + 1;
		__asm__ volatile("lock cmpxchg16b %1; sete %0"
				 : "=q"(ok), "+m"(*p), "+a"(elo), "+d"(ehi)
				 : "b"(lo), "c"(hi)
				 : "memory", "cc");
	} while (!ok);
}

static void *worker(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
	while (!go)
		__asm__ volatile("pause");
	for (long i = 0; i < iterations; i++) {
		__asm__ volatile("lock incq %0" : "+m"(inc_counter) : : "memory", "cc");
		long one = 1;
		__asm__ volatile("lock xaddq %0, %1" : "+r"(one), "+m"(xadd_counter) : : "memory", "cc");
		long seen = cas_counter, want;
		do {
			want = seen + 1;
		} while (!__atomic_compare_exchange_n(&cas_counter, &seen, want, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
		int taken = 1;
		do {
			taken = 1;
			__asm__ volatile("xchgl %0, %1" : "+r"(taken), "+m"(spinlock) : : "memory");
		} while (taken);
		long v = spin_counter; /* a read-modify-write only the spinlock makes safe */
		__asm__ volatile("" ::: "memory");
		spin_counter = v + 1;
		__atomic_store_n(&spinlock, 0, __ATOMIC_RELEASE);
		cmpxchg16b_add1(&pair);
		if (i % 64 == 0) { /* stop-the-world ops are slow under emulation: every 64th round */
			__asm__ volatile("lock incl %0" : "+m"(*MISALIGNED) : : "memory", "cc");
			int add = 1;
			__asm__ volatile("lock xaddl %0, %1" : "+r"(add), "+m"(*PAGE_CROSSING) : : "memory", "cc");
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	iterations = argc > 2 ? atol(argv[2]) : 100000;
	if (threads < 1 || threads > 64 || iterations < 1) {
		fprintf(stderr, "usage: atomics THREADS(1-64) ITERATIONS\n");
		return 2;
	}
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < threads)
		;
	go = 1;
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	long expect = threads * iterations, rare = threads * ((iterations + 63) / 64);
	printf("lock inc: %ld of %ld\n", inc_counter, expect);
	printf("lock xadd: %ld of %ld\n", xadd_counter, expect);
	printf("lock cmpxchg: %ld of %ld\n", cas_counter, expect);
	printf("xchg spinlock: %ld of %ld\n", spin_counter, expect);
	printf("cmpxchg16b: %ld and %ld of %ld\n", (long)(uint64_t)pair, (long)(uint64_t)(pair >> 64), expect);
	printf("misaligned lock inc: %d of %ld\n", *MISALIGNED, rare);
	printf("page-crossing lock xadd: %d of %ld\n", *PAGE_CROSSING, rare);
	int exact = inc_counter == expect && xadd_counter == expect && cas_counter == expect && spin_counter == expect
		&& (long)(uint64_t)pair == expect && (long)(uint64_t)(pair >> 64) == expect && *MISALIGNED == rare
		&& *PAGE_CROSSING == rare;
	printf("%s\n", exact ? "all exact" : "LOST UPDATES");
	return exact ? 0 : 1;
}
