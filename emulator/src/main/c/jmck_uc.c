/*
 * jmck_uc.c - the native half of jmck's Unicorn binding.
 *
 * Everything that runs on every syscall, every page fault or every translation block lives here, so that
 * each such event costs at most one upcall into Java (through JNI, jmck_uc_jni.c) and never one call per
 * register:
 *   - the syscall hook gathers rax, the six argument registers and rip into a shared block, calls Java once,
 *     and writes the result back to rax;
 *   - the interrupt hook records vector, CR2 and the #PF error code, and resets the CPU's exception-in-flight
 *     field, which Unicorn never clears because it does not deliver exceptions through an IDT;
 *   - the block hook counts translation blocks and stops the core from inside the hook when its slice's
 *     budget is spent: a stop there lands exactly on a block boundary (shared/facts.md, "Preemption");
 *     it also stops at the start of a block that holds a debugger's breakpoint (the debugger then steps
 *     to it), so breakpoints need no UC_HOOK_CODE: a code hook in the engine, even one bounded to an
 *     address never reached, made a block-boundary stop replay guest instructions (measured: memset
 *     overran its buffer under budgeted slices).
 * With cores on parallel host threads (docs/scheduling.md, "Parallel mode") it is also where cores meet:
 *   - interprocessor interrupts: another thread sets a bit in a core's pending word and, if the core runs
 *     guest code, kicks its engine (patch 06: QEMU's cpu_exit, a flag every block's prologue tests); the
 *     engine leaves translated code at its next block start and calls the kick hook, which stops it there.
 *     No hook runs per block, so a core alone on its host thread runs at the engine's full speed (a block
 *     hook costs a CPU-bound program about 1.6x); the block hook is added only when a core has to share
 *     itself in slices;
 *   - TLB shootdown, Dekker-style: the initiator sets the target's flush bit, then reads whether the target
 *     is in guest code (and waits only then); the target marks itself in guest code before it enters or
 *     re-enters it, then flushes if asked, so one of the two always sees the other;
 *   - stop-the-world for a lock op TCG cannot do atomically (misaligned or page-crossing): with jmck's
 *     patched Unicorn the engine calls exclusive_begin, which waits until every other core is out of guest
 *     code or paused in its block hook, runs that one instruction alone, then calls exclusive_end.
 * It also gives fixed-argument wrappers for Unicorn's variadic calls (uc_ctl, uc_hook_add), for the Java
 * binding (jmck_uc_jni.c, and JNA for the Java hooks of stepping and tracing).
 */
#include "jmck_uc.h"
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jmck's patched Unicorn (emulator/unicorn/patches/04-exclusive-step.patch); absent from Debian's build. */
extern uc_err uc_jmck_set_exclusive(uc_engine *uc, void (*begin)(void *), void (*end)(void *), void *user)
	__attribute__((weak));
extern uc_err uc_jmck_set_pause_hook(uc_engine *uc, void (*hook)(void *), void *user) __attribute__((weak));
extern uc_err uc_jmck_set_kick_hook(uc_engine *uc, void (*hook)(void *), void *user) __attribute__((weak));
extern uc_err uc_jmck_kick(uc_engine *uc) __attribute__((weak));
extern size_t uc_jmck_tlb_grow(uc_engine *uc, int bits) __attribute__((weak));
extern size_t uc_jmck_tlb_reserve(int bits) __attribute__((weak));


/* Offsets inside a uc_context of QEMU's CPUX86State.old_exception and .error_code, found at start by
 * jmck_probe_offsets(); they are fixed for one build of libunicorn. */
static long old_exception_off = -1;
static long error_code_off = -1;

static const int syscall_regs[8] = {
	UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
	UC_X86_REG_R10, UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_RIP,
};

