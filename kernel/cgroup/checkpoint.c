// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint/restart of the tasks' cgroup namespace and of the cgroups
 * below its root: the namespace table's "cgroup" entry.
 *
 * Checkpoint saves the cgroup (v2) tree below the root of the tasks'
 * namespace: each cgroup by name, the processes in it, and the files of
 * ckpt_cgroup_files[] (its limits and cgroup.subtree_control) as reading
 * them shows.  The files are read the way the caller would read them,
 * through a cgroup2 mount of the caller's cgroup namespace.  Threaded
 * cgroups are refused by name; a frozen cgroup is saved as it is (its
 * tasks stop in our trap from within the cgroup freezer's).
 *
 * Restart puts the root task in the cgroup the caller gives
 * (CKPT_EXT_CGROUP "/", as CRIU's --cgroup-root), or leaves it in the
 * caller's, and creates the new namespace there.  The root then creates
 * the cgroups below with mkdir(2), moves itself into its own cgroup and
 * writes the files that differ; every other process moves itself into its
 * cgroup before it reads its records, so that what it allocates is
 * charged there.  All of it goes through the VFS with the permission
 * checks a process doing it by hand goes through (cgroup.procs, mkdir,
 * the files' modes and delegation).  Once every task is in, a cgroup that
 * was frozen is frozen again, unless the caller asks for RESTART_THAW.
 */

#include <linux/cgroup.h>
#include <linux/checkpoint.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/nsproxy.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cgroup-internal.h"

#define CKPT_CGF_CONTROLLERS	BIT(0)	/* "a b" is written "+a +b -c" */
#define CKPT_CGF_LINES		BIT(1)	/* one write per line */
#define CKPT_CGF_CHECK		BIT(2)	/* not saved: must read @must */
#define CKPT_CGF_LAST		BIT(3)	/* written once every task is in */

/**
 * struct ckpt_cgroup_file - a file of a cgroup that checkpoint keeps
 * @name: its name in the cgroup's directory
 * @flags: CKPT_CGF_*
 * @must: CKPT_CGF_CHECK: the only value checkpoint accepts
 *
 * A file that a cgroup does not have (its controller is off) is left
 * out.  The order is the order restart writes them in: the controllers
 * of the children first.
 */
struct ckpt_cgroup_file {
	const char *name;
	unsigned int flags;
	const char *must;
};

static const struct ckpt_cgroup_file ckpt_cgroup_files[] = {
	{ "cgroup.type", CKPT_CGF_CHECK, "domain" },
	{ "cgroup.subtree_control", CKPT_CGF_CONTROLLERS },
	{ "cgroup.max.descendants" },
	{ "cgroup.max.depth" },
	{ "cpu.weight" },
	{ "cpu.max" },
	{ "cpu.idle" },
	{ "cpuset.cpus" },
	{ "cpuset.mems" },
	{ "io.weight", CKPT_CGF_LINES },
	{ "io.max", CKPT_CGF_LINES },
	{ "memory.min" },
	{ "memory.low" },
	{ "memory.high" },
	{ "memory.max" },
	{ "memory.swap.high" },
	{ "memory.swap.max" },
	{ "memory.oom.group" },
	{ "pids.max" },
	/* Frozen again, unless RESTART_THAW, when the tasks are all in */
	{ "cgroup.freeze", CKPT_CGF_LAST },
};

#define CKPT_CGROUP_VALUE_MAX	4096

/**
 * struct ckpt_cg - one cgroup of the tasks' namespace
 * @cgrp: checkpoint: the cgroup (a reference is held)
 * @path: its directory, on a cgroup2 mount of the caller (checkpoint) or
 *	of the new namespace (restart, once created)
 * @parent: index of its parent; 0 for the root (index 0)
 * @rec: restart: its CGROUP record
 */
struct ckpt_cg {
	struct cgroup *cgrp;
	struct path path;
	u32 parent;
	struct ckpt_cgroup *rec;
};

struct ckpt_cgroups {
	u32 nr;
	struct ckpt_cg cg[];
};

static void ckpt_cgroups_free(const void *data)
{
	struct ckpt_cgroups *cgs = (struct ckpt_cgroups *)data;
	u32 i;

	for (i = 0; i < cgs->nr; i++) {
		if (cgs->cg[i].cgrp)
			cgroup_put(cgs->cg[i].cgrp);
		path_put(&cgs->cg[i].path);
		kvfree(cgs->cg[i].rec);
	}
	kvfree(cgs);
}

static struct ckpt_cgroups *ckpt_cgroups_alloc(u32 nr)
{
	struct ckpt_cgroups *cgs = kvzalloc(struct_size(cgs, cg, nr), GFP_KERNEL);

	if (cgs)
		cgs->nr = nr;
	return cgs;
}

/* A cgroup2 mount of the current task's cgroup namespace, attached nowhere */
static struct vfsmount *ckpt_cgroup_mount(void)
{
	struct file_system_type *type = get_fs_type("cgroup2");
	struct vfsmount *mnt;

	if (!type)
		return ERR_PTR(-ENODEV);
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, "cgroup2", NULL);
	put_filesystem(type);
	return mnt;
}

/* "/a/b" of cgroup @i, for the log */
static const char *ckpt_cg_name(struct ckpt_cgroups *cgs, u32 i, char *buf, size_t size)
{
	u32 chain[16], n = 0;
	size_t len = 0;

	for (; i && n < ARRAY_SIZE(chain); i = cgs->cg[i].parent)
		chain[n++] = i;
	buf[0] = '\0';
	if (!n)
		return "/";
	while (n-- && len < size)
		len += scnprintf(buf + len, size - len, "/%pd", cgs->cg[chain[n]].path.dentry);
	return buf;
}

/*
 * Read a cgroup file, as read(2) would, without the last newline.
 * Return: its length, or a negative error (-ENOENT: no such file).
 */
static int ckpt_cgroup_read(const struct path *dir, const char *name, char *buf)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = file_open_root(dir, name, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, CKPT_CGROUP_VALUE_MAX, &pos);
	fput(f);
	if (n < 0)
		return n;
	if (n == CKPT_CGROUP_VALUE_MAX)
		return -E2BIG;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return n;
}

static int ckpt_cgroup_write(const struct path *dir, const char *name, const char *val,
			     size_t len)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = file_open_root(dir, name, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, len, &pos);
	fput(f);
	return n < 0 ? n : 0;
}

