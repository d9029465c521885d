/* fcntl record locks between processes (the host saw one proxy process, so they never conflicted and any
 * close dropped everyone's), open file description locks, and the fcntl settings that name processes or
 * signals (F_SETOWN, F_SETOWN_EX, F_SETSIG, which once went to the host or failed with EINVAL), leases. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "procstate.h"

static int lock(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static pid_t waiters[2];

static void give_up(int sig) {
    (void)sig;
    kill(waiters[0], SIGKILL);
    kill(waiters[1], SIGKILL);
}

/* A child that locks byte mine, tells the parent, waits for the word, then waits in F_SETLKW for
 * [want, want+len); it exits 0 if it got it, 3 for EDEADLK, 1 for another error. */
static pid_t locker(const char *path, int back[2], int go[2], off_t mine, off_t want, off_t len) {
    pid_t p = fork();
    if (p == 0) {
        char c;
        int cfd = open(path, O_RDWR);
        lock(cfd, F_SETLK, F_WRLCK, mine, 1);
        write(back[1], "l", 1);
        read(go[0], &c, 1);
        int r = lock(cfd, F_SETLKW, F_WRLCK, want, len);
        _exit(r == 0 ? 0 : errno == EDEADLK ? 3 : 1);
    }
    return p;
}

/*
 * A deadlock that forms when a third process lets go (LTP's fcntl17): the parent holds byte 20, Y 21, Z 22.
 * Z waits for 20-21 (behind the parent, the first holder), then Y for 22 (behind Z): no cycle yet. The
 * parent unlocks 20; Z, woken, now waits behind Y, which waits for Z: Linux fails Z's F_SETLKW with
 * EDEADLK, and Y gets 22 when Z leaves.
 */