static const int gpr_regs[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
	UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static void clear_exception_in_flight(jmck_core *c)
{
	int none = -1;
	uc_context_save(c->uc, c->ctx);
	memcpy((char *)c->ctx + old_exception_off, &none, sizeof none);
	uc_context_restore(c->uc, c->ctx);
}

/* ---- cores on parallel host threads ---- */

static pthread_mutex_t cores_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the list of attached cores */
static struct jmck_core *cores;
static pthread_mutex_t world_lock = PTHREAD_MUTEX_INITIALIZER; /* one exclusive step at a time */
static uint32_t world_stopped;       /* an exclusive step runs or is about to (atomic) */
static struct jmck_core *world_owner; /* the core running it (atomic) */

static uint32_t load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

/* A short wait in a spin loop: a pause, then giving the host CPU away (cores may outnumber host CPUs). */
static void relax(unsigned *spins)
{
	if (++*spins < 200)
		__builtin_ia32_pause();
	else
		sched_yield();
}

/* The TLB flush a shootdown asked for; the bit is cleared after the flush, as the acknowledgement. */
static void service_flush(jmck_core *c)
{
	if (load(&c->pending) & PENDING_FLUSH) {
		uc_ctl_flush_tlb(c->uc);
		__atomic_fetch_and(&c->pending, ~PENDING_FLUSH, __ATOMIC_SEQ_CST);
	}
}

static int stopped_by_other(jmck_core *c)
{
	return load(&world_stopped) && __atomic_load_n(&world_owner, __ATOMIC_SEQ_CST) != c;
}

/* Waits while another core's exclusive step runs, doing the TLB flushes asked of this core meanwhile. */
static void wait_for_world(jmck_core *c)
{
	unsigned spins = 0;
	while (stopped_by_other(c)) {
		service_flush(c);
		relax(&spins);
	}
}

/*
 * The core goes (back) into guest code: it marks itself in guest code first, then looks at what other
 * cores asked (the Dekker order: they write, then read in_guest). Returns 1 if a kick is pending and the
 * core should stop instead.
 */
static int enter_guest(jmck_core *c)
{
	host_cpus_take(&c->seat);
	for (;;) {
		store(&c->in_guest, 1);
		if (!stopped_by_other(c))
			break;
		store(&c->in_guest, 0);
		wait_for_world(c);
	}
	service_flush(c);
	return (load(&c->pending) & PENDING_KICK) != 0;
}

/* Between two blocks or at a pause: the core's host CPU token goes to the first core waiting for one, and
 * the core waits in line for another; what was posted to it meanwhile is looked at on the way back in. */
static int hand_over_host_cpu(jmck_core *c)
{
	store(&c->in_guest, 0);
	host_cpus_give_back(&c->seat);
	return enter_guest(c);
}

/* At a block boundary with something pending: pause for an exclusive step, flush, stop on a kick. Runs
 * in the block hook, or in the kick hook where a kicked engine leaves translated code. */
static void block_boundary_work(jmck_core *c)
{
	while (stopped_by_other(c)) {
		store(&c->paused, 1);
		wait_for_world(c);
		store(&c->paused, 0); /* then look again: a new step may have begun meanwhile */
	}
	service_flush(c);
	/* Not while this core's own exclusive step runs (its kick hook runs at that block's start): the cores
	 * holding the other tokens wait for the step to end, and it would wait for a token. */
	if ((load(&c->pending) & PENDING_YIELD)
			&& (__atomic_fetch_and(&c->pending, ~PENDING_YIELD, __ATOMIC_SEQ_CST) & PENDING_YIELD)
			&& host_cpus_wanted() && __atomic_load_n(&world_owner, __ATOMIC_SEQ_CST) != c)
		hand_over_host_cpu(c); /* a kick that came meanwhile is seen just below */
	if (load(&c->pending) & PENDING_KICK)
		uc_emu_stop(c->uc);
}

/* exclusive_begin (patch 04): every other core leaves guest code or pauses at a block boundary. */
static void exclusive_begin(void *user)
{
	jmck_core *c = user;
	unsigned spins = 0;
	store(&c->paused, 1); /* while waiting for the lock this core runs no guest code */
	while (pthread_mutex_trylock(&world_lock) != 0) {
		service_flush(c);
		relax(&spins);
	}
	__atomic_store_n(&world_owner, c, __ATOMIC_SEQ_CST);
	store(&world_stopped, 1);
	store(&c->paused, 0);
	pthread_mutex_lock(&cores_lock);
	for (jmck_core *o = cores; o; o = o->next)
		if (o != c && o->kicks)
			uc_jmck_kick(o->uc); /* to its kick hook, which pauses while world_stopped */
	for (jmck_core *o = cores; o; o = o->next)
		while (o != c && load(&o->in_guest) && !load(&o->paused)) {
			service_flush(c);
			relax(&spins);
		}
	pthread_mutex_unlock(&cores_lock);
}

static void exclusive_end(void *user)
{
	(void)user;
	__atomic_store_n(&world_owner, NULL, __ATOMIC_SEQ_CST);
	store(&world_stopped, 0);
	pthread_mutex_unlock(&world_lock);
}

/* Whether this library runs on jmck's patched Unicorn (lock ops atomic across host threads, kicks). */
int jmck_parallel_build(void)
{
	return uc_jmck_set_exclusive != NULL && uc_jmck_kick != NULL;
}

/* The guest's ABI (x86-64 Linux), not the host's headers: futex(2)'s number and FUTEX_WAKE_PRIVATE. */
#define GUEST_SYS_FUTEX         202
#define GUEST_FUTEX_WAKE_PRIVATE (1 | 128)
#define GUEST_USER_TOP          0x00007ffffffff000ull

/*
 * FUTEX_WAKE_PRIVATE while no thread of the instance waits on a futex: Linux answers it 0 without taking a
 * lock (futex_wake's futex_hb_waiters_pending), and so does the hook, without the upcall. An OpenMP barrier
 * makes one each time whether anyone sleeps or not; through the kernel's Java code, not yet compiled, the
 * first hundred cost 16-21 us each and the next thousand 4-11 (0.1-0.2 here). The kernel counts a wait
 * before it reads the futex word (Futexes.announceWait), and the guest stored to the word before this
 * call: with a full fence on each side, either the waiter reads the new word (and does not sleep) or this
 * sees its count (and goes to the kernel). Misaligned and out-of-range addresses go to the kernel for their
 * errors.
 */
static int answer_futex_wake(jmck_core *c)
{
	const uint32_t *waiters = (const uint32_t *)(uintptr_t)__atomic_load_n(&c->futex_waiters, __ATOMIC_RELAXED);
	if (!waiters || c->sys[0] != GUEST_SYS_FUTEX || c->sys[2] != GUEST_FUTEX_WAKE_PRIVATE)
		return 0;
	if ((c->sys[1] & 3) || c->sys[1] > GUEST_USER_TOP - 4)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST) != 0)
		return 0;
	c->answered++;
	return 1;
}

