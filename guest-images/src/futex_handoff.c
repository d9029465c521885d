/* Two threads hand a turn back and forth ROUNDS times through one futex word: each sleeps in
 * FUTEX_WAIT_PRIVATE until the word says it is its turn, then gives the turn away and wakes the other with
 * FUTEX_WAKE_PRIVATE. Meanwhile a third thread wakes a word nobody waits on, and the main thread checks the
 * wake's errors. The wake often comes while the other thread is about to sleep, not yet asleep: a kernel
 * that answers a wake without looking (as jmck's cores do when no thread waits) must still never lose one;
 * if it did, this would hang. Prints what must be the same everywhere. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static int turn; /* 0: the first thread's, 1: the second's */
static int idle_word;
static volatile int done;
static long rounds;
static long woken[2], idle_woken, idle_calls;

static long futex(int *word, int op, int val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static void *player(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (long i = 0; i < rounds; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
            futex(&turn, FUTEX_WAIT_PRIVATE, !me); /* EAGAIN if the turn came meanwhile */
        __atomic_store_n(&turn, !me, __ATOMIC_RELEASE);
        long n = futex(&turn, FUTEX_WAKE_PRIVATE, 1);
        if (n > 0)
            woken[me] += n;
    }
    return NULL;
}

static void *idler(void *arg)
{
    while (!done) {
        idle_woken += futex(&idle_word, FUTEX_WAKE_PRIVATE, 1);
        idle_calls++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 20000;
    pthread_t a, b, c;
    pthread_create(&c, NULL, idler, NULL);
    pthread_create(&a, NULL, player, (void *)0);
    pthread_create(&b, NULL, player, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    done = 1;
    pthread_join(c, NULL);
    printf("%ld rounds handed over, turn ends with %d\n", rounds, turn);
    printf("wakes on a word nobody waits on: %s\n", idle_calls > 0 && idle_woken == 0 ? "woke nobody" : "woke someone");
    /* what the kernel must still check itself: alignment, and the user half */
    long r = futex((int *)((char *)&idle_word + 1), FUTEX_WAKE_PRIVATE, 1);
    printf("misaligned: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = futex((int *)0xfffffffffffff000ull, FUTEX_WAKE_PRIVATE, 1);
    printf("kernel address: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = futex((int *)0x10, FUTEX_WAKE_PRIVATE, 1);
    printf("unmapped: %ld %s\n", r, r < 0 ? errname(errno) : "");
    return 0;
}
