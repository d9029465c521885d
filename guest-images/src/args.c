/* Prints what the kernel handed the program at execve: argv, chosen environment variables and the
 * auxiliary vector entries whose values do not depend on the CPU or on address-space layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <elf.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, i == 0 ? (strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]) : argv[i]);
	int envc = 0;
	for (char **e = environ; *e; e++) {
		envc++;
		if (strncmp(*e, "JMCK_TEST_", 10) == 0)
			printf("env %s\n", *e);
	}
	printf("envc>0=%d\n", envc > 0);
	printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
	printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
	printf("AT_PHNUM=%lu\n", getauxval(AT_PHNUM));
	printf("AT_UID=%lu AT_EUID=%lu AT_GID=%lu AT_EGID=%lu\n", getauxval(AT_UID), getauxval(AT_EUID),
	       getauxval(AT_GID), getauxval(AT_EGID));
	printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM=%s\n", platform ? platform : "(none)");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN ends with args=%d\n", execfn && strlen(execfn) >= 4 && !strcmp(execfn + strlen(execfn) - 4, "args"));
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	printf("AT_RANDOM present=%d\n", rnd != NULL);
	Elf64_Phdr *phdr = (Elf64_Phdr *)getauxval(AT_PHDR);
	int loads = 0;
	for (unsigned long i = 0; phdr && i < getauxval(AT_PHNUM); i++)
		loads += phdr[i].p_type == PT_LOAD;
	printf("PT_LOAD segments seen through AT_PHDR=%d\n", loads);
	/* The stack pointer at entry is 16-byte aligned, so is this frame's locals as the ABI says. */
	return 0;
}
