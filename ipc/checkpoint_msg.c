// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of System V message queues.
 *
 * Built as a part of ipc/msg.c (included at its end) for struct msg_queue
 * and newque(); see ipc/checkpoint.c for the namespace.
 *
 * A queue is copied under its lock into one buffer sized beforehand, then
 * written: MSG_QUEUE, then a MSG record per message, oldest first.  The
 * pids of the last sender and receiver are not kept: they are those of
 * tasks that may not exist yet when the queue is restored, and a restored
 * queue reports 0 until the next msgsnd(2) and msgrcv(2).
 */
#include "checkpoint.h"

#define CKPT_MSQ_TRIES	4

/* Copy queue @msq, locked, into @buf: qnum struct ckpt_msg, each with its text */
static void ckpt_msq_copy(struct msg_queue *msq, void *buf)
{
	struct msg_msg *msg;
	char *p = buf;

	list_for_each_entry(msg, &msq->q_messages, m_list) {
		struct ckpt_msg m = {
			.mtype = cpu_to_le64(msg->m_type),
			.len = cpu_to_le64(msg->m_ts),
		};

		memcpy(p, &m, sizeof(m));
		store_msg_kernel(p + sizeof(m), msg, msg->m_ts);
		p += sizeof(m) + msg->m_ts;
	}
}

static int ckpt_write_msgs(struct ckpt_ctx *ctx, int id, const char *p, u64 qnum)
{
	struct ckpt_msg m;
	u64 i, len;
	int ret = 0;

	for (i = 0; !ret && i < qnum; i++) {
		memcpy(&m, p, sizeof(m));
		len = le64_to_cpu(m.len);
		if (len > CKPT_REC_MAX_LEN - sizeof(m))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"message queue %d: a message of %llu bytes is too large for the image",
					id, len);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_MSG, &m, sizeof(m), p + sizeof(m), len);
		p += sizeof(m) + len;
	}
	return ret;
}

/**
 * ckpt_checkpoint_msg_queue() - write one message queue and its messages
 * @ctx: checkpoint context
 * @ns: its namespace
 * @id: its id
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_msg_queue(struct ckpt_ctx *ctx, struct ipc_namespace *ns, int id)
{
	unsigned long qnum = 0, cbytes = 0;
	struct ckpt_msg_queue rec = {};
	struct msg_queue *msq;
	void *buf = NULL;
	int tries = 0, ret;

	for (;;) {
		rcu_read_lock();
		msq = msq_obtain_object_check(ns, id);
		if (IS_ERR(msq)) {
			rcu_read_unlock();
			ret = ckpt_err(ctx, PTR_ERR(msq),
				       "message queue %d was removed during checkpoint", id);
			goto out;
		}
		ipc_lock_object(&msq->q_perm);
		if (!ipc_valid_object(&msq->q_perm)) {
			ipc_unlock_object(&msq->q_perm);
			rcu_read_unlock();
			ret = ckpt_err(ctx, -EIDRM,
				       "message queue %d was removed during checkpoint", id);
			goto out;
		}
		if (buf && msq->q_qnum == qnum && msq->q_cbytes == cbytes)
			break;
		/* A sender outside the tree changed it: size the buffer again */
		qnum = msq->q_qnum;
		cbytes = msq->q_cbytes;
		ipc_unlock_object(&msq->q_perm);
		rcu_read_unlock();
		kvfree(buf);
		buf = NULL;
		if (++tries > CKPT_MSQ_TRIES) {
			ret = ckpt_err(ctx, -EBUSY, "message queue %d keeps changing", id);
			goto out;
		}
		buf = kvmalloc(size_add(cbytes, size_mul(qnum, sizeof(struct ckpt_msg))) ?: 1,
			       GFP_KERNEL);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ckpt_ipc_perm_save(&rec.perm, &msq->q_perm);
	rec.stime = cpu_to_le64(msq->q_stime);
	rec.rtime = cpu_to_le64(msq->q_rtime);
	rec.ctime = cpu_to_le64(msq->q_ctime);
	rec.qbytes = cpu_to_le64(msq->q_qbytes);
	rec.qnum = cpu_to_le64(qnum);
	ckpt_msq_copy(msq, buf);
	ipc_unlock_object(&msq->q_perm);
	rcu_read_unlock();

	ret = ckpt_write_rec(ctx, CKPT_REC_MSG_QUEUE, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_write_msgs(ctx, id, buf, qnum);
out:
	kvfree(buf);
	return ret;
}

