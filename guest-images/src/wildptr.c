/* Wild pointers: the pointer-taking system calls that jmck implements, natively in the LWK or delegated to
 * the proxy, each called with every kind of bad address a buggy or hostile program can pass:
 *
 *   null        NULL
 *   unmapped    a page that was mapped and then munmapped
 *   kernel      0xffff800000000000, the kernel half
 *   prot_none   a mapped page with PROT_NONE
 *   readonly    a PROT_READ page (fine for what the kernel only reads; EFAULT for what it writes)
 *   cross       an object that starts in a valid page and runs into the unmapped one
 *   misaligned  an object at an odd address that straddles two valid pages
 *
 * One line per case: syscall, what is bad, kind, then the result and the errno name. Nothing that differs
 * from run to run is printed (no addresses, pids or times), so the output of a native run and of a jmck run
 * can be compared line by line. Raw syscall() is used throughout so that glibc and musl pass the same
 * arguments. Where Linux does part of the work before it faults (a partial read, a signal action set
 * before the old one is written back, a child reaped before its status is stored), a second line shows it.
 * Works in a fresh directory under /tmp, which it removes.
 *
 * Left out: sethostname and setdomainname (run as root natively, they would rename the host); getgroups
 * (a jmck process has no supplementary groups, a native run has its user's); calls jmck answers with
 * ENOSYS (select, pselect6, sendmsg, recvmsg, vmsplice, getitimer, setitimer, rt_sigqueueinfo, rseq). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "errname.h"

/* <linux/futex.h>, which musl-gcc does not see */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_PRIVATE 128

static const long PAGE = 4096;

enum kind { NUL, UNMAPPED, KERNEL, NOACCESS, READONLY, CROSS, MISALIGNED, NKINDS };
static const char *const kind_name[NKINDS] = {"null", "unmapped", "kernel", "prot_none", "readonly", "cross",
					      "misaligned"};
#define ALL ((1u << NKINDS) - 1)
#define BUT(k) (ALL & ~(1u << (k)))

/* The test pages, at a fixed address far from anything else so no later mapping lands in the hole:
 * [0] [1] valid, touched in reverse order so that their frames are not adjacent under jmck;
 * [2] valid, followed by [3] unmapped; [4] read-only; [5] PROT_NONE. */
#define AREA ((char *)0x300000000000UL)
static char *const valid = AREA;
static char *const unmapped = AREA + 3 * 4096;
static char *const rdonly = AREA + 4 * 4096;
static char *const noaccess = AREA + 5 * 4096;
#define KERNEL_ADDR ((char *)0xffff800000000000UL)

/* Where a case points: content (size bytes, may be NULL for zeros) is put there first when it can be. A
 * cross object has its first half in the valid page before the unmapped one. */
static void *wild(enum kind k, const void *content, size_t size)
{
	char *p;
	switch (k) {
	case NUL: return NULL;
	case UNMAPPED: return unmapped;
	case KERNEL: return KERNEL_ADDR;
	case NOACCESS: return noaccess;
	case READONLY:
		mprotect(rdonly, PAGE, PROT_READ | PROT_WRITE);
		memset(rdonly, 0, PAGE);
		if (content)
			memcpy(rdonly, content, size);
		mprotect(rdonly, PAGE, PROT_READ);
		return rdonly;
	case CROSS: {
		size_t half = size > 1 ? size / 2 : 1;
		p = unmapped - half;
		memset(p, 0, half);
		if (content)
			memcpy(p, content, half);
		return p;
	}
	default:
		p = valid + PAGE - 3;
		memset(p, 0, size);
		if (content)
			memcpy(p, content, size);
		return p;
	}
}

/* "call  what  kind  = result" or "= -1 ENAME" */
static void show(const char *call, const char *what, enum kind k, long r, int err)
{
	if (r == -1)
		printf("%-16s %-8s %-10s = -1 %s\n", call, what, kind_name[k], errname(err));
	else
		printf("%-16s %-8s %-10s = %ld\n", call, what, kind_name[k], r);
}

/* The same, for calls whose result varies between runs (a time, a pid): "ok" for success. */
static void show_ok(const char *call, const char *what, enum kind k, long r, int err)
{
	if (r == -1)
		show(call, what, k, r, err);
	else
		printf("%-16s %-8s %-10s = ok\n", call, what, kind_name[k]);
}

/* Runs expr, which may use k, for each kind in the mask. */
#define EACH(kinds, call, what, expr)                                          \
	for (enum kind k = 0; k < NKINDS; k++)                                 \
		if ((kinds) & (1u << k)) {                                     \
			long r_ = (expr);                                      \
			show(call, what, k, r_, errno);                        \
		}
#define EACH_OK(kinds, call, what, expr)                                       \
	for (enum kind k = 0; k < NKINDS; k++)                                 \
		if ((kinds) & (1u << k)) {                                     \
			long r_ = (expr);                                      \
			show_ok(call, what, k, r_, errno);                     \
		}

/* A path argument: content is the path (its terminating NUL is part of the object). */
#define PATH(k, s) ((const char *)wild(k, s, sizeof(s)))

