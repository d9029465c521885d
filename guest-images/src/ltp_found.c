/* Linux ABI details LTP's syscall tests found wrong under jmck, one line each (LtpFoundAbiTest):
 *   - clone(CLONE_PARENT) makes the child a sibling of its caller (clone08);
 *   - a signal whose frame cannot be written (an unwritable alternate stack) becomes a SIGSEGV that runs
 *     its own handler on the normal stack, not a kill (signal06, Linux's force_sigsegv);
 *   - clock_nanosleep interrupted by a handler fails with EFAULT when the remaining time cannot be written
 *     (clock_nanosleep01);
 *   - membarrier answers QUERY with its commands and keeps registrations (membarrier01);
 *   - fexecve of a file with no name (a memfd, an unlinked file) runs it (execveat03);
 *   - with personality(STICKY_TIMEOUTS), select leaves its timeout as given (personality02);
 *   - a page of a file mapping wholly past the file's end raises SIGBUS, for a syscall EFAULT (mmap13,
 *     futex_wake05);
 *   - a pseudo-terminal pair opens: grantpt, unlockpt and ptsname use the master's ioctls (ioctl01);
 *   - name_to_handle_at with a handle too small writes the mount id too: EFAULT if it cannot
 *     (name_to_handle_at02);
 *   - ioprio_get of a process gives the value set, class NONE included (ioprio_set02);
 *   - FICLONERANGE takes its source fd inside its structure (ioctl_ficlone02);
 *   - a socket lists the network interfaces (SIOCGIFCONF) and answers for one (SIOCGIFFLAGS) (sockioctl01);
 *   - RLIMIT_CPU sends SIGXCPU at its soft limit and SIGKILL at its hard one (setrlimit06);
 *   - a shared mapping of a file opened read-only cannot be made writable (memfd_create01), and /dev/zero
 *     maps as anonymous memory, shared with a child when MAP_SHARED (mprotect01);
 *   - times and getrusage split CPU time into user and system time, a waited-for child's included (times03);
 *   - madvise's guard regions fault on any access, a syscall's too, until removed (madvise12). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static pid_t expected_parent;

static int sibling(void *arg)
{
	(void)arg;
	_exit(getppid() == expected_parent ? 0 : 1);
}

static void clone_parent(void)
{
	int pipefd[2];
	if (pipe(pipefd))
		exit(2);
	pid_t middle = fork();
	if (middle == 0) {
		expected_parent = getppid();
		pid_t c = clone(sibling, child_stack + sizeof child_stack, CLONE_PARENT | SIGCHLD, NULL);
		if (write(pipefd[1], &c, sizeof c) != sizeof c)
			_exit(3);
		_exit(0); /* before the sibling runs, as likely as not: it must not become an orphan */
	}
	pid_t sib;
	if (read(pipefd[0], &sib, sizeof sib) != sizeof sib)
		exit(2);
	int status, middle_status;
	waitpid(middle, &middle_status, 0);
	pid_t w = waitpid(sib, &status, 0);
	printf("CLONE_PARENT: the caller's parent waits for the child: %d, its parent was the caller's parent: %d\n",
	       w == sib, w == sib && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static volatile sig_atomic_t segv_handled, hup_handled;
static void on_segv(int sig) { (void)sig; segv_handled++; }
static void on_hup(int sig) { (void)sig; hup_handled++; }

static void unwritable_altstack(void)
{
	size_t size = 4 * 65536;
	void *alt = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t st = {.ss_sp = alt, .ss_size = size};
	sigaltstack(&st, NULL);
	struct sigaction sa = {.sa_handler = on_segv};
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGHUP, &sa, NULL);
	mprotect(alt, size, PROT_READ);
	raise(SIGHUP);
	printf("a frame on a read-only alternate stack: SIGHUP handled %d, SIGSEGV handled %d\n", (int)hup_handled,
	       (int)segv_handled);
	mprotect(alt, size, PROT_READ | PROT_WRITE);
	raise(SIGHUP);
	printf("writable again: SIGHUP handled %d\n", (int)hup_handled);
}

static void on_alarm(int sig) { (void)sig; }

static void nanosleep_bad_remain(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	void *bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec req = {.tv_sec = 5};
	struct itimerval it = {.it_value = {.tv_usec = 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, bad);
	printf("clock_nanosleep with an unwritable remaining time, interrupted: %ld %s\n", r, r ? errname(errno) : "");
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec rem = {0};
	r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &rem);
	printf("with a writable one: %ld %s, some time left: %d\n", r, r ? errname(errno) : "", rem.tv_sec > 0);
}

