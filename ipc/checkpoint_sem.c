// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of System V semaphore sets and undo lists.
 *
 * Built as a part of ipc/sem.c (included at its end) for struct sem_array,
 * struct sem_undo and their locking; see ipc/checkpoint.c for the
 * namespace.
 *
 * A set keeps its id, key, owner, mode, values and times.  The pid of the
 * last task that changed each semaphore (GETPID) is not kept: it names a
 * task that may not exist yet when the set is restored, and reads 0 until
 * the next change.
 *
 * The SEM_UNDO adjustments of a process (struct sem_undo_list, shared by
 * its threads) follow its PROCESS record, one SEM_UNDO record per set.
 * They are only restorable with the sets they refer to, so a process
 * that has some on semaphores of the caller's namespace is refused, as is
 * an undo list shared with another process (clone(CLONE_SYSVSEM) without
 * CLONE_THREAD).
 */
#include "checkpoint.h"

/* Semaphores in one SEM_ARRAY or SEM_UNDO record */
#define CKPT_SEM_MAX	((CKPT_REC_MAX_LEN - 16) / 2)

/**
 * ckpt_checkpoint_sem_array() - write one semaphore set
 * @ctx: checkpoint context
 * @ns: its namespace
 * @id: its id
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_sem_array(struct ckpt_ctx *ctx, struct ipc_namespace *ns, int id)
{
	struct ckpt_sem_array rec = {};
	struct sem_array *sma;
	__le16 *vals;
	int i, nsems, ret;

	rcu_read_lock();
	sma = sem_obtain_object_check(ns, id);
	if (IS_ERR(sma)) {
		rcu_read_unlock();
		return ckpt_err(ctx, PTR_ERR(sma),
				"semaphore set %d was removed during checkpoint", id);
	}
	nsems = sma->sem_nsems;	/* fixed for the life of the set */
	rcu_read_unlock();
	if (nsems > CKPT_SEM_MAX)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"semaphore set %d: %d semaphores are too many for the image",
				id, nsems);

	vals = kvcalloc(nsems, sizeof(*vals), GFP_KERNEL);
	if (!vals)
		return -ENOMEM;
	rcu_read_lock();
	sma = sem_obtain_object_check(ns, id);
	if (IS_ERR(sma) || sma->sem_nsems != nsems) {
		rcu_read_unlock();
		ret = ckpt_err(ctx, -EIDRM, "semaphore set %d was removed during checkpoint", id);
		goto out;
	}
	sem_lock(sma, NULL, -1);
	if (!ipc_valid_object(&sma->sem_perm)) {
		sem_unlock(sma, -1);
		rcu_read_unlock();
		ret = ckpt_err(ctx, -EIDRM, "semaphore set %d was removed during checkpoint", id);
		goto out;
	}
	ckpt_ipc_perm_save(&rec.perm, &sma->sem_perm);
	rec.otime = cpu_to_le64(get_semotime(sma));
	rec.ctime = cpu_to_le64(sma->sem_ctime);
	rec.nsems = cpu_to_le32(nsems);
	for (i = 0; i < nsems; i++)
		vals[i] = cpu_to_le16(sma->sems[i].semval);
	sem_unlock(sma, -1);
	rcu_read_unlock();

	ret = ckpt_write_rec_var(ctx, CKPT_REC_SEM_ARRAY, &rec, sizeof(rec), vals,
				 nsems * sizeof(*vals));
out:
	kvfree(vals);
	return ret;
}

/* Read the @nr __le16 that follow the fixed part of the current record */
static __le16 *ckpt_read_le16s(struct ckpt_ctx *ctx, u32 nr, u32 len, u32 fixed)
{
	__le16 *v;
	int ret;

	if (ALIGN(fixed + (u64)nr * sizeof(*v), 8) != len) {
		ckpt_err(ctx, -EINVAL, "offset %llu: record %s: %u entries do not match its length",
			 ctx->rec_start, ckpt_rec_name(ctx->rec_type), nr);
		return ERR_PTR(-EINVAL);
	}
	v = kvcalloc(max(nr, 1U), sizeof(*v), GFP_KERNEL);
	if (!v)
		return ERR_PTR(-ENOMEM);
	ret = ckpt_read(ctx, v, nr * sizeof(*v));
	if (!ret)
		ret = ckpt_read_end(ctx);
	if (ret) {
		kvfree(v);
		return ERR_PTR(ret);
	}
	return v;
}

static int ckpt_create_sem_array(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
				 const struct ckpt_ipc_owner *own, int nsems)
{
	struct ipc_params params = {
		.key = own->key,
		.flg = own->mode,
		.u.nsems = nsems,
	};
	int ret;

	down_write(&sem_ids(ns).rwsem);
	ret = ckpt_ipc_set_next_id(&sem_ids(ns), own->id);
	if (!ret)
		ret = newary(ns, &params);
	ckpt_ipc_set_next_id(&sem_ids(ns), -1);
	up_write(&sem_ids(ns).rwsem);
	if (ret < 0)
		return ckpt_err(ctx, ret, "semaphore set %d (key %#x): cannot create it",
				own->id, own->key);
	if (ret != own->id)
		return ckpt_err(ctx, -EINVAL, "semaphore set %d: its id is used twice", own->id);
	return 0;
}

