/* userfaultfd: the handshake and its errors; a fault of registered memory that waits until another thread
 * answers it (UFFDIO_COPY after poll and read, UFFDIO_ZEROPAGE for a write fault, UFFDIO_MOVE after a
 * blocking read); the message's flags, address and thread id; EEXIST for a page already there; write
 * protection (the write waits and is not seen until UFFDIO_WRITEPROTECT lifts it); UFFDIO_POISON and
 * UFFD_FEATURE_SIGBUS (SIGBUS); a minor fault of a memfd page answered by UFFDIO_CONTINUE; unregistering;
 * /dev/userfaultfd. The structures are written out: musl's headers have no linux/userfaultfd.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

#define UFFD_API 0xaaULL
#define UFFDIO_API 0xc018aa3f
#define UFFDIO_REGISTER 0xc020aa00
#define UFFDIO_UNREGISTER 0x8010aa01
#define UFFDIO_COPY 0xc028aa03
#define UFFDIO_ZEROPAGE 0xc020aa04
#define UFFDIO_MOVE 0xc028aa05
#define UFFDIO_WRITEPROTECT 0xc018aa06
#define UFFDIO_CONTINUE 0xc020aa07
#define UFFDIO_POISON 0xc020aa08
#define USERFAULTFD_IOC_NEW 0xaa00
#define MODE_MISSING 1
#define MODE_WP 2
#define MODE_MINOR 4
#define F_WP (1ULL << 0)
#define F_SIGBUS (1ULL << 7)
#define F_THREAD_ID (1ULL << 8)
#define F_MINOR_SHMEM (1ULL << 10)
#define F_POISON (1ULL << 14)
#define F_MOVE (1ULL << 16)

struct api { uint64_t api, features, ioctls; };
struct reg { uint64_t start, len, mode, ioctls; };
struct copy { uint64_t dst, src, len, mode; int64_t copy; };
struct range_op { uint64_t start, len, mode; int64_t result; };
struct msg { uint8_t event, r1; uint16_t r2; uint32_t r3; uint64_t flags, address; uint32_t ptid, r4; };

#define PAGE 4096
static int uffd;
static char *area;
static char *source;
static int answer; /* what the handler does: see handler() */
static volatile int faulter_tid;
static volatile int seen_while_pending = -1;

static int uffd_new(int flags, uint64_t features) {
    int fd = syscall(SYS_userfaultfd, flags);
    if (fd < 0) {
        printf("userfaultfd: %s\n", errname(errno));
        return -1;
    }
    struct api a = {UFFD_API, features, 0};
    if (ioctl(fd, UFFDIO_API, &a))
        printf("UFFDIO_API: %s\n", errname(errno));
    return fd;
}

static int reg(int fd, void *p, size_t len, int mode) {
    struct reg r = {(uintptr_t)p, len, mode, 0};
    int rc = ioctl(fd, UFFDIO_REGISTER, &r);
    return rc ? -errno : (int)(r.ioctls & ((1 << 2) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7)));
}

/* The handler's lines, printed by the main thread after joining it (so that the order is always the same). */
static char hout[1024];
#define hprintf(...) snprintf(hout + strlen(hout), sizeof hout - strlen(hout), __VA_ARGS__)

static void join(pthread_t th) {
    pthread_join(th, NULL);
    fputs(hout, stdout);
    hout[0] = 0;
}