static void membarrier_commands(void)
{
	long query = syscall(SYS_membarrier, 0, 0), bad_flags = syscall(SYS_membarrier, 0, 1);
	int e = errno;
	long before = syscall(SYS_membarrier, 8, 0); /* PRIVATE_EXPEDITED before REGISTER_PRIVATE_EXPEDITED */
	int e2 = errno;
	long reg = syscall(SYS_membarrier, 16, 0), after = syscall(SYS_membarrier, 8, 0);
	printf("membarrier: QUERY has GLOBAL and PRIVATE_EXPEDITED: %d, bad flags: %s, unregistered: %s,"
	       " registered: %ld %ld, GLOBAL: %ld\n", (query & 9) == 9, bad_flags ? errname(e) : "0",
	       before ? errname(e2) : "0", reg, after, syscall(SYS_membarrier, 1, 0));
}

static void sticky_timeouts(void)
{
	struct timeval tv = {.tv_usec = 20000};
	syscall(SYS_select, 0, NULL, NULL, NULL, &tv); /* musl's select copies the timeout */
	printf("select's timeout afterwards: %ld us", (long)tv.tv_usec);
	personality(PER_LINUX | STICKY_TIMEOUTS);
	tv.tv_usec = 20000;
	syscall(SYS_select, 0, NULL, NULL, NULL, &tv); /* musl's select copies the timeout */
	printf(", with STICKY_TIMEOUTS: %ld us\n", (long)tv.tv_usec);
	personality(PER_LINUX);
}

static sigjmp_buf bus_jump;
static volatile int bus_code;

static void on_bus(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = info->si_code;
	siglongjmp(bus_jump, 1);
}

static const char *touch(volatile char *p)
{
	bus_code = 0;
	if (sigsetjmp(bus_jump, 1) == 0)
		*p = 1;
	return bus_code == BUS_ADRERR ? "SIGBUS (BUS_ADRERR)" : bus_code ? "SIGBUS (other)" : "no signal";
}

static void past_the_end(void)
{
	struct sigaction sa = {.sa_sigaction = on_bus, .sa_flags = SA_SIGINFO};
	sigaction(SIGBUS, &sa, NULL);
	char name[] = "/tmp/ltp_found_XXXXXX";
	int fd = mkstemp(name);
	unlink(name);
	long page = sysconf(_SC_PAGESIZE);
	if (ftruncate(fd, page / 2))
		exit(2);
	char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("file of half a page mapped for two: the first page: %s", touch(m + 100));
	printf(", the second: %s", touch(m + page + 1));
	if (ftruncate(fd, 0))
		exit(2);
	munmap(m, 2 * page);
	m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf(", a page of an empty file: %s", touch(m));
	int p[2];
	if (pipe(p))
		exit(2);
	errno = 0;
	long w = write(p[1], m, 16);
	printf(", write from it: %ld %s\n", w, w < 0 ? errname(errno) : "");
	close(fd);
}

static void pseudo_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	int ok = m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 && ptsname(m) != NULL;
	int s = ok ? open(ptsname(m), O_RDWR | O_NOCTTY) : -1;
	char buf[8] = {0};
	int echoed = s >= 0 && write(m, "hi\n", 3) == 3 && read(s, buf, sizeof buf) == 3;
	printf("pseudo-terminal: master and slave open: %d, a line through it: %d\n", s >= 0, echoed);
}

static void handle_too_small(void)
{
	struct file_handle fh = {.handle_bytes = 0};
	int mount_id;
	void *bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long small = name_to_handle_at(AT_FDCWD, "/", &fh, &mount_id, 0);
	int e = errno;
	long bad_id = name_to_handle_at(AT_FDCWD, "/", &fh, bad, 0);
	printf("name_to_handle_at with no room for the handle: %s, and an unwritable mount id: %s\n",
	       small ? errname(e) : "0", bad_id ? errname(errno) : "0");
}

static void io_priority(void)
{
	long first = syscall(SYS_ioprio_get, 1, 0);
	syscall(SYS_ioprio_set, 1, 0, 2 << 13 | 3); /* best-effort, level 3 */
	long set = syscall(SYS_ioprio_get, 1, 0);
	syscall(SYS_ioprio_set, 1, 0, 0); /* class NONE */
	printf("I/O priority: at first %#lx, best-effort 3: %#lx, none again: %#lx\n", first, set,
	       syscall(SYS_ioprio_get, 1, 0));
}

