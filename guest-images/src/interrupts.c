/* Signals end blocking calls that run on the host: a read from a pipe fails with EINTR after a handler
 * without SA_RESTART and goes on after one with it; poll fails with EINTR either way; an ignored signal
 * changes nothing; a signal from another process reaches a reader too; pthread_cancel ends a thread blocked
 * in read or poll and runs its cleanup handlers. A call that does not block (pipe, close) is never failed
 * by a signal: a shell that got EINTR from close left a pipe's end open and hung. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int handled;

static void handler(int sig) {
    handled++;
}

static void on(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void alarm_in(int ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* A child that writes one byte into fd after ms milliseconds. */
static pid_t write_later(int fd, int ms) {
    pid_t c = fork();
    if (c == 0) {
        usleep(ms * 1000);
        write(fd, "x", 1);
        _exit(0);
    }
    return c;
}

static const char *res(long r) {
    return r < 0 ? errname(errno) : r == 1 ? "1 byte" : "?";
}

static void cleanup(void *what) {
    printf("  cleanup handler of the %s thread ran\n", (char *)what);
}

static int fds[2];

static void *reader(void *what) {
    char b;
    pthread_cleanup_push(cleanup, what);
    read(fds[0], &b, 1);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *poller(void *what) {
    struct pollfd p = {fds[0], POLLIN, 0};
    pthread_cleanup_push(cleanup, what);
    poll(&p, 1, -1);
    pthread_cleanup_pop(0);
    return NULL;
}

static void cancel(void *(*f)(void *), char *what) {
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, f, what);
    usleep(100 * 1000);
    int rc = pthread_cancel(t);
    int j = pthread_join(t, &r);
    printf("pthread_cancel of a thread blocked in %s: %d, join %d, PTHREAD_CANCELED %d\n", what, rc, j,
           r == PTHREAD_CANCELED);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char b;
    pipe(fds);

    on(SIGALRM, handler, 0);
    alarm_in(100);
    long r = read(fds[0], &b, 1);
    printf("read, handler without SA_RESTART: %s, handler ran %d\n", res(r), handled);

    on(SIGALRM, handler, SA_RESTART);
    handled = 0;
    pid_t c = write_later(fds[1], 400);
    alarm_in(100);
    r = read(fds[0], &b, 1);
    printf("read, handler with SA_RESTART: %s, handler ran %d\n", res(r), handled);
    waitpid(c, NULL, 0);

    handled = 0;
    struct pollfd p = {fds[0], POLLIN, 0};
    alarm_in(100);
    r = poll(&p, 1, -1);
    printf("poll, handler with SA_RESTART: %s, handler ran %d\n", r < 0 ? errname(errno) : "returned", handled);

    on(SIGALRM, SIG_IGN, 0);
    c = write_later(fds[1], 400);
    alarm_in(100);
    r = read(fds[0], &b, 1);
    printf("read, signal ignored: %s\n", res(r));
    waitpid(c, NULL, 0);

    on(SIGUSR1, handler, 0);
    handled = 0;
    pid_t parent = getpid();
    c = fork();
    if (c == 0) {
        usleep(100 * 1000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    r = read(fds[0], &b, 1);
    printf("read, SIGUSR1 from another process: %s, handler ran %d\n", res(r), handled);
    waitpid(c, NULL, 0);

    cancel(reader, "read");
    cancel(poller, "poll");

    /* SIGUSR2 blocked; ppoll and pselect let it through */
    sigset_t usr2, none, now;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigemptyset(&none);
    on(SIGUSR2, handler, 0);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
    for (int pselect_too = 0; pselect_too < 3; pselect_too++) {
        handled = 0;
        c = fork();
        if (c == 0) {
            usleep(100 * 1000);
            kill(parent, SIGUSR2);
            _exit(0);
        }
        if (pselect_too == 2) {
            r = epoll_pwait(ep, &out, 1, -1, &none);
        } else if (pselect_too) {
            fd_set rd;
            FD_ZERO(&rd);
            FD_SET(fds[0], &rd);
            r = pselect(fds[0] + 1, &rd, NULL, NULL, NULL, &none);
        } else {
            r = ppoll(&p, 1, NULL, &none);
        }
        int e = errno;
        sigprocmask(SIG_BLOCK, NULL, &now);
        printf("%s with SIGUSR2 let through: %s, handler ran %d, SIGUSR2 blocked again: %d\n",
               pselect_too == 2 ? "epoll_pwait" : pselect_too ? "pselect" : "ppoll", r < 0 ? errname(e) : "returned", handled, sigismember(&now, SIGUSR2));
        waitpid(c, NULL, 0);
    }
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    r = ppoll(&p, 1, &ten_ms, &none);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("ppoll timing out: %ld, SIGUSR2 blocked again: %d\n", r, sigismember(&now, SIGUSR2));
    kill(getpid(), SIGUSR2);
    handled = 0;
    r = ppoll(&p, 1, &ten_ms, &usr2);
    printf("ppoll with SIGUSR2 pending and blocked: %ld, handler ran %d\n", r, handled);
    r = ppoll(&p, 1, &ten_ms, &none);
    printf("ppoll with SIGUSR2 pending, let through: %s, handler ran %d\n", r < 0 ? errname(errno) : "returned", handled);

    /* Signals from another process every 100 us, handler without SA_RESTART, while pipes open and close. */
    on(SIGUSR1, handler, 0);
    handled = 0;
    parent = getpid();
    c = fork();
    if (c == 0)
        for (;;) {
            kill(parent, SIGUSR1);
            usleep(100);
        }
    int failed = 0;
    for (int i = 0; i < 3000; i++) {
        int q[2];
        if (pipe(q) < 0) {
            failed++;
            continue;
        }
        failed += (close(q[0]) < 0) + (close(q[1]) < 0);
    }
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    printf("pipe and close with signals coming: %d failed, handler ran: %d\n", failed, handled > 0);
    return 0;
}
