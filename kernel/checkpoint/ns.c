// SPDX-License-Identifier: GPL-2.0-only
/*
 * The namespaces of the tasks: the caller's, handled, or refused.
 *
 * Every member of a task's nsproxy and its user namespace is checked at
 * checkpoint: the tasks must all be in the same ones.  Each kind the tasks
 * may have of their own is an entry of the table generated from
 * <linux/checkpoint_nstypes.h> (struct ckpt_ns_ops), which this file walks
 * in both directions; the pid namespace is the tree's (checkpoint.c,
 * restart.c), the IPC namespace's entry is in ipc/checkpoint.c and the
 * network namespace's in net/core/checkpoint.c.  The entries here:
 *
 * - the UTS namespace: a UTS record with its names when the tasks have
 *   one of their own; restart creates a new one and sets them.
 * - the time namespace: in container mode, or when the tasks have one of
 *   their own, a TIMENS record holds their CLOCK_MONOTONIC and
 *   CLOCK_BOOTTIME at the header's instant.  Restart creates a new time
 *   namespace whose clocks resume from these values, so that neither the
 *   downtime nor a reboot shows; absolute expiries of interrupted sleeps,
 *   kept on the host's clocks, move by as much as the host's clocks did
 *   (ckpt_clock_shifted()).
 * - the user namespace: in container mode, the tasks may all be in one
 *   user namespace, a child of the caller's, which owns their other
 *   namespaces.  A USERNS record holds its uid and gid maps as the caller
 *   sees them and its setgroups setting.  Restart creates a user namespace
 *   with the same maps, written with the rules and the caller's privileges
 *   of /proc/PID/uid_map (userns_write_map()), and creates the root in it,
 *   so that the root's new namespaces belong to it.  The ids of the CRED
 *   records stay those of the caller's namespace, so the same maps give
 *   the tasks the same ids inside.
 *
 * The mount namespace's entry is in fs/checkpoint_mnt.c, the cgroup
 * namespace's (with the cgroups below its root) in
 * kernel/cgroup/checkpoint.c.  Nested user namespaces and a pid
 * namespace for children other than the task's own are refused.
 *
 * The root directory: with CHECKPOINT_ROOT_RELATIVE, or when the tasks
 * have a mount namespace of their own, the tasks must share one, and the
 * paths of the image start from it (ckpt_path_name()).
 * Restart resolves every path from its caller's root, so a caller chroot'ed
 * into a copy of the tasks' tree (ckpt restart --root DIR) restores them
 * there.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/ipc_namespace.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/rtnetlink.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/utsname.h>
#include <net/net_namespace.h>

#include "checkpoint.h"

/* Clocks past this would let an offset reach KTIME_MAX (see timens) */
#define CKPT_CLOCK_MAX_NS	((u64)(KTIME_SEC_MAX / 2) * NSEC_PER_SEC)

/**
 * struct ckpt_timens_state - restart: the tasks' new time namespace
 * @rec: its TIMENS record
 * @mono_shift: how far the host's CLOCK_MONOTONIC moved since checkpoint
 * @boot_shift: same for CLOCK_BOOTTIME
 */
struct ckpt_timens_state {
	struct ckpt_timens rec;
	s64 mono_shift;
	s64 boot_shift;
};

/* Checkpoint: what all the tasks share, set by the first one */
struct ckpt_ns_seen {
	struct nsproxy *nsproxy;
	struct path root;	/* with CHECKPOINT_ROOT_RELATIVE */
};

/* With CHECKPOINT_ROOT_RELATIVE, the tasks must have one root directory */
static int ckpt_check_task_root(struct ckpt_ctx *ctx, struct task_struct *t,
				pid_t pid, struct ckpt_ns_seen *seen)
{
	struct path root;
	bool same;

	if (!(ctx->flags & CHECKPOINT_ROOT_RELATIVE) &&
	    t->nsproxy->mnt_ns == current->nsproxy->mnt_ns)
		return 0;
	/* Frozen: it cannot chroot */
	get_fs_root(t->fs, &root);
	if (!seen->root.mnt) {
		seen->root = root;
		return 0;
	}
	same = path_equal(&root, &seen->root);
	path_put(&root);
	if (!same)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d has another root directory than the root task (CHECKPOINT_ROOT_RELATIVE and a mount namespace of their own need one)",
				pid);
	return 0;
}

