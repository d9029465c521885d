/* /proc for the process's own pid and its children's, as test harnesses use it (LTP's library writes
 * /proc/PID/oom_score_adj and waits on the state letter in /proc/PID/stat) and as ps and pgrep find
 * processes (a listing of /proc whose every number is a process with a stat): each check prints what it
 * found in a form that does not depend on the pids or the machine. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static char buf[65536];

/* The contents of a file, or NULL (errno set). */
static char *slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    return buf;
}

/* The value after "key:" in a status-like file, or -1. */
static long field(const char *text, const char *key) {
    char k[64];
    snprintf(k, sizeof k, "\n%s:", key);
    const char *p = strstr(text, k);
    return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

/* The state letter in /proc/PID/stat (after the parenthesized name), or '?'. */
static char state(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    char *s = slurp(path);
    if (!s)
        return '?';
    char *close = strrchr(s, ')');
    return close && close[1] == ' ' ? close[2] : '?';
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void *sleeper(void *arg) {
    (void)arg;
    pause();
    return NULL;
}

/* Whether a listing of /proc names pid. */
static int listed(pid_t pid) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)) != NULL)
        found |= atoi(e->d_name) == pid && e->d_name[0] != '0';
    if (d)
        closedir(d);
    return found;
}

/* Whether every number in a listing of /proc is a process whose stat starts with it, and the listing has
 * self and meminfo, as ps expects. A host process may end between the listing and the read: tried thrice. */
static int listing_as_ps_reads_it(void) {
    for (int attempt = 0; attempt < 3; attempt++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        int numbers = 0, unreadable = 0, named = 0;
        char path[300];
        while (d && (e = readdir(d)) != NULL) {
            named += strcmp(e->d_name, "self") == 0 || strcmp(e->d_name, "meminfo") == 0;
            if (e->d_name[0] < '1' || e->d_name[0] > '9')
                continue;
            numbers++;
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            char *s = slurp(path);
            unreadable += !s || atoi(s) != atoi(e->d_name);
        }
        if (d)
            closedir(d);
        if (d && numbers > 0 && unreadable == 0 && named == 2)
            return 1;
    }
    return 0;
}

