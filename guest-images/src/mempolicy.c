/* NUMA memory policies on a machine of one node (node 0), as libnuma, numactl and MPI libraries use them:
 * set_mempolicy and get_mempolicy for the thread (inherited by a thread and a forked child), mbind for a
 * range (get_mempolicy with MPOL_F_ADDR, kept by fork), MPOL_F_MEMS_ALLOWED and MPOL_F_NODE, and the
 * argument checks with their errnos. Each line is "call: result"; the same natively on a one-node host. */
// guest-ldflags: -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2

static unsigned long mask[16]; /* 1024 nodes, as libnuma passes them */

static const char *result(long r)
{
	static char text[32];
	if (r == -1)
		return errname(errno);
	snprintf(text, sizeof text, "%ld", r);
	return text;
}

static long set(int mode, unsigned long nodes, unsigned long maxnode)
{
	memset(mask, 0, sizeof mask);
	mask[0] = nodes;
	return syscall(SYS_set_mempolicy, mode, nodes == ~0ul ? NULL : mask, maxnode);
}

/* get_mempolicy into mode and mask (1025 as libnuma), printed with the call's result. */
static void show(const char *what, void *addr, unsigned long flags)
{
	int mode = -1;
	memset(mask, 0xff, sizeof mask);
	long r = syscall(SYS_get_mempolicy, &mode, mask, 1025ul, addr, flags);
	int rest = 0;
	for (int i = 1; i < 16; i++)
		rest |= mask[i] != 0;
	if (r == -1)
		printf("%s: %s\n", what, errname(errno));
	else
		printf("%s: mode %#x, nodes %#lx, higher words zeroed: %d\n", what, mode, mask[0], !rest);
}

static void *thread_view(void *arg)
{
	(void)arg;
	show("a new thread's policy", NULL, 0);
	set(MPOL_DEFAULT, ~0ul, 0);
	show("after the thread resets its own", NULL, 0);
	return NULL;
}

