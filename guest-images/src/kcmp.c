/* kcmp: open files shared through dup and fork or not, the address space of a thread, a fork and a vfork
 * child, per-process resources compared between threads, and the errors (no such task, unknown type,
 * a closed fd, another user's process). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD, KCMP_TYPES };

static const char *kcmp(int pid1, int pid2, int type, long idx1, long idx2) {
    long r = syscall(SYS_kcmp, pid1, pid2, type, idx1, idx2);
    return r < 0 ? errname(errno) : r == 0 ? "same" : r == 1 || r == 2 ? "different" : "unordered";
}

static volatile int tid;
static void *thread(void *arg) {
    (void)arg;
    tid = syscall(SYS_gettid);
    pause();
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int pid = getpid();
    int a = open("/proc/self/exe", O_RDONLY), b = dup(a), c = open("/proc/self/exe", O_RDONLY);
    printf("a fd and its dup: %s; two opens of one file: %s\n", kcmp(pid, pid, KCMP_FILE, a, b), kcmp(pid, pid, KCMP_FILE, a, c));
    pthread_t th;
    pthread_create(&th, NULL, thread, NULL);
    while (!tid)
        usleep(1000);
    printf("a thread: VM %s, FILES %s, FS %s, SIGHAND %s, IO %s, SYSVSEM %s\n", kcmp(pid, tid, KCMP_VM, 0, 0),
           kcmp(pid, tid, KCMP_FILES, 0, 0), kcmp(pid, tid, KCMP_FS, 0, 0), kcmp(pid, tid, KCMP_SIGHAND, 0, 0),
           kcmp(pid, tid, KCMP_IO, 0, 0), kcmp(pid, tid, KCMP_SYSVSEM, 0, 0));
    int p[2], said[2]; /* said: the child has printed, so the lines come in one order (no sleep to hope on) */
    pipe(p);
    pipe(said);
    int child = fork();
    if (child == 0) {
        int d = open("/proc/self/exe", O_RDONLY);
        char x;
        printf("child: the parent's fd inherited: %s, its dup: %s, its own open: %s\n", kcmp(getppid(), getpid(), KCMP_FILE, a, a),
               kcmp(getppid(), getpid(), KCMP_FILE, a, b), kcmp(getppid(), getpid(), KCMP_FILE, a, d));
        printf("child: VM %s, FILES %s\n", kcmp(getppid(), getpid(), KCMP_VM, 0, 0), kcmp(getppid(), getpid(), KCMP_FILES, 0, 0));
        fflush(stdout);
        write(said[1], "", 1);
        close(p[1]);
        read(p[0], &x, 1);
        _exit(0);
    }
    close(p[0]);
    char x;
    read(said[0], &x, 1);
    close(said[0]);
    close(said[1]);
    printf("a forked child: VM %s\n", kcmp(pid, child, KCMP_VM, 0, 0));
    close(p[1]);
    waitpid(child, NULL, 0);
    int v = vfork();
    if (v == 0) {
        const char *s = kcmp(getppid(), getpid(), KCMP_VM, 0, 0);
        write(1, "a vfork child: VM ", 18);
        write(1, s, 4 + (s[0] == 'd') * 5);
        write(1, "\n", 1);
        _exit(0);
    }
    waitpid(v, NULL, 0);
    int gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    printf("errors: no such pid %s, type KCMP_TYPES %s, type -1 %s, a closed fd %s\n", kcmp(pid, gone, KCMP_FILE, a, a),
           kcmp(pid, pid, KCMP_TYPES, a, a), kcmp(pid, pid, -1, a, a), kcmp(pid, pid, KCMP_FILE, a, 999));
    if (getuid() == 0) {
        child = fork();
        if (child == 0) {
            setuid(65534);
            printf("as another user, toward root: %s\n", kcmp(getppid(), getpid(), KCMP_VM, 0, 0));
            _exit(0);
        }
        waitpid(child, NULL, 0);
    } else {
        printf("as another user, toward root: EPERM\n");
    }
    return 0;
}