static long closing(long fd)
{
	if (fd >= 0)
		close(fd);
	return fd;
}

/* The lowest free descriptor: a call that failed must not have left one open. */
static void next_fd(const char *after)
{
	int fd = dup(0);
	printf("%-16s next free fd %d\n", after, fd);
	close(fd);
}

static int file, dirfd_, pipe_r, pipe_w, devnull;
static char data[4096];

static void setup(void)
{
	syscall(SYS_close_range, 3, ~0u, 0); /* descriptors numbered the same wherever it runs */
	if (mmap(AREA, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
	    != AREA) {
		perror("mmap");
		exit(1);
	}
	valid[PAGE] = 1; /* the second page first */
	valid[0] = 1;
	valid[2 * PAGE] = 1;
	munmap(unmapped, PAGE);
	mprotect(rdonly, PAGE, PROT_READ);
	mprotect(noaccess, PAGE, PROT_NONE);

	char dir[] = "/tmp/wildptr.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror("mkdtemp");
		exit(1);
	}
	for (int i = 0; i < (int)sizeof data; i++)
		data[i] = 'a' + i % 26;
	file = open("file", O_RDWR | O_CREAT, 0644);
	if (write(file, data, sizeof data) != sizeof data)
		exit(1);
	symlink("file", "link");
	mkdir("dir", 0755);
	for (int i = 0; i < 10; i++) { /* 12 entries of 24 bytes with . and .. */
		char name[8];
		snprintf(name, sizeof name, "dir/%d", i);
		close(open(name, O_CREAT | O_WRONLY, 0644));
	}
	dirfd_ = open("dir", O_RDONLY | O_DIRECTORY);
	int p[2];
	pipe2(p, O_NONBLOCK);
	pipe_r = p[0];
	pipe_w = p[1];
	devnull = open("/dev/null", O_WRONLY);
}

static void cleanup(void)
{
	char cwd[64];
	if (!getcwd(cwd, sizeof cwd))
		return;
	for (int i = 0; i < 10; i++) {
		char name[8];
		snprintf(name, sizeof name, "dir/%d", i);
		unlink(name);
	}
	rmdir("dir");
	unlink("file");
	unlink("link");
	unlink("copy");
	unlink("sock");
	if (chdir("/") == 0)
		rmdir(cwd);
}

static int pipe_bytes(void)
{
	int n = -1;
	ioctl(pipe_r, FIONREAD, &n);
	return n;
}

/* Leaves exactly n bytes in the pipe. */
static void pipe_fill(int n)
{
	char b[256];
	while (read(pipe_r, b, sizeof b) > 0)
		;
	if (n && write(pipe_w, data, n) != n)
		exit(1);
}

/* For each kind: n bytes in the pipe, expr, then what the pipe holds. */
#define PIPE_EACH(call, what, n, expr)                                                        \
	for (enum kind k = 0; k < NKINDS; k++) {                                              \
		pipe_fill(n);                                                                 \
		long r_ = (expr);                                                             \
		int e_ = errno;                                                               \
		if (r_ == -1)                                                                 \
			printf("%-16s %-8s %-10s = -1 %s, the pipe then holds %d\n", call, what, \
			       kind_name[k], errname(e_), pipe_bytes());                      \
		else                                                                          \
			printf("%-16s %-8s %-10s = %ld, the pipe then holds %d\n", call, what,   \
			       kind_name[k], r_, pipe_bytes());                               \
	}

static void io(void)
{
	char buf[64];
	EACH(ALL, "read", "buf", (lseek(file, 0, SEEK_SET), syscall(SYS_read, file, wild(k, NULL, 64), 64)));
	printf("%-16s then the file offset is %ld\n", "read", (long)lseek(file, 0, SEEK_CUR));
	EACH(1u << NUL | 1u << KERNEL, "read", "count 0", syscall(SYS_read, file, wild(k, NULL, 0), 0));
	PIPE_EACH("read", "pipe buf", 64, syscall(SYS_read, pipe_r, wild(k, NULL, 64), 64));
	EACH(ALL, "write", "buf", (lseek(file, 0, SEEK_SET), syscall(SYS_write, file, wild(k, data, 64), 64)));
	PIPE_EACH("write", "pipe buf", 0, syscall(SYS_write, pipe_w, wild(k, data, 64), 64));
	EACH(ALL, "write", "/dev/null", syscall(SYS_write, devnull, wild(k, data, 64), 64));
	EACH(ALL, "pread64", "buf", syscall(SYS_pread64, file, wild(k, NULL, 64), 64, 100));
	EACH(ALL, "pwrite64", "buf", syscall(SYS_pwrite64, file, wild(k, data, 64), 64, 0));

	/* readv/writev: the iovec array itself, then the second iovec's base */
	char *iobuf = malloc(128);
	struct iovec good[2] = {{iobuf, 16}, {iobuf + 16, 48}};
	EACH(ALL, "readv", "iov", (lseek(file, 0, SEEK_SET), syscall(SYS_readv, file, wild(k, good, sizeof good), 2)));
	EACH(ALL, "writev", "iov", (lseek(file, 0, SEEK_SET), syscall(SYS_writev, file, wild(k, good, sizeof good), 2)));
	for (enum kind k = 0; k < NKINDS; k++) {
		struct iovec v[2] = {{buf, 16}, {wild(k, data, 48), 48}};
		lseek(file, 0, SEEK_SET);
		show("readv", "iov_base", k, syscall(SYS_readv, file, v, 2), errno);
	}
	for (enum kind k = 0; k < NKINDS; k++) {
		struct iovec v[2] = {{data, 16}, {wild(k, data, 48), 48}};
		lseek(file, 0, SEEK_SET);
		show("writev", "iov_base", k, syscall(SYS_writev, file, v, 2), errno);
	}
	struct iovec v[1];
	PIPE_EACH("readv", "pipe", 64, (v[0] = (struct iovec){wild(k, NULL, 64), 64}, syscall(SYS_readv, pipe_r, v, 1)));
	free(iobuf);
	pipe_fill(0);
}