/* linux/fs.h's, which musl's headers lack */
struct clone_range_arg {
	int64_t src_fd;
	uint64_t src_offset, src_length, dest_offset;
};
#define FICLONE_REQ _IOW(0x94, 9, int)
#define FICLONERANGE_REQ _IOW(0x94, 13, struct clone_range_arg)

static void clone_range(void)
{
	char src_name[] = "/tmp/ltp_found_srcXXXXXX", dst_name[] = "/tmp/ltp_found_dstXXXXXX";
	int src = mkstemp(src_name), dst = mkstemp(dst_name);
	char page[4096] = {1};
	if (write(src, page, sizeof page) != sizeof page)
		exit(2);
	struct clone_range_arg range = {.src_fd = src, .src_length = sizeof page};
	long whole = ioctl(dst, FICLONE_REQ, src);
	int e1 = errno;
	long part = ioctl(dst, FICLONERANGE_REQ, &range);
	int e2 = errno;
	range.src_fd = 999;
	long bad = ioctl(dst, FICLONERANGE_REQ, &range);
	int e3 = errno;
	printf("FICLONE: %s, FICLONERANGE: %s, from a closed fd: %s\n", whole ? errname(e1) : "0",
	       part ? errname(e2) : "0", bad ? errname(e3) : "0");
	unlink(src_name);
	unlink(dst_name);
	close(src);
	close(dst);
}

static void network_interfaces(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq reqs[16];
	struct ifconf conf = {.ifc_len = sizeof reqs, .ifc_req = reqs};
	long listed = ioctl(s, SIOCGIFCONF, &conf);
	struct ifreq lo = {0};
	strcpy(lo.ifr_name, "lo");
	long flags = ioctl(s, SIOCGIFFLAGS, &lo);
	long bad = ioctl(s, SIOCGIFFLAGS, NULL);
	int e = errno;
	printf("SIOCGIFCONF: %ld, some interfaces: %d, the first: %s; lo's flags: %ld, up: %d; no ifreq: %s\n",
	       listed, conf.ifc_len >= (int)sizeof(struct ifreq), conf.ifc_len > 0 ? reqs[0].ifr_name : "-", flags,
	       (lo.ifr_flags & IFF_UP) != 0, bad ? errname(e) : "0");
	close(s);
}

static volatile int *xcpu_seen;

static void on_xcpu(int sig)
{
	(void)sig;
	*xcpu_seen = 1;
}

static void cpu_limit(void)
{
	xcpu_seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit one_then_two = {1, 2};
		signal(SIGXCPU, on_xcpu);
		setrlimit(RLIMIT_CPU, &one_then_two);
		alarm(20);
		for (;;)
			;
	}
	int status;
	waitpid(c, &status, 0);
	printf("RLIMIT_CPU 1 s, hard 2 s: SIGXCPU seen: %d, then killed by %s\n", *xcpu_seen,
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "SIGKILL" : "something else");
}

static void read_only_shared(void)
{
	char name[] = "/tmp/ltp_found_roXXXXXX";
	int w = mkstemp(name);
	if (ftruncate(w, 4096) != 0)
		exit(2);
	int r = open(name, O_RDONLY);
	char *file = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r, 0);
	long to_write = mprotect(file, 4096, PROT_READ | PROT_WRITE);
	int e = errno;
	char *privately = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, r, 0);
	long private_to_write = mprotect(privately, 4096, PROT_READ | PROT_WRITE);
	int z = open("/dev/zero", O_RDONLY), zrw = open("/dev/zero", O_RDWR);
	char *zero = mmap(NULL, 4096, PROT_READ, MAP_SHARED, z, 0);
	long zero_to_write = mprotect(zero, 4096, PROT_READ | PROT_WRITE);
	int ze = errno;
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zrw, 0);
	pid_t c = fork();
	if (c == 0) {
		*shared = 42;
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("mprotect to writable: a shared read-only file: %s, a private one: %s, /dev/zero read-only: %s;"
	       " /dev/zero shared with a child: %d, reads zero at first: %d\n", to_write ? errname(e) : "0",
	       private_to_write ? errname(errno) : "0", zero_to_write ? errname(ze) : "0", *shared, zero[0] == 0);
	unlink(name);
	close(w);
	close(r);
	close(z);
	close(zrw);
}

