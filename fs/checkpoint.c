// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of open files, file descriptor tables and fs_struct
 * (cwd, umask).
 *
 * A file is saved by path and reopened by path with the same flags and
 * position.  A regular file must be unchanged (same size and mtime) at
 * restart, unless the caller accepts changed files
 * (RESTART_FILES_CHANGED_OK).  A regular file unlinked while open is saved
 * with its contents and comes back as an unlinked file (O_TMPFILE) in the
 * same directory.  Pipes and FIFOs are in checkpoint_pipe.c.  A terminal
 * is not recreated: the restart caller's terminal takes its place, as with
 * CRIU's --shell-job.  Every other kind of file makes checkpoint fail and
 * names the descriptor.
 *
 * The record locks (fcntl(F_SETLK), OFD locks) and flock(2) locks held
 * through a file table follow its FILES record, and the task that restores
 * the table takes them again.
 */
#include <linux/checkpoint_file.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/major.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/slab.h>

#include "internal.h"

static bool ckpt_is_mem_dev(struct inode *inode)
{
	if (!S_ISCHR(inode->i_mode) || imajor(inode) != MEM_MAJOR)
		return false;
	switch (iminor(inode)) {
	case 3: /* null */
	case 5: /* zero */
	case 7: /* full */
	case 8: /* random */
	case 9: /* urandom */
		return true;
	}
	return false;
}

/* ---- the table of file kinds ---- */

static const struct ckpt_file_entry {
	u32 kind;
	const char *name;
	const struct ckpt_file_ops *ops;
} ckpt_file_kinds[] = {
#define __CKPT_FILE_ENTRY(name, nr) { nr, #name, &ckpt_file_ops_##name },
	__CKPT_FILE_MAPPER(__CKPT_FILE_ENTRY)
#undef __CKPT_FILE_ENTRY
};

/* The entry of a kind read from an image, or NULL for an unknown kind */
static const struct ckpt_file_entry *ckpt_file_kind_find(u32 kind)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_file_kinds); i++)
		if (ckpt_file_kinds[i].kind == kind)
			return &ckpt_file_kinds[i];
	return NULL;
}

/* The entry of the kind of @file, or NULL if it cannot be saved yet */
static const struct ckpt_file_entry *ckpt_file_kind_of(struct ckpt_ctx *ctx,
						       struct file *file)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_file_kinds); i++)
		if (ckpt_file_kinds[i].ops->match(ctx, file))
			return &ckpt_file_kinds[i];
	return NULL;
}

/**
 * ckpt_file_flags_ok() - whether a file's flags can all be saved
 * @file: an open file
 * @saved: the O_* flags its FILE record keeps
 *
 * Return: true if @file has no flag beyond @saved, except those that say
 * nothing about the open file description (O_CLOEXEC, O_CREAT, ...).
 */
bool ckpt_file_flags_ok(struct file *file, u32 saved)
{
	return !(file->f_flags & ~(saved | CKPT_FILE_IGNORED));
}

static int ckpt_file_unsupported(struct ckpt_ctx *ctx, struct file *file,
				 int fd)
{
	char *buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	char *p = buf ? d_path(&file->f_path, buf, CKPT_PATH_MAX) : NULL;
	int ret;

	ret = ckpt_err(ctx, -EOPNOTSUPP, "fd %d: %s (mode %07o, flags %#x) cannot be saved yet",
		       fd, IS_ERR_OR_NULL(p) ? "?" : p, file_inode(file)->i_mode,
		       file->f_flags);
	kfree(buf);
	return ret;
}

/* ---- struct file ---- */

/**
 * ckpt_write_file_data() - write contents as FILE_DATA records
 * @ctx: checkpoint context
 * @offset: where @data starts (in the file, or in the pipe's buffer)
 * @data: the contents
 * @len: their length
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_write_file_data(struct ckpt_ctx *ctx, loff_t offset, const void *data,
			 size_t len)
{
	size_t done = 0;
	int ret = 0;

	while (!ret && done < len) {
		u32 n = min_t(size_t, len - done, CKPT_FILE_DATA_MAX);
		struct ckpt_file_data rec = {
			.offset = cpu_to_le64(offset + done),
			.len = cpu_to_le32(n),
		};

		ret = ckpt_write_rec_var(ctx, CKPT_REC_FILE_DATA, &rec, sizeof(rec),
					 data + done, n);
		done += n;
	}
	return ret;
}

/**
 * ckpt_read_file_data() - write the FILE_DATA records that follow into a file
 * @ctx: restart context
 * @file: the file, open for writing
 * @size: a pipe: the bytes buffered, all in the records; a file: its size,
 *	which the records stay within
 * @pipe: @file is a pipe: the records are contiguous from offset 0
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_read_file_data(struct ckpt_ctx *ctx, struct file *file, u64 size,
			bool pipe)
{
	struct ckpt_file_data rec;
	u64 next = 0;
	void *buf;
	int ret = 0;

	buf = kvmalloc(CKPT_FILE_DATA_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		u64 off;
		u32 len, n;
		loff_t pos;
		ssize_t done;

		if (pipe && next == size)
			break;
		if (!pipe) {
			ret = ckpt_peek_rec(ctx);
			if (ret != CKPT_REC_FILE_DATA)
				break;
		}
		ret = ckpt_read_rec_hdr(ctx, CKPT_REC_FILE_DATA, &len);
		if (!ret)
			ret = ckpt_read(ctx, &rec, sizeof(rec));
		if (ret)
			break;
		off = le64_to_cpu(rec.offset);
		n = le32_to_cpu(rec.len);
		if (!n || n > CKPT_FILE_DATA_MAX || rec.__pad ||
		    len != ALIGN(sizeof(rec) + n, 8) || off < next ||
		    (pipe && off != next) || off > size || n > size - off) {
			ret = ckpt_err(ctx, -EINVAL,
				       "offset %llu: FILE_DATA out of order or bounds",
				       ctx->rec_start);
			break;
		}
		ret = ckpt_read(ctx, buf, n);
		if (!ret)
			ret = ckpt_read_end(ctx);
		if (ret)
			break;
		pos = off;
		done = kernel_write(file, buf, n, &pos);
		if (done != n) {
			ret = ckpt_err(ctx, done < 0 ? done : -ENOSPC,
				       "cannot write back %u bytes of saved contents", n);
			break;
		}
		next = off + n;
	}
	kvfree(buf);
	return ret < 0 ? ret : 0;
}

/* The directory of an unlinked file, where it comes back */
static char *ckpt_unlinked_dir(struct ckpt_ctx *ctx, struct file *file,
			       char *buf, u32 *len)
{
	struct path dir = { .mnt = file->f_path.mnt };
	struct path root;
	char *p;
	bool ok;

	dir.dentry = dget_parent(file->f_path.dentry);
	/* Where the image's paths start: ckpt_path_name() */
	if (ctx->image_root.mnt) {
		root = ctx->image_root;
		path_get(&root);
	} else {
		get_fs_root(current->fs, &root);
	}
	p = ckpt_path_name(ctx, &dir, buf);
	/* Not memfd's or another internal mount's */
	ok = !IS_ERR(p) && *p == '/' && !d_unlinked(dir.dentry) &&
	     path_is_under(&dir, &root);
	path_put(&root);
	dput(dir.dentry);
	if (!ok) {
		ckpt_err(ctx, -EOPNOTSUPP,
			 "an unlinked file's directory %s is gone or outside the caller's root",
			 IS_ERR(p) ? "?" : p);
		return ERR_PTR(-EOPNOTSUPP);
	}
	*len = strlen(p) + 1;
	return p;
}

/*
 * Another open file of an unlinked file saved already, whose contents
 * this one shares: its id, or 0, and then this one (@objref) stands for
 * the inode from now on.
 */
static int ckpt_unlinked_ref(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			     u32 *ref)
{
	unsigned long *key;

	if (ckpt_obj_key_find(ctx, CKPT_OBJ_file, file_inode(file), ref))
		return 0;
	key = ckpt_obj_key_add(ctx, CKPT_OBJ_file, file_inode(file), objref);
	return PTR_ERR_OR_ZERO(key);
}