/**
 * ckpt_tasks_own_ns() - may the tasks have a namespace owned by @owner?
 * @ctx: checkpoint context
 * @owner: the user namespace that owns a namespace of the tasks
 *
 * Return: whether @owner is the caller's user namespace or the tasks' own.
 */
bool ckpt_tasks_own_ns(struct ckpt_ctx *ctx, struct user_namespace *owner)
{
	return owner == current_user_ns() || (ctx->user_ns && owner == ctx->user_ns);
}

/* Which of the namespaces the tasks share @ns has another one of, or NULL */
static const char *ckpt_ns_differs(struct nsproxy *ns, struct nsproxy *seen)
{
	if (ns->uts_ns != seen->uts_ns)
		return "UTS";
	if (ns->time_ns != seen->time_ns)
		return "time";
	if (ns->net_ns != seen->net_ns)
		return "network";
	if (ns->ipc_ns != seen->ipc_ns)
		return "IPC";
	if (ns->mnt_ns != seen->mnt_ns)
		return "mount";
	if (ns->cgroup_ns != seen->cgroup_ns)
		return "cgroup";
	return NULL;
}

static int ckpt_check_task_ns(struct ckpt_ctx *ctx, struct task_struct *t,
			      pid_t pid, void *arg)
{
	struct nsproxy *ns = t->nsproxy;
	struct ckpt_ns_seen *seen = arg;
	const char *what = NULL;

	/* Frozen: it cannot unshare or setns */
	if (task_cred_xxx(t, user_ns) != (ctx->user_ns ?: current_user_ns()))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d is in another user namespace than the root (not supported)",
				pid);
	if (ns->pid_ns_for_children != task_active_pid_ns(t))
		what = "pid (for its children)";
	else if (ns->time_ns_for_children != ns->time_ns)
		what = "time (for its children)";
	if (what)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d has a %s namespace of its own (not supported yet)",
				pid, what);
	if (!seen->nsproxy) {
		seen->nsproxy = ns;
		get_nsproxy(ns);
	}
	what = ckpt_ns_differs(ns, seen->nsproxy);
	if (what)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d is in another %s namespace than the root (not supported yet)",
				pid, what);
	return ckpt_check_task_root(ctx, t, pid, seen);
}

/*
 * TIMENS: in container mode, or when the tasks have a time namespace of
 * their own
 */
static int ckpt_timens_checkpoint(struct ckpt_ctx *ctx)
{
	struct time_namespace *ns = ctx->nsproxy->time_ns;
	struct ckpt_timens rec;

	if (!ctx->container && ns == current->nsproxy->time_ns)
		return 0;
	if (ns != current->nsproxy->time_ns && !ckpt_tasks_own_ns(ctx, ns->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' time namespace belongs to another user namespace (not supported yet)");
	/* The clocks as the tasks saw them when the header's were read */
	rec.monotonic_ns = cpu_to_le64(le64_to_cpu(ctx->hdr.time_mono_ns) +
				       timespec64_to_ns(&ns->offsets.monotonic));
	rec.boottime_ns = cpu_to_le64(le64_to_cpu(ctx->hdr.time_boot_ns) +
				      timespec64_to_ns(&ns->offsets.boottime));
	return ckpt_write_rec(ctx, CKPT_REC_TIMENS, &rec, sizeof(rec)) ?: 1;
}

/* The extents of a uid or gid map, as the caller sees them */
static void ckpt_get_extents(const struct uid_gid_map *map, bool gid,
			     struct ckpt_id_extent *out)
{
	struct user_namespace *mine = current_user_ns();
	u32 i, nr = map->nr_extents;

	for (i = 0; i < nr; i++) {
		const struct uid_gid_extent *e;
		u32 lower;

		e = nr <= UID_GID_MAP_MAX_BASE_EXTENTS ? &map->extent[i] : &map->forward[i];
		/* The namespace is a child of ours: its maps go through ours */
		lower = gid ? from_kgid(mine, KGIDT_INIT(e->lower_first)) :
			      from_kuid(mine, KUIDT_INIT(e->lower_first));
		out[i].first = cpu_to_le32(e->first);
		out[i].lower_first = cpu_to_le32(lower);
		out[i].count = cpu_to_le32(e->count);
	}
}

static int ckpt_userns_checkpoint(struct ckpt_ctx *ctx)
{
	struct user_namespace *ns = ctx->user_ns;
	struct ckpt_userns rec = {};
	struct ckpt_id_extent *ext;
	u32 nr_uid, nr_gid;
	int ret;

	if (!ns)
		return 0;
	if (ns->parent != current_user_ns())
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' user namespace is not a child of the caller's (nested user namespaces are not supported)");
	if (!ctx->container)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks have a user namespace of their own: only supported in container mode");
	/* Each map is written once: its count, then nothing changes */
	nr_uid = READ_ONCE(ns->uid_map.nr_extents);
	nr_gid = READ_ONCE(ns->gid_map.nr_extents);
	/* The extents were written before the count (smp_wmb() in map_write()) */
	smp_rmb();
	if (!nr_uid || !nr_gid)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' user namespace has no %s map",
				nr_uid ? "gid" : "uid");
	ext = kcalloc(nr_uid + nr_gid, sizeof(*ext), GFP_KERNEL);
	if (!ext)
		return -ENOMEM;
	ckpt_get_extents(&ns->uid_map, false, ext);
	ckpt_get_extents(&ns->gid_map, true, ext + nr_uid);
	if (READ_ONCE(ns->flags) & USERNS_SETGROUPS_ALLOWED)
		rec.flags = cpu_to_le32(CKPT_USERNS_SETGROUPS);
	rec.nr_uid = cpu_to_le32(nr_uid);
	rec.nr_gid = cpu_to_le32(nr_gid);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_USERNS, &rec, sizeof(rec), ext,
				 (nr_uid + nr_gid) * sizeof(*ext));
	kfree(ext);
	return ret ?: 1;
}

