/* Host resources the proxy delegates (ENOSYS before): keys (add_key, request_key, keyctl's operations
 * with strings and buffers) and the new mount API (fsopen, fsconfig's commands, fsmount, move_mount,
 * open_tree, fspick, mount_setattr), file_getattr, and their errors: bad guest pointers are EFAULT, unknown
 * operations EOPNOTSUPP. Run as root (mounting needs it). Raw syscalls: libc headers lag the kernel's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

enum { NR_add_key = 248, NR_request_key = 249, NR_keyctl = 250, NR_open_tree = 428, NR_move_mount = 429,
       NR_fsopen = 430, NR_fsconfig = 431, NR_fsmount = 432, NR_fspick = 433, NR_mount_setattr = 442,
       NR_file_getattr = 468 };
enum { KEY_SPEC_PROCESS_KEYRING = -2, KEYCTL_GET_KEYRING_ID = 0, KEYCTL_UPDATE = 2, KEYCTL_REVOKE = 3,
       KEYCTL_DESCRIBE = 6, KEYCTL_SEARCH = 10, KEYCTL_READ = 11 };
enum { FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6, FSCONFIG_CMD_RECONFIGURE = 7, MOVE_MOUNT_F_EMPTY_PATH = 4,
       OPEN_TREE_CLONE = 1, MOUNT_ATTR_RDONLY = 1 };
#define BAD ((void *)16) /* a pointer no process may use */

static void keys(void) {
    long ring = syscall(NR_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1);
    printf("process keyring: %s\n", ring > 0 ? "an id" : outcome(ring));
    long k = syscall(NR_add_key, "user", "jmck:key", "payload", 7, KEY_SPEC_PROCESS_KEYRING);
    printf("add_key: %s\n", k > 0 ? "an id" : outcome(k));
    char buf[64] = {0};
    long n = syscall(NR_keyctl, KEYCTL_READ, k, buf, sizeof buf);
    printf("read: %s [%.*s]\n", outcome(n), n > 0 ? (int) n : 0, buf);
    memset(buf, 0, sizeof buf);
    n = syscall(NR_keyctl, KEYCTL_READ, k, buf, 3);
    printf("read into 3 bytes: %s [%s]\n", outcome(n), buf);
    n = syscall(NR_keyctl, KEYCTL_DESCRIBE, k, buf, sizeof buf);
    printf("describe: %s [%s]\n", outcome(n), n > 0 ? buf : "");
    n = syscall(NR_keyctl, KEYCTL_UPDATE, k, "new payload", 11);
    memset(buf, 0, sizeof buf);
    long m = syscall(NR_keyctl, KEYCTL_READ, k, buf, sizeof buf);
    printf("update: %s, read: %s [%s]\n", outcome(n), outcome(m), buf);
    n = syscall(NR_request_key, "user", "jmck:key", NULL, 0);
    printf("request_key finds it: %d\n", n == k);
    n = syscall(NR_keyctl, KEYCTL_SEARCH, KEY_SPEC_PROCESS_KEYRING, "user", "jmck:key", 0);
    printf("search finds it: %d\n", n == k);
    n = syscall(NR_request_key, "user", "jmck:none", NULL, 0);
    printf("request_key of none: %s\n", outcome(n));
    printf("read into a bad buffer: %s\n", outcome(syscall(NR_keyctl, KEYCTL_READ, k, BAD, sizeof buf)));
    printf("add_key with a bad description: %s\n", outcome(syscall(NR_add_key, "user", BAD, "x", 1, KEY_SPEC_PROCESS_KEYRING)));
    printf("add_key with a bad payload: %s\n", outcome(syscall(NR_add_key, "user", "jmck:bad", BAD, 4, KEY_SPEC_PROCESS_KEYRING)));
    printf("search with a bad type: %s\n", outcome(syscall(NR_keyctl, KEYCTL_SEARCH, KEY_SPEC_PROCESS_KEYRING, BAD, "x", 0)));
    printf("operation 999: %s\n", outcome(syscall(NR_keyctl, 999, 0, 0, 0, 0)));
    n = syscall(NR_keyctl, KEYCTL_REVOKE, k);
    printf("revoke: %s, then read: %s\n", outcome(n), outcome(syscall(NR_keyctl, KEYCTL_READ, k, buf, sizeof buf)));
}