/* ---- checkpoint ---- */

static u32 ckpt_cg_find(struct ckpt_cgroups *cgs, u32 nr, struct cgroup *cgrp)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (cgs->cg[i].cgrp == cgrp)
			return i;
	return U32_MAX;
}

/* The cgroups below @base, @base first and each after its parent */
static struct ckpt_cgroups *ckpt_cgroups_collect(struct ckpt_ctx *ctx, struct cgroup *base)
{
	struct cgroup_subsys_state *pos;
	struct ckpt_cgroups *cgs;
	u32 n = 0;

	cgs = ckpt_cgroups_alloc(CKPT_CGROUP_MAX + 1);
	if (!cgs)
		return ERR_PTR(-ENOMEM);
	rcu_read_lock();
	css_for_each_descendant_pre(pos, &base->self) {
		if (n > CKPT_CGROUP_MAX)
			break;
		/* One being removed has no task and no child left */
		if (!cgroup_tryget(pos->cgroup))
			continue;
		cgs->cg[n].cgrp = pos->cgroup;
		cgs->cg[n].parent = n ? ckpt_cg_find(cgs, n, cgroup_parent(pos->cgroup)) : 0;
		n++;
	}
	rcu_read_unlock();
	cgs->nr = n;
	if (n > CKPT_CGROUP_MAX) {
		ckpt_cgroups_free(cgs);
		ckpt_err(ctx, -EOPNOTSUPP, "more than %u cgroups in the tasks' cgroup namespace",
			 CKPT_CGROUP_MAX);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return cgs;
}

/* Their directories, on a cgroup2 mount of the caller's namespace */
static int ckpt_cgroups_open(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs)
{
	struct vfsmount *mnt;
	char *buf;
	u32 i;
	int ret;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mnt = ckpt_cgroup_mount();
	ret = PTR_ERR_OR_ZERO(mnt);
	if (!ret)
		ret = cgroup_path_ns(cgs->cg[0].cgrp, buf, PATH_MAX, current->nsproxy->cgroup_ns);
	if (ret >= 0)
		ret = vfs_path_lookup(mnt->mnt_root, mnt, buf, LOOKUP_DIRECTORY, &cgs->cg[0].path);
	for (i = 1; !ret && i < cgs->nr; i++) {
		struct ckpt_cg *cg = &cgs->cg[i];

		if (cg->parent == U32_MAX) {
			ret = -ENOENT;
			break;
		}
		cgroup_name(cg->cgrp, buf, NAME_MAX + 1);
		ret = vfs_path_lookup(cgs->cg[cg->parent].path.dentry,
				      cgs->cg[cg->parent].path.mnt, buf, LOOKUP_DIRECTORY,
				      &cg->path);
	}
	if (!IS_ERR(mnt))
		mntput(mnt);
	kfree(buf);
	if (ret)
		return ckpt_err(ctx, ret, "cannot open the tasks' cgroups (removed or renamed?)");
	return 0;
}

/* Whether every thread of the process @t is in its cgroup */
static bool ckpt_cgroup_one(struct task_struct *t, struct cgroup **cgrp)
{
	struct task_struct *th;
	bool same = true;

	rcu_read_lock();
	*cgrp = task_dfl_cgroup(t);
	for_each_thread(t, th)
		if (task_dfl_cgroup(th) != *cgrp)
			same = false;
	rcu_read_unlock();
	return same;
}

struct ckpt_cgroup_procs {
	struct ckpt_cgroups *cgs;
	u32 i;		/* the cgroup whose processes are wanted, or U32_MAX */
	__le32 *pids;
	u32 nr;
};

static int ckpt_cgroup_proc(struct ckpt_ctx *ctx, struct task_struct *t, pid_t pid,
			    void *arg)
{
	struct ckpt_cgroup_procs *p = arg;
	struct cgroup *cgrp;
	u32 i;

	if (!thread_group_leader(t))
		return 0;
	if (!ckpt_cgroup_one(t, &cgrp))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the threads of process %d are in different cgroups (threaded cgroups are not supported)",
				pid);
	i = ckpt_cg_find(p->cgs, p->cgs->nr, cgrp);
	if (i == U32_MAX)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"process %d is in a cgroup outside its cgroup namespace", pid);
	if (i == p->i)
		p->pids[p->nr++] = cpu_to_le32(pid);
	return 0;
}