/* Some user time (a loop), then some system time (syscalls): 0.1 s more of each at least. More than the
 * process had already: the calls before this one may have used 0.1 s of system time themselves (under
 * load they did, and the system loop then ran not once). */
static void burn_user_and_system(void)
{
	struct tms t;
	times(&t);
	clock_t user0 = t.tms_utime, system0 = t.tms_stime;
	time_t end = time(NULL) + 1;
	volatile unsigned long n = 0;
	while (times(&t) >= 0 && t.tms_utime < user0 + 10)
		for (int i = 0; i < 100000; i++)
			n++;
	while (times(&t) >= 0 && t.tms_stime < system0 + 10 && time(NULL) <= end + 5)
		;
}

static void cpu_times(void)
{
	struct tms before, after;
	times(&before);
	burn_user_and_system();
	times(&after);
	struct rusage child_usage;
	pid_t c = fork();
	if (c == 0) {
		burn_user_and_system();
		_exit(0);
	}
	waitpid(c, NULL, 0);
	struct tms reaped;
	times(&reaped);
	getrusage(RUSAGE_CHILDREN, &child_usage);
	printf("times: user time grew: %d, system time grew: %d; after a child: its user time: %d, system time: %d,"
	       " getrusage(RUSAGE_CHILDREN) agrees: %d\n", after.tms_utime > before.tms_utime,
	       after.tms_stime > before.tms_stime, reaped.tms_cutime > 0, reaped.tms_cstime > 0,
	       child_usage.ru_utime.tv_sec * 100 + child_usage.ru_utime.tv_usec / 10000 >= reaped.tms_cutime - 1 &&
	               child_usage.ru_stime.tv_sec + child_usage.ru_stime.tv_usec > 0);
}

#define GUARD_INSTALL 102 /* MADV_GUARD_INSTALL, MADV_GUARD_REMOVE: Linux 6.13 */
#define GUARD_REMOVE 103

/* How a child touching p ends: "exits" or the signal's name. */
static const char *child_touch(char *p)
{
	pid_t c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL); /* an earlier check's handler would return into the fault again */
		*p = 'x';
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	return WIFSIGNALED(st) ? (WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "another signal") : "exits";
}

static void guard_pages(void)
{
	char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 7, 4 * 4096);
	long installed = madvise(p + 4096, 2 * 4096, GUARD_INSTALL);
	const char *guarded = child_touch(p + 4096), *beside = child_touch(p);
	int fds[2];
	if (pipe(fds) != 0)
		exit(2);
	long written = write(fds[1], p + 2 * 4096, 16);
	int e = errno;
	long removed = madvise(p + 4096, 2 * 4096, GUARD_REMOVE);
	printf("guard pages: installed: %ld, a child touching one: %s, beside them: %s; write from one: %s;"
	       " removed: %ld, then it reads %d and a child touching it %s\n", installed, guarded, beside,
	       written < 0 ? errname(e) : "?", removed, p[4096], child_touch(p + 4096));
	close(fds[0]);
	close(fds[1]);
	munmap(p, 4 * 4096);
}

static void fexecve_nameless(char **argv)
{
	int exe = open("/proc/self/exe", O_RDONLY), mem = memfd_create("copy", MFD_CLOEXEC);
	char buf[65536];
	ssize_t n;
	while ((n = read(exe, buf, sizeof buf)) > 0)
		if (write(mem, buf, (size_t)n) != n)
			exit(2);
	close(exe);
	pid_t c = fork();
	if (c == 0) {
		char *args[] = {argv[0], "from-memfd", NULL};
		fexecve(mem, args, environ);
		printf("fexecve of a memfd: %s\n", errname(errno));
		_exit(1);
	}
	int status;
	waitpid(c, &status, 0);
	close(mem);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "from-memfd") == 0) {
		printf("fexecve of a memfd: runs\n");
		return 0;
	}
	clone_parent();
	unwritable_altstack();
	nanosleep_bad_remain();
	membarrier_commands();
	sticky_timeouts();
	past_the_end();
	pseudo_terminal();
	handle_too_small();
	io_priority();
	clone_range();
	network_interfaces();
	cpu_limit();
	read_only_shared();
	cpu_times();
	guard_pages();
	fexecve_nameless(argv);
	return 0;
}