static void hook_syscall(uc_engine *uc, void *user)
{
	jmck_core *c = user;
	if (c->io_from)
		return; /* the rest of an in/out's block: the run is ending, this syscall is undone */
	void *vals[8];
	for (int i = 0; i < 8; i++)
		vals[i] = &c->sys[i];
	uc_reg_read_batch(uc, (int *)syscall_regs, vals, 8);
	if (answer_futex_wake(c)) {
		uint64_t none_woken = 0;
		uc_reg_write(uc, UC_X86_REG_RAX, &none_woken);
		return;
	}
	store(&c->in_guest, 0); /* in the kernel: a shootdown need not wait for this core (it keeps its token) */
	int action = c->upcall(c, 1);
	if (!(action & JMCK_KEEP_RAX))
		uc_reg_write(uc, UC_X86_REG_RAX, &c->sys_result);
	if ((action & JMCK_STOP) || enter_guest(c))
		uc_emu_stop(uc);
}

static void hook_interrupt(uc_engine *uc, uint32_t vector, void *user)
{
	jmck_core *c = user;
	if (c->io_from) { /* the rest of an in/out's block faulted: the run is ending anyway */
		clear_exception_in_flight(c);
		return;
	}
	c->vector = vector;
	uc_reg_read(uc, UC_X86_REG_CR2, &c->cr2);
	uc_reg_read(uc, UC_X86_REG_RIP, &c->rip);
	/* Read the error code and clear the in-flight exception before Java runs, so that register
	 * changes Java makes (a signal frame, say) are not undone by the context restore. */
	uc_context_save(uc, c->ctx);
	memcpy(&c->error_code, (char *)c->ctx + error_code_off, sizeof c->error_code);
	int none = -1;
	memcpy((char *)c->ctx + old_exception_off, &none, sizeof none);
	uc_context_restore(uc, c->ctx);
	store(&c->in_guest, 0);
	if ((c->upcall(c, 0) & JMCK_STOP) || enter_guest(c))
		uc_emu_stop(uc);
}

