// SPDX-License-Identifier: GPL-2.0-only
/*
 * Timers of a process: the interval timers of setitimer(2) and alarm(2),
 * and POSIX timers (timer_create(2)); and the CPU time it has used.
 *
 * They are saved as durations (time left, reload value), not as absolute
 * expiry times, and restart arms them relative to the moment the restored
 * tasks resume: the image may be restored on another boot, where the
 * clocks have nothing in common with the checkpointing system's.
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time, which
 * starts again from that of the new process.
 *
 * POSIX timers keep their ids, clock, notification, overrun count and
 * setting.  A timer that signals one thread (SIGEV_THREAD_ID) is saved
 * with that thread and recreated by it, so that it exists when the timer
 * is; the others are the leader's.  Timers on CPU-time clocks and alarm
 * clocks are not supported yet: a process that has one cannot be
 * checkpointed.
 *
 * The CPU time of a process is added to the totals of the restored one,
 * so that its clock, times(2) and getrusage(2) go on; the per-thread
 * counters belong to the scheduler and start again from zero.
 */
#include <linux/checkpoint.h>
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/time.h>

#include "../time/posix-timers.h"
#include "checkpoint.h"
#include "signal.h"

static const char *const ckpt_itimer_names[CKPT_NR_ITIMERS] = {
	[CKPT_ITIMER_REAL] = "ITIMER_REAL",
	[CKPT_ITIMER_VIRTUAL] = "ITIMER_VIRTUAL",
	[CKPT_ITIMER_PROF] = "ITIMER_PROF",
};

/* The CPU clock of the process an ITIMERS entry counts */
static unsigned int ckpt_itimer_clock(unsigned int i)
{
	return i == CKPT_ITIMER_VIRTUAL ? CPUCLOCK_VIRT : CPUCLOCK_PROF;
}

/* A frozen task can still be killed: its signal state is then gone */
static int ckpt_killed(struct ckpt_ctx *ctx, struct task_struct *t)
{
	return ckpt_err(ctx, -ESRCH, "task %d was killed during checkpoint",
			task_pid_vnr(t));
}

/*
 * Time left and reload value of the interval timers of a frozen process:
 * 1 if one is set, 0 if none, -ESRCH if the process was killed meanwhile.
 */
static int ckpt_get_itimers(struct task_struct *t, struct ckpt_itimers *rec)
{
	struct signal_struct *sig = t->signal;
	struct sighand_struct *sighand;
	u64 samples[CPUCLOCK_MAX];
	unsigned long flags;
	bool armed = false;
	unsigned int i;
	ktime_t rem;

	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return -ESRCH;
	/*
	 * An inactive timer with an interval fired and its SIGALRM is
	 * pending: dequeuing it rearms the timer, after restart as well.
	 */
	rem = 0;
	if (hrtimer_active(&sig->real_timer))
		rem = max_t(ktime_t, hrtimer_get_remaining(&sig->real_timer), 1);
	rec->it[CKPT_ITIMER_REAL].value_ns = cpu_to_le64(rem);
	rec->it[CKPT_ITIMER_REAL].interval_ns = cpu_to_le64(sig->it_real_incr);
	armed = rem || sig->it_real_incr;

	for (i = CKPT_ITIMER_VIRTUAL; i <= CKPT_ITIMER_PROF; i++) {
		unsigned int clk = ckpt_itimer_clock(i);
		struct cpu_itimer *it = &sig->it[clk];
		u64 val = it->expires;

		/* As getitimer(): an armed timer keeps the group's clock running */
		if (val) {
			thread_group_sample_cputime(t, samples);
			/* Already due: it fires at the next tick */
			val = val > samples[clk] ? val - samples[clk] : TICK_NSEC;
		}
		rec->it[i].value_ns = cpu_to_le64(val);
		rec->it[i].interval_ns = cpu_to_le64(it->incr);
		armed |= val || it->incr;
	}
	spin_unlock_irqrestore(&sighand->siglock, flags);
	return armed;
}

/* ---- POSIX timers ---- */

