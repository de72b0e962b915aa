// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of a System V IPC namespace.
 *
 * A container that has an IPC namespace of its own gets a new one at
 * restart (CLONE_NEWIPC on its root), and its root fills it, as its first
 * act, with the namespace's limits, message queues and semaphore sets,
 * each with its old id so that the ids the tasks hold stay valid.
 *
 * Tasks that share the caller's IPC namespace leave its objects out of the
 * image: they live on in the system and are the caller's business.  Only
 * what a task owns in them is refused: its semaphore undo list (see
 * ckpt_checkpoint_sem_undo()).
 *
 * The parts that need the private structures of msg.c, sem.c and shm.c
 * are built into those files: checkpoint_msg.c, checkpoint_sem.c and
 * checkpoint_shm.c.
 */
#include <linux/cred.h>
#include <linux/idr.h>
#include <linux/ipc.h>
#include <linux/ipc_namespace.h>
#include <linux/msg.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "util.h"
#include "checkpoint.h"

/**
 * ckpt_ipc_perm_save() - fill the image form of an object's permissions
 * @rec: the record's part
 * @perm: the object's, locked by the caller
 *
 * Ids are those of the caller's user namespace, which owns the IPC
 * namespace.
 */
void ckpt_ipc_perm_save(struct ckpt_ipc_perm *rec, const struct kern_ipc_perm *perm)
{
	struct user_namespace *ns = current_user_ns();

	rec->id = cpu_to_le32(perm->id);
	rec->key = cpu_to_le32(perm->key);
	rec->uid = cpu_to_le32(from_kuid_munged(ns, perm->uid));
	rec->gid = cpu_to_le32(from_kgid_munged(ns, perm->gid));
	rec->cuid = cpu_to_le32(from_kuid_munged(ns, perm->cuid));
	rec->cgid = cpu_to_le32(from_kgid_munged(ns, perm->cgid));
	rec->mode = cpu_to_le32(perm->mode & 0777);
	rec->__pad = 0;
}

/**
 * ckpt_ipc_perm_read() - check the permissions of an object of the image
 * @ctx: restart context
 * @what: the kind of object, for the log
 * @rec: the record's part
 * @own: the result
 *
 * Ids are the caller's view, even when the tasks (and @current) are in a
 * user namespace of their own (USERNS); every one must be mapped in the
 * caller's user namespace.  Any owner is allowed: the caller created the
 * namespace, so it could give the object to anyone with IPC_SET.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_ipc_perm_read(struct ckpt_ctx *ctx, const char *what,
		       const struct ckpt_ipc_perm *rec, struct ckpt_ipc_owner *own)
{
	struct user_namespace *ns = ctx->caller_cred->user_ns;
	u32 mode = le32_to_cpu(rec->mode);
	int id = le32_to_cpu(rec->id);

	own->uid = make_kuid(ns, le32_to_cpu(rec->uid));
	own->gid = make_kgid(ns, le32_to_cpu(rec->gid));
	own->cuid = make_kuid(ns, le32_to_cpu(rec->cuid));
	own->cgid = make_kgid(ns, le32_to_cpu(rec->cgid));
	own->key = (key_t)le32_to_cpu(rec->key);
	own->mode = mode;
	own->id = id;
	if (id < 0 || ipcid_to_idx(id) >= ipc_mni || (mode & ~0777) || rec->__pad)
		return ckpt_err(ctx, -EINVAL, "%s %d: invalid id or mode %#o", what, id, mode);
	if (!uid_valid(own->uid) || !gid_valid(own->gid) ||
	    !uid_valid(own->cuid) || !gid_valid(own->cgid))
		return ckpt_err(ctx, -EINVAL, "%s %d: owner or creator is not mapped",
				what, id);
	return 0;
}

/**
 * ckpt_ipc_perm_apply() - give a new object its saved owner and creator
 * @perm: the object's, locked by the caller
 * @own: what ckpt_ipc_perm_read() checked
 */
void ckpt_ipc_perm_apply(struct kern_ipc_perm *perm, const struct ckpt_ipc_owner *own)
{
	perm->uid = own->uid;
	perm->gid = own->gid;
	perm->cuid = own->cuid;
	perm->cgid = own->cgid;
	perm->mode = own->mode;
}

/**
 * ckpt_ipc_set_next_id() - make the next object of @ids get the id @id
 * @ids: the ids of one kind of object of a namespace, rwsem held for writing
 * @id: the id
 *
 * This is what the kernel.{msg,sem,shm}_next_id sysctls do.  The caller
 * checks the id of the new object: the slot may be taken.
 *
 * Return: 0, or -EOPNOTSUPP if the kernel cannot choose ids.
 */
