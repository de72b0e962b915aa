/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checkpoint/restart of System V IPC: what ipc/checkpoint.c shares with
 * the parts built into ipc/msg.c and ipc/sem.c (checkpoint_msg.c and
 * checkpoint_sem.c), which need those files' private structures.
 */
#ifndef _IPC_CHECKPOINT_H
#define _IPC_CHECKPOINT_H

#include <linux/checkpoint.h>
#include <linux/ipc.h>
#include <linux/ipc_namespace.h>

/**
 * struct ckpt_ipc_owner - validated owner and permissions of an object
 * @uid: owner
 * @gid: owner's group
 * @cuid: creator
 * @cgid: creator's group
 * @mode: the 0777 bits
 * @key: the key, IPC_PRIVATE for none
 * @id: the id to create the object with
 */
struct ckpt_ipc_owner {
	kuid_t uid;
	kgid_t gid;
	kuid_t cuid;
	kgid_t cgid;
	umode_t mode;
	key_t key;
	int id;
};

void ckpt_ipc_perm_save(struct ckpt_ipc_perm *rec, const struct kern_ipc_perm *perm);
int ckpt_ipc_perm_read(struct ckpt_ctx *ctx, const char *what,
		       const struct ckpt_ipc_perm *rec, struct ckpt_ipc_owner *own);
void ckpt_ipc_perm_apply(struct kern_ipc_perm *perm, const struct ckpt_ipc_owner *own);
int ckpt_ipc_set_next_id(struct ipc_ids *ids, int id);

/* ipc/checkpoint_msg.c, built into ipc/msg.c */
int ckpt_checkpoint_msg_queue(struct ckpt_ctx *ctx, struct ipc_namespace *ns, int id);
int ckpt_restart_msg_queue(struct ckpt_ctx *ctx, struct ipc_namespace *ns);

/* ipc/checkpoint_sem.c, built into ipc/sem.c */
int ckpt_checkpoint_sem_array(struct ckpt_ctx *ctx, struct ipc_namespace *ns, int id);
int ckpt_restart_sem_array(struct ckpt_ctx *ctx, struct ipc_namespace *ns);

#endif /* _IPC_CHECKPOINT_H */
