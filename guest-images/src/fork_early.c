/*
 * A child that gets a signal, or a tracer, before it has run its first instruction must still return 0
 * from fork. Under jmck a new child's registers are a copy of its parent's taken in the syscall hook; a
 * signal delivered before the child's first instruction once took rip from that copy, where it was still
 * on the syscall instruction, so the child ran its fork again as read(2) and saw -1 EBADF (a quarter of
 * the children, on two cores).
 *
 *   fork_early [ROUNDS]   each case ROUNDS times; prints how many children returned 0 from fork
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig) {
    (void)sig;
    handled = 1;
}

/* The child exits 42 if fork returned 0 to it; anything else is the parent's code running in the child. */
static pid_t child(void) {
    pid_t c = fork();
    if (c == 0)
        _exit(42);
    if (c < 0) {
        perror("fork");
        exit(1);
    }
    return c;
}

static int exited42(pid_t c) {
    int st;
    if (waitpid(c, &st, 0) != c)
        return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 42;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 100, good = 0;
    signal(SIGUSR1, on_usr1); /* the children inherit the handler */
    for (int i = 0; i < rounds; i++) {
        pid_t c = child();
        kill(c, SIGUSR1); /* usually before the child's first instruction */
        good += exited42(c);
    }
    printf("a handled signal at once: %d of %d children returned 0 from fork\n", good, rounds);

    good = 0;
    for (int i = 0; i < rounds; i++) {
        pid_t c = child();
        if (ptrace(PTRACE_ATTACH, c, 0, 0) == 0) { /* it may have ended already: then EPERM or ESRCH */
            int st = 0;
            if (waitpid(c, &st, 0) != c || !WIFSTOPPED(st)) { /* it ended before it stopped */
                good += WIFEXITED(st) && WEXITSTATUS(st) == 42;
                continue;
            }
            ptrace(PTRACE_DETACH, c, 0, 0);
        }
        good += exited42(c);
    }
    printf("PTRACE_ATTACH at once: %d of %d children returned 0 from fork\n", good, rounds);
    return 0;
}
