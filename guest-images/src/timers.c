/* Interval timers (alarm, setitimer, getitimer) and POSIX timers (timer_create with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID, SIGEV_NONE and the C library's SIGEV_THREAD; timer_settime absolute and relative,
 * timer_gettime, timer_getoverrun, timer_delete), printed so that the output does not depend on timing. */
// guest-ldflags: -pthread -lrt
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile int alarms, profs, rt_count, rt_code, rt_value, rt_tid_ok;
static volatile pid_t main_tid;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void on_alarm_disarming(int sig) {
    (void)sig;
    if (++alarms == 1000) {
        struct itimerval zero = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &zero, NULL);
    }
}

static void on_prof(int sig) {
    (void)sig;
    profs++;
}

static void on_rt(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    rt_count++;
    rt_code = si->si_code;
    rt_value = si->si_value.sival_int;
    rt_tid_ok = syscall(SYS_gettid) == main_tid;
}

/* Waits until *counter is nonzero-or-at-least min, with sig blocked between checks so that it cannot come
 * between a check and the wait (pause() could wait for ever). */
static void wait_for(volatile int *counter, int min, int sig) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigdelset(&old, sig);
    while (*counter < min)
        sigsuspend(&old);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

static long elapsed_ms(struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* sigevent's thread id (sigev_notify_thread_id, which older musl headers do not name) */
static void set_tid(struct sigevent *sev, pid_t tid) {
    memcpy((char *)sev + sizeof(union sigval) + 2 * sizeof(int), &tid, sizeof tid);
}

static volatile int thread_calls;
static void thread_notify(union sigval v) {
    if (v.sival_int == 77)
        thread_calls++;
}

int main(void) {
    main_tid = syscall(SYS_gettid);
    signal(SIGALRM, on_alarm);

    /* alarm: the seconds left of the previous one */
    printf("alarm(100) first: %u\n", alarm(100));
    printf("alarm(5) after it: %u\n", alarm(5));
    printf("alarm(0) after that: %u\n", alarm(0));

    /* setitimer / getitimer */
    struct itimerval v = {{0, 0}, {30, 0}}, old;
    printf("setitimer REAL 30 s: %d\n", setitimer(ITIMER_REAL, &v, NULL));
    getitimer(ITIMER_REAL, &old);
    printf("getitimer left between 29 and 30 s: %d, interval 0: %d\n", old.it_value.tv_sec >= 29 && old.it_value.tv_sec <= 30,
           old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 0);
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, &old);
    printf("disarming returns the old one: %d\n", old.it_value.tv_sec >= 29);
    getitimer(ITIMER_REAL, &old);
    printf("then getitimer: %ld %ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    printf("setitimer usec 1000000: %s\n", setitimer(ITIMER_REAL, &bad, NULL) == 0 ? "0" : errname(errno));
    printf("setitimer which 3: %s\n", setitimer(3, &v, NULL) == 0 ? "0" : errname(errno));

    /* a periodic ITIMER_REAL: 20 ms, waited for with pause */
    struct itimerval periodic = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &periodic, NULL);
    wait_for(&alarms, 3, SIGALRM);
    setitimer(ITIMER_REAL, &zero, NULL);
    printf("periodic SIGALRM: at least 3: %d\n", alarms >= 3);

    /* a 1 us periodic ITIMER_REAL, which the handler disarms at its 1000th signal (the timer waits for each
     * SIGALRM to be taken before it runs on: the kernel's thread once expired it without end) */
    struct timespec start;
    alarms = 0;
    signal(SIGALRM, on_alarm_disarming);
    struct itimerval tiny = {{0, 1}, {0, 1}};
    setitimer(ITIMER_REAL, &tiny, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (alarms < 1000 && elapsed_ms(&start) < 20000)
        ;
    printf("1 us periodic SIGALRM, disarmed by the 1000th: %d\n", alarms >= 1000); /* one may be pending still */
    signal(SIGALRM, on_alarm);

    /* ITIMER_PROF counts CPU time: a busy loop gets it */
    signal(SIGPROF, on_prof);
    struct itimerval prof = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_PROF, &prof, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long spin = 0;
    while (profs == 0 && elapsed_ms(&start) < 20000)
        spin++;
    printf("SIGPROF after CPU time: %d\n", profs);

    /* a forked child does not inherit interval timers */
    setitimer(ITIMER_REAL, &v, NULL);
    pid_t child = fork();
    if (child == 0) {
        getitimer(ITIMER_REAL, &old);
        _exit(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0 ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child's ITIMER_REAL is disarmed: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    setitimer(ITIMER_REAL, &zero, NULL);

    /* POSIX timer with SIGEV_SIGNAL and a value */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 1;
    sev.sigev_value.sival_int = 1234;
    timer_t t1;
    printf("timer_create REALTIME: %d\n", timer_create(CLOCK_REALTIME, &sev, &t1));
    struct itimerspec its = {{0, 0}, {0, 10000000}}, cur;
    printf("timer_settime 10 ms: %d\n", timer_settime(t1, 0, &its, NULL));
    wait_for(&rt_count, 1, SIGRTMIN + 1);
    printf("signal: code SI_TIMER: %d, value: %d, count: %d\n", rt_code == SI_TIMER, rt_value, rt_count);
    timer_gettime(t1, &cur);
    printf("after a one-shot expiry, disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    printf("timer_getoverrun: %d\n", timer_getoverrun(t1));

    /* absolute expiry on CLOCK_MONOTONIC */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its.it_value.tv_sec = now.tv_sec;
    its.it_value.tv_nsec = now.tv_nsec + 20000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    rt_count = 0;
    printf("timer_settime absolute: %d\n", timer_settime(t1, TIMER_ABSTIME, &its, NULL));
    wait_for(&rt_count, 1, SIGRTMIN + 1);
    printf("absolute expiry came: %d\n", rt_count);

    /* overruns: a periodic 1 ms timer while the signal is blocked; the one signal is waited for */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct itimerspec fast = {{0, 1000000}, {0, 1000000}};
    timer_settime(t1, 0, &fast, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (elapsed_ms(&start) < 100)
        ;
    siginfo_t si;
    int got = sigwaitinfo(&block, &si);
    printf("sigwaitinfo: the timer's signal: %d, SI_TIMER: %d, overruns in it: %d, timer_getoverrun agrees: %d\n",
           got == SIGRTMIN + 1, si.si_code == SI_TIMER, si.si_overrun > 5, timer_getoverrun(t1) == si.si_overrun);
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(t1, 0, &off, &cur);
    printf("disarm returns the interval: %ld ns\n", cur.it_interval.tv_nsec);
    /* a signal still queued when its timer is set again is dropped (Linux 6.13 and later) */
    struct itimerspec once = {{0, 0}, {0, 1000000}};
    timer_settime(t1, 0, &once, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (elapsed_ms(&start) < 50)
        ;
    sigset_t pend;
    sigpending(&pend);
    printf("expired while blocked: pending: %d\n", sigismember(&pend, SIGRTMIN + 1));
    timer_settime(t1, 0, &off, NULL);
    rt_count = 0;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("after re-arming, the queued signal was dropped: %d\n", rt_count == 0);
    printf("timer_delete: %d\n", timer_delete(t1));
    printf("timer_delete again: %s\n", timer_delete(t1) == 0 ? "0" : errname(errno));
    printf("timer_gettime deleted: %s\n", timer_gettime(t1, &cur) == 0 ? "0" : errname(errno));

    /* SIGEV_NONE: no signal, but it counts down */
    sev.sigev_notify = SIGEV_NONE;
    timer_t t2;
    timer_create(CLOCK_MONOTONIC, &sev, &t2);
    struct itimerspec ten = {{0, 0}, {10, 0}};
    timer_settime(t2, 0, &ten, NULL);
    timer_gettime(t2, &cur);
    printf("SIGEV_NONE counts down: %d\n", cur.it_value.tv_sec == 9 || cur.it_value.tv_sec == 10);
    timer_delete(t2);

    /* SIGEV_THREAD_ID: to this thread */
    rt_count = 0;
    sev.sigev_notify = SIGEV_THREAD_ID;
    set_tid(&sev, main_tid);
    timer_t t3;
    printf("timer_create THREAD_ID: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &t3));
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 5000000;
    timer_settime(t3, 0, &its, NULL);
    wait_for(&rt_count, 1, SIGRTMIN + 1);
    printf("to the main thread: %d\n", rt_tid_ok);
    timer_delete(t3);
    set_tid(&sev, 0x7fffffff);
    printf("THREAD_ID of no thread: %s\n", timer_create(CLOCK_MONOTONIC, &sev, &t3) == 0 ? "0" : errname(errno));

    /* SIGEV_THREAD: the C library runs the function in a thread */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = thread_notify;
    sev.sigev_value.sival_int = 77;
    timer_t t4;
    printf("timer_create SIGEV_THREAD: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &t4));
    timer_settime(t4, 0, &its, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (thread_calls == 0 && elapsed_ms(&start) < 20000)
        usleep(1000);
    printf("notify function ran: %d\n", thread_calls);
    timer_delete(t4);

    printf("timer_create bad clock: %s\n", timer_create(12345, NULL, &t4) == 0 ? "0" : errname(errno));
    printf("timer_create default (NULL sigevent): %d\n", timer_create(CLOCK_MONOTONIC, NULL, &t4));
    printf("timer_delete bad id: %s\n", syscall(SYS_timer_delete, 4242) == 0 ? "0" : errname(errno));
    return 0;
}
