/* signalfds: reading blocked signals as records (kill, tgkill, sigqueue values, SIGCHLD's status), poll and
 * epoll readiness that follows what is pending, a read that waits for a signal from another process or
 * thread, a new mask on an existing signalfd, readv, a forked child reading its own signals through an
 * inherited signalfd, and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static int readable(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void show(const char *what, struct signalfd_siginfo *s, int me) {
    printf("%s: signo %u, code %d, pid is %s, uid %u, int %d, status %d\n", what, s->ssi_signo, s->ssi_code,
           (int)s->ssi_pid == me ? "me" : s->ssi_pid ? "another" : "0", s->ssi_uid, s->ssi_int, s->ssi_status);
}

static int sfd;
static void *reader(void *arg) {
    (void)arg;
    struct signalfd_siginfo s;
    long n = read(sfd, &s, sizeof s);
    printf("a thread's blocking read: %s bytes, signo %u\n", outcome(n), s.ssi_signo);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int me = getpid();
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGRTMIN);
    sigaddset(&m, SIGCHLD);
    sigprocmask(SIG_BLOCK, &m, NULL);
    sfd = signalfd(-1, &m, 0);
    int fl = fcntl(sfd, F_GETFL);
    printf("signalfd: %s, FD_CLOEXEC %d, O_NONBLOCK %d\n", sfd >= 0 ? "fd" : outcome(-1), fcntl(sfd, F_GETFD), (fl & O_NONBLOCK) != 0);
    int nb = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("SFD_NONBLOCK|SFD_CLOEXEC: FD_CLOEXEC %d, O_NONBLOCK %d\n", fcntl(nb, F_GETFD), (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0);
    struct signalfd_siginfo s[4];
    int none = readable(sfd);
    printf("nothing pending: readable %d, nonblocking read %s\n", none, outcome(read(nb, s, sizeof s)));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    raise(SIGUSR1);
    int e = epoll_wait(ep, &out, 1, 1000);
    int after = readable(sfd);
    printf("after raise: readable %d, epoll %d data %u\n", after, e, out.data.u32);
    char small[64];
    printf("a short buffer: %s\n", outcome(read(sfd, small, sizeof small)));
    long n = read(sfd, s, sizeof s);
    printf("read: %s bytes\n", outcome(n));
    show("  raise", &s[0], me);
    sigset_t pend;
    sigpending(&pend);
    printf("taken: readable %d, still pending %d\n", readable(sfd), sigismember(&pend, SIGUSR1));
    union sigval v = {.sival_int = 99};
    sigqueue(me, SIGRTMIN, v);
    v.sival_int = 100;
    sigqueue(me, SIGRTMIN, v);
    kill(me, SIGUSR1);
    n = read(nb, s, sizeof s);
    printf("three pending, one read: %s bytes\n", outcome(n));
    show("  first", &s[0], me);
    show("  second", &s[1], me);
    show("  third", &s[2], me);
    printf("write: %s\n", outcome(write(sfd, s, sizeof s[0])));

    /* SIGCHLD from a child's exit */
    int c = fork();
    if (c == 0)
        _exit(9);
    n = read(sfd, s, sizeof s[0]);
    printf("SIGCHLD: %s bytes, signo %u, pid is the child %d, status %d, code CLD_EXITED %d\n", outcome(n), s[0].ssi_signo,
           (int)s[0].ssi_pid == c, s[0].ssi_status, s[0].ssi_code == CLD_EXITED);
    waitpid(c, NULL, 0);

    /* a blocking read: woken by another process's kill, and in a thread by a signal to the process */
    c = fork();
    if (c == 0) {
        usleep(100000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    n = read(sfd, s, sizeof s[0]);
    printf("blocking read, another process signals: %s bytes, signo %u, from the child %d\n", outcome(n), s[0].ssi_signo,
           (int)s[0].ssi_pid == c);
    waitpid(c, NULL, 0);
    read(nb, s, sizeof s); /* the SIGCHLD of that child */
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    usleep(100000);
    kill(me, SIGUSR1);
    pthread_join(th, NULL);

    /* a new mask on the same fd */
    sigset_t m2;
    sigemptyset(&m2);
    sigaddset(&m2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m2, NULL);
    raise(SIGUSR2);
    printf("SIGUSR2 pending, not in the mask: readable %d\n", readable(sfd));
    int same = signalfd(sfd, &m2, 0) == sfd;
    printf("signalfd(fd, new mask): same fd %d, readable %d\n", same, readable(sfd));
    struct iovec iov[2] = {{small, 20}, {(char *)&s[0] + 20, sizeof s[0] - 20}};
    n = readv(sfd, iov, 2);
    memcpy(&s[0], small, 20);
    printf("readv: %s bytes, signo %u\n", outcome(n), s[0].ssi_signo);

    /* a forked child reads its own signals through the inherited fd */
    signalfd(sfd, &m, 0);
    c = fork();
    if (c == 0) {
        raise(SIGUSR1);
        long k = read(sfd, s, sizeof s[0]);
        printf("child: read %s, pid is the child's %d\n", outcome(k), (int)s[0].ssi_pid == getpid());
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent after the child's read: readable %d (its SIGCHLD)\n", readable(sfd));
    read(sfd, s, sizeof s);

    int file = open("/proc/self/exe", O_RDONLY);
    const char *a = outcome(signalfd(file, &m, 0)), *b = outcome(signalfd(999, &m, 0));
    const char *d = outcome(syscall(SYS_signalfd4, -1, &m, 4, 0));
    printf("errors: not a signalfd %s, not open %s, sizemask 4 %s, flags %s\n", a, b, d,
           outcome(syscall(SYS_signalfd4, -1, &m, 8, 1)));
    return 0;
}
