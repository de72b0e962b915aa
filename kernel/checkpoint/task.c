// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-task state that belongs to no shared object: the TASK record (comm,
 * personality, signal mask, the restart_block of an interrupted sleep, ...),
 * and the last steps of a restored task before it returns to user mode.
 */
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/fdtable.h>
#include <linux/fs_struct.h>
#include <linux/futex.h>
#include <linux/personality.h>
#include <linux/posix-timers.h>
#include <linux/resource.h>
#include <linux/rseq.h>
#include <linux/security.h>
#include <linux/restart_block.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sched/task_stack.h>
#include <linux/task_work.h>
#include <linux/time_namespace.h>
#include <asm/syscall.h>

#include "checkpoint.h"
#include "signal.h"

/**
 * struct ckpt_resume - what a restored task does after it is let go
 * @work: task_work that puts back the syscall return register, which
 *	ret_from_fork() clears, before signals and syscall restart are handled
 * @ax: the syscall return register
 * @cred: credentials to commit
 * @sigs: pending signals to queue
 * @timers: timers to arm
 * @has_rlim: @rlim is to be installed (a process leader)
 * @rlim: resource limits of the process, checked already
 * @has_root: @root is to be entered (chroot)
 * @root: the root directory, with a reference
 */
struct ckpt_resume {
	struct callback_head work;
	unsigned long ax;
	struct cred *cred;
	struct ckpt_sigqueue sigs;
	struct ckpt_timers timers;
	bool has_rlim;
	struct rlimit rlim[RLIM_NLIMITS];
	bool has_root;
	struct path root;
};

static_assert(RLIM_NLIMITS == CKPT_RLIM_NLIMITS);

/* The size of struct rseq before it could grow (kernel/rseq.c) */
#define CKPT_RSEQ_ORIG_SIZE	32

static int ckpt_save_restart_block(struct ckpt_ctx *ctx, struct task_struct *t,
				   struct ckpt_task *rec)
{
	struct pt_regs *regs = task_pt_regs(t);
	struct restart_block *rb = &t->restart_block;
	u32 kind;

	if (syscall_get_nr(t, regs) < 0 ||
	    syscall_get_error(t, regs) != -ERESTART_RESTARTBLOCK)
		return 0;

	if (rb->fn == hrtimer_nanosleep_restart && rb->nanosleep.type != TT_COMPAT) {
		kind = CKPT_RESTART_NANOSLEEP;
		rec->restart.nanosleep.clockid = cpu_to_le32(rb->nanosleep.clockid);
		rec->restart.nanosleep.type = cpu_to_le32(rb->nanosleep.type == TT_NATIVE ?
							  CKPT_TT_NATIVE : CKPT_TT_NONE);
		rec->restart.nanosleep.rmtp = cpu_to_le64((unsigned long)rb->nanosleep.rmtp);
		rec->restart.nanosleep.expires_ns = cpu_to_le64(rb->nanosleep.expires);
	} else if (rb->fn == futex_wait_restart && futex_wait_restart_flags(rb) >= 0) {
		u32 flags = futex_wait_restart_flags(rb);

		kind = CKPT_RESTART_FUTEX;
		rec->restart.futex.uaddr = cpu_to_le64((unsigned long)rb->futex.uaddr);
		rec->restart.futex.val = cpu_to_le32(rb->futex.val);
		rec->restart.futex.flags = cpu_to_le32(flags);
		rec->restart.futex.bitset = cpu_to_le32(rb->futex.bitset);
		rec->restart.futex.expires_ns = cpu_to_le64(rb->futex.time);
	} else if (rb->fn == do_restart_poll) {
		kind = CKPT_RESTART_POLL;
		rec->restart.poll.ufds = cpu_to_le64((unsigned long)rb->poll.ufds);
		rec->restart.poll.nfds = cpu_to_le32(rb->poll.nfds);
		rec->restart.poll.has_timeout = cpu_to_le32(rb->poll.has_timeout);
		rec->restart.poll.tv_sec = cpu_to_le64(rb->poll.tv_sec);
		rec->restart.poll.tv_nsec = cpu_to_le64(rb->poll.tv_nsec);
	} else {
		kind = CKPT_RESTART_EINTR;
		ckpt_log(ctx, "task %d: interrupted syscall %d will fail with EINTR after restart",
			 task_pid_vnr(t), syscall_get_nr(t, regs));
	}
	rec->restart_kind = cpu_to_le32(kind);
	return 0;
}