int main(void)
{
	show("default", NULL, 0);
	show("mems allowed", NULL, MPOL_F_MEMS_ALLOWED);
	printf("set bind to node 0: %s\n", result(set(MPOL_BIND, 1, 65)));
	show("after bind", NULL, 0);
	printf("set interleave over node 0: %s\n", result(set(MPOL_INTERLEAVE, 1, 1025)));
	show("next interleave node", NULL, MPOL_F_NODE);
	printf("set preferred with no nodes: %s\n", result(set(MPOL_PREFERRED, 0, 65)));
	show("preferred with no nodes is local", NULL, 0);
	printf("set preferred static to nodes 0 and 5: %s\n", result(set(MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0x21, 65)));
	show("static keeps the nodes given", NULL, 0);
	printf("set bind relative to node 3: %s\n", result(set(MPOL_BIND | MPOL_F_RELATIVE_NODES, 8, 65)));
	show("relative", NULL, 0);
	printf("set preferred-many to nodes 0 and 1: %s\n", result(set(MPOL_PREFERRED_MANY, 3, 65)));
	show("preferred-many keeps the nodes there are", NULL, 0);

	/* the checks */
	printf("bind to node 1 only: %s\n", result(set(MPOL_BIND, 2, 65)));
	printf("bind to no node: %s\n", result(set(MPOL_BIND, 0, 65)));
	printf("default with a node: %s\n", result(set(MPOL_DEFAULT, 1, 65)));
	printf("local with a node: %s\n", result(set(MPOL_LOCAL, 1, 65)));
	printf("mode 7: %s\n", result(set(7, 1, 65)));
	printf("static and relative: %s\n", result(set(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1, 65)));
	printf("bind with maxnode 1 (no nodes): %s\n", result(set(MPOL_BIND, 1, 1)));
	printf("bind with maxnode past a page of bits: %s\n", result(set(MPOL_BIND, 1, 4096 * 8 + 2)));
	printf("bind with an unreadable mask: %s\n", result(syscall(SYS_set_mempolicy, MPOL_BIND, (void *)8, 65ul)));
	printf("mode 7 with an unreadable mask: %s\n", result(syscall(SYS_set_mempolicy, 7, (void *)8, 65ul)));
	printf("set local with maxnode 0: %s\n", result(set(MPOL_LOCAL, 0, 0)));
	printf("set local: %s\n", result(set(MPOL_LOCAL, 0, 65)));
	show("local", NULL, 0);
	show("node without an address, not interleaving", NULL, MPOL_F_NODE);
	show("an address without MPOL_F_ADDR", (void *)mask, 0);
	show("unknown flag", NULL, 8);
	show("mems allowed with MPOL_F_NODE", NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE);
	printf("get with maxnode 0: %s\n", result(syscall(SYS_get_mempolicy, NULL, mask, 0ul, NULL, 0ul)));
	printf("get into an unwritable mode: %s\n", result(syscall(SYS_get_mempolicy, (void *)8, NULL, 0ul, NULL, 0ul)));
	printf("get with no mode and no mask: %s\n", result(syscall(SYS_get_mempolicy, NULL, NULL, 0ul, NULL, 0ul)));
	mask[0] = 0xff;
	printf("get with maxnode 1: %s, ", result(syscall(SYS_get_mempolicy, NULL, mask, 1ul, NULL, 0ul)));
	printf("mask untouched: %d\n", mask[0] == 0xff);

	/* a range's policy */
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 3 * page, page);
	mask[0] = 1;
	printf("mbind pages 1-2 to node 0: %s\n", result(syscall(SYS_mbind, m + page, 2 * page, MPOL_BIND, mask, 65ul, 0ul)));
	show("page 0 (untouched)", m, MPOL_F_ADDR);
	show("page 1", m + page, MPOL_F_ADDR);
	show("page 2, last byte", m + 3 * page - 1, MPOL_F_ADDR);
	show("unmapped page 3", m + 3 * page, MPOL_F_ADDR);
	show("node of page 1", m + page, MPOL_F_ADDR | MPOL_F_NODE);
	m[page] = 1;
	printf("mbind unaligned: %s\n", result(syscall(SYS_mbind, m + 1, page, MPOL_BIND, mask, 65ul, 0ul)));
	printf("mbind over the hole: %s\n", result(syscall(SYS_mbind, m + 2 * page, 2 * page, MPOL_INTERLEAVE, mask, 65ul, 0ul)));
	show("page 2 after mbind over the hole", m + 2 * page, MPOL_F_ADDR);
	printf("mbind bad flags: %s\n", result(syscall(SYS_mbind, m, page, MPOL_BIND, mask, 65ul, 64ul)));
	printf("mbind strict and move: %s\n", result(syscall(SYS_mbind, m, page, MPOL_BIND, mask, 65ul, (unsigned long)(MPOL_MF_STRICT | MPOL_MF_MOVE))));
	printf("mbind no length: %s\n", result(syscall(SYS_mbind, m, 0ul, MPOL_BIND, mask, 65ul, 0ul)));
	printf("mbind to node 1: %s\n", result(syscall(SYS_mbind, m, page, MPOL_BIND, (mask[0] = 2, mask), 65ul, 0ul)));
	mask[0] = 1;

	/* inheritance: a thread and a forked child start with the caller's policy; the child keeps the ranges' */
	set(MPOL_INTERLEAVE, 1, 65);
	pthread_t th;
	pthread_create(&th, NULL, thread_view, NULL);
	pthread_join(th, NULL);
	show("the first thread's, after the other reset its own", NULL, 0);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		show("a forked child's policy", NULL, 0);
		show("a forked child's page 1", m + page, MPOL_F_ADDR);
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("mbind page 1 back to the default: %s\n", result(syscall(SYS_mbind, m + page, page, MPOL_DEFAULT, NULL, 0ul, 0ul)));
	show("page 1 after", m + page, MPOL_F_ADDR);
	show("page 2 keeps its own", m + 2 * page, MPOL_F_ADDR);
	return 0;
}
