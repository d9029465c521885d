/* popen(), system() and posix_spawn() of /bin/sh: a static program that runs the host's shell (dash,
 * dynamically linked on Debian) and the tools it starts, each as a process of its own on the LWK.
 * Output depends only on what the commands print and how they end. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void status_line(const char *what, int st)
{
	if (st == -1)
		perror(what);
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	fflush(stdout);
}

int main(void)
{
	/* popen("ls /"): the shell's output read through a pipe */
	FILE *f = popen("ls /", "r");
	if (!f) {
		perror("popen");
		return 1;
	}
	char line[512];
	int lines = 0;
	while (fgets(line, sizeof line, f)) {
		printf("ls /: %s", line);
		lines++;
	}
	printf("popen(\"ls /\"): %d lines\n", lines);
	status_line("pclose", pclose(f));

	/* popen for writing: sort reads what this program writes */
	f = popen("sort -r", "w");
	if (!f) {
		perror("popen");
		return 1;
	}
	fputs("apple\ncherry\nbanana\n", f);
	status_line("pclose(sort -r)", pclose(f));

	/* system(): the shell's exit status, a pipeline of host tools */
	status_line("system(\"exit 7\")", system("exit 7"));
	status_line("system(pipeline)", system("echo one two three | tr ' ' '\\n' | sort | head -2"));
	status_line("system(kill)", system("kill -TERM $$"));

	/* posix_spawn of /bin/sh -c */
	pid_t pid;
	char *args[] = {"sh", "-c", "echo spawned; exit 5", NULL};
	int e = posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ);
	if (e) {
		printf("posix_spawn: error %d\n", e);
		return 1;
	}
	int st;
	waitpid(pid, &st, 0);
	status_line("posix_spawn(/bin/sh)", st);
	return 0;
}