static bool ckpt_posix_clock_ok(clockid_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		return true;
	default:
		return false;
	}
}

static bool ckpt_posix_notify_ok(u32 notify)
{
	switch (notify) {
	case SIGEV_SIGNAL:
	case SIGEV_NONE:
	case SIGEV_THREAD:
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		return true;
	default:
		return false;
	}
}

/**
 * struct ckpt_posix_snap - a POSIX timer as checkpoint found it
 * @rec: its image entry
 * @mine: it is saved with the task being written
 * @target_ok: SIGEV_THREAD_ID: it signals a live thread of the process
 */
struct ckpt_posix_snap {
	struct ckpt_posix_timer rec;
	bool mine;
	bool target_ok;
};

/*
 * Fill @snap from @timr, unless it was deleted: a frozen process may
 * still be killed, and its last thread deletes its timers.  The timer's
 * memory is freed after a grace period; it_signal is cleared under
 * it_lock before anything else is freed.
 */
static bool ckpt_snap_posix_timer(struct k_itimer *timr, struct task_struct *t,
				  struct ckpt_posix_snap *snap)
{
	struct itimerspec64 cur = {};
	struct task_struct *target;
	unsigned long flags;
	bool alive;

	spin_lock_irqsave(&timr->it_lock, flags);
	alive = READ_ONCE(timr->it_signal) == t->signal;
	if (alive) {
		snap->rec.id = cpu_to_le32(timr->it_id);
		snap->rec.clockid = cpu_to_le32(timr->it_clock);
		snap->rec.notify = cpu_to_le32(timr->it_sigev_notify);
		snap->rec.signo = cpu_to_le32(timr->sigq->info.si_signo);
		snap->rec.sigev_value =
			cpu_to_le64((unsigned long)timr->sigq->info.si_value.sival_ptr);
		/* What timer_gettime(2) says: a due timer has 1 ns left */
		if (ckpt_posix_clock_ok(timr->it_clock))
			timr->kclock->timer_get(timr, &cur);
		snap->rec.value_ns = cpu_to_le64(timespec64_to_ns(&cur.it_value));
		snap->rec.interval_ns = cpu_to_le64(ktime_to_ns(timr->it_interval));
		snap->rec.overrun = cpu_to_le32(clamp_t(s64, timr->it_overrun_last,
							0, INT_MAX));
		if (timr->it_sigev_notify & SIGEV_THREAD_ID) {
			target = pid_task(timr->it_pid, PIDTYPE_PID);
			snap->mine = target == t;
			snap->target_ok = target && same_thread_group(target, t) &&
					  !target->exit_state && !(target->flags & PF_EXITING);
		} else {
			snap->mine = thread_group_leader(t);
			snap->target_ok = true;
		}
	}
	spin_unlock_irqrestore(&timr->it_lock, flags);
	return alive;
}

/*
 * The POSIX timers of the process of the frozen task @t.  Only its
 * threads create them: the number can only go down meanwhile.
 */
static struct ckpt_posix_snap *ckpt_snap_posix_timers(struct task_struct *t,
						      unsigned int *nr)
{
	struct ckpt_posix_snap *snaps;
	struct k_itimer *timr, **timers;
	struct sighand_struct *sighand;
	unsigned int max = 0, n = 0, i;
	unsigned long flags;

	*nr = 0;
	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return ERR_PTR(-ESRCH);
	hlist_for_each_entry(timr, &t->signal->posix_timers, list)
		max++;
	spin_unlock_irqrestore(&sighand->siglock, flags);
	if (!max)
		return NULL;
	snaps = kvcalloc(max, sizeof(*snaps), GFP_KERNEL);
	timers = kvcalloc(max, sizeof(*timers), GFP_KERNEL);
	if (!snaps || !timers) {
		kvfree(snaps);
		kvfree(timers);
		return ERR_PTR(-ENOMEM);
	}
	rcu_read_lock();
	/* exit_itimers() takes the list away under siglock */
	sighand = lock_task_sighand(t, &flags);
	if (!sighand) {
		rcu_read_unlock();
		kvfree(snaps);
		kvfree(timers);
		return ERR_PTR(-ESRCH);
	}
	hlist_for_each_entry(timr, &t->signal->posix_timers, list) {
		if (n == max)
			break;
		timers[n++] = timr;
	}
	spin_unlock_irqrestore(&sighand->siglock, flags);
	for (i = 0; i < n; i++)
		*nr += ckpt_snap_posix_timer(timers[i], t, &snaps[*nr]);
	rcu_read_unlock();
	kvfree(timers);
	return snaps;
}

