/* Signals the kernel raises for a file, to the owner set with F_SETOWN (fcntl31, fcntl33, fcntl38, fcntl39):
 * O_ASYNC on a pipe, F_NOTIFY on a directory (pending when the call that changed it returns), a lease break.
 * Under jmck the host raised them for the proxy, which holds every guest file, and ignored them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static int pipe_fds[2];
static sigset_t waited;

/* A child writes a byte into the pipe; the parent waits for the signal its read end raises. */
static void expect_signal(const char *what, int expected) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        write(pipe_fds[1], "x", 1);
        _exit(0);
    }
    siginfo_t si;
    struct timespec timeout = {5, 0};
    int sig = sigtimedwait(&waited, &si, &timeout);
    char c;
    read(pipe_fds[0], &c, 1);
    waitpid(child, NULL, 0);
    if (sig < 0) {
        printf("%s: no signal (%s)\n", what, errname(errno));
        return;
    }
    printf("%s: the expected signal: %d", what, sig == expected);
    if (sig == SIGIO && expected == SIGIO)
        printf(", si_code SI_KERNEL: %d\n", si.si_code == SI_KERNEL);
    else
        printf(", si_fd is the fd: %d, si_code POLL_IN: %d, si_band has POLLIN: %d\n", si.si_fd == pipe_fds[0],
               si.si_code == POLL_IN, (si.si_band & POLLIN) != 0);
}

static volatile sig_atomic_t notified_fd = -1, notifications;

static void on_notify(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    notified_fd = si->si_fd;
    notifications++;
}

int main(void) {
    char dir[] = "/tmp/fdsignals.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return 1;
    sigemptyset(&waited);
    sigaddset(&waited, SIGUSR1);
    sigaddset(&waited, SIGIO);
    sigprocmask(SIG_BLOCK, &waited, NULL);

    /* O_ASYNC on a pipe's read end */
    pipe(pipe_fds);
    printf("F_GETOWN before: %d, ", fcntl(pipe_fds[0], F_GETOWN));
    printf("F_GETSIG: %d\n", fcntl(pipe_fds[0], F_GETSIG));
    fcntl(pipe_fds[0], F_SETFL, O_ASYNC);
    fcntl(pipe_fds[0], F_SETOWN, getpid());
    fcntl(pipe_fds[0], F_SETSIG, SIGUSR1);
    expect_signal("O_ASYNC, F_SETSIG SIGUSR1, owner the process", SIGUSR1);
    fcntl(pipe_fds[0], F_SETSIG, 0);
    expect_signal("O_ASYNC without F_SETSIG", SIGIO);
    fcntl(pipe_fds[0], F_SETSIG, SIGUSR1);
    setpgid(0, 0);
    fcntl(pipe_fds[0], F_SETOWN, -getpgrp());
    expect_signal("owner the process group", SIGUSR1);
    struct f_owner_ex ex = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
    fcntl(pipe_fds[0], F_SETOWN_EX, &ex);
    expect_signal("owner the thread (F_SETOWN_EX)", SIGUSR1);
    int dup_fd = dup(pipe_fds[0]);
    struct f_owner_ex got = {-1, -1};
    fcntl(dup_fd, F_GETOWN_EX, &got);
    printf("a dup has the owner: %d, ", got.type == F_OWNER_TID && got.pid == ex.pid);
    printf("and the signal: %d\n", fcntl(dup_fd, F_GETSIG) == SIGUSR1);
    close(dup_fd);
    fcntl(pipe_fds[0], F_SETFL, 0);
    fflush(stdout);

    /* F_NOTIFY: the signal is pending when chmod returns */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_notify;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    mkdir("sub", 0700);
    int parent = open(".", O_RDONLY), sub = open("sub", O_RDONLY);
    printf("F_SETSIG: %d, ", fcntl(parent, F_SETSIG, SIGRTMIN + 1));
    printf("F_NOTIFY: %d, ", fcntl(parent, F_NOTIFY, DN_ATTRIB | DN_MULTISHOT));
    printf("F_GETOWN after it is the caller: %d\n", fcntl(parent, F_GETOWN) == getpid());
    fflush(stdout);
    pid_t child = fork(); /* a child that closes its copy takes nothing from the parent */
    if (child == 0) {
        close(parent);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    chmod("sub", 0755);
    printf("after chmod: notified: %d, si_fd is the directory's: %d\n", notifications > 0, notified_fd == parent);
    notifications = 0;
    notified_fd = -1;
    fcntl(parent, F_NOTIFY, DN_RENAME | DN_MULTISHOT);
    fcntl(sub, F_SETSIG, SIGRTMIN + 1);
    fcntl(sub, F_NOTIFY, DN_RENAME | DN_MULTISHOT);
    rename("sub", "sub2");
    printf("after rename of the watched subdirectory: notifications: %d, si_fd is the parent's: %d\n",
           (int)notifications, notified_fd == parent);
    close(parent);
    close(sub);
    rmdir("sub2");

    /* a lease break: the holder gets SIGIO, removes the lease, and the breaker's open goes on */
    int fd = open("leased", O_RDWR | O_CREAT, 0644);
    close(fd);
    fd = open("leased", O_RDONLY);
    printf("F_SETLEASE F_RDLCK: %d, ", fcntl(fd, F_SETLEASE, F_RDLCK));
    printf("F_GETLEASE: %d\n", fcntl(fd, F_GETLEASE) == F_RDLCK);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        int w = open("leased", O_WRONLY);
        _exit(w >= 0 ? 0 : 1);
    }
    siginfo_t si;
    struct timespec timeout = {10, 0};
    int sig = sigtimedwait(&waited, &si, &timeout);
    printf("the lease holder got SIGIO: %d, ", sig == SIGIO);
    printf("F_SETLEASE F_UNLCK: %d, ", fcntl(fd, F_SETLEASE, F_UNLCK));
    int status;
    waitpid(child, &status, 0);
    printf("the breaker's open went on: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    unlink("leased");
    chdir("/");
    rmdir(dir);
    return 0;
}
