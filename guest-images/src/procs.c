/* Processes under the LWK: fork, vfork, posix_spawn, execve, wait4/waitid, pipes between processes,
 * copy-on-write, SIGCHLD, process groups. Output depends only on what the calls do, not on timing.
 * argv[1] == "child-exec" is the program run by execve below (it reports what it inherited). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

extern char **environ;
static volatile sig_atomic_t chld_count;

static void on_chld(int sig)
{
	(void)sig;
	chld_count++;
}

static void status_line(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
	else
		printf("%s: status %#x\n", what, st);
}

static int child_exec(int argc, char **argv)
{
	/* argv[3] was inherited without FD_CLOEXEC, argv[4] with it */
	printf("exec'd child: argc %d argv[2] %s env JMCK_TEST=%s\n", argc, argc > 2 ? argv[2] : "-",
	       getenv("JMCK_TEST") ? getenv("JMCK_TEST") : "(unset)");
	if (argc > 4) {
		int keep = fcntl(atoi(argv[3]), F_GETFD), drop = fcntl(atoi(argv[4]), F_GETFD);
		printf("exec'd child: fd without FD_CLOEXEC %s, fd with it %s\n", keep >= 0 ? "open" : "closed",
		       drop >= 0 ? "open" : "closed");
	}
	struct sigaction usr1, usr2;
	sigaction(SIGUSR1, NULL, &usr1);
	sigaction(SIGUSR2, NULL, &usr2);
	printf("exec'd child: SIGUSR1 handler reset to default: %s, SIGUSR2 still ignored: %s\n",
	       usr1.sa_handler == SIG_DFL ? "yes" : "no", usr2.sa_handler == SIG_IGN ? "yes" : "no");
	fflush(stdout);
	return 42;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child-exec"))
		return child_exec(argc, argv);
	setvbuf(stdout, NULL, _IONBF, 0);

	/* 1. fork and exit status; the child sees its own pid and its parent */
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		printf("fork child: getppid is parent: %s, getpid differs: %s\n", getppid() == parent ? "yes" : "no",
		       getpid() != parent ? "yes" : "no");
		_exit(7);
	}
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("waitpid returned the child: %s\n", w == c ? "yes" : "no");
	status_line("fork child", st);

	/* 2. copy-on-write: the child's writes do not reach the parent */
	static char page[8192] = "parent's data";
	int *heap = malloc(1 << 20);
	heap[1000] = 1;
	c = fork();
	if (c == 0) {
		strcpy(page, "child's data");
		heap[1000] = 2;
		printf("cow child sees: %s %d\n", page, heap[1000]);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("cow parent sees: %s %d\n", page, heap[1000]);

	/* 3. shared anonymous memory is shared */
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 1;
	c = fork();
	if (c == 0) {
		*shared = 99;
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("shared mapping after child wrote: %d\n", *shared);

	/* 4. a pipe between two processes */
	int p[2];
	pipe(p);
	c = fork();
	if (c == 0) {
		close(p[0]);
		for (int i = 0; i < 1000; i++)
			dprintf(p[1], "line %d\n", i);
		_exit(0);
	}
	close(p[1]);
	char buf[4096];
	long total = 0, lines = 0;
	for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) {
		total += n;
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	}
	close(p[0]);
	waitpid(c, &st, 0);
	printf("pipe: %ld bytes, %ld lines, then EOF\n", total, lines);

	/* 5. SIGCHLD with a handler, several children, wait4 for any, ECHILD at the end */
	struct sigaction sa = {.sa_handler = on_chld};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(10 + i);
	int sum = 0, r;
	for (int i = 0; i < 3; i++) {
		if (wait(&st) < 0)
			printf("wait: %s\n", errname(errno));
		sum += WEXITSTATUS(st);
	}
	printf("three children: status sum %d, SIGCHLD handled %s\n", sum, chld_count >= 1 ? "yes" : "no");
	errno = 0;
	r = wait(&st);
	printf("wait with no children: %d %s\n", r, errname(errno));

	/* 6. WNOHANG, and waitid */
	int go[2];
	pipe(go);
	c = fork();
	if (c == 0) {
		char x;
		read(go[0], &x, 1); /* waits for the parent */
		_exit(3);
	}
	printf("WNOHANG on a running child: %d\n", waitpid(c, &st, WNOHANG));
	write(go[1], "x", 1);
	close(go[0]);
	close(go[1]);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED);
	printf("waitid: %d signo %d code %s status %d pid matches %s\n", r, si.si_signo,
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status, si.si_pid == c ? "yes" : "no");

	/* 7. a child killed by a signal */
	c = fork();
	if (c == 0) {
		raise(SIGSEGV);
		_exit(0);
	}
	waitpid(c, &st, 0);
	status_line("segfaulting child", st);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, SIGTERM);
	waitpid(c, &st, 0);
	status_line("child sent SIGTERM", st);

	/* 8. execve: arguments, environment, close-on-exec, signal dispositions */
	int keep = open("/dev/null", O_RDONLY), drop = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char keeps[16], drops[16];
	snprintf(keeps, sizeof keeps, "%d", keep);
	snprintf(drops, sizeof drops, "%d", drop);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	c = fork();
	if (c == 0) {
		char *args[] = {argv[0], "child-exec", "second", keeps, drops, NULL};
		char *env[] = {"JMCK_TEST=passed", NULL};
		execve("/proc/self/exe", args, env);
		printf("execve failed: %s\n", errname(errno));
		_exit(1);
	}
	waitpid(c, &st, 0);
	status_line("exec'd child", st);
	close(keep);
	close(drop);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	/* 9. execve errors */
	char *noargs[] = {"x", NULL};
	errno = 0;
	execve("/nonexistent/program", noargs, environ);
	printf("execve missing file: %s\n", errname(errno));
	errno = 0;
	execve("/", noargs, environ);
	printf("execve a directory: %s\n", errname(errno));
	char plain[64];
	snprintf(plain, sizeof plain, "/tmp/jmck-procs-%d", (int)getpid());
	close(open(plain, O_CREAT | O_WRONLY, 0644));
	errno = 0;
	execve(plain, noargs, environ);
	printf("execve a file without x permission: %s\n", errname(errno));
	unlink(plain);

	/* 10. vfork and posix_spawn */
	c = vfork();
	if (c == 0)
		_exit(5);
	waitpid(c, &st, 0);
	status_line("vfork child", st);
	char *sargs[] = {argv[0], "child-exec", "spawned", NULL};
	pid_t sp;
	r = posix_spawn(&sp, "/proc/self/exe", NULL, NULL, sargs, environ);
	waitpid(sp, &st, 0); /* before printing: the child's lines and ours would race */
	printf("posix_spawn: %s\n", errname(r));
	status_line("spawned child", st);

	/* 11. process groups */
	int ready[2];
	pipe(ready);
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		printf("child in its own group: %s\n", getpgrp() == getpid() ? "yes" : "no");
		write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	char x;
	read(ready[0], &x, 1);
	printf("parent sees the child's group: %s\n", getpgid(c) == c ? "yes" : "no");
	kill(-c, SIGKILL); /* the group, not the pid */
	waitpid(c, &st, 0);
	status_line("group member", st);
	errno = 0;
	r = getpgid(c);
	printf("getpgid of a reaped child: %d %s\n", r, errname(errno));

	/* 12. job control: a child stops itself, the parent sees it stopped, continues it, sees that too */
	int hold[2];
	pipe(hold);
	c = fork();
	if (c == 0) {
		raise(SIGSTOP);
		read(hold[0], &x, 1); /* stays alive until the parent has seen it continue */
		_exit(9);
	}
	w = waitpid(c, &st, WUNTRACED);
	printf("WUNTRACED: %s, stopped by signal %d\n", w == c && WIFSTOPPED(st) ? "stopped" : "not stopped",
	       WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
	kill(c, SIGCONT);
	w = waitpid(c, &st, WCONTINUED);
	printf("WCONTINUED: %s\n", w == c && WIFCONTINUED(st) ? "continued" : "not continued");
	write(hold[1], "x", 1);
	waitpid(c, &st, 0);
	status_line("continued child", st);
	return 0;
}
