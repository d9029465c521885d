/* A signal storm: one thread sends SIGUSR1 to another as fast as it can while the receiver counts to N in
 * its own code, then a parent sends SIGCONT to a child until it exits. On one core (or cores taking turns
 * on one host thread) the receiver must still get through its own code between handlers: once it lost
 * the core at every handler's rt_sigreturn and never finished. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int done;
static volatile long handled;
static pid_t receiver;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *sender(void *arg)
{
	(void)arg;
	long sent = 0;
	while (!done) {
		syscall(SYS_tgkill, getpid(), receiver, SIGUSR1);
		sent++;
	}
	printf("sender sent signals: %s\n", sent > 0 ? "yes" : "no");
	return NULL;
}

static void count_to(long n)
{
	for (volatile long i = 0; i < n; i++)
		;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	signal(SIGUSR1, on_usr1);
	receiver = (pid_t)syscall(SYS_gettid);
	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	while (!handled) /* the storm has begun */
		;
	count_to(n);
	done = 1;
	pthread_join(t, NULL);
	printf("receiver counted to %ld between handlers\n", n);

	pid_t child = fork();
	if (child == 0) {
		count_to(n);
		_exit(7);
	}
	int status;
	while (waitpid(child, &status, WNOHANG) == 0)
		kill(child, SIGCONT);
	printf("child counted to %ld, exit status %d\n", n, WEXITSTATUS(status));
	return 0;
}