/* Can every POSIX timer of the process be saved?  Checked with its leader */
static int ckpt_check_posix_timers(struct ckpt_ctx *ctx, struct task_struct *t,
				   const struct ckpt_posix_snap *snaps,
				   unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct ckpt_posix_timer *p = &snaps[i].rec;
		s32 clock = le32_to_cpu(p->clockid);
		u32 id = le32_to_cpu(p->id);

		if (clock < 0)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d: POSIX timer %u on a CPU-time clock (not supported yet)",
					task_pid_vnr(t), id);
		if (!ckpt_posix_clock_ok(clock))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d: POSIX timer %u on clock %d (not supported yet)",
					task_pid_vnr(t), id, clock);
		if (!ckpt_posix_notify_ok(le32_to_cpu(p->notify)))
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d: POSIX timer %u has notification %#x",
					task_pid_vnr(t), id, le32_to_cpu(p->notify));
		if (!snaps[i].target_ok)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d: POSIX timer %u signals a thread that has exited (not supported yet)",
					task_pid_vnr(t), id);
	}
	return 0;
}

static int ckpt_posix_timer_cmp(const void *a, const void *b)
{
	u32 x = le32_to_cpu(((const struct ckpt_posix_timer *)a)->id);
	u32 y = le32_to_cpu(((const struct ckpt_posix_timer *)b)->id);

	return x < y ? -1 : x > y;
}

/*
 * The POSIX_TIMERS record of @t: the timers that signal it, and for a
 * leader those that signal the process.  Written if there are any, or
 * for a leader whose next id is not 0.
 */
static int ckpt_write_posix_timers(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_posix_timers rec = {};
	struct ckpt_posix_timer *timers = NULL;
	struct ckpt_posix_snap *snaps;
	unsigned int nr, mine = 0, i;
	int ret = 0;

	snaps = ckpt_snap_posix_timers(t, &nr);
	if (PTR_ERR_OR_ZERO(snaps) == -ESRCH)
		return ckpt_killed(ctx, t);
	if (IS_ERR(snaps))
		return PTR_ERR(snaps);
	if (thread_group_leader(t)) {
		ret = ckpt_check_posix_timers(ctx, t, snaps, nr);
		rec.next_id = cpu_to_le32(READ_ONCE(t->signal->next_posix_timer_id));
	}
	for (i = 0; i < nr; i++)
		mine += snaps[i].mine;
	if (ret || (!mine && !rec.next_id))
		goto out;
	timers = kvcalloc(mine, sizeof(*timers), GFP_KERNEL);
	if (mine && !timers) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0, mine = 0; i < nr; i++)
		if (snaps[i].mine)
			timers[mine++] = snaps[i].rec;
	sort(timers, mine, sizeof(*timers), ckpt_posix_timer_cmp, NULL);
	rec.nr = cpu_to_le32(mine);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_POSIX_TIMERS, &rec, sizeof(rec),
				 timers, mine * sizeof(*timers));
out:
	kvfree(timers);
	kvfree(snaps);
	return ret;
}

/* ---- CPU time used ---- */