/* Append "FILE\0VALUE\0" for each file of the table cgroup @i has */
static int ckpt_cgroup_files_save(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, u32 i,
				  char *out, u32 *len, char *val)
{
	const struct ckpt_cgroup_file *cf;
	char name[64];
	int n;

	*len = 0;
	for (cf = ckpt_cgroup_files; cf < ckpt_cgroup_files + ARRAY_SIZE(ckpt_cgroup_files); cf++) {
		n = ckpt_cgroup_read(&cgs->cg[i].path, cf->name, val);
		if (n == -ENOENT)
			continue;
		if (n < 0)
			return ckpt_err(ctx, n, "cgroup %s: cannot read %s",
					ckpt_cg_name(cgs, i, name, sizeof(name)), cf->name);
		if (cf->flags & CKPT_CGF_CHECK) {
			if (strcmp(val, cf->must))
				return ckpt_err(ctx, -EOPNOTSUPP,
						"cgroup %s: %s is \"%s\" (only \"%s\" is supported)",
						ckpt_cg_name(cgs, i, name, sizeof(name)),
						cf->name, val, cf->must);
			continue;
		}
		if (*len + strlen(cf->name) + n + 2 > CKPT_CGROUP_FILES_MAX)
			return ckpt_err(ctx, -E2BIG, "cgroup %s: its files are too long",
					ckpt_cg_name(cgs, i, name, sizeof(name)));
		*len += sprintf(out + *len, "%s", cf->name) + 1;
		memcpy(out + *len, val, n + 1);
		*len += n + 1;
	}
	return 0;
}

