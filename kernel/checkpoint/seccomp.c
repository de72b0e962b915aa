// SPDX-License-Identifier: GPL-2.0-only
/*
 * seccomp state of a task: its mode and, in filter mode, its chain of
 * filters.  Each filter is an object (SECCOMP record) that names the filter
 * installed before it, so that a chain shared by threads and by processes
 * forked after it was installed is written once and shared again after
 * restart.
 *
 * At restart every chain is rebuilt on top of the restart caller's own
 * filters, which a task it creates inherits anyway: a restored task is
 * never less restricted than its restorer, and no privilege is needed to
 * give it filters, which only restrict it.
 */
#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/filter.h>
#include <linux/mm.h>
#include <linux/seccomp.h>
#include <linux/slab.h>

#include "checkpoint.h"

#if IS_ENABLED(CONFIG_SECCOMP_FILTER) && IS_ENABLED(CONFIG_CHECKPOINT_RESTORE)

static_assert(CKPT_SECCOMP_LOG == SECCOMP_FILTER_FLAG_LOG);
static_assert(sizeof(struct ckpt_sock_filter) == sizeof(struct sock_filter));

static int ckpt_seccomp_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct seccomp_filter_info info;
	struct ckpt_seccomp rec = {};
	struct ckpt_sock_filter *insns;
	u32 prev_ref, i;
	int ret;

	seccomp_filter_describe(ptr, &info);
	if (info.has_listener)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"seccomp filter %u has a user notification listener (not supported)",
				objref);
	if (!info.prog)
		return ckpt_err(ctx, -EOPNOTSUPP, "seccomp filter %u is not classic BPF",
				objref);
	/* Written already: the chain is walked from its oldest filter */
	ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_seccomp, info.prev, &prev_ref);
	if (ret)
		return ret;

	insns = kvmalloc_array(info.prog->len, sizeof(*insns), GFP_KERNEL);
	if (!insns)
		return -ENOMEM;
	for (i = 0; i < info.prog->len; i++) {
		const struct sock_filter *f = &info.prog->filter[i];

		insns[i].code = cpu_to_le16(f->code);
		insns[i].jt = f->jt;
		insns[i].jf = f->jf;
		insns[i].k = cpu_to_le32(f->k);
	}
	rec.objref = cpu_to_le32(objref);
	rec.prev_ref = cpu_to_le32(prev_ref);
	rec.flags = cpu_to_le32(info.flags & SECCOMP_FILTER_FLAG_LOG);
	rec.len = cpu_to_le32(info.prog->len);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_SECCOMP, &rec, sizeof(rec), insns,
				 info.prog->len * sizeof(*insns));
	kvfree(insns);
	return ret;
}

/* A filter with the classic BPF program of @rec, on top of @prev */
static struct seccomp_filter *ckpt_seccomp_build(struct ckpt_ctx *ctx,
						 const struct ckpt_seccomp *rec,
						 u32 objref,
						 struct seccomp_filter *prev)
{
	const struct ckpt_sock_filter *insns = (const void *)(rec + 1);
	struct seccomp_filter *filter;
	struct sock_fprog_kern fprog;
	u32 i;

	fprog.len = le32_to_cpu(rec->len);
	fprog.filter = kvmalloc_array(fprog.len, sizeof(*fprog.filter), GFP_KERNEL);
	if (!fprog.filter)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < fprog.len; i++) {
		fprog.filter[i].code = le16_to_cpu(insns[i].code);
		fprog.filter[i].jt = insns[i].jt;
		fprog.filter[i].jf = insns[i].jf;
		fprog.filter[i].k = le32_to_cpu(insns[i].k);
	}
	filter = seccomp_filter_restore(&fprog, le32_to_cpu(rec->flags), prev);
	kvfree(fprog.filter);
	if (IS_ERR(filter))
		ckpt_err(ctx, PTR_ERR(filter),
			 PTR_ERR(filter) == -EINVAL ?
			 "seccomp filter %u: invalid program" :
			 "seccomp filter %u: cannot build it (chain too long?)",
			 objref);
	return filter;
}

