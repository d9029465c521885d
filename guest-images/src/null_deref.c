/* Stores through a NULL pointer: the LWK must end it with SIGSEGV like Linux (status 139). */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;
	printf("about to write to %p\n", (void *)p);
	fflush(stdout);
	*p = 1;
	puts("not reached");
	return 0;
}
