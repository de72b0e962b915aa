// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CPU features an image needs (x86).
 *
 * Programs look at CPUID once, at start-up (glibc's ifunc resolvers pick
 * the AVX2 memcpy, a JIT picks its instruction set), and use what they saw
 * for as long as they run.  An image carries, in an X86_CPUID record right
 * after the HEADER, the CPUID feature registers of the checkpointing CPU
 * as the kernel uses them; restart refuses, naming it, any instruction-set
 * extension of ckpt_user_features[] that the image's CPU had and this one
 * lacks, and any XSAVE component of the image this CPU cannot hold.  A CPU
 * with more features is fine.  An image without the record (of an earlier
 * kernel) is not checked.
 */
#include <linux/checkpoint.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "internal.h"

/* The registers saved, and the kernel's capability word of each */
static const struct {
	u32 leaf, subleaf, reg;
	unsigned int word;
} ckpt_cpuid_regs[] = {
	{ 0x00000001, 0, 3, CPUID_1_EDX },
	{ 0x00000001, 0, 2, CPUID_1_ECX },
	{ 0x00000007, 0, 1, CPUID_7_0_EBX },
	{ 0x00000007, 0, 2, CPUID_7_ECX },
	{ 0x00000007, 0, 3, CPUID_7_EDX },
	{ 0x00000007, 1, 0, CPUID_7_1_EAX },
	{ 0x0000000d, 1, 0, CPUID_D_1_EAX },
	{ 0x80000001, 0, 3, CPUID_8000_0001_EDX },
	{ 0x80000001, 0, 2, CPUID_8000_0001_ECX },
};

/* Instruction-set extensions a user program may detect and use */
static const u16 ckpt_user_features[] = {
	X86_FEATURE_FPU, X86_FEATURE_TSC, X86_FEATURE_CX8, X86_FEATURE_CMOV,
	X86_FEATURE_CLFLUSH, X86_FEATURE_MMX, X86_FEATURE_FXSR, X86_FEATURE_XMM,
	X86_FEATURE_XMM2, X86_FEATURE_XMM3, X86_FEATURE_PCLMULQDQ, X86_FEATURE_SSSE3,
	X86_FEATURE_FMA, X86_FEATURE_CX16, X86_FEATURE_XMM4_1, X86_FEATURE_XMM4_2,
	X86_FEATURE_MOVBE, X86_FEATURE_POPCNT, X86_FEATURE_AES, X86_FEATURE_XSAVE,
	X86_FEATURE_AVX, X86_FEATURE_F16C, X86_FEATURE_RDRAND, X86_FEATURE_FSGSBASE,
	X86_FEATURE_BMI1, X86_FEATURE_HLE, X86_FEATURE_AVX2, X86_FEATURE_BMI2,
	X86_FEATURE_ERMS, X86_FEATURE_RTM, X86_FEATURE_AVX512F, X86_FEATURE_AVX512DQ,
	X86_FEATURE_RDSEED, X86_FEATURE_ADX, X86_FEATURE_AVX512IFMA, X86_FEATURE_CLFLUSHOPT,
	X86_FEATURE_CLWB, X86_FEATURE_AVX512PF, X86_FEATURE_AVX512ER, X86_FEATURE_AVX512CD,
	X86_FEATURE_SHA_NI, X86_FEATURE_AVX512BW, X86_FEATURE_AVX512VL,
	X86_FEATURE_AVX512VBMI, X86_FEATURE_PKU, X86_FEATURE_WAITPKG,
	X86_FEATURE_AVX512_VBMI2, X86_FEATURE_GFNI, X86_FEATURE_VAES,
	X86_FEATURE_VPCLMULQDQ, X86_FEATURE_AVX512_VNNI, X86_FEATURE_AVX512_BITALG,
	X86_FEATURE_AVX512_VPOPCNTDQ, X86_FEATURE_RDPID, X86_FEATURE_MOVDIRI,
	X86_FEATURE_MOVDIR64B, X86_FEATURE_AVX512_4VNNIW, X86_FEATURE_AVX512_4FMAPS,
	X86_FEATURE_FSRM, X86_FEATURE_AVX512_VP2INTERSECT, X86_FEATURE_SERIALIZE,
	X86_FEATURE_TSXLDTRK, X86_FEATURE_AMX_BF16, X86_FEATURE_AVX512_FP16,
	X86_FEATURE_AMX_TILE, X86_FEATURE_AMX_INT8, X86_FEATURE_AVX_VNNI,
	X86_FEATURE_AVX512_BF16, X86_FEATURE_XSAVEOPT, X86_FEATURE_XSAVEC,
	X86_FEATURE_XGETBV1, X86_FEATURE_SYSCALL, X86_FEATURE_MMXEXT, X86_FEATURE_RDTSCP,
	X86_FEATURE_LM, X86_FEATURE_3DNOWEXT, X86_FEATURE_3DNOW, X86_FEATURE_LAHF_LM,
	X86_FEATURE_ABM, X86_FEATURE_SSE4A, X86_FEATURE_MISALIGNSSE,
	X86_FEATURE_3DNOWPREFETCH, X86_FEATURE_XOP, X86_FEATURE_FMA4, X86_FEATURE_TBM,
};

/* User XSAVE components, by bit of XCR0 */
static const char *const ckpt_xfeature_names[] = {
	"x87", "SSE", "AVX", "MPX bounds", "MPX CSR", "AVX-512 opmask",
	"AVX-512 ZMM_Hi256", "AVX-512 Hi16_ZMM", "PT", "PKRU", "PASID", "CET user",
	"CET supervisor", "HDC", "UINTR", "LBR", "HWP", "AMX TILECFG", "AMX TILEDATA",
};

