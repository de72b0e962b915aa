// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of a file's asynchronous I/O owner: O_ASYNC, the
 * owner set with F_SETOWN or F_SETOWN_EX, and the signal of F_SETSIG.
 *
 * Any kind of file may have them, so fs/checkpoint.c writes a FOWN record
 * after the records of the file's kind.  The owner is a thread, a process
 * or a process group of the image; the task that reads the record may be
 * restored before it, so the owner is given back once every task exists
 * (ckpt_defer()), with the restored credentials of a task of the owner, as
 * that task's own fcntl(F_SETOWN) would.  O_ASYNC is enabled again on
 * the lowest descriptor of the file, which becomes the si_fd of the
 * signals to come.
 */
#include <linux/checkpoint_file.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>

struct ckpt_fown_load {
	struct ckpt_deferred d;
	struct file *file;
	pid_t pid;
	u32 type;
	u32 signum;
	int fd;
	u32 flags;
};

static const enum pid_type ckpt_fown_types[] = {
	[F_OWNER_TID] = PIDTYPE_PID,
	[F_OWNER_PID] = PIDTYPE_TGID,
	[F_OWNER_PGRP] = PIDTYPE_PGID,
};

/* Whether a task of the tree is attached to @pid as @type */
static bool ckpt_fown_in_tree(struct ckpt_ctx *ctx, struct pid *pid, enum pid_type type)
{
	struct task_struct *p;
	bool found = false;

	rcu_read_lock();
	do_each_pid_task(pid, type, p) {
		if (xa_load(&ctx->tree_pids, task_pid_nr_ns(p, ctx->pidns))) {
			found = true;
			goto out;
		}
	} while_each_pid_task(pid, type, p);
out:
	rcu_read_unlock();
	return found;
}

/* The owner of @fown in @rec, if it is one of the tree */
static int ckpt_fown_owner(struct ckpt_ctx *ctx, struct fown_struct *fown,
			   struct ckpt_fown *rec, u32 objref)
{
	enum pid_type type;
	struct pid *pid;
	u32 t;

	read_lock_irq(&fown->lock);
	pid = get_pid(fown->pid);
	type = fown->pid_type;
	rec->signum = cpu_to_le32(fown->signum);
	read_unlock_irq(&fown->lock);
	if (!pid)
		return 0;
	for (t = 0; t < ARRAY_SIZE(ckpt_fown_types); t++)
		if (ckpt_fown_types[t] == type)
			break;
	rec->pid = cpu_to_le32(pid_nr_ns(pid, ctx->pidns));
	rec->type = cpu_to_le32(t);
	if (t == ARRAY_SIZE(ckpt_fown_types) || !rec->pid ||
	    !ckpt_fown_in_tree(ctx, pid, type)) {
		put_pid(pid);
		return ckpt_err(ctx, -EOPNOTSUPP,
				"file (object %u): its O_ASYNC owner is not a task of the tree",
				objref);
	}
	put_pid(pid);
	return 0;
}

/**
 * ckpt_fown_checkpoint() - write a file's FOWN record, if it needs one
 * @ctx: checkpoint context
 * @file: the file, whose kind's records are written
 * @objref: its id
 * @kind: its CKPT_FILE_* kind
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_fown_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref, u32 kind)
{
	struct fown_struct *fown = file_f_owner(file);
	struct ckpt_fown rec = {
		.fd = cpu_to_le32(ctx->fd_hint),
		.flags = cpu_to_le32(file->f_flags & FASYNC ? CKPT_FOWN_ASYNC : 0),
	};
	int ret;

	if (fown) {
		ret = ckpt_fown_owner(ctx, fown, &rec, objref);
		if (ret)
			return ret;
	}
	if (!rec.pid && !rec.signum && !rec.flags)
		return 0;
	/* Restart uses the caller's own terminal file: not ours to change */
	if (kind == CKPT_FILE_TTY)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"a terminal from outside the tree (object %u) has O_ASYNC or an owner (not supported)",
				objref);
	return ckpt_write_rec(ctx, CKPT_REC_FOWN, &rec, sizeof(rec));
}

/* The task of the image whose credentials give the owner back, or NULL */
static struct ckpt_rtask *ckpt_fown_rtask(struct ckpt_ctx *ctx, pid_t nr, u32 type)
{
	struct ckpt_rtask *rt;
	u32 i;

