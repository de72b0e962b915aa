// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signal state: the handler table (a shared sighand_struct object) and the
 * queues of pending signals, private and thread-group wide.
 */
#include <linux/checkpoint.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>

#include "checkpoint.h"
#include "signal.h"

/* ---- handlers ---- */

static int ckpt_sighand_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct sighand_struct *sighand = ptr;
	struct ckpt_sighand *rec;
	int i, ret;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	rec->objref = cpu_to_le32(objref);
	rec->nr = cpu_to_le32(_NSIG);
	spin_lock_irq(&sighand->siglock);
	for (i = 0; i < _NSIG; i++) {
		struct sigaction *sa = &sighand->action[i].sa;

		rec->action[i].handler = cpu_to_le64((unsigned long)sa->sa_handler);
		rec->action[i].flags = cpu_to_le64(sa->sa_flags);
		rec->action[i].restorer = cpu_to_le64((unsigned long)sa->sa_restorer);
		rec->action[i].mask = cpu_to_le64(sa->sa_mask.sig[0]);
	}
	spin_unlock_irq(&sighand->siglock);
	ret = ckpt_write_rec(ctx, CKPT_REC_SIGHAND, rec, sizeof(*rec));
	kfree(rec);
	return ret;
}

static void *ckpt_sighand_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_sighand *rec;
	int sig, ret;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return ERR_PTR(-ENOMEM);
	ret = ckpt_read_rec(ctx, CKPT_REC_SIGHAND, rec, sizeof(*rec));
	if (!ret)
		ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (!ret && le32_to_cpu(rec->nr) != _NSIG)
		ret = ckpt_err(ctx, -EINVAL, "SIGHAND has %u entries, expected %d",
			       le32_to_cpu(rec->nr), _NSIG);
	for (sig = 1; !ret && sig <= _NSIG; sig++) {
		struct ckpt_sigaction *a = &rec->action[sig - 1];
		struct k_sigaction ka = {};
		u64 flags = le64_to_cpu(a->flags);

		if (flags & ~(u64)UAPI_SA_FLAGS) {
			ret = ckpt_err(ctx, -EINVAL, "signal %d: unknown sa_flags %#llx",
				       sig, flags);
			break;
		}
		if (sig_kernel_only(sig)) {
			if (a->handler || a->flags || a->restorer || a->mask)
				ret = ckpt_err(ctx, -EINVAL, "signal %d cannot have a handler",
					       sig);
			continue;
		}
		ka.sa.sa_handler = (__sighandler_t)u64_to_user_ptr(le64_to_cpu(a->handler));
		ka.sa.sa_flags = flags;
		ka.sa.sa_restorer = (__sigrestore_t)u64_to_user_ptr(le64_to_cpu(a->restorer));
		ka.sa.sa_mask.sig[0] = le64_to_cpu(a->mask);
		ret = do_sigaction(sig, &ka, NULL);
		if (ret)
			ckpt_err(ctx, ret, "signal %d: cannot restore its handler", sig);
	}
	kfree(rec);
	if (ret)
		return ERR_PTR(ret);
	refcount_inc(&ckpt_sighand(current)->count);
	return ckpt_sighand(current);
}

static void ckpt_sighand_grab(void *ptr)
{
	refcount_inc(&((struct sighand_struct *)ptr)->count);
}

static void ckpt_sighand_drop(void *ptr)
{
	__cleanup_sighand(ptr);
}

const struct ckpt_obj_ops ckpt_obj_sighand_ops = {
	.name = "sighand",
	.rec = CKPT_REC_SIGHAND,
	.checkpoint = ckpt_sighand_checkpoint,
	.restart = ckpt_sighand_restart,
	.grab = ckpt_sighand_grab,
	.drop = ckpt_sighand_drop,
};

/* ---- pending signals ---- */

static unsigned int ckpt_count_pending(struct sigpending *pending)
{
	struct sigqueue *q;
	unsigned int nr = 0;
	sigset_t rest = pending->signal;

	list_for_each_entry(q, &pending->list, list) {
		nr++;
		sigdelset(&rest, q->info.si_signo);
	}
	return nr + hweight64(rest.sig[0]);
}

