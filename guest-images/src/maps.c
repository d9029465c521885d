/* Prints /proc/self/maps in a form that can be compared across kernels: mappings this program made
 * itself (at a fixed address) with their real addresses, the executable's own mappings with their
 * offsets and permissions, the files it maps (a dynamic program's libraries and interpreter), and
 * labels such as [heap] and [stack] -- but not the randomized addresses,
 * and not [vdso]/[vvar]/[vsyscall], which Linux has and the LWK does not. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BASE ((char *)0x200000000UL)

int main(int argc, char **argv)
{
	(void)argc;
	char *fixed = mmap(BASE, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	mprotect(fixed + 4096, 4096, PROT_READ);
	munmap(fixed + 3 * 4096, 4096);
	mmap(BASE + 0x100000, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	free(malloc(100)); /* makes the heap exist */

	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) {
		perror("/proc/self/maps");
		return 1;
	}
	const char *exe = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char line[512];
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi, off;
		char perms[8], dev[16], path[256] = "";
		unsigned long inode;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %255s", &lo, &hi, perms, &off, dev, &inode, path) < 6)
			continue;
		if (!strcmp(path, "[vdso]") || !strcmp(path, "[vvar]") || !strcmp(path, "[vsyscall]") || !strcmp(path, "[vvar_vclock]"))
			continue;
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if ((char *)lo >= BASE && (char *)hi <= BASE + 0x200000)
			printf("%lx-%lx %s %lx anon\n", lo, hi, perms, off);
		else if (!strcmp(base, exe))
			printf("exe %s offset %lx size %lx inode %s\n", perms, off, hi - lo, inode ? "set" : "0");
		else if (path[0] == '[')
			printf("%s %s\n", path, perms);
		else if (path[0] == '/') /* a shared library or the dynamic linker */
			printf("file %s %s offset %lx size %lx inode %s\n", base, perms, off, hi - lo, inode ? "set" : "0");
	}
	fclose(f);
	return 0;
}
