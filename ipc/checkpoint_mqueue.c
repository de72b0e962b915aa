// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of POSIX message queues.
 *
 * Built as a part of ipc/mqueue.c (included at its end) for struct
 * mqueue_inode_info, its message tree and the queue constructor.
 *
 * The queues of the tasks' own IPC namespace are saved with it (see
 * ipc/checkpoint.c): an MQ_NS record with the fs.mqueue sysctls, then an
 * MQUEUE record per queue, with its name, owner, mode, attributes and
 * mq_notify(3) registration, followed by its messages in the order
 * mq_receive(3) would return them.  Restart creates each queue as
 * mq_open(O_CREAT | O_EXCL) would, in the root's new namespace (so its
 * limits and RLIMIT_MSGQUEUE apply), and queues the messages again.  A
 * registration is given back to its owner once every task exists.
 *
 * An open queue is the FILE kind MQUEUE: its name, reopened in the IPC
 * namespace of the task that restores it, as mq_open(3) would.
 */
#include <linux/checkpoint_file.h>

#include "checkpoint.h"

#define CKPT_MQ_TRIES	4

/* ---- checkpoint ---- */

/* Copy the messages of @info, locked, into @buf in receive order */
static void ckpt_mq_copy(struct mqueue_inode_info *info, char *buf)
{
	struct rb_node *node;

	for (node = info->msg_tree_rightmost; node; node = rb_prev(node)) {
		struct posix_msg_tree_node *leaf =
			rb_entry(node, struct posix_msg_tree_node, rb_node);
		struct msg_msg *msg;

		list_for_each_entry(msg, &leaf->msg_list, m_list) {
			struct ckpt_msg m = {
				.mtype = cpu_to_le64(msg->m_type),
				.len = cpu_to_le64(msg->m_ts),
			};

			memcpy(buf, &m, sizeof(m));
			store_msg_kernel(buf + sizeof(m), msg, msg->m_ts);
			buf += sizeof(m) + msg->m_ts;
		}
	}
}

/* The messages of @info, as struct ckpt_msg each with its text */
static void *ckpt_mq_messages(struct mqueue_inode_info *info, u64 *nr)
{
	size_t size = 0;
	int tries;
	char *buf;

	for (tries = 0; tries < CKPT_MQ_TRIES; tries++) {
		spin_lock(&info->lock);
		size = info->qsize + info->attr.mq_curmsgs * sizeof(struct ckpt_msg);
		spin_unlock(&info->lock);
		buf = kvmalloc(size ?: 1, GFP_KERNEL);
		if (!buf)
			return ERR_PTR(-ENOMEM);
		spin_lock(&info->lock);
		if (size == info->qsize + info->attr.mq_curmsgs * sizeof(struct ckpt_msg)) {
			*nr = info->attr.mq_curmsgs;
			ckpt_mq_copy(info, buf);
			spin_unlock(&info->lock);
			return buf;
		}
		spin_unlock(&info->lock);
		kvfree(buf);
	}
	return ERR_PTR(-EAGAIN);
}

/* The mq_notify(3) registration of @info, in @rec */
static int ckpt_mq_notify_save(struct ckpt_ctx *ctx, struct mqueue_inode_info *info,
			       const char *name, struct ckpt_mqueue *rec)
{
	bool has;
	pid_t pid = 0;
	int how;

	spin_lock(&info->lock);
	how = info->notify.sigev_notify;
	has = info->notify_owner;
	if (has) {
		pid = pid_nr_ns(info->notify_owner, ctx->pidns);
		rec->notify = cpu_to_le32(how);
		rec->notify_signo = cpu_to_le32(info->notify.sigev_signo);
		rec->notify_value = cpu_to_le64((u64)(uintptr_t)info->notify.sigev_value.sival_ptr);
	}
	spin_unlock(&info->lock);
	if (!has)
		return 0;
	if (how != SIGEV_NONE && how != SIGEV_SIGNAL)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"POSIX message queue /%s: an mq_notify() with SIGEV_THREAD (not supported)",
				name);
	if (!pid || !xa_load(&ctx->tree_pids, pid))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"POSIX message queue /%s: mq_notify() by a process outside the tree",
				name);
	rec->notify_pid = cpu_to_le32(pid);
	return 0;
}

