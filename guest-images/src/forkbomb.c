/* A fork bomb that cleans up after itself: forks children that sleep in pause() until fork fails, says
 * how it failed, kills and reaps every child, and prints a summary that does not depend on the exact
 * limit. Under the LWK the instance's task limit stops it with EAGAIN, as RLIMIT_NPROC or threads-max
 * stop one on Linux. argv[1], if given, is a ceiling: no more children than that (to try it natively). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define MAX_CHILDREN 100000

static pid_t children[MAX_CHILDREN];

int main(int argc, char **argv)
{
	long ceiling = argc > 1 ? atol(argv[1]) : MAX_CHILDREN;
	long n = 0;
	int err = 0;

	if (ceiling > MAX_CHILDREN)
		ceiling = MAX_CHILDREN;
	setvbuf(stdout, NULL, _IONBF, 0); /* children must not inherit buffered output */
	while (n < ceiling) {
		pid_t c = fork();
		if (c == 0) {
			for (;;)
				pause(); /* until the parent's SIGKILL */
		}
		if (c < 0) {
			err = errno;
			break;
		}
		children[n++] = c;
	}
	long killed = 0, reaped = 0;
	for (long i = 0; i < n; i++)
		if (kill(children[i], SIGKILL) == 0)
			killed++;
	for (long i = 0; i < n; i++) {
		int st;
		if (waitpid(children[i], &st, 0) == children[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			reaped++;
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
		puts("a child is left");
		return 1;
	}
	long floor = n >= 1000 ? 1000 : n >= 100 ? 100 : n >= 10 ? 10 : 1;
	printf("fork failed with %s after at least %ld children; %s\n", err ? errname(err) : "nothing", floor,
	       killed == n && reaped == n ? "all reaped" : "some not reaped");
	return err == EAGAIN && killed == n && reaped == n ? 0 : 1;
}