static int ckpt_write_cputime(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_cputime rec = {};
	struct sighand_struct *sighand;
	struct task_cputime times;
	unsigned long flags;
	u64 cutime, cstime;

	/* All its threads are frozen: the sums do not move */
	thread_group_cputime(t, &times);
	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return ckpt_killed(ctx, t);
	cutime = t->signal->cutime;
	cstime = t->signal->cstime;
	spin_unlock_irqrestore(&sighand->siglock, flags);
	if (!times.sum_exec_runtime && !times.utime && !times.stime &&
	    !cutime && !cstime)
		return 0;
	rec.sum_exec_ns = cpu_to_le64(times.sum_exec_runtime);
	rec.utime_ns = cpu_to_le64(times.utime);
	rec.stime_ns = cpu_to_le64(times.stime);
	rec.cutime_ns = cpu_to_le64(cutime);
	rec.cstime_ns = cpu_to_le64(cstime);
	return ckpt_write_rec(ctx, CKPT_REC_CPUTIME, &rec, sizeof(rec));
}

/* The CPU time of a thread, part of its process's CPUTIME */
static int ckpt_write_thread_cputime(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_thread_cputime rec = {};
	u64 sum_exec, utime, stime;

	/* Frozen: its runtime does not move */
	sum_exec = task_sched_runtime(t);
	task_cputime(t, &utime, &stime);
	if (!sum_exec && !utime && !stime)
		return 0;
	rec.sum_exec_ns = cpu_to_le64(sum_exec);
	rec.utime_ns = cpu_to_le64(utime);
	rec.stime_ns = cpu_to_le64(stime);
	return ckpt_write_rec(ctx, CKPT_REC_THREAD_CPUTIME, &rec, sizeof(rec));
}

/*
 * Add the CPU time of the image to the process's: to the totals of its
 * exited threads, which only the exit of a thread updates, under the same
 * locks.  The part of it that its live threads had used is moved to them
 * by ckpt_timers_set_cputime() once every thread has been read.  Before
 * the CPU-time timers are armed, which sample these totals.
 */
static int ckpt_restart_cputime(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct signal_struct *sig = current->signal;
	struct ckpt_cputime rec;
	u64 v[5];
	int i, ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_CPUTIME, &rec, sizeof(rec));
	if (ret)
		return ret;
	v[0] = le64_to_cpu(rec.sum_exec_ns);
	v[1] = le64_to_cpu(rec.utime_ns);
	v[2] = le64_to_cpu(rec.stime_ns);
	v[3] = le64_to_cpu(rec.cutime_ns);
	v[4] = le64_to_cpu(rec.cstime_ns);
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] > KTIME_MAX / 2)
			ret = -EINVAL;
	if (ret || rt->pid != rt->tgid)
		return ckpt_err(ctx, -EINVAL, "task %d: invalid CPUTIME record", rt->pid);
	spin_lock_irq(&ckpt_sighand(current)->siglock);
	write_seqlock(&sig->stats_lock);
	sig->sum_sched_runtime += v[0];
	sig->utime += v[1];
	sig->stime += v[2];
	write_sequnlock(&sig->stats_lock);
	sig->cutime += v[3];
	sig->cstime += v[4];
	spin_unlock_irq(&ckpt_sighand(current)->siglock);
	return 0;
}

