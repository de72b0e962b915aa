// SPDX-License-Identifier: GPL-2.0-only
/*
 * A thread's scheduling across checkpoint and restart: the SCHED record,
 * a section of each task (task.c).
 *
 * Saved: the policy (SCHED_NORMAL, BATCH, IDLE, FIFO, RR) with its
 * real-time priority and SCHED_RESET_ON_FORK, the nice value (kept for a
 * real-time thread too, which gets it back if it leaves its policy), the
 * CPU affinity, the I/O priority as the thread set it (or none: it then
 * follows the nice value) and the timer slack.  A SCHED_DEADLINE thread's
 * parameters follow in a SCHED_DL record; as such a thread cannot fork,
 * restart gives it its policy once every task exists (ckpt_defer()), with
 * the caller's privileges.
 *
 * Restart sets them in the restored thread, as the thread would with the
 * restart caller's privileges: the nice value and the policy with
 * sched_setattr(2)'s checks (a higher priority needs CAP_SYS_NICE or room
 * under RLIMIT_NICE and RLIMIT_RTPRIO), the affinity with
 * sched_setaffinity(2) within the CPUs its cpuset allows (narrowed, and
 * logged, where it does not allow them all), the I/O priority with
 * ioprio_set(2)'s.
 */
#include <linux/checkpoint.h>
#include <linux/cpumask.h>
#include <linux/cpuset.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <linux/sched/prio.h>
#include <linux/sched/rt.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "checkpoint.h"

#define CKPT_SCHED_POLICIES	(BIT(SCHED_NORMAL) | BIT(SCHED_FIFO) | BIT(SCHED_RR) | \
				 BIT(SCHED_BATCH) | BIT(SCHED_IDLE) | BIT(SCHED_DEADLINE))

static_assert(CKPT_SCHED_DL_FLAGS == (SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN));

static bool ckpt_rt_policy(u32 policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static u32 ckpt_sched_mask_len(u32 nr_cpus)
{
	return DIV_ROUND_UP(nr_cpus, 64) * sizeof(__le64);
}

/* The I/O priority the thread set, IOPRIO_DEFAULT if none */
static u32 ckpt_task_ioprio(struct task_struct *t)
{
	u32 prio = IOPRIO_DEFAULT;

#ifdef CONFIG_BLOCK
	task_lock(t);
	if (t->io_context)
		prio = t->io_context->ioprio;
	task_unlock(t);
#endif
	return prio;
}

/* @t's CPUs that are active, as sched_getaffinity(2) reports them */
static void ckpt_task_cpus(struct task_struct *t, __le64 *mask)
{
	unsigned long flags;
	unsigned int cpu;

	raw_spin_lock_irqsave(&t->pi_lock, flags);
	for_each_cpu_and(cpu, &t->cpus_mask, cpu_active_mask)
		mask[cpu / 64] |= cpu_to_le64(BIT_ULL(cpu % 64));
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
}

/* The SCHED_DL record of a deadline thread */
static int ckpt_checkpoint_sched_dl(struct ckpt_ctx *ctx, struct task_struct *t, u32 policy)
{
	const struct sched_dl_entity *dl = &t->dl;
	struct ckpt_sched_dl rec = {};

	if (policy != SCHED_DEADLINE)
		return 0;
	/* As sched_getattr(2) reads them; the thread is frozen */
	rec.runtime_ns = cpu_to_le64(dl->dl_runtime);
	rec.deadline_ns = cpu_to_le64(dl->dl_deadline);
	rec.period_ns = cpu_to_le64(dl->dl_period);
	rec.flags = cpu_to_le32(dl->flags & CKPT_SCHED_DL_FLAGS);
	return ckpt_write_rec(ctx, CKPT_REC_SCHED_DL, &rec, sizeof(rec));
}

/**
 * ckpt_checkpoint_sched() - write the scheduling of a frozen thread
 * @ctx: checkpoint context
 * @t: the thread
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_sched(struct ckpt_ctx *ctx, struct task_struct *t)
{
	u32 policy = READ_ONCE(t->policy), len = ckpt_sched_mask_len(nr_cpu_ids);
	struct ckpt_sched rec = {};
	__le64 *mask;
	int ret;

	if (policy >= BITS_PER_LONG || !(BIT(policy) & CKPT_SCHED_POLICIES))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d has the scheduling policy %u (not supported yet)",
				task_pid_vnr(t), policy);
	mask = kzalloc(len, GFP_KERNEL);
	if (!mask)
		return -ENOMEM;
	ckpt_task_cpus(t, mask);
	rec.policy = cpu_to_le32(policy);
	rec.flags = cpu_to_le32(t->sched_reset_on_fork ? CKPT_SCHED_RESET_ON_FORK : 0);
	rec.nice = cpu_to_le32((u32)task_nice(t));
	rec.rt_priority = cpu_to_le32(READ_ONCE(t->rt_priority));
	rec.ioprio = cpu_to_le32(ckpt_task_ioprio(t));
	rec.nr_cpus = cpu_to_le32(nr_cpu_ids);
	rec.timer_slack_ns = cpu_to_le64(READ_ONCE(t->timer_slack_ns));
	ret = ckpt_write_rec_var(ctx, CKPT_REC_SCHED, &rec, sizeof(rec), mask, len);
	kfree(mask);
	return ret ?: ckpt_checkpoint_sched_dl(ctx, t, policy);
}

static bool ckpt_sched_rec_ok(const struct ckpt_sched *rec, u32 len)
{
	u32 policy = le32_to_cpu(rec->policy), prio = le32_to_cpu(rec->rt_priority);
	u32 nr = le32_to_cpu(rec->nr_cpus), ioprio = le32_to_cpu(rec->ioprio);
	s32 nice = (s32)le32_to_cpu(rec->nice);
	const __le64 *mask = (const void *)(rec + 1);
	bool rt = ckpt_rt_policy(policy);

	if (policy >= BITS_PER_LONG || !(BIT(policy) & CKPT_SCHED_POLICIES) ||
	    (rt ? prio < 1 || prio > MAX_RT_PRIO - 1 : prio) ||
	    nice < MIN_NICE || nice > MAX_NICE ||
	    le32_to_cpu(rec->flags) & ~CKPT_SCHED_RESET_ON_FORK ||
	    !nr || nr > CKPT_SCHED_MAX_CPUS || len != sizeof(*rec) + ckpt_sched_mask_len(nr) ||
	    IOPRIO_PRIO_CLASS(ioprio) > IOPRIO_CLASS_IDLE || ioprio & ~(IOPRIO_CLASS_MASK <<
	    IOPRIO_CLASS_SHIFT | IOPRIO_LEVEL_MASK))
		return false;
	/* No CPU past nr_cpus */
	return nr % 64 == 0 || !(le64_to_cpu(mask[nr / 64]) & ~(BIT_ULL(nr % 64) - 1));
}