static void paths(void)
{
	char st[256];
	EACH(ALL, "open", "path", closing(syscall(SYS_open, PATH(k, "file"), O_RDONLY)));
	EACH(ALL, "openat", "path", closing(syscall(SYS_openat, AT_FDCWD, PATH(k, "file"), O_RDONLY)));
	EACH(ALL, "openat", "dirfd+path", closing(syscall(SYS_openat, dirfd_, PATH(k, "1"), O_RDONLY)));
	EACH(ALL, "openat", "abs path", closing(syscall(SYS_openat, dirfd_, PATH(k, "/proc/self/status"), O_RDONLY)));
	next_fd("open");
	EACH(ALL, "stat", "path", syscall(SYS_stat, PATH(k, "file"), st));
	EACH(ALL, "stat", "buf", syscall(SYS_stat, "file", wild(k, NULL, 144)));
	EACH(ALL, "stat", "both", syscall(SYS_stat, "missing", wild(k, NULL, 144)));
	EACH(ALL, "lstat", "buf", syscall(SYS_lstat, "link", wild(k, NULL, 144)));
	EACH(ALL, "fstat", "buf", syscall(SYS_fstat, file, wild(k, NULL, 144)));
	EACH(ALL, "fstat", "bad fd", syscall(SYS_fstat, 99, wild(k, NULL, 144)));
	EACH(ALL, "newfstatat", "path", syscall(SYS_newfstatat, AT_FDCWD, PATH(k, "file"), st, 0));
	EACH(ALL, "newfstatat", "buf", syscall(SYS_newfstatat, AT_FDCWD, "file", wild(k, NULL, 144), 0));
	EACH(ALL, "newfstatat", "empty", syscall(SYS_newfstatat, file, PATH(k, ""), st, AT_EMPTY_PATH));
	EACH(ALL, "statx", "path", syscall(SYS_statx, AT_FDCWD, PATH(k, "file"), 0, 0x7ff, st));
	EACH(ALL, "statx", "buf", syscall(SYS_statx, AT_FDCWD, "file", 0, 0x7ff, wild(k, NULL, 256)));
	EACH(ALL, "access", "path", syscall(SYS_access, PATH(k, "file"), R_OK));
	EACH(ALL, "faccessat", "path", syscall(SYS_faccessat, AT_FDCWD, PATH(k, "file"), R_OK));
	EACH(ALL, "readlink", "path", syscall(SYS_readlink, PATH(k, "link"), st, 64));
	EACH(ALL, "readlink", "buf", syscall(SYS_readlink, "link", wild(k, NULL, 64), 64));
	EACH(ALL, "readlink", "size 0", syscall(SYS_readlink, PATH(k, "link"), st, 0));
	EACH(ALL, "readlink", "exe buf", syscall(SYS_readlink, "/proc/self/exe", wild(k, NULL, 64), 64) < 0 ? -1 : 0);
	EACH(ALL, "readlinkat", "path", syscall(SYS_readlinkat, AT_FDCWD, PATH(k, "link"), st, 64));
	EACH(ALL, "readlinkat", "exe path", syscall(SYS_readlinkat, AT_FDCWD, PATH(k, "/proc/self/exe"), st, 64) < 0 ? -1 : 0);
	EACH(ALL, "getcwd", "buf", syscall(SYS_getcwd, wild(k, NULL, 64), 64));
	EACH(ALL, "chdir", "path", syscall(SYS_chdir, PATH(k, ".")));
	EACH(ALL, "mkdir", "path", syscall(SYS_mkdir, PATH(k, "new"), 0755) == 0 ? rmdir("new") : -1);
	EACH(ALL, "unlink", "path", syscall(SYS_unlink, PATH(k, "missing")));
	EACH(ALL, "rename", "old", syscall(SYS_rename, PATH(k, "missing"), "other"));
	EACH(ALL, "rename", "new", syscall(SYS_rename, "file", PATH(k, "file")));
	EACH(ALL, "truncate", "path", syscall(SYS_truncate, PATH(k, "file"), 4096));
	EACH(ALL, "chmod", "path", syscall(SYS_chmod, PATH(k, "file"), 0644));
	EACH(ALL, "symlink", "new", syscall(SYS_symlink, "file", PATH(k, "new")) == 0 ? unlink("new") : -1);
	EACH(ALL, "link", "old", syscall(SYS_link, PATH(k, "file"), "new") == 0 ? unlink("new") : -1);
	EACH(ALL, "utimes", "times", syscall(SYS_utimes, "file", wild(k, (struct timeval[2]){{0, 0}, {0, 0}}, 32)));
	EACH(ALL, "utimensat", "times", syscall(SYS_utimensat, AT_FDCWD, "file",
						wild(k, (struct timespec[2]){{0, UTIME_OMIT}, {0, UTIME_OMIT}}, 32), 0));
	EACH(ALL, "statfs", "buf", syscall(SYS_statfs, "file", wild(k, NULL, 120)));
	EACH(ALL, "fstatfs", "buf", syscall(SYS_fstatfs, file, wild(k, NULL, 120)));
	EACH(ALL, "getxattr", "path", syscall(SYS_getxattr, PATH(k, "file"), "user.none", st, 64));
	EACH(ALL, "getxattr", "name", syscall(SYS_getxattr, "file", PATH(k, "user.none"), st, 64));

	/* getdents64 of a directory of 12 entries of 24 bytes: a buffer cut short returns the entries that fit */
	EACH(ALL, "getdents64", "buf", (lseek(dirfd_, 0, SEEK_SET), syscall(SYS_getdents64, dirfd_, wild(k, NULL, 512), 512)));
	printf("%-16s then %ld more bytes\n", "getdents64", (long)syscall(SYS_getdents64, dirfd_, st, sizeof st));
}

