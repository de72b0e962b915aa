// SPDX-License-Identifier: GPL-2.0-only
/*
 * checkpoint(2) and restart(2): argument checking and the context that
 * carries one operation.  See Documentation/checkpoint/syscalls.rst.
 */
#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/syscalls.h>

#include "checkpoint.h"

#define CHECKPOINT_VALID_FLAGS	(CHECKPOINT_KILL | CHECKPOINT_SUBTREE | CHECKPOINT_SHARED_OK | \
				 CHECKPOINT_ROOT_RELATIVE | CHECKPOINT_EXT_UNIX_SK | \
				 CHECKPOINT_TRACK | CHECKPOINT_INCREMENTAL | CHECKPOINT_PREDUMP | \
				 CHECKPOINT_STOP | CHECKPOINT_LAZY)
#define RESTART_VALID_FLAGS	(RESTART_FILES_CHANGED_OK | RESTART_EXTERNAL | RESTART_THAW | \
				 RESTART_SIBLING | RESTART_LAZY)

static void ckpt_ctx_free(struct ckpt_ctx *ctx)
{
	u32 i;

	ckpt_free_deferred(ctx);
	ckpt_arch_ctx_free(ctx);
	ckpt_mm_fini(ctx);
	ckpt_objhash_fini(ctx);
	ckpt_image_fini(ctx);
	if (ctx->logfile)
		fput(ctx->logfile);
	if (ctx->caller_cred)
		put_cred(ctx->caller_cred);
	kvfree(ctx->rtasks);
	xa_destroy(&ctx->tree_pids);
	ckpt_fs_roots_free(ctx);
	ckpt_namespaces_free(ctx);
	for (i = 0; ctx->ext_files && i < ctx->nr_ext; i++)
		if (ctx->ext_files[i])
			fput(ctx->ext_files[i]);
	kvfree(ctx->ext_files);
	kvfree(ctx->ext);
	kfree(ctx);
}

static struct ckpt_ctx *ckpt_ctx_alloc(struct file *file, int logfd,
				       unsigned long flags, bool restart)
{
	fmode_t mode = restart ? FMODE_READ : FMODE_WRITE;
	struct ckpt_ctx *ctx;
	int ret = -EBADF;

	if (!(file->f_mode & mode))
		return ERR_PTR(-EBADF);
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	mutex_init(&ctx->log_lock);
	INIT_LIST_HEAD(&ctx->tasks);
	INIT_LIST_HEAD(&ctx->deferred);
	xa_init(&ctx->objs);
	xa_init(&ctx->tree_pids);
	xa_init(&ctx->fs_roots);
	xa_init(&ctx->cow_pages);
	ctx->flags = flags;
	ctx->restart = restart;
	ctx->fd_hint = -1;
	ctx->file = file;
	/*
	 * The file's own position, under the f_pos lock that fdget_pos()
	 * took: it moves as the image goes, which ckpt shows as progress.
	 */
	if (!(file->f_mode & FMODE_STREAM))
		ctx->ppos = &file->f_pos;
	if (logfd != -1) {
		ctx->logfile = fget(logfd);
		if (!ctx->logfile || !(ctx->logfile->f_mode & FMODE_WRITE))
			goto err;
	}
	ret = ckpt_image_init(ctx);
	if (!ret)
		ret = ckpt_objhash_init(ctx);
	if (ret)
		goto err;
	return ctx;
err:
	ckpt_ctx_free(ctx);
	return ERR_PTR(ret);
}

static bool ckpt_external_ok(const struct ckpt_external *e)
{
	if (strnlen(e->key, sizeof(e->key)) == sizeof(e->key) ||
	    strnlen(e->name, sizeof(e->name)) == sizeof(e->name))
		return false;
	switch (e->kind) {
	case CKPT_EXT_VETH:
		return e->fd == -1 && strlen(e->name) < IFNAMSIZ && dev_valid_name(e->name);
	case CKPT_EXT_UNIX_SK:
	case CKPT_EXT_MOUNT:
	case CKPT_EXT_FILE:
	case CKPT_EXT_PTY:
	case CKPT_EXT_PAGES:
		return e->fd >= 0 && !e->name[0];
	case CKPT_EXT_CGROUP:
		return e->fd >= 0 && !e->name[0] && !strcmp(e->key, "/");
	}
	return false;
}

