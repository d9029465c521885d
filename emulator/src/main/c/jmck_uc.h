/* jmck_uc.h - the native core of jmck's Unicorn binding (jmck_uc.c), as its JNI half (jmck_uc_jni.c) sees it. */
#ifndef JMCK_UC_H
#define JMCK_UC_H
#include <unicorn/unicorn.h>
#include "host_cpus.h"
#include <stddef.h>
#include <stdint.h>

struct jmck_core;
/* The call from a hook into the kernel's handler; returns JMCK_* bits. */
typedef int (*jmck_upcall)(struct jmck_core *c, int syscall);

/* The block shared with Java (jmck.emulator.unicorn.NativeCore). Keep the offsets in step with it. */
typedef struct jmck_core {
	uint64_t sys[8];        /*   0: at a syscall: rax rdi rsi rdx r10 r8 r9 rip (rip of the syscall insn) */
	uint64_t sys_result;    /*  64: written to rax after the syscall upcall unless it says otherwise     */
	uint64_t cr2;           /*  72: at an interrupt */
	uint32_t vector;        /*  80 */
	int32_t error_code;     /*  84: the #PF error code (P, W, U, RSVD, I bits) */
	int64_t budget;         /*  88: blocks left in this slice when the block hook is on */
	uint64_t blocks;        /*  96: blocks executed while the block hook is on */
	uint64_t rip;           /* 104: at an interrupt */
	uint64_t bp_block_end;  /* 112: the end of the block a breakpoint stop happened at, or 0 */
	uint64_t io_from;       /* 120: an in/out ran; rip when it did (its block's start), else 0 */
	uint32_t pending;       /* 128: PENDING_* bits other threads set (atomic) */
	uint32_t in_guest;      /* 132: 1 while the engine runs guest code for this core (atomic) */
	uint64_t futex_waiters; /* 136: address of the instance's futex waiter count, or 0 (answer_futex_wake) */
	uint64_t answered;      /* 144: syscalls the hook answered itself, without the upcall */
	/* native only from here */
	uint32_t paused;        /* 1 while paused in the block hook for another core's exclusive step (atomic) */
	uint32_t pauses;        /* x86 pause instructions run (a guest's spin-waits) */
	int kicks;              /* the engine has the kick hook: other threads reach it with uc_jmck_kick */
	struct jmck_core *next; /* in the list of attached cores */
	uc_engine *uc;
	uc_context *ctx;
	jmck_upcall upcall;     /* into the kernel's handler: upcall(c, 1) at a syscall, upcall(c, 0) at an interrupt */
	void *upcall_target;    /* the upcall's own data (jmck_uc_jni.c: a global reference to the Java core) */
	void *upcall_env;       /* and the JNIEnv of the thread in jmck_core_run, where the hooks run */
	uc_hook syscall_hook, interrupt_hook, block_hook, in_hook, out_hook;
	uint64_t io_regs[16];   /* the general registers when the in/out ran */
	uint64_t *bps;          /* breakpoint addresses (malloc'd), nbp of them */
	int nbp;
	int check_bps;          /* this run stops at breakpoints (not a counted step) */
	int first_block;        /* the run's first block is still to come */
	uint64_t resume_at;     /* where the run started: a breakpoint there was just reported */
	int counted;            /* the last run was a counted step */
	host_cpu_seat seat;     /* in parallel mode: its claim on a host CPU (host_cpus.c) */
	uint64_t spin_from, last_pause; /* the spin-wait going on (on_pause): its first and latest pause */
} jmck_core;
_Static_assert(sizeof(jmck_core) <= 512, "NativeCore.STRUCT_SIZE");
_Static_assert(offsetof(jmck_core, answered) == 144, "NativeCore.ANSWERED");

/* Bits of jmck_core.pending (jmck.emulator.unicorn.NativeCore). */
#define PENDING_KICK  1u /* stop at the next block boundary: the kernel has work for this core */
#define PENDING_FLUSH 2u /* flush the TLB before running more guest code: a shootdown */
#define PENDING_YIELD 4u /* give the host CPU token to a core waiting for one (host_cpus.c) */

/* Upcall results (jmck.emulator.unicorn.NativeCore). */
#define JMCK_CONTINUE     0
#define JMCK_STOP         1  /* end uc_emu_start after this event */
#define JMCK_KEEP_RAX     2  /* do not write sys_result to rax    */

int jmck_probe_offsets(int32_t *offsets);
int jmck_parallel_build(void);
int jmck_core_attach(jmck_core *c, uc_engine *uc, jmck_upcall upcall, void *target);
void jmck_core_detach(jmck_core *c);
int jmck_core_set_breakpoints(jmck_core *c, const uint64_t *addrs, int n);
int jmck_core_set_budget(jmck_core *c, int64_t blocks);
int jmck_core_has_budget_hook(jmck_core *c);
int jmck_core_run(jmck_core *c, uint64_t rip, uint64_t count);
void jmck_lend_host_cpus(int cpus);
int jmck_core_enable_ipis(jmck_core *c);
int jmck_core_stop_between_blocks(jmck_core *c, int on);
int jmck_core_post(jmck_core *c, uint32_t bits);
int jmck_flush_tlb(uc_engine *uc);
long jmck_tlb_grow(uc_engine *uc, int entries);
long jmck_tlb_reserve(int entries);
int jmck_set_tcg_buffer_size(uc_engine *uc, uint32_t bytes);
int jmck_flush_tb(uc_engine *uc);
int jmck_set_cpu_model(uc_engine *uc, int model);
int jmck_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end);
int jmck_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user, uint64_t begin, uint64_t end);
int jmck_hook_add_insn(uc_engine *uc, uc_hook *hh, void *callback, void *user, uint64_t begin, uint64_t end, int insn);

#endif