static void *ckpt_seccomp_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct seccomp_filter *filter = NULL, *prev, *base = NULL;
	struct ckpt_seccomp *rec;
	u32 len, n, prev_ref;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_SECCOMP, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;
	n = le32_to_cpu(rec->len);
	prev_ref = le32_to_cpu(rec->prev_ref);
	if (!n || n > BPF_MAXINSNS ||
	    len != sizeof(*rec) + n * sizeof(struct ckpt_sock_filter) ||
	    le32_to_cpu(rec->flags) & ~CKPT_SECCOMP_LOG) {
		ret = ckpt_err(ctx, -EINVAL,
			       "SECCOMP record %u is malformed (%u instructions in %u bytes, flags %#x)",
			       *objref, n, len, le32_to_cpu(rec->flags));
		goto out;
	}
	if (prev_ref) {
		/* Defined before, as a filter: chains cannot loop */
		prev = ckpt_obj_lookup(ctx, CKPT_OBJ_seccomp, prev_ref);
		if (!prev) {
			ret = -EINVAL;
			goto out;
		}
	} else {
		/* The oldest filter goes on top of the restart caller's */
		base = seccomp_filter_get_task(ctx->caller);
		prev = base;
	}
	filter = ckpt_seccomp_build(ctx, rec, *objref, prev);
	seccomp_filter_put(base);
	if (IS_ERR(filter))
		ret = PTR_ERR(filter);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : filter;
}

static void ckpt_seccomp_grab(void *ptr)
{
	seccomp_filter_get(ptr);
}

static void ckpt_seccomp_drop(void *ptr)
{
	seccomp_filter_put(ptr);
}

/* Write the filters of @t, oldest first; returns the newest one's id */
static int ckpt_checkpoint_chain(struct ckpt_ctx *ctx, struct task_struct *t,
				 u32 *objref)
{
	struct seccomp_filter_info info;
	struct seccomp_filter *top, *f, **chain;
	unsigned int n = 0, i;
	int ret = 0;

	top = seccomp_filter_get_task(t);
	if (!top)
		return ckpt_err(ctx, -EINVAL, "task %d: seccomp filter mode without a filter",
				task_pid_vnr(t));
	/*
	 * Filters are immutable and each holds its predecessor: the chain
	 * stays as it is while we hold its newest filter.  Writing it from
	 * the oldest filter on bounds the recursion of ckpt_obj_checkpoint()
	 * to one level, however long the chain.
	 */
	for (f = top; f; f = info.prev) {
		seccomp_filter_describe(f, &info);
		n++;
	}
	chain = kvmalloc_array(n, sizeof(*chain), GFP_KERNEL);
	if (!chain) {
		seccomp_filter_put(top);
		return -ENOMEM;
	}
	for (i = 0, f = top; f; f = info.prev) {
		chain[i++] = f;
		seccomp_filter_describe(f, &info);
	}
	while (!ret && n--)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_seccomp, chain[n], objref);
	kvfree(chain);
	seccomp_filter_put(top);
	return ret;
}

