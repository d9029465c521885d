/* /proc/cpuinfo as a program that chooses its code by it reads it: as many processors as sysconf says are
 * online, a model name that is the CPU's brand string, and flags that agree with what cpuid says the CPU
 * can do (under jmck: the emulated CPU's, not the host's). Each line is a check, the same natively. */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char text[1 << 20];

/* Whether the first "flags" line names flag, as a whole word. */
static int listed(const char *flag)
{
	const char *line = strstr(text, "\nflags\t\t: ");
	if (!line)
		return -1;
	const char *end = strchr(line + 1, '\n');
	size_t n = strlen(flag);
	for (const char *p = strstr(line, flag); p && p < end; p = strstr(p + 1, flag))
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n'))
			return 1;
	return 0;
}

int main(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t len = f ? fread(text + 1, 1, sizeof text - 2, f) : 0;
	text[0] = '\n';
	text[len + 1] = 0;
	int processors = 0;
	for (char *p = strstr(text, "\nprocessor\t: "); p; p = strstr(p + 1, "\nprocessor\t: "))
		processors++;
	printf("processors listed = online CPUs: %d\n", processors == sysconf(_SC_NPROCESSORS_ONLN));

	unsigned a, b, c, d, max = __get_cpuid_max(0, NULL), brand[12] = {0};
	if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004)
		for (int i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, brand[4 * i], brand[4 * i + 1], brand[4 * i + 2], brand[4 * i + 3]);
	char name[64] = {0}, *s = (char *)brand;
	memcpy(name, s + strspn(s, " "), 48);
	for (size_t i = strlen(name); i > 0 && name[i - 1] == ' '; i--)
		name[i - 1] = 0;
	char *model = strstr(text, "\nmodel name\t: ");
	char shown[64] = {0};
	if (model)
		sscanf(model, "\nmodel name\t: %63[^\n]", shown);
	printf("model name is the brand string: %d\n", strcmp(name, shown) == 0);

	unsigned ebx7 = 0, ecx7, edx7;
	if (max >= 7)
		__cpuid_count(7, 0, a, ebx7, ecx7, edx7);
	__cpuid(1, a, b, c, d);
	struct { const char *flag; int has; } checks[] = {
		{"sse2", d >> 26 & 1}, {"pni", c & 1}, {"ssse3", c >> 9 & 1}, {"sse4_1", c >> 19 & 1},
		{"sse4_2", c >> 20 & 1}, {"popcnt", c >> 23 & 1}, {"aes", c >> 25 & 1}, {"avx", c >> 28 & 1},
		{"avx2", ebx7 >> 5 & 1}, {"bmi2", ebx7 >> 8 & 1}, {"avx512f", ebx7 >> 16 & 1},
	};
	int agree = 1;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		if (listed(checks[i].flag) != checks[i].has) {
			agree = 0;
			printf("  %s: cpuinfo %d, cpuid %d\n", checks[i].flag, listed(checks[i].flag), checks[i].has);
		}
	printf("flags agree with cpuid: %d\n", agree);
	return 0;
}
