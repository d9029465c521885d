/* remap_file_pages on a System V segment: it succeeds while the segment lives; once the segment is
 * removed (IPC_RMID) the remap drops its last attach, the segment goes and the call fails with EINVAL (under
 * jmck it succeeded for ever, and LTP's shmctl05 looped until its timeout). Same output natively. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

static long remap(void *addr)
{
	return syscall(SYS_remap_file_pages, addr, 4096, 0, 0, 0);
}

int main(void)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	char *addr = shmat(id, NULL, 0);
	if (id < 0 || addr == (void *)-1)
		return 1;
	addr[0] = 'x';
	printf("remap while it lives: %s, contents kept: %d\n", outcome(remap(addr)), addr[0] == 'x');
	printf("IPC_RMID: %s\n", outcome(shmctl(id, IPC_RMID, NULL)));
	printf("remap after the removal: %s\n", outcome(remap(addr)));
	struct shmid_ds ds;
	printf("the segment is gone: %s\n", outcome(shmctl(id, IPC_STAT, &ds)));
	printf("shmdt: %s\n", outcome(shmdt(addr)));
	return 0;
}