/*
 * The contents of an unlinked file, chunk by chunk; chunks of zeroes (holes)
 * are left out.  Read through a file of our own: the task's may be
 * write-only, O_DIRECT, and its position is not ours to move.
 */
static int ckpt_save_contents(struct ckpt_ctx *ctx, struct file *file, loff_t size)
{
	struct file *rd;
	loff_t pos = 0;
	void *buf;
	int ret = 0;

	if (!(file->f_mode & FMODE_READ)) {
		ret = inode_permission(file_mnt_idmap(file), file_inode(file), MAY_READ);
		if (ret)
			return ckpt_err(ctx, ret, "cannot read an unlinked file to save it");
	}
	rd = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(rd))
		return ckpt_err(ctx, PTR_ERR(rd), "cannot read an unlinked file to save it");
	buf = kvmalloc(CKPT_FILE_DATA_MAX, GFP_KERNEL);
	if (!buf) {
		fput(rd);
		return -ENOMEM;
	}
	while (pos < size) {
		loff_t p = pos;
		ssize_t n = kernel_read(rd, buf, min_t(loff_t, size - pos, CKPT_FILE_DATA_MAX),
					&p);

		if (n < 0)
			ret = ckpt_err(ctx, n, "cannot read an unlinked file to save it");
		if (n <= 0)
			break;
		if (memchr_inv(buf, 0, n))
			ret = ckpt_write_file_data(ctx, pos, buf, n);
		if (ret)
			break;
		pos += n;
	}
	kvfree(buf);
	fput(rd);
	return ret;
}

/*
 * An unlinked file: a new one, unlinked from the start (O_TMPFILE), in the
 * same directory, with the same mode and contents, opened like the old one.
 */
/*
 * Give a new unlinked file, its contents written, the owner, mode,
 * attributes and times of @attr, as chown(2), chmod(2), setxattr(2) and
 * utimensat(2) would
 */
/**
 * ckpt_read_inode_attr() - read an INODE_ATTR record, if one is next
 * @ctx: restart context
 * @attr: filled in; its mode is 0 in an image of an earlier kernel
 * @mode: the record must have the mode (no earlier kernel wrote it there)
 *
 * Return: 1 if one was read, 0 if the next record is another, or a
 * negative error, already logged.
 */
int ckpt_read_inode_attr(struct ckpt_ctx *ctx, struct ckpt_inode_attr *attr, bool mode)
{
	u32 len;
	int ret;

	memset(attr, 0, sizeof(*attr));
	if (ckpt_peek_rec(ctx) != CKPT_REC_INODE_ATTR)
		return 0;
	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_INODE_ATTR, &len);
	if (!ret && mode && len < sizeof(*attr))
		ret = ckpt_err(ctx, -EINVAL, "INODE_ATTR has no mode");
	ret = ret ?: ckpt_read(ctx, attr, len) ?: ckpt_read_end(ctx);
	if (!ret && (le32_to_cpu(attr->mode) & ~07777 || attr->__pad))
		ret = ckpt_err(ctx, -EINVAL, "INODE_ATTR has an invalid mode");
	return ret ?: 1;
}

/**
 * ckpt_set_inode_attr() - give an inode the owner, mode and times of an INODE_ATTR
 * @ctx: restart context
 * @p: the inode's path
 * @attr: the record
 * @mode: the permission bits to give it
 * @times: give it the record's times too
 * @what: what the inode is, for the log
 *
 * As chown(2), chmod(2) and utimensat(2) by the restoring task would,
 * each only if it changes something.
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_set_inode_attr(struct ckpt_ctx *ctx, const struct path *p,
			const struct ckpt_inode_attr *attr, umode_t mode, bool times,
			const char *what)
{
	struct inode *inode = d_inode(p->dentry);
	struct user_namespace *caller = ctx->caller_cred->user_ns;
	kuid_t uid = make_kuid(caller, le32_to_cpu(attr->uid));
	kgid_t gid = make_kgid(caller, le32_to_cpu(attr->gid));
	struct timespec64 t[2] = {
		{ le64_to_cpu(attr->atime_sec), le32_to_cpu(attr->atime_nsec) },
		{ le64_to_cpu(attr->mtime_sec), le32_to_cpu(attr->mtime_nsec) },
	};
	int ret;

	if (!uid_valid(uid) || !gid_valid(gid) || t[0].tv_nsec >= NSEC_PER_SEC ||
	    t[1].tv_nsec >= NSEC_PER_SEC || t[0].tv_sec < 0 || t[1].tv_sec < 0)
		return ckpt_err(ctx, -EINVAL, "INODE_ATTR of %s is invalid", what);
	ret = 0;
	if (!uid_eq(inode->i_uid, uid) || !gid_eq(inode->i_gid, gid)) {
		ret = mnt_want_write(p->mnt);
		if (!ret) {
			ret = chown_common(p, from_kuid(current_user_ns(), uid),
					   from_kgid(current_user_ns(), gid));
			mnt_drop_write(p->mnt);
		}
	}
	/* Also if a write or a chown cleared set-id bits */
	if (!ret && (inode->i_mode & 07777) != (mode & 07777))
		ret = chmod_common(p, mode);
	if (!ret && times)
		ret = vfs_utimes(p, t);
	if (ret)
		return ckpt_err(ctx, ret, "cannot give %s its owner, mode and times", what);
	return 0;
}

/**
 * ckpt_write_inode_attr() - write the INODE_ATTR record of an inode
 * @ctx: checkpoint context
 * @inode: the inode
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_write_inode_attr(struct ckpt_ctx *ctx, struct inode *inode)
{
	struct timespec64 at = inode_get_atime(inode), mt = inode_get_mtime(inode);
	struct ckpt_inode_attr rec = {
		.uid = cpu_to_le32(from_kuid_munged(current_user_ns(), inode->i_uid)),
		.gid = cpu_to_le32(from_kgid_munged(current_user_ns(), inode->i_gid)),
		.atime_sec = cpu_to_le64(at.tv_sec),
		.mtime_sec = cpu_to_le64(mt.tv_sec),
		.atime_nsec = cpu_to_le32(at.tv_nsec),
		.mtime_nsec = cpu_to_le32(mt.tv_nsec),
		.mode = cpu_to_le32(inode->i_mode & 07777),
	};

	return ckpt_write_rec(ctx, CKPT_REC_INODE_ATTR, &rec, sizeof(rec));
}

/* Another open file of an unlinked file restored already, @rec's obj_ref */
static struct file *ckpt_unlinked_reopen(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					 const char *dir, u32 flags)
{
	struct file *tmp, *file;
	struct inode *inode;
	bool ours;
	int ret;

	tmp = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(rec->obj_ref));
	if (!tmp)
		return ERR_PTR(-EINVAL);
	/* Made here (O_TMPFILE), not a file the caller opened by path */
	inode = file_inode(tmp);
	spin_lock(&inode->i_lock);
	ours = !inode->i_nlink && (inode->i_state & I_LINKABLE);
	spin_unlock(&inode->i_lock);
	if (!ours) {
		ckpt_err(ctx, -EINVAL, "FILE of an unlinked file names another kind of file");
		return ERR_PTR(-EINVAL);
	}
	/*
	 * As an open of /proc/self/fd/N would check it, unless the caller
	 * owns the inode and could chmod it anyway.
	 */
	ret = inode_owner_or_capable(file_mnt_idmap(tmp), inode) ? 0 :
	      inode_permission(file_mnt_idmap(tmp), inode, MAY_OPEN | ACC_MODE(flags));
	if (ret) {
		ckpt_err(ctx, ret, "may not reopen an unlinked file in %s with its saved mode",
			 dir);
		return ERR_PTR(ret);
	}
	file = dentry_open(&tmp->f_path, flags, current_cred());
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot reopen an unlinked file in %s", dir);
	return file;
}

