/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _KERNEL_CHECKPOINT_SIGNAL_H
#define _KERNEL_CHECKPOINT_SIGNAL_H

#include <linux/checkpoint.h>
#include <linux/signal.h>

/**
 * struct ckpt_sigqueue - pending signals read from an image
 * @info: the siginfos, oldest first
 * @shared: for each, whether it was pending for the whole thread group
 * @nr: how many
 */
struct ckpt_sigqueue {
	kernel_siginfo_t *info;
	bool *shared;
	unsigned int nr;
};

/**
 * struct ckpt_posix_arm - a restored POSIX timer to arm
 * @id: its id
 * @value: time left, in ns; 0 if disarmed
 * @interval: its reload value, in ns
 */
struct ckpt_posix_arm {
	timer_t id;
	u64 value;
	u64 interval;
};

/**
 * struct ckpt_timers - timers of a task read from an image
 * @has_itimers: an ITIMERS record was read (a leader)
 * @it_value: time left of each interval timer (CKPT_ITIMER_*), in ns
 * @it_interval: its reload value, in ns
 * @posix: the POSIX timers the task recreated, to arm
 * @nr_posix: how many
 * @has_cputime: a THREAD_CPUTIME record was read
 * @sum_exec: the CPU time the thread had used, in ns
 * @utime: its user time, in ns
 * @stime: its system time, in ns
 */
struct ckpt_timers {
	bool has_itimers;
	u64 it_value[CKPT_NR_ITIMERS];
	u64 it_interval[CKPT_NR_ITIMERS];
	struct ckpt_posix_arm *posix;
	unsigned int nr_posix;
	bool has_cputime;
	u64 sum_exec;
	u64 utime;
	u64 stime;
};

int ckpt_checkpoint_sigpending(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_sigpending(struct ckpt_ctx *ctx, struct ckpt_sigqueue *q);
void ckpt_sigqueue_post(struct ckpt_sigqueue *q);
void ckpt_sigqueue_free(struct ckpt_sigqueue *q);
int ckpt_checkpoint_sigaltstack(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_sigaltstack(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);

/* timer.c */
int ckpt_checkpoint_timers(struct ckpt_ctx *ctx, struct task_struct *t);
int ckpt_restart_timers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			struct ckpt_timers *timers);
int ckpt_timers_set_cputime(struct task_struct *t, struct ckpt_timers *timers);
void ckpt_timers_arm(struct ckpt_timers *timers);
void ckpt_timers_free(struct ckpt_timers *timers);

#endif
