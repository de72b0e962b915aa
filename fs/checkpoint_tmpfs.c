// SPDX-License-Identifier: GPL-2.0-only
/*
 * The contents of a tmpfs the tasks' mount namespace mounts (the mount
 * entry, fs/checkpoint_mnt.c, mounts it anew at restart).
 *
 * Checkpoint walks the tmpfs from its root, breadth first, reading each
 * directory as getdents(2) does and each file as read(2) does, with the
 * caller's permissions and without touching access times (O_NOATIME): a
 * TMPFS_NODE record per directory, regular file (its contents in
 * FILE_DATA records, holes left out), symbolic link, FIFO and device
 * node, a hard link as a link to the first name of its inode.  Sockets
 * are left out: a bound UNIX socket makes its own when it binds again.
 *
 * Restart creates them in the new tmpfs as mkdir(2), open(2), symlink(2),
 * mknod(2) and link(2) would, in the restored root's context (creating a
 * device node needs CAP_MKNOD, as mknod(2)), then gives each its owner,
 * mode and times as chown(2), chmod(2) and utimensat(2) would; the times
 * of directories last, once nothing more is created in them.  Paths are
 * looked up from the root of the tmpfs without following symbolic links
 * or crossing mounts.
 *
 * Extended attributes are read and set as getxattr(2) and setxattr(2)
 * would, after the owner and mode (chown(2) drops security.capability);
 * POSIX ACLs with get_acl and set_acl, in the xattr format with the ids of
 * the caller's user namespace.
 */
#include <linux/checkpoint.h>
#include <linux/checkpoint_file.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>
#include <linux/xattr.h>

#include "internal.h"

/* ---- checkpoint ---- */

/* A directory waiting to be read: its path from the root of the tmpfs */
struct ckpt_tmpfs_dir {
	struct list_head list;
	struct dentry *dentry;
	char path[];
};

struct ckpt_tmpfs_walk {
	struct ckpt_ctx *ctx;
	struct vfsmount *mnt;
	struct user_namespace *ns;	/* the tasks' */
	struct list_head dirs;
	struct xarray inodes;		/* i_ino -> first path, nlink > 1 */
	u32 nr;				/* nodes written */
	char what[80];			/* the node, for the log */
	char *buf;			/* CKPT_PATH_MAX */
};

/* The names getdents(2) gives, one after the other, with their NULs */
struct ckpt_tmpfs_names {
	struct dir_context dc;
	char *buf;
	size_t len, size;
	bool full;
};

static bool ckpt_tmpfs_name(struct dir_context *dc, const char *name, int len,
			    loff_t pos, u64 ino, unsigned int type)
{
	struct ckpt_tmpfs_names *n = container_of(dc, struct ckpt_tmpfs_names, dc);

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	if (n->len + len + 1 > n->size) {
		n->full = true;
		return false;
	}
	memcpy(n->buf + n->len, name, len);
	n->buf[n->len + len] = 0;
	n->len += len + 1;
	return true;
}

