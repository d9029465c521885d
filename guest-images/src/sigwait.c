/* sigwait and sigtimedwait for a signal that is not blocked and has a handler: the call takes it (the
 * handler does not run); a signal outside the set still runs its handler and ends the call with EINTR;
 * kill of a zombie succeeds. Same output natively. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t handled;

static void handler(int sig)
{
	handled = sig;
}

/* A child that sends sig to the parent every 20 ms until killed. */
static pid_t sender(int sig)
{
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		for (;;) {
			usleep(20000);
			if (kill(parent, sig) != 0)
				_exit(0);
		}
	}
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = handler};
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t set, now;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);

	pid_t child = sender(SIGUSR1);
	int sig = 0;
	int r = sigwait(&set, &sig);
	printf("sigwait, SIGUSR1 not blocked: %d sig %d, handler ran: %d\n", r, sig, handled != 0);
	stop(child);

	handled = 0;
	child = sender(SIGUSR1);
	siginfo_t info;
	r = sigwaitinfo(&set, &info);
	printf("sigwaitinfo: %s, si_pid is the sender: %d, handler ran: %d\n", outcome(r), info.si_pid == child,
	       handled != 0);
	stop(child);

	handled = 0;
	child = sender(SIGUSR2);
	struct timespec ts = {5, 0};
	r = syscall(SYS_rt_sigtimedwait, &set, &info, &ts, 8); /* musl's sigtimedwait retries after EINTR */
	printf("sigtimedwait, another signal came: %s, its handler ran: %d\n", outcome(r), handled == SIGUSR2);
	stop(child);

	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("mask after the waits unchanged: %d\n", !sigismember(&now, SIGUSR1));

	child = fork();
	if (child == 0)
		_exit(3);
	usleep(100000);
	printf("kill of a zombie: %s\n", outcome(kill(child, SIGTERM)));
	int status;
	waitpid(child, &status, 0);
	printf("it exited: %d, kill after the wait: %s\n", WEXITSTATUS(status), outcome(kill(child, SIGTERM)));
	return 0;
}
