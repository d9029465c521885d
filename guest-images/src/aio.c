/* Linux native AIO through the raw calls (as LTP's io_* tests and libaio): the ring io_setup maps, read,
 * write, vectored and fsync requests with their events, reaping from the ring itself, io_getevents'
 * timeout and a waiter woken by another thread's submit, RWF_NOWAIT's EAGAIN in the event, and the errors
 * io_submit, io_cancel and io_destroy return. Same output natively. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

/* linux/aio_abi.h's, which musl's headers lack */
typedef unsigned long aio_context_t;
enum { IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1, IOCB_CMD_FSYNC = 2, IOCB_CMD_FDSYNC = 3, IOCB_CMD_PREADV = 7 };
struct io_event {
	uint64_t data, obj;
	int64_t res, res2;
};
struct iocb {
	uint64_t aio_data;
	uint32_t aio_key;
	int32_t aio_rw_flags;
	uint16_t aio_lio_opcode;
	int16_t aio_reqprio;
	uint32_t aio_fildes;
	uint64_t aio_buf, aio_nbytes;
	int64_t aio_offset;
	uint64_t aio_reserved2;
	uint32_t aio_flags, aio_resfd;
};

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 8
#endif

struct ring {
	unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
	struct io_event events[];
};

static long io_setup(unsigned n, aio_context_t *ctx) { return syscall(SYS_io_setup, n, ctx); }
static long io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
static long io_submit(aio_context_t ctx, long n, struct iocb **cbs) { return syscall(SYS_io_submit, ctx, n, cbs); }
static long io_getevents(aio_context_t ctx, long min, long n, struct io_event *ev, struct timespec *to)
{
	return syscall(SYS_io_getevents, ctx, min, n, ev, to);
}

static void prep(struct iocb *cb, int op, int fd, void *buf, size_t n, long long off, uint64_t data)
{
	memset(cb, 0, sizeof *cb);
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
	cb->aio_data = data;
}

static aio_context_t ctx;
static struct io_event waited;
static long waited_n;

static void *waiter(void *arg)
{
	struct timespec to = {10, 0};
	waited_n = io_getevents(ctx, 1, 1, &waited, &to);
	return NULL;
}