int main(void) {
    pid_t me = getpid();
    char path[128];

    snprintf(path, sizeof path, "/proc/%d/status", me);
    char *s = slurp(path);
    printf("status by pid: %s, Pid is getpid: %d, PPid is getppid: %d, Tgid: %d\n", s ? "read" : errname(errno),
           s && field(s, "Pid") == me, s && field(s, "PPid") == getppid(), s && field(s, "Tgid") == me);
    printf("status Uid is getuid: %d, State line: %s\n", s && field(s, "Uid") == (long)getuid(),
           s && strstr(s, "\nState:\tR (running)\n") ? "R (running)" : "other");
    printf("own state in stat: %c\n", state(me));
    s = slurp("/proc/self/stat");
    printf("self stat starts with pid: %d, has 52 fields: ", s && atoi(s) == me);
    int fields = 0;
    for (char *p = s ? strrchr(s, ')') : NULL; p && *p; p++)
        fields += *p == ' ';
    printf("%d\n", fields + 2 == 52);

    snprintf(path, sizeof path, "/proc/%d/statm", me);
    s = slurp(path);
    long size = -1, resident = -1;
    if (s)
        sscanf(s, "%ld %ld", &size, &resident);
    printf("statm: size > 0: %d, resident > 0: %d, resident <= size: %d\n", size > 0, resident > 0, resident <= size);

    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", me);
    printf("access oom_score_adj: %s\n", access(path, F_OK) == 0 ? "0" : errname(errno));
    printf("write -1000: %d\n", write_file(path, "-1000"));
    s = slurp(path);
    printf("read back: %s", s ? s : "(error)\n");
    printf("write 0: %d\n", write_file(path, "0"));
    s = slurp("/proc/self/oom_score_adj");
    printf("read back through self: %s", s ? s : "(error)\n");
    write_file(path, "-500");
    pid_t child = fork();
    if (child == 0) {
        s = slurp("/proc/self/oom_score_adj");
        _exit(s && atoi(s) == -500 ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child inherits oom_score_adj: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    write_file(path, "0");

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    s = slurp("/proc/self/limits");
    char want[128];
    snprintf(want, sizeof want, "Max open files            %-20lu %-20lu files", (unsigned long)rl.rlim_cur,
             (unsigned long)rl.rlim_max);
    printf("limits has the open files line: %d\n", s && strstr(s, want) != NULL);

    s = slurp("/proc/self/cmdline");
    printf("cmdline ends in procfs: %d\n", s && strlen(s) >= 6 && strcmp(s + strlen(s) - 6, "procfs") == 0);
    snprintf(path, sizeof path, "/proc/%d/comm", me);
    s = slurp(path);
    printf("comm: %s", s ? s : "(error)\n");
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("exe ends in procfs: %d\n", n > 6 && strcmp(buf + n - 6, "procfs") == 0);
    struct stat st;
    printf("stat /proc/self/exe is a regular file: %d\n", stat("/proc/self/exe", &st) == 0 && S_ISREG(st.st_mode));
    snprintf(path, sizeof path, "/proc/%d", me);
    printf("stat /proc/PID is a directory: %d\n", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    printf("lstat /proc/self/ (a trailing slash follows the link) is a directory: %d\n",
           lstat("/proc/self/", &st) == 0 && S_ISDIR(st.st_mode));

    /* threads: task/ lists them, /proc/TID and task/TID/stat describe them */
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, sleeper, NULL);
    usleep(100000);
    snprintf(path, sizeof path, "/proc/%d/task", me);
    DIR *d = opendir(path);
    int tasks = 0, has_me = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        tasks++;
        has_me |= atoi(e->d_name) == me;
    }
    if (d)
        closedir(d);
    printf("task entries: %d, main thread among them: %d\n", tasks, has_me);
    s = slurp("/proc/self/status");
    printf("Threads: %ld\n", s ? field(s, "Threads") : -1);
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", me, me);
    s = slurp(path);
    printf("task/PID/stat starts with the pid: %d\n", s && atoi(s) == me);
    snprintf(path, sizeof path, "/proc/%d/task/2147483647/stat", me);
    printf("task of no such thread: %s\n", slurp(path) ? "read" : errname(errno));

    /* children: sleeping, stopped, ended and not reaped */
    child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    char seen = '?';
    for (int i = 0; i < 500 && (seen = state(child)) != 'S'; i++)
        usleep(10000);
    printf("child blocked in pause: %c\n", seen);
    kill(child, SIGSTOP);
    waitpid(child, &status, WUNTRACED);
    printf("child stopped: %c\n", state(child));
    printf("listing of /proc: own pid in it: %d, stopped child in it: %d, each number a process: %d\n",
           listed(me), listed(child), listing_as_ps_reads_it());
    kill(child, SIGKILL);
    for (int i = 0; i < 500 && (seen = state(child)) != 'Z'; i++)
        usleep(10000);
    printf("child killed, not reaped: %c\n", seen);
    waitpid(child, &status, 0);
    printf("child reaped: %c (%s)\n", state(child), errname(errno));
    printf("reaped child in the listing: %d\n", listed(child));

    /* relative to a /proc/PID directory's fd, as killall and pstree read it; killall signals through it */
    snprintf(path, sizeof path, "/proc/%d", me);
    int dir = open(path, O_RDONLY | O_DIRECTORY);
    int at_stat = -1, at_cmdline = 0;
    if (dir >= 0) {
        int f = openat(dir, "stat", O_RDONLY);
        ssize_t got = f >= 0 ? read(f, buf, sizeof buf - 1) : -1;
        buf[got > 0 ? got : 0] = 0;
        at_stat = f >= 0 && atoi(buf) == me;
        if (f >= 0)
            close(f);
        f = openat(dir, "cmdline", O_RDONLY);
        got = f >= 0 ? read(f, buf, sizeof buf - 1) : -1;
        buf[got > 0 ? got : 0] = 0;
        at_cmdline = got > 6 && strcmp(buf + strlen(buf) - 6, "procfs") == 0;
        if (f >= 0)
            close(f);
        close(dir);
    }
    pid_t victim = fork();
    if (victim == 0) {
        pause();
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d", victim);
    dir = open(path, O_RDONLY | O_DIRECTORY);
    long sent = syscall(SYS_pidfd_send_signal, dir, SIGTERM, NULL, 0);
    int victim_status = 0;
    if (sent != 0)
        kill(victim, SIGKILL); /* not to wait for ever */
    waitpid(victim, &victim_status, 0);
    if (dir >= 0)
        close(dir);
    printf("through an fd of /proc/PID: stat is mine: %d, cmdline is mine: %d; pidfd_send_signal to a child's: %s, "
           "it ended by SIGTERM: %d\n", at_stat, at_cmdline, sent == 0 ? "0" : errname(errno),
           WIFSIGNALED(victim_status) && WTERMSIG(victim_status) == SIGTERM);

    /* /proc/self/fd and /dev/fd list this process's fds: every one listed is open, fd 9 is there, and so is
       the listing's own */
    for (int round = 0; round < 2; round++) {
        int nine = dup2(1, 9);
        DIR *fds = opendir(round == 0 ? "/proc/self/fd" : "/dev/fd/");
        int listed_nine = 0, own = 0, all_open = 1, count = 0;
        while (fds && (e = readdir(fds)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            int fd = atoi(e->d_name);
            count++;
            listed_nine |= fd == 9;
            own |= fd == dirfd(fds);
            all_open &= fcntl(fd, F_GETFD) >= 0;
        }
        if (fds)
            closedir(fds);
        close(nine);
        printf("listing of %s: fd 9 in it: %d, its own fd: %d, every fd in it open: %d\n",
               round == 0 ? "/proc/self/fd" : "/dev/fd/", listed_nine, own, all_open && count >= 4);
    }

    /* relative to /proc, as pidof reads it after chdir("/proc") */
    char *cwd = getcwd(NULL, 0);
    int changed = chdir("/proc") == 0;
    s = slurp("self/stat");
    int mine = s && atoi(s) == me;
    snprintf(path, sizeof path, "%d/status", me);
    s = slurp(path);
    int by_pid = s && field(s, "Pid") == me;
    DIR *here = opendir(".");
    int listed_here = 0;
    while (here && (e = readdir(here)) != NULL)
        listed_here |= atoi(e->d_name) == me;
    if (here)
        closedir(here);
    int back = cwd && chdir(cwd) == 0;
    s = slurp("/proc/self/stat"); /* and nothing sticks once the working directory is elsewhere */
    printf("after chdir(\"/proc\") (%d): self/stat is mine: %d, PID/status names me: %d, . lists me: %d; back: %d, "
           "/proc/self/stat is mine: %d\n", changed, mine, by_pid, listed_here, back, s && atoi(s) == me);
    free(cwd);

    printf("no such pid: %s\n", slurp("/proc/2147483647/status") ? "read" : errname(errno));
    printf("access no such pid: %s\n", access("/proc/2147483647", F_OK) == 0 ? "0" : errname(errno));
    return 0;
}