/**
 * ckpt_checkpoint_seccomp() - save the seccomp state of a frozen task
 * @ctx: checkpoint context
 * @t: the task
 * @rec: its TASK record, whose seccomp fields are filled in
 *
 * Writes the filters of @t that were not written for another task.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_seccomp(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_task *rec)
{
	int mode = READ_ONCE(t->seccomp.mode);
	u32 ref = 0;
	int ret;

	switch (mode) {
	case SECCOMP_MODE_DISABLED:
	case SECCOMP_MODE_STRICT:
		break;
	case SECCOMP_MODE_FILTER:
		ret = ckpt_checkpoint_chain(ctx, t, &ref);
		if (ret)
			return ret;
		break;
	default:
		return ckpt_err(ctx, -EOPNOTSUPP, "task %d: unknown seccomp mode %d",
				task_pid_vnr(t), mode);
	}
	rec->seccomp_mode = cpu_to_le32(mode);
	rec->seccomp_ref = cpu_to_le32(ref);
	return 0;
}

/**
 * ckpt_restore_seccomp() - give the task being restored its seccomp state
 * @ctx: restart context
 * @rt: the task (current)
 * @rec: its TASK record
 *
 * The task was born with the filters of the task that created it, which
 * may be a restored parent with filters of its own: its state is replaced
 * by the one of the image, on top of the restart caller's filters.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restore_seccomp(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			 const struct ckpt_task *rec)
{
	u32 mode = le32_to_cpu(rec->seccomp_mode);
	u32 ref = le32_to_cpu(rec->seccomp_ref);
	struct seccomp_filter *filter;

	switch (mode) {
	case SECCOMP_MODE_DISABLED:
		if (ref)
			break;
		filter = seccomp_filter_get_task(ctx->caller);
		seccomp_restore_mode(filter ? SECCOMP_MODE_FILTER :
				     SECCOMP_MODE_DISABLED, filter);
		seccomp_filter_put(filter);
		return 0;
	case SECCOMP_MODE_STRICT:
		if (ref)
			break;
		/* Strict mode would lift what the caller's filters forbid */
		if (READ_ONCE(ctx->caller->seccomp.mode) != SECCOMP_MODE_DISABLED)
			return ckpt_err(ctx, -EPERM,
					"task %d: strict seccomp mode cannot be restored by a task under seccomp",
					rt->pid);
		seccomp_restore_mode(SECCOMP_MODE_STRICT, NULL);
		return 0;
	case SECCOMP_MODE_FILTER:
		filter = ckpt_obj_lookup(ctx, CKPT_OBJ_seccomp, ref);
		if (!filter)
			return -EINVAL;
		/*
		 * seccomp(2)'s rule: a filter could make a setuid program
		 * misbehave, so it needs no_new_privs or CAP_SYS_ADMIN.
		 */
		if (!(le32_to_cpu(rec->flags) & CKPT_TASK_NO_NEW_PRIVS) &&
		    !ckpt_caller_capable(ctx, current_user_ns(), CAP_SYS_ADMIN))
			return ckpt_err(ctx, -EACCES,
					"task %d: seccomp filters without no_new_privs need CAP_SYS_ADMIN",
					rt->pid);
		seccomp_restore_mode(SECCOMP_MODE_FILTER, filter);
		return 0;
	}
	return ckpt_err(ctx, -EINVAL, "task %d: invalid seccomp state (mode %u, filter %u)",
			rt->pid, mode, ref);
}

#else /* !(CONFIG_SECCOMP_FILTER && CONFIG_CHECKPOINT_RESTORE) */

static int ckpt_seccomp_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	return -EOPNOTSUPP;
}

static void *ckpt_seccomp_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	return ERR_PTR(ckpt_err(ctx, -EOPNOTSUPP,
				"seccomp filters are not supported by this kernel"));
}

static void ckpt_seccomp_grab(void *ptr)
{
}

static void ckpt_seccomp_drop(void *ptr)
{
}

int ckpt_checkpoint_seccomp(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_task *rec)
{
	if (READ_ONCE(t->seccomp.mode) == SECCOMP_MODE_DISABLED)
		return 0;
	return ckpt_err(ctx, -EOPNOTSUPP,
			"task %d uses seccomp (needs CONFIG_SECCOMP_FILTER and CONFIG_CHECKPOINT_RESTORE)",
			task_pid_vnr(t));
}

int ckpt_restore_seccomp(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			 const struct ckpt_task *rec)
{
	if (!rec->seccomp_mode && !rec->seccomp_ref)
		return 0;
	return ckpt_err(ctx, -EOPNOTSUPP,
			"task %d: seccomp state needs CONFIG_SECCOMP_FILTER and CONFIG_CHECKPOINT_RESTORE",
			rt->pid);
}

#endif

const struct ckpt_obj_ops ckpt_obj_seccomp_ops = {
	.name = "seccomp filter",
	.rec = CKPT_REC_SECCOMP,
	.checkpoint = ckpt_seccomp_checkpoint,
	.restart = ckpt_seccomp_restart,
	.grab = ckpt_seccomp_grab,
	.drop = ckpt_seccomp_drop,
};