/*
 * PROCESS: the process-wide state of a leader that no object carries.  Its
 * controlling pty, if of the tree, was saved before the TASK record: this
 * finds its id again.
 */
static int ckpt_checkpoint_process(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_process rec = {};
	struct rlimit rlim[RLIM_NLIMITS];
	pid_t ctty_pgrp;
	u32 ctty_ref;
	int i, ret;

	ret = ckpt_pty_checkpoint_ctty(ctx, t, &ctty_ref, &ctty_pgrp);
	if (ret)
		return ret;
	rec.ctty_ref = cpu_to_le32(ctty_ref);
	rec.ctty_pgrp = cpu_to_le32(ctty_pgrp);

	if (t->signal->is_child_subreaper)
		rec.flags |= cpu_to_le32(CKPT_PROCESS_SUBREAPER);
	rec.nr_rlimits = cpu_to_le32(RLIM_NLIMITS);
	task_lock(t);
	memcpy(rlim, t->signal->rlim, sizeof(rlim));
	task_unlock(t);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		rec.rlim[i].cur = cpu_to_le64(rlim[i].rlim_cur);
		rec.rlim[i].max = cpu_to_le64(rlim[i].rlim_max);
	}
	return ckpt_write_rec(ctx, CKPT_REC_PROCESS, &rec, sizeof(rec));
}

/*
 * Read the PROCESS record of a leader being restored.  The limits are
 * checked now, with the caller's privileges as setrlimit(2) would check
 * them, and installed only when the task is let go, so that they cannot get
 * in the way of the restart itself (RLIMIT_NPROC, RLIMIT_NOFILE, ...).
 */
static int ckpt_restart_process(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	struct ckpt_process rec;
	u32 flags;
	int i, ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_PROCESS, &rec, sizeof(rec));
	if (ret)
		return ret;
	flags = le32_to_cpu(rec.flags);
	if (flags & ~CKPT_PROCESS_SUBREAPER ||
	    le32_to_cpu(rec.nr_rlimits) != RLIM_NLIMITS ||
	    (rec.ctty_ref && !rt->sid) || (rec.ctty_pgrp && rt->sid != rt->pid) ||
	    le32_to_cpu(rec.ctty_pgrp) > PID_MAX_LIMIT)
		return ckpt_err(ctx, -EINVAL, "PROCESS record of pid %d has invalid fields",
				rt->pid);
	rt->ctty_ref = le32_to_cpu(rec.ctty_ref);
	rt->ctty_pgrp = le32_to_cpu(rec.ctty_pgrp);
	if (rt->ctty_ref && !ckpt_obj_lookup(ctx, CKPT_OBJ_pty, rt->ctty_ref))
		return -EINVAL;
	for (i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit *new = &rt->resume->rlim[i];
		struct rlimit old;

		new->rlim_cur = le64_to_cpu(rec.rlim[i].cur);
		new->rlim_max = le64_to_cpu(rec.rlim[i].max);
		if (new->rlim_cur > new->rlim_max ||
		    (i == RLIMIT_NOFILE && new->rlim_max > sysctl_nr_open))
			return ckpt_err(ctx, -EINVAL, "task %d: invalid resource limit %d",
					rt->pid, i);
		task_lock(current->group_leader);
		old = current->signal->rlim[i];
		task_unlock(current->group_leader);
		if (new->rlim_max > old.rlim_max && !capable(CAP_SYS_RESOURCE))
			return ckpt_err(ctx, -EPERM,
					"task %d: raising the hard limit of resource %d needs CAP_SYS_RESOURCE",
					rt->pid, i);
		ret = security_task_setrlimit(current, i, new);
		if (ret)
			return ckpt_err(ctx, ret, "task %d: resource limit %d refused",
					rt->pid, i);
	}
	rt->resume->has_rlim = true;
	/* Before its children are created, so that they inherit the flag */
	if (flags & CKPT_PROCESS_SUBREAPER) {
		current->signal->is_child_subreaper = 1;
		current->signal->has_child_subreaper = 1;
	}
	return 0;
}