/**
 * ckpt_checkpoint_timers() - write the timers of a task
 * @ctx: checkpoint context
 * @t: the frozen task
 *
 * Writes, for a leader, an ITIMERS record if an interval timer is set;
 * then a POSIX_TIMERS record with the task's POSIX timers, if any; then
 * the CPU time the task has used, if any; then, for a leader, the CPU
 * time its process has used.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_timers(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_itimers rec = {};
	int ret = 0;

	if (thread_group_leader(t)) {
		ret = ckpt_get_itimers(t, &rec);
		if (ret < 0)
			return ckpt_killed(ctx, t);
		ret = ret ? ckpt_write_rec(ctx, CKPT_REC_ITIMERS, &rec, sizeof(rec)) : 0;
	}
	if (!ret)
		ret = ckpt_write_posix_timers(ctx, t);
	if (!ret)
		ret = ckpt_write_thread_cputime(ctx, t);
	if (!ret && thread_group_leader(t))
		ret = ckpt_write_cputime(ctx, t);
	return ret;
}

static int ckpt_restart_thread_cputime(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				       struct ckpt_timers *timers)
{
	struct ckpt_thread_cputime rec;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_THREAD_CPUTIME, &rec, sizeof(rec));
	if (ret)
		return ret;
	timers->sum_exec = le64_to_cpu(rec.sum_exec_ns);
	timers->utime = le64_to_cpu(rec.utime_ns);
	timers->stime = le64_to_cpu(rec.stime_ns);
	if (timers->sum_exec > KTIME_MAX / 2 || timers->utime > KTIME_MAX / 2 ||
	    timers->stime > KTIME_MAX / 2)
		return ckpt_err(ctx, -EINVAL, "task %d: invalid THREAD_CPUTIME record",
				rt->pid);
	timers->has_cputime = true;
	return 0;
}

static int ckpt_restart_itimers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				struct ckpt_timers *timers)
{
	struct ckpt_itimers rec;
	unsigned int i;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_ITIMERS, &rec, sizeof(rec));
	if (ret)
		return ret;
	if (rt->pid != rt->tgid)
		return ckpt_err(ctx, -EINVAL, "thread %d has ITIMERS", rt->pid);
	for (i = 0; i < CKPT_NR_ITIMERS; i++) {
		u64 value = le64_to_cpu(rec.it[i].value_ns);
		u64 interval = le64_to_cpu(rec.it[i].interval_ns);

		/* What setitimer(2) can set, with room for the current CPU time */
		if (value > KTIME_MAX / 2 || interval > KTIME_MAX / 2)
			return ckpt_err(ctx, -EINVAL, "process %d: %s out of range",
					rt->pid, ckpt_itimer_names[i]);
		timers->it_value[i] = value;
		timers->it_interval[i] = interval;
	}
	timers->has_itimers = true;
	return 0;
}

/* Find a timer of current's process; it is not running, nobody deletes it */
static struct k_itimer *ckpt_find_posix_timer(timer_t id)
{
	struct k_itimer *timr, *found = NULL;

	spin_lock_irq(&ckpt_sighand(current)->siglock);
	hlist_for_each_entry(timr, &current->signal->posix_timers, list) {
		if (timr->it_id == id) {
			found = timr;
			break;
		}
	}
	spin_unlock_irq(&ckpt_sighand(current)->siglock);
	return found;
}

static int ckpt_create_posix_timer(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				   const struct ckpt_posix_timer *p,
				   struct ckpt_posix_arm *arm)
{
	u32 notify = le32_to_cpu(p->notify), signo = le32_to_cpu(p->signo);
	clockid_t clock = le32_to_cpu(p->clockid);
	u32 id = le32_to_cpu(p->id), overrun = le32_to_cpu(p->overrun);
	struct sigevent ev = {};
	struct k_itimer *timr;
	unsigned long flags;
	int ret;

	arm->id = id;
	arm->value = le64_to_cpu(p->value_ns);
	arm->interval = le64_to_cpu(p->interval_ns);
	if (id > INT_MAX || !ckpt_posix_clock_ok(clock) ||
	    !ckpt_posix_notify_ok(notify) || overrun > INT_MAX || p->__pad ||
	    arm->value > KTIME_MAX / 2 || arm->interval > KTIME_MAX / 2 ||
	    (rt->pid != rt->tgid && !(notify & SIGEV_THREAD_ID)) ||
	    (notify != SIGEV_NONE && !valid_signal(signo)))
		return ckpt_err(ctx, -EINVAL, "task %d: POSIX timer %u is invalid",
				rt->pid, id);
	ev.sigev_notify = notify;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_ptr = u64_to_user_ptr(le64_to_cpu(p->sigev_value));
	/* To this very thread */
	ev.sigev_notify_thread_id = task_pid_vnr(current);
	ret = posix_timer_create_id(clock, &ev, id);
	if (ret)
		return ckpt_err(ctx, ret, "task %d: cannot recreate POSIX timer %u",
				rt->pid, id);
	timr = ckpt_find_posix_timer(id);
	if (WARN_ON_ONCE(!timr))
		return -ENOENT;
	spin_lock_irqsave(&timr->it_lock, flags);
	timr->it_overrun_last = overrun;
	spin_unlock_irqrestore(&timr->it_lock, flags);
	return 0;
}