/* Copy the queue of @pending, oldest first; signals without a queue entry last */
static unsigned int ckpt_copy_pending(struct sigpending *pending, siginfo_t *out,
				      unsigned int max)
{
	struct sigqueue *q;
	unsigned int nr = 0;
	sigset_t rest = pending->signal;
	int sig;

	list_for_each_entry(q, &pending->list, list) {
		if (nr == max)
			return nr;
		copy_siginfo_to_external(&out[nr++], &q->info);
		sigdelset(&rest, q->info.si_signo);
	}
	for (sig = 1; sig <= _NSIG && nr < max; sig++) {
		if (!sigismember(&rest, sig))
			continue;
		/* What collect_signal() makes up for such a signal */
		memset(&out[nr], 0, sizeof(out[nr]));
		out[nr].si_signo = sig;
		out[nr].si_code = SI_USER;
		nr++;
	}
	return nr;
}

static int ckpt_write_sigpending(struct ckpt_ctx *ctx, struct task_struct *t,
				 struct sigpending *pending, bool shared)
{
	struct ckpt_sigpending rec = { .shared = cpu_to_le32(shared) };
	struct sighand_struct *sighand;
	unsigned int nr, max;
	unsigned long flags;
	siginfo_t *infos;
	int ret;

	/*
	 * Signals can still arrive while the task is frozen: size, then
	 * copy.  It can also be killed, and its signal state then goes.
	 */
	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		goto killed;
	max = ckpt_count_pending(pending) + 8;
	spin_unlock_irqrestore(&sighand->siglock, flags);
	infos = kvcalloc(max, sizeof(*infos), GFP_KERNEL);
	if (!infos)
		return -ENOMEM;
	sighand = lock_task_sighand(t, &flags);
	if (!sighand) {
		kvfree(infos);
		goto killed;
	}
	nr = ckpt_copy_pending(pending, infos, max);
	spin_unlock_irqrestore(&sighand->siglock, flags);

	/* An empty queue has no record */
	rec.nr = cpu_to_le32(nr);
	ret = !nr ? 0 : ckpt_write_rec_var(ctx, CKPT_REC_SIGPENDING, &rec, sizeof(rec),
					   infos, nr * sizeof(*infos));
	kvfree(infos);
	return ret;
killed:
	return ckpt_err(ctx, -ESRCH, "task %d was killed during checkpoint",
			task_pid_vnr(t));
}

/**
 * ckpt_checkpoint_sigpending() - write the pending signals of a task
 * @ctx: checkpoint context
 * @t: the frozen task
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_sigpending(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct sigpending none = { .list = LIST_HEAD_INIT(none.list) };
	int ret;

	/* The thread group's queue is written once, with its leader */
	ret = ckpt_write_sigpending(ctx, t, &t->pending, false);
	if (!ret)
		ret = ckpt_write_sigpending(ctx, t, thread_group_leader(t) ?
					    &t->signal->shared_pending : &none, true);
	return ret;
}

/* Read a SIGPENDING record of the task's queue (0) or the group's (1) */
static struct ckpt_sigpending *ckpt_read_sigpending(struct ckpt_ctx *ctx,
						    u32 min_shared)
{
	struct ckpt_sigpending *rec;
	siginfo_t *infos;
	unsigned int i, nr;
	u32 len;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_SIGPENDING, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	nr = le32_to_cpu(rec->nr);
	if (le32_to_cpu(rec->shared) < min_shared || le32_to_cpu(rec->shared) > 1 ||
	    len != sizeof(*rec) + (size_t)nr * sizeof(siginfo_t)) {
		ckpt_err(ctx, -EINVAL, "SIGPENDING record is malformed");
		goto bad;
	}
	infos = (siginfo_t *)(rec + 1);
	for (i = 0; i < nr; i++) {
		if (!valid_signal(infos[i].si_signo) || !infos[i].si_signo) {
			ckpt_err(ctx, -EINVAL, "pending signal %d is invalid",
				 infos[i].si_signo);
			goto bad;
		}
	}
	return rec;
bad:
	kvfree(rec);
	return ERR_PTR(-EINVAL);
}

/**
 * ckpt_restart_sigpending() - read the pending signals of a task
 * @ctx: restart context
 * @q: where to keep them until the task is let go
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_sigpending(struct ckpt_ctx *ctx, struct ckpt_sigqueue *q)
{
	struct ckpt_sigpending *rec[2] = {}, *r;
	unsigned int i, j, nr = 0;
	u32 next = 0;
	int ret = 0;

	/* The task's queue, then the group's; each only if not empty */
	while (next < 2 && (ret = ckpt_peek_rec(ctx)) == CKPT_REC_SIGPENDING) {
		r = ckpt_read_sigpending(ctx, next);
		if (IS_ERR(r)) {
			ret = PTR_ERR(r);
			goto out;
		}
		next = le32_to_cpu(r->shared);
		rec[next++] = r;
		nr += le32_to_cpu(r->nr);
	}
	if (ret < 0)
		goto out;
	ret = 0;
	q->info = kvcalloc(nr, sizeof(*q->info), GFP_KERNEL);
	q->shared = kvcalloc(nr, sizeof(*q->shared), GFP_KERNEL);
	if (nr && (!q->info || !q->shared)) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		siginfo_t *infos;

		if (!rec[i])
			continue;
		infos = (siginfo_t *)(rec[i] + 1);
		for (j = 0; j < le32_to_cpu(rec[i]->nr); j++) {
			memcpy(&q->info[q->nr], &infos[j], sizeof(*q->info));
			q->shared[q->nr++] = i;
		}
	}
