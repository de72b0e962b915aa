// SPDX-License-Identifier: GPL-2.0-only
/*
 * Credentials.  Ids are saved as seen from the checkpointing caller's user
 * namespace and mapped back through the restarting caller's.  A restart
 * never grants more than the caller could get by hand: ids need what
 * setresuid(2), setresgid(2) and setgroups(2) need, capabilities are
 * bounded as capset(2) bounds them and never exceed the caller's bounding
 * set.  CAP_CHECKPOINT_RESTORE grants none of this.
 */
#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/sched/user.h>
#include <linux/securebits.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "checkpoint.h"

static int ckpt_cred_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	const struct cred *c = ptr;
	struct user_namespace *ns = current_user_ns();
	struct group_info *gi = c->group_info;
	struct ckpt_cred rec = {};
	__le32 *groups;
	int i, ret;

	/* Ids as we see them; capabilities in the tasks' user namespace */
	if (c->user_ns != (ctx->user_ns ?: ns))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"credentials in another user namespace than the tasks' (not supported)");
	rec.objref = cpu_to_le32(objref);
	rec.uid = cpu_to_le32(from_kuid_munged(ns, c->uid));
	rec.euid = cpu_to_le32(from_kuid_munged(ns, c->euid));
	rec.suid = cpu_to_le32(from_kuid_munged(ns, c->suid));
	rec.fsuid = cpu_to_le32(from_kuid_munged(ns, c->fsuid));
	rec.gid = cpu_to_le32(from_kgid_munged(ns, c->gid));
	rec.egid = cpu_to_le32(from_kgid_munged(ns, c->egid));
	rec.sgid = cpu_to_le32(from_kgid_munged(ns, c->sgid));
	rec.fsgid = cpu_to_le32(from_kgid_munged(ns, c->fsgid));
	rec.securebits = cpu_to_le32(c->securebits);
	rec.cap_inheritable = cpu_to_le64(c->cap_inheritable.val);
	rec.cap_permitted = cpu_to_le64(c->cap_permitted.val);
	rec.cap_effective = cpu_to_le64(c->cap_effective.val);
	rec.cap_bset = cpu_to_le64(c->cap_bset.val);
	rec.cap_ambient = cpu_to_le64(c->cap_ambient.val);
	rec.ngroups = cpu_to_le32(gi->ngroups);

	groups = kvmalloc_array(gi->ngroups ?: 1, sizeof(*groups), GFP_KERNEL);
	if (!groups)
		return -ENOMEM;
	for (i = 0; i < gi->ngroups; i++)
		groups[i] = cpu_to_le32(from_kgid_munged(ns, gi->gid[i]));
	ret = ckpt_write_rec_var(ctx, CKPT_REC_CRED, &rec, sizeof(rec), groups,
				 gi->ngroups * sizeof(*groups));
	kvfree(groups);
	return ret;
}

/* The ids setresuid(2) lets a task without CAP_SETUID switch to */
static bool ckpt_uid_allowed(const struct cred *caller, kuid_t uid)
{
	return uid_eq(uid, caller->uid) || uid_eq(uid, caller->euid) ||
	       uid_eq(uid, caller->suid);
}

/* The same for setresgid(2): supplementary groups are not among them */
static bool ckpt_gid_allowed(const struct cred *caller, kgid_t gid)
{
	return gid_eq(gid, caller->gid) || gid_eq(gid, caller->egid) ||
	       gid_eq(gid, caller->sgid);
}

/*
 * What setresuid(2), setfsuid(2) and their gid twins would let the caller
 * switch to: its own ids, or any with CAP_SETUID (CAP_SETGID) in the user
 * namespace of the new credentials.
 */
static int ckpt_cred_check_ids(struct ckpt_ctx *ctx, const struct cred *new)
{
	const struct cred *caller = ctx->caller_cred;

	if (!ckpt_caller_capable(ctx, new->user_ns, CAP_SETUID) &&
	    (!ckpt_uid_allowed(caller, new->uid) ||
	     !ckpt_uid_allowed(caller, new->euid) ||
	     !ckpt_uid_allowed(caller, new->suid) ||
	     !(ckpt_uid_allowed(caller, new->fsuid) ||
	       uid_eq(new->fsuid, caller->fsuid))))
		return ckpt_err(ctx, -EPERM,
				"CRED: uids not among the caller's, which lacks CAP_SETUID");
	if (!ckpt_caller_capable(ctx, new->user_ns, CAP_SETGID) &&
	    (!ckpt_gid_allowed(caller, new->gid) ||
	     !ckpt_gid_allowed(caller, new->egid) ||
	     !ckpt_gid_allowed(caller, new->sgid) ||
	     !(ckpt_gid_allowed(caller, new->fsgid) ||
	       gid_eq(new->fsgid, caller->fsgid))))
		return ckpt_err(ctx, -EPERM,
				"CRED: gids not among the caller's, which lacks CAP_SETGID");
	return 0;
}

