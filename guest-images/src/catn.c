/* A tiny cat: copies each file named on the command line (or stdin, with none or "-") to stdout with
 * read and write through one buffer of a chosen size ("-b65536"; 4096 by default), so large files can be
 * streamed through a guest. Short writes are continued; errors go to stderr by errno name, status 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

static int copy(int fd, const char *name, char *buf, size_t size)
{
	for (;;) {
		ssize_t n = read(fd, buf, size);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "catn: %s: read: %s\n", name, errname(errno));
			return 1;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(1, buf + done, n - done);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "catn: write: %s\n", errname(errno));
				return 1;
			}
			done += w;
		}
	}
}

int main(int argc, char **argv)
{
	size_t size = 4096;
	int first = 1;
	if (argc > 1 && strncmp(argv[1], "-b", 2) == 0) {
		char *end;
		long n = strtol(argv[1] + 2, &end, 10);
		if (*end || n <= 0) {
			fprintf(stderr, "catn: bad buffer size %s\n", argv[1] + 2);
			return 2;
		}
		size = n;
		first = 2;
	}
	char *buf = malloc(size);
	if (!buf) {
		fprintf(stderr, "catn: no memory for a %zu-byte buffer\n", size);
		return 2;
	}
	if (first >= argc)
		return copy(0, "stdin", buf, size);
	int status = 0;
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			status |= copy(0, "stdin", buf, size);
			continue;
		}
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "catn: %s: %s\n", argv[i], errname(errno));
			status = 1;
			continue;
		}
		status |= copy(fd, argv[i], buf, size);
		close(fd);
	}
	return status;
}