static void fds(void)
{
	EACH(ALL, "pipe", "fds", syscall(SYS_pipe, wild(k, NULL, 8)) == 0 ? 0 : -1);
	next_fd("pipe");
	EACH(ALL, "pipe2", "fds", syscall(SYS_pipe2, wild(k, NULL, 8), O_CLOEXEC) == 0 ? 0 : -1);
	next_fd("pipe2");
	/* the new descriptors, where they could be stored, are real: close them */
	for (int fd = 3; fd < 64; fd++)
		if (fd != file && fd != dirfd_ && fd != pipe_r && fd != pipe_w && fd != devnull)
			close(fd);
	EACH(ALL, "socketpair", "fds", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, wild(k, NULL, 8)) == 0 ? 0 : -1);
	for (int fd = 3; fd < 64; fd++)
		if (fd != file && fd != dirfd_ && fd != pipe_r && fd != pipe_w && fd != devnull)
			close(fd);
	next_fd("socketpair");

	/* poll: the array is read, the pipe polled, then revents written */
	pipe_fill(1);
	struct pollfd p[2] = {{pipe_r, POLLIN, 0}, {pipe_w, POLLOUT, 0}};
	EACH(ALL, "poll", "fds", syscall(SYS_poll, wild(k, p, sizeof p), 2, 0));
	struct timespec zero = {0, 0};
	EACH(ALL, "ppoll", "fds", syscall(SYS_ppoll, wild(k, p, sizeof p), 2, &zero, NULL, 8));
	EACH(ALL, "ppoll", "timeout", syscall(SYS_ppoll, p, 2, wild(k, &zero, sizeof zero), NULL, 8));
	uint64_t none = 0;
	EACH(ALL, "ppoll", "sigmask", syscall(SYS_ppoll, p, 2, &zero, wild(k, &none, 8), 8));
	pipe_fill(0);

	/* ioctl and fcntl: what the argument means depends on the file */
	EACH(ALL, "ioctl", "TCGETS", syscall(SYS_ioctl, file, 0x5401 /* TCGETS */, wild(k, NULL, 36)));
	EACH(ALL, "ioctl", "FIONREAD", syscall(SYS_ioctl, pipe_r, FIONREAD, wild(k, NULL, 4)));
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	EACH(ALL, "fcntl", "F_GETLK", syscall(SYS_fcntl, file, F_GETLK, wild(k, &lk, sizeof lk)));
	EACH(ALL, "fcntl", "F_SETLK", syscall(SYS_fcntl, file, F_SETLK, wild(k, &lk, sizeof lk)));

	/* sendfile reads the offset, copies, then writes the offset back */
	int out = open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off = 0;
	EACH(ALL, "sendfile", "offset", syscall(SYS_sendfile, out, file, wild(k, &off, sizeof off), 16));
	printf("%-16s then the copy has %ld bytes\n", "sendfile", (long)lseek(out, 0, SEEK_END));
	close(out);

	/* sockets */
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	EACH(ALL, "sendto", "buf", syscall(SYS_sendto, sv[0], wild(k, data, 16), 16, 0, NULL, 0));
	EACH(ALL, "recvfrom", "buf", syscall(SYS_recvfrom, sv[1], wild(k, NULL, 16), 16, MSG_DONTWAIT, NULL, NULL));
	socklen_t len = 16;
	char addr[128];
	EACH(ALL, "getsockname", "addr", (len = 16, syscall(SYS_getsockname, sv[0], wild(k, NULL, 16), &len)));
	EACH(ALL, "getsockname", "len", syscall(SYS_getsockname, sv[0], addr, wild(k, &len, sizeof len)));
	int type;
	EACH(ALL, "getsockopt", "val", (len = 4, syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, wild(k, NULL, 4), &len)));
	EACH(ALL, "getsockopt", "len", (len = 4, syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, &type, wild(k, &len, 4))));
	int one = 1;
	EACH(ALL, "setsockopt", "val", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_PASSCRED, wild(k, &one, 4), 4));
	struct sockaddr_un { sa_family_t family; char path[108]; } un = {AF_UNIX, "sock"};
	int s = -1;
	EACH(ALL, "bind", "addr", (close(s), s = socket(AF_UNIX, SOCK_DGRAM, 0),
				  syscall(SYS_bind, s, wild(k, &un, sizeof un), sizeof un) == 0 ? unlink("sock") : -1));
	EACH(ALL, "connect", "addr", syscall(SYS_connect, s, wild(k, &un, sizeof un), sizeof un));
	close(s);

	/* accept4 takes the connection, then stores the peer's address: a bad one loses the connection */
	int ls = socket(AF_UNIX, SOCK_STREAM, 0), c = -1;
	bind(ls, (struct sockaddr *)&un, sizeof un);
	listen(ls, 8);
	EACH(ALL, "accept4", "addr", (close(c), c = socket(AF_UNIX, SOCK_STREAM, 0), connect(c, (struct sockaddr *)&un, sizeof un),
				     len = sizeof un, closing(syscall(SYS_accept4, ls, wild(k, NULL, sizeof un), &len, 0))));
	EACH(ALL, "accept4", "addrlen", (close(c), c = socket(AF_UNIX, SOCK_STREAM, 0), connect(c, (struct sockaddr *)&un, sizeof un),
					 len = sizeof un, closing(syscall(SYS_accept4, ls, addr, wild(k, &len, sizeof len), 0))));
	close(c);
	close(ls);
	unlink("sock");
	close(sv[0]);
	close(sv[1]);
	next_fd("accept4");
}