static void ckpt_install_rlimits(struct ckpt_resume *resume)
{
	struct task_struct *leader = current->group_leader;
	u64 cpu;

	task_lock(leader);
	memcpy(current->signal->rlim, resume->rlim, sizeof(resume->rlim));
	cpu = resume->rlim[RLIMIT_CPU].rlim_cur;
	task_unlock(leader);
	if (cpu != RLIM_INFINITY)
		update_rlimit_cpu(leader, cpu);
}

static int ckpt_restore_rseq(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
			     const struct ckpt_task *rec)
{
	unsigned long addr = le64_to_cpu(rec->rseq);
	u32 len = le32_to_cpu(rec->rseq_len);
	u32 sig = le32_to_cpu(rec->rseq_sig);

	if (!addr) {
		if (len || sig)
			goto bad;
		return 0;
	}
#ifdef CONFIG_RSEQ
	/* The checks of sys_rseq() */
	if (len < CKPT_RSEQ_ORIG_SIZE ||
	    (len == CKPT_RSEQ_ORIG_SIZE && !IS_ALIGNED(addr, CKPT_RSEQ_ORIG_SIZE)) ||
	    (len != CKPT_RSEQ_ORIG_SIZE && (!IS_ALIGNED(addr, __alignof__(struct rseq)) ||
				       len < offsetof(struct rseq, end))) ||
	    !access_ok((void __user *)addr, len))
		goto bad;
	current->rseq = (struct rseq __user *)addr;
	current->rseq_len = len;
	current->rseq_sig = sig;
	/* cpu_id and friends are written on the way to user mode */
	rseq_set_notify_resume(current);
	return 0;
#endif
bad:
	return ckpt_err(ctx, -EINVAL, "task %d: invalid rseq registration", rt->pid);
}

/* The objects a task uses, each saved once, and its TASK record */
/*
 * @live: for a leader that exited while its other threads run, one of them:
 * the process's mm, files and fs are that thread's, and the leader, which
 * never runs again, has no interrupted syscall nor rseq area.
 */
static int ckpt_checkpoint_task_rec(struct ckpt_ctx *ctx, struct task_struct *t,
				    struct task_struct *live)
{
	struct task_struct *s = live ?: t;
	struct ckpt_task rec = {};
	const struct cred *cred;
	u32 ref, ctty_ref;
	pid_t ctty_pgrp;
	int ret;

	rec.pid = cpu_to_le32(task_pid_nr_ns(t, ctx->pidns));

	cred = get_task_cred(t);
	ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_cred, (void *)cred, &ref);
	put_cred(cred);
	rec.cred_ref = cpu_to_le32(ref);
	/* The task is frozen: it cannot switch its mm, files, fs or sighand */
	if (!ret)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_mm, s->mm, &ref);
	rec.mm_ref = cpu_to_le32(ref);
	if (!ret)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_files, s->files, &ref);
	rec.files_ref = cpu_to_le32(ref);
	if (!ret)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_fs, s->fs, &ref);
	rec.fs_ref = cpu_to_le32(ref);
	if (!ret)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_sighand, ckpt_sighand(t), &ref);
	rec.sighand_ref = cpu_to_le32(ref);
	/* A pty of the tree as controlling terminal: an object, in PROCESS */
	if (!ret && thread_group_leader(t))
		ret = ckpt_pty_checkpoint_ctty(ctx, t, &ctty_ref, &ctty_pgrp);
	if (ret)
		return ret;

	/* Threads other than the leader have none (-1) */
	rec.exit_signal = cpu_to_le32(thread_group_leader(t) ? t->exit_signal : 0);
	rec.pdeath_signal = cpu_to_le32(t->pdeath_signal);
	rec.personality = cpu_to_le32(t->personality);
	if (task_no_new_privs(t))
		rec.flags |= cpu_to_le32(CKPT_TASK_NO_NEW_PRIVS);
	/*
	 * Frozen in sigsuspend(), ppoll(), ...: the mask the task goes back
	 * to user mode with is the saved one; the syscall, restarted, sets
	 * its temporary mask again.
	 */
	rec.blocked = cpu_to_le64(test_tsk_restore_sigmask(t) ? t->saved_sigmask.sig[0] :
				  t->blocked.sig[0]);
	rec.clear_child_tid = cpu_to_le64((unsigned long)t->clear_child_tid);
	rec.robust_list = cpu_to_le64((unsigned long)t->robust_list);
	rec.robust_list_len = cpu_to_le64(t->robust_list ?
					  sizeof(*t->robust_list) : 0);
	get_task_comm(rec.comm, t);