/**
 * ckpt_arch_checkpoint_cpu() - write the X86_CPUID and X86_VDSO records
 * @ctx: checkpoint context, right after the HEADER
 *
 * Return: 0 or a negative error.
 */
int ckpt_arch_checkpoint_cpu(struct ckpt_ctx *ctx)
{
	struct {
		struct ckpt_x86_cpuid hdr;
		struct ckpt_x86_cpuid_reg regs[ARRAY_SIZE(ckpt_cpuid_regs)];
	} rec = { .hdr.nr_regs = cpu_to_le32(ARRAY_SIZE(ckpt_cpuid_regs)) };
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_cpuid_regs); i++) {
		unsigned int word = ckpt_cpuid_regs[i].word;

		rec.regs[i].leaf = cpu_to_le32(ckpt_cpuid_regs[i].leaf);
		rec.regs[i].subleaf = cpu_to_le32(ckpt_cpuid_regs[i].subleaf);
		rec.regs[i].reg = cpu_to_le32(ckpt_cpuid_regs[i].reg);
		rec.regs[i].value = cpu_to_le32(boot_cpu_data.x86_capability[word]);
	}
	return ckpt_write_rec(ctx, CKPT_REC_X86_CPUID, &rec, sizeof(rec)) ?:
	       ckpt_x86_checkpoint_vdso(ctx);
}

/* The image's capability words, from its registers; unknown ones ignored */
static int ckpt_cpuid_words(struct ckpt_ctx *ctx, const struct ckpt_x86_cpuid *rec,
			    u32 len, u32 *words, bool *known)
{
	u32 nr = le32_to_cpu(rec->nr_regs), i, j;

	if (!nr || nr > CKPT_X86_CPUID_MAX || rec->__pad ||
	    len != sizeof(*rec) + nr * sizeof(rec->regs[0]))
		return ckpt_err(ctx, -EINVAL, "X86_CPUID record: bad count or length");
	for (i = 0; i < nr; i++) {
		const struct ckpt_x86_cpuid_reg *r = &rec->regs[i];

		if (le32_to_cpu(r->reg) > 3)
			return ckpt_err(ctx, -EINVAL, "X86_CPUID record: register %u",
					le32_to_cpu(r->reg));
		for (j = 0; j < ARRAY_SIZE(ckpt_cpuid_regs); j++) {
			if (le32_to_cpu(r->leaf) != ckpt_cpuid_regs[j].leaf ||
			    le32_to_cpu(r->subleaf) != ckpt_cpuid_regs[j].subleaf ||
			    le32_to_cpu(r->reg) != ckpt_cpuid_regs[j].reg)
				continue;
			words[ckpt_cpuid_regs[j].word] = le32_to_cpu(r->value);
			known[ckpt_cpuid_regs[j].word] = true;
		}
	}
	return 0;
}

/* Every user feature of the image's CPU is one of this CPU's */
static int ckpt_cpuid_check(struct ckpt_ctx *ctx, const struct ckpt_x86_cpuid *rec, u32 len)
{
	u32 words[NCAPINTS] = {};
	bool known[NCAPINTS] = {};
	int i, ret;

	ret = ckpt_cpuid_words(ctx, rec, len, words, known);
	for (i = 0; !ret && i < ARRAY_SIZE(ckpt_user_features); i++) {
		unsigned int f = ckpt_user_features[i];

		if (!known[f / 32] || !(words[f / 32] & BIT(f % 32)) || boot_cpu_has(f))
			continue;
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "this CPU lacks %s (feature %u*32+%u), which the image's CPU had and its tasks may use",
			       x86_cap_flags[f] ?: "?", f / 32, f % 32);
	}
	return ret;
}

static int ckpt_xfeatures_check(struct ckpt_ctx *ctx, u64 features)
{
	u64 missing = features & ~fpu_user_cfg.max_features;
	const char *name = "?";
	int bit;

	if (!missing)
		return 0;
	bit = __ffs64(missing);
	if (bit < ARRAY_SIZE(ckpt_xfeature_names))
		name = ckpt_xfeature_names[bit];
	return ckpt_err(ctx, -EOPNOTSUPP,
			"this CPU lacks the XSAVE component %d (%s) of the image's CPU", bit, name);
}

/**
 * ckpt_arch_restart_cpu() - can this CPU run the image's tasks?
 * @ctx: restart context, right after the HEADER
 *
 * Reads the X86_CPUID record if the image has one (images of earlier
 * kernels do not), and checks it and the HEADER's XSAVE components
 * against this CPU; then keeps the X86_VDSO record that may follow.
 *
 * Return: 0, or -EOPNOTSUPP (logged) naming what this CPU lacks, or
 * another negative error.
 */
int ckpt_arch_restart_cpu(struct ckpt_ctx *ctx)
{
	struct ckpt_x86_cpuid *rec;
	int type, ret;
	u32 len;

	ret = ckpt_xfeatures_check(ctx, le64_to_cpu(ctx->hdr.xfeatures));
	if (ret)
		return ret;
	type = ckpt_peek_rec(ctx);
	if (type < 0)
		return type;
	if (type != CKPT_REC_X86_CPUID) {
		ckpt_log(ctx, "no X86_CPUID record (an earlier kernel's image): CPU not checked");
		return 0;
	}
	rec = ckpt_read_rec_var(ctx, CKPT_REC_X86_CPUID, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	ret = ckpt_cpuid_check(ctx, rec, len);
	kvfree(rec);
	return ret ?: ckpt_x86_restart_vdso(ctx);
}