int ckpt_ipc_set_next_id(struct ipc_ids *ids, int id)
{
#ifdef CONFIG_CHECKPOINT_RESTORE
	lockdep_assert_held_write(&ids->rwsem);
	ids->next_id = id;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* The ids of the objects of @ids, in increasing index order */
static int *ckpt_ipc_collect_ids(struct ipc_ids *ids, u32 *nr)
{
	struct kern_ipc_perm *perm;
	int idx, *arr;
	u32 n = 0;

	down_read(&ids->rwsem);
	arr = kvcalloc(max(ids->in_use, 1), sizeof(*arr), GFP_KERNEL);
	if (arr) {
		idr_for_each_entry(&ids->ipcs_idr, perm, idx) {
			if (n < ids->in_use)
				arr[n++] = perm->id;
		}
	}
	up_read(&ids->rwsem);
	*nr = n;
	return arr;
}

/*
 * The tasks' System V IPC namespace: nothing for the caller's own.
 * Otherwise an IPC_NS record, then a MSG_QUEUE record (and its messages)
 * per message queue and a SEM_ARRAY record per semaphore set.  The tasks
 * are frozen; a process outside the tree that entered the namespace with
 * setns(2) could still change it, and an object it creates meanwhile is
 * not saved.
 */
static int ckpt_ipc_ns_checkpoint(struct ckpt_ctx *ctx)
{
	struct ipc_namespace *ns = ctx->nsproxy->ipc_ns;
	struct ckpt_ipc_ns rec = {};
	int *msg_ids = NULL, *sem_ids = NULL;
	u32 nr_msg = 0, nr_sem = 0, nr_shm, i;
	int ret;

	if (ns == current->nsproxy->ipc_ns)
		return 0;
	if (!ckpt_tasks_own_ns(ctx, ns->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' IPC namespace belongs to another user namespace (not supported yet)");
	if (!IS_ENABLED(CONFIG_CHECKPOINT_RESTORE) &&
	    (READ_ONCE(ns->ids[IPC_MSG_IDS].in_use) || READ_ONCE(ns->ids[IPC_SEM_IDS].in_use) ||
	     READ_ONCE(ns->ids[IPC_SHM_IDS].in_use)))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"restoring System V IPC ids needs CONFIG_CHECKPOINT_RESTORE");

	msg_ids = ckpt_ipc_collect_ids(&ns->ids[IPC_MSG_IDS], &nr_msg);
	sem_ids = ckpt_ipc_collect_ids(&ns->ids[IPC_SEM_IDS], &nr_sem);
	if (!msg_ids || !sem_ids) {
		ret = -ENOMEM;
		goto out;
	}
	/* Frozen tasks: only a process that entered with setns() could add one */
	nr_shm = READ_ONCE(ns->ids[IPC_SHM_IDS].in_use);
	rec.nr_msg = cpu_to_le32(nr_msg);
	rec.nr_sem = cpu_to_le32(nr_sem);
	rec.nr_shm = cpu_to_le32(nr_shm);
	rec.msg_ctlmax = cpu_to_le32(READ_ONCE(ns->msg_ctlmax));
	rec.msg_ctlmnb = cpu_to_le32(READ_ONCE(ns->msg_ctlmnb));
	rec.msg_ctlmni = cpu_to_le32(READ_ONCE(ns->msg_ctlmni));
	for (i = 0; i < ARRAY_SIZE(rec.sem_ctls); i++)
		rec.sem_ctls[i] = cpu_to_le32(READ_ONCE(ns->sem_ctls[i]));
	ret = ckpt_write_rec(ctx, CKPT_REC_IPC_NS, &rec, sizeof(rec));
	for (i = 0; !ret && i < nr_msg; i++)
		ret = ckpt_checkpoint_msg_queue(ctx, ns, msg_ids[i]);
	for (i = 0; !ret && i < nr_sem; i++)
		ret = ckpt_checkpoint_sem_array(ctx, ns, sem_ids[i]);
	/* Every segment, attached or not, as a SYSV_SHM object with its contents */
	if (!ret) {
		ret = ckpt_checkpoint_shm_ns(ctx, ns);
		if (ret >= 0 && (u32)ret != nr_shm)
			ret = ckpt_err(ctx, -EAGAIN,
				       "the IPC namespace's shared memory segments changed during checkpoint; try again");
		else if (ret >= 0)
			ret = 0;
	}
	if (!ret)
		ret = ckpt_checkpoint_mq_ns(ctx, ns);
	if (!ret)
		ckpt_log(ctx,
			 "IPC namespace saved: %u message queue(s), %u semaphore set(s), %u shared memory segment(s)",
			 nr_msg, nr_sem, nr_shm);
out:
	kvfree(msg_ids);
	kvfree(sem_ids);
	return ret ?: 1;
}

static int ckpt_ipc_ns_limits(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			      const struct ckpt_ipc_ns *rec)
{
	u32 sem[4], i;

	/* The bounds of the kernel.msg* and kernel.sem sysctls */
	for (i = 0; i < ARRAY_SIZE(sem); i++) {
		sem[i] = le32_to_cpu(rec->sem_ctls[i]);
		if (sem[i] > INT_MAX)
			goto bad;
	}
	if (le32_to_cpu(rec->msg_ctlmax) > INT_MAX ||
	    le32_to_cpu(rec->msg_ctlmnb) > INT_MAX ||
	    le32_to_cpu(rec->msg_ctlmni) > ipc_mni || sem[3] > ipc_mni)
		goto bad;
	ns->msg_ctlmax = le32_to_cpu(rec->msg_ctlmax);
	ns->msg_ctlmnb = le32_to_cpu(rec->msg_ctlmnb);
	ns->msg_ctlmni = le32_to_cpu(rec->msg_ctlmni);
	for (i = 0; i < ARRAY_SIZE(sem); i++)
		ns->sem_ctls[i] = sem[i];
	return 0;
bad:
	return ckpt_err(ctx, -EINVAL, "IPC_NS record: limits out of range");
}

/*
 * Fill the new IPC namespace of the restored root.  Runs in the root,
 * created with CLONE_NEWIPC, before it reads anything else: its namespace
 * is new, empty and seen by no one else yet.
 */
static int ckpt_ipc_ns_enter(struct ckpt_ctx *ctx, void *data)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct ckpt_ipc_ns rec;
	u32 nr_msg, nr_sem, nr_shm, i;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_IPC_NS, &rec, sizeof(rec));
	if (ret)
		return ret;
	/* Created by CLONE_NEWIPC for this root: empty, and ours */
	if (ns->user_ns != current_user_ns() ||
	    READ_ONCE(ns->ids[IPC_MSG_IDS].in_use) || READ_ONCE(ns->ids[IPC_SEM_IDS].in_use) ||
	    READ_ONCE(ns->ids[IPC_SHM_IDS].in_use))
		return ckpt_err(ctx, -EINVAL, "the new IPC namespace is not empty or not ours");
	ret = ckpt_ipc_ns_limits(ctx, ns, &rec);
	if (ret)
		return ret;
	nr_msg = le32_to_cpu(rec.nr_msg);
	nr_sem = le32_to_cpu(rec.nr_sem);
	nr_shm = le32_to_cpu(rec.nr_shm);
	if (nr_msg > ipc_mni || nr_sem > ipc_mni || nr_shm > ipc_mni)
		return ckpt_err(ctx, -EINVAL,
				"IPC_NS record: %u queues, %u sets, %u segments: too many",
				nr_msg, nr_sem, nr_shm);
	for (i = 0; !ret && i < nr_msg; i++)
		ret = ckpt_restart_msg_queue(ctx, ns);
	for (i = 0; !ret && i < nr_sem; i++)
		ret = ckpt_restart_sem_array(ctx, ns);
	/* The segments: objects that the tasks' attaches refer to later */
	for (i = 0; !ret && i < nr_shm; i++) {
		ret = ckpt_peek_rec(ctx);
		if (ret >= 0 && ret != CKPT_REC_SYSV_SHM)
			ret = ckpt_err(ctx, -EINVAL,
				       "IPC_NS record: %u shared memory segments, but a %s after %u",
				       nr_shm, ckpt_rec_name(ret), i);
		if (ret >= 0)
			ret = ckpt_obj_restart_one(ctx);
		if (ret > 0)
			ret = 0;
	}
	if (!ret)
		ret = ckpt_restart_mq_ns(ctx, ns);
	if (!ret)
		ckpt_log(ctx,
			 "IPC namespace restored: %u message queue(s), %u semaphore set(s), %u shared memory segment(s)",
			 nr_msg, nr_sem, nr_shm);
	return ret;
}

const struct ckpt_ns_ops ckpt_ns_ipc_ops = {
	.name = "IPC",
	.rec = CKPT_REC_IPC_NS,
	.clone_flag = CLONE_NEWIPC,
	.checkpoint = ckpt_ipc_ns_checkpoint,
	.enter = ckpt_ipc_ns_enter,
	.finish = ckpt_mq_finish,
	.free = ckpt_mq_free,
};