static int ckpt_mq_write_msgs(struct ckpt_ctx *ctx, const char *name, const char *p, u64 nr)
{
	struct ckpt_msg m;
	u64 i, len;
	int ret = 0;

	for (i = 0; !ret && i < nr; i++) {
		memcpy(&m, p, sizeof(m));
		len = le64_to_cpu(m.len);
		if (len > CKPT_REC_MAX_LEN - sizeof(m))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"POSIX message queue /%s: a message of %llu bytes is too large for the image",
					name, len);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_MSG, &m, sizeof(m), p + sizeof(m), len);
		p += sizeof(m) + len;
	}
	return ret;
}

/* One queue, @dentry, of the tasks' IPC namespace */
static int ckpt_mq_save(struct ckpt_ctx *ctx, struct dentry *dentry)
{
	struct user_namespace *uns = current_user_ns();
	struct inode *inode = d_inode(dentry);
	struct mqueue_inode_info *info = MQUEUE_I(inode);
	const char *name = dentry->d_name.name;
	struct ckpt_mqueue rec = {};
	u32 name_len = dentry->d_name.len + 1;
	char *msgs;
	u64 nr;
	int ret;

	rec.uid = cpu_to_le32(from_kuid_munged(uns, inode->i_uid));
	rec.gid = cpu_to_le32(from_kgid_munged(uns, inode->i_gid));
	rec.mode = cpu_to_le32(inode->i_mode & 0777);
	rec.name_len = cpu_to_le32(name_len);
	ret = ckpt_mq_notify_save(ctx, info, name, &rec);
	if (ret)
		return ret;
	msgs = ckpt_mq_messages(info, &nr);
	if (IS_ERR(msgs))
		return ckpt_err(ctx, PTR_ERR(msgs),
				"POSIX message queue /%s changed while it was saved", name);
	spin_lock(&info->lock);
	rec.maxmsg = cpu_to_le64(info->attr.mq_maxmsg);
	rec.msgsize = cpu_to_le64(info->attr.mq_msgsize);
	spin_unlock(&info->lock);
	rec.curmsgs = cpu_to_le64(nr);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_MQUEUE, &rec, sizeof(rec), name, name_len);
	if (!ret)
		ret = ckpt_mq_write_msgs(ctx, name, msgs, nr);
	kvfree(msgs);
	return ret;
}

/* The queues of @ns: its mqueue filesystem's root directory, held */
static struct dentry **ckpt_mq_collect(struct ipc_namespace *ns, u32 *nr)
{
	struct dentry *root = ns->mq_mnt->mnt_root, *d, **arr;
	u32 max = CKPT_MQ_MAX_QUEUES + 1, n = 0;

	arr = kvcalloc(max, sizeof(*arr), GFP_KERNEL);
	if (!arr)
		return NULL;
	inode_lock_shared(d_inode(root));
	spin_lock(&root->d_lock);
	hlist_for_each_entry(d, &root->d_children, d_sib) {
		if (n == max)
			break;
		spin_lock_nested(&d->d_lock, DENTRY_D_LOCK_NESTED);
		if (simple_positive(d))
			arr[n++] = dget_dlock(d);
		spin_unlock(&d->d_lock);
	}
	spin_unlock(&root->d_lock);
	inode_unlock_shared(d_inode(root));
	*nr = n;
	return arr;
}

