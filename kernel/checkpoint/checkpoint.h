/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal interfaces of kernel/checkpoint/ */
#ifndef _KERNEL_CHECKPOINT_H
#define _KERNEL_CHECKPOINT_H

#include <linux/checkpoint.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>

/*
 * The signal handlers of a task that is frozen, or being restored, or
 * current: only exec could change the pointer, and such a task cannot exec.
 */
static inline struct sighand_struct *ckpt_sighand(struct task_struct *t)
{
	return rcu_dereference_protected(t->sighand, 1);
}

/* util.c */
int ckpt_wait_asleep(struct task_struct *t);

/* image.c */
int ckpt_image_init(struct ckpt_ctx *ctx);
void ckpt_image_fini(struct ckpt_ctx *ctx);
int ckpt_write_trailer(struct ckpt_ctx *ctx);
int ckpt_read_trailer(struct ckpt_ctx *ctx);

/* objhash.c */
int ckpt_objhash_init(struct ckpt_ctx *ctx);
void ckpt_objhash_fini(struct ckpt_ctx *ctx);
const struct ckpt_obj_ops *ckpt_obj_ops_of(enum ckpt_obj_kind kind);
int ckpt_check_objs(struct ckpt_ctx *ctx, bool leaks);
int ckpt_finish_objs(struct ckpt_ctx *ctx);
void ckpt_thaw_objs(struct ckpt_ctx *ctx, enum ckpt_thaw how);

/* seccomp.c */
int ckpt_checkpoint_seccomp(struct ckpt_ctx *ctx, struct task_struct *t,
			    struct ckpt_task *rec);
int ckpt_restore_seccomp(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			 const struct ckpt_task *rec);

/* ns.c */
int ckpt_write_namespaces(struct ckpt_ctx *ctx);
int ckpt_namespaces_finish(struct ckpt_ctx *ctx);
void ckpt_park_namespaces(struct ckpt_ctx *ctx);

/* Scheduling (sched.c) */
int ckpt_checkpoint_sched(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_sched(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
int ckpt_read_namespaces(struct ckpt_ctx *ctx);
u64 ckpt_namespaces_clone_flags(struct ckpt_ctx *ctx);
int ckpt_enter_namespaces(struct ckpt_ctx *ctx);
void ckpt_namespaces_free(struct ckpt_ctx *ctx);

/* checkpoint.c, restart.c */
long ckpt_do_checkpoint(struct ckpt_ctx *ctx, pid_t pid);
long ckpt_do_restart(struct ckpt_ctx *ctx);

#endif /* _KERNEL_CHECKPOINT_H */
