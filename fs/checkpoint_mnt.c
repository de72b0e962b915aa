// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tasks' mount namespace: the "mount" entry of the namespace table.
 *
 * Checkpoint walks the namespace as /proc/PID/mountinfo does and writes a
 * MOUNT record for each mount, parents first, in mount id order otherwise.
 * A mount is one of three kinds:
 *
 * - external: its filesystem is outside the tasks (the root of the
 *   namespace, a bind mount of a host directory, a host's proc...).  The
 *   image names it by its mount point; restart binds there what the
 *   caller gives for it (CKPT_EXT_MOUNT), as CRIU's --ext-mount-map does,
 *   and the caller's root directory for the root if it gives nothing.
 * - new: a filesystem that a mount(2) in the restored namespaces makes
 *   again (proc of the tasks' pid namespace, their sysfs, mqueue, a
 *   tmpfs, a devpts instance, cgroup2), mounted with the options its
 *   show_options() gave, ids as the tasks see them.
 * - bind: a bind of part of an earlier mount of the same filesystem.
 *
 * Restart rebuilds the tree in the restored root's context, as its
 * container manager did: it attaches the root on the root directory,
 * pivot_root()s into it and detaches the old root (so the caller's root
 * must be a mount with a parent, as for pivot_root(2)), then mounts, binds
 * and attaches the other mounts, sets their flags (remount,bind) and their
 * propagation (MS_SLAVE, MS_SHARED, MS_UNBINDABLE): every step is the
 * mount(2), open_tree(2), move_mount(2) or pivot_root(2) the caller could
 * make in the new namespaces, with their checks.  The external mounts are
 * cloned in the caller's namespace, by the coordinator, as
 * open_tree(OPEN_TREE_CLONE) would; they keep the restrictive flags of
 * the caller's mount, locked, as copy_mnt_ns() locks them for a less
 * privileged namespace.
 *
 * Peer groups are rebuilt by binding each later member of a group from an
 * earlier one; a slave of a group of the image is bound from a member of
 * that group, then made a slave.  Checkpoint refuses a tree these steps
 * cannot rebuild, and the contents of a tmpfs (not kept yet) and POSIX
 * message queues (not kept yet).
 */
#include <linux/cgroup.h>
#include <linux/checkpoint.h>
#include <linux/checkpoint_file.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <linux/ipc_namespace.h>
#include <linux/kernfs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <uapi/linux/magic.h>
#include <uapi/linux/mount.h>

#include "internal.h"
#include "pnode.h"

/* ---- the filesystems a mount(2) in the restored namespaces makes again ---- */

/**
 * struct ckpt_mnt_fs - a filesystem type restart mounts anew
 * @name: its type
 * @instance: each mount(2) makes a new instance (two mounts of one
 *	instance are a mount and a bind of it)
 * @options: its show_options() shows what mount(2) takes
 * @ours: optional: whether @sb is the one a new mount by the restored
 *	root gets (the filesystem of the tasks' own pid, network... namespace)
 * @root: optional: whether a mount whose root is @root shows what a new
 *	mount by the restored root shows; without it, the root of the
 *	filesystem does (cgroup2 mounts the root of the cgroup namespace)
 * @save: optional: write its contents (after the MOUNT records)
 * @load: optional: read them back into the new mount at @root
 */
struct ckpt_mnt_fs {
	const char *name;
	bool instance;
	bool options;
	bool (*ours)(struct ckpt_ctx *ctx, struct super_block *sb);
	bool (*root)(struct ckpt_ctx *ctx, struct dentry *root);
	int (*save)(struct ckpt_ctx *ctx, u32 id, struct vfsmount *mnt);
	int (*load)(struct ckpt_ctx *ctx, u32 id, const struct path *root);
};

static bool ckpt_proc_ours(struct ckpt_ctx *ctx, struct super_block *sb)
{
	return proc_sb_info(sb)->pid_ns == ctx->pidns;
}

static bool ckpt_sysfs_ours(struct ckpt_ctx *ctx, struct super_block *sb)
{
	return kernfs_super_ns(sb) == ctx->nsproxy->net_ns;
}

static bool ckpt_mqueue_ours(struct ckpt_ctx *ctx, struct super_block *sb)
{
	return sb->s_fs_info == ctx->nsproxy->ipc_ns;
}

/* A mount of the root of the tasks' cgroup namespace, as runc makes one */
static bool ckpt_cgroup2_root(struct ckpt_ctx *ctx, struct dentry *root)
{
	struct kernfs_node *kn = ctx->nsproxy->cgroup_ns->root_cset->dfl_cgrp->kn;

	return kernfs_node_from_dentry(root) == kn;
}

static const struct ckpt_mnt_fs ckpt_mnt_fs[] = {
	{ .name = "proc", .instance = true, .options = true, .ours = ckpt_proc_ours },
	{ .name = "sysfs", .ours = ckpt_sysfs_ours },
	{ .name = "tmpfs", .instance = true, .options = true,
	  .save = ckpt_tmpfs_checkpoint, .load = ckpt_tmpfs_restart },
	{ .name = "devpts", .instance = true, .options = true },
	/* Its queues are saved with the IPC namespace (ipc/checkpoint_mqueue.c) */
	{ .name = "mqueue", .ours = ckpt_mqueue_ours },
	{ .name = "cgroup2", .root = ckpt_cgroup2_root },
};

static const struct ckpt_mnt_fs *ckpt_mnt_fs_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ckpt_mnt_fs); i++)
		if (!strcmp(ckpt_mnt_fs[i].name, name))
			return &ckpt_mnt_fs[i];
	return NULL;
}

/* ---- checkpoint ---- */

/**
 * struct ckpt_mnt_rest - a MOUNT record, at restart; a new mount whose
 *	contents are to be saved, at checkpoint (@id, @path)
 * @rec: the record, followed by its strings
 * @mp: its mount point, from the root of its parent
 * @root: its root, in its source or its filesystem
 * @source: its source, for a new mount
 * @options: the options of a new mount
 * @where: its absolute mount point
 * @joins: a later member of its peer group: bound from an earlier one
 * @ext: CKPT_MOUNT_EXTERNAL: a detached copy of what the caller gave
 * @path: once mounted: the mount and its root
 * @id: its id in the image
 */