static struct file *ckpt_unlinked_restart(struct ckpt_ctx *ctx,
					  const struct ckpt_file *rec,
					  const char *dir, u32 flags)
{
	umode_t mode = le32_to_cpu(rec->mode) & S_IALLUGO;
	u64 size = le64_to_cpu(rec->size);
	struct ckpt_inode_attr attr;
	struct file *tmp, *file;
	char what[64];
	int has_attr;
	int umask, ret;
	loff_t pos;

	if (rec->obj_ref)
		return ckpt_unlinked_reopen(ctx, rec, dir, flags);
	if (size > MAX_LFS_FILESIZE) {
		ckpt_err(ctx, -EFBIG, "an unlinked file of %llu bytes is too big", size);
		return ERR_PTR(-EFBIG);
	}
	/* Images of older kernels have none: the caller's, with new times */
	has_attr = ckpt_read_inode_attr(ctx, &attr, false);
	if (has_attr < 0)
		return ERR_PTR(has_attr);
	/* The saved mode, not one the caller's umask trims */
	umask = xchg(&current->fs->umask, 0);
	tmp = filp_open(dir, O_TMPFILE | O_RDWR | O_LARGEFILE, mode);
	xchg(&current->fs->umask, umask);
	if (IS_ERR(tmp)) {
		ckpt_err(ctx, PTR_ERR(tmp),
			 "cannot recreate an unlinked file in %s (directory gone, or no O_TMPFILE there?)",
			 dir);
		return tmp;
	}
	ret = ckpt_read_file_data(ctx, tmp, size, false);
	/* Its size, after a hole at the end: one last byte */
	if (!ret && size && i_size_read(file_inode(tmp)) < size) {
		pos = size - 1;
		if (kernel_write(tmp, "", 1, &pos) != 1)
			ret = ckpt_err(ctx, -ENOSPC, "cannot give an unlinked file in %s its size",
				       dir);
	}
	snprintf(what, sizeof(what), "an unlinked file in %.40s", dir);
	if (!ret && has_attr)
		ret = ckpt_set_inode_attr(ctx, &tmp->f_path, &attr, mode, true, what) ?:
		      ckpt_load_xattrs(ctx, &tmp->f_path, what);
	if (ret) {
		fput(tmp);
		return ERR_PTR(ret);
	}
	file = dentry_open(&tmp->f_path, flags, current_cred());
	fput(tmp);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot reopen an unlinked file in %s", dir);
	return file;
}

/**
 * ckpt_file_rec_init() - fill the FILE record of an open file
 * @ctx: checkpoint context
 * @file: the file
 * @objref: its id
 * @kind: its CKPT_FILE_* kind
 * @rec: the record to fill, except for its path and obj_ref
 */
void ckpt_file_rec_init(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			u32 kind, struct ckpt_file *rec)
{
	struct inode *inode = file_inode(file);
	struct timespec64 mtime = inode_get_mtime(inode);
	bool fifo = S_ISFIFO(inode->i_mode);

	memset(rec, 0, sizeof(*rec));
	rec->objref = cpu_to_le32(objref);
	rec->kind = cpu_to_le32(kind);
	rec->f_flags = cpu_to_le32(file->f_flags & CKPT_FILE_FLAGS);
	rec->mode = cpu_to_le32(inode->i_mode);
	rec->pos = cpu_to_le64(fifo ? 0 : file->f_pos);
	rec->size = cpu_to_le64(fifo ? 0 : i_size_read(inode));
	rec->mtime_sec = cpu_to_le64(mtime.tv_sec);
	rec->mtime_nsec = cpu_to_le32(mtime.tv_nsec);
	rec->rdev = cpu_to_le32(new_encode_dev(inode->i_rdev));
	rec->ino = cpu_to_le64(inode->i_ino);
	rec->fd_hint = cpu_to_le32(ctx->fd_hint);
}

/* ctx->file_path, the last FILE path of the image, which the next shares */
static int ckpt_file_path_prev(struct ckpt_ctx *ctx)
{
	if (!ctx->file_path)
		ctx->file_path = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	return ctx->file_path ? 0 : -ENOMEM;
}

/**
 * ckpt_write_file_rec() - write a FILE record
 * @ctx: checkpoint context
 * @rec: the record
 * @path: its path, or NULL
 * @path_len: the length of @path with its NUL, or 0
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_write_file_rec(struct ckpt_ctx *ctx, struct ckpt_file *rec,
			const char *path, u32 path_len)
{
	u32 shared = 0;
	int ret;

	if (path_len && ctx->version >= 2) {
		ret = ckpt_file_path_prev(ctx);
		if (ret)
			return ret;
		while (shared + 1 < min(path_len, ctx->file_path_len) &&
		       path[shared] == ctx->file_path[shared])
			shared++;
	}
	rec->path_len = cpu_to_le32(path_len);
	rec->path_shared = cpu_to_le32(shared);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_FILE, rec, sizeof(*rec), path + shared,
				 path_len - shared);
	if (!ret && path_len && ctx->version >= 2) {
		memcpy(ctx->file_path, path, path_len);
		ctx->file_path_len = path_len;
	}
	return ret;
}

/**
 * ckpt_write_file_path() - write the FILE record of a file reopened by path
 * @ctx: checkpoint context
 * @file: the file
 * @objref: its id
 * @kind: its CKPT_FILE_* kind
 * @obj_ref: the object the record names, saved already, or 0
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_write_file_path(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			 u32 kind, u32 obj_ref)
{
	struct ckpt_file rec;
	u32 path_len;
	char *buf, *path;
	int ret;

	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_file_path(ctx, file, buf, &path_len);
	ret = PTR_ERR_OR_ZERO(path);
	if (!ret) {
		ckpt_file_rec_init(ctx, file, objref, kind, &rec);
		rec.obj_ref = cpu_to_le32(obj_ref);
		ret = ckpt_write_file_rec(ctx, &rec, path, path_len);
	}
	kfree(buf);
	return ret;
}

/**
 * ckpt_write_file_nopath() - write the FILE record of a file made anew
 * @ctx: checkpoint context
 * @file: the file: a socket, a hung-up terminal
 * @objref: its id
 * @kind: its CKPT_FILE_* kind
 *
 * Restart makes such a file anew: it has no path, and no position, size,
 * time, device or inode number that restart could keep; those fields are
 * 0.
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_write_file_nopath(struct ckpt_ctx *ctx, struct file *file, u32 objref, u32 kind)
{
	struct ckpt_file rec;

	ckpt_file_rec_init(ctx, file, objref, kind, &rec);
	rec.pos = 0;
	rec.size = 0;
	rec.mtime_sec = 0;
	rec.mtime_nsec = 0;
	rec.rdev = 0;
	rec.ino = 0;
	return ckpt_write_file_rec(ctx, &rec, NULL, 0);
}

static int ckpt_file_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	const struct ckpt_file_entry *k = ckpt_file_kind_of(ctx, ptr);

	if (!k)
		return ckpt_file_unsupported(ctx, ptr, -1);
	return k->ops->checkpoint(ctx, ptr, objref) ?:
	       ckpt_fown_checkpoint(ctx, ptr, objref, k->kind);
}

/*
 * Open files held by the object hash are in no descriptor table yet:
 * bound them as if each restored task had opened its own, up to the
 * caller's RLIMIT_NOFILE.
 */
static int ckpt_check_nr_files(struct ckpt_ctx *ctx)
{
	u64 max = (u64)ctx->nr_tasks * task_rlimit_max(ctx->caller, RLIMIT_NOFILE);

	if (ctx->nr_objs[CKPT_OBJ_file] >= max)
		return ckpt_err(ctx, -EMFILE,
				"more open files than %u tasks may have under RLIMIT_NOFILE",
				ctx->nr_tasks);
	return 0;
}

/*
 * The whole path of a FILE record, in a buffer of its own.  From format
 * version 2 on, the record leaves out the path_shared bytes that it shares
 * with the last FILE path before it, ctx->file_path.
 */
static char *ckpt_file_rec_read_path(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				     u32 len)
{
	u32 path_len = le32_to_cpu(rec->path_len), shared = le32_to_cpu(rec->path_shared);
	const char *tail = (const char *)(rec + 1);
	u32 tail_len = path_len - shared;
	char *path;

	if (shared && (ctx->version < 2 || shared >= path_len || shared >= ctx->file_path_len)) {
		ckpt_err(ctx, -EINVAL,
			 "FILE %u: path_shared %u, but path_len %u and the last path's %u (version %u)",
			 le32_to_cpu(rec->objref), shared, path_len, ctx->file_path_len,
			 ctx->version);
		return ERR_PTR(-EINVAL);
	}
	if (path_len < 2 || path_len > CKPT_PATH_MAX ||
	    len != ALIGN(sizeof(*rec) + tail_len, 8) ||
	    strnlen(tail, tail_len) != tail_len - 1 ||
	    memchr_inv(tail + tail_len, 0, len - sizeof(*rec) - tail_len) ||
	    (shared ? ctx->file_path[0] : tail[0]) != '/') {
		ckpt_err(ctx, -EINVAL, "FILE record has a malformed path");
		return ERR_PTR(-EINVAL);
	}
	if (ckpt_file_path_prev(ctx))
		return ERR_PTR(-ENOMEM);
	memcpy(ctx->file_path + shared, tail, tail_len);
	ctx->file_path_len = path_len;
	path = kmemdup(ctx->file_path, path_len, GFP_KERNEL);
	return path ?: ERR_PTR(-ENOMEM);
}

