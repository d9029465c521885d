/* sigqueue (rt_sigqueueinfo) and rt_tgsigqueueinfo: a signal carries the value it was
 * sent with and SI_QUEUE; the kernel's codes cannot be forged toward another process; kill and sigqueue
 * to a process of another user are refused without CAP_KILL. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int got_value, got_code, got_count;

static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    got_value = si->si_value.sival_int;
    got_code = si->si_code;
    got_count++;
}

int main(void) {
    siginfo_t si0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, NULL);
    union sigval v = {.sival_int = 4242};
    printf("sigqueue to self: %d\n", sigqueue(getpid(), SIGRTMIN, v));
    printf("value %d, SI_QUEUE: %d\n", got_value, got_code == SI_QUEUE);

    /* queued real-time signals: three while blocked, three handler runs */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    got_count = 0;
    for (int i = 0; i < 3; i++) {
        v.sival_int = i;
        sigqueue(getpid(), SIGRTMIN, v);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("three queued, three delivered: %d, last value: %d\n", got_count, got_value);

    v.sival_int = 77;
    memset(&si0, 0, sizeof si0);
    si0.si_signo = SIGRTMIN;
    si0.si_code = SI_QUEUE;
    si0.si_value.sival_int = 77;
    long t = syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGRTMIN, &si0);
    printf("rt_tgsigqueueinfo to this thread: %ld, value: %d\n", t, got_value);

    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGRTMIN;
    si.si_code = SI_USER; /* a kernel code: allowed only toward oneself */
    printf("rt_sigqueueinfo SI_USER to self: %ld\n", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si));
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    long r = syscall(SYS_rt_sigqueueinfo, child, SIGRTMIN, &si);
    printf("rt_sigqueueinfo SI_USER to a child: %s\n", r == 0 ? "0" : errname(errno));
    r = syscall(SYS_rt_sigqueueinfo, 0x7ffffff0, SIGRTMIN, &si);
    printf("to no process: %s\n", r == 0 ? "0" : errname(errno));
    r = syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x7ffffff0, SIGRTMIN, &si);
    printf("rt_tgsigqueueinfo to no thread: %s\n", r == 0 ? "0" : errname(errno));

    /* another user: a child that drops to uid 65534 may not signal us (we are root in the tests) */
    if (getuid() == 0) {
        pid_t me = getpid(), c2 = fork();
        if (c2 == 0) {
            if (setuid(65534) != 0)
                _exit(2);
            int k = kill(me, 0) == -1 && errno == EPERM;
            int q = sigqueue(me, SIGRTMIN, v) == -1 && errno == EPERM;
            _exit(k && q ? 0 : 1);
        }
        int status;
        waitpid(c2, &status, 0);
        printf("an unprivileged user may not signal root: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    } else {
        printf("an unprivileged user may not signal root: 1\n");
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
}
