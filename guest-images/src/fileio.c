/* File I/O as Linux does it, inside the directory argv[1]: open/openat/creat with their flags, the read
 * and write family, lseek and holes, the stat family and statx, truncation, directories and their
 * listing, rename, links, access, permissions and the umask, fd duplication and fcntl flags, pipes,
 * the working directory, and the errors each call gives. Also the legacy syscalls that libc wrappers
 * replace with *at calls, made with syscall(). One line per operation, with only what is the same on
 * every run: sizes, types, permission bits, contents, fd numbers and errno names; paths relative to
 * argv[1]. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "errname.h"

static char base[PATH_MAX];
/* Bad arguments the compiler cannot see, so that it neither warns nor assumes anything. */
static void *volatile null;
static volatile int minus1 = -1, iov2000 = 2000;

/* "what: N" for a result, "what: ENAME" for a failure. */
static long show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, errname(errno));
	else
		printf("%s: %ld\n", what, r);
	return r;
}

static const char *type(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : S_ISFIFO(m) ? "fifo"
	       : S_ISCHR(m) ? "chardev" : S_ISSOCK(m) ? "socket" : "other";
}

/* The stable part of a struct stat: type, permission bits, and for files and links the size and links. */
static void showstat(const char *what, int r, const struct stat *st)
{
	if (r < 0) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	if (S_ISDIR(st->st_mode))
		printf("%s: %s %04o\n", what, type(st->st_mode), (unsigned)(st->st_mode & 07777));
	else
		printf("%s: %s %04o size %lld nlink %lu\n", what, type(st->st_mode), (unsigned)(st->st_mode & 07777),
		       (long long)st->st_size, (unsigned long)st->st_nlink);
}

static void statpath(const char *what, const char *path)
{
	struct stat st;
	showstat(what, stat(path, &st), &st);
}

/* Reads the whole file at path and prints its contents, with NULs shown as '.'. */
static void contents(const char *what, const char *path)
{
	char buf[512];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open %s\n", what, errname(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0) {
		printf("%s: read %s\n", what, errname(errno));
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = '.';
		else if (buf[i] == '\n')
			buf[i] = '|';
	printf("%s: %zd [%.*s]\n", what, n, (int)n, buf);
}

/* A result and the n bytes read, with newlines shown as '|'. */
static void showbuf(const char *what, ssize_t n, const char *buf)
{
	if (n < 0) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	printf("%s: %zd [", what, n);
	for (ssize_t i = 0; i < n; i++)
		putchar(buf[i] == '\n' ? '|' : buf[i]);
	printf("]\n");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory through opendir/readdir (getdents64), sorted, with their d_type. */
static void list(const char *what, const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64) {
		char *s = malloc(strlen(e->d_name) + 4);
		const char *t = e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : e->d_type == DT_REG ? ""
				: e->d_type == DT_FIFO ? "|" : "?";
		sprintf(s, "%s%s", e->d_name, t);
		names[n++] = s;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	printf("%s:", what);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void cwd(const char *what)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof buf)) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	size_t n = strlen(base);
	if (strncmp(buf, base, n) == 0)
		printf("%s: .%s\n", what, buf + n);
	else
		printf("%s: outside the test directory\n", what);
}

/* O_ACCMODE, O_APPEND, O_NONBLOCK and O_LARGEFILE as F_GETFL reports them. */
static void getfl(const char *what, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		printf("%s: %s\n", what, errname(errno));
	else
		printf("%s: %#o\n", what, fl);
}