struct ckpt_cgroup_bufs {
	__le32 *pids;
	char *files;
	char *val;
	char name[NAME_MAX + 1];
};

static int ckpt_cgroup_save(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, u32 i,
			    struct ckpt_cgroup_bufs *b)
{
	struct ckpt_cgroup_procs p = { .cgs = cgs, .i = i, .pids = b->pids };
	struct ckpt_cgroup rec = { .id = cpu_to_le32(i + 1) };
	u32 files_len, name_len = 1;
	char *var;
	int ret;

	ret = ckpt_visit_live_tasks(ctx, ckpt_cgroup_proc, &p);
	if (!ret)
		ret = ckpt_cgroup_files_save(ctx, cgs, i, b->files, &files_len, b->val);
	if (ret)
		return ret;
	b->name[0] = '\0';
	if (i)
		name_len = cgroup_name(cgs->cg[i].cgrp, b->name, sizeof(b->name)) + 1;
	rec.parent = cpu_to_le32(i ? cgs->cg[i].parent + 1 : 0);
	rec.nr_procs = cpu_to_le32(p.nr);
	rec.files_len = cpu_to_le32(files_len);
	rec.name_len = cpu_to_le16(name_len);
	/* pids, name and files, one after the other */
	var = (char *)(b->pids + p.nr);
	memcpy(var, b->name, name_len);
	memcpy(var + name_len, b->files, files_len);
	return ckpt_write_rec_var(ctx, CKPT_REC_CGROUP, &rec, sizeof(rec), b->pids,
				  p.nr * sizeof(__le32) + name_len + files_len);
}

static int ckpt_cgroups_write(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs)
{
	struct ckpt_cgroup_bufs *b;
	u32 i;
	int ret = -ENOMEM;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->pids = kvmalloc(ctx->nr_tasks * sizeof(__le32) + NAME_MAX + 1 +
			   CKPT_CGROUP_FILES_MAX, GFP_KERNEL);
	b->files = kvmalloc(CKPT_CGROUP_FILES_MAX, GFP_KERNEL);
	b->val = kmalloc(CKPT_CGROUP_VALUE_MAX, GFP_KERNEL);
	for (i = 0, ret = 0; b->pids && b->files && b->val && !ret && i < cgs->nr; i++)
		ret = ckpt_cgroup_save(ctx, cgs, i, b);
	if (!b->pids || !b->files || !b->val)
		ret = -ENOMEM;
	kvfree(b->pids);
	kvfree(b->files);
	kfree(b->val);
	kfree(b);
	return ret;
}

