/* Sends itself the signal given as argv[1] (default SIGTERM): the process ends as the signal's default
 * action says, and its status shows which signal it was. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
	printf("sending signal %d to myself\n", sig);
	fflush(stdout);
	kill(getpid(), sig);
	puts("still alive");
	return 0;
}