struct mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

static void mounts(void) {
    char dir[] = "/tmp/jmck-mountapi-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return;
    snprintf(path, sizeof path, "%s/file", dir);
    int fs = syscall(NR_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
    printf("fsopen tmpfs: %s, FD_CLOEXEC %d\n", fs >= 0 ? "an fd" : outcome(fs), fcntl(fs, F_GETFD));
    printf("fsopen of no such type: %s\n", outcome(syscall(NR_fsopen, "jmckfs", 0)));
    printf("fsopen with a bad name: %s\n", outcome(syscall(NR_fsopen, BAD, 0)));
    printf("fsconfig size: %s\n", outcome(syscall(NR_fsconfig, fs, FSCONFIG_SET_STRING, "size", "1M", 0)));
    printf("fsconfig with a bad value: %s\n", outcome(syscall(NR_fsconfig, fs, FSCONFIG_SET_STRING, "size", BAD, 0)));
    printf("fsconfig with a bad key: %s\n", outcome(syscall(NR_fsconfig, fs, FSCONFIG_SET_STRING, BAD, "1M", 0)));
    printf("fsconfig command 99: %s\n", outcome(syscall(NR_fsconfig, fs, 99, 0, 0, 0)));
    printf("fsconfig on fd 999: %s\n", outcome(syscall(NR_fsconfig, 999, FSCONFIG_CMD_CREATE, 0, 0, 0)));
    printf("fsconfig create: %s\n", outcome(syscall(NR_fsconfig, fs, FSCONFIG_CMD_CREATE, 0, 0, 0)));
    int mnt = syscall(NR_fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
    printf("fsmount: %s, FD_CLOEXEC %d\n", mnt >= 0 ? "an fd" : outcome(mnt), fcntl(mnt, F_GETFD));
    printf("move_mount: %s\n", outcome(syscall(NR_move_mount, mnt, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH)));
    struct statfs sf;
    statfs(dir, &sf);
    printf("a tmpfs there: %d, of 1M: %d\n", sf.f_type == 0x01021994, sf.f_blocks * sf.f_bsize == 1 << 20);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    printf("a file in it: %s\n", outcome(write(fd, "mounted", 7)));
    close(fd);
    int tree = syscall(NR_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | O_CLOEXEC);
    printf("open_tree clone: %s, FD_CLOEXEC %d\n", tree >= 0 ? "an fd" : outcome(tree), fcntl(tree, F_GETFD));
    int pick = syscall(NR_fspick, AT_FDCWD, dir, 1 /* FSPICK_CLOEXEC */);
    printf("fspick: %s, FD_CLOEXEC %d\n", pick >= 0 ? "an fd" : outcome(pick), fcntl(pick, F_GETFD));
    long a = syscall(NR_fsconfig, pick, FSCONFIG_SET_STRING, "size", "2M", 0);
    long b = syscall(NR_fsconfig, pick, FSCONFIG_CMD_RECONFIGURE, 0, 0, 0);
    statfs(dir, &sf);
    printf("reconfigured: %s %s, of 2M: %d\n", outcome(a), outcome(b), sf.f_blocks * sf.f_bsize == 2 << 20);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    printf("mount_setattr read-only: %s\n", outcome(syscall(NR_mount_setattr, AT_FDCWD, dir, 0, &attr, sizeof attr)));
    printf("then a write: %s\n", outcome(open(path, O_WRONLY)));
    printf("mount_setattr with a bad attr: %s\n", outcome(syscall(NR_mount_setattr, AT_FDCWD, dir, 0, BAD, sizeof attr)));
    unsigned char fa[24];
    long g = syscall(NR_file_getattr, AT_FDCWD, path, fa, sizeof fa, 0);
    printf("file_getattr: %s, into a bad buffer: %s\n", outcome(g), outcome(syscall(NR_file_getattr, AT_FDCWD, path, BAD, sizeof fa, 0)));
    close(tree);
    close(pick);
    close(mnt);
    close(fs);
    printf("umount: %s\n", outcome(syscall(166 /* umount2 */, dir, 0)));
    unlink(path);
    rmdir(dir);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    keys();
    mounts();
    return 0;
}