/* ---- UTS ---- */

/* UTS: the names of the tasks' UTS namespace, when not the caller's */
static int ckpt_uts_checkpoint(struct ckpt_ctx *ctx)
{
	struct uts_namespace *uts = ctx->nsproxy->uts_ns;
	struct ckpt_uts rec = {};

	if (uts == current->nsproxy->uts_ns)
		return 0;
	if (!ckpt_tasks_own_ns(ctx, uts->user_ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks' UTS namespace belongs to another user namespace (not supported yet)");
	down_read(&uts_sem);
	strscpy_pad(rec.nodename, uts->name.nodename, sizeof(rec.nodename));
	strscpy_pad(rec.domainname, uts->name.domainname, sizeof(rec.domainname));
	up_read(&uts_sem);
	return ckpt_write_rec(ctx, CKPT_REC_UTS, &rec, sizeof(rec)) ?: 1;
}

static int ckpt_uts_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_uts *rec;
	int ret;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	*data = rec;
	ret = ckpt_read_rec(ctx, CKPT_REC_UTS, rec, sizeof(*rec));
	if (!ret && (!ckpt_padded_string(rec->nodename, sizeof(rec->nodename)) ||
		     !ckpt_padded_string(rec->domainname, sizeof(rec->domainname)) ||
		     memchr_inv(rec->__pad, 0, sizeof(rec->__pad))))
		ret = ckpt_err(ctx, -EINVAL, "UTS record: names not NUL-terminated and padded");
	return ret;
}

/* In the root's context: its new UTS namespace gets the saved names */
static int ckpt_uts_enter(struct ckpt_ctx *ctx, void *data)
{
	const struct ckpt_uts *rec = data;
	struct new_utsname *u;

	down_write(&uts_sem);
	u = utsname();
	memcpy(u->nodename, rec->nodename, sizeof(u->nodename));
	memcpy(u->domainname, rec->domainname, sizeof(u->domainname));
	up_write(&uts_sem);
	return 0;
}

const struct ckpt_ns_ops ckpt_ns_uts_ops = {
	.name = "UTS",
	.rec = CKPT_REC_UTS,
	.clone_flag = CLONE_NEWUTS,
	.checkpoint = ckpt_uts_checkpoint,
	.restart = ckpt_uts_restart,
	.enter = ckpt_uts_enter,
	.free = kfree,
};

/* ---- time ---- */

static int ckpt_timens_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_timens_state *nsr;
	int ret;

	nsr = kzalloc(sizeof(*nsr), GFP_KERNEL);
	if (!nsr)
		return -ENOMEM;
	*data = nsr;
	ret = ckpt_read_rec(ctx, CKPT_REC_TIMENS, &nsr->rec, sizeof(nsr->rec));
	if (ret)
		return ret;
	if (le64_to_cpu(nsr->rec.monotonic_ns) > CKPT_CLOCK_MAX_NS ||
	    le64_to_cpu(nsr->rec.boottime_ns) > CKPT_CLOCK_MAX_NS ||
	    le64_to_cpu(ctx->hdr.time_mono_ns) > CKPT_CLOCK_MAX_NS ||
	    le64_to_cpu(ctx->hdr.time_boot_ns) > CKPT_CLOCK_MAX_NS)
		return ckpt_err(ctx, -EINVAL, "TIMENS record or header: clock values out of range");
	if (!IS_ENABLED(CONFIG_TIME_NS))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the tasks need a time namespace (CONFIG_TIME_NS is off)");
	if (!ns_capable(current_user_ns(), CAP_SYS_ADMIN) ||
	    !ns_capable(current_user_ns(), CAP_SYS_TIME))
		return ckpt_err(ctx, -EPERM,
				"creating the tasks' time namespace and setting its clocks needs CAP_SYS_ADMIN and CAP_SYS_TIME");
	return 0;
}

