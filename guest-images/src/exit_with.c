/* Exits with the status given as argv[1]: checks that exit codes pass through. */
#include <stdlib.h>

int main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}