static void delayed_deadlock(const char *path, int fd, int back[2]) {
    char c;
    int ygo[2], zgo[2], status;
    pipe(ygo);
    pipe(zgo);
    lock(fd, F_SETLK, F_WRLCK, 20, 1);
    pid_t y = locker(path, back, ygo, 21, 22, 1);
    read(back[0], &c, 1);
    pid_t z = locker(path, back, zgo, 22, 20, 2);
    read(back[0], &c, 1);
    waiters[0] = y;
    waiters[1] = z;
    write(zgo[1], "g", 1);
    wait_sleeping(z, 10);
    write(ygo[1], "g", 1);
    wait_sleeping(y, 10);
    signal(SIGALRM, give_up); /* a deadlock nobody notices would hang both for ever */
    alarm(10);
    lock(fd, F_SETLK, F_UNLCK, 20, 1);
    waitpid(z, &status, 0);
    printf("delayed deadlock: the waiter woken into it gets EDEADLK: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 3);
    waitpid(y, &status, 0);
    printf("delayed deadlock: the other waiter then gets its lock: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    alarm(0);
}

/* F_GETLK for a range: "type start len by-whom" */
static const char *query(int fd, short type, off_t start, off_t len, pid_t parent) {
    static char buf[96];
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 12345};
    if (fcntl(fd, F_GETLK, &fl) != 0)
        return errname(errno);
    if (fl.l_type == F_UNLCK) {
        snprintf(buf, sizeof buf, "unlocked (pid left alone: %d)", fl.l_pid == 12345);
        return buf;
    }
    snprintf(buf, sizeof buf, "%s %ld+%ld by %s", fl.l_type == F_WRLCK ? "write" : "read", (long)fl.l_start,
             (long)fl.l_len, fl.l_pid == parent ? "the parent" : fl.l_pid == getpid() ? "itself" : "someone else");
    return buf;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "locks.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "0123456789abcdef", 16);
    pid_t parent = getpid();
    int sync[2], back[2];
    pipe(sync);
    pipe(back);
    char c;

    printf("parent write-locks 0+4: %d, ", lock(fd, F_SETLK, F_WRLCK, 0, 4));
    printf("read-locks 8+4: %d\n", lock(fd, F_SETLK, F_RDLCK, 8, 4));
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        printf("child: write-lock 2+2: %s\n", outcome(lock(cfd, F_SETLK, F_WRLCK, 2, 2)));
        printf("child: read-lock 8+2 (shared): %s\n", outcome(lock(cfd, F_SETLK, F_RDLCK, 8, 2)));
        printf("child: write-lock 9+1: %s\n", outcome(lock(cfd, F_SETLK, F_WRLCK, 9, 1)));
        printf("child: F_GETLK write 0+16: %s\n", query(cfd, F_WRLCK, 0, 16, parent));
        printf("child: F_GETLK read 4+4: %s\n", query(cfd, F_RDLCK, 4, 4, parent));
        /* the child closing its own fd of the file drops its locks only */
        close(cfd);
        cfd = open(path, O_RDWR);
        printf("child: after closing its fd, still locked out of 0+4: %s\n", outcome(lock(cfd, F_SETLK, F_WRLCK, 0, 4)));
        fflush(stdout);
        write(back[1], "1", 1);
        read(sync[0], &c, 1); /* the parent closed another fd of the file: its locks are gone */
        printf("child: after the parent closed a duplicate: write-lock 0+16: %s\n",
               outcome(lock(cfd, F_SETLK, F_WRLCK, 0, 16)));
        fflush(stdout);
        write(back[1], "2", 1);
        read(sync[0], &c, 1);
        /* blocking: waits until the parent unlocks */
        lock(cfd, F_SETLK, F_UNLCK, 0, 0);
        write(back[1], "3", 1);
        read(sync[0], &c, 1); /* the parent holds 0+1 now */
        _exit(lock(cfd, F_SETLKW, F_WRLCK, 0, 1) == 0 ? 0 : 1); /* reported by the parent, in order */
    }
    read(back[0], &c, 1);
    int dup_fd = open(path, O_RDONLY);
    close(dup_fd); /* any close of the file by this process drops all its locks on it (POSIX) */
    write(sync[1], "x", 1);
    read(back[0], &c, 1);
    printf("parent: the child holds 0+16 now: %s\n", query(fd, F_WRLCK, 0, 1, parent));
    write(sync[1], "y", 1);
    read(back[0], &c, 1);
    printf("parent: write-lock 0+1: %s\n", outcome(lock(fd, F_SETLK, F_WRLCK, 0, 1)));
    write(sync[1], "z", 1);
    usleep(100000);
    printf("parent: unlock: %s\n", outcome(lock(fd, F_SETLK, F_UNLCK, 0, 1)));
    fflush(stdout);
    int status;
    waitpid(child, &status, 0);
    printf("child: F_SETLKW on what the parent held got it: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* a deadlock between two processes is refused with EDEADLK */
    lock(fd, F_SETLK, F_WRLCK, 0, 1);
    child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        lock(cfd, F_SETLK, F_WRLCK, 5, 1);
        write(back[1], "a", 1);
        lock(cfd, F_SETLKW, F_WRLCK, 0, 1); /* waits for the parent */
        _exit(0);
    }
    read(back[0], &c, 1);
    wait_sleeping(child, 10); /* in its F_SETLKW */
    printf("parent: F_SETLKW on the child's lock while it waits for ours: %s\n", outcome(lock(fd, F_SETLKW, F_WRLCK, 5, 1)));
    lock(fd, F_SETLK, F_UNLCK, 0, 0);
    waitpid(child, &status, 0);

    delayed_deadlock(path, fd, back);

    /* a read lock needs an fd open for reading, a write lock one open for writing */
    int wo = open(path, O_WRONLY), ro = open(path, O_RDONLY);
    printf("read lock on O_WRONLY: %s, ", outcome(lock(wo, F_SETLK, F_RDLCK, 0, 1)));
    printf("write lock on O_RDONLY: %s\n", outcome(lock(ro, F_SETLK, F_WRLCK, 0, 1)));
    printf("bad type: %s\n", outcome(lock(fd, F_SETLK, 7, 0, 1)));

    /* open file description locks: between two opens in one process */
    int o1 = open(path, O_RDWR), o2 = open(path, O_RDWR);
    struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
    printf("OFD lock on one open: %s\n", outcome(fcntl(o1, F_OFD_SETLK, &ofd)));
    printf("OFD lock on another: %s\n", outcome(fcntl(o2, F_OFD_SETLK, &ofd)));
    close(o1);
    printf("after the first is closed: %s\n", outcome(fcntl(o2, F_OFD_SETLK, &ofd)));

    /* owners and signals */
    long r = fcntl(fd, F_SETOWN, getpid());
    printf("F_SETOWN own pid: %s, F_GETOWN is it: %d\n", outcome(r), fcntl(fd, F_GETOWN) == getpid());
    struct f_owner_ex ox;
    r = fcntl(fd, F_GETOWN_EX, &ox);
    printf("F_GETOWN_EX: %s, type PID: %d, pid is ours: %d\n", outcome(r), ox.type == F_OWNER_PID, ox.pid == getpid());
    ox.type = F_OWNER_PGRP;
    ox.pid = getpgrp();
    r = fcntl(fd, F_SETOWN_EX, &ox);
    printf("F_SETOWN_EX group: %s, F_GETOWN is minus it: %d\n", outcome(r), fcntl(fd, F_GETOWN) == -getpgrp());
    r = fcntl(fd, F_SETSIG, SIGUSR1);
    printf("F_SETSIG SIGUSR1: %s, F_GETSIG: %d\n", outcome(r), fcntl(fd, F_GETSIG));
    printf("F_SETSIG 99: %s\n", outcome(fcntl(fd, F_SETSIG, 99)));

    /* a read lease on a file only this process has open for reading */
    close(fd);
    close(wo);
    close(o2);
    r = fcntl(ro, F_SETLEASE, F_RDLCK);
    printf("F_SETLEASE read: %s, F_GETLEASE is F_RDLCK: %d\n", outcome(r), fcntl(ro, F_GETLEASE) == F_RDLCK);
    printf("F_SETLEASE unlock: %s\n", outcome(fcntl(ro, F_SETLEASE, F_UNLCK)));
    unlink(path);
    return 0;
}