struct ckpt_mnt_rest {
	struct ckpt_mount *rec;
	const char *mp, *root, *source, *options;
	char *where;
	bool joins;
	struct file *ext;
	struct path path;
	u32 id;
};

struct ckpt_mntns_load {
	struct mnt_namespace *caller_ns;
	u32 nr;
	struct ckpt_mnt_rest m[] __counted_by(nr);
};

static void ckpt_mntns_load_free(const void *data)
{
	struct ckpt_mntns_load *l = (struct ckpt_mntns_load *)data;
	u32 i;

	for (i = 0; i < l->nr; i++) {
		kvfree(l->m[i].rec);
		kfree(l->m[i].where);
		if (l->m[i].ext)
			fput(l->m[i].ext);
		if (l->m[i].path.mnt)
			path_put(&l->m[i].path);
	}
	kfree(l);
}

/**
 * struct ckpt_mnt_save - a mount of the tasks' namespace, at checkpoint
 * @mnt: the mount (a reference)
 * @parent: the mount it is on, NULL for the root
 * @mountpoint: where it is on @parent (a reference)
 * @group: its peer group's id if shared, else 0
 * @master: its master's peer group's id if a slave, else 0
 * @master_out: its master is not in the namespace
 * @unbindable: MS_UNBINDABLE
 * @pidx: the index of @parent, or -1
 * @id: its rank in the image, from 1, once placed
 * @source: CKPT_MOUNT_BIND: the index of the mount it is bound from
 * @kind: CKPT_MOUNT_*
 */
struct ckpt_mnt_save {
	struct mount *mnt;
	struct mount *parent;
	struct dentry *mountpoint;
	int group, master;
	bool master_out, unbindable;
	int pidx;
	u32 id, source;
	u16 kind;
};

struct ckpt_mnt_walk {
	struct mnt_namespace *ns;
	struct ckpt_mnt_save *m;
	u32 nr;
};

/* Under namespace_sem: what the image needs of one mount */
static int ckpt_mnt_collect(struct mount *mnt, void *arg)
{
	struct ckpt_mnt_walk *w = arg;
	struct ckpt_mnt_save *s = &w->m[w->nr];

	if (w->nr == CKPT_MNTNS_MAX_MOUNTS)
		return -E2BIG;
	s->mnt = mnt;
	mntget(&mnt->mnt);
	if (mnt_has_parent(mnt)) {
		s->parent = mnt->mnt_parent;
		s->mountpoint = dget(mnt->mnt_mountpoint);
	}
	s->group = IS_MNT_SHARED(mnt) ? mnt->mnt_group_id : 0;
	if (IS_MNT_SLAVE(mnt)) {
		s->master = mnt->mnt_master->mnt_group_id;
		s->master_out = mnt->mnt_master->mnt_ns != w->ns;
	}
	s->unbindable = IS_MNT_UNBINDABLE(mnt);
	w->nr++;
	return 0;
}

static void ckpt_mnt_walk_free(struct ckpt_mnt_walk *w)
{
	u32 i;

	for (i = 0; i < w->nr; i++) {
		dput(w->m[i].mountpoint);
		mntput(&w->m[i].mnt->mnt);
	}
	kvfree(w->m);
}

static int ckpt_mnt_index(struct ckpt_mnt_walk *w, struct mount *mnt)
{
	u32 i;

	for (i = 0; i < w->nr; i++)
		if (w->m[i].mnt == mnt)
			return i;
	return -1;
}

/*
 * The image order: the root mount of the tasks first, then mounts whose
 * parent is placed, in mount id order otherwise, so that the restored
 * mounts list in /proc/PID/mountinfo in the same order.  Mounts not
 * under the tasks' root are left out, as mountinfo leaves them out.
 * @order gets the indices; the ids are set.
 *
 * Return: the number of mounts placed.
 */
static u32 ckpt_mnt_order(struct ckpt_mnt_walk *w, struct mount *root, u32 *order)
{
	u32 placed = 0, i;

	for (i = 0; i < w->nr; i++)
		w->m[i].pidx = w->m[i].parent ? ckpt_mnt_index(w, w->m[i].parent) : -1;
	for (i = 0; i < w->nr; i++) {
		struct ckpt_mnt_save *s = &w->m[i];
		int p;

		if (s->id)
			continue;
		p = s->pidx;
		if (s->mnt != root && (!placed || p < 0 || !w->m[p].id))
			continue;
		s->id = ++placed;
		order[s->id - 1] = i;
		/* Its children may come before it in id order */
		i = -1;
	}
	return placed;
}

/* A mount placed before @s whose filesystem @s shows part of, or -1 */
static int ckpt_mnt_find_source(struct ckpt_mnt_walk *w, struct ckpt_mnt_save *s)
{
	struct dentry *root = s->mnt->mnt.mnt_root;
	int best = -1, i;

	for (i = 0; i < w->nr; i++) {
		struct ckpt_mnt_save *o = &w->m[i];

		if (!o->id || o->id >= s->id || o->mnt->mnt.mnt_sb != root->d_sb ||
		    !is_subdir(root, o->mnt->mnt.mnt_root) || o->unbindable)
			continue;
		/* One of its peers, or of its master's group: the bind joins them */
		if ((s->group && o->group == s->group) ||
		    (s->master && !s->master_out && o->group == s->master))
			return i;
		if (best < 0)
			best = i;
	}
	return best;
}

/* The flags of a mount, in the image's terms */
static u32 ckpt_mnt_flags(struct mount *mnt)
{
	int f = READ_ONCE(mnt->mnt.mnt_flags);
	u32 r = 0;

	r |= f & MNT_READONLY ? CKPT_MNT_RDONLY : 0;
	r |= f & MNT_NOSUID ? CKPT_MNT_NOSUID : 0;
	r |= f & MNT_NODEV ? CKPT_MNT_NODEV : 0;
	r |= f & MNT_NOEXEC ? CKPT_MNT_NOEXEC : 0;
	r |= f & MNT_NOATIME ? CKPT_MNT_NOATIME : 0;
	r |= f & MNT_NODIRATIME ? CKPT_MNT_NODIRATIME : 0;
	r |= f & MNT_RELATIME ? CKPT_MNT_RELATIME : 0;
	r |= f & MNT_NOSYMFOLLOW ? CKPT_MNT_NOSYMFOLLOW : 0;
	r |= sb_rdonly(mnt->mnt.mnt_sb) ? CKPT_MNT_SB_RDONLY : 0;
	return r;
}

