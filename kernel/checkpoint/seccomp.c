// SPDX-License-Identifier: GPL-2.0-only
/*
 * seccomp filters of a task.  Not supported yet: a task that uses seccomp
 * makes checkpoint fail, and an image that names a filter is refused.
 */
#include <linux/checkpoint.h>
#include <linux/seccomp.h>

#include "checkpoint.h"

/**
 * ckpt_checkpoint_seccomp() - save the seccomp state of a frozen task
 * @ctx: checkpoint context
 * @t: the task
 * @rec: its TASK record, whose seccomp fields are filled in
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_seccomp(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_task *rec)
{
	if (READ_ONCE(t->seccomp.mode) == SECCOMP_MODE_DISABLED)
		return 0;
	return ckpt_err(ctx, -EOPNOTSUPP, "task %d uses seccomp (not supported yet)",
			task_pid_vnr(t));
}

/**
 * ckpt_restore_seccomp() - give the task being restored its seccomp state
 * @ctx: restart context
 * @rt: the task (current)
 * @rec: its TASK record
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restore_seccomp(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			 const struct ckpt_task *rec)
{
	if (!rec->seccomp_mode && !rec->seccomp_ref)
		return 0;
	return ckpt_err(ctx, -EOPNOTSUPP, "task %d: seccomp state is not supported yet",
			rt->pid);
}