/* The path of a FILE record of kind @k, NULL if it has none */
static char *ckpt_file_rec_path(struct ckpt_ctx *ctx, const struct ckpt_file_entry *k,
				const struct ckpt_file *rec, u32 len)
{
	u32 path_len = le32_to_cpu(rec->path_len);

	if ((k->ops->props & CKPT_FOPS_PATH) ||
	    ((k->ops->props & CKPT_FOPS_PATH_OPT) && (path_len || len != sizeof(*rec))))
		return ckpt_file_rec_read_path(ctx, rec, len);
	if (path_len || len != sizeof(*rec) || rec->path_shared) {
		ckpt_err(ctx, -EINVAL, "FILE of kind %s has a path", k->name);
		return ERR_PTR(-EINVAL);
	}
	return NULL;
}

/* The fields of a FILE record whose values the entry of its kind @k gives */
static int ckpt_file_rec_check(struct ckpt_ctx *ctx, const struct ckpt_file_entry *k,
			       const struct ckpt_file *rec, const char *path)
{
	const struct ckpt_file_ops *ops = k->ops;
	bool ref = rec->obj_ref;

	if (le32_to_cpu(rec->f_flags) & ~ops->f_flags ||
	    (s64)le64_to_cpu(rec->pos) < 0 ||
	    (!ref && (ops->props & CKPT_FOPS_REF)) ||
	    (ref && !(ops->props & (CKPT_FOPS_REF | CKPT_FOPS_REF_OPT))))
		return ckpt_err(ctx, -EINVAL, "FILE %s: invalid kind, flags, position or object",
				path ?: k->name);
	if (ops->follows && ckpt_peek_rec(ctx) != ops->follows)
		return ckpt_err(ctx, -EINVAL, "a FILE of kind %s is not followed by %s",
				k->name, ckpt_rec_name(ops->follows));
	return 0;
}

static void *ckpt_file_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	const struct ckpt_file_entry *k;
	struct file *file = NULL;
	struct ckpt_file *rec;
	char *path;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FILE, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref) ?: ckpt_check_nr_files(ctx);
	if (ret)
		goto out;
	k = ckpt_file_kind_find(le32_to_cpu(rec->kind));
	if (!k) {
		ret = ckpt_err(ctx, -EINVAL, "FILE %u: invalid kind %u", *objref,
			       le32_to_cpu(rec->kind));
		goto out;
	}
	path = ckpt_file_rec_path(ctx, k, rec, len);
	ret = PTR_ERR_OR_ZERO(path);
	if (ret) {
		path = NULL;
		goto out;
	}
	ret = ckpt_file_rec_check(ctx, k, rec, path);
	if (ret)
		goto out;
	file = k->ops->restart(ctx, rec, path);
	ret = PTR_ERR_OR_ZERO(file);
	if (!ret) {
		ret = ckpt_fown_restart(ctx, file, k->kind);
		if (ret)
			fput(file);
	}
out:
	kfree(path);
	kvfree(rec);
	return ret ? ERR_PTR(ret) : file;
}

/* ---- files reopened by path: regular files, directories, devices ---- */

/* A REG, DIR or CHR file */
static int ckpt_path_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	umode_t mode = file_inode(file)->i_mode;
	u32 kind = S_ISREG(mode) ? CKPT_FILE_REG : S_ISDIR(mode) ? CKPT_FILE_DIR : CKPT_FILE_CHR;

	return ckpt_write_file_path(ctx, file, objref, kind, 0);
}

/* A regular file that a kind of its own saves: a memfd, a message queue */
static bool ckpt_file_special(struct file *file)
{
	return ckpt_file_is_memfd(file) || ckpt_file_is_mqueue(file);
}

/* Unlinked, and no other name: its contents go into the image */
static bool ckpt_file_unlinked(struct file *file)
{
	return S_ISREG(file_inode(file)->i_mode) && d_unlinked(file->f_path.dentry) &&
	       !ckpt_file_special(file);
}

static bool ckpt_reg_match(struct ckpt_ctx *ctx, struct file *file)
{
	return S_ISREG(file_inode(file)->i_mode) && !ckpt_file_unlinked(file) &&
	       !ckpt_file_special(file) && !ckpt_proc_pid_nr(ctx, file) &&
	       ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

static bool ckpt_dir_match(struct ckpt_ctx *ctx, struct file *file)
{
	return S_ISDIR(file_inode(file)->i_mode) && !ckpt_proc_pid_nr(ctx, file) &&
	       ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

static bool ckpt_chr_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_is_mem_dev(file_inode(file)) &&
	       ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

/* Reopen by path a file of the same type */
static struct file *ckpt_reopen(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				const char *path)
{
	struct file *file;

	file = filp_open(path, le32_to_cpu(rec->f_flags), 0);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot reopen %s", path);
		return file;
	}
	if ((file_inode(file)->i_mode ^ le32_to_cpu(rec->mode)) & S_IFMT) {
		fput(file);
		ckpt_err(ctx, -ESTALE, "%s is no longer the same kind of file", path);
		return ERR_PTR(-ESTALE);
	}
	return file;
}

/* @file at its saved position, or an error and @file put */
static struct file *ckpt_reopen_seek(struct ckpt_ctx *ctx, struct file *file,
				     const struct ckpt_file *rec, const char *path)
{
	loff_t pos = le64_to_cpu(rec->pos), res;

	if (IS_ERR(file) || !pos)
		return file;
	res = vfs_llseek(file, pos, SEEK_SET);
	if (res == pos)
		return file;
	fput(file);
	ckpt_err(ctx, res < 0 ? res : -EINVAL, "cannot restore the position of %s", path);
	return ERR_PTR(res < 0 ? res : -EINVAL);
}

/*
 * A file of procfs, sysfs or cgroupfs: its size and mtime say nothing of
 * its contents (a /proc file's inode is made when it is looked up)
 */
static bool ckpt_pseudo_file(const struct inode *inode)
{
	unsigned long magic = inode->i_sb->s_magic;

	return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC ||
	       magic == CGROUP_SUPER_MAGIC || magic == CGROUP2_SUPER_MAGIC;
}

/* A regular file must be unchanged, unless the caller accepts it */
static struct file *ckpt_reg_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				     const char *path)
{
	struct file *file = ckpt_reopen(ctx, rec, path);
	struct timespec64 mtime;
	struct inode *inode;

	if (IS_ERR(file))
		return file;
	inode = file_inode(file);
	if (ckpt_pseudo_file(inode))
		return ckpt_reopen_seek(ctx, file, rec, path);
	mtime = inode_get_mtime(inode);
	if (i_size_read(inode) != le64_to_cpu(rec->size) ||
	    mtime.tv_sec != le64_to_cpu(rec->mtime_sec) ||
	    mtime.tv_nsec != le32_to_cpu(rec->mtime_nsec)) {
		if (!(ctx->flags & RESTART_FILES_CHANGED_OK)) {
			fput(file);
			ckpt_err(ctx, -ESTALE, "%s changed since the checkpoint (size or mtime)",
				 path);
			return ERR_PTR(-ESTALE);
		}
		ckpt_log(ctx, "%s changed since the checkpoint: reopened as it is now", path);
	}
	return ckpt_reopen_seek(ctx, file, rec, path);
}

static struct file *ckpt_dir_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				     const char *path)
{
	return ckpt_reopen_seek(ctx, ckpt_reopen(ctx, rec, path), rec, path);
}