/*
 * Is a filesystem mounted in another namespace too (the caller's /tmp in a
 * copy of its tree)?  Then it is not the tasks' own: a new one would part
 * from it.
 */
static bool ckpt_mnt_sb_outside(struct super_block *sb, struct mnt_namespace *ns)
{
	struct mount *mnt;
	bool out = false;

	read_seqlock_excl(&mount_lock);
	list_for_each_entry(mnt, &sb->s_mounts, mnt_instance)
		if (mnt->mnt_ns && mnt->mnt_ns != ns && !is_anon_ns(mnt->mnt_ns))
			out = true;
	read_sequnlock_excl(&mount_lock);
	return out;
}

/* Choose how restart makes mount @s (its id set, the earlier ones done) */
static int ckpt_mnt_kind(struct ckpt_ctx *ctx, struct ckpt_mnt_walk *w,
			 struct ckpt_mnt_save *s, const char *where)
{
	struct super_block *sb = s->mnt->mnt.mnt_sb;
	const struct ckpt_mnt_fs *fs = ckpt_mnt_fs_find(sb->s_type->name);
	int src = s->id > 1 ? ckpt_mnt_find_source(w, s) : -1;

	s->kind = CKPT_MOUNT_EXTERNAL;
	if (s->id == 1 || !fs || (fs->ours && !fs->ours(ctx, sb)) ||
	    (fs->instance && ckpt_mnt_sb_outside(sb, w->ns)))
		return 0;
	if (src >= 0 && (fs->instance || s->mnt->mnt.mnt_root != sb->s_root ||
			 w->m[src].group == s->group || w->m[src].group == s->master)) {
		s->kind = CKPT_MOUNT_BIND;
		s->source = src;
		return 0;
	}
	if (fs->root ? fs->root(ctx, s->mnt->mnt.mnt_root) : s->mnt->mnt.mnt_root == sb->s_root)
		s->kind = CKPT_MOUNT_NEW;
	return 0;
}

/* Can restart rebuild the propagation of @s from what comes before it? */
static int ckpt_mnt_check_propagation(struct ckpt_ctx *ctx, struct ckpt_mnt_walk *w,
				      struct ckpt_mnt_save *s, const char *where)
{
	struct ckpt_mnt_save *src = s->kind == CKPT_MOUNT_BIND ? &w->m[s->source] : NULL;
	bool later_peer = false;
	u32 i;

	for (i = 0; i < w->nr && s->group; i++)
		if (w->m[i].id && w->m[i].id < s->id && w->m[i].group == s->group)
			later_peer = true;
	if (later_peer && (!src || src->group != s->group))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the mount at %s is a peer of an earlier mount it is not bound from (not supported)",
				where);
	if (s->master && !s->master_out && !later_peer && (!src || src->group != s->master))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the mount at %s is a slave of a mount it is not bound from (not supported)",
				where);
	return 0;
}

/* The options a new mount of @mnt's filesystem takes, ids as the tasks see them */
static int ckpt_mnt_options(struct ckpt_ctx *ctx, struct mount *mnt, char *buf)
{
	struct user_namespace *ns = ctx->user_ns ?: current_user_ns();
	struct super_block *sb = mnt->mnt.mnt_sb;
	struct seq_file m = { .buf = buf, .size = CKPT_MOUNT_OPTIONS_MAX };
	char *opts, *tok, *out = buf + CKPT_MOUNT_OPTIONS_MAX;
	size_t len = 0;
	int ret;

	ret = sb->s_op->show_options ? sb->s_op->show_options(&m, mnt->mnt.mnt_root) : 0;
	if (ret || seq_has_overflowed(&m) || m.count >= m.size)
		return -EOVERFLOW;
	buf[m.count] = 0;
	*out = 0;
	opts = buf;
	/* "uid=N" and "gid=N" are shown as the initial namespace sees them */
	while ((tok = strsep(&opts, ",")) != NULL) {
		unsigned int id;
		bool is_id = true;

		if (!*tok)
			continue;
		if (sscanf(tok, "uid=%u", &id) == 1)
			id = from_kuid(ns, KUIDT_INIT(id));
		else if (sscanf(tok, "gid=%u", &id) == 1)
			id = from_kgid(ns, KGIDT_INIT(id));
		else
			is_id = false;
		if (is_id && id == (unsigned int)-1)
			return -EOVERFLOW;
		if (is_id)
			len += scnprintf(out + len, CKPT_MOUNT_OPTIONS_MAX - len, "%s%.4s%u",
					 len ? "," : "", tok, id);
		else
			len += scnprintf(out + len, CKPT_MOUNT_OPTIONS_MAX - len, "%s%s",
					 len ? "," : "", tok);
	}
	if (len >= CKPT_MOUNT_OPTIONS_MAX - 1)
		return -EOVERFLOW;
	memmove(buf, out, len + 1);
	return 0;
}

/* Scratch space for the strings of one MOUNT record */
struct ckpt_mnt_bufs {
	char where[CKPT_PATH_MAX];
	char mp[CKPT_PATH_MAX];
	char root[CKPT_PATH_MAX];
	char opts[2 * CKPT_MOUNT_OPTIONS_MAX];
};

/* The image's number of a peer group: from 1, in order of appearance */
static u32 ckpt_mnt_group_nr(int *groups, u32 *nr, int id)
{
	u32 i;

	if (!id)
		return 0;
	for (i = 0; i < *nr; i++)
		if (groups[i] == id)
			return i + 1;
	groups[(*nr)++] = id;
	return *nr;
}

/* The mount point of @s on its parent, and its root in its source or filesystem */
static int ckpt_mnt_paths(struct ckpt_mnt_walk *w, struct ckpt_mnt_save *s,
			  struct ckpt_mnt_bufs *b, char **mp, char **root)
{
	struct path path, from;