static void hook_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	jmck_core *c = user;
	c->blocks++;
	if (--c->budget == 0) {
		uc_emu_stop(uc);
		return;
	}
	if (__builtin_expect(__atomic_load_n(&c->pending, __ATOMIC_RELAXED)
			| __atomic_load_n(&world_stopped, __ATOMIC_RELAXED), 0))
		block_boundary_work(c);
	if (c->nbp && c->check_bps) {
		int first = c->first_block;
		c->first_block = 0;
		for (int i = 0; i < c->nbp; i++) {
			uint64_t bp = c->bps[i];
			if (bp >= address && bp < address + size && !(first && bp == c->resume_at)) {
				c->bp_block_end = address + size;
				uc_emu_stop(uc);
				return;
			}
		}
	}
}

/* In and out instructions. Unicorn lets user code do port I/O (its gen_check_io returns early), where
 * Linux gives a process without ioperm() a #GP, so SIGSEGV. The hook cannot stop at the instruction:
 * rip is not synced for it (it reads as an earlier point of the block, mostly the block's start), and
 * the rest of the block runs after a stop. So the hook notes where the block began and the general
 * registers, and stops; the rest of the block runs with its syscalls and exceptions ignored; then the
 * registers are put back and the kernel sees a #GP whose exact address it finds by decoding forward from
 * io_from. Memory the rest of the block wrote stays written. */
static void io_trap(jmck_core *c)
{
	if (c->io_from)
		return;
	uint64_t rip;
	uc_reg_read(c->uc, UC_X86_REG_RIP, &rip);
	void *vals[16];
	for (int i = 0; i < 16; i++)
		vals[i] = &c->io_regs[i];
	uc_reg_read_batch(c->uc, (int *)gpr_regs, vals, 16);
	c->io_from = rip ? rip : 1;
	uc_emu_stop(c->uc);
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	(void)uc; (void)port; (void)size;
	io_trap(user);
	return 0xffffffff; /* what reading an unclaimed port gives */
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	(void)uc; (void)port; (void)size; (void)value;
	io_trap(user);
}

/* ---- the probe: where do old_exception and error_code live in a uc_context? ---- */

#define PROBE_RAM (1u << 20)

static uc_context *probe_fault_ctx;

static void probe_on_interrupt(uc_engine *uc, uint32_t vector, void *user)
{
	uc_context_save(uc, probe_fault_ctx);
	uc_emu_stop(uc);
}

static void probe_set(uc_engine *uc, uint64_t pa, uint64_t v)
{
	uc_mem_write(uc, pa, &v, sizeof v);
}

/* Runs one store at CPL 0 that faults, and leaves the context at the fault in probe_fault_ctx. */
static int probe_fault(uc_engine *uc, uc_context *start, uint32_t target)
{
	/* mov [target], al */
	uint8_t code[] = {0x88, 0x04, 0x25, target & 0xff, (target >> 8) & 0xff, (target >> 16) & 0xff, target >> 24};
	uc_context_restore(uc, start);
	uc_mem_write(uc, 0x10000, code, sizeof code); /* a physical write: drops code translated from the old bytes */
	return uc_emu_start(uc, 0x10000, 0x10000 + sizeof code, 0, 1) == UC_ERR_OK ? 0 : -1;
}

/*
 * Finds the two fields by experiment: a store to a not-present page (error code 2) and a store to a
 * read-only page with CR0.WP set (error code 3), each from a pristine context whose old_exception is -1.
 * old_exception is the int that went from -1 to 14; error_code the int that reads 2, then 3.
 * Returns 0, or -1 if this Unicorn build does not behave like 2.1.1.
 */