/**
 * ckpt_checkpoint_mq_ns() - write the POSIX message queues of an IPC namespace
 * @ctx: checkpoint context
 * @ns: the tasks' own IPC namespace
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	struct ckpt_mq_ns rec = {};
	struct dentry **queues;
	u32 nr, i;
	int ret;

	queues = ckpt_mq_collect(ns, &nr);
	if (!queues)
		return -ENOMEM;
	if (nr > CKPT_MQ_MAX_QUEUES) {
		ret = ckpt_err(ctx, -EOPNOTSUPP, "more than %u POSIX message queues",
			       CKPT_MQ_MAX_QUEUES);
		goto out;
	}
	rec.nr_queues = cpu_to_le32(nr);
	rec.queues_max = cpu_to_le32(READ_ONCE(ns->mq_queues_max));
	rec.msg_max = cpu_to_le32(READ_ONCE(ns->mq_msg_max));
	rec.msgsize_max = cpu_to_le32(READ_ONCE(ns->mq_msgsize_max));
	rec.msg_default = cpu_to_le32(READ_ONCE(ns->mq_msg_default));
	rec.msgsize_default = cpu_to_le32(READ_ONCE(ns->mq_msgsize_default));
	ret = ckpt_write_rec(ctx, CKPT_REC_MQ_NS, &rec, sizeof(rec));
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_mq_save(ctx, queues[i]);
out:
	for (i = 0; i < nr; i++)
		dput(queues[i]);
	kvfree(queues);
	if (!ret && nr)
		ckpt_log(ctx, "%u POSIX message queue(s) saved", nr);
	return ret;
}

/* ---- restart ---- */

/* A registration to give back once its owner exists */
struct ckpt_mq_notify {
	struct inode *inode;
	pid_t pid;
	struct sigevent ev;
};

/**
 * struct ckpt_mq_load - what restart keeps of the queues until the end
 * @nr: entries of @n in use
 * @n: the mq_notify() registrations of the image
 */
struct ckpt_mq_load {
	u32 nr;
	struct ckpt_mq_notify n[];
};

static int ckpt_mq_ns_limits(struct ckpt_ctx *ctx, struct ipc_namespace *ns,
			     const struct ckpt_mq_ns *rec)
{
	u32 qmax = le32_to_cpu(rec->queues_max), mmax = le32_to_cpu(rec->msg_max);
	u32 smax = le32_to_cpu(rec->msgsize_max), mdef = le32_to_cpu(rec->msg_default);
	u32 sdef = le32_to_cpu(rec->msgsize_default);

	/* The bounds of the fs.mqueue sysctls */
	if (qmax > INT_MAX || mmax < MIN_MSGMAX || mmax > HARD_MSGMAX ||
	    smax < MIN_MSGSIZEMAX || smax > HARD_MSGSIZEMAX || mdef < MIN_MSGMAX ||
	    mdef > HARD_MSGMAX || sdef < MIN_MSGSIZEMAX || sdef > HARD_MSGSIZEMAX ||
	    le32_to_cpu(rec->nr_queues) > CKPT_MQ_MAX_QUEUES)
		return ckpt_err(ctx, -EINVAL, "MQ_NS record: limits out of range");
	ns->mq_queues_max = qmax;
	ns->mq_msg_max = mmax;
	ns->mq_msgsize_max = smax;
	ns->mq_msg_default = mdef;
	ns->mq_msgsize_default = sdef;
	return 0;
}

