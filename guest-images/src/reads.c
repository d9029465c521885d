/* Reads as Linux does them. "reads DIR": a regular file read through the offsets, descriptors and
 * processes that share it while it changes, then a pipe; jmck's LWK serves regular-file reads itself once
 * the proxy has offered the file (DirectReads), so each step checks that the result is still the host's.
 * "reads -": three reads of stdin, one line each from a terminal, printed with their counts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "errname.h"

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (write(fd, s, strlen(s)) < 0)
		perror("write");
	close(fd);
}

/* "what: N [bytes]" or "what: ENAME" */
static void rd(const char *what, int fd, char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n);
	if (r < 0)
		printf("%s: %s\n", what, errname(errno));
	else
		printf("%s: %zd [%.*s]\n", what, r, (int)(r > 40 ? 40 : r), buf);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static char buf[4096];
	if (argc > 1 && strcmp(argv[1], "-") == 0) {
		for (int i = 0; i < 3; i++)
			rd("stdin", 0, buf, sizeof buf);
		return 0;
	}
	if (argc < 2 || chdir(argv[1]) != 0)
		return 2;
	put("a", "0123456789abcdefghijklmnopqrstuvwxyz");
	put("b", "BBBBBBBBBBBBBBBBBBBB");
	int fd = open("a", O_RDONLY);
	rd("first read", fd, buf, 4);
	rd("second read", fd, buf, 4);
	printf("offset: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	lseek(fd, 2, SEEK_CUR);
	rd("after lseek +2", fd, buf, 3);
	int d = dup(fd);
	rd("through a dup", d, buf, 3);
	rd("through the first again", fd, buf, 3);
	pid_t child = fork();
	if (child == 0) {
		rd("in a child", fd, buf, 3);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	rd("in the parent after the child", fd, buf, 3);

	/* the file changes under the reader */
	int w = open("a", O_WRONLY);
	if (pwrite(w, "XYZ", 3, lseek(fd, 0, SEEK_CUR)) != 3)
		perror("pwrite");
	rd("after a write through another fd", fd, buf, 3);
	lseek(fd, 0, SEEK_END);
	rd("at the end", fd, buf, 3);
	int app = open("a", O_WRONLY | O_APPEND);
	if (write(app, "+grown", 6) != 6)
		perror("write");
	rd("after the file grew", fd, buf, 10);
	if (ftruncate(w, 5) != 0)
		perror("ftruncate");
	rd("after it was truncated", fd, buf, 3);
	printf("pread at 1: %zd\n", pread(fd, buf, 3, 1));
	printf("pread at -1: %s\n", pread(fd, buf, 3, -1) < 0 ? errname(errno) : "ok");

	/* the fd number comes to name another file */
	int b = open("b", O_RDONLY);
	dup2(b, fd);
	rd("after dup2 of b over it", fd, buf, 3);
	close(fd);
	close(d);
	fd = open("a", O_RDONLY);
	rd("reopened", fd, buf, 3);

	/* memory the read may not write */
	rd("into address 1", fd, (char *)1, 3);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rd("into a read-only page", fd, ro, 3);
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(two + 4096, 4096, PROT_NONE);
	lseek(fd, 0, SEEK_SET);
	rd("across into a PROT_NONE page", fd, two + 4094, 4);

	/* a big file, more than the LWK reads itself at once */
	int big = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *m = malloc(3 << 20);
	for (int i = 0; i < 3 << 20; i++)
		m[i] = 'a' + i % 26;
	if (write(big, m, 3 << 20) != 3 << 20)
		perror("write");
	lseek(big, 0, SEEK_SET);
	memset(m, 0, 3 << 20);
	printf("big read: %zd\n", read(big, m, 3 << 20));
	printf("big contents right: %d\n", m[0] == 'a' && m[(3 << 20) - 1] == 'a' + ((3 << 20) - 1) % 26);

	/* a pipe: a read returns what is there */
	int p[2];
	if (pipe(p) != 0 || write(p[1], "ab", 2) != 2)
		perror("pipe");
	rd("from a pipe", p[0], buf, sizeof buf);
	return 0;
}
