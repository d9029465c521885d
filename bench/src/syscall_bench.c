/* Syscall round trips measured inside the guest: N calls of getpid (handled by the LWK itself) and N/10 of
 * lseek on /dev/null (delegated to the proxy), timed with clock_gettime. Prints microseconds per call.
 * Before them, a warm-up that the two steady figures leave out, as a microbenchmark harness warms up before
 * it measures (N/100 calls, 10,000 at least): under jmck the JVM interprets the path for the first few
 * thousand calls and then compiles it.
 * The warm-up's own delegated calls are timed too (delegated_warmup_us): that is what a short program pays. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long warm = n / 100 > 10000 ? n / 100 : 10000;
	int fd = open("/dev/null", O_RDONLY);
	for (long i = 0; i < warm; i++)
		syscall(SYS_getpid);
	double w = now();
	for (long i = 0; i < warm; i++)
		lseek(fd, 0, SEEK_CUR);
	double a = now();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	double b = now();
	for (long i = 0; i < n / 10; i++)
		lseek(fd, 0, SEEK_CUR);
	double c = now();
	printf("getpid_us %.3f\n", (b - a) / n);
	printf("delegated_us %.3f\n", (c - b) / (n / 10));
	printf("delegated_warmup_us %.3f (the first %ld)\n", (a - w) / warm, warm);
	return 0;
}
