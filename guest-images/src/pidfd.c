/* pidfds: pidfd_open, poll and epoll on a pidfd (readable once the child has ended, hung up once reaped),
 * waitid(P_PIDFD) with and without PIDFD_NONBLOCK, pidfd_send_signal (with and without a siginfo),
 * pidfd_getfd, clone and clone3 with CLONE_PIDFD, ioctl(PIDFD_GET_INFO), and the errors of each. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK
#define CLONE_PIDFD_FLAG 0x1000

struct pidfd_info {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
    uint32_t coredump_mask, spare;
};
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)

static long pidfd_open(int pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static long send_signal(int fd, int sig, siginfo_t *si, unsigned flags) {
    return syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

/* "r" for a result: the value, or the errno's name */
static int events(int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLPRI, 0};
    return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/* a child that waits until its pipe is closed, then exits with code */
static int child(int *release, int code) {
    int p[2];
    if (pipe(p))
        return -1;
    int pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) > 0) {
        }
        _exit(code);
    }
    close(p[0]);
    *release = p[1];
    return pid;
}

static volatile int got_sig, got_value, got_code;
static void handler(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    got_sig = sig;
    got_value = si->si_value.sival_int;
    got_code = si->si_code;
}

static volatile int thread_tid;
static void *sleeper(void *arg) {
    (void)arg;
    thread_tid = syscall(SYS_gettid);
    pause();
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* pidfd_open on oneself: a close-on-exec fd, O_NONBLOCK only if asked */
    long self = pidfd_open(getpid(), 0);
    printf("pidfd_open self: %s, FD_CLOEXEC: %d, O_NONBLOCK: %d\n", self >= 0 ? "fd" : outcome(self),
           fcntl(self, F_GETFD) & FD_CLOEXEC, (fcntl(self, F_GETFL) & O_NONBLOCK) != 0);
    long nb = pidfd_open(getpid(), PIDFD_NONBLOCK);
    printf("PIDFD_NONBLOCK: O_NONBLOCK: %d\n", (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0);
    close(nb);
    printf("a running process polls: %#x\n", events(self));
    char buf[8];
    const char *rd = outcome(read(self, buf, 8));
    printf("read: %s, write: %s\n", rd, outcome(write(self, buf, 8)));
    const char *io = outcome(ioctl(self, FIONREAD, buf)), *clex = outcome(ioctl(self, FIONCLEX, 0));
    printf("ioctl FIONREAD: %s, FIONCLEX then F_GETFD: %s %d\n", io, clex, fcntl(self, F_GETFD));
    const char *e1 = outcome(pidfd_open(-1, 0)), *e2 = outcome(pidfd_open(0, 0));
    printf("errors: pid -1 %s, pid 0 %s, flags 1 %s\n", e1, e2, outcome(pidfd_open(getpid(), 1)));
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    while (!thread_tid)
        usleep(1000);
    printf("a thread's tid: %s\n", outcome(pidfd_open(thread_tid, 0)));

    /* a child: not readable while it runs, readable once it is a zombie, hung up once reaped */
    int release;
    int pid = child(&release, 7);
    long fd = pidfd_open(pid, 0);
    long dupfd = dup(fd);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, (int)fd, &ev);
    int before = events((int)fd);
    printf("child running: poll %#x, epoll %d\n", before, epoll_wait(ep, &out, 1, 0));
    siginfo_t si;
    long nbfd = pidfd_open(pid, PIDFD_NONBLOCK);
    printf("waitid P_PIDFD nonblocking while it runs: %s\n", outcome(waitid(P_PIDFD, nbfd, &si, WEXITED)));
    close(release);
    struct pollfd p = {(int)fd, POLLIN, 0};
    int n = poll(&p, 1, 5000);
    printf("poll until it ends: %d, revents %#x\n", n, p.revents);
    int ez = events((int)fd), ed = events((int)dupfd), ee = epoll_wait(ep, &out, 1, 1000);
    printf("zombie: poll %#x, through dup %#x, epoll %d data %u\n", ez, ed, ee, out.data.u32);
    printf("pidfd_open of the zombie: %s\n", pidfd_open(pid, 0) >= 0 ? "fd" : outcome(-1));
    struct pidfd_info info;
    memset(&info, 0, sizeof info);
    info.mask = 8;
    const char *gi = outcome(ioctl((int)fd, PIDFD_GET_INFO, &info));
    printf("PIDFD_GET_INFO zombie: %s, mask %#llx, pid ok %d, ppid ok %d, uid %u, exit %d\n", gi,
           (unsigned long long)(info.mask & 0xb), info.pid == (uint32_t)pid, info.ppid == (uint32_t)getpid(),
           info.ruid, info.exit_code);
    memset(&si, 0, sizeof si);
    const char *w = outcome(waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT));
    printf("waitid P_PIDFD WNOWAIT: %s, si_pid ok %d, status %d, code CLD_EXITED %d\n", w, si.si_pid == pid,
           si.si_status, si.si_code == CLD_EXITED);
    printf("signal to the zombie: %s\n", outcome(send_signal((int)fd, SIGUSR1, NULL, 0)));
    memset(&si, 0, sizeof si);
    w = outcome(waitid(P_PIDFD, nbfd, &si, WEXITED));
    printf("waitid P_PIDFD: %s, status %d\n", w, si.si_status);
    printf("reaped: poll %#x\n", events((int)fd));
    memset(&info, 0, sizeof info);
    info.mask = 8;
    gi = outcome(ioctl((int)fd, PIDFD_GET_INFO, &info));
    printf("PIDFD_GET_INFO reaped with PIDFD_INFO_EXIT: %s, mask %#llx, exit %#x\n", gi,
           (unsigned long long)(info.mask & 0xb), info.exit_code);
    info.mask = 0;
    printf("without it: %s\n", outcome(ioctl((int)fd, PIDFD_GET_INFO, &info)));
    const char *a1 = outcome(pidfd_open(pid, 0)), *a2 = outcome(send_signal((int)fd, 0, NULL, 0));
    const char *a3 = outcome(waitid(P_PIDFD, fd, &si, WEXITED));
    printf("reaped: pidfd_open %s, send_signal %s, waitid %s, getfd %s\n", a1, a2, a3,
           outcome(syscall(SYS_pidfd_getfd, fd, 0, 0)));
    close(fd);
    close(dupfd);
    close(nbfd);

    /* pidfd_send_signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    const char *s1 = outcome(send_signal((int)self, SIGUSR1, NULL, 0));
    printf("signal self: %s, got %d, SI_USER %d\n", s1, got_sig, got_code == SI_USER);
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 777;
    got_sig = 0;
    s1 = outcome(send_signal((int)self, SIGUSR1, &si, 0));
    printf("with a siginfo: %s, got %d, value %d, SI_QUEUE %d\n", s1, got_sig, got_value, got_code == SI_QUEUE);
    const char *x1 = outcome(send_signal((int)self, 0, NULL, 0)), *x2 = outcome(send_signal((int)self, SIGUSR2, &si, 0));
    const char *x3 = outcome(send_signal((int)self, SIGUSR1, NULL, 8)), *x4 = outcome(send_signal((int)self, SIGUSR1, NULL, 3));
    printf("errors: signal 0 %s, wrong si_signo %s, bad flags %s, two scopes %s, signal 99 %s\n", x1, x2, x3, x4,
           outcome(send_signal((int)self, 99, NULL, 0)));
    int file = open("/proc/self/exe", O_RDONLY);
    x1 = outcome(send_signal(file, SIGUSR1, NULL, 0));
    printf("not a pidfd: %s, not open: %s\n", x1, outcome(send_signal(999, SIGUSR1, NULL, 0)));
    pid = child(&release, 0);
    fd = pidfd_open(pid, 0);
    si.si_code = SI_USER; /* a kernel code: only toward oneself */
    printf("SI_USER siginfo to a child: %s\n", outcome(send_signal((int)fd, SIGUSR1, &si, 0)));
    printf("SIGKILL to a child: %s\n", outcome(send_signal((int)fd, SIGKILL, NULL, 0)));
    int status;
    waitpid(pid, &status, 0);
    printf("  it was killed by: %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    close(release);
    close(fd);

    /* pidfd_getfd: a child's fd, as a close-on-exec copy */
    int to_parent[2];
    pipe(to_parent);
    pid = child(&release, 0);
    if (pid == 0) { /* not reached: child() forks */
    }
    fd = pidfd_open(pid, 0);
    long got = syscall(SYS_pidfd_getfd, fd, to_parent[1], 0);
    printf("pidfd_getfd: %s, FD_CLOEXEC %d, ", got >= 0 ? "fd" : outcome(got), fcntl((int)got, F_GETFD));
    printf("writes into the pipe: %s\n", outcome(write((int)got, "x", 1)));
    printf("  read back: %s\n", outcome(read(to_parent[0], buf, 1)));
    x1 = outcome(syscall(SYS_pidfd_getfd, fd, to_parent[1], 1));
    x2 = outcome(syscall(SYS_pidfd_getfd, fd, 999, 0));
    printf("errors: bad flags %s, bad target fd %s, not a pidfd %s\n", x1, x2, outcome(syscall(SYS_pidfd_getfd, file, 0, 0)));
    close(release);
    waitpid(pid, NULL, 0);
    close(fd);
    close(got);

    /* clone and clone3 with CLONE_PIDFD */
    int cfd = -1;
    long c = syscall(SYS_clone, CLONE_PIDFD_FLAG | SIGCHLD, 0, &cfd, 0, 0);
    if (c == 0)
        _exit(5);
    p.fd = cfd;
    n = poll(&p, 1, 5000);
    printf("clone CLONE_PIDFD: pidfd %s, FD_CLOEXEC %d, poll %d\n", cfd >= 0 ? "set" : "unset", fcntl(cfd, F_GETFD), n);
    memset(&si, 0, sizeof si);
    waitid(P_PIDFD, cfd, &si, WEXITED);
    printf("  waitid: pid ok %d, status %d\n", si.si_pid == c, si.si_status);
    printf("clone CLONE_PIDFD with CLONE_PARENT_SETTID: %s\n",
           outcome(syscall(SYS_clone, CLONE_PIDFD_FLAG | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0)));
    struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } args;
    memset(&args, 0, sizeof args);
    int c3fd = -1;
    args.flags = CLONE_PIDFD_FLAG;
    args.pidfd = (uintptr_t)&c3fd;
    args.exit_signal = SIGCHLD;
    c = syscall(SYS_clone3, &args, sizeof args);
    if (c == 0)
        _exit(6);
    memset(&si, 0, sizeof si);
    w = outcome(waitid(P_PIDFD, c3fd, &si, WEXITED));
    printf("clone3 CLONE_PIDFD: pidfd %s, waitid %s, status %d\n", c3fd >= 0 ? "set" : "unset", w, si.si_status);
    args.pidfd = 8; /* not writable */
    printf("clone3 with a bad pidfd pointer: %s\n", outcome(syscall(SYS_clone3, &args, sizeof args)));
    w = outcome(waitid(P_PIDFD, self, &si, WEXITED | WNOHANG));
    printf("waitid P_PIDFD on oneself: %s, on a file: %s\n", w, outcome(waitid(P_PIDFD, file, &si, WEXITED | WNOHANG)));
    return 0;
}
