/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the parts of the x86 checkpoint/restart back end */
#ifndef _X86_CHECKPOINT_INTERNAL_H
#define _X86_CHECKPOINT_INTERNAL_H

#include <linux/checkpoint.h>

/* vdso.c */
int ckpt_x86_checkpoint_vdso(struct ckpt_ctx *ctx);
int ckpt_x86_restart_vdso(struct ckpt_ctx *ctx);
int ckpt_x86_check_ip(struct ckpt_ctx *ctx, pid_t pid, unsigned long ip);

#endif