static struct file *ckpt_chr_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				     const char *path)
{
	struct file *file = ckpt_reopen(ctx, rec, path);
	struct inode *inode;

	if (IS_ERR(file))
		return file;
	inode = file_inode(file);
	if (new_encode_dev(inode->i_rdev) == le32_to_cpu(rec->rdev) &&
	    ckpt_is_mem_dev(inode))
		return file;
	fput(file);
	ckpt_err(ctx, -ESTALE, "%s is not the device it was", path);
	return ERR_PTR(-ESTALE);
}

CKPT_FILE_OPS(REG) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_reg_match,
	.checkpoint = ckpt_path_checkpoint,
	.restart = ckpt_reg_restart,
};

CKPT_FILE_OPS(DIR) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_dir_match,
	.checkpoint = ckpt_path_checkpoint,
	.restart = ckpt_dir_restart,
};

CKPT_FILE_OPS(CHR) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH,
	.match = ckpt_chr_match,
	.checkpoint = ckpt_path_checkpoint,
	.restart = ckpt_chr_restart,
};

/* ---- unlinked regular files ---- */

static bool ckpt_unlinked_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_file_unlinked(file) && !file_inode(file)->i_nlink &&
	       !(file->f_flags & O_PATH) && ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

static int ckpt_unlinked_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct ckpt_file rec;
	u32 path_len, obj_ref;
	char *buf, *path;
	int ret;

	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_unlinked_dir(ctx, file, buf, &path_len);
	ret = PTR_ERR_OR_ZERO(path) ?: ckpt_unlinked_ref(ctx, file, objref, &obj_ref);
	if (ret)
		goto out;
	ckpt_file_rec_init(ctx, file, objref, CKPT_FILE_UNLINKED, &rec);
	rec.obj_ref = cpu_to_le32(obj_ref);
	ret = ckpt_write_file_rec(ctx, &rec, path, path_len);
	if (!ret && !obj_ref)
		ret = ckpt_write_inode_attr(ctx, file_inode(file)) ?:
		      ckpt_save_contents(ctx, file, le64_to_cpu(rec.size)) ?:
		      ckpt_save_xattrs(ctx, &file->f_path, "an unlinked file");
out:
	kfree(buf);
	return ret;
}

static struct file *ckpt_unlinked_restart_at(struct ckpt_ctx *ctx,
					     const struct ckpt_file *rec,
					     const char *dir)
{
	loff_t pos = le64_to_cpu(rec->pos);
	struct file *file;

	if (!S_ISREG(le32_to_cpu(rec->mode))) {
		ckpt_err(ctx, -EINVAL, "FILE %s: invalid kind, flags, position or object", dir);
		return ERR_PTR(-EINVAL);
	}
	file = ckpt_unlinked_restart(ctx, rec, dir, le32_to_cpu(rec->f_flags));
	if (IS_ERR(file) || !pos || vfs_llseek(file, pos, SEEK_SET) == pos)
		return file;
	fput(file);
	ckpt_err(ctx, -EINVAL, "cannot restore the position of an unlinked file");
	return ERR_PTR(-EINVAL);
}

CKPT_FILE_OPS(UNLINKED) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH | CKPT_FOPS_REF_OPT,
	.match = ckpt_unlinked_match,
	.checkpoint = ckpt_unlinked_checkpoint,
	.restart = ckpt_unlinked_restart_at,
};

#ifndef CONFIG_POSIX_MQUEUE
/* ipc/checkpoint_mqueue.c has the kind; without it, none can be open */
static bool ckpt_no_mq_match(struct ckpt_ctx *ctx, struct file *file)
{
	return false;
}

static struct file *ckpt_no_mq_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				       const char *path)
{
	ckpt_err(ctx, -EOPNOTSUPP, "FILE %s: a POSIX message queue (CONFIG_POSIX_MQUEUE is off)",
		 path);
	return ERR_PTR(-EOPNOTSUPP);
}

CKPT_FILE_OPS(MQUEUE) = {
	.props = CKPT_FOPS_PATH,
	.match = ckpt_no_mq_match,
	.restart = ckpt_no_mq_restart,
};
#endif

/**
 * ckpt_file_user() - a process that has a file in its descriptor table
 * @ctx: checkpoint context, every task of the tree collected
 * @file: the file to look for
 * @in_tree: look among the processes of the tree, or among all the others
 *
 * Return: the pid (in the caller's namespace) of the first such process
 * found, or 0 if there is none.
 */
pid_t ckpt_file_user(struct ckpt_ctx *ctx, struct file *file, bool in_tree)
{
	struct task_struct *p;
	pid_t found = 0;

	rcu_read_lock();
	for_each_process(p) {
		pid_t nr = pid_nr_ns(task_tgid(p), ctx->pidns);
		struct fdtable *fdt;
		unsigned int fd;

		if (in_tree != (nr && xa_load(&ctx->tree_pids, nr)))
			continue;
		task_lock(p);
		if (p->files) {
			fdt = files_fdtable(p->files);
			for (fd = 0; fd < fdt->max_fds && !found; fd++)
				if (rcu_access_pointer(fdt->fd[fd]) == file)
					found = task_tgid_vnr(p);
		}
		task_unlock(p);
		if (found)
			break;
	}
	rcu_read_unlock();
	return found;
}

/*
 * /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom: nothing
 * of their open file (no offset, no data) can change behind the image's
 * back, so one that a container manager handed the container may stay
 * open outside
 */
static bool ckpt_file_stateless(struct file *file)
{
	static const unsigned int minors[] = { 3, 5, 7, 8, 9 };
	struct inode *inode = file_inode(file);
	unsigned int i;

	if (!S_ISCHR(inode->i_mode) || imajor(inode) != MEM_MAJOR)
		return false;
	for (i = 0; i < ARRAY_SIZE(minors); i++)
		if (iminor(inode) == minors[i])
			return true;
	return false;
}

static int ckpt_file_leak(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	struct file *file = ptr;
	char *buf, *path;
	pid_t user;

	/* The tasks' references (fds, mappings, exe) and the object hash's */
	if (file_count(file) <= users + 1 || ckpt_file_stateless(file))
		return 0;
	/*
	 * More: find the holder.  A file descriptor outside makes the image
	 * untrustworthy; a mapping of a private file inherited across fork
	 * (the container's init forked, not exec'ed) does not.
	 */
	user = ckpt_file_user(ctx, file, false);
	if (!user)
		return 0;
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = d_path(&file->f_path, buf, CKPT_PATH_MAX);
	ckpt_err(ctx, -EBUSY,
		 "file %s (object %u) is also open outside the container, in process %d",
		 IS_ERR(path) ? "?" : path, objref, user);
	kfree(buf);
	return -EBUSY;
}

/*
 * The check or thaw (checkpoint) or finish (restart) of a file's kind: only
 * kinds that have one are matched, so that a match never runs at restart.
 */
static int ckpt_file_check(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_file_kinds); i++)
		if (ckpt_file_kinds[i].ops->check && ckpt_file_kinds[i].ops->match(ctx, ptr))
			return ckpt_file_kinds[i].ops->check(ctx, ptr, objref);
	return 0;
}

static int ckpt_file_finish(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_file_kinds); i++)
		if (ckpt_file_kinds[i].ops->finish && ckpt_file_kinds[i].ops->match(ctx, ptr))
			return ckpt_file_kinds[i].ops->finish(ctx, ptr, objref);
	return 0;
}

static void ckpt_file_thaw(struct ckpt_ctx *ctx, void *ptr, u32 objref, enum ckpt_thaw how)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_file_kinds); i++)
		if (ckpt_file_kinds[i].ops->thaw && ckpt_file_kinds[i].ops->match(ctx, ptr)) {
			ckpt_file_kinds[i].ops->thaw(ctx, ptr, objref, how);
			return;
		}
}

/*
 * A file that a task outside the container also has open can change
 * behind the image's back (its offset and flags, through that task); the
 * image would not be what the container sees (stateless devices, such as
 * /dev/null, excepted).  References from outside
 * mappings or from the kernel (a file in flight in a socket) are not
 * looked for.
 */