/* ---- user ---- */

/* One map as /proc/PID/uid_map takes it; false if it does not fit */
static bool ckpt_format_map(const struct ckpt_id_extent *ext, u32 nr,
			    char *buf, size_t size)
{
	size_t len = 0;
	u32 i;

	for (i = 0; i < nr && len < size; i++)
		len += scnprintf(buf + len, size - len, "%u %u %u\n",
				 le32_to_cpu(ext[i].first),
				 le32_to_cpu(ext[i].lower_first),
				 le32_to_cpu(ext[i].count));
	return len < size - 1;
}

/* Write a map of @ns as the caller writing /proc/PID/uid_map would */
static int ckpt_write_map(struct ckpt_ctx *ctx, struct user_namespace *ns,
			  int cap_setid, const struct ckpt_id_extent *ext,
			  u32 nr, char *text)
{
	const char *which = cap_setid == CAP_SETUID ? "uid" : "gid";
	int ret;

	if (!ckpt_format_map(ext, nr, text, PAGE_SIZE))
		return ckpt_err(ctx, -EINVAL, "USERNS record: the %s map is too long", which);
	ret = userns_write_map(ns, cap_setid, text);
	if (ret == -EPERM)
		return ckpt_err(ctx, ret,
				"the caller may not write the %s map of the tasks' user namespace",
				which);
	if (ret)
		return ckpt_err(ctx, ret, "USERNS record: the %s map is invalid", which);
	return 0;
}

/*
 * Create the tasks' user namespace with the saved maps, in the caller's
 * credentials moved to it, for creating the root: @cred.
 */
static int ckpt_make_userns(struct ckpt_ctx *ctx, const struct ckpt_userns *rec,
			    struct cred **cred)
{
	const struct ckpt_id_extent *ext = (const void *)(rec + 1);
	u32 nr_uid = le32_to_cpu(rec->nr_uid), nr_gid = le32_to_cpu(rec->nr_gid);
	struct user_namespace *ns;
	struct cred *new;
	char *text;
	int ret;

	text = kmalloc(PAGE_SIZE, GFP_KERNEL);
	new = prepare_creds();
	if (!text || !new) {
		kfree(text);
		if (new)
			abort_creds(new);
		return -ENOMEM;
	}
	ret = create_user_ns(new);
	if (ret) {
		abort_creds(new);
		kfree(text);
		return ckpt_err(ctx, ret, "cannot create the tasks' user namespace");
	}
	*cred = new;
	ns = new->user_ns;
	ret = set_cred_ucounts(new);
	if (ret)
		goto out;
	if (!(le32_to_cpu(rec->flags) & CKPT_USERNS_SETGROUPS)) {
		ret = userns_deny_setgroups(ns);
		if (ret)
			goto out;
	}
	ret = ckpt_write_map(ctx, ns, CAP_SETUID, ext, nr_uid, text) ?:
	      ckpt_write_map(ctx, ns, CAP_SETGID, ext + nr_uid, nr_gid, text);
out:
	kfree(text);
	return ret;
}