/* Reads one message (poll first unless answer 2, which reads blocking) and answers it. */
static void *handler(void *arg) {
    struct msg m;
    if (answer != 2) {
        struct pollfd p = {uffd, POLLIN, 0};
        poll(&p, 1, -1);
    }
    if (read(uffd, &m, sizeof m) != sizeof m) {
        hprintf("read: %s\n", errname(errno));
        return NULL;
    }
    hprintf("message: event %#x, flags %#llx, page %ld, offset in page %ld, thread id is the faulter's: %d\n",
           m.event, (unsigned long long)m.flags, (long)((char *)(uintptr_t)m.address - area) / PAGE,
           (long)(m.address & (PAGE - 1)), (int)m.ptid == faulter_tid);
    uint64_t page = m.address & ~(uint64_t)(PAGE - 1);
    if (answer == 0 || answer == 2) { /* copy, or move */
        struct copy c = {page, (uintptr_t)source, PAGE, 0, 0};
        int rc = ioctl(uffd, answer == 0 ? UFFDIO_COPY : UFFDIO_MOVE, &c);
        hprintf("%s: %d, result %lld\n", answer == 0 ? "UFFDIO_COPY" : "UFFDIO_MOVE", rc ? -errno : 0, (long long)c.copy);
    } else if (answer == 1) {
        struct range_op z = {page, PAGE, 0, 0};
        int rc = ioctl(uffd, UFFDIO_ZEROPAGE, &z);
        hprintf("UFFDIO_ZEROPAGE: %d, result %lld\n", rc, (long long)z.result);
    } else if (answer == 3) {
        seen_while_pending = area[0x10];
        struct range_op w = {page, PAGE, 0, 0};
        hprintf("UFFDIO_WRITEPROTECT off: %d\n", ioctl(uffd, UFFDIO_WRITEPROTECT, &w));
    } else if (answer == 4) {
        struct range_op p = {page, PAGE, 0, 0};
        int rc = ioctl(uffd, UFFDIO_POISON, &p);
        hprintf("UFFDIO_POISON: %d, result %lld\n", rc, (long long)p.result);
    } else if (answer == 5) {
        int memfd = *(int *)arg;
        pwrite(memfd, "Z", 1, 0);
        struct range_op c = {page, PAGE, 0, 0};
        int rc = ioctl(uffd, UFFDIO_CONTINUE, &c);
        hprintf("UFFDIO_CONTINUE: %d, result %lld\n", rc, (long long)c.result);
    }
    return NULL;
}

static pthread_t start_handler(int how, void *arg) {
    pthread_t th;
    answer = how;
    faulter_tid = syscall(SYS_gettid);
    pthread_create(&th, NULL, handler, arg);
    return th;
}

