/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checkpoint/restart of System V IPC: what ipc/checkpoint.c shares with
 * the parts built into ipc/msg.c, ipc/sem.c and ipc/mqueue.c
 * (checkpoint_msg.c, checkpoint_sem.c and checkpoint_mqueue.c), which
 * need those files' private structures.
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

/* ipc/checkpoint_mqueue.c, built into ipc/mqueue.c */
#ifdef CONFIG_POSIX_MQUEUE
int ckpt_checkpoint_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns);
int ckpt_restart_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns);
int ckpt_mq_finish(struct ckpt_ctx *ctx);
void ckpt_mq_free(const void *data);
#else
static inline int ckpt_checkpoint_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	return 0;
}

static inline int ckpt_restart_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	int ret = ckpt_peek_rec(ctx);

	if (ret == CKPT_REC_MQ_NS)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks have POSIX message queues (CONFIG_POSIX_MQUEUE is off)");
	return ret < 0 ? ret : 0;
}

static inline int ckpt_mq_finish(struct ckpt_ctx *ctx)
{
	return 0;
}

static inline void ckpt_mq_free(const void *data)
{
}
#endif

#endif /* _IPC_CHECKPOINT_H */
