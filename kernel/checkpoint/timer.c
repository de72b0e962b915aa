// SPDX-License-Identifier: GPL-2.0-only
/*
 * Timers of a process: the interval timers of setitimer(2) and alarm(2).
 *
 * They are saved as durations (time left, reload value), not as absolute
 * expiry times, and restart arms them relative to the moment the restored
 * tasks resume: the image may be restored on another boot, where the
 * clocks have nothing in common with the checkpointing system's.
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time, which
 * starts again from that of the new process.
 *
 * POSIX timers (timer_create(2)) are not saved yet: a process that has
 * any cannot be checkpointed.
 */
#include <linux/checkpoint.h>
#include <linux/hrtimer.h>
#include <linux/posix-timers.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/time.h>

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

/* Time left and reload value of the interval timers of a frozen process */
static bool ckpt_get_itimers(struct task_struct *t, struct ckpt_itimers *rec)
{
	struct signal_struct *sig = t->signal;
	u64 samples[CPUCLOCK_MAX];
	bool armed = false;
	unsigned int i;
	ktime_t rem;

	spin_lock_irq(&ckpt_sighand(t)->siglock);
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
	spin_unlock_irq(&ckpt_sighand(t)->siglock);
	return armed;
}

/**
 * ckpt_checkpoint_timers() - write the timers of a process
 * @ctx: checkpoint context
 * @t: the frozen leader of the process
 *
 * Writes an ITIMERS record if an interval timer is set.  A process with
 * POSIX timers is refused.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_timers(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_itimers rec = {};

	/* Only the threads of the process create or delete them: all frozen */
	if (!hlist_empty(&t->signal->posix_timers))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"process %d has POSIX timers (timer_create) (not supported yet)",
				task_pid_vnr(t));
	if (!ckpt_get_itimers(t, &rec))
		return 0;
	return ckpt_write_rec(ctx, CKPT_REC_ITIMERS, &rec, sizeof(rec));
}

/**
 * ckpt_restart_timers() - read the timers of a process
 * @ctx: restart context
 * @rt: the leader being restored (current)
 * @timers: where to keep them until the process is let go
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_timers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			struct ckpt_timers *timers)
{
	struct ckpt_itimers rec;
	unsigned int i;
	int ret;

	ret = ckpt_peek_rec(ctx);
	if (ret < 0)
		return ret;
	if (ret != CKPT_REC_ITIMERS)
		return 0;
	ret = ckpt_read_rec(ctx, CKPT_REC_ITIMERS, &rec, sizeof(rec));
	if (ret)
		return ret;
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

/**
 * ckpt_timers_arm() - arm the restored timers of current's process
 * @timers: the timers read by ckpt_restart_timers()
 *
 * Called by the restored leader when it is let go: the timers count from
 * now.  The process is new, so none of its timers is armed yet.
 */
void ckpt_timers_arm(struct ckpt_timers *timers)
{
	struct signal_struct *sig = current->signal;
	unsigned int i;

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