/* The new user namespace's credentials are the data: see ckpt_namespaces_root_cred() */
static int ckpt_userns_restart(struct ckpt_ctx *ctx, void **data)
{
	struct ckpt_userns *rec;
	u32 len, nr_uid, nr_gid;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_USERNS, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	nr_uid = le32_to_cpu(rec->nr_uid);
	nr_gid = le32_to_cpu(rec->nr_gid);
	if (!nr_uid || !nr_gid || nr_uid > CKPT_USERNS_MAX_EXTENTS ||
	    nr_gid > CKPT_USERNS_MAX_EXTENTS || rec->__pad ||
	    le32_to_cpu(rec->flags) & ~CKPT_USERNS_SETGROUPS ||
	    len != ALIGN(sizeof(*rec) + (nr_uid + nr_gid) * sizeof(struct ckpt_id_extent), 8))
		ret = ckpt_err(ctx, -EINVAL, "USERNS record is malformed");
	else if (!(ctx->rtasks[0].flags & CKPT_TREE_PIDNS))
		ret = ckpt_err(ctx, -EINVAL, "USERNS record outside container mode");
	else if (!IS_ENABLED(CONFIG_USER_NS))
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "the tasks need a user namespace (CONFIG_USER_NS is off)");
	else
		ret = ckpt_make_userns(ctx, rec, (struct cred **)data);
	kvfree(rec);
	return ret;
}

static void ckpt_userns_free(const void *data)
{
	put_cred(data);
}

/*
 * The root was created with CLONE_NEWTIME and CLONE_VM: the new namespace
 * is only its time_ns_for_children.  Set its offsets, then enter it as a
 * child without CLONE_VM would (timens_on_fork()).  The root still shares
 * the caller's mm, whose vvar pages timens_commit() zaps: the caller
 * faults them in again, from its own namespace.
 */
static int ckpt_timens_enter(struct ckpt_ctx *ctx, void *data)
{
	struct ckpt_timens_state *nsr = data;
	struct nsproxy *nsp = current->nsproxy;
	struct time_namespace *ns = nsp->time_ns_for_children, *old;
	struct timens_offsets off;
	u64 mono = ktime_get_ns(), boot = ktime_get_boottime_ns();
	int ret;

	if (!IS_ENABLED(CONFIG_TIME_NS))
		return -EOPNOTSUPP;
	if (ns == nsp->time_ns)
		return ckpt_err(ctx, -EINVAL, "no new time namespace");
	off.monotonic = ns_to_timespec64(le64_to_cpu(nsr->rec.monotonic_ns) - mono);
	off.boottime = ns_to_timespec64(le64_to_cpu(nsr->rec.boottime_ns) - boot);
	ret = timens_set_offsets(ns, &off);
	if (ret)
		return ckpt_err(ctx, ret, "cannot set the clocks of the new time namespace");
	nsr->mono_shift = mono - le64_to_cpu(ctx->hdr.time_mono_ns);
	nsr->boot_shift = boot - le64_to_cpu(ctx->hdr.time_boot_ns);

	get_time_ns(ns);
	task_lock(current);
	old = nsp->time_ns;
	nsp->time_ns = ns;
	task_unlock(current);
	put_time_ns(old);
	timens_commit(current, ns);
	return 0;
}

const struct ckpt_ns_ops ckpt_ns_time_ops = {
	.name = "time",
	.rec = CKPT_REC_TIMENS,
	.clone_flag = CLONE_NEWTIME,
	.checkpoint = ckpt_timens_checkpoint,
	.restart = ckpt_timens_restart,
	.enter = ckpt_timens_enter,
	.free = kfree,
};

/* The root is created in the caller's credentials moved to it, no flag */
const struct ckpt_ns_ops ckpt_ns_user_ops = {
	.name = "user",
	.rec = CKPT_REC_USERNS,
	.checkpoint = ckpt_userns_checkpoint,
	.restart = ckpt_userns_restart,
	.free = ckpt_userns_free,
};

/* ---- cgroup: kernel/cgroup/checkpoint.c, or none ---- */

#ifndef CONFIG_CGROUPS
/* All tasks are in the one cgroup namespace; an image with one is refused */
static int ckpt_no_cgroup_checkpoint(struct ckpt_ctx *ctx)
{
	return 0;
}

static int ckpt_no_cgroup_restart(struct ckpt_ctx *ctx, void **data)
{
	return ckpt_err(ctx, -EOPNOTSUPP,
			"the tasks need a cgroup namespace (CONFIG_CGROUPS is off)");
}