/* The contents of a regular file, as FILE_DATA records */
static int ckpt_tmpfs_save_data(struct ckpt_ctx *ctx, struct file *f, loff_t size)
{
	loff_t pos = 0;
	void *buf;
	int ret = 0;

	buf = kvmalloc(CKPT_FILE_DATA_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (!ret && pos < size) {
		loff_t p = pos;
		ssize_t n = kernel_read(f, buf, min_t(loff_t, size - pos, CKPT_FILE_DATA_MAX), &p);

		if (n <= 0) {
			ret = n;
			break;
		}
		if (memchr_inv(buf, 0, n))
			ret = ckpt_write_file_data(ctx, pos, buf, n);
		pos += n;
	}
	kvfree(buf);
	return ret;
}

/* A node's record */
static int ckpt_tmpfs_save_rec(struct ckpt_tmpfs_walk *w, struct dentry *d, const char *path)
{
	struct inode *inode = d_inode(d);
	struct timespec64 at = inode_get_atime(inode), mt = inode_get_mtime(inode);
	struct ckpt_tmpfs_node rec = {};
	const char *target = NULL;
	DEFINE_DELAYED_CALL(done);
	u32 plen = strlen(path) + 1, tlen;
	char *link, *var;
	int ret;

	rec.mode = cpu_to_le32(inode->i_mode);
	rec.uid = cpu_to_le32(from_kuid(w->ns, inode->i_uid));
	rec.gid = cpu_to_le32(from_kgid(w->ns, inode->i_gid));
	if (le32_to_cpu(rec.uid) == (u32)-1 || le32_to_cpu(rec.gid) == (u32)-1)
		return ckpt_err(w->ctx, -EOVERFLOW,
				"tmpfs file %s: its owner is not mapped in the tasks' user namespace",
				path);
	rec.rdev = cpu_to_le32(new_encode_dev(inode->i_rdev));
	rec.atime_sec = cpu_to_le64(at.tv_sec);
	rec.atime_nsec = cpu_to_le32(at.tv_nsec);
	rec.mtime_sec = cpu_to_le64(mt.tv_sec);
	rec.mtime_nsec = cpu_to_le32(mt.tv_nsec);
	if (S_ISREG(inode->i_mode))
		rec.size = cpu_to_le64(i_size_read(inode));
	link = !S_ISDIR(inode->i_mode) && inode->i_nlink > 1 ?
	       xa_load(&w->inodes, inode->i_ino) : NULL;
	if (link) {
		/* Another name of an inode saved already */
		rec.link = cpu_to_le32(1);
		rec.size = 0;
		target = link;
	} else if (S_ISLNK(inode->i_mode)) {
		target = vfs_get_link(d, &done);
		if (IS_ERR(target))
			return ckpt_err(w->ctx, PTR_ERR(target), "tmpfs link %s: cannot read it",
					path);
	} else if (!S_ISDIR(inode->i_mode) && inode->i_nlink > 1) {
		ret = xa_err(xa_store(&w->inodes, inode->i_ino, kstrdup(path, GFP_KERNEL),
				      GFP_KERNEL));
		if (ret)
			return ret;
	}
	tlen = target ? strnlen(target, CKPT_PATH_MAX - 1) + 1 : 0;
	w->nr++;
	rec.path_len = cpu_to_le16(plen);
	rec.target_len = cpu_to_le16(tlen);
	var = kmalloc(plen + tlen, GFP_KERNEL);
	ret = var ? 0 : -ENOMEM;
	if (var) {
		memcpy(var, path, plen);
		if (tlen)
			strscpy(var + plen, target, tlen);
		ret = ckpt_write_rec_var(w->ctx, CKPT_REC_TMPFS_NODE, &rec, sizeof(rec),
					 var, plen + tlen);
		kfree(var);
	}
	do_delayed_call(&done);
	return ret ?: (link ? 1 : 0);
}

/*
 * A POSIX ACL, as getxattr(2) of its name reads it: in the xattr format,
 * its ids those of the caller's user namespace.  0 if it has none.
 */
static ssize_t ckpt_get_acl(const struct path *p, const char *name, char **value)
{
	struct posix_acl *acl;
	ssize_t len;

	acl = vfs_get_acl(mnt_idmap(p->mnt), p->dentry, name);
	if (IS_ERR_OR_NULL(acl))
		return PTR_ERR(acl);
	len = posix_acl_xattr_size(acl->a_count);
	*value = kmalloc(len, GFP_KERNEL);
	if (*value)
		len = posix_acl_to_xattr(current_user_ns(), acl, *value, len);
	posix_acl_release(acl);
	return *value ? len : -ENOMEM;
}

/* One extended attribute, as getxattr(2) reads it */
static int ckpt_save_xattr(struct ckpt_ctx *ctx, const struct path *p, const char *name)
{
	struct ckpt_tmpfs_xattr rec = {};
	u32 nlen = strlen(name) + 1;
	char *value = NULL, *var;
	ssize_t len;
	int ret;

	if (is_posix_acl_xattr(name))
		len = ckpt_get_acl(p, name, &value);
	else
		len = vfs_getxattr_alloc(mnt_idmap(p->mnt), p->dentry, name, &value, 0,
					 GFP_KERNEL);
	if (len <= 0)
		return len;
	rec.name_len = cpu_to_le16(nlen);
	rec.value_len = cpu_to_le32(len);
	var = kvmalloc(nlen + len, GFP_KERNEL);
	ret = var ? 0 : -ENOMEM;
	if (var) {
		memcpy(var, name, nlen);
		memcpy(var + nlen, value, len);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_TMPFS_XATTR, &rec, sizeof(rec), var,
					 nlen + len);
		kvfree(var);
	}
	kfree(value);
	return ret;
}

