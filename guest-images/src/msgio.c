/* select, pselect6, sendmsg, recvmsg (with fds passed in SCM_RIGHTS) and vmsplice: declared delegated, they
 * once had no rule in the proxy and returned ENOSYS. Each result is printed as it does not depend on
 * timing or fd numbers the environment chose. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "errname.h"

static volatile int sigpipes;
static void on_pipe(int sig) {
    (void)sig;
    sigpipes++;
}

static int send_fd(int sock, int fd, const char *data) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(sock, &msg, 0);
}

/* Receives data and one fd; returns the fd, or -1. */
static int recv_fd(int sock, char *data, size_t len, int flags, int *got) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {data, len};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    *got = recvmsg(sock, &msg, flags);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (*got < 0 || !c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int main(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);

    /* sendmsg and recvmsg with two iovecs each */
    char a[] = "hello ", b[] = "world";
    struct iovec out[2] = {{a, 6}, {b, 5}};
    struct msghdr m = {0};
    m.msg_iov = out;
    m.msg_iovlen = 2;
    printf("sendmsg two iovecs: %s\n", outcome(sendmsg(sv[0], &m, 0)));
    char x[4], y[16] = {0};
    struct iovec in[2] = {{x, 4}, {y, sizeof y - 1}};
    struct msghdr r = {0};
    r.msg_iov = in;
    r.msg_iovlen = 2;
    long n = recvmsg(sv[1], &r, 0);
    printf("recvmsg: %s [%.4s|%s] flags %d\n", outcome(n), x, y, r.msg_flags);

    /* an fd through SCM_RIGHTS: the receiver gets the lowest free fd, which reads the same pipe */
    int p[2];
    pipe(p);
    printf("send fd: %s\n", outcome(send_fd(sv[0], p[0], "fd")));
    close(p[0]);
    char data[8] = {0};
    int got, fd = recv_fd(sv[1], data, sizeof data, 0, &got);
    printf("received %d bytes [%s], fd is the lowest free: %d\n", got, data, fd == p[0]);
    write(p[1], "through", 7);
    char buf[16] = {0};
    printf("read through it: %s [%s], close-on-exec: %d\n", outcome(read(fd, buf, sizeof buf)), buf,
           fcntl(fd, F_GETFD) & FD_CLOEXEC);
    send_fd(sv[0], p[1], "w");
    int fd2 = recv_fd(sv[1], data, sizeof data, MSG_CMSG_CLOEXEC, &got);
    printf("with MSG_CMSG_CLOEXEC: close-on-exec: %d\n", fcntl(fd2, F_GETFD) & FD_CLOEXEC);
    close(fd2);
    printf("send a closed fd: %s\n", outcome(send_fd(sv[0], 999, "x")));

    /* datagrams: the sender's address comes back */
    int d0 = socket(AF_UNIX, SOCK_DGRAM, 0), d1 = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa = {AF_UNIX, "\0jmck-msgio-a"}, sb = {AF_UNIX, "\0jmck-msgio-b"};
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 13;
    bind(d0, (struct sockaddr *)&sa, alen);
    bind(d1, (struct sockaddr *)&sb, alen);
    struct iovec one = {a, 5};
    struct msghdr dm = {0};
    dm.msg_name = &sb;
    dm.msg_namelen = alen;
    dm.msg_iov = &one;
    dm.msg_iovlen = 1;
    printf("sendmsg to an address: %s\n", outcome(sendmsg(d0, &dm, 0)));
    struct sockaddr_un from = {0};
    struct iovec din = {buf, sizeof buf};
    struct msghdr dr = {0};
    dr.msg_name = &from;
    dr.msg_namelen = sizeof from;
    dr.msg_iov = &din;
    dr.msg_iovlen = 1;
    n = recvmsg(d1, &dr, 0);
    printf("recvmsg: %s from [%s] namelen right: %d\n", outcome(n), from.sun_path + 1, dr.msg_namelen == alen);
    char small[2];
    struct iovec sin = {small, 2};
    dr.msg_iov = &sin;
    sendmsg(d0, &dm, 0);
    n = recvmsg(d1, &dr, 0);
    printf("recvmsg into a short buffer: %s, MSG_TRUNC: %d\n", outcome(n), (dr.msg_flags & MSG_TRUNC) != 0);

    /* select and pselect6 */
    int q[2];
    pipe(q);
    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_SET(q[0], &rs);
    struct timeval tv = {0, 20000};
    printf("select on an empty pipe: %s, time left: %ld.%06ld\n", outcome(select(q[0] + 1, &rs, NULL, NULL, &tv)),
           (long)tv.tv_sec, (long)tv.tv_usec);
    printf("  the set is cleared: %d\n", FD_ISSET(q[0], &rs));
    write(q[1], "!", 1);
    FD_ZERO(&rs);
    FD_SET(q[0], &rs);
    FD_ZERO(&ws);
    FD_SET(q[1], &ws);
    int top = q[0] > q[1] ? q[0] : q[1];
    printf("select readable and writable: %s, read set: %d, write set: %d\n",
           outcome(select(top + 1, &rs, &ws, NULL, NULL)), FD_ISSET(q[0], &rs), FD_ISSET(q[1], &ws));
    FD_ZERO(&rs);
    FD_SET(60, &rs);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    printf("select with a closed fd: %s\n", outcome(select(61, &rs, NULL, NULL, &tv)));
    tv.tv_usec = 1000000;
    printf("select with a bad timeval: %s\n", outcome(select(1, NULL, NULL, NULL, &tv)));
    tv.tv_usec = 5000;
    printf("select as a sleep: %s\n", outcome(select(0, NULL, NULL, NULL, &tv)));
    struct timespec ts = {0, 1000000};
    sigset_t mask;
    sigemptyset(&mask);
    FD_ZERO(&rs);
    FD_SET(q[0], &rs);
    printf("pselect with a mask: %s, read set: %d\n", outcome(pselect(q[0] + 1, &rs, NULL, NULL, &ts, &mask)),
           FD_ISSET(q[0], &rs));
    read(q[0], buf, 1);
    FD_ZERO(&rs);
    FD_SET(q[0], &rs);
    ts.tv_nsec = 1000000;
    printf("pselect timing out: %s\n", outcome(pselect(q[0] + 1, &rs, NULL, NULL, &ts, NULL)));

    /* vmsplice into a pipe and out of it */
    char v1[] = "vm", v2[] = "splice";
    struct iovec vi[2] = {{v1, 2}, {v2, 6}};
    printf("vmsplice into a pipe: %s\n", outcome(vmsplice(q[1], vi, 2, 0)));
    char o1[3] = {0}, o2[8] = {0};
    struct iovec vo[2] = {{o1, 2}, {o2, 7}};
    printf("vmsplice out of it: %s [%s|%s]\n", outcome(vmsplice(q[0], vo, 2, 0)), o1, o2);

    /* a send to a closed peer: EPIPE and SIGPIPE, unless MSG_NOSIGNAL */
    signal(SIGPIPE, on_pipe);
    close(sv[1]);
    n = sendmsg(sv[0], &m, 0);
    printf("sendmsg to a closed peer: %s, SIGPIPE: %d\n", outcome(n), sigpipes);
    n = sendmsg(sv[0], &m, MSG_NOSIGNAL);
    printf("with MSG_NOSIGNAL: %s, SIGPIPE: %d\n", outcome(n), sigpipes);
    return 0;
}