int main(void)
{
	aio_context_t bad = 1;
	printf("io_setup, NULL ctxp: %s\n", outcome(io_setup(1, NULL)));
	printf("io_setup, *ctxp not 0: %s\n", outcome(io_setup(1, &bad)));
	printf("io_setup, nr -1: %s\n", outcome(io_setup(-1, &ctx)));
	printf("io_setup, nr 0: %s\n", outcome(io_setup(0, &ctx)));
	printf("io_setup: %s\n", outcome(io_setup(8, &ctx)));
	struct ring *r = (struct ring *)ctx;
	printf("ring: magic %#x, header %u, features %u/%u, head %u tail %u, room for 8: %d\n", r->magic,
	       r->header_length, r->compat_features, r->incompat_features, r->head, r->tail, r->nr >= 8);

	char path[] = "/tmp/jmck-aio-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	char out[] = "hello, asynchronous world", in[64] = {0}, a[6] = {0}, b[8] = {0};
	struct iocb w, rd, rv, fs, *list[4] = {&w, &rd, &rv, &fs};
	struct iovec iov[2] = {{a, 5}, {b, 7}};
	prep(&w, IOCB_CMD_PWRITE, fd, out, strlen(out), 0, 11);
	prep(&rd, IOCB_CMD_PREAD, fd, in, sizeof in, 7, 12);
	prep(&rv, IOCB_CMD_PREADV, fd, iov, 2, 0, 13);
	prep(&fs, IOCB_CMD_FSYNC, fd, NULL, 0, 0, 14);
	printf("io_submit of 4: %s\n", outcome(io_submit(ctx, 4, list)));
	struct io_event ev[8];
	long n = io_getevents(ctx, 4, 8, ev, NULL); /* an fsync may complete later on Linux */
	printf("events: %ld\n", n);
	for (long i = 0; i < n; i++)
		printf("  data %llu, obj is its iocb: %d, res %lld, res2 %lld\n", (unsigned long long)ev[i].data,
		       ev[i].obj == (uintptr_t)list[i], (long long)ev[i].res, (long long)ev[i].res2);
	printf("read: [%s], readv: [%s][%s]\n", in, a, b);
	printf("the file position did not move: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));

	/* reaped from the ring itself, as libaio does */
	prep(&rd, IOCB_CMD_PREAD, fd, in, 5, 0, 21);
	io_submit(ctx, 1, list + 1);
	unsigned head = r->head, tail = r->tail;
	printf("ring has %u, event data %llu res %lld\n", (tail - head + r->nr) % r->nr,
	       (unsigned long long)r->events[head].data, (long long)r->events[head].res);
	r->head = (head + 1) % r->nr;
	struct timespec brief = {0, 100000000};
	printf("io_getevents once the ring is empty, 100 ms: %s\n", outcome(io_getevents(ctx, 1, 1, ev, &brief)));

	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	usleep(100000);
	prep(&rd, IOCB_CMD_PREAD, fd, in, 3, 0, 31);
	io_submit(ctx, 1, list + 1);
	pthread_join(t, NULL);
	printf("a waiting thread got: %ld, data %llu res %lld\n", waited_n, (unsigned long long)waited.data,
	       (long long)waited.res);

	int p[2];
	pipe(p);
	prep(&rd, IOCB_CMD_PREAD, p[0], in, sizeof in, 0, 41);
	rd.aio_rw_flags = RWF_NOWAIT;
	printf("RWF_NOWAIT read of an empty pipe: %s", outcome(io_submit(ctx, 1, list + 1)));
	n = io_getevents(ctx, 1, 1, ev, NULL);
	printf(", event %ld res %s\n", n, errname((int)-ev[0].res));
	write(p[1], "pipe", 4);
	prep(&rd, IOCB_CMD_PREAD, p[0], in, sizeof in, 1234, 42);
	io_submit(ctx, 1, list + 1);
	io_getevents(ctx, 1, 1, ev, NULL);
	printf("read of a pipe at an offset: res %lld\n", (long long)ev[0].res);

	int wronly = open("/dev/null", O_WRONLY);
	prep(&rd, IOCB_CMD_PREAD, wronly, in, 4, 0, 51);
	printf("read of a write-only fd: %s\n", outcome(io_submit(ctx, 1, list + 1)));
	prep(&rd, IOCB_CMD_PREAD, -1, in, 4, 0, 52);
	printf("bad fd: %s\n", outcome(io_submit(ctx, 1, list + 1)));
	prep(&rd, 99, fd, in, 4, 0, 53);
	printf("unknown opcode: %s\n", outcome(io_submit(ctx, 1, list + 1)));
	prep(&rd, IOCB_CMD_PREAD, fd, in, 4, 0, 54);
	prep(&w, IOCB_CMD_PREAD, -1, in, 4, 0, 55);
	struct iocb *two[2] = {&rd, &w};
	printf("a good request then a bad one: %s\n", outcome(io_submit(ctx, 2, two)));
	io_getevents(ctx, 1, 1, ev, NULL);
	struct iocb *null_cb[1] = {NULL};
	printf("NULL iocb: %s\n", outcome(io_submit(ctx, 1, null_cb)));
	printf("bad iocb array: %s\n", outcome(io_submit(ctx, 1, (struct iocb **)-1)));
	printf("nr -1: %s\n", outcome(io_submit(ctx, -1, list)));
	printf("nr 0: %s\n", outcome(io_submit(ctx, 0, list)));
	printf("min_nr > nr: %s\n", outcome(io_getevents(ctx, 2, 1, ev, NULL)));
	printf("io_cancel of a completed request: %s\n", outcome(syscall(SYS_io_cancel, ctx, &rd, ev)));
	printf("io_cancel, NULL iocb: %s\n", outcome(syscall(SYS_io_cancel, ctx, NULL, ev)));

	sigset_t all;
	sigfillset(&all);
	struct { const sigset_t *set; size_t size; } usig = {&all, 8};
	printf("io_pgetevents with a mask, 100 ms: %s\n",
	       outcome(syscall(SYS_io_pgetevents, ctx, 1, 1, ev, &brief, &usig)));
	usig.size = 4;
	printf("io_pgetevents, bad sigset size: %s\n",
	       outcome(syscall(SYS_io_pgetevents, ctx, 1, 1, ev, &brief, &usig)));

	printf("io_destroy: %s\n", outcome(io_destroy(ctx)));
	printf("io_submit after it: %s\n", outcome(io_submit(ctx, 1, list + 1)));
	printf("io_destroy again: %s\n", outcome(io_destroy(ctx)));
	printf("io_getevents, ctx 0: %s\n", outcome(io_getevents(0, 0, 0, NULL, NULL)));
	return 0;
}
