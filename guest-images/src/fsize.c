/*
 * RLIMIT_FSIZE: writes to a regular file stop at the limit (shortened across it, EFBIG and SIGXFSZ at or
 * past it), truncate and ftruncate cannot grow a file past it, pipes and /dev/null are not limited, and
 * SIGXFSZ's default action ends the process. Compared with Linux by LinuxAbiTest.fileSizeLimit.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define LIMIT 4096
static volatile int xfsz;

static void on_xfsz(int sig)
{
	xfsz++;
}

int main(void)
{
	static char buf[3 * LIMIT];
	char path[] = "/tmp/jmck-fsize-XXXXXX";
	int fd = mkstemp(path), p[2];
	struct rlimit rl = {LIMIT, LIMIT};
	struct iovec iov = {buf, 10};
	const char *r;

	memset(buf, 'x', sizeof buf);
	signal(SIGXFSZ, on_xfsz);
	printf("setrlimit: %s\n", outcome(setrlimit(RLIMIT_FSIZE, &rl)));
	printf("write across the limit: %s\n", outcome(write(fd, buf, LIMIT + 904)));
	r = outcome(write(fd, buf, 1));
	printf("write at the limit: %s, SIGXFSZ: %d\n", r, xfsz);
	r = outcome(write(fd, buf, 0));
	printf("write of nothing at the limit: %s, SIGXFSZ: %d\n", r, xfsz);
	r = outcome(pwrite(fd, buf, 10, 2 * LIMIT));
	printf("pwrite past it: %s, SIGXFSZ: %d\n", r, xfsz);
	printf("pwritev past it: %s\n", outcome(pwritev(fd, &iov, 1, LIMIT)));
	printf("pwrite below it: %s\n", outcome(pwrite(fd, buf, 10, 100)));
	r = outcome(ftruncate(fd, 2 * LIMIT));
	printf("ftruncate past it: %s, SIGXFSZ: %d\n", r, xfsz);
	printf("ftruncate below it: %s\n", outcome(ftruncate(fd, 100)));
	r = outcome(truncate(path, LIMIT + 1));
	printf("truncate past it: %s, SIGXFSZ: %d\n", r, xfsz);
	int afd = open(path, O_WRONLY | O_APPEND);
	printf("append across it: %s\n", outcome(write(afd, buf, LIMIT)));
	printf("size: %ld\n", (long) lseek(fd, 0, SEEK_END));
	r = outcome(write(afd, buf, 1));
	printf("append at it: %s, SIGXFSZ: %d\n", r, xfsz);
	printf("truncate of a file bigger than the limit to a smaller size: %s\n", outcome(ftruncate(fd, LIMIT)));
	pipe(p);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	printf("pipe: %s\n", outcome(write(p[1], buf, LIMIT + 10)));
	int null = open("/dev/null", O_WRONLY);
	printf("/dev/null: %s\n", outcome(write(null, buf, sizeof buf)));
	pid_t child = fork();
	if (child == 0) {
		signal(SIGXFSZ, SIG_DFL);
		write(afd, buf, 1);
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	printf("child with the default action: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ ? "killed by SIGXFSZ"
	       : "not killed by SIGXFSZ");
	unlink(path);
	return 0;
}