static int ckpt_cgroupns_checkpoint(struct ckpt_ctx *ctx)
{
	struct cgroup_namespace *ns = ctx->nsproxy->cgroup_ns;
	struct cgroup *base = ns->root_cset->dfl_cgrp;
	struct ckpt_cgroupns rec = {};
	struct ckpt_cgroups *cgs;
	int ret;

	if (ns == current->nsproxy->cgroup_ns)
		return 0;
	if (!ckpt_tasks_own_ns(ctx, ns->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' cgroup namespace belongs to another user namespace (not supported)");
	if (!cgroup_is_descendant(base, current->nsproxy->cgroup_ns->root_cset->dfl_cgrp))
		return ckpt_err(ctx, -EPERM,
				"the root of the tasks' cgroup namespace is outside the caller's");
	cgs = ckpt_cgroups_collect(ctx, base);
	if (IS_ERR(cgs))
		return PTR_ERR(cgs);
	ctx->ns_data[CKPT_NS_cgroup] = cgs;
	ret = ckpt_cgroups_open(ctx, cgs);
	if (ret)
		return ret;
	rec.nr_cgroups = cpu_to_le32(cgs->nr);
	ret = ckpt_write_rec(ctx, CKPT_REC_CGROUPNS, &rec, sizeof(rec));
	return ret ?: ckpt_cgroups_write(ctx, cgs) ?: 1;
}

/* ---- restart: reading, in the coordinator ---- */

/* The name in the CGROUP record of @cg, after the pids */
static const char *ckpt_cg_rec_name(const struct ckpt_cg *cg)
{
	return (const char *)(cg->rec + 1) + le32_to_cpu(cg->rec->nr_procs) * sizeof(__le32);
}

/* "" for the root, else one path component */
static bool ckpt_cgroup_name_ok(const char *name, u32 len, bool root)
{
	return root ? len == 1 && !name[0] : ckpt_name_ok(name, len);
}

static const struct ckpt_cgroup_file *ckpt_cgroup_file_find(const char *name)
{
	const struct ckpt_cgroup_file *cf;

	for (cf = ckpt_cgroup_files; cf < ckpt_cgroup_files + ARRAY_SIZE(ckpt_cgroup_files); cf++)
		if (!(cf->flags & CKPT_CGF_CHECK) && !strcmp(cf->name, name))
			return cf;
	return NULL;
}

/* The next "FILE\0VALUE\0" pair of @files, or NULL at the end or if bad */
static const char *ckpt_cgroup_next(const char *files, u32 len, u32 *off, const char **val)
{
	const char *name = files + *off;
	size_t n;

	if (*off >= len)
		return NULL;
	n = strnlen(name, len - *off);
	if (*off + n + 1 >= len)
		return NULL;
	*val = name + n + 1;
	n += strnlen(*val, len - *off - n - 1) + 1;
	if (*off + n + 1 > len)
		return NULL;
	*off += n + 1;
	return name;
}

static bool ckpt_cgroup_files_ok(const char *files, u32 len)
{
	const struct ckpt_cgroup_file *cf;
	const char *name, *val, *c;
	u32 off = 0;

	if (len && files[len - 1])
		return false;
	while (off < len) {
		name = ckpt_cgroup_next(files, len, &off, &val);
		cf = name ? ckpt_cgroup_file_find(name) : NULL;
		if (!cf || strlen(val) >= CKPT_CGROUP_VALUE_MAX)
			return false;
		for (c = val; *c; c++)
			if (!isprint(*c) && !(*c == '\n' && (cf->flags & CKPT_CGF_LINES)))
				return false;
	}
	return true;
}

/* The processes of cgroup @i: restored processes, each in one cgroup */
static int ckpt_cgroup_procs_load(struct ckpt_ctx *ctx, u32 i, const __le32 *pids, u32 nr)
{
	u32 k, t;

	for (k = 0; k < nr; k++) {
		pid_t pid = le32_to_cpu(pids[k]);
		struct ckpt_rtask *rt = NULL;

		for (t = 0; t < ctx->nr_tasks; t++)
			if (ctx->rtasks[t].pid == pid)
				rt = &ctx->rtasks[t];
		if (!rt || rt->pid != rt->tgid || (rt->flags & CKPT_TREE_ZOMBIE) || rt->cgroup)
			return ckpt_err(ctx, -EINVAL,
					"CGROUP record %u names pid %d, not a process of the TREE or twice",
					i + 1, pid);
		rt->cgroup = i + 1;
	}
	return 0;
}

/* What is wrong with the CGROUP record of cgroup @i, of @len bytes, or NULL */
static const char *ckpt_cgroup_rec_bad(struct ckpt_ctx *ctx, const struct ckpt_cgroup *r,
				       u32 len, u32 i)
{
	u32 nr = le32_to_cpu(r->nr_procs), parent = le32_to_cpu(r->parent);
	u32 name_len = le16_to_cpu(r->name_len), files_len = le32_to_cpu(r->files_len);
	const char *name = (const char *)(r + 1) + (size_t)nr * sizeof(__le32);

	if (le32_to_cpu(r->id) != i + 1 || (i ? !parent || parent > i : parent))
		return "its id or parent is out of order";
	if (r->__pad[0] || r->__pad[1] || r->__pad[2])
		return "its padding is not zero";
	if (nr > ctx->nr_tasks || files_len > CKPT_CGROUP_FILES_MAX || !name_len ||
	    len != ALIGN(sizeof(*r) + nr * sizeof(__le32) + name_len + files_len, 8) ||
	    memchr_inv(name + name_len + files_len, 0,
		       (const char *)r + len - (name + name_len + files_len)))
		return "its lengths do not add up";
	if (!ckpt_cgroup_name_ok(name, name_len, !i))
		return "its name is not one path component";
	if (!ckpt_cgroup_files_ok(name + name_len, files_len))
		return "its files are not FILE\\0VALUE\\0 pairs of the kernel's table";
	return NULL;
}

static int ckpt_cgroup_load(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, u32 i)
{
	struct ckpt_cg *cg = &cgs->cg[i];
	struct ckpt_cgroup *r;
	const char *bad;
	u32 len;

	r = ckpt_read_rec_var(ctx, CKPT_REC_CGROUP, sizeof(*r), &len);
	if (IS_ERR(r))
		return PTR_ERR(r);
	cg->rec = r;
	cg->parent = i ? le32_to_cpu(r->parent) - 1 : 0;
	bad = ckpt_cgroup_rec_bad(ctx, r, len, i);
	if (bad)
		return ckpt_err(ctx, -EINVAL, "CGROUP record %u is malformed: %s", i + 1, bad);
	return ckpt_cgroup_procs_load(ctx, i, (const __le32 *)(r + 1), le32_to_cpu(r->nr_procs));
}

static int ckpt_cgroupns_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_cgroupns rec;
	struct ckpt_cgroups *cgs;
	u32 nr, i;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_CGROUPNS, &rec, sizeof(rec));
	if (ret)
		return ret;
	nr = le32_to_cpu(rec.nr_cgroups);
	if (rec.flags || !nr || nr > CKPT_CGROUP_MAX)
		return ckpt_err(ctx, -EINVAL, "CGROUPNS record is malformed");
	if (!ckpt_namespaces_root_cred(ctx) && !ns_capable(current_user_ns(), CAP_SYS_ADMIN))
		return ckpt_err(ctx, -EPERM,
				"creating the tasks' cgroup namespace needs CAP_SYS_ADMIN");
	cgs = ckpt_cgroups_alloc(nr);
	if (!cgs)
		return -ENOMEM;
	*data = cgs;
	for (i = 0; !ret && i < nr; i++)
		ret = ckpt_cgroup_load(ctx, cgs, i);
	for (i = 0; !ret && i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		if (rt->pid == rt->tgid && !(rt->flags & CKPT_TREE_ZOMBIE) && !rt->cgroup)
			ret = ckpt_err(ctx, -EINVAL, "process %d is in no CGROUP record", rt->pid);
	}
	return ret;
}

