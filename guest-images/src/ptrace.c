/* ptrace between guest processes: a child that asks to be traced stops for its signals (even an ignored
 * one) and its tracer's wait reports the stop; the tracer reads and writes its memory and registers, drops
 * or passes the signal, kills it; ATTACH to a running and to a job-stopped child; execve's SIGTRAP; the
 * debug registers' checks; the errors (ESRCH, EPERM, EIO, EFAULT, EINVAL). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile long word = 0x1234;
static volatile int handled;

static void on_usr1(int sig) {
    (void)sig;
    handled = 1;
}

static void elsewhere(void) {
    _exit(9);
}

static const char *status(int st) {
    static char b[64];
    if (WIFEXITED(st))
        snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof b, "killed by %d", WTERMSIG(st));
    else if (WIFSTOPPED(st))
        snprintf(b, sizeof b, "stopped by %d", WSTOPSIG(st));
    else
        snprintf(b, sizeof b, "status %#x", st);
    return b;
}

static const char *res(long r) {
    return r == -1 ? errname(errno) : r == 0 ? "0" : "?";
}

/* A child that asks its parent to trace it and sends itself sig (after setting its action). */
static pid_t traced_child(int sig, void (*action)(int)) {
    pid_t c = fork();
    if (c == 0) {
        if (action)
            signal(sig, action);
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
            _exit(120);
        kill(getpid(), sig);
        _exit(handled * 100 + (int)(word & 0x7f));
    }
    return c;
}

