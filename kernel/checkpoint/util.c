// SPDX-License-Identifier: GPL-2.0-only
/* Helpers shared by the back ends */
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "checkpoint.h"

/**
 * ckpt_path_name() - the name of a path, as the image gives it
 * @ctx: checkpoint context
 * @path: the path
 * @buf: a CKPT_PATH_MAX buffer
 *
 * From the caller's root, or from the tasks' common root with
 * CHECKPOINT_ROOT_RELATIVE or a mount namespace of their own: restart
 * then resolves it from its caller's root, which holds a copy of the
 * tasks' tree, or from the root of the restored mount namespace.
 *
 * Return: a pointer into @buf, or an ERR_PTR; -EXDEV if @path is outside
 * the tasks' root.
 */
char *ckpt_path_name(struct ckpt_ctx *ctx, const struct path *path, char *buf)
{
	char *p;

	if (!ctx->image_root.mnt)
		return d_path(path, buf, CKPT_PATH_MAX);
	p = __d_path(path, &ctx->image_root, buf, CKPT_PATH_MAX);
	/* On a mount of another namespace: through one of the tasks' own */
	return p ?: ckpt_mnt_path_name(ctx, path, buf);
}

/**
 * ckpt_obj_get_file() - take a reference on an object that is a file
 * @ptr: the struct file
 *
 * The grab operation of the object kinds whose objects are struct files
 * (open files, pipes, ptys, shared memory).
 */
void ckpt_obj_get_file(void *ptr)
{
	get_file(ptr);
}

/**
 * ckpt_obj_put_file() - drop a reference taken by ckpt_obj_get_file()
 * @ptr: the struct file
 */
void ckpt_obj_put_file(void *ptr)
{
	fput(ptr);
}

/**
 * ckpt_caller_capable() - does the caller of restart(2) hold a capability
 * @ctx: restart context
 * @ns: the user namespace in which it must be held
 * @cap: the capability
 *
 * Restored objects are created by the restored tasks, in their context;
 * what they may do is what the caller could do by hand, so capabilities
 * are those of the caller's credentials, as ns_capable() would check them
 * in the caller.
 *
 * Return: true if the caller holds @cap in @ns.
 */
bool ckpt_caller_capable(struct ckpt_ctx *ctx, struct user_namespace *ns, int cap)
{
	return !security_capable(ctx->caller_cred, ns, cap, CAP_OPT_NONE);
}

/**
 * ckpt_file_path() - the path of an open file, for the image
 * @ctx: checkpoint context
 * @file: the file
 * @buf: a CKPT_PATH_MAX buffer
 * @len: returns the length including the NUL
 *
 * Files are reopened by path at restart, so a file that has no path from
 * the caller's root (unlinked, or on a mount the caller cannot see) cannot
 * be saved this way.
 *
 * Return: a pointer into @buf, or an ERR_PTR (logged).
 */
char *ckpt_file_path(struct ckpt_ctx *ctx, struct file *file, char *buf, u32 *len)
{
	char *p;

	if (d_unlinked(file->f_path.dentry)) {
		p = d_path(&file->f_path, buf, CKPT_PATH_MAX);
		ckpt_err(ctx, -EOPNOTSUPP, "file %s was unlinked (not supported yet)",
			 IS_ERR(p) ? "?" : p);
		return ERR_PTR(-EOPNOTSUPP);
	}
	p = ckpt_path_name(ctx, &file->f_path, buf);
	if (p == ERR_PTR(-EXDEV)) {
		p = d_path(&file->f_path, buf, CKPT_PATH_MAX);
		ckpt_err(ctx, -EXDEV, "file %s is outside the tasks' root directory",
			 IS_ERR(p) ? "?" : p);
		return ERR_PTR(-EXDEV);
	}
	if (IS_ERR(p)) {
		ckpt_err(ctx, PTR_ERR(p), "cannot get the path of an open file");
		return p;
	}
	if (*p != '/') {
		ckpt_err(ctx, -EOPNOTSUPP, "file %s is not reachable from the caller's root",
			 p);
		return ERR_PTR(-EOPNOTSUPP);
	}
	*len = strlen(p) + 1;
	return p;
}

/**
 * ckpt_read_path() - check a NUL-terminated path at the end of a record
 * @ctx: restart context
 * @what: record name for the log
 * @rec: the whole record payload
 * @fixed: size of the fixed part, after which the path starts
 * @len: payload length
 * @path_len: path length claimed by the record, including the NUL
 *
 * Return: the path inside @rec, or an ERR_PTR (logged).
 */
