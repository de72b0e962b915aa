// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86-64 CPU state for checkpoint/restart.
 *
 * Registers and the XSAVE area are read and written through the same
 * regsets that ptrace and core dumps use (NT_PRSTATUS, NT_X86_XSTATE), on
 * a task that is asleep, exactly like a stopped tracee.  The regset code
 * validates what is written back (segment selectors, eflags, the XSAVE
 * header, MXCSR), so a hostile image cannot load anything a debugger
 * could not.
 *
 * The XSAVE area is saved in the standard format with the component
 * offsets of the checkpointing CPU, so that it can be moved to another
 * CPU's layout as long as every component in use exists there.
 */
#include <linux/checkpoint.h>
#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/regset.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include <asm/user.h>

#include "internal.h"

#define XSTATE_CPUID		0xd
#define XSAVE_HDR_OFFSET	512
#define XSAVE_HDR_SIZE		64
#define XSAVE_LEGACY_END	(XSAVE_HDR_OFFSET + XSAVE_HDR_SIZE)

/**
 * struct ckpt_x86_thread - CPU state of a task being restored
 * @regs: general registers, for the NT_PRSTATUS regset
 * @xstate: XSAVE area in this CPU's standard layout
 */
struct ckpt_x86_thread {
	struct user_regs_struct regs;
	void *xstate;
};

static const struct user_regset *ckpt_regset(struct task_struct *t,
					     unsigned int note)
{
	const struct user_regset_view *view = task_user_regset_view(t);
	int i;

	for (i = 0; i < view->n; i++)
		if (view->regsets[i].core_note_type == note)
			return &view->regsets[i];
	return NULL;
}

static u32 ckpt_xstate_offset(int nr)
{
	u32 eax, ebx, ecx, edx;

	if (nr == 0)
		return 0;
	if (nr == 1)
		return 160;	/* XMM registers in the legacy area */
	cpuid_count(XSTATE_CPUID, nr, &eax, &ebx, &ecx, &edx);
	return ebx;
}

static u32 ckpt_xstate_size(int nr)
{
	u32 eax, ebx, ecx, edx;

	if (nr < 2)
		return 0;	/* inside the legacy area, copied whole */
	cpuid_count(XSTATE_CPUID, nr, &eax, &ebx, &ecx, &edx);
	return eax;
}

/**
 * ckpt_arch_fill_header() - describe this CPU in the image header
 * @hdr: the header
 */
void ckpt_arch_fill_header(struct ckpt_image_header *hdr)
{
	u64 features = fpu_user_cfg.max_features;
	int i;

	hdr->arch = cpu_to_le32(CKPT_ARCH_X86_64);
	hdr->xfeatures = cpu_to_le64(features);
	hdr->xstate_size = cpu_to_le32(fpu_user_cfg.max_size);
	for (i = 0; i < ARRAY_SIZE(hdr->xstate_offsets); i++)
		if (features & BIT_ULL(i))
			hdr->xstate_offsets[i] = cpu_to_le32(ckpt_xstate_offset(i));
}

/**
 * ckpt_arch_check_header() - can this CPU restore the image?
 * @ctx: restart context
 * @hdr: the image header
 *
 * Return: 0, or a negative error (logged).
 */
int ckpt_arch_check_header(struct ckpt_ctx *ctx,
			   const struct ckpt_image_header *hdr)
{
	u64 features = le64_to_cpu(hdr->xfeatures);
	u32 size = le32_to_cpu(hdr->xstate_size);
	int i;

	if (le32_to_cpu(hdr->arch) != CKPT_ARCH_X86_64)
		return ckpt_err(ctx, -ENOEXEC, "image is for architecture %u, not x86-64",
				le32_to_cpu(hdr->arch));
	if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		return ckpt_err(ctx, -EOPNOTSUPP, "this CPU has no XSAVE");
	if ((features & 3) != 3 || features >> ARRAY_SIZE(hdr->xstate_offsets) ||
	    size < XSAVE_LEGACY_END || size > 64 * 1024)
		return ckpt_err(ctx, -EINVAL, "image XSAVE description is invalid");
	for (i = 2; i < ARRAY_SIZE(hdr->xstate_offsets); i++) {
		u32 off = le32_to_cpu(hdr->xstate_offsets[i]);

		if (!(features & BIT_ULL(i)) ? off != 0 :
		    off < XSAVE_LEGACY_END || off >= size)
			return ckpt_err(ctx, -EINVAL, "image XSAVE component %d is misplaced", i);
	}
	if (features != fpu_user_cfg.max_features)
		ckpt_log(ctx, "image XSAVE features %#llx, this CPU %#llx",
			 features, fpu_user_cfg.max_features);
	return 0;
}