#ifdef CONFIG_RSEQ
	if (!live) {
		rec.rseq = cpu_to_le64((unsigned long)t->rseq);
		rec.rseq_len = cpu_to_le32(t->rseq_len);
		rec.rseq_sig = cpu_to_le32(t->rseq_sig);
	}
#endif
	ret = ckpt_checkpoint_seccomp(ctx, t, &rec);
	if (!ret && !live)
		ret = ckpt_save_restart_block(ctx, t, &rec);
	if (!ret)
		ret = ckpt_write_rec(ctx, CKPT_REC_TASK, &rec, sizeof(rec));
	return ret;
}

/* An interrupted clock_nanosleep(): false if @rec is invalid */
static bool ckpt_restart_nanosleep(struct ckpt_ctx *ctx, struct restart_block *rb,
				   const struct ckpt_task *rec)
{
	rb->nanosleep.clockid = le32_to_cpu(rec->restart.nanosleep.clockid);
	switch (rb->nanosleep.clockid) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	default:
		return false;
	}
	switch (le32_to_cpu(rec->restart.nanosleep.type)) {
	case CKPT_TT_NONE:
		rb->nanosleep.type = TT_NONE;
		break;
	case CKPT_TT_NATIVE:
		rb->nanosleep.type = TT_NATIVE;
		break;
	default:
		return false;
	}
	rb->nanosleep.rmtp = u64_to_user_ptr(le64_to_cpu(rec->restart.nanosleep.rmtp));
	rb->nanosleep.expires = le64_to_cpu(rec->restart.nanosleep.expires_ns);
	rb->nanosleep.expires = ckpt_clock_shifted(ctx, rb->nanosleep.clockid,
						   rb->nanosleep.expires);
	set_restart_fn(rb, hrtimer_nanosleep_restart);
	return true;
}

/* An interrupted FUTEX_WAIT with a timeout: false if @rec is invalid */
static bool ckpt_restart_futex(struct ckpt_ctx *ctx, struct restart_block *rb,
			       const struct ckpt_task *rec)
{
	u32 flags = le32_to_cpu(rec->restart.futex.flags);

	if (flags & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) ||
	    !le32_to_cpu(rec->restart.futex.bitset))
		return false;
	rb->futex.uaddr = u64_to_user_ptr(le64_to_cpu(rec->restart.futex.uaddr));
	rb->futex.val = le32_to_cpu(rec->restart.futex.val);
	rb->futex.bitset = le32_to_cpu(rec->restart.futex.bitset);
	rb->futex.time = le64_to_cpu(rec->restart.futex.expires_ns);
	if (!(flags & FUTEX_CLOCK_REALTIME))
		rb->futex.time = ckpt_clock_shifted(ctx, CLOCK_MONOTONIC, rb->futex.time);
	return !futex_wait_restart_set(rb, flags);
}

/* An interrupted poll() or ppoll(): false if @rec is invalid */
static bool ckpt_restart_poll(struct ckpt_ctx *ctx, struct restart_block *rb,
			      const struct ckpt_task *rec)
{
	struct timespec64 ts;

	rb->poll.ufds = u64_to_user_ptr(le64_to_cpu(rec->restart.poll.ufds));
	rb->poll.nfds = le32_to_cpu(rec->restart.poll.nfds);
	rb->poll.has_timeout = !!le32_to_cpu(rec->restart.poll.has_timeout);
	rb->poll.tv_sec = le64_to_cpu(rec->restart.poll.tv_sec);
	rb->poll.tv_nsec = le64_to_cpu(rec->restart.poll.tv_nsec);
	if (rb->poll.nfds < 0 || rb->poll.tv_nsec >= NSEC_PER_SEC)
		return false;
	if (rb->poll.has_timeout && rb->poll.tv_sec >= 0) {
		ts.tv_sec = rb->poll.tv_sec;
		ts.tv_nsec = rb->poll.tv_nsec;
		ts = ktime_to_timespec64(ckpt_clock_shifted(ctx, CLOCK_MONOTONIC,
							    timespec64_to_ktime(ts)));
		rb->poll.tv_sec = ts.tv_sec;
		rb->poll.tv_nsec = ts.tv_nsec;
	}
	set_restart_fn(rb, do_restart_poll);
	return true;
}

