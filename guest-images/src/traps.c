/* CPU exceptions in user mode, compared with Linux: each faulting instruction must raise the signal Linux
 * gives (arch/x86/kernel/traps.c), with its si_code and si_addr, and a handler that returns resumes where
 * Linux resumes (after int3; a fault handler here jumps away instead). Nothing printed depends on
 * addresses: only whether si_addr was the faulting instruction, zero, or the bad address. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf back;
static volatile int got_sig, got_code;
static volatile uintptr_t got_addr, got_rip;

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	got_rip = uc->uc_mcontext.gregs[REG_RIP];
	if (sig != SIGTRAP)
		siglongjmp(back, 1);
}

static const char *signame(int s)
{
	switch (s) {
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGSEGV: return "SIGSEGV";
	case 0: return "no signal";
	default: return "other";
	}
}

static const char *where(uintptr_t a, uintptr_t insn, uintptr_t data)
{
	if (a == 0)
		return "0";
	if (a == insn)
		return "the instruction";
	if (data && a == data)
		return "the bad address";
	return "elsewhere";
}

/* Runs code (followed by a ret) from the start of page and reports the signal; the instruction expected to
 * fault is at offset at. */
static void run_at(const char *name, unsigned char *page, const unsigned char *code, size_t len, size_t at,
		   uintptr_t data)
{
	memcpy(page, code, len);
	page[len] = 0xc3; /* ret */
	got_sig = got_code = 0;
	got_addr = got_rip = 0;
	if (sigsetjmp(back, 1) == 0)
		((void (*)(void))page)();
	uintptr_t insn = (uintptr_t)page + at;
	printf("%-26s %s code %d, si_addr %s, rip %s\n", name, signame(got_sig), got_code, where(got_addr, insn, data),
	       got_rip == insn ? "at the instruction" : got_rip == (uintptr_t)page + len ? "after it" : "elsewhere");
}

static void run(const char *name, unsigned char *page, const unsigned char *code, size_t len)
{
	run_at(name, page, code, len, 0, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	int sigs[] = {SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV};
	for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	static const unsigned char ud2[] = {0x0f, 0x0b};
	static const unsigned char bad_opcode[] = {0x06};            /* push es: invalid in 64-bit mode */
	static const unsigned char hlt[] = {0xf4};
	static const unsigned char cli[] = {0xfa};
	static const unsigned char wrmsr[] = {0x0f, 0x30};
	static const unsigned char rdmsr[] = {0x0f, 0x32};
	static const unsigned char in[] = {0xec};                    /* in al, dx */
	static const unsigned char out[] = {0xee};                   /* out dx, al */
	static const unsigned char mov_cr3[] = {0x0f, 0x22, 0xd8};   /* mov cr3, rax */
	static const unsigned char lgdt[] = {0x0f, 0x01, 0x10};      /* lgdt [rax] */
	static const unsigned char int3[] = {0xcc};
	static const unsigned char int_0x81[] = {0xcd, 0x81};
	static const unsigned char div0[] = {0x31, 0xc9, 0x48, 0xf7, 0xf1}; /* xor ecx, ecx; div rcx */
	run("ud2", page, ud2, sizeof ud2);
	run("invalid opcode (push es)", page, bad_opcode, sizeof bad_opcode);
	run("hlt", page, hlt, sizeof hlt);
	run("cli", page, cli, sizeof cli);
	run("wrmsr", page, wrmsr, sizeof wrmsr);
	run("rdmsr", page, rdmsr, sizeof rdmsr);
	run("in al, dx", page, in, sizeof in);
	run("out dx, al", page, out, sizeof out);
	run("mov cr3, rax", page, mov_cr3, sizeof mov_cr3);
	run("lgdt", page, lgdt, sizeof lgdt);
	run("int3", page, int3, sizeof int3);
	run("int 0x81", page, int_0x81, sizeof int_0x81);
	run_at("divide by zero", page, div0, sizeof div0, 2, 0);

	/* memory: a non-canonical address is a #GP (no address reported), an unmapped one a #PF */
	static const unsigned char load_rax[] = {0x48, 0x8b, 0x00}; /* mov rax, [rax] */
	uintptr_t noncanonical = 0x0000800000000000ull, unmapped = 0x10000;
	unsigned char code[32];
	/* mov rax, imm64; mov rax, [rax] */
	code[0] = 0x48;
	code[1] = 0xb8;
	memcpy(code + 2, &noncanonical, 8);
	memcpy(code + 10, load_rax, 3);
	run_at("load non-canonical", page, code, 13, 10, noncanonical);
	memcpy(code + 2, &unmapped, 8);
	run_at("load unmapped", page, code, 13, 10, unmapped);
	/* movaps from a misaligned address: #GP */
	static char buf[64] __attribute__((aligned(16)));
	uintptr_t mis = (uintptr_t)buf + 1;
	memcpy(code + 2, &mis, 8);
	code[10] = 0x0f;
	code[11] = 0x28;
	code[12] = 0x00; /* movaps xmm0, [rax] */
	run_at("movaps misaligned", page, code, 13, 10, mis);
	puts("done");
	return 0;
}