static int ckpt_restart_posix_timers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				     struct ckpt_timers *timers)
{
	struct ckpt_posix_timers *rec;
	struct ckpt_posix_timer *p;
	u32 len, nr, next_id, i;
	int ret = 0;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_POSIX_TIMERS, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	nr = le32_to_cpu(rec->nr);
	next_id = le32_to_cpu(rec->next_id);
	p = (struct ckpt_posix_timer *)(rec + 1);
	if (len != sizeof(*rec) + (size_t)nr * sizeof(*p) || next_id > INT_MAX ||
	    (rt->pid != rt->tgid && next_id)) {
		ret = ckpt_err(ctx, -EINVAL, "task %d: POSIX_TIMERS record is malformed",
			       rt->pid);
		goto out;
	}
	for (i = 1; i < nr; i++) {
		if (le32_to_cpu(p[i].id) <= le32_to_cpu(p[i - 1].id)) {
			ret = ckpt_err(ctx, -EINVAL, "task %d: POSIX timers out of order",
				       rt->pid);
			goto out;
		}
	}
	timers->posix = kvcalloc(nr, sizeof(*timers->posix), GFP_KERNEL);
	if (nr && !timers->posix) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr && !ret; i++) {
		ret = ckpt_create_posix_timer(ctx, rt, &p[i], &timers->posix[i]);
		if (!ret)
			timers->nr_posix++;
	}
	/* Under hash_lock in posix_timer_add(); nothing else runs in the process */
	if (!ret && rt->pid == rt->tgid)
		WRITE_ONCE(current->signal->next_posix_timer_id, next_id);
out:
	kvfree(rec);
	return ret;
}

/**
 * ckpt_restart_timers() - read the timers of a task
 * @ctx: restart context
 * @rt: the task being restored (current)
 * @timers: where to keep them until the task is let go
 *
 * Reads the ITIMERS record of a leader, the POSIX_TIMERS and
 * THREAD_CPUTIME records of a task and the CPUTIME record of a leader, if
 * they are there.  POSIX timers are created now, disarmed; the CPU time
 * of the thread is set by ckpt_timers_set_cputime().
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_timers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			struct ckpt_timers *timers)
{
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret == CKPT_REC_ITIMERS) {
		ret = ckpt_restart_itimers(ctx, rt, timers);
		if (!ret)
			ret = ckpt_peek_rec(ctx);
	}
	if (ret == CKPT_REC_POSIX_TIMERS) {
		ret = ckpt_restart_posix_timers(ctx, rt, timers);
		if (!ret)
			ret = ckpt_peek_rec(ctx);
	}
	if (ret == CKPT_REC_THREAD_CPUTIME) {
		ret = ckpt_restart_thread_cputime(ctx, rt, timers);
		if (!ret)
			ret = ckpt_peek_rec(ctx);
	}
	if (ret == CKPT_REC_CPUTIME)
		ret = ckpt_restart_cputime(ctx, rt);
	return ret < 0 ? ret : 0;
}

/*
 * Take CPU time from the totals of @t's process, at most what is there,
 * and say how much in the arguments; or, with @give_back, return it.
 */
static bool ckpt_take_process_cputime(struct task_struct *t, u64 *sum_exec,
				      u64 *utime, u64 *stime, bool give_back)
{
	struct signal_struct *sig = t->signal;
	struct sighand_struct *sighand;
	unsigned long flags;

	sighand = lock_task_sighand(t, &flags);
	if (!sighand)
		return false;
	write_seqlock(&sig->stats_lock);
	if (give_back) {
		sig->sum_sched_runtime += *sum_exec;
		sig->utime += *utime;
		sig->stime += *stime;
	} else {
		*sum_exec = min(*sum_exec, sig->sum_sched_runtime);
		*utime = min(*utime, sig->utime);
		*stime = min(*stime, sig->stime);
		sig->sum_sched_runtime -= *sum_exec;
		sig->utime -= *utime;
		sig->stime -= *stime;
	}
	write_sequnlock(&sig->stats_lock);
	spin_unlock_irqrestore(&sighand->siglock, flags);
	return true;
}

