/* Prints "ready", then blocks reading stdin until it ends; prints how many bytes came. Used to test what
 * happens to a guest blocked in a delegated read when its proxy or it is signalled or killed. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];
	long total = 0, n;
	puts("ready");
	fflush(stdout);
	while ((n = read(0, buf, sizeof buf)) > 0)
		total += n;
	printf("read %ld bytes\n", total);
	return 0;
}
