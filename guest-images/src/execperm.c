/* execve's permission checks and ETXTBSY (creat07, execve02, execve04, prctl06): a file the caller may not
 * execute is EACCES, one it may execute but not read runs; a running program cannot be opened for writing
 * or truncated, and a file open for writing cannot be executed. Under jmck the proxy opened the program as
 * itself (root), and the host never saw the LWK's programs run. Run as root (as LTP is). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define NOBODY 65534

/* fork, then in the child optionally become nobody and execve ./prog: "ran" (its exit 7) or the errno */
static const char *try_exec(int as_nobody) {
    fflush(stdout);
    int report[2];
    pipe(report);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        fcntl(report[1], F_SETFD, FD_CLOEXEC);
        if (as_nobody && seteuid(NOBODY) != 0)
            _exit(1);
        char *argv[] = {"prog", "--ran", NULL};
        execve("./prog", argv, NULL);
        int e = errno;
        write(report[1], &e, sizeof e);
        _exit(0);
    }
    close(report[1]);
    int e = 0, status;
    ssize_t n = read(report[0], &e, sizeof e);
    close(report[0]);
    waitpid(pid, &status, 0);
    if (n == sizeof e)
        return errname(e);
    return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? "ran" : "?";
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--ran") == 0)
        return 7;
    if (argc > 2 && strcmp(argv[1], "--wait") == 0) { /* runs until its parent closes the pipe */
        int fd = atoi(argv[2]);
        char c;
        write(fd + 1, "r", 1);
        read(fd, &c, 1);
        return 0;
    }
    if (geteuid() != 0) {
        printf("not root: nothing checked\n");
        return 0;
    }
    char dir[] = "/tmp/execperm.XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0 || chmod(dir, 0755) != 0)
        return 1;
    /* a copy of this program */
    int in = open("/proc/self/exe", O_RDONLY), out = open("prog", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;)
        write(out, buf, n);
    close(in);
    close(out);

    printf("0755, as root: %s, ", try_exec(0));
    printf("as nobody: %s\n", try_exec(1));
    chmod("prog", 0700);
    printf("0700, as root: %s, ", try_exec(0));
    printf("as nobody: %s\n", try_exec(1));
    chmod("prog", 0644);
    printf("0644, as root: %s\n", try_exec(0));
    chmod("prog", 06111);
    printf("06111 (execute only), as nobody: %s\n", try_exec(1));
    chmod("prog", 0755);

    /* a file open for writing cannot be executed */
    int w = open("prog", O_WRONLY);
    printf("open for writing, execve: %s, ", try_exec(0));
    close(w);
    printf("closed again: %s\n", try_exec(0));

    /* a running program cannot be written */
    int sync[2];
    pipe(sync); /* the child reads sync[0]; its write end... */
    int started[2];
    pipe2(started, 0);
    /* the child gets fd N (the read end of sync) and N+1 (where it says it started) */
    int base = 100;
    dup2(sync[0], base);
    dup2(started[1], base + 1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(sync[1]);
        char num[16];
        snprintf(num, sizeof num, "%d", base);
        char *args[] = {"prog", "--wait", num, NULL};
        execve("./prog", args, NULL);
        _exit(1);
    }
    close(base);
    close(base + 1);
    close(sync[0]);
    close(started[1]);
    char c;
    printf("the program started: %d\n", read(started[0], &c, 1) == 1);
    int fd = open("prog", O_WRONLY);
    printf("while it runs: open for writing: %s, ", fd < 0 ? errname(errno) : "0");
    fd = open("prog", O_RDWR | O_TRUNC);
    printf("O_TRUNC: %s, ", fd < 0 ? errname(errno) : "0");
    printf("truncate: %s, ", truncate("prog", 0) < 0 ? errname(errno) : "0");
    fd = creat("prog", 0755);
    printf("creat: %s, ", fd < 0 ? errname(errno) : "0");
    fd = open("prog", O_RDONLY);
    printf("open for reading: %s\n", fd < 0 ? errname(errno) : "0");
    close(fd);
    close(sync[1]);
    int status;
    waitpid(pid, &status, 0);
    fd = open("prog", O_WRONLY);
    printf("after it ended: open for writing: %s\n", fd < 0 ? errname(errno) : "0");
    close(fd);
    unlink("prog");
    chdir("/");
    rmdir(dir);
    return 0;
}