static sigjmp_buf jump;
static volatile int bus_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
    bus_code = si->si_code;
    siglongjmp(jump, 1);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* the handshake */
    printf("bad flags: %s\n", syscall(SYS_userfaultfd, 0x10) < 0 ? errname(errno) : "0");
    int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct msg m;
    printf("read before UFFDIO_API: %s\n", read(fd, &m, sizeof m) < 0 ? errname(errno) : "a message");
    struct api a = {0xab, 0, 0};
    printf("UFFDIO_API with api 0xab: %s\n", ioctl(fd, UFFDIO_API, &a) ? errname(errno) : "0");
    a = (struct api){UFFD_API, 0, 0};
    int rc = ioctl(fd, UFFDIO_API, &a);
    uint64_t want = F_WP | F_SIGBUS | F_THREAD_ID | F_MINOR_SHMEM | F_POISON | F_MOVE;
    printf("UFFDIO_API: %d, features offered include WP, SIGBUS, THREAD_ID, MINOR_SHMEM, POISON, MOVE: %d, "
           "ioctls %#llx\n", rc, (a.features & want) == want, (unsigned long long)a.ioctls);
    a = (struct api){UFFD_API, 0, 0};
    printf("UFFDIO_API again: %s\n", ioctl(fd, UFFDIO_API, &a) ? errname(errno) : "0");
    printf("read with nothing to read: %s\n", read(fd, &m, sizeof m) < 0 ? errname(errno) : "a message");
    printf("read of 16 bytes: %s\n", read(fd, &m, 16) < 0 ? errname(errno) : "a message");
    close(fd);

    area = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    source = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(source, 'X', PAGE);

    /* missing pages, answered from another thread */
    uffd = uffd_new(O_CLOEXEC | O_NONBLOCK, F_THREAD_ID);
    printf("register misaligned: %d\n", reg(uffd, area + 1, PAGE, MODE_MISSING));
    printf("register mode 8: %d\n", reg(uffd, area, PAGE, 8));
    printf("register: range ioctls %#x\n", reg(uffd, area, 4 * PAGE, MODE_MISSING));
    pthread_t th = start_handler(0, NULL);
    printf("read of page 0 after UFFDIO_COPY: %c\n", area[0x123]);
    join(th);
    th = start_handler(1, NULL);
    area[PAGE + 5] = 1;
    printf("write to page 1 after UFFDIO_ZEROPAGE: %d %d\n", area[PAGE + 5], area[PAGE + 6]);
    join(th);
    struct copy c = {(uintptr_t)area, (uintptr_t)source, PAGE, 0, 0};
    rc = ioctl(uffd, UFFDIO_COPY, &c);
    printf("UFFDIO_COPY over a present page: %s, result %lld\n", rc ? errname(errno) : "0", (long long)c.copy);
    c = (struct copy){(uintptr_t)area + 4 * PAGE, (uintptr_t)source, PAGE, 0, 0};
    rc = ioctl(uffd, UFFDIO_COPY, &c);
    printf("UFFDIO_COPY outside the range: %s, result %lld\n", rc ? errname(errno) : "0", (long long)c.copy);
    struct reg u = {(uintptr_t)area + 3 * PAGE, PAGE, 0, 0};
    printf("unregister page 3: %d\n", ioctl(uffd, UFFDIO_UNREGISTER, &u));
    printf("page 3 faults as ordinary memory: %d\n", area[3 * PAGE]);
    close(uffd);

    /* a blocking read, UFFDIO_MOVE */
    uffd = uffd_new(O_CLOEXEC, F_MOVE);
    reg(uffd, area + 2 * PAGE, PAGE, MODE_MISSING);
    source[7] = 'M';
    th = start_handler(2, NULL);
    printf("page 2 after UFFDIO_MOVE: %c%c\n", area[2 * PAGE + 6], area[2 * PAGE + 7]);
    join(th);
    printf("the source page is gone, reads as zero: %d\n", source[7]);
    close(uffd);

    /* write protection */
    char *wp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(wp, 0, PAGE);
    area = wp;
    uffd = uffd_new(O_CLOEXEC | O_NONBLOCK, F_WP);
    printf("register WP: range ioctls %#x\n", reg(uffd, wp, PAGE, MODE_WP));
    struct range_op w = {(uintptr_t)wp, PAGE, 1, 0};
    printf("UFFDIO_WRITEPROTECT on: %d\n", ioctl(uffd, UFFDIO_WRITEPROTECT, &w));
    printf("a read goes on: %d\n", wp[0x10]);
    th = start_handler(3, NULL);
    wp[0x10] = 'W';
    join(th);
    printf("the write was not seen while it waited: %d, then it was: %c\n", seen_while_pending, wp[0x10]);
    close(uffd);

    /* poison: SIGBUS */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    area = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uffd = uffd_new(O_CLOEXEC | O_NONBLOCK, F_POISON);
    reg(uffd, area, PAGE, MODE_MISSING);
    th = start_handler(4, NULL);
    if (sigsetjmp(jump, 1) == 0)
        printf("read of a poisoned page: %d\n", area[0]);
    else
        printf("read of a poisoned page: SIGBUS, code %d\n", bus_code);
    join(th);
    close(uffd);

    /* UFFD_FEATURE_SIGBUS: SIGBUS instead of a message */
    area = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uffd = uffd_new(O_CLOEXEC | O_NONBLOCK, F_SIGBUS);
    reg(uffd, area, PAGE, MODE_MISSING);
    bus_code = 0;
    if (sigsetjmp(jump, 1) == 0)
        printf("read under UFFD_FEATURE_SIGBUS: %d\n", area[0]);
    else
        printf("read under UFFD_FEATURE_SIGBUS: SIGBUS, code %d\n", bus_code);
    close(uffd);

    /* a minor fault of a memfd page, UFFDIO_CONTINUE */
    int memfd = memfd_create("uffd", MFD_CLOEXEC);
    ftruncate(memfd, PAGE);
    pwrite(memfd, "A", 1, 0);
    area = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, memfd, 0);
    uffd = uffd_new(O_CLOEXEC | O_NONBLOCK, F_MINOR_SHMEM);
    printf("register MINOR on private memory: %d\n", reg(uffd, source, PAGE, MODE_MINOR));
    printf("register MINOR: range ioctls %#x\n", reg(uffd, area, PAGE, MODE_MINOR));
    madvise(area, PAGE, MADV_DONTNEED);
    th = start_handler(5, &memfd);
    printf("memfd page after UFFDIO_CONTINUE: %c\n", area[0]);
    join(th);
    close(uffd);

    /* /dev/userfaultfd */
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        printf("/dev/userfaultfd: %s\n", errname(errno));
    } else {
        int nfd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
        a = (struct api){UFFD_API, 0, 0};
        printf("USERFAULTFD_IOC_NEW: a new fd %d, UFFDIO_API on it: %d, another ioctl: %s\n", nfd > dev,
               ioctl(nfd, UFFDIO_API, &a), ioctl(dev, 0xaa01, 0) < 0 ? errname(errno) : "0");
        close(nfd);
        close(dev);
    }
    return 0;
}