static long dr(int n) {
    return offsetof(struct user, u_debugreg) + 8 * n;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exec") == 0)
        return 7;
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;

    pid_t c = traced_child(SIGUSR1, on_usr1);
    waitpid(c, &st, 0);
    printf("TRACEME child sends itself SIGUSR1: %s\n", status(st));
    siginfo_t si;
    long r = ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    printf("GETSIGINFO: %s, signo %d, SI_USER %d, from the child %d\n", res(r), si.si_signo, si.si_code == SI_USER,
           si.si_pid == c);
    errno = 0;
    long v = ptrace(PTRACE_PEEKDATA, c, &word, 0);
    printf("PEEKDATA: %#lx %s\n", v, errname(errno));
    printf("POKEDATA: %s\n", res(ptrace(PTRACE_POKEDATA, c, &word, (void *)0x42)));
    printf("the tracer's own word: %#lx\n", word);
    printf("CONT without the signal: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
    waitpid(c, &st, 0);
    printf("the handler did not run, the poked word is read: %s\n", status(st));
    pid_t gone = c;

    c = traced_child(SIGUSR1, on_usr1);
    waitpid(c, &st, 0);
    ptrace(PTRACE_CONT, c, 0, (void *)SIGUSR1);
    waitpid(c, &st, 0);
    printf("CONT with SIGUSR1: the handler ran: %s\n", status(st));

    c = traced_child(SIGUSR2, SIG_IGN);
    waitpid(c, &st, 0);
    printf("an ignored SIGUSR2 stops a tracee: %s\n", status(st));
    ptrace(PTRACE_CONT, c, 0, (void *)SIGUSR2);
    waitpid(c, &st, 0);
    printf("passed on, it is ignored: %s\n", status(st));

    c = traced_child(SIGUSR1, on_usr1);
    waitpid(c, &st, 0);
    printf("KILL: %s\n", res(ptrace(PTRACE_KILL, c, 0, 0)));
    waitpid(c, &st, 0);
    printf("after KILL: %s\n", status(st));

    c = traced_child(SIGUSR1, NULL);
    waitpid(c, &st, 0);
    struct user_regs_struct regs;
    r = ptrace(PTRACE_GETREGS, c, 0, &regs);
    errno = 0;
    long rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), 0);
    printf("GETREGS: %s, PEEKUSER of rip agrees: %d, orig_rax is kill's: %d\n", res(r), rip == (long)regs.rip,
           regs.orig_rax == 62);
    printf("GETREGS to address 1: %s\n", res(ptrace(PTRACE_GETREGS, c, 0, (void *)1)));
    printf("PEEKUSER at offset 1: %s\n", res(ptrace(PTRACE_PEEKUSER, c, 1, 0)));
    printf("PEEKUSER past struct user: %s\n", res(ptrace(PTRACE_PEEKUSER, c, 4096, 0)));
    printf("PEEKDATA at 0: %s\n", res(ptrace(PTRACE_PEEKDATA, c, 0, 0)));
    printf("POKEDATA at 0: %s\n", res(ptrace(PTRACE_POKEDATA, c, 0, 0)));
    struct user_fpregs_struct fp;
    r = ptrace(PTRACE_GETFPREGS, c, 0, &fp);
    printf("GETFPREGS: %s, cwd %#x, mxcsr %#x\n", res(r), fp.cwd, fp.mxcsr);
    struct iovec iov = {&regs, sizeof regs};
    r = ptrace(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov);
    printf("GETREGSET NT_PRSTATUS: %s, %zu bytes\n", res(r), iov.iov_len);
    printf("POKEUSER DR0 1: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(0), 1)));
    printf("POKEUSER DR7 1 (an execute breakpoint): %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(7), 1)));
    printf("POKEUSER DR0 in the kernel's half: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(0), 0xffff800000000000UL)));
    printf("DR0 then: %#lx, DR7: %#lx\n", ptrace(PTRACE_PEEKUSER, c, dr(0), 0), ptrace(PTRACE_PEEKUSER, c, dr(7), 0));
    printf("POKEUSER DR4: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(4), 0)));
    printf("an I/O breakpoint in DR7: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(7), 0x20001)));
    printf("an unaligned 8-byte watchpoint: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(7), 0xb0001 | 0x400)));
    regs.rip = (unsigned long)elsewhere;
    printf("SETREGS with rip at another function: %s\n", res(ptrace(PTRACE_SETREGS, c, 0, &regs)));
    ptrace(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, 0);
    printf("it ran there: %s\n", status(st));

    /* The child says it runs before the ATTACH, so that this attaches to a running child (fork_early.c
     * attaches before the child's first instruction). */
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    c = fork();
    if (c == 0) {
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char said;
    if (read(ready[0], &said, 1) != 1)
        return 1;
    close(ready[0]);
    close(ready[1]);
    printf("ATTACH to a running child: %s\n", res(ptrace(PTRACE_ATTACH, c, 0, 0)));
    waitpid(c, &st, 0);
    printf("it stops: %s\n", status(st));
    r = ptrace(PTRACE_GETSIGINFO, c, 0, &si);
    printf("GETSIGINFO: %s, signo %d, SI_KERNEL %d\n", res(r), si.si_signo, si.si_code == SI_KERNEL);
    printf("ATTACH again: %s\n", res(ptrace(PTRACE_ATTACH, c, 0, 0)));
    printf("ATTACH to myself: %s\n", res(ptrace(PTRACE_ATTACH, getpid(), 0, 0)));
    printf("ATTACH to a reaped pid: %s\n", res(ptrace(PTRACE_ATTACH, gone, 0, 0)));
    pid_t zombie = fork();
    if (zombie == 0)
        _exit(0);
    siginfo_t zi;
    waitid(P_PID, zombie, &zi, WEXITED | WNOWAIT); /* it has ended, and is not reaped yet */
    printf("ATTACH to a zombie: %s\n", res(ptrace(PTRACE_ATTACH, zombie, 0, 0)));
    waitpid(zombie, &st, 0);
    printf("DETACH: %s\n", res(ptrace(PTRACE_DETACH, c, 0, 0)));
    printf("CONT after DETACH: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    printf("it ran on untraced: %s\n", status(st));

    c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    waitpid(c, &st, WUNTRACED);
    printf("a child stops itself: %s\n", status(st));
    printf("ATTACH: %s\n", res(ptrace(PTRACE_ATTACH, c, 0, 0)));
    printf("POKEUSER at once: %s\n", res(ptrace(PTRACE_POKEUSER, c, dr(0), 2)));
    printf("PEEKUSER DR0: %ld\n", ptrace(PTRACE_PEEKUSER, c, dr(0), 0));
    printf("DETACH: %s\n", res(ptrace(PTRACE_DETACH, c, 0, 0)));
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
    printf("continued: %s\n", status(st));

    c = fork();
    if (c == 0) {
        long a = ptrace(PTRACE_TRACEME, 0, 0, 0), b = ptrace(PTRACE_TRACEME, 0, 0, 0);
        _exit(a == 0 && b == -1 && errno == EPERM ? 0 : 1);
    }
    waitpid(c, &st, 0);
    printf("TRACEME twice, EPERM the second time: %s\n", status(st));

    c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execl("/proc/self/exe", "ptrace", "exec", (char *)NULL);
        _exit(127);
    }
    waitpid(c, &st, 0);
    printf("a tracee's execve: %s\n", status(st));
    ptrace(PTRACE_CONT, c, 0, 0);
    waitpid(c, &st, 0);
    printf("its new program: %s\n", status(st));
    printf("CONT of a reaped child: %s\n", res(ptrace(PTRACE_CONT, c, 0, 0)));
    return 0;
}
