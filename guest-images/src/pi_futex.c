/* Priority-inheritance futexes: pthread mutexes with PTHREAD_PRIO_INHERIT under contention (the kernel hands
 * a contended lock to the next waiter), the raw FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI and
 * FUTEX_UNLOCK_PI with their errors and timeouts, and an owner that exits holding one (robust: EOWNERDEAD to
 * the waiter; not robust: the waiter gets the lock). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

/* linux/futex.h's, which musl-gcc cannot include */
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_LOCK_PI2 13
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_TID_MASK 0x3fffffffu

static pthread_mutex_t m;
static long counter;

static const char *r(int e) {
    return e == EOWNERDEAD ? "EOWNERDEAD" : errname(e);
}

static const char *sys(long rv) {
    return rv == 0 ? "0" : errname(errno);
}

static long futex(uint32_t *word, int op, int val, const struct timespec *ts) {
    return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static void init_pi(pthread_mutex_t *mu, int robust) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    if (robust)
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(mu, &a);
    pthread_mutexattr_destroy(&a);
}

static void *adder(void *arg) {
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&m);
        long v = counter;
        if (i % 64 == 0)
            sched_yield(); /* let the others find it held */
        counter = v + 1;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *hold_and_exit(void *arg) {
    pthread_mutex_lock(&m);
    usleep(100 * 1000); /* the main thread blocks on it meanwhile */
    return NULL;
}

static uint32_t word;
static volatile int other_tid;

static void *lock_word(void *arg) {
    other_tid = gettid();
    futex(&word, FUTEX_LOCK_PI, 0, NULL);
    usleep(200 * 1000);
    futex(&word, FUTEX_UNLOCK_PI, 0, NULL);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t th[4];

    init_pi(&m, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, adder, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("4 threads x 2000 increments under a PI mutex: %ld\n", counter);
    const char *a = r(pthread_mutex_trylock(&m)), *b = r(pthread_mutex_trylock(&m));
    printf("trylock of a free one: %s, again: %s, unlock: %s\n", a, b, r(pthread_mutex_unlock(&m)));

    int tid = gettid();
    a = sys(futex(&word, FUTEX_LOCK_PI, 0, NULL));
    printf("LOCK_PI of a free word: %s, word is my tid: %d\n", a, word == (uint32_t)tid);
    a = sys(futex(&word, FUTEX_LOCK_PI, 0, NULL));
    printf("LOCK_PI again: %s, TRYLOCK_PI: %s\n", a, sys(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL)));
    a = sys(futex(&word, FUTEX_UNLOCK_PI, 0, NULL));
    printf("UNLOCK_PI: %s, word: %u\n", a, word);
    printf("UNLOCK_PI of a free word: %s\n", sys(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    printf("LOCK_PI with FUTEX_CLOCK_REALTIME: %s\n", sys(futex(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL)));
    printf("misaligned: %s\n", sys(futex((uint32_t *)((char *)&word + 1), FUTEX_LOCK_PI, 0, NULL)));

    pthread_create(&th[0], NULL, lock_word, NULL);
    while (word == 0)
        usleep(1000);
    a = sys(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL));
    printf("held by another thread: TRYLOCK_PI: %s, UNLOCK_PI: %s\n", a, sys(futex(&word, FUTEX_UNLOCK_PI, 0, NULL)));
    struct timespec now, ts;
    clock_gettime(CLOCK_REALTIME, &now);
    ts = now;
    ts.tv_nsec += 30 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    a = sys(futex(&word, FUTEX_LOCK_PI, 0, &ts));
    printf("LOCK_PI with a deadline 30 ms on: %s, waiters bit set: %d\n", a, (word & FUTEX_WAITERS) != 0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 30 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    printf("LOCK_PI2 with a monotonic deadline: %s\n", sys(futex(&word, FUTEX_LOCK_PI2, 0, &ts)));
    long rv = futex(&word, FUTEX_LOCK_PI, 0, NULL);
    printf("LOCK_PI waits for the unlock: %s, the word is mine: %d, owner was %d\n", sys(rv),
           (word & FUTEX_TID_MASK) == (uint32_t)tid, other_tid != 0);
    futex(&word, FUTEX_UNLOCK_PI, 0, NULL);
    pthread_join(th[0], NULL);

    init_pi(&m, 1);
    pthread_create(&th[0], NULL, hold_and_exit, NULL);
    usleep(20 * 1000);
    printf("robust PI mutex, owner exited while we waited: %s\n", r(pthread_mutex_lock(&m)));
    pthread_join(th[0], NULL);
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);
    return 0;
}