static int ckpt_restore_restart_block(struct ckpt_ctx *ctx,
				      struct ckpt_rtask *rt,
				      const struct ckpt_task *rec)
{
	struct restart_block *rb = &current->restart_block;
	u32 kind = le32_to_cpu(rec->restart_kind);
	bool ok;

	switch (kind) {
	case CKPT_RESTART_NONE:
		return 0;
	case CKPT_RESTART_EINTR:
		ckpt_arch_set_syscall_ret(rt, -EINTR);
		return 0;
	case CKPT_RESTART_NANOSLEEP:
		ok = ckpt_restart_nanosleep(ctx, rb, rec);
		break;
	case CKPT_RESTART_FUTEX:
		ok = ckpt_restart_futex(ctx, rb, rec);
		break;
	case CKPT_RESTART_POLL:
		ok = ckpt_restart_poll(ctx, rb, rec);
		break;
	default:
		ok = false;
	}
	if (ok)
		return 0;
	return ckpt_err(ctx, -EINVAL, "task %d: invalid interrupted-syscall state (kind %u)",
			rt->pid, kind);
}

static int ckpt_check_task_ref(struct ckpt_ctx *ctx, enum ckpt_obj_kind kind,
			       __le32 ref, void *mine, const char *what)
{
	void *obj = ckpt_obj_lookup(ctx, kind, le32_to_cpu(ref));

	if (!obj)
		return -EINVAL;
	/* A task is created with its parent's (or leader's) mm and sighand */
	if (obj != mine)
		return ckpt_err(ctx, -EINVAL, "TASK refers to a %s it cannot have", what);
	return 0;
}