static void times_(void)
{
	struct timespec ts0 = {0, 0}, ts1 = {0, 1};
	EACH(ALL, "clock_gettime", "tp", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, wild(k, NULL, 16)) == 0 ? 0 : -1);
	EACH(ALL, "clock_getres", "res", syscall(SYS_clock_getres, CLOCK_MONOTONIC, wild(k, NULL, 16)));
	EACH(ALL, "gettimeofday", "tv", syscall(SYS_gettimeofday, wild(k, NULL, 16), NULL));
	EACH(ALL, "gettimeofday", "tz", syscall(SYS_gettimeofday, NULL, wild(k, NULL, 8)));
	EACH_OK(ALL, "time", "tloc", syscall(SYS_time, wild(k, NULL, 8)));
	EACH(ALL, "nanosleep", "req", syscall(SYS_nanosleep, wild(k, &ts0, 16), NULL));
	EACH(ALL, "nanosleep", "rem", syscall(SYS_nanosleep, &ts1, wild(k, NULL, 16)));
	EACH(ALL, "clock_nanosleep", "req", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, wild(k, &ts0, 16), NULL));
	EACH_OK(ALL, "times", "buf", syscall(SYS_times, wild(k, NULL, 32)));
	EACH(ALL, "getrusage", "buf", syscall(SYS_getrusage, RUSAGE_SELF, wild(k, NULL, 144)));
}