char *ckpt_read_path(struct ckpt_ctx *ctx, const char *what, const void *rec,
		     u32 fixed, u32 len, u32 path_len)
{
	char *path = (char *)rec + fixed;

	if (path_len < 2 || path_len > CKPT_PATH_MAX ||
	    len != ALIGN(fixed + path_len, 8) || path[0] != '/' ||
	    strnlen(path, path_len) != path_len - 1 ||
	    memchr_inv(path + path_len, 0, len - fixed - path_len)) {
		ckpt_err(ctx, -EINVAL, "%s record has a malformed path", what);
		return ERR_PTR(-EINVAL);
	}
	return path;
}

/**
 * ckpt_wait_asleep() - wait until a parked task is off the CPU
 * @t: a task that parks itself with wait_event_killable() or
 *	wait_event_idle()
 *
 * Once it is, its user registers and FPU state are in memory and can be
 * read or written through the regsets, as for a stopped tracee.
 *
 * Return: 0, -ESRCH if the task is exiting instead, -EINTR if we are
 * killed.
 */
int ckpt_wait_asleep(struct task_struct *t)
{
	while (!wait_task_inactive(t, TASK_KILLABLE)) {
		if (t->exit_state || (t->flags & PF_EXITING))
			return -ESRCH;
		if (fatal_signal_pending(current))
			return -EINTR;
		schedule_timeout_uninterruptible(1);
	}
	return 0;
}

/**
 * ckpt_root_fsids_cred() - credentials to create files as root of our user namespace
 *
 * In a new user namespace, where the caller's ids are not mapped, the
 * restored root creates files and objects (tmpfs files, message queues)
 * as the namespace's root, as a manager does once it has entered it
 * (setresuid(0)): the caller's credentials have all its capabilities
 * there.
 *
 * Return: a copy of current's credentials with the fsuid and fsgid of
 * root in its user namespace, to override_creds() with, or NULL when its
 * own fsuid is mapped there (or root is not).
 */
struct cred *ckpt_root_fsids_cred(void)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid = make_kuid(ns, 0);
	kgid_t gid = make_kgid(ns, 0);
	struct cred *cred;

	if (kuid_has_mapping(ns, current_fsuid()) || !uid_valid(uid) || !gid_valid(gid))
		return NULL;
	cred = prepare_creds();
	if (cred) {
		cred->fsuid = uid;
		cred->fsgid = gid;
	}
	return cred;
}

/**
 * ckpt_name_ok() - whether an image's name is one path component
 * @name: the name, @len bytes with its NUL
 * @len: its length in the image
 *
 * Return: true if @name is NUL-terminated at @len, not empty, at most
 * NAME_MAX bytes, without '/', and neither "." nor "..".
 */
bool ckpt_name_ok(const char *name, u32 len)
{
	return len >= 2 && len <= NAME_MAX + 1 && !name[len - 1] && strlen(name) == len - 1 &&
	       !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/**
 * ckpt_defer() - queue work for when every task of the image exists
 * @ctx: restart context
 * @d: the work, embedded in what the back end keeps for it
 *
 * Called by a task as it reads its records; the coordinator runs the
 * queued work in order once every task has read its records, and frees it
 * in any case.  Tasks read their records one after the other, so the list
 * needs no lock.
 */
void ckpt_defer(struct ckpt_ctx *ctx, struct ckpt_deferred *d)
{
	list_add_tail(&d->list, &ctx->deferred);
}

/**
 * ckpt_run_deferred() - run the work ckpt_defer() queued
 * @ctx: restart context, every task asleep before its release
 *
 * Return: 0 or the first error, already logged.
 */
int ckpt_run_deferred(struct ckpt_ctx *ctx)
{
	struct ckpt_deferred *d;
	int ret;

	list_for_each_entry(d, &ctx->deferred, list) {
		ret = d->run(ctx, d);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * ckpt_free_deferred() - free the queued work, run or not
 * @ctx: restart context
 */
void ckpt_free_deferred(struct ckpt_ctx *ctx)
{
	struct ckpt_deferred *d, *n;

	list_for_each_entry_safe(d, n, &ctx->deferred, list) {
		list_del(&d->list);
		d->free(d);
	}
}

/**
 * ckpt_rtask_of() - the restored task of a pid of the image
 * @ctx: restart context
 * @pid: a pid in TREE numbering
 *
 * Return: its entry, or NULL if no task of the image has @pid.  The
 * entry's task is NULL until it is created.
 */
struct ckpt_rtask *ckpt_rtask_of(struct ckpt_ctx *ctx, pid_t pid)
{
	return pid > 0 && ctx->nr_tasks ? xa_load(&ctx->tree_pids, pid) : NULL;
}
