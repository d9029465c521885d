/* Where mmap places mappings, as programs and allocators rely on it: top-down below the previous
 * mapping, the highest hole that holds the request, a free hint honoured (rounded down to a page), a busy
 * hint ignored, MAP_FIXED_NOREPLACE and MAP_FIXED, mremap moving a mapping to the highest hole. Only
 * relations between addresses are printed (1 = as expected), so the output compares with a native run
 * under ASLR. Nothing is printed until the end: stdio's buffer must not become a mapping in between. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "errname.h"

#define P 4096L
static char buf[4096], *out = buf;
#define SAY(...) (out += snprintf(out, buf + sizeof buf - out, __VA_ARGS__))

static int turn;

/* pages pages anywhere (hint is only a hint); neighbours alternate protections so that no kernel merges them */
static char *map(void *hint, long pages)
{
	turn ^= 1;
	return mmap(hint, pages * P, turn ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static const char *fixed(void *at, int flag)
{
	char *r = mmap(at, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | flag, -1, 0);
	return r == MAP_FAILED ? errname(errno) : r == at ? "same address" : "elsewhere";
}

int main(void)
{
	char *a = map(NULL, 1), *b = map(NULL, 1), *c = map(NULL, 1);
	SAY("each mapping directly below the one before: %d %d\n", b == a - P, c == b - P);

	munmap(b, P);
	char *d = map(NULL, 1);
	SAY("one page takes the one-page hole: %d\n", d == b);
	munmap(d, P);
	char *e = map(NULL, 2);
	SAY("two pages skip it, below the lowest: %d\n", e == c - 2 * P);

	char *f = map(b, 1);
	SAY("a free hint is honoured: %d\n", f == b);
	char *g = map(a, 1);
	SAY("a busy hint is ignored, top-down instead: %d\n", g == e - P);

	munmap(e, 2 * P);
	char *h = map(e + 100, 1);
	SAY("an unaligned free hint is rounded down to its page: %d\n", h == e);
	char *i = map(NULL, 1);
	SAY("the highest hole is the page above it: %d\n", i == e + P);

	SAY("MAP_FIXED_NOREPLACE on a free page: %s\n", fixed(g - P, MAP_FIXED_NOREPLACE));
	SAY("MAP_FIXED_NOREPLACE on a mapped page: %s\n", fixed(a, MAP_FIXED_NOREPLACE));
	SAY("MAP_FIXED on a mapped page: %s\n", fixed(c, MAP_FIXED));

	char *j = g - P; /* the lowest mapping now */
	char *m = mremap(i, P, 2 * P, MREMAP_MAYMOVE);
	SAY("mremap that cannot grow in place moves below the lowest: %d\n", m == j - 2 * P);
	char *n = map(NULL, 1);
	SAY("the page it left is the highest hole: %d\n", n == i);
	munmap(j, P);
	char *o = mremap(m, 2 * P, 3 * P, 0);
	SAY("mremap without MAYMOVE grows in place into a free page: %s\n", o == m ? "same address" : errname(errno));
	char *q = map(NULL, 1);
	SAY("then the next mapping goes below it: %d\n", q == m - P);

	fputs(buf, stdout);
	return 0;
}