static void info(void)
{
	char b[64];
	EACH(ALL, "uname", "buf", syscall(SYS_uname, wild(k, NULL, 390)));
	EACH(ALL, "sysinfo", "buf", syscall(SYS_sysinfo, wild(k, NULL, 112)));
	EACH(ALL, "getrandom", "buf", syscall(SYS_getrandom, wild(k, NULL, 64), 64, 0));
	EACH(ALL, "getrandom", "len 0", syscall(SYS_getrandom, wild(k, NULL, 0), 0, 0));
	EACH(1u << CROSS, "getrandom", "len -1", syscall(SYS_getrandom, wild(k, NULL, 64), -1L, 0));
	EACH(ALL, "getrlimit", "rlim", syscall(SYS_getrlimit, RLIMIT_NOFILE, wild(k, NULL, 16)));
	EACH(ALL, "getrlimit", "bad res", syscall(SYS_getrlimit, 99, wild(k, NULL, 16)));
	uint64_t lim[2];
	syscall(SYS_getrlimit, RLIMIT_NOFILE, lim);
	EACH(ALL, "setrlimit", "rlim", syscall(SYS_setrlimit, RLIMIT_NOFILE, wild(k, lim, 16)));
	EACH(ALL, "setrlimit", "bad res", syscall(SYS_setrlimit, 99, wild(k, lim, 16)));
	EACH(ALL, "prlimit64", "new", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, wild(k, lim, 16), NULL));
	EACH(ALL, "prlimit64", "old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, wild(k, NULL, 16)));
	EACH(ALL, "prlimit64", "bad res", syscall(SYS_prlimit64, 0, 99, wild(k, lim, 16), NULL));
	/* a new limit is set before the old one is written back */
	uint64_t lower[2] = {lim[0] - 1, lim[1]}, now[2];
	EACH(ALL, "prlimit64", "new+old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, lower, wild(k, NULL, 16)));
	syscall(SYS_getrlimit, RLIMIT_NOFILE, now);
	printf("%-16s then the soft limit was lowered: %s\n", "prlimit64", now[0] == lim[0] - 1 ? "yes" : "no");
	syscall(SYS_setrlimit, RLIMIT_NOFILE, lim);

	uint64_t mask = 0;
	syscall(SYS_sched_getaffinity, 0, 8, &mask);
	EACH(ALL, "sched_getaffinity", "mask", syscall(SYS_sched_getaffinity, 0, 8, wild(k, NULL, 8)));
	EACH(ALL, "sched_setaffinity", "mask", syscall(SYS_sched_setaffinity, 0, 8, wild(k, &mask, 8)));
	int zero = 0;
	EACH(ALL, "sched_getparam", "param", syscall(SYS_sched_getparam, 0, wild(k, NULL, 4)));
	EACH(ALL, "sched_setparam", "param", syscall(SYS_sched_setparam, 0, wild(k, &zero, 4)));
	EACH(ALL, "sched_setscheduler", "param", syscall(SYS_sched_setscheduler, 0, 0 /* SCHED_OTHER */, wild(k, &zero, 4)));
	EACH(ALL, "sched_rr_get_interval", "ts", syscall(SYS_sched_rr_get_interval, 0, wild(k, NULL, 16)));
	EACH(ALL, "getcpu", "cpu", syscall(SYS_getcpu, wild(k, NULL, 4), NULL, NULL));
	EACH(ALL, "getcpu", "node", syscall(SYS_getcpu, NULL, wild(k, NULL, 4), NULL));
	unsigned id[3];
	EACH(ALL, "getresuid", "ruid", syscall(SYS_getresuid, wild(k, NULL, 4), &id[1], &id[2]));
	EACH(ALL, "getresuid", "suid", syscall(SYS_getresuid, &id[0], &id[1], wild(k, NULL, 4)));
	EACH(ALL, "getresgid", "egid", syscall(SYS_getresgid, &id[0], wild(k, NULL, 4), &id[2]));
	EACH(ALL, "arch_prctl", "GET_FS", syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, wild(k, NULL, 8)));
	EACH(ALL, "arch_prctl", "GET_GS", syscall(SYS_arch_prctl, 0x1004 /* ARCH_GET_GS */, wild(k, NULL, 8)));
	EACH(ALL, "prctl", "GET_NAME", syscall(SYS_prctl, PR_GET_NAME, wild(k, NULL, 16), 0, 0, 0));
	EACH(ALL, "prctl", "SET_NAME", syscall(SYS_prctl, PR_SET_NAME, PATH(k, "wildptr-renamed"), 0, 0, 0));
	/* the name is at most 15 bytes: Linux reads no further, so a name cut off by unmapped memory after 15 is fine */
	memcpy(unmapped - 15, "wildptr-fifteen", 15);
	show("prctl", "15 bytes", CROSS, syscall(SYS_prctl, PR_SET_NAME, unmapped - 15, 0, 0, 0), errno);
	syscall(SYS_prctl, PR_GET_NAME, b, 0, 0, 0);
	printf("%-16s then the name is %s\n", "prctl", b);
	syscall(SYS_prctl, PR_SET_NAME, "wildptr", 0, 0, 0);
	EACH(ALL, "prctl", "GET_PDEATHSIG", syscall(SYS_prctl, PR_GET_PDEATHSIG, wild(k, NULL, 4), 0, 0, 0));

	/* mincore: the vector is checked before the range is looked at */
	EACH(ALL, "mincore", "vec", syscall(SYS_mincore, valid, 2 * PAGE, wild(k, NULL, 2)));
	EACH(ALL, "mincore", "vec+hole", syscall(SYS_mincore, unmapped, PAGE, wild(k, NULL, 1)));
	EACH(ALL, "mincore", "addr", syscall(SYS_mincore, wild(k, NULL, 0), PAGE, b));

	uint64_t head = 0, glibc_head, hlen = 0;
	syscall(SYS_get_robust_list, 0, &glibc_head, &hlen);
	/* the length is stored first */
	for (enum kind k = 0; k < NKINDS; k++) {
		hlen = 0;
		long r = syscall(SYS_get_robust_list, 0, wild(k, NULL, 8), &hlen);
		show("get_robust_list", "head", k, r, errno);
		printf("%-16s then len is %ld\n", "get_robust_list", (long)hlen);
	}
	EACH(ALL, "get_robust_list", "len", syscall(SYS_get_robust_list, 0, &head, wild(k, NULL, 8)));
	EACH(ALL, "set_robust_list", "head", syscall(SYS_set_robust_list, wild(k, NULL, 24), 24));
	syscall(SYS_set_robust_list, glibc_head, 24);
}

