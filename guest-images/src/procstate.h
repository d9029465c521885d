/* Waiting until another process sleeps, as LTP's TST_PROCESS_STATE_WAIT does: shared by the guest tests. */
#ifndef PROCSTATE_H
#define PROCSTATE_H
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Waits until process pid sleeps (blocked in a call: state S in /proc/PID/stat), for at most seconds. */
static inline void wait_sleeping(pid_t pid, int seconds)
{
	char path[64], stat[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < seconds * 200; i++) {
		FILE *f = fopen(path, "r");
		char *close_paren = f && fgets(stat, sizeof stat, f) ? strrchr(stat, ')') : NULL;
		if (f)
			fclose(f);
		if (close_paren && close_paren[2] == 'S')
			return;
		usleep(5000);
	}
}
#endif