const struct ckpt_obj_ops ckpt_obj_file_ops = {
	.name = "file",
	.rec = CKPT_REC_FILE,
	.checkpoint = ckpt_file_checkpoint,
	.restart = ckpt_file_restart,
	.grab = ckpt_obj_get_file,
	.drop = ckpt_obj_put_file,
	.leak = ckpt_file_leak,
	.check = ckpt_file_check,
	.finish = ckpt_file_finish,
	.thaw = ckpt_file_thaw,
};

/* ---- struct files_struct ---- */

struct ckpt_fd_ent {
	struct file *file;
	unsigned int fd;
	bool cloexec;
};

/* Take a reference on every open file of @files, in fd order */
static struct ckpt_fd_ent *ckpt_collect_fds(struct files_struct *files,
					    unsigned int *nr)
{
	struct ckpt_fd_ent *ents = NULL;
	unsigned int fd, n, max = 0;

	for (;;) {
		struct fdtable *fdt;

		n = 0;
		spin_lock(&files->file_lock);
		fdt = files_fdtable(files);
		for (fd = 0; fd < fdt->max_fds; fd++) {
			struct file *file = files_lookup_fd_locked(files, fd);

			if (!file)
				continue;
			if (n < max) {
				ents[n].file = get_file(file);
				ents[n].fd = fd;
				ents[n].cloexec = close_on_exec(fd, files);
			}
			n++;
		}
		spin_unlock(&files->file_lock);
		if (n <= max)
			break;
		/* Grew since we counted: drop and retry with more room */
		while (max--)
			fput(ents[max].file);
		kvfree(ents);
		max = n + 16;
		ents = kvcalloc(max, sizeof(*ents), GFP_KERNEL);
		if (!ents)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return ents;
}

/* ---- locks held through a file table ---- */

/* One lock as the image has it, or false if @fl is not @files' through @file */
static bool ckpt_lock_rec(struct file_lock *fl, struct files_struct *files,
			  struct file *file, bool posix, struct ckpt_lock *rec)
{
	u32 kind;

	if (fl->c.flc_flags & FL_FLOCK)
		kind = fl->c.flc_file == file ? CKPT_LOCK_FLOCK : 0;
	else if (fl->c.flc_flags & FL_OFDLCK)
		kind = fl->c.flc_file == file ? CKPT_LOCK_OFD : 0;
	else if (fl->c.flc_flags & FL_POSIX)
		kind = posix && fl->c.flc_owner == files ? CKPT_LOCK_POSIX : 0;
	else
		kind = 0;
	if (!kind || (!lock_is_read(fl) && !lock_is_write(fl)))
		return false;
	rec->kind = cpu_to_le32(kind);
	rec->type = cpu_to_le32(lock_is_write(fl) ? CKPT_LOCK_WRITE : CKPT_LOCK_READ);
	if (kind != CKPT_LOCK_FLOCK) {
		rec->start = cpu_to_le64(fl->fl_start);
		rec->len = cpu_to_le64(fl->fl_end == OFFSET_MAX ? 0 :
				       fl->fl_end - fl->fl_start + 1);
	}
	return true;
}

/*
 * The locks of @files taken through the file of entry @i: its flock and
 * OFD locks, and the table's POSIX locks on its inode unless an earlier
 * entry had the same inode (they belong to the table, not to the file).
 */
static int ckpt_write_locks(struct ckpt_ctx *ctx, struct files_struct *files,
			    struct ckpt_fd_ent *ents, unsigned int i)
{
	struct file *file = ents[i].file;
	struct inode *inode = file_inode(file);
	struct file_lock_context *flctx = locks_inode_context(inode);
	struct ckpt_lock *recs = NULL, scratch;
	unsigned int n, max = 0, j;
	struct file_lock *fl;
	bool posix = true;
	int ret = 0;

	if (!flctx)
		return 0;
	for (j = 0; j < i; j++) {
		if (ents[j].file == file)
			return 0;	/* all written with the first fd */
		if (file_inode(ents[j].file) == inode)
			posix = false;
	}
	for (;;) {
		n = 0;
		spin_lock(&flctx->flc_lock);
		for_each_file_lock(fl, &flctx->flc_posix)
			if (ckpt_lock_rec(fl, files, file, posix, n < max ? &recs[n] : &scratch))
				n++;
		for_each_file_lock(fl, &flctx->flc_flock)
			if (ckpt_lock_rec(fl, files, file, posix, n < max ? &recs[n] : &scratch))
				n++;
		if (!list_empty(&flctx->flc_lease))
			ret = -EOPNOTSUPP;
		spin_unlock(&flctx->flc_lock);
		if (n <= max || ret)
			break;
		kfree(recs);
		max = n + 4;
		recs = kcalloc(max, sizeof(*recs), GFP_KERNEL);
		if (!recs)
			return -ENOMEM;
	}
	if (ret == -EOPNOTSUPP)
		ret = ckpt_err(ctx, ret, "fd %u: a file with a lease cannot be saved yet",
			       ents[i].fd);
	for (j = 0; !ret && j < n; j++) {
		recs[j].fd = cpu_to_le32(ents[i].fd);
		ret = ckpt_write_rec(ctx, CKPT_REC_LOCK, &recs[j], sizeof(recs[j]));
	}
	kfree(recs);
	return ret;
}

/* Take a saved lock again, as the restored table's owner (current) */
static int ckpt_restore_lock(struct ckpt_ctx *ctx)
{
	struct ckpt_lock rec;
	struct file *file;
	u32 fd, kind, type;
	u64 start, len;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_LOCK, &rec, sizeof(rec));
	if (ret)
		return ret;
	fd = le32_to_cpu(rec.fd);
	kind = le32_to_cpu(rec.kind);
	type = le32_to_cpu(rec.type);
	start = le64_to_cpu(rec.start);
	len = le64_to_cpu(rec.len);
	if (kind < CKPT_LOCK_POSIX || kind > CKPT_LOCK_FLOCK || rec.__pad ||
	    (type != CKPT_LOCK_READ && type != CKPT_LOCK_WRITE) ||
	    start > OFFSET_MAX || len > OFFSET_MAX ||
	    (kind == CKPT_LOCK_FLOCK && (start || len)))
		return ckpt_err(ctx, -EINVAL, "LOCK on fd %u is invalid", fd);
	file = fget(fd);
	if (!file)
		return ckpt_err(ctx, -EINVAL, "LOCK on fd %u, which is not open", fd);
	if (kind == CKPT_LOCK_FLOCK) {
		struct file_lock fl;

		locks_init_lock(&fl);
		fl.c.flc_file = file;
		fl.c.flc_owner = file;
		fl.c.flc_pid = current->tgid;
		fl.c.flc_flags = FL_FLOCK;
		fl.c.flc_type = type == CKPT_LOCK_WRITE ? F_WRLCK : F_RDLCK;
		fl.fl_end = OFFSET_MAX;
		ret = -EBADF;
		if (file->f_mode & (FMODE_READ | FMODE_WRITE))
			ret = security_file_lock(file, fl.c.flc_type);
		if (!ret && file->f_op->flock)
			ret = file->f_op->flock(file, F_SETLK, &fl);
		else if (!ret)
			ret = locks_lock_file_wait(file, &fl);
		locks_release_private(&fl);
	} else {
		struct flock flock = {
			.l_type = type == CKPT_LOCK_WRITE ? F_WRLCK : F_RDLCK,
			.l_whence = SEEK_SET,
			.l_start = start,
			.l_len = len,
		};

		ret = fcntl_setlk(fd, file, kind == CKPT_LOCK_OFD ? F_OFD_SETLK : F_SETLK,
				  &flock);
	}
	fput(file);
	if (ret == -EAGAIN || ret == -EWOULDBLOCK)
		return ckpt_err(ctx, -EBUSY, "fd %u: the saved %s lock is held by another process",
				fd, kind == CKPT_LOCK_FLOCK ? "flock" : "record");
	if (ret)
		return ckpt_err(ctx, ret, "fd %u: cannot take the saved lock again", fd);
	return 0;
}

/* The size of a FILES entry in the image's format version */
static size_t ckpt_fd_size(struct ckpt_ctx *ctx)
{
	return ctx->version < 2 ? sizeof(struct ckpt_fd) : sizeof(struct ckpt_fd2);
}

