/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal interfaces of kernel/checkpoint/ */
#ifndef _KERNEL_CHECKPOINT_H
#define _KERNEL_CHECKPOINT_H

#include <linux/checkpoint.h>

/* image.c */
int ckpt_image_init(struct ckpt_ctx *ctx);
void ckpt_image_fini(struct ckpt_ctx *ctx);
int ckpt_write_trailer(struct ckpt_ctx *ctx);
int ckpt_read_trailer(struct ckpt_ctx *ctx);

/* objhash.c */
int ckpt_objhash_init(struct ckpt_ctx *ctx);
void ckpt_objhash_fini(struct ckpt_ctx *ctx);

/* checkpoint.c, restart.c */
long ckpt_do_checkpoint(struct ckpt_ctx *ctx, pid_t pid);
long ckpt_do_restart(struct ckpt_ctx *ctx);

#endif /* _KERNEL_CHECKPOINT_H */