/* ---- restart: building, in the root ---- */

/* Move the current process into the cgroup @dir, as writing 0 to cgroup.procs does */
static int ckpt_cgroup_move_self(const struct path *dir)
{
	return ckpt_cgroup_write(dir, "cgroup.procs", "0", 1);
}

/* Into the caller's CKPT_EXT_CGROUP, then a new namespace rooted there */
static int ckpt_cgroupns_create(struct ckpt_ctx *ctx)
{
	struct file *f = ckpt_external_file(ctx, CKPT_EXT_CGROUP, "/");
	struct nsproxy *nsp;
	int ret;

	if (f) {
		struct inode *inode = file_inode(f);

		if (inode->i_sb->s_magic != CGROUP2_SUPER_MAGIC || !S_ISDIR(inode->i_mode))
			return ckpt_err(ctx, -ENOTDIR,
					"the external cgroup \"/\" is not a cgroup2 directory");
		ret = ckpt_cgroup_move_self(&f->f_path);
		if (ret)
			return ckpt_err(ctx, ret,
					"cannot move the root task into the cgroup given for \"/\"");
	}
	ret = unshare_nsproxy_namespaces(CLONE_NEWCGROUP, &nsp, NULL, current->fs);
	if (ret)
		return ckpt_err(ctx, ret, "cannot create the tasks' cgroup namespace");
	switch_task_namespaces(current, nsp);
	return 0;
}