/* Copy and check what restart(2) got with RESTART_EXTERNAL */
static int ckpt_copy_externals(struct ckpt_ctx *ctx, const struct ckpt_external __user *uext,
			       unsigned int nr)
{
	struct ckpt_external *e;
	unsigned int i;

	if (!nr || nr > CKPT_EXTERNAL_MAX)
		return ckpt_err(ctx, -EINVAL, "%u externals: give 1 to %u", nr, CKPT_EXTERNAL_MAX);
	e = vmemdup_array_user(uext, nr, sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	ctx->ext = e;
	ctx->nr_ext = nr;
	ctx->ext_files = kvcalloc(nr, sizeof(*ctx->ext_files), GFP_KERNEL);
	if (!ctx->ext_files)
		return -ENOMEM;
	for (i = 0; i < nr; i++, e++) {
		if (!ckpt_external_ok(e))
			return ckpt_err(ctx, -EINVAL, "external %u is malformed", i);
		if (e->fd < 0)
			continue;
		/* Taken now, in the caller's file table; O_PATH will do for a mount */
		ctx->ext_files[i] = e->kind == CKPT_EXT_MOUNT ? fget_raw(e->fd) : fget(e->fd);
		if (!ctx->ext_files[i])
			return ckpt_err(ctx, -EBADF, "external %u: fd %d is not open", i, e->fd);
	}
	return 0;
}

/**
 * ckpt_external_file() - the file the caller of restart(2) gave for an object
 * @ctx: restart context
 * @kind: CKPT_EXT_* of a kind that takes a file
 * @key: the object, as the image names it
 *
 * Return: the file (a reference the context holds), or NULL.
 */
struct file *ckpt_external_file(struct ckpt_ctx *ctx, u32 kind, const char *key)
{
	const struct ckpt_external *e = ckpt_external(ctx, kind, key);

	return e ? ctx->ext_files[e - ctx->ext] : NULL;
}

/**
 * ckpt_external_give() - hand a file to the caller of restart(2)
 * @ctx: restart context
 * @e: an external of @ctx (from ckpt_external()) whose fd is the caller's
 *	placeholder for @file
 * @file: a file restart made for the caller (the master of a console)
 *
 * Once the restart succeeds, @file replaces the caller's descriptor
 * @e->fd (ckpt_externals_hand_over()); until then the context holds it.
 *
 * Return: 0, or -EINVAL (logged) if the external was given a file already.
 */
int ckpt_external_give(struct ckpt_ctx *ctx, const struct ckpt_external *e, struct file *file)
{
	unsigned int i = e - ctx->ext;

	if (test_and_set_bit(i, ctx->ext_given))
		return ckpt_err(ctx, -EINVAL, "two objects of the image are given to external %s",
				e->key);
	fput(ctx->ext_files[i]);
	ctx->ext_files[i] = get_file(file);
	return 0;
}

/**
 * ckpt_externals_hand_over() - give the caller of restart(2) its files
 * @ctx: restart context of a restart that cannot fail any more
 *
 * Each file given with ckpt_external_give() replaces the caller's
 * descriptor, as dup2() would, keeping its close-on-exec flag.  It cannot
 * fail unless another thread of the caller is installing that descriptor
 * at the same moment; that is logged and the descriptor left as it is.
 */
void ckpt_externals_hand_over(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for_each_set_bit(i, ctx->ext_given, ctx->nr_ext) {
		unsigned int fd = ctx->ext[i].fd;
		int ret;

		ret = replace_fd(fd, ctx->ext_files[i],
				 get_close_on_exec(fd) ? O_CLOEXEC : 0);
		if (ret < 0)
			ckpt_err(ctx, ret, "external %s: cannot install it as fd %u",
				 ctx->ext[i].key, fd);
	}
}

/**
 * ckpt_external() - what the caller of restart(2) gave for an object
 * @ctx: restart context
 * @kind: CKPT_EXT_*
 * @key: the object, as the image names it
 *
 * Return: the external of that kind and key, or NULL.
 */
const struct ckpt_external *ckpt_external(struct ckpt_ctx *ctx, u32 kind, const char *key)
{
	u32 i;

	for (i = 0; i < ctx->nr_ext; i++)
		if (ctx->ext[i].kind == kind && !strcmp(ctx->ext[i].key, key))
			return &ctx->ext[i];
	return NULL;
}

static long ckpt_run(int fd, int logfd, unsigned long flags, bool restart,
		     pid_t pid, const struct ckpt_external __user *ext, unsigned int nr_ext)
{
	struct ckpt_ctx *ctx;
	struct fd f;
	long ret;

	f = fdget_pos(fd);
	if (!fd_file(f))
		return -EBADF;
	ctx = ckpt_ctx_alloc(fd_file(f), logfd, flags, restart);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto out;
	}
	if (restart) {
		ctx->caller = current;
		ctx->caller_cred = get_current_cred();
		ret = flags & RESTART_EXTERNAL ? ckpt_copy_externals(ctx, ext, nr_ext) : 0;
		/* Pages are read later, at their offsets in the file */
		if (!ret && (flags & RESTART_LAZY) &&
		    (!ctx->ppos || !S_ISREG(file_inode(ctx->file)->i_mode)))
			ret = ckpt_err(ctx, -EINVAL, "RESTART_LAZY needs a regular file");
		if (!ret)
			ret = ckpt_do_restart(ctx);
	} else {
		ret = ckpt_do_checkpoint(ctx, pid);
	}
	/* Every failure says why on logfd, even one nobody named */
	if (ret < 0 && !ctx->err)
		ckpt_err(ctx, ret, "%s failed", restart ? "restart" : "checkpoint");
	ckpt_ctx_free(ctx);
out:
	fdput_pos(f);
	return ret;
}