/**
 * ckpt_timers_set_cputime() - give a restored thread back its CPU time
 * @t: the thread, asleep until it is let go
 * @timers: what ckpt_restart_timers() read
 *
 * Called by the coordinator once every task has read its records.  The
 * CPUTIME record of the process, added to the totals of its exited
 * threads, counts the time of its live threads too: what the thread gets
 * back is moved from these totals, so that the process's clock does not
 * count it twice.  It never takes more than is there, whatever the image
 * says.  The clock of the thread goes on from its value, plus what its
 * restore used.
 *
 * Return: 0, -ESRCH if the thread is gone, -EBUSY if it runs.
 */
int ckpt_timers_set_cputime(struct task_struct *t, struct ckpt_timers *timers)
{
	u64 sum_exec = timers->sum_exec, utime = timers->utime, stime = timers->stime;
	int ret;

	if (!timers->has_cputime)
		return 0;
	timers->has_cputime = false;
	if (!ckpt_take_process_cputime(t, &sum_exec, &utime, &stime, false))
		return -ESRCH;
	/* Not under the signal locks: the runqueue lock nests in none of them */
	ret = sched_add_cputime(t, sum_exec, utime, stime);
	if (ret)
		ckpt_take_process_cputime(t, &sum_exec, &utime, &stime, true);
	return ret;
}

/**
 * ckpt_timers_arm() - arm the timers current restored
 * @timers: the timers read by ckpt_restart_timers()
 *
 * Called by each restored task when it is let go: the timers count from
 * now.  The process is new, so none of its timers is armed yet.
 */
void ckpt_timers_arm(struct ckpt_timers *timers)
{
	struct signal_struct *sig = current->signal;
	unsigned int i;

	for (i = 0; i < timers->nr_posix; i++) {
		struct ckpt_posix_arm *arm = &timers->posix[i];
		struct itimerspec64 spec = {
			.it_value = ns_to_timespec64(arm->value),
			.it_interval = ns_to_timespec64(arm->interval),
		};

		/*
		 * Checked when read; a thread of the process that was let
		 * go first may have deleted it since, as it may do.
		 */
		if (arm->value)
			posix_timer_settime(arm->id, 0, &spec);
	}
	ckpt_timers_free(timers);
	if (!timers->has_itimers)
		return;
	spin_lock_irq(&ckpt_sighand(current)->siglock);
	sig->it_real_incr = ns_to_ktime(timers->it_interval[CKPT_ITIMER_REAL]);
	if (timers->it_value[CKPT_ITIMER_REAL])
		hrtimer_start(&sig->real_timer,
			      ns_to_ktime(timers->it_value[CKPT_ITIMER_REAL]),
			      HRTIMER_MODE_REL);
	for (i = CKPT_ITIMER_VIRTUAL; i <= CKPT_ITIMER_PROF; i++) {
		unsigned int clk = ckpt_itimer_clock(i);
		u64 value = timers->it_value[i], old = 0;

		/* Makes @value absolute on the process's CPU clock */
		if (value)
			set_process_cpu_timer(current, clk, &value, &old);
		sig->it[clk].expires = value;
		sig->it[clk].incr = timers->it_interval[i];
	}
	spin_unlock_irq(&ckpt_sighand(current)->siglock);
	timers->has_itimers = false;
}

/**
 * ckpt_timers_free() - forget the timers of a task that will not resume
 * @timers: the timers read by ckpt_restart_timers()
 *
 * The POSIX timers themselves go with the process.
 */
void ckpt_timers_free(struct ckpt_timers *timers)
{
	kvfree(timers->posix);
	timers->posix = NULL;
	timers->nr_posix = 0;
}