static int ckpt_cgroup_mkdir(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, u32 i)
{
	struct ckpt_cg *cg = &cgs->cg[i];
	const struct path *parent = &cgs->cg[cg->parent].path;
	struct inode *dir = d_inode(parent->dentry);
	const char *name;
	struct dentry *d;
	char buf[64];
	int ret;

	name = ckpt_cg_rec_name(cg);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one_len(name, parent->dentry, strlen(name));
	ret = PTR_ERR_OR_ZERO(d);
	if (!ret && d_is_negative(d)) {
		ret = security_path_mkdir(parent, d, 0755);
		if (!ret)
			ret = vfs_mkdir(mnt_idmap(parent->mnt), dir, d, 0755);
	}
	if (!IS_ERR(d))
		dput(d);
	inode_unlock(dir);
	/* kernfs leaves the dentry negative: look it up again */
	if (!ret)
		ret = vfs_path_lookup(parent->dentry, parent->mnt, name, LOOKUP_DIRECTORY,
				      &cg->path);
	if (ret)
		return ckpt_err(ctx, ret, "cannot create cgroup %s/%s",
				ckpt_cg_name(cgs, cg->parent, buf, sizeof(buf)), name);
	return 0;
}

static bool ckpt_word_in(const char *list, const char *word, size_t n)
{
	while (*list) {
		size_t m = strcspn(list, " ");

		if (m == n && !strncmp(list, word, n))
			return true;
		list += m;
		list += *list == ' ';
	}
	return false;
}

/* "+a +b -c": what turns the controllers @now into @want */
static size_t ckpt_cgroup_controllers(const char *want, const char *now, char *out)
{
	const char *lists[2] = { want, now };
	size_t len = 0;
	int k;

	for (k = 0; k < 2; k++) {
		const char *p = lists[k];

		while (*p) {
			size_t n = strcspn(p, " ");

			if (n && !ckpt_word_in(lists[!k], p, n))
				len += sprintf(out + len, "%s%c%.*s", len ? " " : "",
					       k ? '-' : '+', (int)n, p);
			p += n;
			p += *p == ' ';
		}
	}
	return len;
}

/* Write @val to the file @cf of @dir unless it reads so already */
static int ckpt_cgroup_file_apply(const struct path *dir, const struct ckpt_cgroup_file *cf,
				  const char *val, char *now, char *out)
{
	const char *line;
	size_t len;
	int ret;

	ret = ckpt_cgroup_read(dir, cf->name, now);
	if (ret < 0 || !strcmp(now, val))
		return ret < 0 ? ret : 0;
	if (cf->flags & CKPT_CGF_CONTROLLERS) {
		len = ckpt_cgroup_controllers(val, now, out);
		return ckpt_cgroup_write(dir, cf->name, out, len);
	}
	if (!(cf->flags & CKPT_CGF_LINES) || !*val)
		return ckpt_cgroup_write(dir, cf->name, val, strlen(val));
	for (line = val; !ret && *line; line += len + (line[len] == '\n')) {
		len = strcspn(line, "\n");
		ret = ckpt_cgroup_write(dir, cf->name, line, len);
	}
	return ret;
}

/* The files of cgroup @i: those of the table's CKPT_CGF_LAST if @last, or the others */
static int ckpt_cgroup_files_apply(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, u32 i,
				   bool last, char *now, char *out)
{
	struct ckpt_cg *cg = &cgs->cg[i];
	u32 len = le32_to_cpu(cg->rec->files_len), off = 0;
	const char *files = ckpt_cg_rec_name(cg) + le16_to_cpu(cg->rec->name_len);
	const char *name, *val;
	char buf[64];
	int ret;

	while ((name = ckpt_cgroup_next(files, len, &off, &val))) {
		const struct ckpt_cgroup_file *cf = ckpt_cgroup_file_find(name);

		if (!(cf->flags & CKPT_CGF_LAST) != !last)
			continue;
		ret = ckpt_cgroup_file_apply(&cg->path, cf, val, now, out);
		if (ret == -EBUSY && !i && (cf->flags & CKPT_CGF_CONTROLLERS))
			return ckpt_err(ctx, ret,
					"cgroup /: cannot enable controllers \"%s\" for its children while a process is in it: give restart a cgroup of its own (CKPT_EXT_CGROUP, ckpt restart --cgroup-root)",
					val);
		if (ret)
			return ckpt_err(ctx, ret, "cgroup %s: cannot write \"%s\" to %s",
					ckpt_cg_name(cgs, i, buf, sizeof(buf)), val, name);
	}
	return 0;
}

