/* Delegated calls that need a capability, made by a guest without it: Linux refuses them (EPERM); the proxy,
 * which has them all, made them. First as root with CAP_SYS_ADMIN dropped from the effective set, then
 * as a user other than root. Run as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define CAP_SYS_ADMIN 21
struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

static const char *r(long v) {
    return v < 0 ? errname(errno) : "0";
}

static void attempts(const char *who, const char *dir) {
    printf("%s: mount: %s\n", who, r(syscall(SYS_mount, "none", dir, "tmpfs", 0, NULL)));
    printf("%s: umount2: %s\n", who, r(syscall(SYS_umount2, dir, 0)));
    char name[65] = {0};
    gethostname(name, sizeof name - 1);
    printf("%s: sethostname to its own name: %s\n", who, r(syscall(SYS_sethostname, name, strlen(name))));
    printf("%s: swapon: %s\n", who, r(syscall(SYS_swapon, "/jmck-no-such-swap", 0)));
    printf("%s: fsopen: %s\n", who, r(syscall(430 /* fsopen */, "tmpfs", 0)));
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/tmp/jmck-privileges-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        struct cap_header h = {0x20080522, 0};
        struct cap_data d[2];
        syscall(SYS_capget, &h, d);
        d[0].effective &= ~(1u << CAP_SYS_ADMIN);
        printf("capset without CAP_SYS_ADMIN: %s\n", r(syscall(SYS_capset, &h, d)));
        attempts("root without CAP_SYS_ADMIN", dir);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pid = fork();
    if (pid == 0) {
        printf("setresuid 65534: %s\n", r(setresuid(65534, 65534, 65534)));
        attempts("user 65534", dir);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        printf("user 65534: settimeofday: %s\n", r(settimeofday(&tv, NULL)));
        printf("user 65534: chroot: %s\n", r(chroot("/")));
        printf("user 65534: acct: %s\n", r(acct(NULL)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    rmdir(dir);
    return 0;
}
