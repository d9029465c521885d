/* A forked child's file descriptors (fork09): a process that fills its fd table can fork, and the child can
 * use and close every fd. What is per table (FD_CLOEXEC, which file an fd names after dup2 or close) stays
 * each process's; what is per open file (the offset, status flags) is shared. Under jmck the proxy held a
 * host fd for every guest fd of every process, so the child's copies of a full table went past its limit. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

int main(void) {
    char path[] = "/tmp/forkfds.XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    write(fd, "0123456789", 10);
    lseek(fd, 0, SEEK_SET);
    int other = open("/dev/null", O_RDONLY);

    /* per open file: the offset and status flags; per table: FD_CLOEXEC and what an fd names */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(fd, &c, 1); /* moves the shared offset */
        fcntl(fd, F_SETFL, O_APPEND);
        fcntl(other, F_SETFD, FD_CLOEXEC);
        int again = dup2(other, fd); /* this table's fd now names /dev/null; the parent's does not */
        printf("child: dup2 over a shared fd: %d, ", again == fd);
        printf("it reads /dev/null: %d\n", read(fd, &c, 1) == 0);
        close(other);
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("parent: offset after the child's read: %ld, ", (long)lseek(fd, 0, SEEK_CUR));
    printf("O_APPEND the child set: %d, ", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    printf("FD_CLOEXEC the child set: %d, ", fcntl(other, F_GETFD));
    char c = 0;
    printf("still reads the file: %d\n", read(fd, &c, 1) == 1 && c == '1');

    /* a full table */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int n = 0, last = -1;
    for (;;) {
        int f = open("/dev/null", O_RDONLY);
        if (f < 0) {
            printf("filled the table: %s, ", errname(errno));
            break;
        }
        last = f;
        n++;
    }
    printf("every fd below the limit is open: %d\n", last == (int)rl.rlim_cur - 1);
    fflush(stdout);
    child = fork();
    if (child < 0) {
        printf("fork: %s\n", errname(errno));
        return 1;
    }
    if (child == 0) {
        int closed = 0;
        for (int f = 3; f <= last; f++)
            if (f != fd && close(f) == 0)
                closed++;
        printf("child: closed all but its file: %d, ", closed == last - 3);
        int f = open("/dev/null", O_RDONLY);
        printf("opens again: %d\n", f >= 0);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("parent: the child exited 0: %d, ", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("its own fds are still open: %d\n", fcntl(last, F_GETFD) >= 0 && fcntl(other, F_GETFD) >= 0);
    for (int f = 3; f <= last; f++)
        if (f != fd)
            close(f);
    return 0;
}
