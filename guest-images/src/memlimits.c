/* RLIMIT_AS and RLIMIT_DATA make allocations fail with ENOMEM (malloc returns NULL), never kill: mappings
 * past RLIMIT_AS, private writable memory (mmap, brk, mprotect to writable, mremap growing) past RLIMIT_DATA,
 * while shared and PROT_NONE memory are not data; a soft RLIMIT_DATA of 0 lets data grow up to the hard
 * limit, as Linux allows for Valgrind. Each case runs in a child, since hard limits only go down. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define MiB (1024L * 1024)

static const char *m(void *p) {
    return p == MAP_FAILED ? errname(errno) : "ok";
}

static const char *a(void *p) {
    return p ? "ok" : errname(errno);
}

static void limit(int resource, long soft, long hard) {
    struct rlimit rl = {soft, hard};
    if (setrlimit(resource, &rl))
        printf("setrlimit: %s\n", errname(errno));
}

static void *anon(long len, int prot, int flags) {
    return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static void address_space(void) {
    limit(RLIMIT_AS, 256 * MiB, 256 * MiB);
    printf("RLIMIT_AS 256 MiB: mmap 512 MiB PROT_NONE: %s", m(anon(512 * MiB, PROT_NONE, MAP_PRIVATE)));
    printf(", mmap 1 MiB: %s", m(anon(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
    printf(", malloc 300 MiB: %s", a(malloc(300 * MiB)));
    printf(", malloc 1 MiB: %s\n", a(malloc(MiB)));
    char *p = anon(16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    printf("  mremap 16 -> 400 MiB: %s", m(mremap(p, 16 * MiB, 400 * MiB, MREMAP_MAYMOVE)));
    printf(", 16 -> 32 MiB: %s\n", m(mremap(p, 16 * MiB, 32 * MiB, MREMAP_MAYMOVE)));
}

static void data(void) {
    limit(RLIMIT_DATA, 0, 0);
    errno = 0;
    void *big = malloc(MiB);
    int e = errno;
    printf("RLIMIT_DATA 0: malloc 1 MiB: %s (errno %s)", big ? "ok" : "NULL", errname(e));
    printf(", sbrk 64 KiB: %s\n", sbrk(64 * 1024) == (void *)-1 ? errname(errno) : "ok");
    printf("  private writable mmap: %s", m(anon(MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
    printf(", shared writable: %s", m(anon(MiB, PROT_READ | PROT_WRITE, MAP_SHARED)));
    printf(", read-only: %s", m(anon(MiB, PROT_READ, MAP_PRIVATE)));
    void *none = anon(MiB, PROT_NONE, MAP_PRIVATE);
    printf(", PROT_NONE: %s", m(none));
    printf(", mprotect it writable: %s\n", mprotect(none, MiB, PROT_READ | PROT_WRITE) ? errname(errno) : "0");
    /* fill part of the address space with PROT_NONE mappings, as test suites do to provoke out-of-memory */
    int n = 0;
    while (n < 1000 && anon(1024 * MiB, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE) != MAP_FAILED)
        n++;
    errno = 0;
    void *after = malloc(4 * MiB);
    e = errno;
    printf("  %d GiB of PROT_NONE mappings, then malloc 4 MiB: %s (errno %s)\n", n, after ? "ok" : "NULL", errname(e));
}

static void soft_zero(void) {
    limit(RLIMIT_DATA, 0, 64 * MiB);
    printf("RLIMIT_DATA soft 0, hard 64 MiB: mmap 8 MiB: %s", m(anon(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
    printf(", mmap 128 MiB: %s\n", m(anon(128 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
}

static void in_child(void (*f)(void)) {
    pid_t c = fork();
    if (c == 0) {
        f();
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("  child ended with status %#x\n", status);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    in_child(address_space);
    in_child(data);
    in_child(soft_zero);
    return 0;
}