/* Entry @i of a FILES record's array @fds */
static void ckpt_fd_set(struct ckpt_ctx *ctx, void *fds, unsigned int i,
			const struct ckpt_fd_ent *ent, u32 ref)
{
	struct ckpt_fd2 *fd2 = fds;
	struct ckpt_fd *fd1 = fds;

	if (ctx->version < 2) {
		fd1[i].fd = cpu_to_le32(ent->fd);
		fd1[i].file_ref = cpu_to_le32(ref);
		fd1[i].flags = cpu_to_le32(ent->cloexec ? CKPT_FD_CLOEXEC : 0);
	} else {
		fd2[i].fd = cpu_to_le32(ent->fd | (ent->cloexec ? CKPT_FD2_CLOEXEC : 0));
		fd2[i].file_ref = cpu_to_le32(ref);
	}
}

/*
 * Entry @i of a FILES record's array @fds: its fd, file and whether it is
 * close-on-exec; false if it has flags or padding that no version defines.
 */
static bool ckpt_fd_get(struct ckpt_ctx *ctx, const void *fds, u32 i, u32 *fd,
			u32 *ref, bool *cloexec)
{
	const struct ckpt_fd2 *fd2 = fds;
	const struct ckpt_fd *fd1 = fds;
	u32 flags;

	if (ctx->version < 2) {
		*fd = le32_to_cpu(fd1[i].fd);
		*ref = le32_to_cpu(fd1[i].file_ref);
		flags = le32_to_cpu(fd1[i].flags);
		*cloexec = flags & CKPT_FD_CLOEXEC;
		return !(flags & ~CKPT_FD_CLOEXEC) && !fd1[i].__pad &&
		       *fd < READ_ONCE(sysctl_nr_open);
	}
	*fd = le32_to_cpu(fd2[i].fd);
	*ref = le32_to_cpu(fd2[i].file_ref);
	*cloexec = *fd & CKPT_FD2_CLOEXEC;
	*fd &= ~CKPT_FD2_CLOEXEC;
	return *fd < READ_ONCE(sysctl_nr_open);
}

static int ckpt_files_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct ckpt_files rec = { .objref = cpu_to_le32(objref) };
	struct ckpt_fd_ent *ents;
	void *fds = NULL;
	unsigned int i, nr = 0;
	int ret = 0;

	ents = ckpt_collect_fds(ptr, &nr);
	if (IS_ERR(ents))
		return PTR_ERR(ents);
	for (i = 0; i < nr; i++) {
		if (!ckpt_file_kind_of(ctx, ents[i].file)) {
			ret = ckpt_file_unsupported(ctx, ents[i].file, ents[i].fd);
			goto out;
		}
	}
	fds = kvcalloc(nr ?: 1, ckpt_fd_size(ctx), GFP_KERNEL);
	if (!fds) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		u32 ref;

		ctx->fd_hint = ents[i].fd;
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_file, ents[i].file, &ref);
		ctx->fd_hint = -1;
		if (ret)
			goto out;
		ckpt_fd_set(ctx, fds, i, &ents[i], ref);
	}
	rec.nr_fds = cpu_to_le32(nr);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_FILES, &rec, sizeof(rec), fds,
				 nr * ckpt_fd_size(ctx));
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_write_locks(ctx, ptr, ents, i);
out:
	for (i = 0; i < nr; i++)
		fput(ents[i].file);
	kvfree(ents);
	kvfree(fds);
	return ret;
}

static int ckpt_install_fds(struct ckpt_ctx *ctx, const struct ckpt_files *rec,
			    u32 len)
{
	u32 nr = le32_to_cpu(rec->nr_fds);
	long prev = -1;
	u32 i, fd, ref;
	bool cloexec;
	int ret;

	if (len != sizeof(*rec) + (size_t)nr * ckpt_fd_size(ctx))
		return ckpt_err(ctx, -EINVAL, "FILES record has a bad length");
	for (i = 0; i < nr; i++) {
		struct file *file;

		if (!ckpt_fd_get(ctx, rec + 1, i, &fd, &ref, &cloexec) || (long)fd <= prev)
			return ckpt_err(ctx, -EINVAL, "FILES entry %u (fd %u) is invalid", i, fd);
		prev = fd;
		file = ckpt_obj_lookup(ctx, CKPT_OBJ_file, ref);
		if (!file)
			return -EINVAL;
		ret = replace_fd(fd, file, cloexec ? O_CLOEXEC : 0);
		if (ret < 0)
			return ckpt_err(ctx, ret, "cannot install fd %u", fd);
	}
	return 0;
}

/* Give current @files, whose reference it takes over */
static void ckpt_switch_files(struct files_struct *files)
{
	struct files_struct *old;

	task_lock(current);
	old = current->files;
	current->files = files;
	task_unlock(current);
	put_files_struct(old);
}

static void *ckpt_files_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct fd_range everything = { 0, ~0U };
	struct files_struct *newf;
	struct ckpt_files *rec;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FILES, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;

	/* A table of our own, emptied below: close_range(CLOSE_RANGE_UNSHARE) */
	newf = dup_fd(current->files, &everything);
	if (IS_ERR(newf)) {
		ret = PTR_ERR(newf);
		goto out;
	}
	ckpt_switch_files(newf);
	/* dup_fd() copied the caller's descriptors that we were born with */
	__close_range(0, ~0U, 0);

	ret = ckpt_install_fds(ctx, rec, len);
	while (!ret) {
		ret = ckpt_peek_rec(ctx);
		if (ret != CKPT_REC_LOCK)
			break;
		ret = ckpt_restore_lock(ctx);
	}
	if (ret > 0)
		ret = 0;
out:
	kvfree(rec);
	if (ret)
		return ERR_PTR(ret);
	atomic_inc(&current->files->count);
	return current->files;
}

static void ckpt_files_grab(void *ptr)
{
	atomic_inc(&((struct files_struct *)ptr)->count);
}

static void ckpt_files_drop(void *ptr)
{
	put_files_struct(ptr);
}

/**
 * ckpt_install_files() - use the file table another restored task built
 * @ctx: restart context
 * @ref: the table's id, from the TASK record of current
 *
 * For tasks that share a table without being threads (CLONE_FILES), or a
 * thread whose leader's table is not its own.
 *
 * Return: 0 or -EINVAL (logged) if @ref is no file table.
 */
int ckpt_install_files(struct ckpt_ctx *ctx, __le32 ref)
{
	struct files_struct *files = ckpt_obj_lookup(ctx, CKPT_OBJ_files,
						     le32_to_cpu(ref));

	if (!files)
		return -EINVAL;
	if (files != current->files) {
		atomic_inc(&files->count);
		ckpt_switch_files(files);
	}
	return 0;
}

static void *ckpt_files_of(struct task_struct *t)
{
	return t->files;
}

static long ckpt_files_users(void *ptr)
{
	return atomic_read(&((struct files_struct *)ptr)->count);
}

const struct ckpt_obj_ops ckpt_obj_files_ops = {
	.name = "files",
	.rec = CKPT_REC_FILES,
	.checkpoint = ckpt_files_checkpoint,
	.restart = ckpt_files_restart,
	.grab = ckpt_files_grab,
	.drop = ckpt_files_drop,
	.task_obj = ckpt_files_of,
	.nr_users = ckpt_files_users,
	.what = "file table",
};

/* ---- struct fs_struct ---- */

/* The path of @path as the caller sees it, in @buf; logs what went wrong */
static char *ckpt_fs_path(struct ckpt_ctx *ctx, const struct path *path,
			  char *buf, const char *what)
{
	char *p = ckpt_path_name(ctx, path, buf);

	if (IS_ERR(p) || *p != '/' || d_unlinked(path->dentry)) {
		ckpt_err(ctx, IS_ERR(p) ? PTR_ERR(p) : -EOPNOTSUPP,
			 "the %s cannot be saved (removed, or outside the caller's root?)",
			 what);
		return ERR_PTR(IS_ERR(p) ? PTR_ERR(p) : -EOPNOTSUPP);
	}
	return p;
}

