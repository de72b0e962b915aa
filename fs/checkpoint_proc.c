// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of files under /proc/PID of a task of the image (the
 * FILE kind PROC_PID): a supervisor that keeps /proc/CHILD/stat open, a
 * dirfd of /proc/PID, /proc/self/task/TID/... of a thread.
 *
 * They are saved by path, as regular files are, with the task's pid, and
 * reopened by path under the restored pid, which is the same number.  The
 * task they belong to may be restored after the one that opens them (a
 * parent before its children, a leader before its threads): such a file
 * is then a placeholder in the descriptor tables until every task exists,
 * when it is opened with the credentials and root of the task that read
 * its record and put in the placeholder's descriptors.  A placeholder
 * must be used through descriptors only.
 */
#include <linux/anon_inodes.h>
#include <linux/checkpoint_file.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/magic.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "proc/internal.h"

/* The flags a PROC_PID file may have, as REG and DIR */
#define CKPT_PROC_FLAGS	CKPT_FILE_FLAGS

struct ckpt_proc_wait {
	struct ckpt_deferred d;
	struct file *placeholder;
	struct path root;
	const struct cred *cred;
	const struct ckpt_rtask *rt;
	u32 f_flags;
	u32 mode;
	loff_t pos;
	char *path;
};

static const struct file_operations ckpt_proc_wait_fops = {
	.owner = THIS_MODULE,
};

/**
 * ckpt_proc_pid_nr() - whether a file is under /proc/PID of a task of the tree
 * @ctx: checkpoint context, every task collected
 * @file: an open file
 *
 * Return: the pid of that task in the tree, or 0.
 */
pid_t ckpt_proc_pid_nr(struct ckpt_ctx *ctx, struct file *file)
{
	struct inode *inode = file_inode(file);
	struct pid *pid;
	pid_t nr;

	if (ctx->restart || inode->i_sb->s_magic != PROC_SUPER_MAGIC ||
	    !(S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode)))
		return 0;
	pid = proc_pid(inode);
	nr = pid ? pid_nr_ns(pid, ctx->pidns) : 0;
	return nr && xa_load(&ctx->tree_pids, nr) ? nr : 0;
}

static bool ckpt_proc_match(struct ckpt_ctx *ctx, struct file *file)
{
	if (ctx->restart)
		return file->f_op == &ckpt_proc_wait_fops;
	return ckpt_proc_pid_nr(ctx, file) && ckpt_file_flags_ok(file, CKPT_PROC_FLAGS);
}

static int ckpt_proc_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct inode *inode = file_inode(file);
	pid_t nr = ckpt_proc_pid_nr(ctx, file);
	struct ckpt_file rec;
	char *buf, *path;
	u32 path_len;
	int ret;

	/* The path names the task as the /proc it is opened through sees it */
	if (pid_nr_ns(proc_pid(inode), proc_pid_ns(inode->i_sb)) != nr)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"a /proc file of task %d is open through another pid namespace's /proc",
				nr);
	if ((file->f_flags & FASYNC) || file_f_owner(file))
		return ckpt_err(ctx, -EOPNOTSUPP, "a /proc file of task %d has an O_ASYNC owner",
				nr);
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_file_path(ctx, file, buf, &path_len);
	ret = PTR_ERR_OR_ZERO(path);
	if (!ret) {
		ckpt_file_rec_init(ctx, file, objref, CKPT_FILE_PROC_PID, &rec);
		rec.size = 0;
		rec.mtime_sec = 0;
		rec.mtime_nsec = 0;
		rec.ino = cpu_to_le64(nr);
		ret = ckpt_write_file_rec(ctx, &rec, path, path_len);
	}
	kfree(buf);
	return ret;
}

/* Whether @inode is a file of @rt's /proc of type @mode */
static bool ckpt_proc_is(const struct inode *inode, const struct ckpt_rtask *rt, umode_t mode)
{
	return inode->i_sb->s_magic == PROC_SUPER_MAGIC && proc_pid(inode) == task_pid(rt->task) &&
	       !((inode->i_mode ^ mode) & S_IFMT);
}

/*
 * Open @path from @root as the file of @task's /proc it must be: looked
 * up first, so that no other file is opened (a FIFO would block).
 */
