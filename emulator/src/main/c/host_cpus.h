/*
 * host_cpus.h - the host's CPUs lent to emulated cores as tokens (host_cpus.c).
 */
#ifndef JMCK_HOST_CPUS_H
#define JMCK_HOST_CPUS_H

#include <stdint.h>

/* One emulated core's place with respect to the host's CPUs. Lives inside the core's native block. */
typedef struct host_cpu_seat {
	uint32_t granted;            /* futex word: a token was handed to this core while it waited */
	int held;                    /* the core holds a token (host_cpus.c's lock guards it) */
	uint64_t since;              /* when it took the token (CLOCK_MONOTONIC ns) */
	struct host_cpu_seat *queued; /* next in the queue of cores waiting for a token */
	struct host_cpu_seat *next;   /* in the list of all seats */
	const uint32_t *in_guest;     /* nonzero while the core runs guest code (else it is in the kernel) */
	int spinning;                /* set by the core while it hands its token over from a spin-wait */
	int spun;                    /* in the queue: it gave its token up while spinning (locked) */
	uint64_t queued_at;          /* when it joined the queue (CLOCK_MONOTONIC ns, locked) */
	/* Asks the core to give its token back at its next block boundary (from another thread). */
	void (*ask_to_yield)(struct host_cpu_seat *seat);
} host_cpu_seat;

/* How many host CPUs the cores may run guest code on at once; 0 lends them without counting. */
void host_cpus_set(int cpus);
/* A core joins or leaves parallel mode: tokens are counted only while cores outnumber host CPUs. */
void host_cpus_add_seat(host_cpu_seat *seat);
void host_cpus_remove_seat(host_cpu_seat *seat);
/* Takes a token before guest code, waiting in line if none is free (none if it holds one); gives it back
 * when the core leaves the engine for its kernel loop, or to hand it over. */
void host_cpus_take(host_cpu_seat *seat);
void host_cpus_give_back(host_cpu_seat *seat);
/* Whether a core waits for a token: a holder spinning in guest code should let it have its own. */
int host_cpus_wanted(void);
/* Whether a core in line could use a spinner's token: one that is not itself a spinner that queued just now. */
int host_cpus_worth_handing_over(void);

#endif