int jmck_probe_offsets(int32_t *offsets)
{
	uc_engine *uc;
	uc_hook hook;
	int ok = -1;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -1;
	size_t size = uc_context_size(uc);
	uc_context *start, *fault_w;
	uc_context_alloc(uc, &start);
	uc_context_alloc(uc, &fault_w);
	uc_context_alloc(uc, &probe_fault_ctx);
	uc_mem_map(uc, 0, PROBE_RAM, UC_PROT_ALL);
	/* PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000; code page 0x10000 present and writable,
	 * 0x20000 not present, 0x21000 present read-only. Identity-mapped. */
	probe_set(uc, 0x1000, 0x2000 | 3);
	probe_set(uc, 0x2000, 0x3000 | 3);
	probe_set(uc, 0x3000, 0x4000 | 3);
	probe_set(uc, 0x4000 + 0x10 * 8, 0x10000 | 3);
	probe_set(uc, 0x4000 + 0x21 * 8, 0x21000 | 1);
	uint64_t cr3 = 0x1000, cr4 = 1u << 5, cr0;
	uc_reg_read(uc, UC_X86_REG_CR0, &cr0);
	cr0 |= 0x80010001u; /* PG, WP, PE */
	uc_x86_msr efer = {.rid = 0xC0000080, .value = (1u << 8) | (1u << 10) | (1u << 11)};
	uc_reg_write(uc, UC_X86_REG_CR3, &cr3);
	uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
	uc_reg_write(uc, UC_X86_REG_MSR, &efer);
	uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	uc_hook_add(uc, &hook, UC_HOOK_INTR, probe_on_interrupt, NULL, 1, 0);
	uc_context_save(uc, start);

	if (probe_fault(uc, start, 0x20000) == 0) {
		memcpy(fault_w, probe_fault_ctx, size);
		if (probe_fault(uc, start, 0x21000) == 0) {
			long oe = -1, ec = -1;
			for (size_t o = 0; o + 4 <= size; o += 4) {
				int32_t before, w, rw;
				memcpy(&before, (char *)start + o, 4);
				memcpy(&w, (char *)fault_w + o, 4);
				memcpy(&rw, (char *)probe_fault_ctx + o, 4);
				if (oe < 0 && before == -1 && w == 14 && rw == 14)
					oe = (long)o;
				if (ec < 0 && before != 2 && w == 2 && rw == 3)
					ec = (long)o;
			}
			if (oe >= 0 && ec >= 0) {
				old_exception_off = oe;
				error_code_off = ec;
				offsets[0] = (int32_t)oe;
				offsets[1] = (int32_t)ec;
				ok = 0;
			}
		}
	}
	uc_context_free(start);
	uc_context_free(fault_w);
	uc_context_free(probe_fault_ctx);
	probe_fault_ctx = NULL;
	uc_close(uc);
	return ok;
}

/* ---- per-core setup, called from Java ---- */

/* Binds a shared block to an engine and installs the syscall and interrupt hooks. Returns a uc_err. */
int jmck_core_attach(jmck_core *c, uc_engine *uc, jmck_upcall upcall, void *target)
{
	if (old_exception_off < 0)
		return UC_ERR_ARG; /* jmck_probe_offsets() first */
	c->uc = uc;
	c->upcall = upcall;
	c->upcall_target = target;
	int err = uc_context_alloc(uc, &c->ctx);
	if (err != UC_ERR_OK)
		return err;
	err = uc_hook_add(uc, &c->syscall_hook, UC_HOOK_INSN, hook_syscall, c, 1, 0, UC_X86_INS_SYSCALL);
	if (err == UC_ERR_OK) /* called from Unicorn's in/out helpers only, so free for code without in/out */
		err = uc_hook_add(uc, &c->in_hook, UC_HOOK_INSN, hook_in, c, 1, 0, UC_X86_INS_IN);
	if (err == UC_ERR_OK)
		err = uc_hook_add(uc, &c->out_hook, UC_HOOK_INSN, hook_out, c, 1, 0, UC_X86_INS_OUT);
	if (err != UC_ERR_OK)
		return err;
	err = uc_hook_add(uc, &c->interrupt_hook, UC_HOOK_INTR, hook_interrupt, c, 1, 0);
	if (err != UC_ERR_OK)
		return err;
	if (uc_jmck_set_exclusive)
		uc_jmck_set_exclusive(uc, exclusive_begin, exclusive_end, c);
	pthread_mutex_lock(&cores_lock);
	c->next = cores;
	cores = c;
	pthread_mutex_unlock(&cores_lock);
	return UC_ERR_OK;
}

