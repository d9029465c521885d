/* Robust mutexes: a holder that ends without unlocking hands EOWNERDEAD to the next locker, whether it
 * was a thread that exited, a thread a waiter was blocked behind, a process that exited or one killed by a
 * signal (the kernel walks the holder's robust list as it ends); a mutex made consistent works again, one
 * unlocked without that becomes unusable (ENOTRECOVERABLE). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static pthread_mutex_t m;

static const char *r(int e) {
    return e == EOWNERDEAD ? "EOWNERDEAD" : e == ENOTRECOVERABLE ? "ENOTRECOVERABLE" : errname(e);
}

/* "what: lock's result, then: next's result", evaluated in that order */
#define TWO(what, a, then, b) do { const char *ra = r(a); printf("%s: %s, %s: %s\n", what, ra, then, r(b)); } while (0)

static void init_robust(pthread_mutex_t *mu, int pshared) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared)
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(mu, &a);
    pthread_mutexattr_destroy(&a);
}

static void *lock_and_exit(void *arg) {
    pthread_mutex_lock(&m);
    if (arg)
        usleep(100 * 1000); /* long enough for the main thread to block on the mutex */
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t th;

    init_robust(&m, 0);
    pthread_create(&th, NULL, lock_and_exit, NULL);
    pthread_join(th, NULL);
    printf("thread exited holding it, lock: %s\n", r(pthread_mutex_lock(&m)));
    TWO("consistent", pthread_mutex_consistent(&m), "unlock", pthread_mutex_unlock(&m));
    TWO("lock again", pthread_mutex_lock(&m), "unlock", pthread_mutex_unlock(&m));

    pthread_create(&th, NULL, lock_and_exit, &m);
    usleep(20 * 1000);
    printf("blocked while the holder exited, lock: %s\n", r(pthread_mutex_lock(&m)));
    pthread_join(th, NULL);
    TWO("unlock without consistent", pthread_mutex_unlock(&m), "lock", pthread_mutex_lock(&m));
    printf("trylock: %s\n", r(pthread_mutex_trylock(&m)));

    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init_robust(sm, 1);
    pid_t c = fork();
    if (c == 0) {
        pthread_mutex_lock(sm);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("process exited holding a shared one, lock: %s\n", r(pthread_mutex_lock(sm)));
    pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);

    int pipefd[2];
    pipe(pipefd);
    c = fork();
    if (c == 0) {
        pthread_mutex_lock(sm);
        write(pipefd[1], "x", 1);
        pause();
        _exit(0);
    }
    char x;
    read(pipefd[0], &x, 1);
    printf("held by a live process, trylock: %s\n", r(pthread_mutex_trylock(sm)));
    kill(c, SIGKILL);
    int status;
    waitpid(c, &status, 0);
    printf("holder killed (signal %d), lock: %s\n", WTERMSIG(status), r(pthread_mutex_lock(sm)));
    TWO("consistent", pthread_mutex_consistent(sm), "unlock", pthread_mutex_unlock(sm));

    /* The robust list as the kernel reads it, in shared memory the parent reads after the child ended: a
     * word the child owns (with waiters) gets FUTEX_OWNER_DIED, one another tid owns is left alone, and the
     * pending entry (list_op_pending) is handled even though it is not on the list. */
    struct node { struct node *next; int word; };
    struct shared { struct { struct node *list; long offset; struct node *pending; } head; struct node n[3]; } *s =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    c = fork();
    if (c == 0) {
        int tid = gettid();
        s->head.list = &s->n[0];
        s->head.offset = sizeof(struct node *);
        s->n[0].next = &s->n[1];
        s->n[1].next = (struct node *)&s->head;
        s->n[0].word = tid | 0x80000000;
        s->n[1].word = tid + 1;
        s->n[2].word = tid;
        s->head.pending = &s->n[2];
        printf("set_robust_list bad size: %s, ", syscall(SYS_set_robust_list, &s->head, 8) ? errname(errno) : "0");
        printf("good: %ld\n", syscall(SYS_set_robust_list, &s->head, sizeof s->head));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("owned with waiters: %#x, owned by another: %s, pending: %#x\n", s->n[0].word & 0xc0000000,
           (s->n[1].word & 0xc0000000) == 0 ? "unchanged" : "changed", s->n[2].word & 0xc0000000);
    return 0;
}