/**
 * ckpt_save_xattrs() - write the extended attributes of a file
 * @ctx: checkpoint context
 * @p: the file
 * @what: how the log names it
 *
 * One TMPFS_XATTR record each, read as listxattr(2) and getxattr(2) would
 * with the caller's credentials; a POSIX ACL in the xattr format, its ids
 * those of the caller's user namespace.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_save_xattrs(struct ckpt_ctx *ctx, const struct path *p, const char *what)
{
	ssize_t len = vfs_listxattr(p->dentry, NULL, 0);
	char *names, *name;
	int ret = 0;

	if (len <= 0)
		return len == -EOPNOTSUPP ? 0 : len;
	names = kvmalloc(len, GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	len = vfs_listxattr(p->dentry, names, len);
	for (name = names; !ret && len > 0 && name < names + len; name += strlen(name) + 1) {
		ret = ckpt_save_xattr(ctx, p, name);
		if (ret)
			ret = ckpt_err(ctx, ret, "%s: cannot save attribute %s", what, name);
	}
	kvfree(names);
	return len < 0 ? ckpt_err(ctx, len, "%s: cannot list its attributes", what) : ret;
}

/* A node's record, and the contents of a regular file, read as the caller */
static int ckpt_tmpfs_save_node(struct ckpt_tmpfs_walk *w, struct dentry *d, const char *path)
{
	struct path p = { .mnt = w->mnt, .dentry = d };
	struct inode *inode = d_inode(d);
	struct file *f;
	int ret;

	ret = inode_permission(mnt_idmap(w->mnt), inode,
			       S_ISDIR(inode->i_mode) ? MAY_READ | MAY_EXEC :
			       S_ISREG(inode->i_mode) ? MAY_READ : 0);
	if (ret)
		return ckpt_err(w->ctx, ret, "tmpfs file %s: the caller may not read it", path);
	ret = ckpt_tmpfs_save_rec(w, d, path);
	/* Another name of an inode saved already: nothing more */
	if (ret)
		return ret < 0 ? ret : 0;
	if (S_ISREG(inode->i_mode) && i_size_read(inode)) {
		f = dentry_open(&p, O_RDONLY | O_LARGEFILE | O_NOATIME, current_cred());
		if (IS_ERR(f))
			return ckpt_err(w->ctx, PTR_ERR(f), "tmpfs file %s: cannot open it", path);
		ret = ckpt_tmpfs_save_data(w->ctx, f, i_size_read(inode));
		fput(f);
		if (ret)
			return ckpt_err(w->ctx, ret, "tmpfs file %s: cannot save its contents",
					path);
	}
	snprintf(w->what, sizeof(w->what), "tmpfs file %s", path);
	return ckpt_save_xattrs(w->ctx, &p, w->what);
}

static int ckpt_tmpfs_queue_dir(struct ckpt_tmpfs_walk *w, struct dentry *d, const char *path)
{
	struct ckpt_tmpfs_dir *dir;

	size_t len = strlen(path) + 1;

	dir = kmalloc(struct_size(dir, path, len), GFP_KERNEL);
	if (!dir)
		return -ENOMEM;
	memcpy(dir->path, path, len);
	dir->dentry = dget(d);
	list_add_tail(&dir->list, &w->dirs);
	return 0;
}

/* One entry of a directory being read */
static int ckpt_tmpfs_entry(struct ckpt_tmpfs_walk *w, struct ckpt_tmpfs_dir *dir,
			    const char *name)
{
	struct dentry *d;
	int len, ret = 0;

	len = snprintf(w->buf, CKPT_PATH_MAX, "%s/%s", strcmp(dir->path, "/") ? dir->path : "",
		       name);
	if (len >= CKPT_PATH_MAX)
		return ckpt_err(w->ctx, -ENAMETOOLONG, "a tmpfs path is too long: %s...",
				dir->path);
	d = lookup_one_len_unlocked(name, dir->dentry, strlen(name));
	if (IS_ERR(d))
		return ckpt_err(w->ctx, PTR_ERR(d), "tmpfs file %s: cannot look it up", w->buf);
	/* Gone since it was listed, or a socket: left out */
	if (d_really_is_positive(d) && !S_ISSOCK(d_inode(d)->i_mode)) {
		if (w->nr >= CKPT_TMPFS_MAX_NODES)
			ret = ckpt_err(w->ctx, -E2BIG, "a tmpfs has more than %u files",
				       CKPT_TMPFS_MAX_NODES);
		else
			ret = ckpt_tmpfs_save_node(w, d, w->buf);
		if (!ret && d_is_dir(d))
			ret = ckpt_tmpfs_queue_dir(w, d, w->buf);
	}
	dput(d);
	return ret;
}