/**
 * ckpt_arch_check_task() - can the CPU state of @t be saved?
 * @ctx: checkpoint context
 * @t: the task
 *
 * Return: 0, or a negative error (logged) naming what is in the way.
 */
int ckpt_arch_check_task(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct mm_struct *mm __maybe_unused = t->mm;
	static const struct desc_struct zero_tls[GDT_ENTRY_TLS_ENTRIES];
	const char *why = NULL;

	if (test_tsk_thread_flag(t, TIF_ADDR32) ||
	    !user_64bit_mode(task_pt_regs(t)))
		why = "is a 32-bit task";
	else if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		why = "runs on a CPU without XSAVE";
	else if (t->thread.io_bitmap)
		why = "has I/O port permissions (ioperm)";
	else if (memcmp(t->thread.tls_array, zero_tls, sizeof(zero_tls)))
		why = "uses set_thread_area() TLS";
	else if (test_tsk_thread_flag(t, TIF_NOCPUID))
		why = "has CPUID faulting enabled";
#ifdef CONFIG_X86_USER_SHADOW_STACK
	else if (t->thread.features)
		why = "uses shadow stacks";
#endif
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	else if (mm && READ_ONCE(mm->context.ldt))
		why = "has an LDT";
#endif
#ifdef CONFIG_ADDRESS_MASKING
	else if (mm && mm->context.lam_cr3_mask)
		why = "uses linear address masking";
#endif
	if (why)
		return ckpt_err(ctx, -EOPNOTSUPP, "task %d %s (not supported yet)",
				task_pid_vnr(t), why);
	return 0;
}

static void ckpt_regs_to_image(const struct user_regs_struct *r,
			       struct ckpt_x86_regs *o)
{
	o->r15 = cpu_to_le64(r->r15);
	o->r14 = cpu_to_le64(r->r14);
	o->r13 = cpu_to_le64(r->r13);
	o->r12 = cpu_to_le64(r->r12);
	o->bp = cpu_to_le64(r->bp);
	o->bx = cpu_to_le64(r->bx);
	o->r11 = cpu_to_le64(r->r11);
	o->r10 = cpu_to_le64(r->r10);
	o->r9 = cpu_to_le64(r->r9);
	o->r8 = cpu_to_le64(r->r8);
	o->ax = cpu_to_le64(r->ax);
	o->cx = cpu_to_le64(r->cx);
	o->dx = cpu_to_le64(r->dx);
	o->si = cpu_to_le64(r->si);
	o->di = cpu_to_le64(r->di);
	o->orig_ax = cpu_to_le64(r->orig_ax);
	o->ip = cpu_to_le64(r->ip);
	o->cs = cpu_to_le64(r->cs);
	o->flags = cpu_to_le64(r->flags);
	o->sp = cpu_to_le64(r->sp);
	o->ss = cpu_to_le64(r->ss);
	o->fs_base = cpu_to_le64(r->fs_base);
	o->gs_base = cpu_to_le64(r->gs_base);
	o->ds = cpu_to_le64(r->ds);
	o->es = cpu_to_le64(r->es);
	o->fs = cpu_to_le64(r->fs);
	o->gs = cpu_to_le64(r->gs);
}

static void ckpt_regs_from_image(const struct ckpt_x86_regs *o,
				 struct user_regs_struct *r)
{
	r->r15 = le64_to_cpu(o->r15);
	r->r14 = le64_to_cpu(o->r14);
	r->r13 = le64_to_cpu(o->r13);
	r->r12 = le64_to_cpu(o->r12);
	r->bp = le64_to_cpu(o->bp);
	r->bx = le64_to_cpu(o->bx);
	r->r11 = le64_to_cpu(o->r11);
	r->r10 = le64_to_cpu(o->r10);
	r->r9 = le64_to_cpu(o->r9);
	r->r8 = le64_to_cpu(o->r8);
	r->ax = le64_to_cpu(o->ax);
	r->cx = le64_to_cpu(o->cx);
	r->dx = le64_to_cpu(o->dx);
	r->si = le64_to_cpu(o->si);
	r->di = le64_to_cpu(o->di);
	r->orig_ax = le64_to_cpu(o->orig_ax);
	r->ip = le64_to_cpu(o->ip);
	r->cs = le64_to_cpu(o->cs);
	r->flags = le64_to_cpu(o->flags);
	r->sp = le64_to_cpu(o->sp);
	r->ss = le64_to_cpu(o->ss);
	r->fs_base = le64_to_cpu(o->fs_base);
	r->gs_base = le64_to_cpu(o->gs_base);
	r->ds = le64_to_cpu(o->ds);
	r->es = le64_to_cpu(o->es);
	r->fs = le64_to_cpu(o->fs);
	r->gs = le64_to_cpu(o->gs);
}