static int ckpt_restore_task_rec(struct ckpt_ctx *ctx, struct ckpt_rtask *rt,
				 const struct ckpt_task *rec)
{
	u32 exit_signal = le32_to_cpu(rec->exit_signal);
	u32 pdeath = le32_to_cpu(rec->pdeath_signal);
	u32 pers = le32_to_cpu(rec->personality);
	u32 flags = le32_to_cpu(rec->flags);
	char comm[TASK_COMM_LEN];
	sigset_t blocked;
	int ret;

	if (le32_to_cpu(rec->pid) != rt->pid)
		return ckpt_err(ctx, -EINVAL, "TASK record for pid %u, expected %d",
				le32_to_cpu(rec->pid), rt->pid);
	ret = ckpt_check_task_ref(ctx, CKPT_OBJ_mm, rec->mm_ref, current->mm, "mm");
	if (!ret)
		ret = ckpt_install_files(ctx, rec->files_ref);
	if (!ret)
		ret = ckpt_install_fs(ctx, rec->fs_ref);
	if (!ret)
		rt->resume->has_root = ckpt_fs_root(ctx, le32_to_cpu(rec->fs_ref),
						    &rt->resume->root);
	if (!ret)
		ret = ckpt_check_task_ref(ctx, CKPT_OBJ_sighand, rec->sighand_ref,
					  ckpt_sighand(current), "sighand");
	if (ret)
		return ret;
	rt->resume->cred = ckpt_obj_lookup(ctx, CKPT_OBJ_cred,
					   le32_to_cpu(rec->cred_ref));
	if (!rt->resume->cred)
		return -EINVAL;
	get_new_cred(rt->resume->cred);

	if (!valid_signal(exit_signal) || !valid_signal(pdeath) ||
	    flags & ~CKPT_TASK_NO_NEW_PRIVS || rec->saved_sigmask ||
	    rec->__pad)
		return ckpt_err(ctx, -EINVAL, "TASK record of pid %d has invalid fields",
				rt->pid);
	if (le64_to_cpu(rec->robust_list) &&
	    le64_to_cpu(rec->robust_list_len) != sizeof(struct robust_list_head))
		return ckpt_err(ctx, -EINVAL, "TASK record of pid %d: bad robust list length",
				rt->pid);
	if (pers != PER_LINUX && (pers & PER_MASK) != PER_LINUX)
		return ckpt_err(ctx, -EOPNOTSUPP, "task %d: personality %#x not supported",
				rt->pid, pers);

	rt->exit_signal = exit_signal;
	current->pdeath_signal = pdeath;
	set_personality(pers);
	if (flags & CKPT_TASK_NO_NEW_PRIVS)
		task_set_no_new_privs(current);
	current->clear_child_tid = u64_to_user_ptr(le64_to_cpu(rec->clear_child_tid));
	current->robust_list = u64_to_user_ptr(le64_to_cpu(rec->robust_list));
	memcpy(comm, rec->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	set_task_comm(current, comm);
	blocked.sig[0] = le64_to_cpu(rec->blocked);
	set_current_blocked(&blocked);
	ret = ckpt_restore_rseq(ctx, rt, rec);
	if (!ret)
		ret = ckpt_restore_restart_block(ctx, rt, rec);
	/* Last: the filter applies to the task's syscalls only, not to ours */
	if (!ret)
		ret = ckpt_restore_seccomp(ctx, rt, rec);
	return ret;
}

static int ckpt_restart_task_sem_undo(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	return ckpt_restart_sem_undo(ctx);
}

static int ckpt_restart_task_timers(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	return ckpt_restart_timers(ctx, rt, &rt->resume->timers);
}

static int ckpt_restart_task_sigpending(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	return ckpt_restart_sigpending(ctx, &rt->resume->sigs);
}

/* The TASK record, read first, applied once the CPU state is read */
static int ckpt_restart_task_apply(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	return ckpt_restore_task_rec(ctx, rt, rt->task_rec);
}

/**
 * struct ckpt_task_section - what a task carries after its TASK record
 * @rec: the (first) record of the section
 * @leader: only a thread group leader has the section
 * @live: a leader that has exited, while its other threads run, saves
 *	the section of one of them instead of its own (its registers are
 *	gone, its SEM_UNDO list is theirs)
 * @checkpoint: write the section of a frozen task; NULL for the TASK
 *	record, written before every section
 * @restart: read the section in the context of the task being restored;
 *	an optional section looks whether its record is next
 *
 * Both directions walk ckpt_task_sections[]; its order is the image order.
 */
struct ckpt_task_section {
	enum ckpt_rec_type rec;
	bool leader;
	bool live;
	int (*checkpoint)(struct ckpt_ctx *ctx, struct task_struct *t);
	int (*restart)(struct ckpt_ctx *ctx, struct ckpt_rtask *rt);
};

static const struct ckpt_task_section ckpt_task_sections[] = {
	{ CKPT_REC_PROCESS, true, false, ckpt_checkpoint_process, ckpt_restart_process },
	{ CKPT_REC_SEM_UNDO, true, true, ckpt_checkpoint_sem_undo, ckpt_restart_task_sem_undo },
	{ CKPT_REC_SIGALTSTACK, false, false, ckpt_checkpoint_sigaltstack,
	  ckpt_restart_sigaltstack },
	{ CKPT_REC_ITIMERS, false, false, ckpt_checkpoint_timers, ckpt_restart_task_timers },
	{ CKPT_REC_SCHED, false, false, ckpt_checkpoint_sched, ckpt_restart_sched },
	{ CKPT_REC_X86_REGS, false, true, ckpt_arch_checkpoint_thread, ckpt_arch_restart_read },
	{ CKPT_REC_TASK, false, false, NULL, ckpt_restart_task_apply },
	{ CKPT_REC_SIGPENDING, false, false, ckpt_checkpoint_sigpending,
	  ckpt_restart_task_sigpending },
};

/**
 * ckpt_checkpoint_task() - write one frozen task
 * @ctx: checkpoint context
 * @t: the task
 * @live: NULL, or if @t is a leader that exited while its other threads
 *	run, the first of them, frozen, which holds the process's state
 *
 * Writes the objects the task uses (each once), then its TASK record and
 * its sections: CPU state, pending signals, timers, ...
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_checkpoint_task(struct ckpt_ctx *ctx, struct task_struct *t,
			 struct task_struct *live)
{
	const struct ckpt_task_section *s;
	char comm[TASK_COMM_LEN];
	int ret;

	ret = ckpt_checkpoint_task_rec(ctx, t, live);
	for (s = ckpt_task_sections; !ret && s < ckpt_task_sections +
	     ARRAY_SIZE(ckpt_task_sections); s++)
		if (s->checkpoint && (!s->leader || thread_group_leader(t)))
			ret = s->checkpoint(ctx, live && s->live ? live : t);
	if (!ret)
		ckpt_log(ctx, "task %d (%s) saved", task_pid_vnr(t), get_task_comm(comm, t));
	return ret;
}

/**
 * ckpt_restart_task() - read and rebuild one task, in its own context
 * @ctx: restart context
 * @rt: the task being restored (current)
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_restart_task(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	const struct ckpt_task_section *s;
	struct ckpt_task rec;
	int ret;

	/* First: what it allocates from here on is charged to its cgroup */
	ret = ckpt_cgroup_attach(ctx, rt);
	if (ret)
		return ret;
	rt->resume = kzalloc(sizeof(*rt->resume), GFP_KERNEL);
	if (!rt->resume)
		return -ENOMEM;
	do {
		ret = ckpt_obj_restart_one(ctx);
	} while (ret > 0);
	if (!ret)
		ret = ckpt_read_rec(ctx, CKPT_REC_TASK, &rec, sizeof(rec));
	rt->task_rec = &rec;
	for (s = ckpt_task_sections; !ret && s < ckpt_task_sections +
	     ARRAY_SIZE(ckpt_task_sections); s++)
		if (!s->leader || rt->pid == rt->tgid)
			ret = s->restart(ctx, rt);
	rt->task_rec = NULL;
	if (!ret) {
		rt->resume->ax = ckpt_arch_syscall_ret(rt);
		ckpt_log(ctx, "task %d (%s) restored", rt->pid, current->comm);
	}
	return ret;
}

