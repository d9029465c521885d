/* Permissions of host files for a guest that changed its ids: a root process that drops to another uid is
 * refused files it may no longer read or write (the host ran every call as the proxy, root), access()
 * checks with the real ids, setfsuid moves only the filesystem id, and files it creates belong to it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static const char *res(long r) {
    return r < 0 ? errname(errno) : r == 0 ? "0" : "ok";
}

int main(int argc, char **argv) {
    if (getuid() != 0) {
        printf("not root: nothing to check\n");
        return 0;
    }
    const char *dir = argc > 1 ? argv[1] : ".";
    if (chdir(dir) != 0)
        return 1;
    int fd = open("secret", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    write(fd, "s", 1);
    close(fd);
    fd = open("shared", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    close(fd);
    mkdir("box", 0777);
    chmod("box", 0777);
    pid_t child = fork();
    if (child == 0) {
        printf("setresuid to 65534 but saved 0: %d\n", setresuid(65534, 65534, 0));
        printf("open a 0600 root file: %s\n", res(open("secret", O_RDONLY)));
        printf("open a 0644 root file for reading: %s\n", res(open("shared", O_RDONLY)));
        printf("open it for writing: %s\n", res(open("shared", O_WRONLY)));
        printf("access R_OK of the 0600 file: %s\n", res(access("secret", R_OK)));
        printf("unlink in a directory it may not write: %s\n", res(unlink("shared")));
        fd = open("box/mine", O_CREAT | O_WRONLY, 0600);
        struct stat st;
        fstat(fd, &st);
        printf("a file it creates belongs to it: %d\n", st.st_uid == 65534);
        /* back to root through the saved uid: everything is allowed again */
        printf("seteuid(0): %d\n", seteuid(0));
        printf("open the 0600 file again: %s\n", res(open("secret", O_RDONLY)));
        /* setfsuid alone: open checks the filesystem uid; access() the real one (still 65534) */
        setfsuid(65534);
        printf("with fsuid 65534 only: open: %s, access: %s\n", res(open("secret", O_RDONLY)),
               res(access("secret", R_OK)));
        setfsuid(0);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    unlink("box/mine");
    rmdir("box");
    unlink("secret");
    unlink("shared");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