/*
 * Keep of a standard-format XSAVE area only the components the task uses
 * (set in XSTATE_BV), packed after the header in increasing order, so that
 * an unused AVX-512 or MPX area is not written for every thread.  Returns
 * the packed size.
 */
static u32 ckpt_xstate_pack(u8 *buf, u32 size)
{
	u32 pos = XSAVE_LEGACY_END, off, n;
	u64 bv;
	int i;

	memcpy(&bv, buf + XSAVE_HDR_OFFSET, sizeof(bv));
	bv &= fpu_user_cfg.max_features;
	for (i = 2; i < BITS_PER_LONG_LONG; i++) {
		if (!(bv & BIT_ULL(i)))
			continue;
		off = ckpt_xstate_offset(i);
		n = ckpt_xstate_size(i);
		if (WARN_ON_ONCE(off < pos || off + n > size))
			return size;
		memmove(buf + pos, buf + off, n);
		pos += n;
	}
	return pos;
}

/**
 * ckpt_arch_checkpoint_thread() - write the CPU state of a frozen task
 * @ctx: checkpoint context
 * @t: the task, asleep
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_arch_checkpoint_thread(struct ckpt_ctx *ctx, struct task_struct *t)
{
	const struct user_regset *gen = ckpt_regset(t, NT_PRSTATUS);
	const struct user_regset *xs = ckpt_regset(t, NT_X86_XSTATE);
	struct ckpt_x86_xstate xrec = {};
	struct user_regs_struct regs;
	struct ckpt_x86_regs rec;
	unsigned int size = fpu_user_cfg.max_size;
	void *buf;
	int ret;

	if (!gen || !xs)
		return ckpt_err(ctx, -EOPNOTSUPP, "no register sets for task %d",
				task_pid_vnr(t));
	ret = regset_get(t, gen, sizeof(regs), &regs);
	if (ret < 0)
		return ckpt_err(ctx, ret, "cannot read the registers of task %d",
				task_pid_vnr(t));
	ckpt_regs_to_image(&regs, &rec);
	ret = ckpt_write_rec(ctx, CKPT_REC_X86_REGS, &rec, sizeof(rec));
	if (ret)
		return ret;

	buf = kvzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = regset_get(t, xs, size, buf);
	if (ret < 0) {
		ckpt_err(ctx, ret, "cannot read the FPU state of task %d",
			 task_pid_vnr(t));
	} else {
		size = ckpt_xstate_pack(buf, size);
		xrec.xfeatures = cpu_to_le64(fpu_user_cfg.max_features);
		xrec.size = cpu_to_le32(size);
		xrec.flags = cpu_to_le32(CKPT_X86_XSTATE_PACKED);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_X86_XSTATE, &xrec,
					 sizeof(xrec), buf, size);
	}
	kvfree(buf);
	return ret;
}

/*
 * Move an XSAVE area from the image's layout to this CPU's.  Components
 * that the task has in its initial state (clear in XSTATE_BV) need not
 * exist here.
 */
static int ckpt_xstate_convert(struct ckpt_ctx *ctx, const u8 *in, u32 in_size,
			       bool packed, u8 *out)
{
	const struct ckpt_image_header *hdr = &ctx->hdr;
	u64 in_features = le64_to_cpu(hdr->xfeatures);
	u32 pos = XSAVE_LEGACY_END;
	u64 bv, missing;
	int i;

	memcpy(out, in, XSAVE_LEGACY_END);
	memcpy(&bv, in + XSAVE_HDR_OFFSET, sizeof(bv));
	missing = bv & ~fpu_user_cfg.max_features;
	if (bv & ~in_features)
		return ckpt_err(ctx, -EINVAL, "XSAVE area uses features %#llx it does not describe",
				bv & ~in_features);
	if (missing)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the task uses XSAVE features %#llx this CPU lacks",
				missing);
	for (i = 2; i < ARRAY_SIZE(hdr->xstate_offsets); i++) {
		u32 from, to, n;

		if (!(bv & BIT_ULL(i)))
			continue;
		from = packed ? pos : le32_to_cpu(hdr->xstate_offsets[i]);
		to = ckpt_xstate_offset(i);
		n = ckpt_xstate_size(i);
		if (from + n > in_size || to + n > fpu_user_cfg.max_size)
			return ckpt_err(ctx, -EINVAL, "XSAVE component %d does not fit", i);
		memcpy(out + to, in + from, n);
		pos += n;
	}
	if (packed && pos != in_size)
		return ckpt_err(ctx, -EINVAL, "packed XSAVE area of %u bytes holds %u",
				in_size, pos);
	return 0;
}

