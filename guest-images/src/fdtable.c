/* A full file descriptor table, as test suites fill it: dup2/dup3 onto an open fd replace it even when no
 * fd is free (Linux needs no new slot for that), while dup, F_DUPFD, open and pipe fail with EMFILE. Under
 * a soft limit the guest's RLIMIT_NOFILE bounds its fds exactly; at the hard limit the table is full when
 * the host's is (under jmck the proxy's own files share the host table, unless it may raise its limit). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "errname.h"

static void fill(const char *what, int exact) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int opened = 0, last = -1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
        opened++;
        last = fd;
    }
    printf("%s: open when full: %s, opened some: %d\n", what, errname(errno), opened > 0);
    if (exact)
        printf("  last fd is limit-1: %d\n", last == (int)rl.rlim_cur - 1);
    int p[2];
    printf("  dup: %s\n", outcome(dup(0)));
    printf("  fcntl F_DUPFD: %s\n", outcome(fcntl(0, F_DUPFD, 3)));
    printf("  pipe: %s\n", outcome(pipe(p)));
    printf("  dup2 onto an open fd: %s\n", outcome(dup2(1, last) == last ? 0 : -1));
    printf("  dup3 onto an open fd: %s\n", outcome(dup3(1, last - 1, O_CLOEXEC) == last - 1 ? 0 : -1));
    printf("  F_GETFD of it: %d\n", fcntl(last - 1, F_GETFD));
    printf("  write through the replaced fd: %s\n", outcome(write(last, "", 0)));
    if (exact)
        printf("  dup2 past the limit: %s\n", outcome(dup2(1, rl.rlim_cur)));
    for (fd = 3; fd <= last; fd++)
        close(fd);
}

int main(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit small = {64, rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &small);
    fill("64 fds", 1);
    struct rlimit hard = {rl.rlim_max, rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &hard);
    fill("all fds", 0);
    return 0;
}