out:
	kvfree(rec[0]);
	kvfree(rec[1]);
	return ret;
}

/**
 * ckpt_sigqueue_post() - queue restored pending signals on current
 * @q: the signals, oldest first
 */
void ckpt_sigqueue_post(struct ckpt_sigqueue *q)
{
	unsigned int i;

	spin_lock_irq(&ckpt_sighand(current)->siglock);
	for (i = 0; i < q->nr; i++)
		send_signal_locked(q->info[i].si_signo, &q->info[i], current,
				   q->shared[i] ? PIDTYPE_TGID : PIDTYPE_PID);
	spin_unlock_irq(&ckpt_sighand(current)->siglock);
}

/**
 * ckpt_sigqueue_free() - free restored pending signals
 * @q: the signals
 */
void ckpt_sigqueue_free(struct ckpt_sigqueue *q)
{
	kvfree(q->info);
	kvfree(q->shared);
	q->info = NULL;
	q->shared = NULL;
	q->nr = 0;
}

/* ---- alternate signal stack ---- */

/**
 * ckpt_checkpoint_sigaltstack() - write the alternate signal stack of a task
 * @ctx: checkpoint context
 * @t: the frozen task
 *
 * A task without one (or whose stack is disarmed while a handler runs on
 * it with SS_AUTODISARM: sigreturn rearms it from the signal frame) has no
 * SIGALTSTACK record.  Without one may also mean a size of 0 with no
 * flags, the state of init_task that fork() passes on: sigaltstack(2)
 * reports SS_DISABLE for it.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_sigaltstack(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_sigaltstack rec = {};

	/* Only the task itself changes them, and it is frozen */
	if ((t->sas_ss_flags & SS_DISABLE) || !t->sas_ss_size)
		return 0;
	rec.sp = cpu_to_le64(t->sas_ss_sp);
	rec.size = cpu_to_le64(t->sas_ss_size);
	rec.flags = cpu_to_le32(t->sas_ss_flags);
	return ckpt_write_rec(ctx, CKPT_REC_SIGALTSTACK, &rec, sizeof(rec));
}

/**
 * ckpt_restart_sigaltstack() - restore the alternate signal stack of current
 * @ctx: restart context
 * @rt: the task being restored (current)
 *
 * Reads the task's SIGALTSTACK record if there is one; without one, the
 * task has no alternate stack (not even one inherited from the task that
 * created it).  The checks are those of sigaltstack(2).
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_sigaltstack(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct ckpt_sigaltstack rec;
	u32 flags, mode;
	u64 sp, size;
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret < 0)
		return ret;
	if (ret != CKPT_REC_SIGALTSTACK) {
		spin_lock_irq(&ckpt_sighand(current)->siglock);
		sas_ss_reset(current);
		spin_unlock_irq(&ckpt_sighand(current)->siglock);
		return 0;
	}
	ret = ckpt_read_rec(ctx, CKPT_REC_SIGALTSTACK, &rec, sizeof(rec));
	if (ret)
		return ret;
	sp = le64_to_cpu(rec.sp);
	size = le64_to_cpu(rec.size);
	flags = le32_to_cpu(rec.flags);
	mode = flags & ~SS_FLAG_BITS;
	if ((mode != 0 && mode != SS_ONSTACK) || rec.__pad ||
	    size < MINSIGSTKSZ || size > TASK_SIZE_MAX || sp > TASK_SIZE_MAX - size)
		return ckpt_err(ctx, -EINVAL,
				"task %d: invalid alternate signal stack (%#llx, %llu bytes, flags %#x)",
				rt->pid, sp, size, flags);
	spin_lock_irq(&ckpt_sighand(current)->siglock);
	current->sas_ss_sp = sp;
	current->sas_ss_size = size;
	current->sas_ss_flags = flags;
	spin_unlock_irq(&ckpt_sighand(current)->siglock);
	return 0;
}