/**
 * ckpt_arch_restart_read() - read the CPU state of a task being restored
 * @ctx: restart context
 * @rt: the task
 *
 * The state is kept until ckpt_arch_restart_apply() loads it.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_arch_restart_read(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	const struct ckpt_image_header *hdr = &ctx->hdr;
	struct ckpt_x86_thread *th;
	struct ckpt_x86_xstate *xrec;
	struct ckpt_x86_regs rec;
	u32 len, size, flags;
	int ret;

	th = kzalloc(sizeof(*th), GFP_KERNEL);
	if (!th)
		return -ENOMEM;
	rt->arch = th;
	ret = ckpt_read_rec(ctx, CKPT_REC_X86_REGS, &rec, sizeof(rec));
	if (ret)
		return ret;
	ckpt_regs_from_image(&rec, &th->regs);
	if (th->regs.cs != __USER_CS || th->regs.ss != __USER_DS)
		return ckpt_err(ctx, -EOPNOTSUPP, "task %d was not in 64-bit mode", rt->pid);
	ret = ckpt_x86_check_ip(ctx, rt->pid, th->regs.ip);
	if (ret)
		return ret;

	xrec = ckpt_read_rec_var(ctx, CKPT_REC_X86_XSTATE, sizeof(*xrec), &len);
	if (IS_ERR(xrec))
		return PTR_ERR(xrec);
	size = le32_to_cpu(xrec->size);
	flags = le32_to_cpu(xrec->flags);
	if (le64_to_cpu(xrec->xfeatures) != le64_to_cpu(hdr->xfeatures) ||
	    flags & ~CKPT_X86_XSTATE_PACKED ||
	    (flags ? size < XSAVE_LEGACY_END ||
		     size > le32_to_cpu(hdr->xstate_size) :
		     size != le32_to_cpu(hdr->xstate_size)) ||
	    len != ALIGN(sizeof(*xrec) + size, 8)) {
		ret = ckpt_err(ctx, -EINVAL, "X86_XSTATE record does not match the header");
		goto out;
	}
	th->xstate = kvzalloc(fpu_user_cfg.max_size, GFP_KERNEL);
	if (!th->xstate) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ckpt_xstate_convert(ctx, (u8 *)(xrec + 1), size, flags, th->xstate);
out:
	kvfree(xrec);
	return ret;
}

/**
 * ckpt_arch_restart_apply() - load the CPU state into a restored task
 * @ctx: restart context
 * @rt: the task, asleep and off-CPU
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_arch_restart_apply(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct ckpt_x86_thread *th = rt->arch;
	struct task_struct *t = rt->task;
	const struct user_regset *gen = ckpt_regset(t, NT_PRSTATUS);
	const struct user_regset *xs = ckpt_regset(t, NT_X86_XSTATE);
	int ret;

	if (!gen || !xs)
		return ckpt_err(ctx, -EOPNOTSUPP, "no register sets");
	ret = gen->set(t, gen, 0, sizeof(th->regs), &th->regs, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "task %d: the saved registers are invalid", rt->pid);
	ret = xs->set(t, xs, 0, fpu_user_cfg.max_size, th->xstate, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "task %d: the saved FPU state is invalid", rt->pid);
	return 0;
}

/**
 * ckpt_arch_restart_free() - free what ckpt_arch_restart_read() kept
 * @rt: the task
 */
void ckpt_arch_restart_free(struct ckpt_rtask *rt)
{
	struct ckpt_x86_thread *th = rt->arch;

	if (th)
		kvfree(th->xstate);
	kfree(th);
	rt->arch = NULL;
}

/**
 * ckpt_arch_syscall_ret() - the saved syscall return register
 * @rt: a task whose state was read
 *
 * Return: the value.
 */
unsigned long ckpt_arch_syscall_ret(struct ckpt_rtask *rt)
{
	return ((struct ckpt_x86_thread *)rt->arch)->regs.ax;
}

/**
 * ckpt_arch_set_syscall_ret() - change the saved syscall return register
 * @rt: a task whose state was read
 * @ret: the new value
 */
void ckpt_arch_set_syscall_ret(struct ckpt_rtask *rt, unsigned long ret)
{
	((struct ckpt_x86_thread *)rt->arch)->regs.ax = ret;
}