/**
 * sys_checkpoint - save a process into an image
 * @pid: the process
 * @fd: where the image is written, sequentially
 * @flags: CHECKPOINT_* flags
 * @logfd: -1, or where a human-readable account is written
 *
 * Return: 0 or a negative error.
 */
SYSCALL_DEFINE4(checkpoint, pid_t, pid, int, fd, unsigned long, flags,
		int, logfd)
{
	if (flags & ~(CHECKPOINT_VALID_FLAGS | CHECKPOINT_VERSION_MASK) ||
	    (flags & CHECKPOINT_VERSION_MASK) > CHECKPOINT_VERSION(CKPT_IMAGE_VERSION))
		return -EINVAL;
	/* Nothing is left to track */
	if ((flags & (CHECKPOINT_TRACK | CHECKPOINT_PREDUMP | CHECKPOINT_STOP)) &&
	    (flags & CHECKPOINT_KILL))
		return -EINVAL;
	if ((flags & CHECKPOINT_STOP) && (flags & CHECKPOINT_PREDUMP))
		return -EINVAL;
	/* A lazy restart reads one image, not a chain */
	if ((flags & CHECKPOINT_LAZY) &&
	    (flags & (CHECKPOINT_PREDUMP | CHECKPOINT_INCREMENTAL)))
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	return ckpt_run(fd, logfd, flags, false, pid, NULL, 0);
}

/**
 * sys_restart - recreate a process from an image
 * @pid: must be 0
 * @fd: where the image is read from, sequentially
 * @flags: RESTART_* flags
 * @logfd: -1, or where a human-readable account is written
 * @ext: with RESTART_EXTERNAL, what the caller gives for the objects the
 *	image names but does not hold (struct ckpt_external); else unused
 * @nr_ext: with RESTART_EXTERNAL, the entries at @ext; else unused
 *
 * Return: the pid of the restored process, a child of the caller (with
 * RESTART_SIBLING, of the caller's parent), or a negative error.
 */
SYSCALL_DEFINE6(restart, pid_t, pid, int, fd, unsigned long, flags,
		int, logfd, const struct ckpt_external __user *, ext,
		unsigned int, nr_ext)
{
	if (flags & ~RESTART_VALID_FLAGS)
		return -EINVAL;
	if (pid)
		return -EINVAL;
	/* As clone(CLONE_PARENT): an init has no parent to share */
	if ((flags & RESTART_SIBLING) && (current->signal->flags & SIGNAL_UNKILLABLE))
		return -EINVAL;
	return ckpt_run(fd, logfd, flags, true, 0, ext, nr_ext);
}