/**
 * ckpt_restart_sem_array() - read and create a semaphore set
 * @ctx: restart context
 * @ns: the new namespace of the task being restored (current)
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_sem_array(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	struct ckpt_sem_array rec;
	struct ckpt_ipc_owner own;
	struct sem_array *sma;
	__le16 *vals = NULL;
	s64 otime, ctime;
	u32 nsems, len;
	int i, ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_SEM_ARRAY, &len);
	if (!ret)
		ret = ckpt_read(ctx, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_ipc_perm_read(ctx, "semaphore set", &rec.perm, &own);
	if (ret)
		return ret;
	nsems = le32_to_cpu(rec.nsems);
	otime = le64_to_cpu(rec.otime);
	ctime = le64_to_cpu(rec.ctime);
	if (!nsems || nsems > ns->sc_semmsl || otime < 0 || ctime < 0 || rec.__pad)
		return ckpt_err(ctx, -EINVAL, "semaphore set %d: %u semaphores or times invalid",
				own.id, nsems);
	vals = ckpt_read_le16s(ctx, nsems, len, sizeof(rec));
	if (IS_ERR(vals))
		return PTR_ERR(vals);
	for (i = 0; i < nsems; i++) {
		if (le16_to_cpu(vals[i]) > SEMVMX) {
			ret = ckpt_err(ctx, -EINVAL, "semaphore set %d: value %u out of range",
				       own.id, le16_to_cpu(vals[i]));
			goto out;
		}
	}
	ret = ckpt_create_sem_array(ctx, ns, &own, nsems);
	if (ret)
		goto out;

	rcu_read_lock();
	sma = sem_obtain_object_check(ns, own.id);
	if (IS_ERR(sma)) {
		rcu_read_unlock();
		ret = PTR_ERR(sma);
		goto out;
	}
	sem_lock(sma, NULL, -1);
	ckpt_ipc_perm_apply(&sma->sem_perm, &own);
	for (i = 0; i < nsems; i++) {
		sma->sems[i].semval = le16_to_cpu(vals[i]);
		sma->sems[i].sem_otime = otime;
	}
	sma->sem_ctime = ctime;
	sem_unlock(sma, -1);
	rcu_read_unlock();
out:
	kvfree(vals);
	return ret;
}

/* The semids of undo list @ulp, in a new array; its threads are frozen */
static int *ckpt_undo_semids(struct sem_undo_list *ulp, u32 *nr)
{
	struct sem_undo *un;
	int *ids = NULL;
	u32 n, count;

	for (;;) {
		count = 0;
		spin_lock(&ulp->lock);
		list_for_each_entry(un, &ulp->list_proc, list_proc)
			count++;
		spin_unlock(&ulp->lock);
		kvfree(ids);
		ids = kvcalloc(max(count, 1U), sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return NULL;
		n = 0;
		spin_lock(&ulp->lock);
		list_for_each_entry(un, &ulp->list_proc, list_proc) {
			/* -1: its set was removed */
			if (n < count && un->semid != -1)
				ids[n++] = un->semid;
			else if (un->semid != -1)
				n = count + 1;
		}
		spin_unlock(&ulp->lock);
		if (n <= count)
			break;
	}
	*nr = n;
	return ids;
}

/* Write the adjustments of @ulp on set @semid, if it still has some */
static int ckpt_write_sem_undo(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			       struct sem_undo_list *ulp, int semid)
{
	struct ckpt_sem_undo rec = { .semid = cpu_to_le32(semid) };
	struct sem_array *sma;
	struct sem_undo *un;
	__le16 *adj;
	int i, nsems, ret;

	rcu_read_lock();
	sma = sem_obtain_object_check(ns, semid);
	nsems = IS_ERR(sma) ? 0 : sma->sem_nsems;
	rcu_read_unlock();
	if (!nsems)
		return 0;	/* removed: the undo entry is dead */
	adj = kvcalloc(nsems, sizeof(*adj), GFP_KERNEL);
	if (!adj)
		return -ENOMEM;

	rcu_read_lock();
	sma = sem_obtain_object_check(ns, semid);
	if (IS_ERR(sma) || sma->sem_nsems != nsems) {
		rcu_read_unlock();
		goto out;
	}
	sem_lock(sma, NULL, -1);
	spin_lock(&ulp->lock);
	un = ipc_valid_object(&sma->sem_perm) ? __lookup_undo(ulp, semid) : NULL;
	for (i = 0; un && i < nsems; i++)
		adj[i] = cpu_to_le16((u16)un->semadj[i]);
	spin_unlock(&ulp->lock);
	sem_unlock(sma, -1);
	rcu_read_unlock();
	if (!un)
		goto out;
	rec.nsems = cpu_to_le32(nsems);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_SEM_UNDO, &rec, sizeof(rec), adj,
				 nsems * sizeof(*adj));
	kvfree(adj);
	return ret;
out:
	kvfree(adj);
	return 0;
}