static bool ckpt_groups_equal(const struct group_info *a, const struct group_info *b)
{
	int i;

	if (a->ngroups != b->ngroups)
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (!gid_eq(a->gid[i], b->gid[i]))
			return false;
	return true;
}

/*
 * The supplementary groups of the image need what setgroups(2) needs.
 * Without it the task keeps the caller's, as a child of the caller would:
 * dropping one could lift a denial made through a group's permission bits.
 */
static void ckpt_cred_check_groups(struct ckpt_ctx *ctx, struct cred *new)
{
	struct group_info *mine = ctx->caller_cred->group_info;

	if (ckpt_caller_capable(ctx, new->user_ns, CAP_SETGID) &&
	    userns_may_setgroups(new->user_ns))
		return;
	if (!ckpt_groups_equal(new->group_info, mine))
		ckpt_log(ctx, "CRED: the caller's supplementary groups kept (no setgroups)");
	set_groups(new, mine);
}

/*
 * Capabilities as capset(2) bounds them: no permitted one the caller lacks,
 * no bounding set wider than the caller's, inheritable ones within the
 * caller's inheritable and permitted (bounding, with CAP_SETPCAP) sets.
 * In a user namespace that restart created for the caller, as the caller
 * could by unsharing one, any capability there.
 */
static int ckpt_cred_check_caps(struct ckpt_ctx *ctx, const struct cred *new)
{
	const struct cred *caller = ctx->caller_cred;
	kernel_cap_t inh;

	if (new->user_ns != caller->user_ns &&
	    new->user_ns->parent == caller->user_ns &&
	    uid_eq(new->user_ns->owner, caller->euid))
		return 0;
	inh = cap_combine(caller->cap_inheritable,
			  ckpt_caller_capable(ctx, caller->user_ns, CAP_SETPCAP) ?
			  caller->cap_bset : caller->cap_permitted);
	if (!cap_issubset(new->cap_permitted, caller->cap_permitted) ||
	    !cap_issubset(new->cap_bset, caller->cap_bset) ||
	    !cap_issubset(new->cap_inheritable, inh))
		return ckpt_err(ctx, -EPERM, "CRED: capabilities beyond the caller's");
	return 0;
}

/* prctl(PR_SET_SECUREBITS)'s rule: CAP_SETPCAP, and locked bits stay */
static int ckpt_cred_check_securebits(struct ckpt_ctx *ctx, const struct cred *new)
{
	unsigned int old = ctx->caller_cred->securebits, bits = new->securebits;

	if (bits == old)
		return 0;
	if ((((old & SECURE_ALL_LOCKS) >> 1) & (old ^ bits)) ||
	    (old & SECURE_ALL_LOCKS & ~bits) ||
	    !ckpt_caller_capable(ctx, new->user_ns, CAP_SETPCAP))
		return ckpt_err(ctx, -EPERM,
				"CRED: securebits the caller may not set (CAP_SETPCAP, locks)");
	return 0;
}

/*
 * May the caller give a task these credentials?  Whatever capability the
 * caller holds (CAP_CHECKPOINT_RESTORE included), what the syscalls that
 * set each part would need.
 */
static int ckpt_cred_bounded(struct ckpt_ctx *ctx, struct cred *new)
{
	int ret;

	ret = ckpt_cred_check_ids(ctx, new);
	if (!ret)
		ret = ckpt_cred_check_caps(ctx, new);
	if (!ret)
		ret = ckpt_cred_check_securebits(ctx, new);
	if (!ret)
		ckpt_cred_check_groups(ctx, new);
	return ret;
}

/*
 * Ids are the caller's view; the task may be in the tasks' new user
 * namespace (USERNS), which must map them too.
 */
static int ckpt_make_kuid(struct ckpt_ctx *ctx, __le32 v, kuid_t *uid)
{
	*uid = make_kuid(ctx->caller_cred->user_ns, le32_to_cpu(v));
	if (uid_valid(*uid) && kuid_has_mapping(current_user_ns(), *uid))
		return 0;
	return ckpt_err(ctx, -EINVAL, "CRED: uid %u is not mapped", le32_to_cpu(v));
}

