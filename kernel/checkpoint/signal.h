/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _KERNEL_CHECKPOINT_SIGNAL_H
#define _KERNEL_CHECKPOINT_SIGNAL_H

#include <linux/signal.h>

/**
 * struct ckpt_sigqueue - pending signals read from an image
 * @info: the siginfos, oldest first
 * @shared: for each, whether it was pending for the whole thread group
 * @nr: how many
 */
struct ckpt_sigqueue {
	kernel_siginfo_t *info;
	bool *shared;
	unsigned int nr;
};

int ckpt_checkpoint_sigpending(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_sigpending(struct ckpt_ctx *ctx, struct ckpt_sigqueue *q);
void ckpt_sigqueue_post(struct ckpt_sigqueue *q);
void ckpt_sigqueue_free(struct ckpt_sigqueue *q);

#endif