struct ckpt_sched_dl_load {
	struct ckpt_deferred d;
	const struct ckpt_rtask *rt;
	struct sched_attr attr;
};

/* Once every task exists: the deadline policy, as the caller's sched_setattr(2) */
static int ckpt_sched_dl_run(struct ckpt_ctx *ctx, struct ckpt_deferred *d)
{
	struct ckpt_sched_dl_load *l = container_of(d, struct ckpt_sched_dl_load, d);
	int ret = sched_setattr(l->rt->task, &l->attr);

	if (ret == -EPERM)
		return ckpt_err(ctx, ret, "task %d: SCHED_DEADLINE needs CAP_SYS_NICE",
				l->rt->pid);
	if (ret)
		return ckpt_err(ctx, ret,
				"task %d: cannot set SCHED_DEADLINE (runtime %llu, deadline %llu, period %llu ns)",
				l->rt->pid, l->attr.sched_runtime, l->attr.sched_deadline,
				l->attr.sched_period);
	return 0;
}

static void ckpt_sched_dl_free(struct ckpt_deferred *d)
{
	kfree(container_of(d, struct ckpt_sched_dl_load, d));
}

/* The SCHED_DL record after a SCHED of policy SCHED_DEADLINE */
static int ckpt_restart_sched_dl(struct ckpt_ctx *ctx, struct ckpt_rtask *rt, u32 flags)
{
	struct ckpt_sched_dl_load *l;
	struct ckpt_sched_dl rec;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_SCHED_DL, &rec, sizeof(rec));
	if (ret)
		return ret;
	if (le32_to_cpu(rec.flags) & ~CKPT_SCHED_DL_FLAGS || rec.__pad)
		return ckpt_err(ctx, -EINVAL, "task %d: SCHED_DL record is malformed", rt->pid);
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->rt = rt;
	l->attr.size = sizeof(l->attr);
	l->attr.sched_policy = SCHED_DEADLINE;
	l->attr.sched_flags = le32_to_cpu(rec.flags) |
			      (flags & CKPT_SCHED_RESET_ON_FORK ? SCHED_FLAG_RESET_ON_FORK : 0);
	l->attr.sched_runtime = le64_to_cpu(rec.runtime_ns);
	l->attr.sched_deadline = le64_to_cpu(rec.deadline_ns);
	l->attr.sched_period = le64_to_cpu(rec.period_ns);
	l->d.run = ckpt_sched_dl_run;
	l->d.free = ckpt_sched_dl_free;
	ckpt_defer(ctx, &l->d);
	return 0;
}