/* Read one MSG record and queue its message in @info */
static int ckpt_mq_restart_msg(struct ckpt_ctx *ctx, struct mqueue_inode_info *info,
			       const char *name)
{
	struct msg_msg *msg;
	struct ckpt_msg m;
	u64 prio, mlen;
	void *text;
	u32 len;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_MSG, &len);
	if (!ret)
		ret = ckpt_read(ctx, &m, sizeof(m));
	if (ret)
		return ret;
	prio = le64_to_cpu(m.mtype);
	mlen = le64_to_cpu(m.len);
	if (prio >= MQ_PRIO_MAX || mlen > len - sizeof(m) || mlen > info->attr.mq_msgsize)
		return ckpt_err(ctx, -EINVAL,
				"POSIX message queue /%s: a message of priority %llu and %llu bytes is invalid or too long",
				name, prio, mlen);
	text = kvmalloc(mlen ?: 1, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	ret = ckpt_read(ctx, text, mlen) ?: ckpt_read_end(ctx);
	msg = ret ? ERR_PTR(ret) : load_msg_kernel(text, mlen);
	kvfree(text);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->m_type = prio;
	msg->m_ts = mlen;
	spin_lock(&info->lock);
	ret = info->attr.mq_curmsgs < info->attr.mq_maxmsg ? msg_insert(msg, info) : -EMSGSIZE;
	spin_unlock(&info->lock);
	if (ret) {
		free_msg(msg);
		return ckpt_err(ctx, ret, "POSIX message queue /%s: more messages than it holds",
				name);
	}
	return 0;
}

/*
 * Create queue @name in the current IPC namespace as mq_open(O_CREAT |
 * O_EXCL) would, with @attr; its inode, held, in @inode.
 */
static int ckpt_mq_create(const char *name, umode_t mode, struct mq_attr *attr,
			  struct inode **inode)
{
	struct vfsmount *mnt = current->nsproxy->ipc_ns->mq_mnt;
	struct dentry *root = mnt->mnt_root, *d;
	int ret;

	ret = mnt_want_write(mnt);
	if (ret)
		return ret;
	inode_lock(d_inode(root));
	d = lookup_one_len(name, root, strlen(name));
	ret = PTR_ERR_OR_ZERO(d);
	if (!ret && d_really_is_positive(d))
		ret = -EEXIST;
	if (!ret)
		ret = vfs_mkobj(d, S_IFREG | mode, mqueue_create_attr, attr);
	if (!ret) {
		*inode = d_inode(d);
		ihold(*inode);
	}
	if (!IS_ERR(d))
		dput(d);
	inode_unlock(d_inode(root));
	mnt_drop_write(mnt);
	return ret;
}

/* As mq_notify() takes them; none at all without an owner */
static bool ckpt_mq_notify_ok(__le32 pid, u32 how, u32 signo, __le64 value)
{
	if (!pid)
		return !how && !signo && !value;
	if (how == SIGEV_SIGNAL)
		return valid_signal(signo);
	return how == SIGEV_NONE;
}

/* Its owner, mode and registration, from @rec, checked; NULL if fine */
static const char *ckpt_mq_rec_bad(struct ckpt_ctx *ctx, const struct ckpt_mqueue *rec,
				   u32 len, struct ckpt_ipc_owner *own)
{
	struct user_namespace *uns = ctx->caller_cred->user_ns;
	u32 name_len = le32_to_cpu(rec->name_len), how = le32_to_cpu(rec->notify);
	u32 signo = le32_to_cpu(rec->notify_signo);

	own->uid = make_kuid(uns, le32_to_cpu(rec->uid));
	own->gid = make_kgid(uns, le32_to_cpu(rec->gid));
	own->mode = le32_to_cpu(rec->mode);
	if (len != ALIGN(sizeof(*rec) + name_len, 8) || name_len > NAME_MAX + 1 ||
	    !ckpt_name_ok((const char *)(rec + 1), name_len))
		return "its name is not one path component";
	if ((own->mode & ~0777) || rec->__pad || !uid_valid(own->uid) || !gid_valid(own->gid))
		return "its mode or owner is invalid";
	if (le64_to_cpu(rec->maxmsg) > HARD_MSGMAX || le64_to_cpu(rec->msgsize) > HARD_MSGSIZEMAX ||
	    le64_to_cpu(rec->curmsgs) > le64_to_cpu(rec->maxmsg))
		return "its attributes are out of range";
	if (!ckpt_mq_notify_ok(rec->notify_pid, how, signo, rec->notify_value))
		return "its mq_notify() registration is invalid";
	return NULL;
}

