/* The working directory belongs to a process: a forked child's chdir leaves its parent where it was (the
 * proxy serves both, and a host process has one working directory: the child moved the parent too), a
 * thread's chdir moves its whole process, relative paths follow, and a child starts where its parent is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static char top[64];

static const char *here(void) {
    static char buf[256];
    if (!getcwd(buf, sizeof buf))
        return errname(errno);
    return strncmp(buf, top, strlen(top)) == 0 ? buf + strlen(top) : buf; /* relative to the test's directory */
}

static void *thread_chdir(void *arg) {
    chdir("b");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    strcpy(top, "/tmp/jmck-cwd-XXXXXX");
    if (!mkdtemp(top))
        return 1;
    chdir(top);
    mkdir("a", 0755);
    mkdir("b", 0755);
    printf("parent starts in [%s]\n", here());
    pid_t pid = fork();
    if (pid == 0) {
        printf("child starts in [%s]\n", here());
        chdir("a");
        int fd = open("made-by-child", O_CREAT | O_WRONLY, 0644);
        printf("child in [%s] made a file: %d\n", here(), fd >= 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent after the child's chdir: [%s]\n", here());
    struct stat st;
    printf("the child's file, relative to the parent: %d\n", stat("a/made-by-child", &st) == 0);
    int dfd = open("a", O_RDONLY | O_DIRECTORY);
    pid = fork();
    if (pid == 0) {
        fchdir(dfd);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent after the child's fchdir: [%s]\n", here());
    pthread_t t;
    pthread_create(&t, NULL, thread_chdir, NULL);
    pthread_join(t, NULL);
    printf("after a thread's chdir: [%s], a relative open: %d\n", here(), open("../a/made-by-child", O_RDONLY) >= 0);
    pid = fork();
    if (pid == 0) {
        printf("a child forked now starts in [%s]\n", here());
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    chdir(top);
    unlink("a/made-by-child");
    rmdir("a");
    rmdir("b");
    chdir("/");
    rmdir(top);
    return 0;
}
