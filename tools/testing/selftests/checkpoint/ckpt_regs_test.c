// SPDX-License-Identifier: GPL-2.0
/*
 * Registers survive checkpoint and restart: a task loads values by hand in
 * assembly, spins on a flag without touching them while it is checkpointed
 * (and killed and restarted, or let go on), then stores them back and
 * compares. The flag is set by a SIGUSR1 handler, which is fine: signal
 * delivery saves and restores all of them.
 */
#include <cpuid.h>
#include <asm/prctl.h>

#include "ckpt_util.h"

FIXTURE(regs) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(regs) {
	bool restart;	/* checkpoint with CHECKPOINT_KILL and restart */
};

FIXTURE_VARIANT_ADD(regs, restored) {
	.restart = true,
};

FIXTURE_VARIANT_ADD(regs, thawed) {
	.restart = false,
};

FIXTURE_SETUP(regs)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(regs)
{
	ckpt_ctx_teardown(&self->ctx);
}

/*
 * Pieces of the assembly. READY is kill(getppid(), SIGUSR2) as a raw system
 * call, which leaves all vector and x87 registers alone; SPIN waits for
 * ckpt_child_finish without touching any register but the flags.
 */
#define READY					\
	"mov %[nr_kill], %%eax\n\t"		\
	"mov %[ppid], %%edi\n\t"		\
	"mov %[sigusr2], %%esi\n\t"		\
	"syscall\n\t"
#define SPIN					\
	"1: pause\n\t"				\
	"cmpl $0, %[flag]\n\t"			\
	"je 1b\n\t"
#define READY_SPIN_OPERANDS					\
	[nr_kill] "i" (__NR_kill), [sigusr2] "i" (SIGUSR2),	\
	[ppid] "m" (ppid), [flag] "m" (ckpt_child_finish)
#define READY_CLOBBERS "rax", "rcx", "rdi", "rsi", "r11", "cc", "memory"

/* Runs @fn in a child and checkpoints it while it spins */
static void check_regs(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		       bool restart, int (*fn)(void *),
		       struct ckpt_reasons reasons)
{
	pid_t pid = ckpt_spawn(_metadata, ctx, fn, NULL);

	/* The GPR child loads its registers just after it says it is ready */
	ckpt_sleep_ms(200);
	if (restart)
		ckpt_kill_and_restart(_metadata, ctx, pid);
	else
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, 0));
	ckpt_finish(_metadata, pid, reasons);
}

/* x87: st0-st7 and the control word */
#define X87_CW		0x0f7f	/* round toward zero; default 0x037f */
#define X87_CW_DEFAULT	0x037f

static const char *const x87_reasons[] = {
	[1] = "an x87 stack register changed",
	[2] = "the x87 control word changed",
};

static long double x87_in[8] = {
	1.0L / 3, -2.0L / 7, 3.14159265358979323846L, 0.5L / 1e300L,
	-1e300L, 12345678901234567890.0L, 0.1L, -0.0L,
};

static long double x87_out[8];
static uint16_t x87_cw_in = X87_CW, x87_cw_default = X87_CW_DEFAULT;
static uint16_t x87_cw_out;