static int ckpt_mq_restart_one(struct ckpt_ctx *ctx, struct ckpt_mq_load *l)
{
	struct ckpt_ipc_owner own;
	struct ckpt_mqueue *rec;
	struct mq_attr attr = {};
	struct inode *inode;
	const char *bad, *name;
	u64 i, nr;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_MQUEUE, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	name = (const char *)(rec + 1);
	bad = ckpt_mq_rec_bad(ctx, rec, len, &own);
	if (bad) {
		ret = ckpt_err(ctx, -EINVAL, "MQUEUE record is malformed: %s", bad);
		goto out;
	}
	attr.mq_maxmsg = le64_to_cpu(rec->maxmsg);
	attr.mq_msgsize = le64_to_cpu(rec->msgsize);
	ret = ckpt_mq_create(name, own.mode, &attr, &inode);
	if (ret) {
		ret = ckpt_err(ctx, ret, "cannot create POSIX message queue /%s", name);
		goto out;
	}
	/* New, in a namespace no one else sees yet: as fchown(2) by its creator */
	inode->i_uid = own.uid;
	inode->i_gid = own.gid;
	nr = le64_to_cpu(rec->curmsgs);
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_mq_restart_msg(ctx, MQUEUE_I(inode), name);
	if (!ret && rec->notify_pid) {
		struct ckpt_mq_notify *n = &l->n[l->nr++];

		n->inode = inode;
		n->pid = le32_to_cpu(rec->notify_pid);
		n->ev.sigev_notify = le32_to_cpu(rec->notify);
		n->ev.sigev_signo = le32_to_cpu(rec->notify_signo);
		n->ev.sigev_value.sival_ptr = u64_to_user_ptr(le64_to_cpu(rec->notify_value));
	} else {
		iput(inode);
	}
out:
	kvfree(rec);
	return ret;
}

/**
 * ckpt_restart_mq_ns() - rebuild the POSIX message queues of an IPC namespace
 * @ctx: restart context
 * @ns: the root's new IPC namespace (current's)
 *
 * Reads an MQ_NS record if one is next, and its queues.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_mq_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	const struct cred *saved = NULL;
	struct ckpt_mq_load *l;
	struct cred *cred;
	struct ckpt_mq_ns rec;
	u32 nr, i;
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret != CKPT_REC_MQ_NS)
		return ret < 0 ? ret : 0;
	ret = ckpt_read_rec(ctx, CKPT_REC_MQ_NS, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_mq_ns_limits(ctx, ns, &rec);
	if (ret)
		return ret;
	nr = le32_to_cpu(rec.nr_queues);
	l = kvzalloc(struct_size(l, n, nr), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	ctx->ns_data[CKPT_NS_ipc] = l;
	/* In a new user namespace: created by its root, as a manager would */
	cred = ckpt_root_fsids_cred();
	if (cred)
		saved = override_creds(cred);
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_mq_restart_one(ctx, l);
	if (cred) {
		revert_creds(saved);
		put_cred(cred);
	}
	if (!ret && nr)
		ckpt_log(ctx, "%u POSIX message queue(s) restored", nr);
	return ret;
}

/**
 * ckpt_mq_finish() - give the mq_notify() registrations back to their owners
 * @ctx: restart context, every task created
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mq_finish(struct ckpt_ctx *ctx)
{
	struct ckpt_mq_load *l = ctx->ns_data[CKPT_NS_ipc];
	const struct cred *root_cred = ckpt_namespaces_root_cred(ctx);
	struct user_namespace *uns = (root_cred ?: ctx->caller_cred)->user_ns;
	u32 i, t;

	for (i = 0; l && i < l->nr; i++) {
		struct mqueue_inode_info *info = MQUEUE_I(l->n[i].inode);
		struct ckpt_rtask *rt = NULL;

		for (t = 0; t < ctx->nr_tasks; t++)
			if (ctx->rtasks[t].pid == l->n[i].pid &&
			    ctx->rtasks[t].pid == ctx->rtasks[t].tgid &&
			    !(ctx->rtasks[t].flags & CKPT_TREE_ZOMBIE))
				rt = &ctx->rtasks[t];
		if (!rt)
			return ckpt_err(ctx, -EINVAL,
					"MQUEUE: the mq_notify() owner %d is not a process of the TREE",
					l->n[i].pid);
		/* As the owner's mq_notify() did; the tasks do not run yet */
		spin_lock(&info->lock);
		info->notify = l->n[i].ev;
		info->notify_self_exec_id = rt->task->self_exec_id;
		info->notify_owner = get_pid(task_tgid(rt->task));
		info->notify_user_ns = get_user_ns(uns);
		spin_unlock(&info->lock);
	}
	return 0;
}