/* Read a directory, as getdents(2) would, and save what is in it */
static int ckpt_tmpfs_read_dir(struct ckpt_tmpfs_walk *w, struct ckpt_tmpfs_dir *dir)
{
	struct path p = { .mnt = w->mnt, .dentry = dir->dentry };
	struct ckpt_tmpfs_names n = { .dc.actor = ckpt_tmpfs_name };
	struct file *f;
	size_t off;
	int ret;

	f = dentry_open(&p, O_RDONLY | O_DIRECTORY | O_NOATIME, current_cred());
	if (IS_ERR(f))
		return ckpt_err(w->ctx, PTR_ERR(f), "tmpfs directory %s: cannot open it",
				dir->path);
	for (n.size = PAGE_SIZE;; n.size *= 2) {
		n.buf = kvmalloc(n.size, GFP_KERNEL);
		n.len = 0;
		n.full = false;
		n.dc.pos = 0;
		vfs_setpos(f, 0, 0);
		ret = n.buf ? iterate_dir(f, &n.dc) : -ENOMEM;
		if (ret || !n.full || n.size >= SZ_64M)
			break;
		kvfree(n.buf);
	}
	fput(f);
	if (!ret && n.full)
		ret = ckpt_err(w->ctx, -E2BIG, "tmpfs directory %s: too many names", dir->path);
	for (off = 0; !ret && off < n.len; off += strlen(n.buf + off) + 1)
		ret = ckpt_tmpfs_entry(w, dir, n.buf + off);
	kvfree(n.buf);
	return ret;
}

/**
 * ckpt_tmpfs_checkpoint() - write the contents of a tmpfs mount
 * @ctx: checkpoint context
 * @id: the id of the mount in the image
 * @mnt: the mount, of the root of its tmpfs
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_tmpfs_checkpoint(struct ckpt_ctx *ctx, u32 id, struct vfsmount *mnt)
{
	struct ckpt_tmpfs_walk w = { .ctx = ctx, .mnt = mnt,
				     .ns = ctx->user_ns ?: current_user_ns() };
	struct ckpt_tmpfs rec = { .mount = cpu_to_le32(id) };
	struct ckpt_tmpfs_dir *dir;
	unsigned long idx;
	char *name;
	int ret;

	INIT_LIST_HEAD(&w.dirs);
	xa_init(&w.inodes);
	w.buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!w.buf)
		return -ENOMEM;
	ret = ckpt_write_rec(ctx, CKPT_REC_TMPFS, &rec, sizeof(rec)) ?:
	      ckpt_tmpfs_save_node(&w, mnt->mnt_root, "/") ?:
	      ckpt_tmpfs_queue_dir(&w, mnt->mnt_root, "/");
	/* Breadth first: the directories found are added at the tail */
	while ((dir = list_first_entry_or_null(&w.dirs, struct ckpt_tmpfs_dir, list))) {
		if (!ret)
			ret = ckpt_tmpfs_read_dir(&w, dir);
		list_del(&dir->list);
		dput(dir->dentry);
		kfree(dir);
	}
	xa_for_each(&w.inodes, idx, name)
		kfree(name);
	xa_destroy(&w.inodes);
	kfree(w.buf);
	return ret;
}

/* ---- restart ---- */

/* A directory whose times are set last */
struct ckpt_tmpfs_dirtime {
	struct list_head list;
	struct timespec64 t[2];
	char path[];
};