/**
 * ckpt_restart_cputime_apply() - give a restored task back its CPU time
 * @rt: the task, asleep until it is let go, that has read its records
 *
 * Called by the coordinator, once every task has read its records.
 *
 * Return: 0, or a negative error if the task is gone or running.
 */
int ckpt_restart_cputime_apply(struct ckpt_rtask *rt)
{
	return rt->resume ? ckpt_timers_set_cputime(rt->task, &rt->resume->timers) : 0;
}

/**
 * ckpt_rtask_cred() - the credentials a restored task goes on with
 * @rt: a task of the image, created, not let go yet
 *
 * Called by the coordinator once every task has read its records: a task
 * commits its saved credentials only when it is let go.
 *
 * Return: a reference on them (on its current ones for a zombie).
 */
const struct cred *ckpt_rtask_cred(const struct ckpt_rtask *rt)
{
	if (rt->resume && rt->resume->cred)
		return get_cred(rt->resume->cred);
	return get_task_cred(rt->task);
}

/**
 * ckpt_resume_free() - free the resume state of an aborted task
 * @resume: the state, or NULL
 */
void ckpt_resume_free(struct ckpt_resume *resume)
{
	if (!resume)
		return;
	if (resume->cred)
		put_cred(resume->cred);
	if (resume->has_root)
		path_put(&resume->root);
	ckpt_sigqueue_free(&resume->sigs);
	ckpt_timers_free(&resume->timers);
	kfree(resume);
}

static void ckpt_resume_work(struct callback_head *work)
{
	struct ckpt_resume *resume = container_of(work, struct ckpt_resume, work);

	syscall_set_return_value(current, task_pt_regs(current), 0, resume->ax);
	kfree(resume);
}

/**
 * ckpt_restart_resume() - last steps of a restored task, in its context
 * @resume: what is left to do; consumed
 *
 * Commits the restored credentials, queues the saved signals and arranges
 * for the syscall return register to be put back on the way to user mode,
 * where signals and the restart of an interrupted syscall are then handled
 * exactly as if the task had never stopped.
 */
void ckpt_restart_resume(struct ckpt_resume *resume)
{
	int dumpable = get_dumpable(current->mm);
	int pdeath = current->pdeath_signal;

	/* commit_creds() may reset these when the ids change */
	commit_creds(resume->cred);
	resume->cred = NULL;
	set_dumpable(current->mm, dumpable);
	current->pdeath_signal = pdeath;

	if (resume->has_rlim)
		ckpt_install_rlimits(resume);
	/* Files are all open: the paths of the image were the caller's */
	if (resume->has_root) {
		set_fs_root(current->fs, &resume->root);
		path_put(&resume->root);
	}
	ckpt_sigqueue_post(&resume->sigs);
	ckpt_sigqueue_free(&resume->sigs);
	ckpt_timers_arm(&resume->timers);

	init_task_work(&resume->work, ckpt_resume_work);
	if (task_work_add(current, &resume->work, TWA_SIGNAL))
		kfree(resume);
}
