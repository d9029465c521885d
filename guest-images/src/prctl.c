/*
 * prctl settings read back as Linux gives them: timer slack (per thread, 0 resets it to the default a
 * child starts with, /proc/self/timerslack_ns), a child subreaper that adopts and reaps an orphaned
 * grandchild and gets its SIGCHLD, NoNewPrivs in /proc/self/status, PR_SET_THP_DISABLE, the timing
 * and speculation options. Compared with Linux by LtpFoundAbiTest.prctlSettings.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int sigchld;

static void on_chld(int sig)
{
	sigchld++;
}

static long proc_long(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof line, f))
		if (!key ? sscanf(line, "%ld", &v) == 1 : strncmp(line, key, strlen(key)) == 0
		    && sscanf(line + strlen(key), "%ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

int main(void)
{
	const char *r;
	long start = prctl(PR_GET_TIMERSLACK);
	printf("timer slack at the start: %ld, in /proc: %ld\n", start, proc_long("/proc/self/timerslack_ns", NULL));
	r = outcome(prctl(PR_SET_TIMERSLACK, 70000));
	printf("set 70000: %s, get: %s, in /proc: %ld\n", r, outcome(prctl(PR_GET_TIMERSLACK)),
	       proc_long("/proc/self/timerslack_ns", NULL));
	fflush(stdout);
	if (fork() == 0) {
		long inherited = prctl(PR_GET_TIMERSLACK);
		prctl(PR_SET_TIMERSLACK, 0);
		printf("child: inherited %ld, default after 0: %ld\n", inherited, (long) prctl(PR_GET_TIMERSLACK));
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);
	prctl(PR_SET_TIMERSLACK, 0);
	printf("set 0: back to %ld\n", (long) prctl(PR_GET_TIMERSLACK));

	int flag = -1;
	signal(SIGCHLD, on_chld);
	r = outcome(prctl(PR_SET_CHILD_SUBREAPER, 1));
	prctl(PR_GET_CHILD_SUBREAPER, &flag);
	printf("PR_SET_CHILD_SUBREAPER: %s, get: %d\n", r, flag);
	fflush(stdout);
	pid_t me = getpid(), child = fork();
	int p[2];
	if (child == 0) {
		pipe(p);
		if (fork() == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1); /* until its parent has ended */
			while (getppid() != me && getppid() != 1)
				usleep(1000);
			prctl(PR_GET_CHILD_SUBREAPER, &flag);
			printf("grandchild: adopted by the subreaper: %d, subreaper flag inherited: %d\n", getppid() == me, flag);
			fflush(stdout);
			_exit(7);
		}
		_exit(0);
	}
	waitpid(child, NULL, 0);
	int st = 0;
	pid_t got = wait(&st);
	printf("wait after the child: an orphan: %d, its status: %d, SIGCHLD came: %d\n", got > 0 && got != child,
	       WEXITSTATUS(st), sigchld > 0);

	printf("NoNewPrivs before: %ld\n", proc_long("/proc/self/status", "NoNewPrivs:"));
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	printf("NoNewPrivs after PR_SET_NO_NEW_PRIVS: %ld\n", proc_long("/proc/self/status", "NoNewPrivs:"));
	r = outcome(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	printf("PR_SET_THP_DISABLE: %s, get: %s, with a stray argument: %s\n", r, outcome(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)),
	       outcome(prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0)));
	r = outcome(prctl(PR_SET_TIMING, 1, 0, 0, 0));
	printf("PR_GET_TIMING: %s, PR_SET_TIMING 1: %s\n", outcome(prctl(PR_GET_TIMING, 0, 0, 0, 0)), r);
	r = outcome(prctl(PR_GET_SPECULATION_CTRL, 0, 1, 0, 0));
	printf("PR_GET_SPECULATION_CTRL with a stray argument: %s\n", r);
	r = outcome(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0));
	printf("PR_CAP_AMBIENT_IS_SET: %s, CLEAR_ALL with an argument: %s\n", r,
	       outcome(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0)));
	return 0;
}
