/* A wait that the child it waits for ends returns the child, even though the exit signal's handler has
 * no SA_RESTART (the handler runs too); a wait that another signal interrupts fails with EINTR. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int got;
static void handler(int sig) { got = sig; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler; /* no SA_RESTART */
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < 3; i++) {
        pid_t c = fork();
        if (c == 0) {
            usleep(50000);
            _exit(3);
        }
        int st;
        pid_t r = waitpid(c, &st, 0);
        printf("waitpid for a child that exits: %s, status %d, SIGCHLD handled: %d\n", r == c ? "the child" : errname(errno),
               WEXITSTATUS(st), got == SIGCHLD);
        got = 0;
    }
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        kill(getppid(), SIGUSR1);
        usleep(50000);
        _exit(0);
    }
    pid_t r = waitpid(c, NULL, 0);
    printf("waitpid interrupted by SIGUSR1: %s, handled: %d\n", r == c ? "the child" : errname(errno), got == SIGUSR1);
    waitpid(c, NULL, 0);
    return 0;
}