/* The nice value, then the policy: each as sched_setattr(2) would */
static int ckpt_sched_set_policy(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				 const struct ckpt_sched *rec)
{
	u32 policy = le32_to_cpu(rec->policy);
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = ckpt_rt_policy(policy) || policy == SCHED_DEADLINE ?
				SCHED_NORMAL : policy,
		.sched_nice = (s32)le32_to_cpu(rec->nice),
	};
	int ret;

	if (attr.sched_policy == policy && le32_to_cpu(rec->flags) & CKPT_SCHED_RESET_ON_FORK)
		attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	ret = sched_setattr(current, &attr);
	if (!ret && ckpt_rt_policy(policy)) {
		attr.sched_policy = policy;
		attr.sched_priority = le32_to_cpu(rec->rt_priority);
		if (le32_to_cpu(rec->flags) & CKPT_SCHED_RESET_ON_FORK)
			attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
		ret = sched_setattr(current, &attr);
	}
	if (ret == -EPERM)
		return ckpt_err(ctx, ret,
				"task %d: policy %u, priority %u, nice %d need CAP_SYS_NICE or a higher RLIMIT_RTPRIO or RLIMIT_NICE",
				rt->pid, policy, le32_to_cpu(rec->rt_priority),
				(s32)le32_to_cpu(rec->nice));
	return ret ? ckpt_err(ctx, ret, "task %d: cannot set its scheduling", rt->pid) : 0;
}

/*
 * The saved CPUs that the task's cpuset allows, as sched_setaffinity(2)
 * would set them: not only those of the task that created it, which may
 * have fewer.
 */
static int ckpt_sched_set_cpus(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			       const struct ckpt_sched *rec)
{
	u32 nr = min(le32_to_cpu(rec->nr_cpus), nr_cpu_ids), cpu;
	const __le64 *mask = (const void *)(rec + 1);
	cpumask_var_t want, allowed;
	int ret = 0;

	if (!zalloc_cpumask_var(&want, GFP_KERNEL))
		return -ENOMEM;
	if (!alloc_cpumask_var(&allowed, GFP_KERNEL)) {
		free_cpumask_var(want);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < nr; cpu++)
		if (le64_to_cpu(mask[cpu / 64]) & BIT_ULL(cpu % 64))
			cpumask_set_cpu(cpu, want);
	if (cpumask_equal(want, current->cpus_ptr))
		goto out;
	cpuset_cpus_allowed(current, allowed);
	if (!cpumask_subset(want, allowed))
		ckpt_log(ctx, "task %d: its CPUs narrowed to those restart may use", rt->pid);
	cpumask_and(want, want, allowed);
	if (cpumask_empty(want))
		ckpt_log(ctx, "task %d: none of its CPUs is usable here: it keeps restart's",
			 rt->pid);
	else
		ret = sched_setaffinity(0, want);
	if (ret)
		ckpt_err(ctx, ret, "task %d: cannot set its CPU affinity", rt->pid);
out:
	free_cpumask_var(allowed);
	free_cpumask_var(want);
	return ret;
}

/* As ioprio_set(2); without a block layer there is none to set */
static int ckpt_sched_set_ioprio(struct ckpt_ctx *ctx, struct ckpt_rtask *rt, u32 ioprio)
{
	int ret;

	if (ioprio == ckpt_task_ioprio(current))
		return 0;
	if (!IS_ENABLED(CONFIG_BLOCK)) {
		ckpt_log(ctx, "task %d: its I/O priority is dropped (no block layer)", rt->pid);
		return 0;
	}
	ret = ioprio_check_cap(ioprio) ?: set_task_ioprio(current, ioprio);
	return ret ? ckpt_err(ctx, ret, "task %d: cannot set its I/O priority %#x", rt->pid,
			      ioprio) : 0;
}

/**
 * ckpt_restart_sched() - restore the scheduling of current, if saved
 * @ctx: restart context
 * @rt: the thread being restored (current)
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_sched(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct ckpt_sched *rec;
	u32 len;
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret != CKPT_REC_SCHED)
		return ret < 0 ? ret : 0;
	rec = ckpt_read_rec_var(ctx, CKPT_REC_SCHED, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!ckpt_sched_rec_ok(rec, len)) {
		kvfree(rec);
		return ckpt_err(ctx, -EINVAL, "task %d: SCHED record is malformed", rt->pid);
	}
	/* Before the policy: a real-time thread has none (PR_SET_TIMERSLACK) */
	if (!ckpt_rt_policy(le32_to_cpu(rec->policy)) && rec->timer_slack_ns)
		current->timer_slack_ns = le64_to_cpu(rec->timer_slack_ns);
	ret = ckpt_sched_set_ioprio(ctx, rt, le32_to_cpu(rec->ioprio)) ?:
	      ckpt_sched_set_cpus(ctx, rt, rec) ?:
	      ckpt_sched_set_policy(ctx, rt, rec);
	if (!ret && le32_to_cpu(rec->policy) == SCHED_DEADLINE)
		ret = ckpt_restart_sched_dl(ctx, rt, le32_to_cpu(rec->flags));
	kvfree(rec);
	return ret;
}