static int ckpt_cgroups_apply(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, bool last);

static int ckpt_cgroupns_enter(struct ckpt_ctx *ctx, void *data)
{
	struct ckpt_cgroups *cgs = data;
	struct vfsmount *mnt;
	u32 i;
	int ret;

	ret = ckpt_cgroupns_create(ctx);
	if (ret)
		return ret;
	mnt = ckpt_cgroup_mount();
	if (IS_ERR(mnt))
		return ckpt_err(ctx, PTR_ERR(mnt), "cannot mount cgroup2");
	cgs->cg[0].path.mnt = mnt;
	cgs->cg[0].path.dentry = dget(mnt->mnt_root);
	for (i = 1; !ret && i < cgs->nr; i++)
		ret = ckpt_cgroup_mkdir(ctx, cgs, i);
	/* Out of the root cgroup, which may get controllers for its children */
	ret = ret ?: ckpt_cgroup_attach(ctx, &ctx->rtasks[0]);
	return ret ?: ckpt_cgroups_apply(ctx, cgs, false);
}

/* The files of every cgroup, parents first */
static int ckpt_cgroups_apply(struct ckpt_ctx *ctx, struct ckpt_cgroups *cgs, bool last)
{
	char *now, *out;
	u32 i;
	int ret = 0;

	now = kmalloc(CKPT_CGROUP_VALUE_MAX, GFP_KERNEL);
	out = kmalloc(2 * CKPT_CGROUP_VALUE_MAX, GFP_KERNEL);
	if (!now || !out)
		ret = -ENOMEM;
	for (i = 0; !ret && i < cgs->nr; i++)
		ret = ckpt_cgroup_files_apply(ctx, cgs, i, last, now, out);
	kfree(now);
	kfree(out);
	return ret;
}

/*
 * In the coordinator, every task in its cgroup and asleep until let go: a
 * cgroup frozen at checkpoint is frozen again, and its tasks stop in the
 * cgroup freezer's trap on their way to user mode.
 */
static int ckpt_cgroupns_finish(struct ckpt_ctx *ctx)
{
	if (ctx->flags & RESTART_THAW)
		return 0;
	return ckpt_cgroups_apply(ctx, ctx->ns_data[CKPT_NS_cgroup], true);
}

/**
 * ckpt_cgroup_attach() - move a restored process into its cgroup
 * @ctx: restart context
 * @rt: the process being restored (current), before it reads its records
 *
 * Writes 0 to the cgroup.procs file of the cgroup its CGROUP record put
 * it in, with the checks a process moving itself goes through.  Nothing
 * to do for a thread or when the image has no cgroup namespace.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_cgroup_attach(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct ckpt_cgroups *cgs = ctx->ns_data[CKPT_NS_cgroup];
	char buf[64];
	int ret;

	if (!rt->cgroup)
		return 0;
	/* There already (the root's cgroup): no need to be allowed to move */
	rcu_read_lock();
	ret = task_dfl_cgroup(current)->kn ==
	      kernfs_node_from_dentry(cgs->cg[rt->cgroup - 1].path.dentry);
	rcu_read_unlock();
	if (ret)
		return 0;
	ret = ckpt_cgroup_move_self(&cgs->cg[rt->cgroup - 1].path);
	if (ret)
		return ckpt_err(ctx, ret, "cannot move process %d into cgroup %s", rt->pid,
				ckpt_cg_name(cgs, rt->cgroup - 1, buf, sizeof(buf)));
	return 0;
}

/*
 * The root is created in the caller's cgroup namespace; it makes its own
 * (ckpt_cgroupns_create()) once in the cgroup it is to be rooted at.
 */
const struct ckpt_ns_ops ckpt_ns_cgroup_ops = {
	.name = "cgroup",
	.rec = CKPT_REC_CGROUPNS,
	.checkpoint = ckpt_cgroupns_checkpoint,
	.restart = ckpt_cgroupns_restart,
	.enter = ckpt_cgroupns_enter,
	.finish = ckpt_cgroupns_finish,
	.free = ckpt_cgroups_free,
};
