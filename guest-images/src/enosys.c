/* Calls a syscall number Linux does not have, twice: both must fail with ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
	for (int i = 0; i < 2; i++) {
		long r = syscall(1000);
		printf("syscall(1000) = %ld (%s)\n", r, r < 0 ? strerror(errno) : "ok");
	}
	return 0;
}
