/* pthreads under the LWK: `threads N` runs each test with N threads and prints results that do not depend
 * on timing, so the output matches Linux exactly when synchronization works:
 *   mutex     - a plain counter incremented under a pthread mutex
 *   atomic    - lock xadd, lock cmpxchg loops, xchg spinlocks and cmpxchg16b, all on shared words
 *   condvar   - a bounded queue with two condition variables (producers and consumers)
 *   barrier   - phases separated by pthread_barrier_wait; each phase checks the last one's writes
 *   join      - return values through pthread_join, thread ids distinct, gettid != getpid in threads
 *   spin      - threads spin on a flag with no syscall until the last one sets it (needs preemption)
 * `threads N TEST|all REPS` runs the tests REPS times and prints one line per test: how many runs were right. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROUNDS 5000
static int nthreads;

/* ---- mutex ---- */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long plain_counter;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		long v = plain_counter; /* a read-modify-write that only the mutex makes safe */
		__asm__ volatile("" ::: "memory");
		plain_counter = v + 1;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* ---- atomic ---- */
static long xadd_counter, cas_counter, spin_counter;
static volatile int spinlock;
static __int128 wide __attribute__((aligned(16)));

static int cmpxchg16b(__int128 *p, __int128 *expected, __int128 desired)
{
	uint64_t lo = (uint64_t)desired, hi = (uint64_t)(desired >> 64);
	uint64_t elo = (uint64_t)*expected, ehi = (uint64_t)(*expected >> 64);
	unsigned char ok;
	__asm__ volatile("lock cmpxchg16b %1; sete %0"
			 : "=q"(ok), "+m"(*p), "+a"(elo), "+d"(ehi)
			 : "b"(lo), "c"(hi)
			 : "memory", "cc");
	*expected = ((__int128)ehi << 64) | elo;
	return ok;
}

static void *atomic_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		__atomic_fetch_add(&xadd_counter, 1, __ATOMIC_SEQ_CST);
		long old = __atomic_load_n(&cas_counter, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&cas_counter, &old, old + 2, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		while (__atomic_exchange_n(&spinlock, 1, __ATOMIC_ACQUIRE)) /* xchg */
			while (spinlock)
				;
		spin_counter += 3;
		__atomic_store_n(&spinlock, 0, __ATOMIC_RELEASE);
		__int128 e = wide;
		while (!cmpxchg16b(&wide, &e, e + ((__int128)1 << 64) + 1))
			;
	}
	return NULL;
}

/* ---- condvar ---- */
#define QSIZE 8
static int queue[QSIZE], qhead, qcount;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static long consumed_sum, consumed_items;

static void *producer(void *arg)
{
	long id = (long)arg;
	for (int i = 1; i <= 2000; i++) {
		pthread_mutex_lock(&qlock);
		while (qcount == QSIZE)
			pthread_cond_wait(&notfull, &qlock);
		queue[(qhead + qcount++) % QSIZE] = (int)(id * 100000 + i);
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&qlock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&qlock);
		while (qcount == 0)
			pthread_cond_wait(&notempty, &qlock);
		int v = queue[qhead];
		qhead = (qhead + 1) % QSIZE;
		qcount--;
		consumed_sum += v;
		consumed_items++;
		pthread_cond_broadcast(&notfull);
		pthread_mutex_unlock(&qlock);
	}
	return NULL;
}

/* ---- barrier ---- */
static pthread_barrier_t barrier;
static int *slots;
static long barrier_errors;

static void *barrier_worker(void *arg)
{
	long id = (long)arg;
	for (int phase = 1; phase <= 50; phase++) {
		slots[id] = phase;
		pthread_barrier_wait(&barrier);
		for (int j = 0; j < nthreads; j++) /* every thread wrote this phase before anyone passed */
			if (slots[j] != phase)
				__atomic_fetch_add(&barrier_errors, 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

/* ---- join ---- */
static pid_t tids[64];

static void *join_worker(void *arg)
{
	long id = (long)arg;
	tids[id] = (pid_t)syscall(SYS_gettid);
	return (void *)(id * id + 1);
}

/* ---- spin ---- */
static volatile int arrived, go;

static void *spin_worker(void *arg)
{
	(void)arg;
	int me = __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	if (me == nthreads)
		go = 1; /* the last one releases everybody */
	while (!go)
		; /* no syscall: only preemption lets the releasing thread run on a shared core */
	return NULL;
}

static void run(void *(*fn)(void *), int n, long argmul)
{
	pthread_t t[64];
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)(argmul ? argmul : i))) {
			perror("pthread_create");
			exit(2);
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* One round of every test selected; each returns whether its result was exactly right. */
static int test_mutex(int n)
{
	plain_counter = 0;
	run(mutex_worker, n, 0);
	return plain_counter == (long)n * ROUNDS;
}

static int test_atomic(int n)
{
	xadd_counter = cas_counter = spin_counter = 0;
	wide = 0;
	run(atomic_worker, n, 0);
	long want = (long)n * ROUNDS;
	return xadd_counter == want && cas_counter == 2 * want && spin_counter == 3 * want &&
	       (long)(wide >> 64) == want && (long)(uint64_t)wide == want;
}

static int test_condvar(int n)
{
	pthread_t p[64], c;
	consumed_sum = consumed_items = 0;
	for (long i = 0; i < n; i++)
		pthread_create(&p[i], NULL, producer, (void *)(i + 1));
	pthread_create(&c, NULL, consumer, (void *)(2000L * n));
	for (int i = 0; i < n; i++)
		pthread_join(p[i], NULL);
	pthread_join(c, NULL);
	long expect = 0;
	for (long i = 1; i <= n; i++)
		expect += i * 100000 * 2000 + 2000L * 2001 / 2;
	return consumed_items == 2000L * n && consumed_sum == expect;
}

static int test_barrier(int n)
{
	slots = calloc(n, sizeof *slots);
	barrier_errors = 0;
	pthread_barrier_init(&barrier, NULL, n);
	run(barrier_worker, n, 0);
	pthread_barrier_destroy(&barrier);
	free(slots);
	return barrier_errors == 0;
}

static int test_join(int n)
{
	pthread_t t[64];
	long sum = 0, want = 0;
	for (long i = 0; i < n; i++) {
		pthread_create(&t[i], NULL, join_worker, (void *)i);
		want += i * i + 1;
	}
	for (long i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	int distinct = 1;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] == getpid())
				distinct = 0;
	return sum == want && distinct;
}

static int test_spin(int n)
{
	arrived = go = 0;
	run(spin_worker, n, 0);
	return arrived == n;
}

int main(int argc, char **argv)
{
	nthreads = argc > 1 ? atoi(argv[1]) : 4;
	if (nthreads < 1 || nthreads > 64)
		return 2;
	const char *only = argc > 2 && strcmp(argv[2], "all") ? argv[2] : NULL;
	int reps = argc > 3 ? atoi(argv[3]) : 1;
	static const struct {
		const char *name;
		int (*fn)(int);
	} tests[] = {{"mutex", test_mutex}, {"atomic", test_atomic}, {"condvar", test_condvar},
		     {"barrier", test_barrier}, {"join", test_join}, {"spin", test_spin}};
	for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		int right = 0;
		for (int r = 0; r < reps; r++)
			right += tests[i].fn(nthreads);
		printf("%s with %d thread(s): %d of %d runs right\n", tests[i].name, nthreads, right, reps);
	}
	return 0;
}