/* "/" or "/a/b": no empty, "." or ".." component */
static bool ckpt_tmpfs_path_ok(const char *p)
{
	const char *c, *end;

	if (*p != '/')
		return false;
	if (!p[1])
		return true;
	for (c = p + 1; ; c = end + 1) {
		end = strchrnul(c, '/');
		if (end == c || (end - c == 1 && c[0] == '.') ||
		    (end - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*end)
			return true;
	}
}

/* @path from the root of the tmpfs, not following links nor crossing mounts */
static int ckpt_tmpfs_lookup(const struct path *root, const char *path, unsigned int flags,
			     struct path *res)
{
	if (!path[1]) {
		*res = *root;
		path_get(res);
		return 0;
	}
	return vfs_path_lookup(root->dentry, root->mnt, path + 1,
			       flags | LOOKUP_NO_XDEV | LOOKUP_NO_SYMLINKS | LOOKUP_NO_MAGICLINKS,
			       res);
}

/* Create @d in @parent (locked) as mkdir(2), open(2)... would */
static int ckpt_tmpfs_mknode(const struct ckpt_tmpfs_node *rec, const struct path *root,
			     const struct path *parent, struct dentry *d, const char *target)
{
	struct inode *dir = d_inode(parent->dentry);
	struct mnt_idmap *idmap = mnt_idmap(parent->mnt);
	umode_t mode = le32_to_cpu(rec->mode);
	dev_t dev = new_decode_dev(le32_to_cpu(rec->rdev));
	struct path old;
	int ret;

	if (rec->link) {
		ret = ckpt_tmpfs_lookup(root, target, 0, &old);
		if (ret)
			return ret;
		ret = d_is_dir(old.dentry) ? -EPERM : security_path_link(old.dentry, parent, d) ?:
		      vfs_link(old.dentry, idmap, dir, d, NULL);
		path_put(&old);
		return ret;
	}
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return security_path_mkdir(parent, d, mode) ?: vfs_mkdir(idmap, dir, d, mode);
	case S_IFREG:
		return security_path_mknod(parent, d, mode, 0) ?:
		       vfs_create(idmap, dir, d, mode, true);
	case S_IFLNK:
		return security_path_symlink(parent, d, target) ?:
		       vfs_symlink(idmap, dir, d, target);
	default:
		return security_path_mknod(parent, d, mode, dev) ?:
		       vfs_mknod(idmap, dir, d, mode, dev);
	}
}

/* The node of @path, new: @res */
static int ckpt_tmpfs_create(const struct ckpt_tmpfs_node *rec, const struct path *root,
			     char *path, const char *target, struct path *res)
{
	char *slash = strrchr(path, '/');
	struct path parent;
	struct dentry *d;
	int ret;

	*slash = 0;
	ret = ckpt_tmpfs_lookup(root, slash == path ? "/" : path, LOOKUP_DIRECTORY, &parent);
	*slash = '/';
	if (ret)
		return ret;
	ret = mnt_want_write(parent.mnt);
	if (ret)
		goto out;
	inode_lock_nested(d_inode(parent.dentry), I_MUTEX_PARENT);
	d = lookup_one_len(slash + 1, parent.dentry, strlen(slash + 1));
	ret = PTR_ERR_OR_ZERO(d);
	if (!ret && d_really_is_positive(d))
		ret = -EEXIST;
	if (!ret)
		ret = ckpt_tmpfs_mknode(rec, root, &parent, d, target);
	if (!ret) {
		res->mnt = mntget(parent.mnt);
		res->dentry = dget(d);
	}
	inode_unlock(d_inode(parent.dentry));
	if (!IS_ERR(d))
		dput(d);
	mnt_drop_write(parent.mnt);
out:
	path_put(&parent);
	return ret;
}