const struct ckpt_ns_ops ckpt_ns_cgroup_ops = {
	.name = "cgroup",
	.rec = CKPT_REC_CGROUPNS,
	.checkpoint = ckpt_no_cgroup_checkpoint,
	.restart = ckpt_no_cgroup_restart,
};
#endif

#ifndef CONFIG_SYSVIPC
/* No IPC namespace is saved (nor was one); an image with one is refused */
static int ckpt_no_ipc_checkpoint(struct ckpt_ctx *ctx)
{
	return 0;
}

static int ckpt_no_ipc_restart(struct ckpt_ctx *ctx, void **data)
{
	return ckpt_err(ctx, -EOPNOTSUPP,
			"the image has a System V IPC namespace, and this kernel no SysV IPC");
}

const struct ckpt_ns_ops ckpt_ns_ipc_ops = {
	.name = "IPC",
	.rec = CKPT_REC_IPC_NS,
	.checkpoint = ckpt_no_ipc_checkpoint,
	.restart = ckpt_no_ipc_restart,
};
#endif

/* ---- the table ---- */

static const struct ckpt_ns_ops *const ckpt_ns_kinds[CKPT_NS_NR] = {
#define CKPT_NS(name) (&ckpt_ns_##name##_ops),
#include <linux/checkpoint_nstypes.h>
#undef CKPT_NS
};

/**
 * ckpt_write_namespaces() - check the tasks' namespaces and write theirs
 * @ctx: checkpoint context, after the header and the TREE
 *
 * Every task must be in the same namespaces; each kind of
 * checkpoint_nstypes.h then writes the tasks' namespace of that kind if
 * it is not the caller's.  With CHECKPOINT_ROOT_RELATIVE, also check that
 * the tasks share one root directory, from which the paths of the image
 * start.
 *
 * Return: 0, or a negative error logged with the namespace it is about.
 */
int ckpt_write_namespaces(struct ckpt_ctx *ctx)
{
	struct ckpt_ns_seen seen = {};
	int i, ret;

	ret = ckpt_visit_live_tasks(ctx, ckpt_check_task_ns, &seen);
	/* Paths in the image start from there: the FILE and FS records */
	ctx->image_root = seen.root;
	ctx->nsproxy = seen.nsproxy;
	for (i = 0; ret >= 0 && seen.nsproxy && i < CKPT_NS_NR; i++) {
		ret = ckpt_ns_kinds[i]->checkpoint(ctx);
		if (ret > 0)
			__set_bit(i, &ctx->ns_own);
	}
	/* What the enter operations read, after what the coordinator reads */
	for (i = 0; ret >= 0 && i < CKPT_NS_NR; i++)
		if (ckpt_ns_own(ctx, i) && ckpt_ns_kinds[i]->contents)
			ret = ckpt_ns_kinds[i]->contents(ctx);
	return ret < 0 ? ret : 0;
}

/**
 * ckpt_park_namespaces() - quiet the tasks' namespaces before they are killed
 * @ctx: checkpoint context with a complete image, CHECKPOINT_KILL set
 */
void ckpt_park_namespaces(struct ckpt_ctx *ctx)
{
	int i;

	for (i = 0; i < CKPT_NS_NR; i++)
		if (ckpt_ns_own(ctx, i) && ckpt_ns_kinds[i]->park)
			ckpt_ns_kinds[i]->park(ctx);
}

/**
 * ckpt_read_namespaces() - read the records of the tasks' namespaces
 * @ctx: restart context, after the TREE
 *
 * Called by the coordinator, which checks that it may create the
 * namespaces the records ask for, and creates the tasks' user namespace.
 *
 * Return: 0 or a negative error.
 */