	*mp = "/";
	if (s->id > 1) {
		path.mnt = &s->parent->mnt;
		path.dentry = s->mountpoint;
		from.mnt = path.mnt;
		from.dentry = path.mnt->mnt_root;
		*mp = __d_path(&path, &from, b->mp, CKPT_PATH_MAX);
	}
	if (s->kind == CKPT_MOUNT_BIND) {
		path.mnt = &w->m[s->source].mnt->mnt;
		path.dentry = s->mnt->mnt.mnt_root;
		from.mnt = path.mnt;
		from.dentry = path.mnt->mnt_root;
		*root = __d_path(&path, &from, b->root, CKPT_PATH_MAX);
	} else {
		*root = dentry_path_raw(s->mnt->mnt.mnt_root, b->root, CKPT_PATH_MAX);
	}
	if (IS_ERR_OR_NULL(*mp) || IS_ERR_OR_NULL(*root))
		return -ENAMETOOLONG;
	return 0;
}

static int ckpt_mnt_write(struct ckpt_ctx *ctx, struct ckpt_mnt_walk *w,
			  struct ckpt_mnt_save *s, struct ckpt_mnt_bufs *b,
			  const char *where, int *groups, u32 *nr_groups)
{
	const char *src = s->mnt->mnt_devname ?: "none";
	struct super_block *sb = s->mnt->mnt.mnt_sb;
	const struct ckpt_mnt_fs *fs = ckpt_mnt_fs_find(sb->s_type->name);
	struct ckpt_mount rec = {};
	u32 lens[4], off = 0, i;
	char *mp, *root, *var;
	const char *str[4];
	int ret;

	b->opts[0] = 0;
	if (ckpt_mnt_paths(w, s, b, &mp, &root) ||
	    (s->kind == CKPT_MOUNT_NEW && fs->options && ckpt_mnt_options(ctx, s->mnt, b->opts)))
		return ckpt_err(ctx, -ENAMETOOLONG,
				"the mount at %s: a path or its options are too long, or an id is not the tasks'",
				where);
	str[0] = mp;
	str[1] = root;
	str[2] = src;
	str[3] = b->opts;
	for (i = 0; i < 4; i++)
		lens[i] = strlen(str[i]) + 1;
	rec.id = cpu_to_le32(s->id);
	rec.parent = cpu_to_le32(s->id > 1 ? w->m[s->pidx].id : 0);
	rec.source = cpu_to_le32(s->kind == CKPT_MOUNT_BIND ? w->m[s->source].id : 0);
	rec.flags = cpu_to_le32(ckpt_mnt_flags(s->mnt));
	rec.kind = cpu_to_le16(s->kind);
	rec.propagation = cpu_to_le16((s->group ? CKPT_MNT_SHARED : 0) |
				      (s->master ? CKPT_MNT_SLAVE : 0) |
				      (s->unbindable ? CKPT_MNT_UNBINDABLE : 0));
	rec.peer_group = cpu_to_le32(ckpt_mnt_group_nr(groups, nr_groups, s->group));
	rec.master = cpu_to_le32(s->master_out ? 0 :
				 ckpt_mnt_group_nr(groups, nr_groups, s->master));
	rec.mountpoint_len = cpu_to_le16(lens[0]);
	rec.root_len = cpu_to_le16(lens[1]);
	rec.source_len = cpu_to_le16(min_t(u32, lens[2], CKPT_PATH_MAX));
	rec.options_len = cpu_to_le16(lens[3]);
	lens[2] = le16_to_cpu(rec.source_len);
	strscpy_pad(rec.fstype, sb->s_type->name, sizeof(rec.fstype));
	var = kmalloc(lens[0] + lens[1] + lens[2] + lens[3], GFP_KERNEL);
	if (!var)
		return -ENOMEM;
	for (i = 0; i < 4; i++) {
		strscpy(var + off, str[i], lens[i]);
		off += lens[i];
	}
	ret = ckpt_write_rec_var(ctx, CKPT_REC_MOUNT, &rec, sizeof(rec), var, off);
	kfree(var);
	return ret;
}

/* Write the MOUNT records of the mounts @order lists */
static int ckpt_mnt_write_all(struct ckpt_ctx *ctx, struct ckpt_mnt_walk *w,
			      const u32 *order, u32 nr)
{
	struct ckpt_mnt_bufs *b;
	int *groups, ret = 0;
	u32 nr_groups = 0, i;

	b = kmalloc(sizeof(*b), GFP_KERNEL);
	groups = kcalloc(2 * nr, sizeof(*groups), GFP_KERNEL);
	for (i = 0; b && groups && !ret && i < nr; i++) {
		struct ckpt_mnt_save *s = &w->m[order[i]];
		struct path path = { .mnt = &s->mnt->mnt, .dentry = s->mnt->mnt.mnt_root };
		char *where = __d_path(&path, &ctx->image_root, b->where, CKPT_PATH_MAX);

		if (IS_ERR_OR_NULL(where))
			where = "?";
		ret = ckpt_mnt_kind(ctx, w, s, where) ?:
		      ckpt_mnt_check_propagation(ctx, w, s, where) ?:
		      ckpt_mnt_write(ctx, w, s, b, where, groups, &nr_groups);
	}
	if (!b || !groups)
		ret = -ENOMEM;
	kfree(groups);
	kfree(b);
	return ret;
}