/* A regular file's contents, from the FILE_DATA records that follow */
static int ckpt_tmpfs_fill(struct ckpt_ctx *ctx, const struct path *p, u64 size)
{
	struct file *f;
	int ret;

	if (size > MAX_LFS_FILESIZE)
		return -EFBIG;
	f = dentry_open(p, O_WRONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = ckpt_read_file_data(ctx, f, size, false);
	fput(f);
	if (!ret && i_size_read(d_inode(p->dentry)) < size)
		ret = vfs_truncate(p, size);
	return ret;
}

/* Owner and mode, as chown(2) and chmod(2) would give them */
static int ckpt_tmpfs_owner(const struct ckpt_tmpfs_node *rec, const struct path *p)
{
	umode_t mode = le32_to_cpu(rec->mode);
	int ret;

	ret = mnt_want_write(p->mnt);
	if (ret)
		return ret;
	ret = chown_common(p, le32_to_cpu(rec->uid), le32_to_cpu(rec->gid));
	mnt_drop_write(p->mnt);
	if (!ret && !S_ISLNK(mode))
		ret = chmod_common(p, mode & S_IALLUGO);
	return ret;
}

static const char *ckpt_tmpfs_node_bad(const struct ckpt_tmpfs_node *rec, u32 len, bool first,
				       char *path, const char *target)
{
	u32 plen = le16_to_cpu(rec->path_len), tlen = le16_to_cpu(rec->target_len);
	umode_t mode = le32_to_cpu(rec->mode), type = mode & S_IFMT;

	if (len != ALIGN(sizeof(*rec) + plen + tlen, 8) || !plen || plen > CKPT_PATH_MAX ||
	    tlen > CKPT_PATH_MAX || strnlen(path, plen) != plen - 1 ||
	    (tlen && strnlen(target, tlen) != tlen - 1) ||
	    memchr_inv(rec->__pad, 0, sizeof(rec->__pad)))
		return "its strings are malformed";
	if (!ckpt_tmpfs_path_ok(path) || first != !strcmp(path, "/") ||
	    (first && (type != S_IFDIR || rec->link)))
		return "its path is invalid";
	if ((mode & ~(S_IFMT | S_IALLUGO)) ||
	    (type != S_IFDIR && type != S_IFREG && type != S_IFLNK && type != S_IFIFO &&
	     type != S_IFCHR && type != S_IFBLK) ||
	    le32_to_cpu(rec->link) > 1 || (rec->link && (type == S_IFDIR || !tlen)) ||
	    (!rec->link && type == S_IFLNK ? !tlen : !rec->link && tlen) ||
	    (type != S_IFREG && rec->size) || (rec->link && rec->size) ||
	    (type != S_IFCHR && type != S_IFBLK && rec->rdev) ||
	    le32_to_cpu(rec->atime_nsec) >= NSEC_PER_SEC ||
	    le32_to_cpu(rec->mtime_nsec) >= NSEC_PER_SEC)
		return "its mode, link, size or times are invalid";
	if (rec->link && !ckpt_tmpfs_path_ok(target))
		return "it links to an invalid path";
	return NULL;
}

/* As setxattr(2) would; a POSIX ACL's ids are of the caller's user namespace */
static int ckpt_set_xattr(struct ckpt_ctx *ctx, const struct path *p, const char *name,
			  const void *value, u32 len)
{
	struct posix_acl *acl;
	int ret;

	if (!is_posix_acl_xattr(name))
		return vfs_setxattr(mnt_idmap(p->mnt), p->dentry, name, value, len,
				    XATTR_CREATE);
	acl = posix_acl_from_xattr(ctx->caller_cred->user_ns, value, len);
	if (IS_ERR_OR_NULL(acl))
		return acl ? PTR_ERR(acl) : -EINVAL;
	ret = vfs_set_acl(mnt_idmap(p->mnt), p->dentry, name, acl);
	posix_acl_release(acl);
	return ret;
}

/**
 * ckpt_load_xattrs() - set the extended attributes of a file from the image
 * @ctx: restart context
 * @p: the file
 * @what: how the log names it
 *
 * Reads the TMPFS_XATTR records that come next and sets each as
 * setxattr(2) would, with the permission checks of its namespace (a POSIX
 * ACL as set_acl: its owner or CAP_FOWNER).
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_load_xattrs(struct ckpt_ctx *ctx, const struct path *p, const char *what)
{
	struct ckpt_tmpfs_xattr *rec;
	u32 len, nlen, vlen;
	char *name;
	int ret;

	while ((ret = ckpt_peek_rec(ctx)) == CKPT_REC_TMPFS_XATTR) {
		rec = ckpt_read_rec_var(ctx, CKPT_REC_TMPFS_XATTR, sizeof(*rec), &len);
		if (IS_ERR(rec))
			return PTR_ERR(rec);
		name = (char *)(rec + 1);
		nlen = le16_to_cpu(rec->name_len);
		vlen = le32_to_cpu(rec->value_len);
		if (nlen < 2 || nlen > XATTR_NAME_MAX + 1 || vlen > XATTR_SIZE_MAX ||
		    rec->__pad || len != ALIGN(sizeof(*rec) + nlen + vlen, 8) ||
		    strnlen(name, nlen) != nlen - 1) {
			kvfree(rec);
			return ckpt_err(ctx, -EINVAL, "TMPFS_XATTR record of %s is malformed",
					what);
		}
		ret = mnt_want_write(p->mnt);
		if (!ret) {
			ret = ckpt_set_xattr(ctx, p, name, name + nlen, vlen);
			mnt_drop_write(p->mnt);
		}
		if (ret)
			ret = ckpt_err(ctx, ret, "cannot set attribute %s of %s", name, what);
		kvfree(rec);
		if (ret)
			return ret;
	}
	return ret < 0 ? ret : 0;
}

/* Times go last for directories, in reverse order: what is in them first */
static int ckpt_tmpfs_times(const struct ckpt_tmpfs_node *rec, const struct path *p,
			    const char *path, struct list_head *dirs)
{
	struct timespec64 t[2] = {
		{ le64_to_cpu(rec->atime_sec), le32_to_cpu(rec->atime_nsec) },
		{ le64_to_cpu(rec->mtime_sec), le32_to_cpu(rec->mtime_nsec) },
	};
	struct ckpt_tmpfs_dirtime *dt;
	size_t len;

	if (!S_ISDIR(le32_to_cpu(rec->mode)))
		return vfs_utimes(p, t);
	len = strlen(path) + 1;
	dt = kmalloc(struct_size(dt, path, len), GFP_KERNEL);
	if (!dt)
		return -ENOMEM;
	memcpy(dt->t, t, sizeof(t));
	memcpy(dt->path, path, len);
	list_add(&dt->list, dirs);
	return 0;
}

static int ckpt_tmpfs_restore_node(struct ckpt_ctx *ctx, const struct path *root, bool first,
				   struct list_head *dirs)
{
	struct ckpt_tmpfs_node *rec;
	struct path p = {};
	const char *bad;
	char *path, *target;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_TMPFS_NODE, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	path = (char *)(rec + 1);
	target = path + le16_to_cpu(rec->path_len);
	bad = ckpt_tmpfs_node_bad(rec, len, first, path, target);
	if (bad) {
		ret = ckpt_err(ctx, -EINVAL, "TMPFS_NODE record %s: %s",
			       strnlen(path, len - sizeof(*rec)) < len - sizeof(*rec) ? path : "?",
			       bad);
		goto out;
	}
	ret = first ? ckpt_tmpfs_lookup(root, "/", 0, &p) :
	      ckpt_tmpfs_create(rec, root, path, target, &p);
	if (!ret && S_ISREG(le32_to_cpu(rec->mode)) && !rec->link)
		ret = ckpt_tmpfs_fill(ctx, &p, le64_to_cpu(rec->size));
	if (!ret && !rec->link)
		ret = ckpt_tmpfs_owner(rec, &p) ?: ckpt_load_xattrs(ctx, &p, path) ?:
		      ckpt_tmpfs_times(rec, &p, path, dirs);
	if (ret)
		ret = ckpt_err(ctx, ret, "cannot restore tmpfs file %s", path);
	if (p.mnt)
		path_put(&p);
out:
	kvfree(rec);
	return ret;
}

/**
 * ckpt_tmpfs_restart() - fill a new tmpfs mount with its saved contents
 * @ctx: restart context
 * @id: the id of the mount in the image
 * @root: the mount, at the root of its tmpfs
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_tmpfs_restart(struct ckpt_ctx *ctx, u32 id, const struct path *root)
{
	struct ckpt_tmpfs_dirtime *dt, *tmp;
	struct ckpt_tmpfs rec;
	LIST_HEAD(dirs);
	struct path p;
	bool first = true;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_TMPFS, &rec, sizeof(rec));
	if (ret)
		return ret;
	if (le32_to_cpu(rec.mount) != id || rec.__pad)
		return ckpt_err(ctx, -EINVAL, "TMPFS record: for mount %u, not %u",
				le32_to_cpu(rec.mount), id);
	while ((ret = ckpt_peek_rec(ctx)) == CKPT_REC_TMPFS_NODE) {
		ret = ckpt_tmpfs_restore_node(ctx, root, first, &dirs);
		if (ret)
			break;
		first = false;
	}
	if (ret > 0)
		ret = first ? ckpt_err(ctx, -EINVAL, "TMPFS record: no root node") : 0;
	list_for_each_entry_safe(dt, tmp, &dirs, list) {
		if (!ret)
			ret = ckpt_tmpfs_lookup(root, dt->path, 0, &p);
		if (!ret) {
			ret = vfs_utimes(&p, dt->t);
			path_put(&p);
			if (ret)
				ret = ckpt_err(ctx, ret,
					       "cannot set the times of tmpfs directory %s",
					       dt->path);
		}
		list_del(&dt->list);
		kfree(dt);
	}
	return ret;
}
