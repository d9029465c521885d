/* execveat: a path relative to a directory fd, an absolute path, the fd itself with AT_EMPTY_PATH
 * (fexecve), and the errors: a bad fd, bad flags, an empty path without AT_EMPTY_PATH, a directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static char *const envp[] = {NULL};

/* Runs execveat in a child; prints how it went. */
static void attempt(const char *what, int dirfd, const char *path, int flags) {
    pid_t pid = fork();
    if (pid == 0) {
        char *const argv[] = {"execveat", "child", NULL};
        syscall(SYS_execveat, dirfd, path, argv, envp, flags);
        printf("%s: %s\n", what, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("  the new program runs: %s\n", argv[1]);
        return 0;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n] = 0;
    char dir[4096], name[4096];
    strcpy(dir, self);
    strcpy(name, basename(self));
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    int ffd = open(self, O_RDONLY);
    fflush(stdout);
    attempt("relative to a directory fd", dfd, name, 0);
    attempt("absolute path", -1, self, 0);
    attempt("AT_EMPTY_PATH on the file's fd", ffd, "", AT_EMPTY_PATH);
    attempt("empty path without AT_EMPTY_PATH", ffd, "", 0);
    attempt("bad flags", dfd, name, 0x8);
    attempt("closed directory fd", 99, name, 0);
    attempt("a directory", dfd, ".", 0);
    attempt("no such file", dfd, "no-such-file", 0);
    return 0;
}