/**
 * ckpt_checkpoint_sem_undo() - write the SEM_UNDO adjustments of a process
 * @ctx: checkpoint context
 * @t: the leader of the process, frozen with its threads
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_sem_undo(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct sem_undo_list *ulp = t->sysvsem.undo_list, *l;
	struct task_struct *th;
	unsigned int users = 0;
	bool other = false;
	int *ids, ret = 0;
	u32 nr, i;

	/* Restart gives the threads their leader's list (CLONE_SYSVSEM) */
	rcu_read_lock();
	for_each_thread(t, th) {
		l = th->sysvsem.undo_list;
		if (l == ulp) {
			users++;
		} else if (l) {
			spin_lock(&l->lock);
			other |= !list_empty(&l->list_proc);
			spin_unlock(&l->lock);
		}
	}
	rcu_read_unlock();
	if (other)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"process %d: a thread has semaphore undo adjustments of its own (not supported yet)",
				task_pid_vnr(t));
	if (!ulp)
		return 0;
	ids = ckpt_undo_semids(ulp, &nr);
	if (!ids)
		return -ENOMEM;
	if (!nr)
		goto out;
	if (refcount_read(&ulp->refcnt) != users) {
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "process %d: its semaphore undo list is shared with another process (not supported yet)",
			       task_pid_vnr(t));
		goto out;
	}
	if (!ckpt_ns_own(ctx, CKPT_NS_ipc)) {
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "process %d has SEM_UNDO adjustments on semaphores of the caller's IPC namespace, which restart cannot restore",
			       task_pid_vnr(t));
		goto out;
	}
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_write_sem_undo(ctx, t->nsproxy->ipc_ns, ulp, ids[i]);
out:
	kvfree(ids);
	return ret;
}

static int ckpt_restart_one_undo(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	struct ckpt_sem_undo rec;
	struct sem_array *sma;
	struct sem_undo *un;
	__le16 *adj;
	u32 nsems, len;
	int semid, i, ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_SEM_UNDO, &len);
	if (!ret)
		ret = ckpt_read(ctx, &rec, sizeof(rec));
	if (ret)
		return ret;
	semid = le32_to_cpu(rec.semid);
	nsems = le32_to_cpu(rec.nsems);
	if (nsems > ns->sc_semmsl)
		return ckpt_err(ctx, -EINVAL, "SEM_UNDO record: %u semaphores", nsems);
	adj = ckpt_read_le16s(ctx, nsems, len, sizeof(rec));
	if (IS_ERR(adj))
		return PTR_ERR(adj);

	un = semid < 0 ? ERR_PTR(-EINVAL) : find_alloc_undo(ns, semid);
	if (IS_ERR(un)) {
		ret = ckpt_err(ctx, PTR_ERR(un), "SEM_UNDO record: no semaphore set %d", semid);
		goto out;
	}
	/* find_alloc_undo() returns with the RCU read lock held: tell sparse */
	__acquire(RCU);
	sma = sem_obtain_object_check(ns, semid);
	if (IS_ERR(sma) || sma->sem_nsems != nsems) {
		rcu_read_unlock();
		ret = ckpt_err(ctx, -EINVAL, "SEM_UNDO record: set %d has not %u semaphores",
			       semid, nsems);
		goto out;
	}
	sem_lock(sma, NULL, -1);
	for (i = 0; i < nsems; i++)
		un->semadj[i] = (s16)le16_to_cpu(adj[i]);
	sem_unlock(sma, -1);
	rcu_read_unlock();
out:
	kvfree(adj);
	return ret;
}

/**
 * ckpt_restart_sem_undo() - read the SEM_UNDO adjustments of a process
 * @ctx: restart context
 *
 * Runs in the process leader being restored, before it creates its
 * threads, which share its undo list (CLONE_SYSVSEM).  The sets are those
 * of the namespace its root restored.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_sem_undo(struct ckpt_ctx *ctx)
{
	int ret;

	while ((ret = ckpt_peek_rec(ctx)) == CKPT_REC_SEM_UNDO) {
		if (!ckpt_ns_own(ctx, CKPT_NS_ipc))
			return ckpt_err(ctx, -EINVAL,
					"SEM_UNDO record, but the image has no IPC namespace");
		ret = ckpt_restart_one_undo(ctx, current->nsproxy->ipc_ns);
		if (ret)
			return ret;
	}
	return ret < 0 ? ret : 0;
}
