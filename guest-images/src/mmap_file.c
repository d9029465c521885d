/* mmap of files, against Linux: a private mapping reads the file and keeps its writes to itself; a shared
 * mapping's writes reach the file (after msync, and after munmap); an mmap with an fd opened for reading
 * only cannot be shared and writable; a pipe cannot be mapped. argv[1] is a scratch directory. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "errname.h"

int main(int argc, char **argv)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/mapped.txt", argc > 1 ? argv[1] : ".");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char text[10000];
	for (int i = 0; i < (int)sizeof text; i++)
		text[i] = 'a' + i % 26;
	write(fd, text, sizeof text);

	char *p = mmap(NULL, sizeof text, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("private map: %s, byte 9999 %c, past end %d\n", p == MAP_FAILED ? errname(errno) : "ok", p[9999], p[10001]);
	p[0] = 'X';
	char c;
	pread(fd, &c, 1, 0);
	printf("private write stays private: file has %c\n", c);
	munmap(p, sizeof text);

	char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	printf("shared map at offset 4096: %s, first byte %c\n", s == MAP_FAILED ? errname(errno) : "ok", s[0]);
	memcpy(s + 10, "SHARED", 6);
	printf("msync: %s\n", msync(s, 8192, MS_SYNC) ? errname(errno) : "ok");
	char back[7] = {0};
	pread(fd, back, 6, 4096 + 10);
	printf("file after msync: %s\n", back);
	s[100] = '!';
	munmap(s, 8192);
	pread(fd, back, 1, 4096 + 100);
	printf("file after munmap: %c\n", back[0]);
	close(fd);

	int ro = open(path, O_RDONLY);
	void *bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	printf("shared writable map of a read-only fd: %s\n", bad == MAP_FAILED ? errname(errno) : "mapped");
	void *good = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	printf("shared read-only map of it: %s, byte 0 %c\n", good == MAP_FAILED ? errname(errno) : "ok",
	       good == MAP_FAILED ? '-' : ((char *)good)[0]);
	printf("map of a closed fd: %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? errname(errno) : "mapped");
	int pfd[2];
	pipe(pfd);
	printf("map of a pipe: %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pfd[0], 0) == MAP_FAILED ? errname(errno) : "mapped");
	return 0;
}