/* Kernel's struct sigaction: handler, flags, restorer, mask. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void signals(void)
{
	struct ksigaction ign = {SIG_IGN, 0, NULL, 0}, dfl = {SIG_DFL, 0, NULL, 0}, now;
	EACH(ALL, "rt_sigaction", "act", syscall(SYS_rt_sigaction, SIGUSR1, wild(k, &ign, sizeof ign), NULL, 8));
	EACH(ALL, "rt_sigaction", "oldact", syscall(SYS_rt_sigaction, SIGUSR1, NULL, wild(k, NULL, 32), 8));
	EACH(ALL, "rt_sigaction", "SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, wild(k, &ign, sizeof ign), NULL, 8));
	EACH(ALL, "rt_sigaction", "signal 99", syscall(SYS_rt_sigaction, 99, wild(k, &ign, sizeof ign), NULL, 8));
	/* the new action is in force before the old one is written back */
	EACH(ALL, "rt_sigaction", "both", (syscall(SYS_rt_sigaction, SIGUSR2, &dfl, NULL, 8),
					   syscall(SYS_rt_sigaction, SIGUSR2, &ign, wild(k, NULL, 32), 8)));
	syscall(SYS_rt_sigaction, SIGUSR2, NULL, &now, 8);
	printf("%-16s then SIGUSR2 is ignored: %s\n", "rt_sigaction", now.handler == SIG_IGN ? "yes" : "no");
	syscall(SYS_rt_sigaction, SIGUSR1, &dfl, NULL, 8);
	syscall(SYS_rt_sigaction, SIGUSR2, &dfl, NULL, 8);

	uint64_t usr1 = 1ul << (SIGUSR1 - 1), none = 0, mask;
	EACH(ALL, "rt_sigprocmask", "set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, wild(k, &none, 8), NULL, 8));
	EACH(ALL, "rt_sigprocmask", "oldset", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, wild(k, NULL, 8), 8));
	EACH(ALL, "rt_sigprocmask", "both", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &usr1, wild(k, NULL, 8), 8));
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, 8);
	printf("%-16s then SIGUSR1 is blocked: %s\n", "rt_sigprocmask", mask & usr1 ? "yes" : "no");

	EACH(ALL, "rt_sigpending", "set", syscall(SYS_rt_sigpending, wild(k, NULL, 8), 8));
	EACH(ALL, "rt_sigpending", "size 0", syscall(SYS_rt_sigpending, wild(k, NULL, 0), 0));
	struct timespec zero = {0, 0};
	EACH(ALL, "rt_sigtimedwait", "set", syscall(SYS_rt_sigtimedwait, wild(k, &usr1, 8), NULL, &zero, 8));
	EACH(BUT(NUL), "rt_sigtimedwait", "timeout", syscall(SYS_rt_sigtimedwait, &usr1, NULL, wild(k, &zero, 16), 8));
	/* the signal is taken before its siginfo is written */
	EACH(ALL, "rt_sigtimedwait", "info", (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1),
					      syscall(SYS_rt_sigtimedwait, &usr1, wild(k, NULL, 128), &zero, 8)));
	syscall(SYS_rt_sigpending, &mask, 8);
	printf("%-16s then SIGUSR1 is pending: %s\n", "rt_sigtimedwait", mask & usr1 ? "yes" : "no");
	EACH(BUT(READONLY) & ~(1u << MISALIGNED), "rt_sigsuspend", "mask", syscall(SYS_rt_sigsuspend, wild(k, &none, 8), 8));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);

	/* sigaltstack: the new stack is set before the old one is written back */
	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0}, off = {.ss_flags = SS_DISABLE}, cur;
	EACH(ALL, "sigaltstack", "ss", syscall(SYS_sigaltstack, wild(k, &ss, sizeof ss), NULL));
	EACH(ALL, "sigaltstack", "old", syscall(SYS_sigaltstack, NULL, wild(k, NULL, 24)));
	EACH(ALL, "sigaltstack", "both", (syscall(SYS_sigaltstack, &off, NULL),
					  syscall(SYS_sigaltstack, &ss, wild(k, NULL, 24))));
	syscall(SYS_sigaltstack, NULL, &cur);
	printf("%-16s then the alternate stack is on: %s\n", "sigaltstack", cur.ss_flags == 0 ? "yes" : "no");
	syscall(SYS_sigaltstack, &off, NULL);
}

static void futexes(void)
{
	static int word = 0;
	struct timespec zero = {0, 0};
	/* with FUTEX_PRIVATE_FLAG the word is named by its address, read only by WAIT */
	EACH(ALL, "futex", "WAIT_PRIV", syscall(SYS_futex, wild(k, &word, 4), FUTEX_WAIT | FUTEX_PRIVATE, 1, &zero, NULL, 0));
	EACH(ALL, "futex", "WAKE_PRIV", syscall(SYS_futex, wild(k, &word, 4), FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0));
	EACH(ALL, "futex", "WAIT", syscall(SYS_futex, wild(k, &word, 4), FUTEX_WAIT, 1, &zero, NULL, 0));
	EACH(ALL, "futex", "WAKE", syscall(SYS_futex, wild(k, &word, 4), FUTEX_WAKE, 1, NULL, NULL, 0));
	EACH(BUT(NUL), "futex", "timeout", syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_PRIVATE, 0, wild(k, &zero, 16), NULL, 0));
	EACH(ALL, "futex", "tmo+uaddr", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAIT | FUTEX_PRIVATE, 0, wild(k, &zero, 16), NULL, 0));
	int other = 0;
	EACH(ALL, "futex", "WAKE_OP", syscall(SYS_futex, &word, FUTEX_WAKE_OP | FUTEX_PRIVATE, 1, 1, wild(k, &other, 4),
					      0 /* set to 0, wake if it was 0 */));
	EACH(ALL, "futex", "CMP_REQUEUE", syscall(SYS_futex, wild(k, &word, 4), FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 1, 1, &other, 0));
}