int ckpt_read_namespaces(struct ckpt_ctx *ctx)
{
	struct nsproxy *nsp = current->nsproxy;
	const struct ckpt_ns_ops *ops;
	int i, ret;

	/* The root shares our mm at first: fork refuses that across time ns */
	if (nsp->time_ns != nsp->time_ns_for_children)
		return ckpt_err(ctx, -EINVAL,
				"the caller unshared a time namespace it did not enter: restart from a child that is in it");
	for (i = 0; i < CKPT_NS_NR; i++) {
		ops = ckpt_ns_kinds[i];
		ret = ckpt_peek_rec(ctx);
		if (ret < 0)
			return ret;
		if (ret != ops->rec)
			continue;
		__set_bit(i, &ctx->ns_own);
		ret = ops->restart ? ops->restart(ctx, &ctx->ns_data[i]) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * ckpt_namespaces_root_cred() - the credentials to create the root with
 * @ctx: restart context
 *
 * Return: the caller's credentials moved to the tasks' new user namespace,
 * whose other new namespaces it then owns, or NULL to create the root with
 * the caller's own.
 */
const struct cred *ckpt_namespaces_root_cred(struct ckpt_ctx *ctx)
{
	return ctx->ns_data[CKPT_NS_user];
}

/**
 * ckpt_namespaces_clone_flags() - the namespaces the restored root needs
 * @ctx: restart context
 *
 * Return: CLONE_NEW* flags for the root.
 */
u64 ckpt_namespaces_clone_flags(struct ckpt_ctx *ctx)
{
	u64 flags = 0;
	int i;

	for (i = 0; i < CKPT_NS_NR; i++)
		if (ckpt_ns_own(ctx, i))
			flags |= ckpt_ns_kinds[i]->clone_flag;
	return flags;
}

/**
 * ckpt_enter_namespaces() - fill the root's new namespaces
 * @ctx: restart context
 *
 * Called by the restored root, in its own context, before it reads its
 * records: no task of the image runs yet, none is in the namespaces.
 *
 * Return: 0 or a negative error.
 */
int ckpt_enter_namespaces(struct ckpt_ctx *ctx)
{
	int i, late, ret = 0;

	/* Those with contents last: their records come after all the others' */
	for (late = 0; late < 2; late++)
		for (i = 0; !ret && i < CKPT_NS_NR; i++)
			if (ckpt_ns_own(ctx, i) && ckpt_ns_kinds[i]->enter &&
			    !ckpt_ns_kinds[i]->contents == !late)
				ret = ckpt_ns_kinds[i]->enter(ctx, ctx->ns_data[i]);
	return ret;
}

/**
 * ckpt_namespaces_finish() - the last step of each restored namespace
 * @ctx: restart context, every task asleep after reading its records
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_namespaces_finish(struct ckpt_ctx *ctx)
{
	int i, ret = 0;

	for (i = 0; !ret && i < CKPT_NS_NR; i++)
		if (ckpt_ns_own(ctx, i) && ckpt_ns_kinds[i]->finish)
			ret = ckpt_ns_kinds[i]->finish(ctx);
	return ret;
}

/**
 * ckpt_namespaces_free() - drop what ns.c kept in a context
 * @ctx: checkpoint or restart context
 */
void ckpt_namespaces_free(struct ckpt_ctx *ctx)
{
	int i;

	for (i = 0; i < CKPT_NS_NR; i++)
		if (ctx->ns_data[i] && ckpt_ns_kinds[i]->free)
			ckpt_ns_kinds[i]->free(ctx->ns_data[i]);
	if (ctx->nsproxy)
		put_nsproxy(ctx->nsproxy);
	put_user_ns(ctx->user_ns);
	path_put(&ctx->image_root);
}

/**
 * ckpt_clock_shifted() - move a saved host time to the new time namespace
 * @ctx: restart context
 * @clockid: the clock of @t
 * @t: an absolute time on the host's @clockid, saved at checkpoint (a
 *     sleep's or a timer's expiry)
 *
 * When the tasks were restored into a new time namespace, a time on the
 * host's CLOCK_MONOTONIC or CLOCK_BOOTTIME must move by as much as that
 * clock did between checkpoint and restart (backwards after a reboot), to
 * stay as far from the tasks' clocks.
 *
 * Return: @t moved, within 0..KTIME_MAX; @t itself for other clocks or
 * without a new time namespace.
 */
ktime_t ckpt_clock_shifted(struct ckpt_ctx *ctx, clockid_t clockid, ktime_t t)
{
	struct ckpt_timens_state *nsr = ctx->ns_data[CKPT_NS_time];
	s64 shift;
	ktime_t res;

	if (!nsr)
		return t;
	switch (clockid) {
	case CLOCK_MONOTONIC:
		shift = nsr->mono_shift;
		break;
	case CLOCK_BOOTTIME:
		shift = nsr->boot_shift;
		break;
	default:
		return t;
	}
	if (check_add_overflow(t, shift, &res))
		return shift < 0 ? 0 : KTIME_MAX;
	return max_t(ktime_t, res, 0);
}