static int x87_child(void *arg)
{
	pid_t ppid = getppid();
	int i;

	(void)arg;
	asm volatile("fldcw %[cw_in]\n\t"
		     "fldt 0x00+%[in]\n\t"
		     "fldt 0x10+%[in]\n\t"
		     "fldt 0x20+%[in]\n\t"
		     "fldt 0x30+%[in]\n\t"
		     "fldt 0x40+%[in]\n\t"
		     "fldt 0x50+%[in]\n\t"
		     "fldt 0x60+%[in]\n\t"
		     "fldt 0x70+%[in]\n\t"
		     READY
		     SPIN
		     "fnstcw %[cw_out]\n\t"
		     "fstpt 0x00+%[out]\n\t"
		     "fstpt 0x10+%[out]\n\t"
		     "fstpt 0x20+%[out]\n\t"
		     "fstpt 0x30+%[out]\n\t"
		     "fstpt 0x40+%[out]\n\t"
		     "fstpt 0x50+%[out]\n\t"
		     "fstpt 0x60+%[out]\n\t"
		     "fstpt 0x70+%[out]\n\t"
		     "fldcw %[cw_default]\n\t"
		     : [out] "=m" (x87_out), [cw_out] "=m" (x87_cw_out)
		     : [in] "m" (x87_in), [cw_in] "m" (x87_cw_in),
		       [cw_default] "m" (x87_cw_default), READY_SPIN_OPERANDS
		     : READY_CLOBBERS, "st", "st(1)", "st(2)", "st(3)",
		       "st(4)", "st(5)", "st(6)", "st(7)");
	/* The last value loaded is st0, the first stored */
	for (i = 0; i < 8; i++) {
		if (memcmp(&x87_out[i], &x87_in[7 - i], 10)) {
			ckpt_child_note("st%d is %La, was %La", i, x87_out[i],
					x87_in[7 - i]);
			return 1;
		}
	}
	if (x87_cw_out != X87_CW) {
		ckpt_child_note("control word %#x, was %#x", x87_cw_out,
				X87_CW);
		return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(regs, x87_registers_and_control_word_survive, 60)
{
	check_regs(_metadata, &self->ctx, variant->restart, x87_child,
		   CKPT_REASONS(x87_reasons));
}

/* SSE: xmm0-xmm15 and MXCSR */
#define SSE_MXCSR		0xff80	/* flush to zero, round toward zero */
#define SSE_MXCSR_DEFAULT	0x1f80

static const char *const sse_reasons[] = {
	[1] = "an xmm register changed",
	[2] = "MXCSR changed",
};

static uint8_t xmm_in[16][16], xmm_out[16][16];
static uint32_t mxcsr_in = SSE_MXCSR, mxcsr_default = SSE_MXCSR_DEFAULT;
static uint32_t mxcsr_out;

static int sse_child(void *arg)
{
	pid_t ppid = getppid();
	int i;

	(void)arg;
	ckpt_fill_pattern(xmm_in, sizeof(xmm_in), 0x55e, 0);
	asm volatile("ldmxcsr %[mxcsr_in]\n\t"
		     "movdqu 0x000+%[in], %%xmm0\n\t"
		     "movdqu 0x010+%[in], %%xmm1\n\t"
		     "movdqu 0x020+%[in], %%xmm2\n\t"
		     "movdqu 0x030+%[in], %%xmm3\n\t"
		     "movdqu 0x040+%[in], %%xmm4\n\t"
		     "movdqu 0x050+%[in], %%xmm5\n\t"
		     "movdqu 0x060+%[in], %%xmm6\n\t"
		     "movdqu 0x070+%[in], %%xmm7\n\t"
		     "movdqu 0x080+%[in], %%xmm8\n\t"
		     "movdqu 0x090+%[in], %%xmm9\n\t"
		     "movdqu 0x0a0+%[in], %%xmm10\n\t"
		     "movdqu 0x0b0+%[in], %%xmm11\n\t"
		     "movdqu 0x0c0+%[in], %%xmm12\n\t"
		     "movdqu 0x0d0+%[in], %%xmm13\n\t"
		     "movdqu 0x0e0+%[in], %%xmm14\n\t"
		     "movdqu 0x0f0+%[in], %%xmm15\n\t"
		     READY
		     SPIN
		     "stmxcsr %[mxcsr_out]\n\t"
		     "movdqu %%xmm0, 0x000+%[out]\n\t"
		     "movdqu %%xmm1, 0x010+%[out]\n\t"
		     "movdqu %%xmm2, 0x020+%[out]\n\t"
		     "movdqu %%xmm3, 0x030+%[out]\n\t"
		     "movdqu %%xmm4, 0x040+%[out]\n\t"
		     "movdqu %%xmm5, 0x050+%[out]\n\t"
		     "movdqu %%xmm6, 0x060+%[out]\n\t"
		     "movdqu %%xmm7, 0x070+%[out]\n\t"
		     "movdqu %%xmm8, 0x080+%[out]\n\t"
		     "movdqu %%xmm9, 0x090+%[out]\n\t"
		     "movdqu %%xmm10, 0x0a0+%[out]\n\t"
		     "movdqu %%xmm11, 0x0b0+%[out]\n\t"
		     "movdqu %%xmm12, 0x0c0+%[out]\n\t"
		     "movdqu %%xmm13, 0x0d0+%[out]\n\t"
		     "movdqu %%xmm14, 0x0e0+%[out]\n\t"
		     "movdqu %%xmm15, 0x0f0+%[out]\n\t"
		     "ldmxcsr %[mxcsr_default]\n\t"
		     : [out] "=m" (xmm_out), [mxcsr_out] "=m" (mxcsr_out)
		     : [in] "m" (xmm_in), [mxcsr_in] "m" (mxcsr_in),
		       [mxcsr_default] "m" (mxcsr_default), READY_SPIN_OPERANDS
		     : READY_CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	for (i = 0; i < 16; i++) {
		if (memcmp(xmm_out[i], xmm_in[i], sizeof(xmm_in[i]))) {
			ckpt_child_note("xmm%d changed", i);
			return 1;
		}
	}
	if (mxcsr_out != SSE_MXCSR) {
		ckpt_child_note("MXCSR %#x, was %#x", mxcsr_out, SSE_MXCSR);
		return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(regs, sse_registers_and_mxcsr_survive, 60)
{
	check_regs(_metadata, &self->ctx, variant->restart, sse_child,
		   CKPT_REASONS(sse_reasons));
}

/* AVX: ymm0-ymm15, whose upper halves only XSAVE holds */
static const char *const avx_reasons[] = {
	[1] = "the lower half of a ymm register changed",
	[2] = "the upper half of a ymm register changed",
};

static uint8_t ymm_in[16][32], ymm_out[16][32];

static bool cpu_has_avx(void)
{
	unsigned int eax, ebx, ecx, edx, xcr0, xcr0_hi;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return false;
	if (!(ecx & bit_OSXSAVE) || !(ecx & bit_AVX))
		return false;
	asm volatile("xgetbv" : "=a" (xcr0), "=d" (xcr0_hi) : "c" (0));
	return (xcr0 & 6) == 6;	/* SSE and AVX state enabled */
}

static int avx_child(void *arg)
{
	pid_t ppid = getppid();
	int i;

	(void)arg;
	ckpt_fill_pattern(ymm_in, sizeof(ymm_in), 0xa7c, 0);
	asm volatile("vmovdqu 0x000+%[in], %%ymm0\n\t"
		     "vmovdqu 0x020+%[in], %%ymm1\n\t"
		     "vmovdqu 0x040+%[in], %%ymm2\n\t"
		     "vmovdqu 0x060+%[in], %%ymm3\n\t"
		     "vmovdqu 0x080+%[in], %%ymm4\n\t"
		     "vmovdqu 0x0a0+%[in], %%ymm5\n\t"
		     "vmovdqu 0x0c0+%[in], %%ymm6\n\t"
		     "vmovdqu 0x0e0+%[in], %%ymm7\n\t"
		     "vmovdqu 0x100+%[in], %%ymm8\n\t"
		     "vmovdqu 0x120+%[in], %%ymm9\n\t"
		     "vmovdqu 0x140+%[in], %%ymm10\n\t"
		     "vmovdqu 0x160+%[in], %%ymm11\n\t"
		     "vmovdqu 0x180+%[in], %%ymm12\n\t"
		     "vmovdqu 0x1a0+%[in], %%ymm13\n\t"
		     "vmovdqu 0x1c0+%[in], %%ymm14\n\t"
		     "vmovdqu 0x1e0+%[in], %%ymm15\n\t"
		     READY
		     SPIN
		     "vmovdqu %%ymm0, 0x000+%[out]\n\t"
		     "vmovdqu %%ymm1, 0x020+%[out]\n\t"
		     "vmovdqu %%ymm2, 0x040+%[out]\n\t"
		     "vmovdqu %%ymm3, 0x060+%[out]\n\t"
		     "vmovdqu %%ymm4, 0x080+%[out]\n\t"
		     "vmovdqu %%ymm5, 0x0a0+%[out]\n\t"
		     "vmovdqu %%ymm6, 0x0c0+%[out]\n\t"
		     "vmovdqu %%ymm7, 0x0e0+%[out]\n\t"
		     "vmovdqu %%ymm8, 0x100+%[out]\n\t"
		     "vmovdqu %%ymm9, 0x120+%[out]\n\t"
		     "vmovdqu %%ymm10, 0x140+%[out]\n\t"
		     "vmovdqu %%ymm11, 0x160+%[out]\n\t"
		     "vmovdqu %%ymm12, 0x180+%[out]\n\t"
		     "vmovdqu %%ymm13, 0x1a0+%[out]\n\t"
		     "vmovdqu %%ymm14, 0x1c0+%[out]\n\t"
		     "vmovdqu %%ymm15, 0x1e0+%[out]\n\t"
		     "vzeroupper\n\t"
		     : [out] "=m" (ymm_out)
		     : [in] "m" (ymm_in), READY_SPIN_OPERANDS
		     : READY_CLOBBERS, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		       "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	for (i = 0; i < 16; i++) {
		if (memcmp(ymm_out[i], ymm_in[i], 16)) {
			ckpt_child_note("ymm%d: lower half changed", i);
			return 1;
		}
		if (memcmp(ymm_out[i] + 16, ymm_in[i] + 16, 16)) {
			ckpt_child_note("ymm%d: upper half changed", i);
			return 2;
		}
	}
	return 0;
}

TEST_F_TIMEOUT(regs, avx_registers_survive, 60)
{
	if (!cpu_has_avx())
		SKIP(return, "the CPU or the kernel does not enable AVX");
	check_regs(_metadata, &self->ctx, variant->restart, avx_child,
		   CKPT_REASONS(avx_reasons));
}

/*
 * General-purpose registers: all but rsp and rbp hold a value while the task
 * is checkpointed at whatever instruction of its loop it was, and fs_base
 * (the TLS pointer) stays.
 */
static const char *const gpr_reasons[] = {
	[1] = "a general-purpose register changed",
	[2] = "fs_base (the thread pointer) changed",
};

static const char *const gpr_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15",
};

static uint64_t gpr_in[14], gpr_out[14];

static int gpr_child(void *arg)
{
	unsigned long fs_before = 0, fs_after = 0;
	pid_t ppid = getppid();
	int i;

	(void)arg;
	ckpt_fill_pattern(gpr_in, sizeof(gpr_in), 0x69e, 0);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
	/* The ready signal comes first here: syscall clobbers rcx and r11 */
	asm volatile(READY
		     "mov 0x00+%[in], %%rax\n\t"
		     "mov 0x08+%[in], %%rbx\n\t"
		     "mov 0x10+%[in], %%rcx\n\t"
		     "mov 0x18+%[in], %%rdx\n\t"
		     "mov 0x20+%[in], %%rsi\n\t"
		     "mov 0x28+%[in], %%rdi\n\t"
		     "mov 0x30+%[in], %%r8\n\t"
		     "mov 0x38+%[in], %%r9\n\t"
		     "mov 0x40+%[in], %%r10\n\t"
		     "mov 0x48+%[in], %%r11\n\t"
		     "mov 0x50+%[in], %%r12\n\t"
		     "mov 0x58+%[in], %%r13\n\t"
		     "mov 0x60+%[in], %%r14\n\t"
		     "mov 0x68+%[in], %%r15\n\t"
		     SPIN
		     "mov %%rax, 0x00+%[out]\n\t"
		     "mov %%rbx, 0x08+%[out]\n\t"
		     "mov %%rcx, 0x10+%[out]\n\t"
		     "mov %%rdx, 0x18+%[out]\n\t"
		     "mov %%rsi, 0x20+%[out]\n\t"
		     "mov %%rdi, 0x28+%[out]\n\t"
		     "mov %%r8, 0x30+%[out]\n\t"
		     "mov %%r9, 0x38+%[out]\n\t"
		     "mov %%r10, 0x40+%[out]\n\t"
		     "mov %%r11, 0x48+%[out]\n\t"
		     "mov %%r12, 0x50+%[out]\n\t"
		     "mov %%r13, 0x58+%[out]\n\t"
		     "mov %%r14, 0x60+%[out]\n\t"
		     "mov %%r15, 0x68+%[out]\n\t"
		     : [out] "=m" (gpr_out)
		     : [in] "m" (gpr_in), READY_SPIN_OPERANDS
		     : READY_CLOBBERS, "rbx", "rdx", "r8", "r9", "r10", "r12",
		       "r13", "r14", "r15");
	for (i = 0; i < 14; i++) {
		if (gpr_out[i] != gpr_in[i]) {
			ckpt_child_note("%s is %#llx, was %#llx", gpr_names[i],
					(unsigned long long)gpr_out[i],
					(unsigned long long)gpr_in[i]);
			return 1;
		}
	}
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	if (fs_after != fs_before) {
		ckpt_child_note("fs_base %#lx, was %#lx", fs_after, fs_before);
		return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(regs, general_purpose_registers_survive, 60)
{
	check_regs(_metadata, &self->ctx, variant->restart, gpr_child,
		   CKPT_REASONS(gpr_reasons));
}

TEST_HARNESS_MAIN