static struct file *ckpt_proc_open(struct ckpt_ctx *ctx, const struct path *root,
				   const char *path, u32 f_flags, umode_t mode, loff_t pos,
				   const struct ckpt_rtask *rt)
{
	struct file *file = ERR_PTR(-ESTALE);
	struct path p;
	int ret;

	ret = vfs_path_lookup(root->dentry, root->mnt, path, LOOKUP_FOLLOW, &p);
	if (!ret) {
		if (ckpt_proc_is(d_inode(p.dentry), rt, mode))
			file = file_open_root(root, path, f_flags, 0);
		path_put(&p);
	}
	if (ret || IS_ERR(file)) {
		ret = ret ?: PTR_ERR(file);
		ckpt_err(ctx, ret, ret == -ESTALE ? "%s is not the /proc file of task %d it was" :
			 "cannot reopen %s (of task %d)", path, rt->pid);
		return ERR_PTR(ret);
	}
	if (!ckpt_proc_is(file_inode(file), rt, mode)) {
		fput(file);
		ckpt_err(ctx, -ESTALE, "%s is not the /proc file of task %d it was", path,
			 rt->pid);
		return ERR_PTR(-ESTALE);
	}
	if (pos && vfs_llseek(file, pos, SEEK_SET) != pos) {
		fput(file);
		ckpt_err(ctx, -EINVAL, "cannot restore the position of %s", path);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/* Whether a task before the @i-th one of the image has the same table */
static bool ckpt_proc_files_seen(struct ckpt_ctx *ctx, unsigned int i,
				 struct files_struct *files)
{
	while (i--)
		if (ctx->rtasks[i].task && READ_ONCE(ctx->rtasks[i].task->files) == files)
			return true;
	return false;
}

/*
 * Count, or with @new replace, @old in the descriptor tables of the tasks,
 * each table once.  The tasks do not run: their tables stay theirs.
 */
static unsigned int ckpt_proc_swap_fds(struct ckpt_ctx *ctx, struct file *old,
				       struct file *new)
{
	unsigned int i, fd, n = 0;

	for (i = 0; i < ctx->nr_tasks; i++) {
		struct task_struct *t = ctx->rtasks[i].task;
		struct files_struct *files;
		struct fdtable *fdt;

		if (!t)
			continue;
		task_lock(t);
		files = t->files;
		if (files && !ckpt_proc_files_seen(ctx, i, files)) {
			spin_lock(&files->file_lock);
			fdt = files_fdtable(files);
			for (fd = 0; fd < fdt->max_fds; fd++) {
				if (rcu_access_pointer(fdt->fd[fd]) != old)
					continue;
				n++;
				if (new)
					rcu_assign_pointer(fdt->fd[fd], get_file(new));
			}
			spin_unlock(&files->file_lock);
		}
		task_unlock(t);
	}
	return n;
}

static int ckpt_proc_run(struct ckpt_ctx *ctx, struct ckpt_deferred *d)
{
	struct ckpt_proc_wait *w = container_of(d, struct ckpt_proc_wait, d);
	unsigned int n = ckpt_proc_swap_fds(ctx, w->placeholder, NULL);
	const struct cred *old_cred;
	struct file *file;

	/* Held by the object hash, by @w and by descriptors only */
	if (file_count(w->placeholder) != n + 2)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"%s, of a task restored after its user, is used other than through descriptors",
				w->path);
	old_cred = override_creds(w->cred);
	file = ckpt_proc_open(ctx, &w->root, w->path, w->f_flags, w->mode, w->pos, w->rt);
	revert_creds(old_cred);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ckpt_proc_swap_fds(ctx, w->placeholder, file);
	while (n--)
		fput(w->placeholder);
	fput(file);
	return 0;
}

static void ckpt_proc_free(struct ckpt_deferred *d)
{
	struct ckpt_proc_wait *w = container_of(d, struct ckpt_proc_wait, d);

	fput(w->placeholder);
	path_put(&w->root);
	put_cred(w->cred);
	kfree(w->path);
	kfree(w);
}

/* A placeholder until @rt exists */
static struct file *ckpt_proc_defer(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				    const char *path, const struct ckpt_rtask *rt)
{
	struct ckpt_proc_wait *w;
	struct file *file;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->path = kstrdup(path, GFP_KERNEL);
	file = w->path ? anon_inode_getfile("[ckpt-proc]", &ckpt_proc_wait_fops, NULL, O_RDONLY) :
	       ERR_PTR(-ENOMEM);
	if (IS_ERR(file)) {
		kfree(w->path);
		kfree(w);
		return file;
	}
	w->placeholder = get_file(file);
	get_fs_root(current->fs, &w->root);
	w->cred = get_current_cred();
	w->rt = rt;
	w->f_flags = le32_to_cpu(rec->f_flags);
	w->mode = le32_to_cpu(rec->mode);
	w->pos = le64_to_cpu(rec->pos);
	w->d.run = ckpt_proc_run;
	w->d.free = ckpt_proc_free;
	ckpt_defer(ctx, &w->d);
	return file;
}

static struct file *ckpt_proc_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				      const char *path)
{
	u64 nr = le64_to_cpu(rec->ino);
	umode_t mode = le32_to_cpu(rec->mode);
	const struct ckpt_rtask *rt = nr <= PID_MAX_LIMIT ? ckpt_rtask_of(ctx, nr) : NULL;
	struct path root;
	struct file *file;

	if (!rt || !(S_ISREG(mode) || S_ISDIR(mode)) || rec->size || rec->mtime_sec ||
	    rec->mtime_nsec) {
		ckpt_err(ctx, -EINVAL, "FILE %s: not a /proc file of a task of the TREE", path);
		return ERR_PTR(-EINVAL);
	}
	if (!rt->task)
		return ckpt_proc_defer(ctx, rec, path, rt);
	get_fs_root(current->fs, &root);
	file = ckpt_proc_open(ctx, &root, path, le32_to_cpu(rec->f_flags), mode,
			      le64_to_cpu(rec->pos), rt);
	path_put(&root);
	return file;
}

CKPT_FILE_OPS(PROC_PID) = {
	.f_flags = CKPT_PROC_FLAGS,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_proc_match,
	.checkpoint = ckpt_proc_checkpoint,
	.restart = ckpt_proc_restart,
};