static long fork_exit3(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	return pid;
}

/* After a wait that may have failed: was the child reaped anyway? */
static void reaped(const char *call)
{
	printf("%-16s then a second wait gives %s\n", call,
	       syscall(SYS_wait4, -1, NULL, WNOHANG, NULL) == -1 ? errname(errno) : "a child");
	while (waitpid(-1, NULL, 0) > 0)
		;
}

static void waits(void)
{
	for (enum kind k = 0; k < NKINDS; k++) {
		long pid = fork_exit3();
		int *st = wild(k, NULL, 4);
		long r = syscall(SYS_wait4, pid, st, 0, NULL);
		int e = errno;
		if (r == pid)
			printf("%-16s %-8s %-10s = the child, exit status %d\n", "wait4", "status", kind_name[k],
			       st ? WEXITSTATUS(*st) : -1);
		else
			show("wait4", "status", k, r, e);
		reaped("wait4");
	}
	for (enum kind k = 0; k < NKINDS; k++) {
		long pid = fork_exit3();
		long r = syscall(SYS_wait4, pid, NULL, 0, wild(k, NULL, 144));
		show("wait4", "rusage", k, r == pid ? 0 : r, errno);
		reaped("wait4");
	}
	for (enum kind k = 0; k < NKINDS; k++) {
		long pid = fork_exit3();
		siginfo_t *si = wild(k, NULL, 128);
		long r = syscall(SYS_waitid, P_PID, pid, si, WEXITED, NULL);
		int e = errno;
		if (r == 0 && si)
			printf("%-16s %-8s %-10s = 0, si_status %d\n", "waitid", "infop", kind_name[k], si->si_status);
		else
			show("waitid", "infop", k, r, e);
		reaped("waitid");
	}
	/* the new task's tid is stored where it can be; a bad address does not stop the clone */
	for (enum kind k = 0; k < NKINDS; k++) {
		fflush(stdout);
		long r = syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, NULL,
				 wild(k, NULL, 4), wild(k, NULL, 4), 0);
		if (r == 0)
			_exit(0);
		show_ok("clone", "tid ptrs", k, r, errno);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
	struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } ca = {
		.exit_signal = SIGCHLD};
	for (enum kind k = 0; k < NKINDS; k++) {
		fflush(stdout);
		long r = syscall(SYS_clone3, wild(k, &ca, sizeof ca), sizeof ca);
		if (r == 0)
			_exit(0);
		show_ok("clone3", "args", k, r, errno);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
}

/* execve in a child (a case that works replaces the child, which then says so), reported by the child. */
static char *const exec_env[] = {"WILDPTR_EXEC=1", NULL};
static char *const exec_argv[] = {"wildptr-exec", NULL};

static void exec_case(const char *what, enum kind k, const char *path, void *argv, void *envp)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		long r = syscall(SYS_execve, path, argv, envp);
		show("execve", what, k, r, errno);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void execs(void)
{
	const char *self = "/proc/self/exe";
	for (enum kind k = 0; k < NKINDS; k++)
		exec_case("path", k, PATH(k, "missing"), (void *)exec_argv, (void *)exec_env);
	for (enum kind k = 0; k < NKINDS; k++)
		exec_case("argv", k, self, wild(k, exec_argv, sizeof exec_argv), (void *)exec_env);
	for (enum kind k = 0; k < NKINDS; k++) {
		char *argv[] = {"wildptr-exec", wild(k, "x", 2), NULL};
		exec_case("argv[1]", k, self, argv, (void *)exec_env);
	}
	for (enum kind k = 0; k < NKINDS; k++)
		exec_case("envp", k, self, (void *)exec_argv, wild(k, exec_env, sizeof exec_env));
	/* the file is opened before the arguments are read */
	for (enum kind k = 0; k < NKINDS; k++)
		exec_case("argv+path", k, "missing", wild(k, exec_argv, sizeof exec_argv), (void *)exec_env);
}

int main(int argc, char **argv)
{
	if ((argc > 0 && strcmp(argv[0], "wildptr-exec") == 0) || getenv("WILDPTR_EXEC")) {
		printf("  exec ran: argc %d, argv[0] \"%s\", environment %s\n", argc, argc > 0 ? argv[0] : "-",
		       getenv("WILDPTR_EXEC") ? "passed" : "empty");
		return 0;
	}
	setup();
	io();
	paths();
	fds();
	times_();
	info();
	signals();
	futexes();
	waits();
	execs();
	EACH_OK(ALL, "set_tid_address", "tidptr", syscall(SYS_set_tid_address, wild(k, NULL, 4)));
	cleanup();
	return 0;
}
