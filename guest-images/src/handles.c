/* name_to_handle_at and open_by_handle_at: a handle's size (EOVERFLOW tells it), the file it opens again
 * (through AT_FDCWD, a directory fd and AT_EMPTY_PATH), the mount id, and the errors, as root and not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/tmp/jmck-handles-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[64];
    snprintf(path, sizeof path, "%s/file", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    write(fd, "handle me", 9);

    struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
    int mount_id, mount_id2;
    fh->handle_bytes = 0;
    long rv = name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0);
    printf("handle_bytes 0: %s, size now given: %d\n", outcome(rv), fh->handle_bytes > 0);
    unsigned need = fh->handle_bytes;
    rv = name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0);
    printf("name_to_handle_at: %s, size kept: %d\n", outcome(rv), fh->handle_bytes == need);
    struct file_handle *fh2 = malloc(sizeof *fh2 + MAX_HANDLE_SZ);
    fh2->handle_bytes = MAX_HANDLE_SZ;
    int dfd = open(dir, O_DIRECTORY);
    rv = name_to_handle_at(dfd, "file", fh2, &mount_id2, 0);
    printf("relative to a directory fd: %s, same handle %d, same mount %d\n", outcome(rv),
           fh2->handle_bytes == fh->handle_bytes && memcmp(fh2->f_handle, fh->f_handle, fh->handle_bytes) == 0,
           mount_id == mount_id2);
    fh2->handle_bytes = MAX_HANDLE_SZ;
    rv = name_to_handle_at(fd, "", fh2, &mount_id2, AT_EMPTY_PATH);
    printf("AT_EMPTY_PATH on the fd: %s, same handle %d\n", outcome(rv), memcmp(fh2->f_handle, fh->f_handle, fh->handle_bytes) == 0);

    int o = open_by_handle_at(AT_FDCWD, fh, O_RDONLY);
    char buf[32] = {0};
    printf("open_by_handle_at: %s, FD_CLOEXEC %d", o >= 0 ? "fd" : outcome(-1), fcntl(o, F_GETFD));
    printf(", reads: %s [%s]\n", outcome(read(o, buf, sizeof buf - 1)), buf);
    int oc = open_by_handle_at(dfd, fh, O_RDWR | O_CLOEXEC);
    printf("with O_CLOEXEC through the directory's mount: FD_CLOEXEC %d\n", fcntl(oc, F_GETFD));

    fh2->handle_bytes = MAX_HANDLE_SZ + 1;
    const char *e1 = outcome(name_to_handle_at(AT_FDCWD, path, fh2, &mount_id, 0));
    const char *e2 = outcome(name_to_handle_at(AT_FDCWD, path, (void *)8, &mount_id, 0));
    const char *e3 = outcome(name_to_handle_at(AT_FDCWD, path, fh, (void *)8, 0));
    const char *e4 = outcome(name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0x4000));
    printf("name_to_handle_at errors: too big %s, bad handle %s, bad mount_id %s, bad flags %s, no file %s\n", e1, e2, e3,
           e4, outcome(name_to_handle_at(AT_FDCWD, "/nonexistent", fh, &mount_id, 0)));
    fh2->handle_bytes = 0;
    e1 = outcome(open_by_handle_at(AT_FDCWD, fh2, O_RDONLY));
    e2 = outcome(open_by_handle_at(999, fh, O_RDONLY));
    printf("open_by_handle_at errors: size 0 %s, bad mount fd %s, bad handle %s\n", e1, e2,
           outcome(open_by_handle_at(AT_FDCWD, (void *)8, O_RDONLY)));
    if (getuid() == 0) {
        pid_t c = fork();
        if (c == 0) {
            setuid(65534);
            printf("unprivileged open_by_handle_at: %s\n", outcome(open_by_handle_at(AT_FDCWD, fh, O_RDONLY)));
            _exit(0);
        }
        waitpid(c, NULL, 0);
    } else {
        printf("unprivileged open_by_handle_at: EPERM\n");
    }
    unlink(path);
    rmdir(dir);
    return 0;
}
