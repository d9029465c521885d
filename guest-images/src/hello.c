/* The first guest: one line on stdout through write(2). */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