static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void files(void)
{
	char buf[256];
	struct stat st;

	/* Creating: O_CREAT|O_EXCL, then again. */
	int fd = open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
	show("open a.txt O_CREAT|O_EXCL", fd);
	show("open a.txt O_CREAT|O_EXCL again", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
	show("write hello world", write(fd, "hello world\n", 12));
	show("lseek SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
	show("lseek SEEK_SET 6", lseek(fd, 6, SEEK_SET));
	show("write WORLD", write(fd, "WORLD", 5));
	show("lseek SEEK_CUR -3", lseek(fd, -3, SEEK_CUR));
	show("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
	show("lseek SEEK_END -5", lseek(fd, -5, SEEK_END));
	show("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET));
	show("lseek SEEK_CUR -1000", lseek(fd, -1000, SEEK_CUR));
	show("lseek whence 17", lseek(fd, 0, 17));
	show("lseek SEEK_SET 100 (beyond EOF)", lseek(fd, 100, SEEK_SET));
	showstat("fstat before writing past EOF", fstat(fd, &st), &st);
	show("write X at 100", write(fd, "X", 1));
	showstat("fstat after writing past EOF", fstat(fd, &st), &st);
	show("read from O_WRONLY fd", read(fd, buf, 10));
	show("close a.txt", close(fd));
	show("close a.txt again", close(fd));
	show("read closed fd", read(fd, buf, 10));
	show("write closed fd", write(fd, "x", 1));
	show("fstat closed fd", fstat(fd, &st));
	show("lseek closed fd", lseek(fd, 0, SEEK_SET));

	/* Reading back: read, pread (which keeps the offset), the hole reads as zeros. */
	fd = open("a.txt", O_RDONLY);
	show("open a.txt O_RDONLY", fd);
	memset(buf, 0, sizeof buf);
	ssize_t n = read(fd, buf, 12);
	showbuf("read 12", n, buf);
	n = pread(fd, buf, 5, 6);
	showbuf("pread 5 at 6", n, buf);
	show("lseek SEEK_CUR after pread", lseek(fd, 0, SEEK_CUR));
	memset(buf, 'z', sizeof buf);
	n = pread(fd, buf, 200, 12);
	int zeros = 0;
	for (int i = 0; i < n - 1; i++)
		zeros += buf[i] == 0;
	printf("pread 200 at 12: %zd, %d zero bytes, last [%c]\n", n, zeros, n > 0 ? buf[n - 1] : '?');
	show("pread at 1000 (EOF)", pread(fd, buf, 10, 1000));
	show("pread at -1", pread(fd, buf, 10, -1));
	show("write to O_RDONLY fd", write(fd, "x", 1));
	show("read 0 bytes", read(fd, buf, 0));
	show("read into NULL", read(fd, null, 10));
	show("read into read-only memory", read(fd, (void *)"constant string", 4));
	close(fd);

	/* pwrite, and O_TRUNC. */
	fd = open("a.txt", O_RDWR);
	show("pwrite mid at 50", pwrite(fd, "mid", 3, 50));
	show("lseek SEEK_CUR after pwrite", lseek(fd, 0, SEEK_CUR));
	show("write from NULL", write(fd, null, 10));
	show("write 0 bytes from NULL", write(fd, null, 0));
	memset(buf, 0, sizeof buf);
	n = pread(fd, buf, 3, 50);
	showbuf("pread 3 at 50", n, buf);
	close(fd);
	fd = open("a.txt", O_WRONLY | O_TRUNC);
	show("open a.txt O_TRUNC", fd);
	showstat("fstat after O_TRUNC", fstat(fd, &st), &st);
	show("write truncated", write(fd, "truncated\n", 10));
	close(fd);

	/* O_APPEND: every write goes to the end, wherever the offset was. */
	fd = open("a.txt", O_WRONLY | O_APPEND);
	show("open a.txt O_APPEND", fd);
	show("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
	show("write appended", write(fd, "appended\n", 9));
	show("lseek SEEK_CUR after append", lseek(fd, 0, SEEK_CUR));
	show("pwrite at 0 with O_APPEND", pwrite(fd, "P", 1, 0));
	getfl("F_GETFL O_APPEND file", fd);
	close(fd);
	contents("a.txt now", "a.txt");

	/* writev and readv across several buffers. */
	fd = open("b.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
	show("open b.txt", fd);
	struct iovec wv[3] = {{"one ", 4}, {"", 0}, {"two three\n", 10}};
	show("writev 3 iovecs", writev(fd, wv, 3));
	lseek(fd, 0, SEEK_SET);
	char r1[6] = {0}, r2[32] = {0};
	struct iovec rv[2] = {{r1, 5}, {r2, sizeof r2 - 1}};
	n = readv(fd, rv, 2);
	printf("readv 2 iovecs: %zd [%s] [%.*s|]\n", n, r1, (int)strcspn(r2, "\n"), r2);
	show("readv iovcnt -1", readv(fd, rv, minus1));
	show("readv iovcnt 2000", readv(fd, rv, iov2000));
	struct iovec bad[1] = {{0, 4}};
	lseek(fd, 0, SEEK_SET);
	show("readv into NULL", readv(fd, bad, 1));
	show("writev from NULL", writev(fd, bad, 1));
	show("readv NULL iovec array", readv(fd, null, 1));
	n = preadv(fd, rv, 2, 4);
	printf("preadv at 4: %zd [%s]\n", n, r1);
	struct iovec pv[1] = {{"TWO", 3}};
	show("pwritev TWO at 4", pwritev(fd, pv, 1, 4));
	close(fd);
	contents("b.txt now", "b.txt");

	/* A buffer that runs into an unmapped page: Linux moves what it can. */
	char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(pages + 4096, 4096);
	memcpy(pages + 4096 - 4, "tail", 4);
	fd = open("c.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	show("write running into an unmapped page", write(fd, pages + 4096 - 4, 100));
	lseek(fd, 0, SEEK_SET);
	show("read running into an unmapped page", read(fd, pages + 4096 - 2, 100));
	show("read starting in an unmapped page", read(fd, pages + 4096, 100));
	close(fd);
	munmap(pages, 4096);

	/* creat, and opening with the wrong expectations. */
	fd = creat("d.txt", 0640);
	show("creat d.txt", fd);
	show("write to creat fd", write(fd, "created\n", 8));
	show("read from creat fd", read(fd, buf, 4));
	close(fd);
	show("open missing", open("missing", O_RDONLY));
	show("open missing/x", open("missing/x", O_RDONLY));
	show("open a.txt/x", open("a.txt/x", O_RDONLY));
	show("open a.txt/x O_CREAT", open("a.txt/x", O_CREAT | O_WRONLY, 0644));
	show("open a.txt O_DIRECTORY", open("a.txt", O_RDONLY | O_DIRECTORY));
	show("open . O_WRONLY", open(".", O_WRONLY));
	show("open . O_RDWR|O_CREAT", open(".", O_RDWR | O_CREAT, 0644));
	show("open NULL path", open(null, O_RDONLY));
	show("open empty path", open("", O_RDONLY));

	/* Paths at PATH_MAX: 4095 bytes and a NUL fit, 4096 do not. */
	char *longpath = malloc(PATH_MAX + 1);
	for (int i = 0; i < PATH_MAX - 2; i += 2)
		memcpy(longpath + i, "./", 2);
	strcpy(longpath + PATH_MAX - 2, "a"); /* "./././.../a" */
	show("strlen long path", (long)strlen(longpath));
	fd = open(longpath, O_CREAT | O_WRONLY, 0644);
	show("open 4095-byte path O_CREAT", fd);
	close(fd);
	statpath("stat 4095-byte path", longpath);
	strcpy(longpath + PATH_MAX - 2, "/a"); /* "./././...//a" */
	show("strlen longer path", (long)strlen(longpath));
	show("open 4096-byte path", open(longpath, O_RDONLY));
	statpath("stat 4096-byte path", longpath);
	show("unlink a", unlink("a"));
	free(longpath);

	/* A /proc file opened read-only is read-only. */
	fd = open("/proc/self/maps", O_RDONLY);
	show("read /proc/self/maps", read(fd, buf, 1) == 1 ? 0 : -1);
	show("write /proc/self/maps opened O_RDONLY", write(fd, "x", 1));
	getfl("F_GETFL /proc/self/maps", fd);
	close(fd);
}

static void stats(void)
{
	struct stat st;
	statpath("stat a.txt", "a.txt");
	statpath("stat .", ".");
	statpath("stat missing", "missing");
	statpath("stat a.txt/x", "a.txt/x");
	/* Raw calls: musl's stat copies from a buffer of its own, so a bad one would fault in libc. */
	show("stat into NULL", syscall(SYS_newfstatat, AT_FDCWD, "a.txt", null, 0));
	show("stat NULL path", syscall(SYS_newfstatat, AT_FDCWD, null, &st, 0));
	show("stat into read-only memory", syscall(SYS_newfstatat, AT_FDCWD, "a.txt", (void *)show, 0));
	show("fstat into NULL", syscall(SYS_fstat, 0, null));
	showstat("lstat a.txt", lstat("a.txt", &st), &st);
	int fd = open("b.txt", O_RDONLY);
	showstat("fstat b.txt", fstat(fd, &st), &st);
	showstat("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	showstat("fstatat empty path without AT_EMPTY_PATH", fstatat(fd, "", &st, 0), &st);
	showstat("fstatat file fd relative", fstatat(fd, "x", &st, 0), &st);
	close(fd);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	showstat("fstatat dirfd b.txt", fstatat(dir, "b.txt", &st, 0), &st);
	showstat("fstatat AT_FDCWD d.txt", fstatat(AT_FDCWD, "d.txt", &st, AT_SYMLINK_NOFOLLOW), &st);
	showstat("fstatat bad dirfd", fstatat(99, "b.txt", &st, 0), &st);
	showstat("fstatat bad flags", fstatat(dir, "b.txt", &st, 0x40000), &st);
	close(dir);

	/* statx, with the raw syscall: musl 1.2.3 has no wrapper. Fields by offset in struct statx. */
	unsigned char sx[256];
	memset(sx, 0xee, sizeof sx);
	long r = syscall(SYS_statx, AT_FDCWD, "a.txt", 0, 0x7ffu /* STATX_BASIC_STATS */, sx);
	if (r < 0) {
		printf("statx a.txt: %s\n", errname(errno));
	} else {
		uint32_t mask;
		uint16_t mode;
		uint64_t size;
		uint32_t nlink;
		memcpy(&mask, sx, 4);
		memcpy(&nlink, sx + 16, 4);
		memcpy(&mode, sx + 28, 2);
		memcpy(&size, sx + 40, 8);
		printf("statx a.txt: mask has type/mode/size %d, %s %04o size %llu nlink %u\n",
		       (mask & 0x203) == 0x203, type(mode), mode & 07777, (unsigned long long)size, nlink);
	}
	fd = open("b.txt", O_RDONLY);
	memset(sx, 0, sizeof sx);
	r = syscall(SYS_statx, fd, "", 0x1000 /* AT_EMPTY_PATH */, 0x200u /* STATX_SIZE */, sx);
	uint64_t size;
	memcpy(&size, sx + 40, 8);
	if (r < 0)
		printf("statx fd AT_EMPTY_PATH: %s\n", errname(errno));
	else
		printf("statx fd AT_EMPTY_PATH: size %llu\n", (unsigned long long)size);
	close(fd);
	show("statx missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, 0x7ffu, sx));
	show("statx into NULL", syscall(SYS_statx, AT_FDCWD, "a.txt", 0, 0x7ffu, NULL));
	show("statx bad flags", syscall(SYS_statx, AT_FDCWD, "a.txt", 0x40000000, 0x7ffu, sx));
	show("statx reserved mask bit", syscall(SYS_statx, AT_FDCWD, "a.txt", 0, 0x80000000u, sx));
}

static void truncation(void)
{
	struct stat st;
	int fd = open("t.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	show("ftruncate 4096", ftruncate(fd, 4096));
	showstat("fstat after ftruncate 4096", fstat(fd, &st), &st);
	show("ftruncate 5", ftruncate(fd, 5));
	showstat("fstat after ftruncate 5", fstat(fd, &st), &st);
	show("lseek SEEK_CUR after ftruncate", lseek(fd, 0, SEEK_CUR));
	show("ftruncate -1", ftruncate(fd, -1));
	close(fd);
	contents("t.txt now", "t.txt");
	fd = open("t.txt", O_RDONLY);
	show("ftruncate O_RDONLY fd", ftruncate(fd, 0));
	close(fd);
	show("ftruncate closed fd", ftruncate(fd, 0));
	show("truncate t.txt 3", truncate("t.txt", 3));
	show("truncate missing", truncate("missing", 3));
	show("truncate directory", truncate(".", 3));
	contents("t.txt now", "t.txt");
	show("fsync", (fd = open("t.txt", O_RDWR), fsync(fd)));
	show("fdatasync", fdatasync(fd));
	close(fd);
}

static void directories(void)
{
	show("mkdir d", mkdir("d", 0755));
	show("mkdir d again", mkdir("d", 0755));
	show("mkdir d/sub", mkdir("d/sub", 0700));
	show("mkdir missing/x", mkdir("missing/x", 0755));
	show("mkdir a.txt/x", mkdir("a.txt/x", 0755));
	int dir = open("d", O_RDONLY | O_DIRECTORY);
	show("open d O_DIRECTORY", dir);
	show("mkdirat dirfd sub2", mkdirat(dir, "sub2", 0750));
	int fd = openat(dir, "f1", O_CREAT | O_WRONLY, 0644);
	show("openat dirfd f1", fd);
	write(fd, "f1 data\n", 8);
	close(fd);
	show("openat AT_FDCWD d/f2", fd = openat(AT_FDCWD, "d/f2", O_CREAT | O_WRONLY | O_EXCL, 0600));
	close(fd);
	show("openat bad dirfd", openat(99, "f1", O_RDONLY));
	char abs[PATH_MAX + 16];
	snprintf(abs, sizeof abs, "%s/d/f1", base);
	show("openat bad dirfd, absolute path", fd = openat(99, abs, O_RDONLY));
	close(fd);
	struct stat st;
	showstat("fstatat bad dirfd, absolute path", fstatat(99, abs, &st, 0), &st);
	show("mkdirat bad dirfd, absolute path", (snprintf(abs, sizeof abs, "%s/d/abs", base), mkdirat(99, abs, 0755)));
	show("unlinkat bad dirfd, absolute path", unlinkat(99, abs, AT_REMOVEDIR));
	show("openat file as dirfd", (fd = open("a.txt", O_RDONLY), openat(fd, "f1", O_RDONLY)));
	close(fd);
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	memcpy(page + 4096 - 3, "f1", 3);
	show("openat dirfd, path ending a page", fd = openat(dir, page + 4096 - 3, O_RDONLY));
	close(fd);
	show("openat dirfd, path in an unmapped page", openat(dir, page + 4096, O_RDONLY));
	munmap(page, 4096);
	char buf[16];
	show("read directory fd", read(dir, buf, sizeof buf));
	show("write directory fd", write(dir, "x", 1));
	show("lseek directory fd", lseek(dir, 0, SEEK_SET));
	list("readdir d", "d");
	list("readdir .", ".");
	list("readdir missing", "missing");
	list("readdir a.txt", "a.txt");

	/* getdents64 directly: a buffer too small for one entry, and a bad fd. */
	char small[8];
	show("getdents64 tiny buffer", syscall(SYS_getdents64, dir, small, sizeof small));
	show("getdents64 closed fd", syscall(SYS_getdents64, 99, small, sizeof small));
	fd = open("a.txt", O_RDONLY);
	show("getdents64 on a file", syscall(SYS_getdents64, fd, small, sizeof small));
	close(fd);
	show("getdents64 into NULL", syscall(SYS_getdents64, dir, NULL, 4096));

	show("rmdir d (not empty)", rmdir("d"));
	show("rmdir a.txt", rmdir("a.txt"));
	show("rmdir missing", rmdir("missing"));
	show("rmdir d/sub2", rmdir("d/sub2"));
	show("rmdir .", rmdir("."));
	show("unlinkat dirfd sub AT_REMOVEDIR", unlinkat(dir, "sub", AT_REMOVEDIR));
	show("unlinkat dirfd f2", unlinkat(dir, "f2", 0));
	show("unlinkat dirfd f2 again", unlinkat(dir, "f2", 0));
	show("unlinkat bad flags", unlinkat(dir, "f1", 0x4000));
	show("mkdirat dirfd sub", mkdirat(dir, "sub", 0755));
	show("unlinkat dir without AT_REMOVEDIR", unlinkat(dir, "sub", 0));
	show("unlink directory", unlink("d/sub"));
	show("unlink missing", unlink("missing"));
	list("readdir d", "d");
	close(dir);
}

static void names(void)
{
	struct stat st;
	char buf[64];
	ssize_t n;

	/* rename and renameat. */
	int fd = open("r1", O_CREAT | O_WRONLY, 0644);
	write(fd, "r1\n", 3);
	close(fd);
	show("rename r1 r2", rename("r1", "r2"));
	show("rename r1 again", rename("r1", "r3"));
	show("rename r2 d/r3", rename("r2", "d/r3"));
	int dir = open("d", O_RDONLY | O_DIRECTORY);
	show("renameat d/r3 to ./r4", renameat(dir, "r3", AT_FDCWD, "r4"));
	show("renameat bad dirfd", renameat(99, "r4", AT_FDCWD, "r5"));
	show("rename file over directory", rename("r4", "d"));
	show("rename directory over file", rename("d", "r4"));
	mkdir("e", 0755);
	show("rename d over non-empty e", (mkdir("e/x", 0755), rename("d", "e")));
	rmdir("e/x");
	show("rename d over empty e", rename("d", "e"));
	show("rename e into itself", rename("e", "e/inside"));
	show("rename e back to d", rename("e", "d"));
	show("rename missing", rename("missing", "x"));
	show("rename r4 to a.txt/x", rename("r4", "a.txt/x"));
	show("rename file to itself", rename("r4", "r4"));

	/* link, symlink, readlink. */
	show("link r4 r4.link", link("r4", "r4.link"));
	statpath("stat r4 after link", "r4");
	show("link r4 r4.link again", link("r4", "r4.link"));
	show("link missing", link("missing", "x"));
	show("link directory", link("d", "d.link"));
	show("symlink r4 r4.sym", symlink("r4", "r4.sym"));
	show("symlink again", symlink("r4", "r4.sym"));
	show("symlink dangling", symlink("nowhere/at/all", "dangling"));
	show("symlinkat dirfd", symlinkat("../r4", dir, "up.sym"));
	statpath("stat r4.sym", "r4.sym");
	showstat("lstat r4.sym", lstat("r4.sym", &st), &st);
	statpath("stat dangling", "dangling");
	showstat("lstat dangling", lstat("dangling", &st), &st);
	showstat("fstatat dangling AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "dangling", &st, AT_SYMLINK_NOFOLLOW), &st);
	memset(buf, 0, sizeof buf);
	n = readlink("r4.sym", buf, sizeof buf);
	showbuf("readlink r4.sym", n, buf);
	n = readlink("dangling", buf, 5);
	showbuf("readlink dangling into 5 bytes", n, buf);
	n = readlinkat(dir, "up.sym", buf, sizeof buf);
	showbuf("readlinkat dirfd up.sym", n, buf);
	n = readlinkat(AT_FDCWD, "r4.sym", buf, sizeof buf);
	showbuf("readlinkat AT_FDCWD r4.sym", n, buf);
	show("readlink regular file", readlink("r4", buf, sizeof buf));
	show("readlink missing", readlink("missing", buf, sizeof buf));
	show("readlink size 0", syscall(SYS_readlink, "r4.sym", buf, 0));
	show("readlink into NULL", readlink("r4.sym", null, 10));
	fd = open("r4.sym", O_RDONLY | O_NOFOLLOW);
	show("open symlink O_NOFOLLOW", fd);
	fd = open("r4.sym", O_RDONLY);
	memset(buf, 0, sizeof buf);
	n = read(fd, buf, sizeof buf);
	showbuf("read through symlink", n, buf);
	close(fd);
	show("open dangling", open("dangling", O_RDONLY));
	show("mkdir over symlink", mkdir("r4.sym", 0755));
	show("unlink symlink", unlink("r4.sym"));
	statpath("stat r4 after unlinking its symlink", "r4");
	show("unlink r4.link", unlink("r4.link"));
	statpath("stat r4 after unlinking its link", "r4");
	close(dir);
}

static void permissions(void)
{
	struct stat st;
	show("access a.txt F_OK", access("a.txt", F_OK));
	show("access a.txt R_OK|W_OK", access("a.txt", R_OK | W_OK));
	show("access a.txt X_OK", access("a.txt", X_OK));
	show("access missing", access("missing", F_OK));
	show("access bad mode", access("a.txt", 0x100));
	show("access a.txt/x", access("a.txt/x", F_OK));
	int dir = open("d", O_RDONLY | O_DIRECTORY);
	show("faccessat dirfd f1 R_OK", faccessat(dir, "f1", R_OK, 0));
	show("faccessat dirfd missing", faccessat(dir, "missing", R_OK, 0));
	show("faccessat bad dirfd", faccessat(99, "f1", R_OK, 0));

	show("chmod a.txt 0600", chmod("a.txt", 0600));
	statpath("stat a.txt after chmod", "a.txt");
	show("chmod a.txt 04751", chmod("a.txt", 04751));
	statpath("stat a.txt after chmod 04751", "a.txt");
	show("access a.txt X_OK now", access("a.txt", X_OK));
	show("chmod missing", chmod("missing", 0600));
	int fd = open("b.txt", O_RDONLY);
	show("fchmod b.txt 0640", fchmod(fd, 0640));
	showstat("fstat b.txt after fchmod", fstat(fd, &st), &st);
	close(fd);
	show("fchmod closed fd", fchmod(fd, 0640));
	show("fchmodat dirfd f1 0604", fchmodat(dir, "f1", 0604, 0));
	statpath("stat d/f1 after fchmodat", "d/f1");
	show("chmod d 0711", chmod("d", 0711));
	statpath("stat d after chmod", "d");
	chmod("d", 0755);
	show("chmod through symlink", (symlink("b.txt", "b.sym"), chmod("b.sym", 0604)));
	statpath("stat b.txt after chmod through symlink", "b.txt");
	unlink("b.sym");

	/* The umask applies to everything created with a mode. */
	mode_t old = umask(077);
	printf("umask 077: old %03o\n", (unsigned)old);
	fd = open("u1", O_CREAT | O_WRONLY, 0666);
	close(fd);
	statpath("stat u1 (0666 under 077)", "u1");
	mkdir("u2", 0777);
	statpath("stat u2 (0777 under 077)", "u2");
	fd = openat(dir, "u3", O_CREAT | O_WRONLY, 0666);
	close(fd);
	statpath("stat d/u3 (openat dirfd under 077)", "d/u3");
	mkfifo("u4", 0666);
	statpath("stat u4 (fifo under 077)", "u4");
	unlink("u4");
	fd = creat("u5", 0777);
	close(fd);
	statpath("stat u5 (creat 0777 under 077)", "u5");
	printf("umask 022: old %03o\n", (unsigned)umask(022));
	fd = open("u6", O_CREAT | O_WRONLY, 0666);
	close(fd);
	statpath("stat u6 (0666 under 022)", "u6");
	printf("umask back: old %03o\n", (unsigned)umask(old));
	close(dir);
}

static void fds(void)
{
	int fd = open("f.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	show("open f.txt", fd);
	show("F_GETFD after open", fcntl(fd, F_GETFD));
	int ce = open("f.txt", O_RDONLY | O_CLOEXEC);
	show("open O_CLOEXEC", ce);
	show("F_GETFD after open O_CLOEXEC", fcntl(ce, F_GETFD));
	int ce2 = openat(AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	show("F_GETFD after openat O_CLOEXEC", fcntl(ce2, F_GETFD));
	close(ce2);
	getfl("F_GETFL O_RDONLY|O_CLOEXEC", ce);
	close(ce);

	/* dup and friends share the offset and flags; FD_CLOEXEC is per descriptor. */
	int d1 = dup(fd);
	show("dup", d1);
	show("write via dup", write(d1, "shared", 6));
	show("lseek SEEK_CUR on original", lseek(fd, 0, SEEK_CUR));
	show("dup2 to 10", dup2(fd, 10));
	show("dup2 to itself", dup2(fd, fd));
	show("dup2 closed fd to itself", dup2(55, 55));
	show("dup2 closed fd", dup2(55, 11));
	show("dup2 to -1", dup2(fd, -1));
	show("dup2 to 1<<30", dup2(fd, 1 << 30));
	show("dup3 to itself", dup3(fd, fd, 0));
	show("dup3 bad flags", syscall(SYS_dup3, fd, 11, O_NONBLOCK)); /* musl's dup3 ignores unknown flags */
	show("dup3 O_CLOEXEC to 11", dup3(fd, 11, O_CLOEXEC));
	show("F_GETFD 11", fcntl(11, F_GETFD));
	show("dup2 over 11", dup2(d1, 11));
	show("F_GETFD 11 after dup2", fcntl(11, F_GETFD));
	show("close 10", close(10));
	show("close 11", close(11));
	show("dup closed fd", dup(55));
	show("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
	show("F_DUPFD 20 again", fcntl(fd, F_DUPFD, 20));
	show("F_DUPFD -1", fcntl(fd, F_DUPFD, -1));
	int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	show("F_DUPFD_CLOEXEC 0", d2);
	show("F_GETFD of that", fcntl(d2, F_GETFD));
	close(d2);
	close(20);
	close(21);
	show("F_SETFD FD_CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC));
	show("F_GETFD", fcntl(fd, F_GETFD));
	show("F_GETFD on its dup", fcntl(d1, F_GETFD));
	show("F_SETFD 0", fcntl(fd, F_SETFD, 0));
	show("F_GETFD", fcntl(fd, F_GETFD));
	show("F_GETFD closed fd", fcntl(55, F_GETFD));
	show("fcntl bad command", fcntl(fd, 9999));
	getfl("F_GETFL O_RDWR", fd);
	show("F_SETFL O_APPEND|O_NONBLOCK", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	getfl("F_GETFL after F_SETFL", fd);
	getfl("F_GETFL on its dup", d1);
	show("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
	show("write with O_APPEND set", write(fd, "+end", 4));
	show("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));
	show("F_SETFL 0", fcntl(fd, F_SETFL, 0));
	getfl("F_GETFL after F_SETFL 0", fd);
	show("F_SETFL O_RDONLY (access mode ignored)", fcntl(fd, F_SETFL, O_RDONLY));
	getfl("F_GETFL", fd);
	close(d1);
	close(fd);
	contents("f.txt now", "f.txt");

	/* The lowest free number is reused. */
	int a = open("f.txt", O_RDONLY), b = open("f.txt", O_RDONLY), c = open("f.txt", O_RDONLY);
	printf("three opens: %d %d %d\n", a, b, c);
	close(b);
	show("open after closing the middle one", b = open("f.txt", O_RDONLY));
	close(a);
	close(b);
	close(c);
	/* close_range (raw: musl 1.2.3 has no wrapper); its arguments are unsigned ints. */
	a = open("f.txt", O_RDONLY), b = dup(a), c = dup(a);
	show("close_range last < first", syscall(SYS_close_range, c, a, 0));
	show("close_range bad flags", syscall(SYS_close_range, a, c, 1));
	show("close_range CLOEXEC", syscall(SYS_close_range, b, c, 4));
	printf("F_GETFD after it: %d %d %d\n", fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(c, F_GETFD));
	show("close_range b to (long)-1", syscall(SYS_close_range, b, -1L, 0));
	printf("open after it: %d %d %d\n", fcntl(a, F_GETFD) >= 0, fcntl(b, F_GETFD) >= 0, fcntl(c, F_GETFD) >= 0);
	close(a);
	show("close -1", close(-1));
	show("close 1<<30", close(1 << 30));
	fd = open("f.txt", O_RDONLY);
	show("lseek with bits above 32 set in the fd", syscall(SYS_lseek, (1L << 32) | fd, 3L, SEEK_SET));
	close(fd);

	/* Record locks and flock: one process never conflicts with itself. */
	fd = open("f.txt", O_RDWR);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
	show("F_SETLK write lock", fcntl(fd, F_SETLK, &fl));
	fl.l_type = F_RDLCK;
	show("F_GETLK", fcntl(fd, F_GETLK, &fl));
	printf("F_GETLK l_type is F_UNLCK: %d\n", fl.l_type == F_UNLCK);
	show("F_GETLK into NULL", fcntl(fd, F_GETLK, null));
	fl.l_type = 99;
	show("F_SETLK bad type", fcntl(fd, F_SETLK, &fl));
	fl.l_type = F_UNLCK;
	show("F_SETLKW unlock", fcntl(fd, F_SETLKW, &fl));
	show("flock LOCK_EX", flock(fd, LOCK_EX));
	show("flock LOCK_UN", flock(fd, LOCK_UN));
	show("flock bad operation", flock(fd, 99));
	close(fd);

	/* copy_file_range and sparse files' SEEK_DATA/SEEK_HOLE (the same file system for both runs). */
	int src0 = open("f.txt", O_RDONLY), dst0 = open("h.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	loff_t from = 1;
	show("copy_file_range 4 from offset 1", copy_file_range(src0, &from, dst0, NULL, 4, 0));
	printf("copy_file_range offset now: %lld\n", (long long)from);
	show("copy_file_range bad flags", copy_file_range(src0, &from, dst0, NULL, 4, 1));
	show("copy_file_range wrong way round", copy_file_range(dst0, NULL, src0, NULL, 4, 0));
	close(src0);
	show("pwrite at 1 MiB", pwrite(dst0, "far", 3, 1 << 20));
	close(dst0);
	dst0 = open("h.txt", O_RDONLY);
	show("SEEK_DATA from 0", lseek(dst0, 0, SEEK_DATA));
	show("SEEK_HOLE from 0", lseek(dst0, 0, SEEK_HOLE));
	show("SEEK_DATA from 65536", lseek(dst0, 65536, SEEK_DATA));
	show("SEEK_DATA past the end", lseek(dst0, 2 << 20, SEEK_DATA));
	char head[8];
	showbuf("h.txt starts", pread(dst0, head, 4, 0), head);
	close(dst0);

	/* sendfile between two files. */
	int src = open("f.txt", O_RDONLY), dst = open("g.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	off_t off = 2;
	show("sendfile 5 from offset 2", sendfile(dst, src, &off, 5));
	printf("sendfile offset now: %lld\n", (long long)off);
	show("sendfile rest", sendfile(dst, src, NULL, 100));
	show("sendfile to O_RDONLY fd", sendfile(src, dst, NULL, 100));
	close(src);
	close(dst);
	contents("g.txt now", "g.txt");
}

/* RLIMIT_NOFILE bounds fd numbers: dup2 beyond it is EBADF, F_DUPFD EINVAL, open runs out with EMFILE. */
static void limits(void)
{
	struct rlimit old, rl;
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = 64;
	show("setrlimit RLIMIT_NOFILE 64", setrlimit(RLIMIT_NOFILE, &rl));
	int fd = open("a.txt", O_RDONLY);
	show("dup2 to 63", dup2(fd, 63));
	show("dup2 to 64", dup2(fd, 64));
	show("dup3 to 64", dup3(fd, 64, O_CLOEXEC));
	show("F_DUPFD 60", fcntl(fd, F_DUPFD, 60));
	show("F_DUPFD 64", fcntl(fd, F_DUPFD, 64));
	int opened = 0, last = -1;
	while ((last = open("a.txt", O_RDONLY)) >= 0)
		opened++;
	printf("opened until %s: %d more\n", errname(errno), opened);
	show("dup when full", dup(fd));
	show("pipe when full", pipe((int[2]){0, 0}));
	for (int i = 3; i < 64; i++)
		close(i);
	show("setrlimit back", setrlimit(RLIMIT_NOFILE, &old));
}

/* Buffers of 8 MB whose pages alternate with another buffer's: each byte still moves in one call. */
static void large(void)
{
	long size = 8L << 20;
	char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < size; i += 4096) {
		a[i] = (char)(i >> 12);
		b[i] = 0;
	}
	for (long i = 0; i < size; i++)
		a[i] = (char)(i * 7 + (i >> 12));
	int fd = open("large", O_CREAT | O_RDWR | O_TRUNC, 0644);
	show("write 8 MB", write(fd, a, size));
	show("pread 8 MB", pread(fd, b, size, 0));
	printf("same bytes: %d\n", memcmp(a, b, size) == 0);
	memset(b, 0, size);
	struct iovec v[3] = {{b, size / 2}, {a, 0}, {b + size / 2, size / 2}};
	lseek(fd, 0, SEEK_SET);
	show("readv 8 MB in two iovecs", readv(fd, v, 3));
	printf("same bytes: %d\n", memcmp(a, b, size) == 0);
	show("pwrite 8 MB at 4 MB", pwrite(fd, b, size, 4L << 20));
	show("read 16 MB at 8 MB", (lseek(fd, 8L << 20, SEEK_SET), read(fd, a, 2 * size)));
	close(fd);
	unlink("large");
	munmap(a, size);
	munmap(b, size);
}

static void pipes(void)
{
	char buf[128];
	int p[2];
	show("pipe", pipe(p));
	printf("pipe fds: %d %d\n", p[0], p[1]);
	show("F_GETFD pipe", fcntl(p[0], F_GETFD));
	getfl("F_GETFL pipe read end", p[0]);
	getfl("F_GETFL pipe write end", p[1]);
	show("write ping", write(p[1], "ping", 4));
	struct iovec v[2] = {{" pong", 5}, {"!", 1}};
	show("writev pong!", writev(p[1], v, 2));
	memset(buf, 0, sizeof buf);
	ssize_t n = read(p[0], buf, sizeof buf);
	showbuf("read pipe", n, buf);
	show("lseek on pipe", lseek(p[0], 0, SEEK_SET));
	show("pread on pipe", pread(p[0], buf, 4, 0));
	show("write to read end", write(p[0], "x", 1));
	show("read from write end", read(p[1], buf, 1));
	show("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
	struct stat st;
	showstat("fstat pipe", fstat(p[0], &st), &st);
	show("close write end", close(p[1]));
	show("read at EOF", read(p[0], buf, sizeof buf));
	close(p[0]);

	show("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
	printf("pipe2 fds: %d %d\n", p[0], p[1]);
	show("F_GETFD pipe2", fcntl(p[0], F_GETFD));
	getfl("F_GETFL pipe2 read end", p[0]);
	show("read empty O_NONBLOCK pipe", read(p[0], buf, sizeof buf));
	int q[2];
	show("pipe2 bad flags", pipe2(q, O_APPEND));
	show("pipe into NULL", pipe(null));

	/* sendfile into a pipe moves at most a pipe's worth and returns, even to a thread that reads that pipe
	 * itself; with another process draining it, every byte arrives and the calls add up. */
	static char chunk[256 << 10];
	for (int i = 0; i < (int)sizeof chunk; i++)
		chunk[i] = (char)(i * 13 + (i >> 9));
	int big = open("sendme", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(big, chunk, sizeof chunk);
	lseek(big, 0, SEEK_SET);
	int sp[2], report[2];
	pipe(sp);
	show("sendfile 256 KiB into an empty pipe", sendfile(sp[1], big, NULL, sizeof chunk));
	long drained = 0;
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	for (ssize_t got; (got = read(sp[0], buf, sizeof buf)) > 0; )
		drained += got;
	printf("read back from the pipe: %ld bytes\n", drained);
	fcntl(sp[0], F_SETFL, 0);
	pipe(report);
	pid_t reader = fork();
	if (reader == 0) { /* drain the pipe slowly-ish, count and compare the bytes */
		close(sp[1]);
		long total = 0, wrong = 0, at = drained;
		for (ssize_t got; (got = read(sp[0], buf, sizeof buf)) > 0; at += got, total += got)
			for (ssize_t i = 0; i < got; i++)
				wrong += buf[i] != chunk[at + i];
		char line[64];
		int len = snprintf(line, sizeof line, "%ld bytes, %ld wrong", total, wrong);
		write(report[1], line, len);
		_exit(0);
	}
	close(sp[0]);
	long sent = 0;
	for (ssize_t n; (n = sendfile(sp[1], big, NULL, sizeof chunk)) > 0; )
		sent += n;
	close(sp[1]);
	waitpid(reader, NULL, 0);
	char line[64] = {0};
	read(report[0], line, sizeof line - 1);
	printf("sendfile to a pipe another process drains: %ld bytes sent; the reader got %s\n", sent, line);
	/* The same into a non-blocking pipe: each call moves what fits then, a pipe's worth at most. */
	pipe(sp);
	lseek(big, 0, SEEK_SET);
	reader = fork();
	if (reader == 0) {
		close(sp[1]);
		long total = 0;
		for (ssize_t got; (got = read(sp[0], buf, sizeof buf)) > 0; total += got)
			;
		char done[32];
		write(report[1], done, snprintf(done, sizeof done, "%ld", total));
		_exit(0);
	}
	close(sp[0]);
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	long most = 0;
	sent = 0;
	for (ssize_t n; sent < (long)sizeof chunk; ) {
		n = sendfile(sp[1], big, NULL, sizeof chunk);
		if (n > most)
			most = n;
		if (n > 0)
			sent += n;
		else if (n < 0 && errno == EAGAIN)
			usleep(100);
		else
			break;
	}
	close(sp[1]);
	waitpid(reader, NULL, 0);
	memset(line, 0, sizeof line);
	read(report[0], line, sizeof line - 1);
	printf("sendfile to a non-blocking pipe: %ld bytes sent, each call at most 64 KiB: %d; the reader got %s\n", sent,
	       most <= 65536, line);
	close(report[0]);
	close(report[1]);
	close(big);
	unlink("sendme");

	/* Writing with nobody to read: SIGPIPE, then EPIPE. */
	signal(SIGPIPE, on_sigpipe);
	close(p[0]);
	show("write to broken pipe", write(p[1], "x", 1));
	printf("SIGPIPE caught: %d\n", sigpipes);
	signal(SIGPIPE, SIG_IGN);
	show("write to broken pipe, SIGPIPE ignored", write(p[1], "x", 1));
	printf("SIGPIPE caught: %d\n", sigpipes);
	close(p[1]);
}

static void workdir(void)
{
	cwd("getcwd");
	show("chdir d", chdir("d"));
	cwd("getcwd");
	contents("relative read after chdir", "f1");
	show("chdir ..", chdir(".."));
	cwd("getcwd");
	show("chdir missing", chdir("missing"));
	show("chdir a.txt", chdir("a.txt"));
	show("chdir NULL", chdir(null));
	int dir = open("d", O_RDONLY | O_DIRECTORY);
	int top = open(".", O_RDONLY | O_DIRECTORY);
	show("fchdir d", fchdir(dir));
	cwd("getcwd");
	show("fchdir top", fchdir(top));
	cwd("getcwd");
	int fd = open("a.txt", O_RDONLY);
	show("fchdir file", fchdir(fd));
	close(fd);
	show("fchdir closed fd", fchdir(fd));
	close(dir);
	close(top);
	char small[2];
	show("getcwd size 2", getcwd(small, sizeof small) ? 0 : -1);
	show("getcwd raw size 0", syscall(SYS_getcwd, small, 0));
	char big[PATH_MAX];
	long len = syscall(SYS_getcwd, big, sizeof big);
	printf("getcwd raw returns strlen+1: %d\n", len == (long)strlen(big) + 1);
	show("getcwd raw into NULL", syscall(SYS_getcwd, NULL, 100));
}

/* Paths that name the process's own fds: /proc/self/fd/N, /dev/fd/N, /dev/stdin. */
static void fdpaths(void)
{
	char path[64], buf[PATH_MAX];
	struct stat st;
	int fd = open("a.txt", O_RDONLY);
	for (int i = 0; i < 5; i++)
		dup(fd); /* the fd numbers differ from any the proxy might have */
	int fd2 = open("b.txt", O_RDONLY);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd2);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	size_t blen = strlen(base);
	printf("readlink /proc/self/fd/N: %s\n", n < 0 ? errname(errno) : strncmp(buf, base, blen) == 0 ? buf + blen : "elsewhere");
	snprintf(path, sizeof path, "/dev/fd/%d", fd2);
	showstat("stat /dev/fd/N", stat(path, &st), &st);
	int again = open(path, O_RDONLY);
	memset(buf, 0, 16);
	n = read(again, buf, 8);
	showbuf("read /dev/fd/N", n, buf);
	close(again);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd2);
	show("access /proc/self/fdinfo/N", access(path, R_OK));
	close(fd2);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd2);
	show("open /proc/self/fd/N after close", open(path, O_RDONLY));
	show("readlink /proc/self/fd/N after close", readlink(path, buf, sizeof buf));
	show("open /dev/fd/999999", open("/dev/fd/999999", O_RDONLY));
	int p[2];
	pipe(p);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	n = readlink(path, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("readlink of a pipe fd: %.6s\n", n < 0 ? errname(errno) : buf);
	show("stdin dup2'd from the pipe", dup2(p[0], 0));
	write(p[1], "via stdin", 9);
	close(p[1]);
	int in = open("/dev/stdin", O_RDONLY);
	memset(buf, 0, 16);
	n = read(in, buf, 16);
	showbuf("read /dev/stdin", n, buf);
	close(in);
	close(p[0]);
	for (int i = 0; i < 6; i++)
		close(fd + i);
	char *r = realpath("d/../a.txt", buf);
	printf("realpath d/../a.txt: %s\n", !r ? errname(errno) : strncmp(r, base, blen) == 0 ? r + blen : "elsewhere");
}

/* The legacy calls that glibc and musl replace by *at calls, made directly. */
static void legacy(void)
{
	struct stat st;
	char buf[64];
	long fd = syscall(SYS_open, "l1", O_CREAT | O_RDWR, 0640);
	show("SYS_open", fd);
	show("SYS_write", syscall(SYS_write, fd, "legacy\n", 7));
	showstat("SYS_fstat", syscall(SYS_fstat, fd, &st), &st);
	show("SYS_close", syscall(SYS_close, fd));
	showstat("SYS_stat", syscall(SYS_stat, "l1", &st), &st);
	show("SYS_symlink", syscall(SYS_symlink, "l1", "l1.sym"));
	showstat("SYS_lstat", syscall(SYS_lstat, "l1.sym", &st), &st);
	show("SYS_link", syscall(SYS_link, "l1", "l2"));
	show("SYS_rename", syscall(SYS_rename, "l2", "l3"));
	show("SYS_access", syscall(SYS_access, "l3", R_OK));
	show("SYS_chmod", syscall(SYS_chmod, "l3", 0604));
	memset(buf, 0, sizeof buf);
	long n = syscall(SYS_readlink, "l1.sym", buf, sizeof buf);
	showbuf("SYS_readlink", n, buf);
	show("SYS_mkdir", syscall(SYS_mkdir, "ld", 0700));
	fd = syscall(SYS_creat, "ld/c", 0644);
	show("SYS_creat", fd);
	syscall(SYS_close, fd);
	show("SYS_unlink", syscall(SYS_unlink, "ld/c"));
	show("SYS_rmdir", syscall(SYS_rmdir, "ld"));
	show("SYS_mknod fifo", syscall(SYS_mknod, "lfifo", S_IFIFO | 0644, 0));
	showstat("stat fifo", syscall(SYS_stat, "lfifo", &st), &st);
	show("unlink fifo", unlink("lfifo"));
	show("SYS_dup2", syscall(SYS_dup2, 1, 9));
	show("SYS_close 9", syscall(SYS_close, 9));
	int p[2];
	show("SYS_pipe", syscall(SYS_pipe, p));
	close(p[0]);
	close(p[1]);

	/* The old getdents (struct linux_dirent, d_type in the last byte of the record). */
	fd = open("d", O_RDONLY | O_DIRECTORY);
	char dents[4096];
	n = syscall(SYS_getdents, fd, dents, sizeof dents);
	char *names[64];
	int count = 0;
	for (long off = 0; n > 0 && off < n && count < 64;) {
		unsigned short reclen;
		memcpy(&reclen, dents + off + 16, 2);
		names[count++] = strdup(dents + off + 18);
		off += reclen;
	}
	qsort(names, count, sizeof *names, cmp);
	printf("SYS_getdents d:");
	for (int i = 0; i < count; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	show("SYS_getdents at end", syscall(SYS_getdents, fd, dents, sizeof dents));
	close(fd);
	struct timespec ts[2] = {{1000000000, 0}, {1234567890, 0}};
	show("utimensat fixed times", utimensat(AT_FDCWD, "l1", ts, 0));
	stat("l1", &st);
	printf("mtime after utimensat: %lld\n", (long long)st.st_mtime);
}

int main(int argc, char **argv)
{
	if (argc < 2 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: fileio DIRECTORY\n");
		return 2;
	}
	if (!getcwd(base, sizeof base))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	mode_t m = umask(022);
	printf("initial umask: %03o\n", (unsigned)m);
	files();
	stats();
	truncation();
	directories();
	names();
	permissions();
	fds();
	limits();
	large();
	pipes();
	workdir();
	fdpaths();
	legacy();
	return 0;
}
