/*
 * Process ids and signals as LTP's tests found them: tgkill's EINVAL and its EAGAIN past
 * RLIMIT_SIGPENDING, rt_sigqueueinfo to a thread's id, SA_RESETHAND keeping SA_SIGINFO, timer_create with
 * SIGEV_THREAD, clock_nanosleep's errors, personality, a zombie's scheduling settings, setpgid of a child
 * that has run execve, sysinfo's uptime, and pid 1 (init, outside the LWK) as seen by root and by another
 * user. Compared with Linux by LtpFoundAbiTest.processIdsAndSignals.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile int got, info_kept;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	struct sigaction now;
	sigaction(sig, NULL, &now);
	info_kept = (now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL;
	got = sig;
}

static pid_t thread_tid;
static pthread_barrier_t barrier;

static void *thread_fn(void *arg)
{
	thread_tid = syscall(SYS_gettid);
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static long init_stat_field(int n)
{
	char buf[512];
	FILE *f = fopen("/proc/1/stat", "r");
	if (!f)
		return -1;
	size_t len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = 0;
	char *p = strrchr(buf, ')') + 2;
	for (int i = 3; i < n; i++)
		p = strchr(p, ' ') + 1;
	return atol(p);
}

int main(int argc, char **argv)
{
	const char *r;
	if (argc > 1) { /* the exec'd child of the setpgid check */
		pause();
		return 0;
	}
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_RESETHAND: handler ran: %d, SA_SIGINFO kept and handler reset: %d\n", got == SIGUSR1, info_kept);

	r = outcome(syscall(SYS_tgkill, -1, getpid(), 0));
	printf("tgkill with tgid -1: %s, with tid -1: %s\n", r, outcome(syscall(SYS_tgkill, getpid(), -1, 0)));
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	struct rlimit zero, old;
	getrlimit(RLIMIT_SIGPENDING, &old);
	zero = old;
	zero.rlim_cur = 0; /* the hard limit stays: raising it again would need CAP_SYS_RESOURCE */
	setrlimit(RLIMIT_SIGPENDING, &zero);
	r = outcome(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGRTMIN));
	printf("tgkill of a real-time signal past RLIMIT_SIGPENDING: %s\n", r);
	union sigval v = {.sival_int = 5};
	r = outcome(sigqueue(getpid(), SIGRTMIN, v));
	printf("sigqueue past it: %s\n", r);
	setrlimit(RLIMIT_SIGPENDING, &old);
	struct timespec none = {0, 0};
	while (sigtimedwait(&rt, NULL, &none) > 0)
		;

	pthread_t th;
	pthread_barrier_init(&barrier, NULL, 2);
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_barrier_wait(&barrier);
	siginfo_t si = {0};
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 42;
	r = outcome(syscall(SYS_rt_sigqueueinfo, thread_tid, SIGRTMIN, &si));
	siginfo_t taken;
	int sig = sigtimedwait(&rt, &taken, &none);
	printf("rt_sigqueueinfo to a thread's id: %s, taken by the process: %d, value %d\n", r, sig == SIGRTMIN,
	       taken.si_value.sival_int);
	pthread_barrier_wait(&barrier);
	pthread_join(th, NULL);

	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_signo = SIGUSR2;
	int timer;
	r = outcome(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer));
	printf("timer_create with SIGEV_THREAD (the raw call): %s\n", r);

	struct timespec ts = {0, 1000};
	r = outcome(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL));
	printf("clock_nanosleep on the thread's CPU clock: %s, on clock 100: %s\n", r,
	       outcome(syscall(SYS_clock_nanosleep, 100, 0, &ts, NULL)));

	int before = personality(0xffffffff);
	personality(PER_LINUX32);
	printf("personality: %#x, after PER_LINUX32: %#x\n", before, personality(0xffffffff));
	fflush(stdout);
	pid_t child = fork();
	if (child == 0)
		_exit(personality(0xffffffff) == PER_LINUX32 ? 3 : 4);
	int st;
	waitpid(child, &st, 0);
	printf("a child inherits it: %d\n", WEXITSTATUS(st) == 3);
	personality(PER_LINUX);

	child = fork();
	if (child == 0)
		_exit(0);
	siginfo_t ws;
	waitid(P_PID, child, &ws, WEXITED | WNOWAIT);
	struct sched_param sp = {7};
	r = outcome(syscall(SYS_sched_getparam, child, &sp));
	printf("sched_getparam of a zombie: %s, priority %d, sched_getscheduler: %s\n", r, sp.sched_priority,
	       outcome(syscall(SYS_sched_getscheduler, child))); /* musl's wrappers are ENOSYS */
	waitpid(child, NULL, 0);

	int cloexec[2];
	char c;
	pipe2(cloexec, O_CLOEXEC);
	child = fork();
	if (child == 0) {
		execl(argv[0], argv[0], "wait", (char *) NULL);
		_exit(1);
	}
	close(cloexec[1]);
	read(cloexec[0], &c, 1); /* end of file: the child has run execve */
	r = outcome(setpgid(child, child));
	printf("setpgid of a child after its execve: %s\n", r);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	/* sysinfo rounds the uptime up, so one read after it never shows an earlier second; checked across
	 * a tick of /proc/uptime's seconds, where a truncated uptime would fall behind */
	int uptime_ok = 1, ticks = 0;
	long first_up = -1;
	for (int i = 0; i < 100000 && ticks < 1 && uptime_ok; i++) {
		struct sysinfo info;
		sysinfo(&info);
		long host_up;
		FILE *u = fopen("/proc/uptime", "r");
		fscanf(u, "%ld", &host_up);
		fclose(u);
		uptime_ok = info.uptime >= host_up && info.uptime - host_up <= 2;
		if (first_up < 0)
			first_up = host_up;
		ticks = host_up != first_up;
	}
	printf("sysinfo uptime matches /proc/uptime: %d\n", uptime_ok);

	printf("getpgid(1) is /proc/1/stat's: %d, getsid(1) too: %d\n", getpgid(1) == init_stat_field(5),
	       getsid(1) == init_stat_field(6));
	sp.sched_priority = 0;
	r = outcome(syscall(SYS_sched_getscheduler, 1));
	printf("sched_getscheduler(1): %s, sched_setscheduler(1, 99): %s\n", r,
	       outcome(syscall(SYS_sched_setscheduler, 1, 99, &sp)));
	errno = 0;
	r = outcome(getpriority(PRIO_PROCESS, 1));
	printf("getpriority of init: %s\n", r);
	fflush(stdout);
	pid_t parent = getpid();
	child = fork();
	if (child == 0) {
		setresgid(65534, 65534, 65534);
		setresuid(65534, 65534, 65534);
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		void *head;
		size_t len;
		r = outcome(setpriority(PRIO_PROCESS, 1, -2));
		printf("as another user: setpriority of init: %s, sched_setscheduler of init: %s\n", r,
		       outcome(syscall(SYS_sched_setscheduler, 1, SCHED_OTHER, &sp)));
		r = outcome(syscall(SYS_get_robust_list, 1, &head, &len));
		printf("as another user: get_robust_list of init: %s, sched_setaffinity of root's process: %s\n", r,
		       outcome(sched_setaffinity(parent, sizeof set, &set)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	return 0;
}