/* Read one MSG record and queue its message at the tail of queue @id */
static int ckpt_restart_msg(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			    int id, u64 *bytes, u64 qbytes)
{
	struct msg_queue *msq;
	struct msg_msg *msg;
	struct ckpt_msg m;
	u64 mtype, mlen;
	void *text;
	u32 len;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_MSG, &len);
	if (!ret)
		ret = ckpt_read(ctx, &m, sizeof(m));
	if (ret)
		return ret;
	mtype = le64_to_cpu(m.mtype);
	mlen = le64_to_cpu(m.len);
	if (!mtype || mtype > LONG_MAX || mlen > len - sizeof(m) ||
	    mlen > ns->msg_ctlmax || mlen > qbytes - *bytes)
		return ckpt_err(ctx, -EINVAL,
				"message queue %d: message of type %llu and %llu bytes is invalid or does not fit",
				id, mtype, mlen);
	text = kvmalloc(mlen ?: 1, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	ret = ckpt_read(ctx, text, mlen);
	if (!ret)
		ret = ckpt_read_end(ctx);
	msg = ret ? ERR_PTR(ret) : load_msg_kernel(text, mlen);
	kvfree(text);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->m_type = mtype;
	msg->m_ts = mlen;

	rcu_read_lock();
	msq = msq_obtain_object_check(ns, id);
	if (IS_ERR(msq)) {
		rcu_read_unlock();
		free_msg(msg);
		return PTR_ERR(msq);
	}
	ipc_lock_object(&msq->q_perm);
	list_add_tail(&msg->m_list, &msq->q_messages);
	msq->q_cbytes += mlen;
	msq->q_qnum++;
	percpu_counter_add_local(&ns->percpu_msg_bytes, mlen);
	percpu_counter_add_local(&ns->percpu_msg_hdrs, 1);
	ipc_unlock_object(&msq->q_perm);
	rcu_read_unlock();
	*bytes += mlen;
	return 0;
}

/**
 * ckpt_restart_msg_queue() - read a message queue and its messages
 * @ctx: restart context
 * @ns: the new namespace of the task being restored (current)
 *
 * The queue gets its old id, key, owner, mode, byte limit, messages and
 * times.  A byte limit above kernel.msgmnb needs CAP_SYS_RESOURCE, as
 * with msgctl(IPC_SET).
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_msg_queue(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	struct ckpt_msg_queue rec;
	struct ckpt_ipc_owner own;
	struct ipc_params params;
	struct msg_queue *msq;
	u64 qnum, qbytes, i, bytes = 0;
	s64 times[3];
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_MSG_QUEUE, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_ipc_perm_read(ctx, "message queue", &rec.perm, &own);
	if (ret)
		return ret;
	qnum = le64_to_cpu(rec.qnum);
	qbytes = le64_to_cpu(rec.qbytes);
	times[0] = le64_to_cpu(rec.stime);
	times[1] = le64_to_cpu(rec.rtime);
	times[2] = le64_to_cpu(rec.ctime);
	if (qbytes > INT_MAX || qnum > qbytes || times[0] < 0 || times[1] < 0 || times[2] < 0)
		return ckpt_err(ctx, -EINVAL,
				"message queue %d: %llu messages, limit %llu bytes: invalid",
				own.id, qnum, qbytes);
	if (qbytes > ns->msg_ctlmnb && !capable(CAP_SYS_RESOURCE))
		return ckpt_err(ctx, -EPERM,
				"message queue %d: a limit of %llu bytes, above kernel.msgmnb, needs CAP_SYS_RESOURCE",
				own.id, qbytes);

	params.key = own.key;
	params.flg = own.mode;
	down_write(&msg_ids(ns).rwsem);
	ret = ckpt_ipc_set_next_id(&msg_ids(ns), own.id);
	if (!ret)
		ret = newque(ns, &params);
	ckpt_ipc_set_next_id(&msg_ids(ns), -1);
	up_write(&msg_ids(ns).rwsem);
	if (ret < 0)
		return ckpt_err(ctx, ret, "message queue %d (key %#x): cannot create it",
				own.id, own.key);
	if (ret != own.id)
		return ckpt_err(ctx, -EINVAL, "message queue %d: its id is used twice", own.id);
	ret = 0;

	rcu_read_lock();
	msq = msq_obtain_object_check(ns, own.id);
	if (IS_ERR(msq)) {
		rcu_read_unlock();
		return PTR_ERR(msq);
	}
	ipc_lock_object(&msq->q_perm);
	ckpt_ipc_perm_apply(&msq->q_perm, &own);
	msq->q_qbytes = qbytes;
	ipc_unlock_object(&msq->q_perm);
	rcu_read_unlock();

	for (i = 0; !ret && i < qnum; i++)
		ret = ckpt_restart_msg(ctx, ns, own.id, &bytes, qbytes);
	if (ret)
		return ret;

	rcu_read_lock();
	msq = msq_obtain_object_check(ns, own.id);
	if (IS_ERR(msq)) {
		rcu_read_unlock();
		return PTR_ERR(msq);
	}
	ipc_lock_object(&msq->q_perm);
	msq->q_stime = times[0];
	msq->q_rtime = times[1];
	msq->q_ctime = times[2];
	ipc_unlock_object(&msq->q_perm);
	rcu_read_unlock();
	return 0;
}