/* The new mounts whose contents ckpt_mntns_contents() writes, in mount order */
static int ckpt_mnt_keep_contents(struct ckpt_ctx *ctx, struct ckpt_mnt_walk *w,
				  const u32 *order, u32 nr)
{
	struct ckpt_mntns_load *l;
	u32 i, n = 0;

	l = kzalloc(struct_size(l, m, nr), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->nr = nr;
	ctx->ns_data[CKPT_NS_mnt] = l;
	for (i = 0; i < nr; i++) {
		struct ckpt_mnt_save *s = &w->m[order[i]];
		const struct ckpt_mnt_fs *fs = ckpt_mnt_fs_find(s->mnt->mnt.mnt_sb->s_type->name);

		if (s->kind != CKPT_MOUNT_NEW || !fs->save)
			continue;
		l->m[n].id = s->id;
		l->m[n].path.mnt = mntget(&s->mnt->mnt);
		l->m[n].path.dentry = dget(s->mnt->mnt.mnt_root);
		n++;
	}
	return 0;
}

/* After every namespace's records: the contents of the new mounts */
static int ckpt_mntns_contents(struct ckpt_ctx *ctx)
{
	struct ckpt_mntns_load *l = ctx->ns_data[CKPT_NS_mnt];
	u32 i;
	int ret = 0;

	for (i = 0; !ret && l && i < l->nr && l->m[i].path.mnt; i++) {
		struct vfsmount *mnt = l->m[i].path.mnt;

		ret = ckpt_mnt_fs_find(mnt->mnt_sb->s_type->name)->save(ctx, l->m[i].id, mnt);
	}
	return ret;
}

static int ckpt_mntns_checkpoint(struct ckpt_ctx *ctx)
{
	struct mnt_namespace *ns = ctx->nsproxy->mnt_ns;
	struct ckpt_mnt_walk w = { .ns = ns };
	struct ckpt_mntns rec = {};
	struct path *root = &ctx->image_root;
	u32 *order = NULL, nr;
	int ret;

	if (ns == current->nsproxy->mnt_ns)
		return 0;
	if (!ckpt_tasks_own_ns(ctx, ns->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' mount namespace belongs to another user namespace (not supported)");
	/* ckpt_write_namespaces() checked that they share a root */
	if (!root->mnt || root->dentry != root->mnt->mnt_root)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' root directory is not the root of a mount (not supported)");
	w.m = kvcalloc(CKPT_MNTNS_MAX_MOUNTS, sizeof(*w.m), GFP_KERNEL);
	order = kvcalloc(CKPT_MNTNS_MAX_MOUNTS, sizeof(*order), GFP_KERNEL);
	ret = w.m && order ? mnt_ns_for_each_mount(ns, ckpt_mnt_collect, &w) : -ENOMEM;
	if (ret == -E2BIG)
		ret = ckpt_err(ctx, ret, "the tasks' mount namespace has more than %u mounts",
			       CKPT_MNTNS_MAX_MOUNTS);
	if (ret)
		goto out;
	nr = ckpt_mnt_order(&w, real_mount(root->mnt), order);
	ret = nr ? 0 : ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' root directory is not in their mount namespace");
	if (ret)
		goto out;
	rec.nr_mounts = cpu_to_le32(nr);
	ret = ckpt_write_rec(ctx, CKPT_REC_MNTNS, &rec, sizeof(rec)) ?:
	      ckpt_mnt_write_all(ctx, &w, order, nr) ?:
	      ckpt_mnt_keep_contents(ctx, &w, order, nr);
out:
	kvfree(order);
	if (w.m)
		ckpt_mnt_walk_free(&w);
	return ret ?: 1;
}

/* ---- paths of files opened in another mount namespace ---- */

struct ckpt_mnt_alias {
	const struct path *path;	/* the file's */
	const struct path *root;	/* the tasks' */
	char *buf;
	char *name;
};

/* Under namespace_sem: a mount of the same filesystem that shows @a->path */
static int ckpt_mnt_alias_one(struct mount *mnt, void *arg)
{
	struct ckpt_mnt_alias *a = arg;
	struct path p = { .mnt = &mnt->mnt, .dentry = a->path->dentry };
	char *name;

	if (mnt->mnt.mnt_sb != p.dentry->d_sb || !is_subdir(p.dentry, mnt->mnt.mnt_root))
		return 0;
	name = __d_path(&p, a->root, a->buf, CKPT_PATH_MAX);
	if (IS_ERR_OR_NULL(name))
		return 0;
	a->name = name;
	return 1;
}

/**
 * ckpt_mnt_path_name() - the name of a path on a mount of another namespace
 * @ctx: checkpoint context, once the namespaces are written
 * @path: a path on a mount outside the tasks' mount namespace (a file the
 *	tasks opened before they unshared it, their executable...)
 * @buf: a CKPT_PATH_MAX buffer
 *
 * The same directory or file may show through a mount of the tasks' own
 * namespace, of the same filesystem: its name there, which restart opens.
 *
 * Return: a pointer into @buf, or ERR_PTR(-EXDEV).
 */
char *ckpt_mnt_path_name(struct ckpt_ctx *ctx, const struct path *path, char *buf)
{
	struct mnt_namespace *ns = ctx->nsproxy ? ctx->nsproxy->mnt_ns : NULL;
	struct ckpt_mnt_alias a = { .path = path, .root = &ctx->image_root, .buf = buf };

	if (!ns || ns == current->nsproxy->mnt_ns || !ctx->image_root.mnt ||
	    real_mount(path->mnt)->mnt_ns == ns)
		return ERR_PTR(-EXDEV);
	mnt_ns_for_each_mount(ns, ckpt_mnt_alias_one, &a);
	return a.name ?: ERR_PTR(-EXDEV);
}

/* ---- restart ---- */

/* An absolute path without ".." */
static bool ckpt_mnt_path_ok(const char *p)
{
	const char *c;

	if (*p != '/')
		return false;
	for (c = p; (c = strstr(c, "/..")) != NULL; c += 3)
		if (c[3] == '/' || !c[3])
			return false;
	return true;
}

/* The strings of a MOUNT record of @len bytes */
static bool ckpt_mnt_strings(struct ckpt_mnt_rest *m, u32 len)
{
	const struct ckpt_mount *r = m->rec;
	u32 lens[4] = { le16_to_cpu(r->mountpoint_len), le16_to_cpu(r->root_len),
			le16_to_cpu(r->source_len), le16_to_cpu(r->options_len) };
	const char *p = (const char *)(r + 1);
	const char **str[4] = { &m->mp, &m->root, &m->source, &m->options };
	u32 i, sum = 0;

	for (i = 0; i < 4; i++) {
		if (!lens[i] || lens[i] > CKPT_PATH_MAX)
			return false;
		sum += lens[i];
	}
	if (len != ALIGN(sizeof(*r) + sum, 8) || lens[3] > CKPT_MOUNT_OPTIONS_MAX)
		return false;
	for (i = 0; i < 4; i++) {
		if (strnlen(p, lens[i]) != lens[i] - 1)
			return false;
		*str[i] = p;
		p += lens[i];
	}
	return ckpt_mnt_path_ok(m->mp) && ckpt_mnt_path_ok(m->root) &&
	       memchr(r->fstype, 0, sizeof(r->fstype));
}

/* Does MOUNT record @i agree with the ones before it? */
static const char *ckpt_mnt_rec_bad(struct ckpt_mntns_load *l, u32 i)
{
	const struct ckpt_mount *r = l->m[i].rec;
	u32 parent = le32_to_cpu(r->parent), src = le32_to_cpu(r->source);
	u32 peer = le32_to_cpu(r->peer_group), master = le32_to_cpu(r->master);
	u16 kind = le16_to_cpu(r->kind), prop = le16_to_cpu(r->propagation);
	const struct ckpt_mount *s = kind == CKPT_MOUNT_BIND && src && src <= i ?
				     l->m[src - 1].rec : NULL;
	bool master_seen = false;
	u32 j;

	if (le32_to_cpu(r->id) != i + 1 || (i ? !parent || parent > i : parent) || r->__pad)
		return "its id or its parent's is out of order";
	if (!i && (kind != CKPT_MOUNT_EXTERNAL || strcmp(l->m[i].mp, "/")))
		return "the root mount is not external at \"/\"";
	if (kind == CKPT_MOUNT_BIND ? !s : !!s || kind < CKPT_MOUNT_EXTERNAL ||
	    kind > CKPT_MOUNT_BIND || (kind != CKPT_MOUNT_BIND && src))
		return "its kind or source is invalid";
	if (kind == CKPT_MOUNT_NEW && !ckpt_mnt_fs_find(r->fstype))
		return "a new mount of a filesystem restart does not make";
	if ((le32_to_cpu(r->flags) & ~0x1ff) || (prop & ~7) ||
	    !(prop & CKPT_MNT_SHARED) != !peer || (!(prop & CKPT_MNT_SLAVE) && master) ||
	    ((prop & CKPT_MNT_SHARED) && (prop & CKPT_MNT_UNBINDABLE)) ||
	    peer > l->nr || master > l->nr)
		return "its flags or propagation are invalid";
	for (j = 0; j < i; j++) {
		u32 p = le32_to_cpu(l->m[j].rec->peer_group);

		l->m[i].joins |= peer && p == peer;
		master_seen |= master && p == master;
	}
	if (l->m[i].joins && (!s || le32_to_cpu(s->peer_group) != peer))
		return "it joins a peer group it is not bound from";
	if (master && !l->m[i].joins &&
	    (!master_seen || !s || le32_to_cpu(s->peer_group) != master))
		return "it is a slave of a peer group it is not bound from";
	return NULL;
}

/* Its absolute mount point, from its parent's */
static int ckpt_mnt_where(struct ckpt_mntns_load *l, u32 i)
{
	struct ckpt_mnt_rest *m = &l->m[i];
	const char *up = i ? l->m[le32_to_cpu(m->rec->parent) - 1].where : "";

	if (!strcmp(m->mp, "/"))
		m->where = kstrdup(*up ? up : "/", GFP_KERNEL);
	else
		m->where = kasprintf(GFP_KERNEL, "%s%s", strcmp(up, "/") ? up : "", m->mp);
	if (!m->where)
		return -ENOMEM;
	return strlen(m->where) < CKPT_PATH_MAX ? 0 : -ENAMETOOLONG;
}

/*
 * In the caller's namespace: a detached copy of what the caller gave for
 * external mount @m, as open_tree(OPEN_TREE_CLONE) makes it, or of its
 * root directory for the root mount.
 */
static int ckpt_mnt_clone_external(struct ckpt_ctx *ctx, struct ckpt_mnt_rest *m, bool root)
{
	struct file *f = NULL;
	struct path path;
	int ret;

	if (strlen(m->where) < sizeof_field(struct ckpt_external, key))
		f = ckpt_external_file(ctx, CKPT_EXT_MOUNT, m->where);
	if (f) {
		path = f->f_path;
		path_get(&path);
	} else if (root) {
		get_fs_root(current->fs, &path);
	} else {
		return ckpt_err(ctx, -ENOENT,
				"the mount at %s (%s, source %s) is outside the tasks: restart needs what to bind there (CKPT_EXT_MOUNT, ckpt restart --ext-mount %s=PATH)",
				m->where, m->rec->fstype, m->source, m->where);
	}
	m->ext = open_detached_copy(&path, false);
	path_put(&path);
	if (!IS_ERR(m->ext))
		return 0;
	ret = PTR_ERR(m->ext);
	m->ext = NULL;
	return ckpt_err(ctx, ret, "cannot clone what the caller gave to bind at %s", m->where);
}

static int ckpt_mnt_read_one(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l, u32 i)
{
	struct ckpt_mnt_rest *m = &l->m[i];
	const char *bad = NULL;
	u32 len;
	int ret;

	m->rec = ckpt_read_rec_var(ctx, CKPT_REC_MOUNT, sizeof(*m->rec), &len);
	if (IS_ERR(m->rec)) {
		ret = PTR_ERR(m->rec);
		m->rec = NULL;
		return ret;
	}
	if (!ckpt_mnt_strings(m, len))
		bad = "its strings are malformed";
	else
		bad = ckpt_mnt_rec_bad(l, i);
	if (bad)
		return ckpt_err(ctx, -EINVAL, "MOUNT record %u: %s", i + 1, bad);
	ret = ckpt_mnt_where(l, i);
	if (ret)
		return ckpt_err(ctx, ret, "MOUNT record %u: its mount point is too long", i + 1);
	if (le16_to_cpu(m->rec->kind) != CKPT_MOUNT_EXTERNAL)
		return 0;
	return ckpt_mnt_clone_external(ctx, m, !i);
}

static int ckpt_mntns_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_mntns_load *l;
	struct ckpt_mntns rec;
	u32 nr, i;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_MNTNS, &rec, sizeof(rec));
	if (ret)
		return ret;
	nr = le32_to_cpu(rec.nr_mounts);
	if (!nr || nr > CKPT_MNTNS_MAX_MOUNTS || rec.__pad)
		return ckpt_err(ctx, -EINVAL, "MNTNS record is malformed");
	l = kzalloc(struct_size(l, m, nr), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->nr = nr;
	l->caller_ns = current->nsproxy->mnt_ns;
	*data = l;
	if (!ckpt_namespaces_root_cred(ctx) && !ns_capable(current_user_ns(), CAP_SYS_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"creating the tasks' mount namespace needs CAP_SYS_ADMIN");
	/* The clones of the external mounts, as open_tree(2) checks them */
	if (!may_mount())
		return ckpt_err(ctx, -EPERM,
				"binding the tasks' external mounts needs CAP_SYS_ADMIN over the caller's mount namespace");
	for (i = 0, ret = 0; !ret && i < nr; i++)
		ret = ckpt_mnt_read_one(ctx, l, i);
	return ret;
}

/* The mount(2) flags of the image's CKPT_MNT_* */
static unsigned long ckpt_mnt_ms(u32 f)
{
	unsigned long ms = 0;

	ms |= f & CKPT_MNT_RDONLY ? MS_RDONLY : 0;
	ms |= f & CKPT_MNT_NOSUID ? MS_NOSUID : 0;
	ms |= f & CKPT_MNT_NODEV ? MS_NODEV : 0;
	ms |= f & CKPT_MNT_NOEXEC ? MS_NOEXEC : 0;
	ms |= f & CKPT_MNT_NOATIME ? MS_NOATIME : 0;
	ms |= f & CKPT_MNT_NODIRATIME ? MS_NODIRATIME : 0;
	ms |= f & CKPT_MNT_RELATIME ? MS_RELATIME : 0;
	ms |= f & CKPT_MNT_NOSYMFOLLOW ? MS_NOSYMFOLLOW : 0;
	if (!(f & (CKPT_MNT_NOATIME | CKPT_MNT_RELATIME)))
		ms |= MS_STRICTATIME;
	return ms;
}

/*
 * An external mount moved to a namespace of another user namespace keeps
 * the restrictive flags of the caller's mount, locked, as copy_mnt_ns()
 * locks them; the saved flags can only add to them.
 */
static unsigned long ckpt_mnt_lock_external(struct ckpt_mntns_load *l, struct vfsmount *mnt,
					    unsigned long ms)
{
	int f;

	write_seqlock(&mount_lock);
	f = mnt->mnt_flags;
	if (current->nsproxy->mnt_ns->user_ns != l->caller_ns->user_ns) {
		f |= f & MNT_READONLY ? MNT_LOCK_READONLY : 0;
		f |= f & MNT_NODEV ? MNT_LOCK_NODEV : 0;
		f |= f & MNT_NOSUID ? MNT_LOCK_NOSUID : 0;
		f |= f & MNT_NOEXEC ? MNT_LOCK_NOEXEC : 0;
		f |= MNT_LOCK_ATIME;
		mnt->mnt_flags = f;
	}
	write_sequnlock(&mount_lock);
	ms |= f & MNT_READONLY ? MS_RDONLY : 0;
	ms |= f & MNT_NODEV ? MS_NODEV : 0;
	ms |= f & MNT_NOSUID ? MS_NOSUID : 0;
	ms |= f & MNT_NOEXEC ? MS_NOEXEC : 0;
	if (f & MNT_LOCK_ATIME) {
		ms &= ~(MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
		ms |= f & MNT_NOATIME ? MS_NOATIME : 0;
		ms |= f & MNT_NODIRATIME ? MS_NODIRATIME : 0;
		ms |= f & MNT_RELATIME ? MS_RELATIME : 0;
		ms |= f & (MNT_NOATIME | MNT_RELATIME) ? 0 : MS_STRICTATIME;
	}
	return ms;
}

/* Its flags (remount,bind) and propagation, once mounted */
static int ckpt_mnt_settle(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l,
			   struct ckpt_mnt_rest *m)
{
	u16 prop = le16_to_cpu(m->rec->propagation);
	unsigned long ms = ckpt_mnt_ms(le32_to_cpu(m->rec->flags));
	int ret;

	if (le16_to_cpu(m->rec->kind) == CKPT_MOUNT_EXTERNAL)
		ms = ckpt_mnt_lock_external(l, m->path.mnt, ms);
	ret = path_mount(NULL, &m->path, NULL, MS_REMOUNT | MS_BIND | ms, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "cannot set the flags of the mount at %s", m->where);
	/* A later peer was bound from an earlier one: it is in its group */
	if (!m->joins) {
		ret = path_mount(NULL, &m->path, NULL,
				 prop & CKPT_MNT_SLAVE ? MS_SLAVE : MS_PRIVATE, NULL);
		if (!ret && (prop & CKPT_MNT_SHARED))
			ret = path_mount(NULL, &m->path, NULL, MS_SHARED, NULL);
	}
	if (!ret && (prop & CKPT_MNT_UNBINDABLE))
		ret = path_mount(NULL, &m->path, NULL, MS_UNBINDABLE, NULL);
	if (ret)
		return ckpt_err(ctx, ret, "cannot set the propagation of the mount at %s",
				m->where);
	return 0;
}

/* @name under @from, from the root of its mount, not leaving it */
static int ckpt_mnt_lookup(const struct path *from, const char *name, struct path *res)
{
	if (!strcmp(name, "/")) {
		*res = *from;
		path_get(res);
		return 0;
	}
	return vfs_path_lookup(from->dentry, from->mnt, name + 1,
			       LOOKUP_NO_XDEV | LOOKUP_NO_SYMLINKS | LOOKUP_NO_MAGICLINKS, res);
}

/* A new mount of the record's filesystem at @mp */
static int ckpt_mnt_new(struct ckpt_mnt_rest *m, struct path *mp, bool rw)
{
	unsigned long ms = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char *data;
	int ret;

	if (!rw && (le32_to_cpu(m->rec->flags) & CKPT_MNT_SB_RDONLY))
		ms |= MS_RDONLY;
	data = (char *)get_zeroed_page(GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	strscpy(data, m->options, PAGE_SIZE);
	ret = path_mount(m->source, mp, m->rec->fstype, ms, data);
	free_page((unsigned long)data);
	if (ret)
		return ret;
	/* It is the top mount there */
	m->path = *mp;
	path_get(&m->path);
	while (follow_down_one(&m->path))
		;
	return 0;
}

/* A filled filesystem that was read-only becomes so (mount -o remount,ro) */
static int ckpt_mnt_seal(struct ckpt_ctx *ctx, struct ckpt_mnt_rest *m)
{
	unsigned long ms = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int ret;

	if (!(le32_to_cpu(m->rec->flags) & CKPT_MNT_SB_RDONLY))
		return 0;
	ret = path_mount(NULL, &m->path, NULL, ms, NULL);
	return ret ? ckpt_err(ctx, ret, "cannot make the %s at %s read-only", m->rec->fstype,
			      m->where) : 0;
}

/* Attach the detached tree of @f at @mp, as move_mount(2) does */
static int ckpt_mnt_attach(struct ckpt_mnt_rest *m, struct file *f, struct path *mp)
{
	int ret = do_move_mount(&f->f_path, mp, false);

	if (!ret) {
		m->path = f->f_path;
		path_get(&m->path);
	}
	return ret;
}

/*
 * What a bind mount shows: part of an earlier mount.  A pty slave of a
 * devpts (a console bound on /dev/console) does not exist yet: its pair is
 * opened now, for the PTY record to claim.
 */
static int ckpt_mnt_bind_source(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l,
				struct ckpt_mnt_rest *m, struct path *from)
{
	const struct path *src = &l->m[le32_to_cpu(m->rec->source) - 1].path;
	int ret = ckpt_mnt_lookup(src, m->root, from);

	if (ret != -ENOENT || src->mnt->mnt_sb->s_magic != DEVPTS_SUPER_MAGIC)
		return ret;
	return ckpt_pty_open_early(ctx, src, m->root) ?: ckpt_mnt_lookup(src, m->root, from);
}

static int ckpt_mnt_make(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l,
			 struct ckpt_mnt_rest *m)
{
	const struct path *parent = &l->m[le32_to_cpu(m->rec->parent) - 1].path;
	const struct ckpt_mnt_fs *fs;
	struct path mp, from;
	struct file *f;
	int ret;

	ret = ckpt_mnt_lookup(parent, m->mp, &mp);
	if (ret)
		return ckpt_err(ctx, ret, "no mount point for the mount at %s", m->where);
	switch (le16_to_cpu(m->rec->kind)) {
	case CKPT_MOUNT_NEW:
		fs = ckpt_mnt_fs_find(m->rec->fstype);
		ret = ckpt_mnt_new(m, &mp, fs->load);
		/* Filled before anything is mounted on it, then read-only if it was */
		if (!ret && fs->load) {
			path_put(&mp);
			return fs->load(ctx, le32_to_cpu(m->rec->id), &m->path) ?:
			       ckpt_mnt_seal(ctx, m) ?: ckpt_mnt_settle(ctx, l, m);
		}
		break;
	case CKPT_MOUNT_BIND:
		ret = ckpt_mnt_bind_source(ctx, l, m, &from);
		if (ret)
			break;
		f = open_detached_copy(&from, false);
		path_put(&from);
		ret = PTR_ERR_OR_ZERO(f);
		if (!ret) {
			ret = ckpt_mnt_attach(m, f, &mp);
			fput(f);
		}
		break;
	default:
		ret = ckpt_mnt_attach(m, m->ext, &mp);
		break;
	}
	path_put(&mp);
	if (ret)
		return ckpt_err(ctx, ret, "cannot mount the %s at %s", m->rec->fstype, m->where);
	return ckpt_mnt_settle(ctx, l, m);
}

/*
 * Build the tree on the root mount, attached over the root directory
 * while the caller's tree is still in the namespace: a new proc or sysfs
 * in a user namespace needs one fully visible (mount_too_revealing()),
 * as runc mounts them before it pivots.
 */
static int ckpt_mnt_build(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l, struct path *old)
{
	int ret;
	u32 i;

	/* pivot_root(2) moves the root of a mount, not a chroot's directory */
	if (old->dentry != old->mnt->mnt_root)
		return ckpt_err(ctx, -EINVAL,
				"the caller's root directory is not the root of a mount: give the tasks' root with CKPT_EXT_MOUNT \"/\" (ckpt restart --ext-mount /=DIR) rather than chroot(2) into it");
	/* Nothing done here reaches the caller's namespace */
	ret = path_mount(NULL, old, NULL, MS_REC | MS_PRIVATE, NULL) ?:
	      ckpt_mnt_attach(&l->m[0], l->m[0].ext, old);
	if (ret)
		return ckpt_err(ctx, ret, "cannot attach the tasks' root mount");
	for (i = 1; !ret && i < l->nr; i++)
		ret = ckpt_mnt_make(ctx, l, &l->m[i]);
	return ret;
}

/*
 * Pivot into the root mount, as "pivot_root . ." does, detach the old
 * root with the caller's tree, then give the root its flags and
 * propagation (pivot_root() wants it private).
 */
static int ckpt_mnt_pivot(struct ckpt_ctx *ctx, struct ckpt_mntns_load *l, struct path *old)
{
	struct ckpt_mnt_rest *m = &l->m[0];
	int ret;

	ret = path_pivot_root(&m->path, &m->path);
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot pivot into the tasks' root mount (the caller's root must be a mount with a parent, as for pivot_root(2))");
	set_fs_pwd(current->fs, &m->path);
	ret = path_umount(old, MNT_DETACH);
	old->mnt = NULL;
	if (ret)
		return ckpt_err(ctx, ret,
				"cannot detach the caller's tree from the tasks' mount namespace");
	return ckpt_mnt_settle(ctx, l, m);
}

static int ckpt_mntns_enter(struct ckpt_ctx *ctx, void *data)
{
	struct ckpt_mntns_load *l = data;
	const struct cred *saved = NULL;
	struct cred *cred;
	struct path old;
	int ret;

	if (current->nsproxy->mnt_ns == l->caller_ns)
		return ckpt_err(ctx, -EINVAL, "no new mount namespace");
	cred = ckpt_root_fsids_cred();
	if (cred)
		saved = override_creds(cred);
	get_fs_root(current->fs, &old);
	ret = ckpt_mnt_build(ctx, l, &old) ?: ckpt_mnt_pivot(ctx, l, &old);
	/* path_umount() dropped it */
	if (old.mnt)
		path_put(&old);
	if (cred) {
		revert_creds(saved);
		put_cred(cred);
	}
	return ret;
}

const struct ckpt_ns_ops ckpt_ns_mnt_ops = {
	.name = "mount",
	.rec = CKPT_REC_MNTNS,
	.clone_flag = CLONE_NEWNS,
	.checkpoint = ckpt_mntns_checkpoint,
	.restart = ckpt_mntns_restart,
	.enter = ckpt_mntns_enter,
	.contents = ckpt_mntns_contents,
	.free = ckpt_mntns_load_free,
};