	if (type != F_OWNER_PGRP) {
		rt = ckpt_rtask_of(ctx, nr);
		return rt && (type == F_OWNER_TID || rt->tgid == nr) ? rt : NULL;
	}
	for (i = 0; i < ctx->nr_tasks; i++)
		if (ctx->rtasks[i].pgid == nr)
			return &ctx->rtasks[i];
	return NULL;
}

static int ckpt_fown_run(struct ckpt_ctx *ctx, struct ckpt_deferred *d)
{
	struct ckpt_fown_load *l = container_of(d, struct ckpt_fown_load, d);
	struct file *file = l->file;
	const struct ckpt_rtask *rt = NULL;
	const struct cred *cred, *old;
	struct task_struct *t;
	int ret;

	if (l->pid)
		rt = ckpt_fown_rtask(ctx, l->pid, l->type);
	ret = file_f_owner_allocate(file);
	if (ret)
		return ret;
	if (l->flags & CKPT_FOWN_ASYNC) {
		ret = file->f_op->fasync(l->fd, file, 1);
		if (ret < 0)
			return ckpt_err(ctx, ret, "FOWN: cannot set O_ASYNC again on fd %d", l->fd);
	}
	file_f_owner(file)->signum = l->signum;
	if (!rt)
		return 0;
	/* As the owner's fcntl(F_SETOWN_EX), with the credentials it goes on with */
	t = rt->task;
	cred = ckpt_rtask_cred(rt);
	old = override_creds(cred);
	__f_setown(file, l->type == F_OWNER_PGRP ? task_pgrp(t) : task_pid(t),
		   ckpt_fown_types[l->type], 1);
	revert_creds(old);
	put_cred(cred);
	return 0;
}

static void ckpt_fown_free(struct ckpt_deferred *d)
{
	struct ckpt_fown_load *l = container_of(d, struct ckpt_fown_load, d);

	fput(l->file);
	kfree(l);
}

static int ckpt_fown_check(struct ckpt_ctx *ctx, const struct ckpt_fown *rec,
			   struct file *file)
{
	u32 type = le32_to_cpu(rec->type), flags = le32_to_cpu(rec->flags);
	s32 pid = le32_to_cpu(rec->pid);

	if (pid < 0 || type >= ARRAY_SIZE(ckpt_fown_types) ||
	    !valid_signal(le32_to_cpu(rec->signum)) || flags & ~CKPT_FOWN_ASYNC ||
	    rec->__pad)
		return ckpt_err(ctx, -EINVAL, "FOWN: invalid owner, type, signal or flags");
	if (pid && !ckpt_fown_rtask(ctx, pid, type))
		return ckpt_err(ctx, -EINVAL, "FOWN: owner %d is not a task of the TREE", pid);
	if ((flags & CKPT_FOWN_ASYNC) && !file->f_op->fasync)
		return ckpt_err(ctx, -EINVAL, "FOWN: O_ASYNC on a file without asynchronous I/O");
	return 0;
}

/**
 * ckpt_fown_restart() - read a file's FOWN record, if one is next
 * @ctx: restart context
 * @file: the file its kind has just restored
 * @kind: its CKPT_FILE_* kind
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_fown_restart(struct ckpt_ctx *ctx, struct file *file, u32 kind)
{
	struct ckpt_fown_load *l;
	struct ckpt_fown rec;
	int ret;

	if (ckpt_peek_rec(ctx) != CKPT_REC_FOWN)
		return 0;
	if (kind == CKPT_FILE_TTY)
		return ckpt_err(ctx, -EINVAL, "FOWN: of the caller's terminal");
	ret = ckpt_read_rec(ctx, CKPT_REC_FOWN, &rec, sizeof(rec)) ?:
	      ckpt_fown_check(ctx, &rec, file);
	if (ret)
		return ret;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->file = get_file(file);
	l->pid = le32_to_cpu(rec.pid);
	l->type = le32_to_cpu(rec.type);
	l->signum = le32_to_cpu(rec.signum);
	l->fd = le32_to_cpu(rec.fd);
	l->flags = le32_to_cpu(rec.flags);
	l->d.run = ckpt_fown_run;
	l->d.free = ckpt_fown_free;
	ckpt_defer(ctx, &l->d);
	return 0;
}