static int ckpt_make_kgid(struct ckpt_ctx *ctx, __le32 v, kgid_t *gid)
{
	*gid = make_kgid(ctx->caller_cred->user_ns, le32_to_cpu(v));
	if (gid_valid(*gid) && kgid_has_mapping(current_user_ns(), *gid))
		return 0;
	return ckpt_err(ctx, -EINVAL, "CRED: gid %u is not mapped", le32_to_cpu(v));
}

static int ckpt_cred_fill(struct ckpt_ctx *ctx, struct cred *new,
			  const struct ckpt_cred *rec, u32 len)
{
	const __le32 *groups = (const __le32 *)(rec + 1);
	u32 ngroups = le32_to_cpu(rec->ngroups);
	struct group_info *gi;
	int i, ret;

	if (ngroups > NGROUPS_MAX ||
	    len != ALIGN(sizeof(*rec) + ngroups * sizeof(*groups), 8) || rec->__pad)
		return ckpt_err(ctx, -EINVAL, "CRED record is malformed");

	ret = ckpt_make_kuid(ctx, rec->uid, &new->uid) ?:
	      ckpt_make_kuid(ctx, rec->euid, &new->euid) ?:
	      ckpt_make_kuid(ctx, rec->suid, &new->suid) ?:
	      ckpt_make_kuid(ctx, rec->fsuid, &new->fsuid) ?:
	      ckpt_make_kgid(ctx, rec->gid, &new->gid) ?:
	      ckpt_make_kgid(ctx, rec->egid, &new->egid) ?:
	      ckpt_make_kgid(ctx, rec->sgid, &new->sgid) ?:
	      ckpt_make_kgid(ctx, rec->fsgid, &new->fsgid);
	if (ret)
		return ret;

	new->securebits = le32_to_cpu(rec->securebits);
	new->cap_inheritable.val = le64_to_cpu(rec->cap_inheritable);
	new->cap_permitted.val = le64_to_cpu(rec->cap_permitted);
	new->cap_effective.val = le64_to_cpu(rec->cap_effective);
	new->cap_bset.val = le64_to_cpu(rec->cap_bset);
	new->cap_ambient.val = le64_to_cpu(rec->cap_ambient);
	if (new->securebits & ~(SECURE_ALL_BITS | SECURE_ALL_LOCKS) ||
	    !cap_issubset(new->cap_effective, new->cap_permitted) ||
	    !cap_issubset(new->cap_ambient,
			  cap_intersect(new->cap_permitted, new->cap_inheritable)) ||
	    (new->cap_permitted.val | new->cap_bset.val) & ~CAP_VALID_MASK)
		return ckpt_err(ctx, -EINVAL, "CRED: inconsistent capability sets");

	gi = groups_alloc(ngroups);
	if (!gi)
		return -ENOMEM;
	for (i = 0; i < ngroups; i++) {
		ret = ckpt_make_kgid(ctx, groups[i], &gi->gid[i]);
		if (ret) {
			put_group_info(gi);
			return ret;
		}
	}
	groups_sort(gi);
	set_groups(new, gi);
	put_group_info(gi);
	return 0;
}

/* A new real uid is a new user_struct and ucounts, as setresuid() makes */
static int ckpt_cred_set_user(struct ckpt_ctx *ctx, struct cred *new)
{
	struct user_struct *user;

	if (!uid_eq(new->uid, new->user->uid)) {
		user = alloc_uid(new->uid);
		if (!user)
			return -EAGAIN;
		free_uid(new->user);
		new->user = user;
	}
	return set_cred_ucounts(new);
}

static void *ckpt_cred_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_cred *rec;
	struct cred *new;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_CRED, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;
	/* Starts as a copy of the caller's: same user ns, keys, LSM labels */
	new = prepare_creds();
	if (!new) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ckpt_cred_fill(ctx, new, rec, len);
	if (!ret)
		ret = ckpt_cred_bounded(ctx, new);
	if (!ret)
		ret = ckpt_cred_set_user(ctx, new);
	if (ret)
		abort_creds(new);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : new;
}

static void ckpt_cred_grab(void *ptr)
{
	get_cred(ptr);
}

static void ckpt_cred_drop(void *ptr)
{
	put_cred(ptr);
}

const struct ckpt_obj_ops ckpt_obj_cred_ops = {
	.name = "cred",
	.rec = CKPT_REC_CRED,
	.checkpoint = ckpt_cred_checkpoint,
	.restart = ckpt_cred_restart,
	.grab = ckpt_cred_grab,
	.drop = ckpt_cred_drop,
};