static int ckpt_fs_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct fs_struct *fs = ptr;
	struct ckpt_fs rec = { .objref = cpu_to_le32(objref) };
	struct path root, myroot, pwd;
	char *buf, *cwd, *rootp;
	int ret = 0;

	buf = kmalloc(2 * CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	get_fs_root(fs, &root);
	/* The root paths start from: a root equal to it is no chroot */
	if (ctx->image_root.mnt) {
		myroot = ctx->image_root;
		path_get(&myroot);
	} else {
		get_fs_root(current->fs, &myroot);
	}
	get_fs_pwd(fs, &pwd);
	cwd = ckpt_fs_path(ctx, &pwd, buf, "current directory");
	rootp = path_equal(&root, &myroot) ? "/" :
		ckpt_fs_path(ctx, &root, buf + CKPT_PATH_MAX, "root directory (chroot)");
	path_put(&pwd);
	path_put(&root);
	path_put(&myroot);
	if (IS_ERR(cwd) || IS_ERR(rootp)) {
		ret = IS_ERR(cwd) ? PTR_ERR(cwd) : PTR_ERR(rootp);
	} else {
		size_t cl = strlen(cwd) + 1, rl = strlen(rootp) + 1;

		/* The two paths back to back, where cwd already ends */
		memmove(cwd + cl, rootp, rl);
		rec.umask = cpu_to_le32(fs->umask);
		rec.cwd_len = cpu_to_le32(cl);
		rec.root_len = cpu_to_le32(rl);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_FS, &rec, sizeof(rec), cwd,
					 cl + rl);
	}
	kfree(buf);
	return ret;
}

/* Check the two paths of an FS record: absolute, NUL-terminated, in order */
static int ckpt_fs_paths(struct ckpt_ctx *ctx, struct ckpt_fs *rec, u32 len,
			 char **cwd, char **root)
{
	u32 cl = le32_to_cpu(rec->cwd_len), rl = le32_to_cpu(rec->root_len);
	char *p = (char *)(rec + 1);

	if (cl < 2 || rl < 2 || cl > CKPT_PATH_MAX || rl > CKPT_PATH_MAX ||
	    len != ALIGN(sizeof(*rec) + cl + rl, 8))
		goto bad;
	*cwd = p;
	*root = p + cl;
	if (**cwd != '/' || **root != '/' ||
	    strnlen(*cwd, cl) != cl - 1 || strnlen(*root, rl) != rl - 1 ||
	    memchr_inv(*root + rl, 0, len - sizeof(*rec) - cl - rl))
		goto bad;
	return 0;
bad:
	return ckpt_err(ctx, -EINVAL, "FS record has a malformed path");
}

/*
 * A chroot is applied when the tasks are let go (ckpt_restart_resume()),
 * once every file of the image has been opened from the caller's root:
 * until then it waits here, by fs object.
 */
static int ckpt_fs_pending_root(struct ckpt_ctx *ctx, u32 objref,
				const char *root)
{
	struct path *path;
	int ret;

	if (!ns_capable(current_user_ns(), CAP_SYS_CHROOT))
		return ckpt_err(ctx, -EPERM, "restoring a chroot to %s needs CAP_SYS_CHROOT",
				root);
	path = kmalloc(sizeof(*path), GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	ret = kern_path(root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, path);
	if (ret) {
		kfree(path);
		return ckpt_err(ctx, ret, "cannot find the saved root directory %s", root);
	}
	/* What chroot(2) checks */
	ret = path_permission(path, MAY_EXEC | MAY_CHDIR);
	if (ret) {
		path_put(path);
		kfree(path);
		return ckpt_err(ctx, ret, "may not enter the saved root directory %s", root);
	}
	ret = xa_err(xa_store(&ctx->fs_roots, objref, path, GFP_KERNEL));
	if (ret) {
		path_put(path);
		kfree(path);
	}
	return ret;
}

/**
 * ckpt_fs_root() - the chroot a restored task must enter when let go
 * @ctx: restart context
 * @fs_ref: id of the task's fs object
 * @root: set to the directory, with a reference, if there is one
 *
 * Return: true if @root was set.
 */
bool ckpt_fs_root(struct ckpt_ctx *ctx, u32 fs_ref, struct path *root)
{
	struct path *path = xa_load(&ctx->fs_roots, fs_ref);

	if (!path)
		return false;
	*root = *path;
	path_get(root);
	return true;
}

/**
 * ckpt_fs_roots_free() - drop the pending chroots of a restart
 * @ctx: restart context
 */
void ckpt_fs_roots_free(struct ckpt_ctx *ctx)
{
	struct path *path;
	unsigned long id;

	xa_for_each(&ctx->fs_roots, id, path) {
		path_put(path);
		kfree(path);
	}
	xa_destroy(&ctx->fs_roots);
}

static void ckpt_fs_grab(void *ptr)
{
	struct fs_struct *fs = ptr;

	spin_lock(&fs->lock);
	fs->users++;
	spin_unlock(&fs->lock);
}

/* Give current @fs, whose user count it takes over */
static void ckpt_switch_fs(struct fs_struct *fs)
{
	struct fs_struct *old;
	bool last;

	task_lock(current);
	old = current->fs;
	spin_lock(&old->lock);
	current->fs = fs;
	last = !--old->users;
	spin_unlock(&old->lock);
	task_unlock(current);
	if (last)
		free_fs_struct(old);
}

static void *ckpt_fs_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct fs_struct *fs;
	struct ckpt_fs *rec;
	char *cwd, *root;
	struct path pwd;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FS, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (!ret)
		ret = ckpt_fs_paths(ctx, rec, len, &cwd, &root);
	if (ret)
		goto out;
	if (le32_to_cpu(rec->umask) & ~0777) {
		ret = ckpt_err(ctx, -EINVAL, "FS record has an invalid umask");
		goto out;
	}
	if (strcmp(root, "/")) {
		ret = ckpt_fs_pending_root(ctx, *objref, root);
		if (ret)
			goto out;
	}
	ret = kern_path(cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &pwd);
	/* What chdir(2) checks */
	if (!ret) {
		ret = path_permission(&pwd, MAY_EXEC | MAY_CHDIR);
		if (ret)
			path_put(&pwd);
	}
	if (ret) {
		ckpt_err(ctx, ret, "cannot enter the saved cwd %s", cwd);
		goto out;
	}
	/* One of our own: the one we were born with may be our leader's */
	fs = copy_fs_struct(current->fs);
	if (!fs) {
		path_put(&pwd);
		ret = -ENOMEM;
		goto out;
	}
	set_fs_pwd(fs, &pwd);
	path_put(&pwd);
	fs->umask = le32_to_cpu(rec->umask);
	ckpt_switch_fs(fs);
out:
	kvfree(rec);
	if (ret)
		return ERR_PTR(ret);
	ckpt_fs_grab(fs);
	return fs;
}

/**
 * ckpt_install_fs() - use the fs_struct another restored task built
 * @ctx: restart context
 * @ref: the fs_struct's id, from the TASK record of current
 *
 * For tasks that share cwd and umask without being threads (CLONE_FS), or
 * a thread whose leader's fs is not its own.
 *
 * Return: 0 or -EINVAL (logged) if @ref is no fs_struct.
 */
int ckpt_install_fs(struct ckpt_ctx *ctx, __le32 ref)
{
	struct fs_struct *fs = ckpt_obj_lookup(ctx, CKPT_OBJ_fs, le32_to_cpu(ref));

	if (!fs)
		return -EINVAL;
	if (fs != current->fs) {
		ckpt_fs_grab(fs);
		ckpt_switch_fs(fs);
	}
	return 0;
}

static void ckpt_fs_drop(void *ptr)
{
	struct fs_struct *fs = ptr;
	bool kill;

	spin_lock(&fs->lock);
	kill = !--fs->users;
	spin_unlock(&fs->lock);
	if (kill)
		free_fs_struct(fs);
}

static void *ckpt_fs_of(struct task_struct *t)
{
	return t->fs;
}

static long ckpt_fs_users(void *ptr)
{
	return READ_ONCE(((struct fs_struct *)ptr)->users);
}

const struct ckpt_obj_ops ckpt_obj_fs_ops = {
	.name = "fs",
	.rec = CKPT_REC_FS,
	.checkpoint = ckpt_fs_checkpoint,
	.restart = ckpt_fs_restart,
	.grab = ckpt_fs_grab,
	.drop = ckpt_fs_drop,
	.task_obj = ckpt_fs_of,
	.nr_users = ckpt_fs_users,
	.what = "fs (cwd, umask)",
};