/**
 * ckpt_mq_free() - drop what ckpt_restart_mq_ns() kept
 * @data: its struct ckpt_mq_load, or NULL
 */
void ckpt_mq_free(const void *data)
{
	const struct ckpt_mq_load *l = data;
	u32 i;

	for (i = 0; l && i < l->nr; i++)
		iput(l->n[i].inode);
	kvfree(l);
}

/* ---- open queues: the FILE kind MQUEUE ---- */

/**
 * ckpt_file_is_mqueue() - whether a file is an open POSIX message queue
 * @file: the file
 *
 * Return: true if it is, which the FILE kind MQUEUE saves.
 */
bool ckpt_file_is_mqueue(struct file *file)
{
	return file->f_op == &mqueue_file_operations;
}

static bool ckpt_mq_file_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_file_is_mqueue(file);
}

static int ckpt_mq_file_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct dentry *d = file->f_path.dentry;
	struct ckpt_file rec;
	char path[NAME_MAX + 2];

	/* The queue is found again by name in the tasks' IPC namespace */
	if (d->d_sb->s_fs_info != ctx->nsproxy->ipc_ns || d_unhashed(d) ||
	    !ckpt_file_flags_ok(file, O_ACCMODE | O_NONBLOCK))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"POSIX message queue /%pd: removed, of another IPC namespace, or with unusual flags (not supported)",
				d);
	snprintf(path, sizeof(path), "/%pd", d);
	ckpt_file_rec_init(ctx, file, objref, CKPT_FILE_MQUEUE, &rec);
	rec.pos = 0;
	rec.size = 0;
	return ckpt_write_file_rec(ctx, &rec, path, strlen(path) + 1);
}

/* Open it again as mq_open(3) without O_CREAT would, in our IPC namespace */
static struct file *ckpt_mq_file_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					 const char *path)
{
	static const int acc[O_ACCMODE] = { MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE };
	struct vfsmount *mnt = current->nsproxy->ipc_ns->mq_mnt;
	u32 flags = le32_to_cpu(rec->f_flags);
	struct file *file;
	struct path p;
	int ret;

	if (path[0] != '/' || !ckpt_name_ok(path + 1, strlen(path)) ||
	    (flags & O_ACCMODE) == O_ACCMODE)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "FILE %s: not a queue name or bad flags",
					path));
	p.dentry = lookup_one_len_unlocked(path + 1, mnt->mnt_root, strlen(path + 1));
	if (IS_ERR(p.dentry))
		return ERR_CAST(p.dentry);
	p.mnt = mntget(mnt);
	ret = d_really_is_negative(p.dentry) ? -ENOENT :
	      inode_permission(&nop_mnt_idmap, d_inode(p.dentry), acc[flags & O_ACCMODE]);
	file = ret ? ERR_PTR(ret) : dentry_open(&p, flags, current_cred());
	path_put(&p);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot open POSIX message queue %s", path);
	return file;
}

CKPT_FILE_OPS(MQUEUE) = {
	.f_flags = O_ACCMODE | O_NONBLOCK,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_mq_file_match,
	.checkpoint = ckpt_mq_file_checkpoint,
	.restart = ckpt_mq_file_restart,
};