void jmck_core_detach(jmck_core *c)
{
	if (c->kicks)
		host_cpus_remove_seat(&c->seat);
	pthread_mutex_lock(&cores_lock);
	for (jmck_core **p = &cores; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	pthread_mutex_unlock(&cores_lock);
	if (c->ctx)
		uc_context_free(c->ctx);
	c->ctx = NULL;
	free(c->bps);
	c->bps = NULL;
	c->nbp = 0;
}

/* Installs the block hook if it is not there yet (dropping translated code once, as for a budget). */
static int ensure_block_hook(jmck_core *c)
{
	if (c->block_hook)
		return UC_ERR_OK;
	int err = uc_hook_add(c->uc, &c->block_hook, UC_HOOK_BLOCK, hook_block, c, 1, 0);
	if (err != UC_ERR_OK)
		return err;
	return uc_ctl_flush_tb(c->uc);
}

/* Sets the breakpoints (n addresses; n = 0 clears them). The first ones install the block hook. */
int jmck_core_set_breakpoints(jmck_core *c, const uint64_t *addrs, int n)
{
	uint64_t *copy = NULL;
	if (n > 0) {
		copy = malloc(sizeof *copy * (size_t)n);
		if (!copy)
			return UC_ERR_NOMEM;
		memcpy(copy, addrs, sizeof *copy * (size_t)n);
		if (c->budget == 0)
			c->budget = -1; /* a hook installed for breakpoints alone must never count down to a stop */
		int err = ensure_block_hook(c);
		if (err != UC_ERR_OK) {
			free(copy);
			return err;
		}
	}
	free(c->bps);
	c->bps = copy;
	c->nbp = n;
	return UC_ERR_OK;
}

/* Sets the block budget: stop after that many blocks (blocks > 0), or never (0). Unicorn compiles hook
 * calls into translated blocks, so the block hook only reaches code translated after it was added: the
 * first budget installs it and drops the translation cache once; later it stays, disabled by a budget of
 * -1 that never counts down to 0. A core that never shares runs without any block hook. */
int jmck_core_set_budget(jmck_core *c, int64_t blocks)
{
	c->budget = blocks > 0 ? blocks : -1;
	if (blocks > 0)
		return ensure_block_hook(c);
	return UC_ERR_OK;
}

/* Whether the block hook is installed (the core has shared a host thread with another). */
int jmck_core_has_budget_hook(jmck_core *c)
{
	return c->block_hook != 0;
}

/* Runs the core from rip until a hook stops it (or after count instructions, if count is not 0). The
 * exception-in-flight field is reset first: a slice that ended near an exception must not turn the next
 * #PF into a double fault. The end address is non-canonical, so it is never reached and costs nothing in
 * translated code. */
int jmck_core_run(jmck_core *c, uint64_t rip, uint64_t count)
{
	if (count == 0 && c->counted) {
		/* Unicorn removes its instruction-count hook (a UC_HOOK_CODE) only when a run ends. While it is
		 * there, a block-boundary stop replays guest instructions: end an empty run first (begin is
		 * until, so nothing executes). */
		clear_exception_in_flight(c);
		uc_emu_start(c->uc, rip, rip, 0, 0);
	}
	c->counted = count != 0;
	clear_exception_in_flight(c);
	c->check_bps = count == 0; /* a counted step stops by itself */
	c->first_block = 1;
	c->resume_at = rip;
	c->bp_block_end = 0;
	c->io_from = 0;
	int err = UC_ERR_OK;
	if (!enter_guest(c))
		err = uc_emu_start(c->uc, rip, 0x8000000000000000ull, 0, count);
	else /* a kick came since the kernel looked for work: back to it at once, rip where the run would start */
		uc_reg_write(c->uc, UC_X86_REG_RIP, &rip);
	store(&c->in_guest, 0);
	host_cpus_give_back(&c->seat); /* to the kernel's loop, which may sleep: another core takes the CPU */
	if (c->io_from && err == UC_ERR_OK) { /* see io_trap: back to the registers of the in/out, then a #GP */
		void *vals[16];
		for (int i = 0; i < 16; i++)
			vals[i] = &c->io_regs[i];
		uc_reg_write_batch(c->uc, (int *)gpr_regs, vals, 16);
		c->vector = 13;
		c->error_code = 0;
		c->cr2 = 0;
		c->rip = c->io_from;
		c->upcall(c, 0);
	}
	return err;
}

/* A spin-wait is pauses less than SPIN_GAP_NANOS apart; one that has gone on SPIN_NANOS hands over its
 * host CPU token when a core waits for one. */
#define SPIN_GAP_NANOS 10000u
#define SPIN_NANOS 20000u

/* A guest spin-wait's pause, in parallel mode. When cores outnumber host CPUs and one waits for a token,
 * the spinner hands its own over (host_cpus.c: the thread being waited for may be the one in line);
 * otherwise every 64th pause gives the host CPU away to whatever else the host runs (a hypervisor's
 * pause-loop exiting does the same for a vCPU). With a CPU to spare, sched_yield returns at once. */
static void on_pause(void *user)
{
	jmck_core *c = user;
	if (!host_cpus_wanted()) {
		c->spin_from = 0;
		if ((++c->pauses & 63) == 0)
			sched_yield();
		return;
	}
	/* Only a spin that lasts: a core handed a token at a barrier that is not complete yet spins too, and
	 * handing it on at once would pass the token round the spinners, each hop a host wake-up. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (!c->spin_from || now - c->last_pause > SPIN_GAP_NANOS)
		c->spin_from = now;
	c->last_pause = now;
	if (now - c->spin_from < SPIN_NANOS)
		return;
	c->spin_from = 0; /* looked at again after SPIN_NANOS more */
	if (!host_cpus_worth_handing_over())
		return;
	c->seat.spinning = 1;
	int kicked = hand_over_host_cpu(c);
	c->seat.spinning = 0;
	if (kicked)
		uc_jmck_kick(c->uc); /* posted while it waited: stop at the next block start */
}

int jmck_core_post(jmck_core *c, uint32_t bits);

/* host_cpus.c asks a holder that has had its token a whole slice to give it back between two blocks. */
static void ask_to_yield(host_cpu_seat *seat)
{
	jmck_core_post((jmck_core *)((char *)seat - offsetof(jmck_core, seat)), PENDING_YIELD);
}

/* How many host CPUs the cores of parallel mode may run guest code on at once (host_cpus.c). */
void jmck_lend_host_cpus(int cpus)
{
	host_cpus_set(cpus);
}

/* The kick hook: a kicked engine calls it between two blocks (patch 06). */
static void on_kick(void *user)
{
	jmck_core *c = user;
	if (load(&c->pending) | load(&world_stopped))
		block_boundary_work(c);
}

/* The kick hook of exact mode: nothing is posted to a core there; see jmck_core_stop_between_blocks. */
static void on_kick_exact(void *user)
{
	(void)user;
}

/* Exact mode without a debugger: the engine leaves translated code only at block starts. With a kick hook
 * set, patch 06 drops the exit test Unicorn compiles after every load and store (3-6% of a CPU-bound
 * program's time: sieve 0.97 -> 0.94 s, CG's solve 1.53 -> 1.44 s). No stop in exact mode needs it: the
 * syscall and interrupt hooks end their block anyway, and the block hook stops before its block runs. A
 * debugger's counted steps keep the tests (patch 06 leaves them in while a code hook exists), but it is
 * turned off for one all the same (on = 0): that path is the debuggers' own. A core in parallel mode has
 * its kick hook already. */
int jmck_core_stop_between_blocks(jmck_core *c, int on)
{
	if (!uc_jmck_set_kick_hook)
		return UC_ERR_ARG;
	if (c->kicks)
		return UC_ERR_OK;
	uc_jmck_set_kick_hook(c->uc, on ? on_kick_exact : NULL, c);
	return uc_ctl_flush_tb(c->uc); /* code translated before has the other kind */
}

/* Parallel mode: the core sees kicks, shootdowns and other cores' exclusive steps while it runs guest
 * code, through the kick hook (no per-block cost); spin-waits yield (on_pause). */
int jmck_core_enable_ipis(jmck_core *c)
{
	if (!uc_jmck_set_kick_hook)
		return UC_ERR_ARG; /* not jmck's engine: jmck_parallel_build() says so first */
	if (uc_jmck_set_pause_hook)
		uc_jmck_set_pause_hook(c->uc, on_pause, c);
	uc_jmck_set_kick_hook(c->uc, on_kick, c);
	c->kicks = 1;
	c->seat.ask_to_yield = ask_to_yield;
	c->seat.in_guest = &c->in_guest;
	host_cpus_add_seat(&c->seat);
	/* Code translated before has an exit check after each load and store, where a kick would replay the
	 * block (patch 06): drop it. */
	return uc_ctl_flush_tb(c->uc);
}

/* From any thread: sets bits in the core's pending word, then, if the core runs guest code, kicks its
 * engine so that it looks at them at its next block start. Returns whether it ran guest code (the Dekker
 * order: write pending, then read in_guest; enter_guest does the reverse). A core that is not in guest
 * code sees the bits when it enters it. */
int jmck_core_post(jmck_core *c, uint32_t bits)
{
	__atomic_fetch_or(&c->pending, bits, __ATOMIC_SEQ_CST);
	int in = load(&c->in_guest) != 0;
	if (in && c->kicks)
		uc_jmck_kick(c->uc);
	return in;
}

/* The bits of a TLB of at least entries entries (QEMU's are powers of two). */
static int tlb_bits(int entries)
{
	int bits = 0;
	while ((1 << bits) < entries && bits < 30)
		bits++;
	return bits;
}

/* Grows the software TLB that ring 3 uses to at least entries now (patch 09); returns the entries it has,
 * or 0 where this libunicorn cannot (Debian's: the kernel then grows it by touching pages). */
long jmck_tlb_grow(uc_engine *uc, int entries)
{
	if (!uc_jmck_tlb_grow)
		return 0;
	return (long)uc_jmck_tlb_grow(uc, tlb_bits(entries));
}

/* Makes a TLB of at least entries ahead, for a later jmck_tlb_grow of that size on any engine (patch 09);
 * returns the entries made ready, 0 where this libunicorn cannot. Touches no engine: any thread. */
long jmck_tlb_reserve(int entries)
{
	if (!uc_jmck_tlb_reserve)
		return 0;
	return (long)uc_jmck_tlb_reserve(tlb_bits(entries));
}

/* ---- fixed-argument wrappers for variadic Unicorn calls ---- */

int jmck_flush_tlb(uc_engine *uc) { return uc_ctl_flush_tlb(uc); }
/* Must come right after uc_open. QEMU's default is a 1 GiB translation buffer, which its first full flush
 * touches end to end (3 s here); a smaller buffer flushes in milliseconds. */
int jmck_set_tcg_buffer_size(uc_engine *uc, uint32_t bytes) { return uc_ctl_set_tcg_buffer_size(uc, bytes); }
int jmck_flush_tb(uc_engine *uc) { return uc_ctl_flush_tb(uc); }

int jmck_set_cpu_model(uc_engine *uc, int model) { return uc_ctl_set_cpu_model(uc, model); }
int jmck_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) { return uc_ctl_remove_cache(uc, begin, end); }

int jmck_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user, uint64_t begin, uint64_t end)
{
	return uc_hook_add(uc, hh, type, callback, user, begin, end);
}

int jmck_hook_add_insn(uc_engine *uc, uc_hook *hh, void *callback, void *user, uint64_t begin, uint64_t end, int insn)
{
	return uc_hook_add(uc, hh, UC_HOOK_INSN, callback, user, begin, end, insn);
}

