// SPDX-License-Identifier: GPL-2.0-only
/*
 * checkpoint(2): freeze the tasks, write the image, thaw or kill them.
 *
 * Freezing.  Each task gets a task_work queued with TWA_SIGNAL.  That sets
 * TIF_NOTIFY_SIGNAL and wakes the task if it sleeps interruptibly, so a
 * task in a blocking syscall leaves it exactly as for a signal (with
 * -ERESTARTSYS, -ERESTART_RESTARTBLOCK, ... in its registers), and a task
 * in user mode is kicked into the kernel.  On its way back to user mode it
 * runs the work from get_signal(), before any signal is dequeued: the same
 * place where the cgroup v2 freezer parks tasks (JOBCTL_TRAP_FREEZE), with
 * all user registers saved in pt_regs and no locks held.  There it sleeps
 * killably until thawed.  Unlike the cgroup freezer's trap, a new signal
 * does not make it leave the trap: signals stay queued and are saved.
 *
 * A task stopped by a stop signal is already parked in do_signal_stop(),
 * where nothing but SIGCONT or SIGKILL wakes it: it is saved as it is,
 * and the image is refused if it ran in between (wait_task_inactive()'s
 * switch count moved).  A zombie is saved as its pid, place in the tree and
 * exit status.
 *
 * Holding.  From the moment a task is collected until it is let go, a task
 * that starts to exit (SIGKILL wakes the frozen and the stopped ones, a
 * thread may exit or be zapped by an exec while being frozen) waits at the
 * start of do_exit(), in checkpoint_task_exit(), with its address space,
 * files and stack intact: the checkpoint may be reading them.  It tells the
 * checkpoint, which fails as soon as it looks (at each record and while
 * freezing) and lets it go.  The same registry makes a second checkpoint
 * of a task fail with EBUSY instead of each waiting for the other's tasks.
 *
 * Container mode: when the root is the init of a pid namespace (other than
 * the caller's), every task of that namespace is saved, with the ids it has
 * there, and checkpoint fails if one of them is not in the tree.
 */
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/fs_struct.h>
#include <linux/fs.h>
#include <linux/checkpoint_hooks.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/refcount.h>
#include <linux/security.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/nsproxy.h>
#include <linux/user_namespace.h>
#include <linux/utsname.h>

#include "checkpoint.h"

enum ckpt_freeze_state {
	CKPT_FREEZING,		/* work queued, not run yet */
	CKPT_FROZEN,		/* parked in ckpt_freeze_work() */
	CKPT_GONE,		/* left it: thawed, killed or exiting */
};

/**
 * struct ckpt_frozen - a task held frozen by a checkpoint
 * @list: in ckpt_ctx.tasks
 * @task: the task (a reference is held)
 * @work: the freezing task_work
 * @ref: one for the context, one while @work is queued or running
 * @wq: wakes the checkpointer (state changes) and the task (@thaw)
 * @state: enum ckpt_freeze_state
 * @thaw: set to let the task go
 * @queued: @work was queued
 * @zombie: the task is a zombie: never frozen, nothing but its entry saved
 * @live: for a zombie leader whose other threads run, the first of them:
 *	the leader is saved with the process's state, taken from @live
 * @stopped: the task was in TASK_STOPPED when frozen; @work has not run
 * @ncsw: wait_task_inactive() of the stopped task, to tell it stayed so
 * @pid: pid in the checkpoint root's pid namespace
 * @tgid: thread group id there
 * @ppid: parent's pid there, 0 for the root
 * @held: in ckpt_held, by @task, while @ctx is set
 * @ctx: the checkpoint holding @task, under ckpt_held_lock
 */
struct ckpt_frozen {
	struct list_head list;
	struct task_struct *task;
	struct callback_head work;
	refcount_t ref;
	wait_queue_head_t wq;
	int state;
	bool thaw;
	bool queued;
	bool zombie;
	struct task_struct *live;
	bool stopped;
	unsigned long ncsw;
	pid_t pid, tgid, ppid;
	struct hlist_node held;
	struct ckpt_ctx *ctx;
};

/* The tasks checkpoints hold, by task; see "Holding" above */
DEFINE_STATIC_KEY_FALSE(checkpoint_exit_key);
static DEFINE_SPINLOCK(ckpt_held_lock);
static DEFINE_HASHTABLE(ckpt_held, 8);

static int ckpt_frozen_state(struct ckpt_frozen *f)
{
	/* Pairs with the releases in ckpt_freeze_work() */
	return smp_load_acquire(&f->state);
}

static void ckpt_frozen_put(struct ckpt_frozen *f)
{
	if (refcount_dec_and_test(&f->ref)) {
		put_task_struct(f->task);
		kfree(f);
	}
}

static void ckpt_freeze_work(struct callback_head *work)
{
	struct ckpt_frozen *f = container_of(work, struct ckpt_frozen, work);

	/* Works still queued at exit run from exit_task_work() */
	if (!(current->flags & PF_EXITING)) {
		/* Pairs with the acquire in ckpt_freeze(): our registers are saved */
		smp_store_release(&f->state, CKPT_FROZEN);
		wake_up(&f->wq);
		wait_event_killable(f->wq, READ_ONCE(f->thaw));
	}
	/* Pairs with the acquires of the checkpointer: we may run again */
	smp_store_release(&f->state, CKPT_GONE);
	wake_up(&f->wq);
	ckpt_frozen_put(f);
}

static struct ckpt_frozen *ckpt_held_find(struct task_struct *t)
{
	struct ckpt_frozen *f;

	lockdep_assert_held(&ckpt_held_lock);
	hash_for_each_possible(ckpt_held, f, held, (unsigned long)t)
		if (f->task == t)
			return f;
	return NULL;
}

/* Hold @f's task for @ctx; EBUSY if another checkpoint holds it */
static int ckpt_hold(struct ckpt_ctx *ctx, struct ckpt_frozen *f)
{
	int ret = -EBUSY;

	spin_lock(&ckpt_held_lock);
	if (!ckpt_held_find(f->task)) {
		f->ctx = ctx;
		hash_add(ckpt_held, &f->held, (unsigned long)f->task);
		ret = 0;
	}
	spin_unlock(&ckpt_held_lock);
	if (ret)
		return ckpt_err(ctx, ret, "task %d is being checkpointed by another caller",
				f->pid);
	return 0;
}

/* Let every task of @ctx exit again */
static void ckpt_unhold(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f;

	spin_lock(&ckpt_held_lock);
	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->ctx) {
			hash_del(&f->held);
			f->ctx = NULL;
		}
	}
	spin_unlock(&ckpt_held_lock);
}

/**
 * __checkpoint_task_exit() - hold an exiting task until its checkpoint ends
 * @tsk: current, at the start of do_exit()
 *
 * If a checkpoint holds @tsk, tell it that the tree changed and wait,
 * uninterruptibly, until it lets the task go; see checkpoint_task_exit().
 */
void __checkpoint_task_exit(struct task_struct *tsk)
{
	struct ckpt_frozen *f;

	spin_lock(&ckpt_held_lock);
	f = ckpt_held_find(tsk);
	if (f) {
		refcount_inc(&f->ref);
		if (!f->ctx->killed)
			WRITE_ONCE(f->ctx->killed, f->pid);
		/* Out of a write to a full pipe, say */
		set_notify_signal(f->ctx->caller);
	}
	spin_unlock(&ckpt_held_lock);
	if (!f)
		return;
	/* A checkpoint waiting for it to freeze stops waiting */
	smp_store_release(&f->state, CKPT_GONE);
	wake_up(&f->wq);
	wait_event_idle(f->wq, READ_ONCE(f->thaw));
	ckpt_frozen_put(f);
}

/* One task's use of a shared object, for ckpt_check_sharing() */
struct ckpt_use {
	void *ptr;
	struct ckpt_frozen *f;
};

static int ckpt_use_cmp(const void *a, const void *b)
{
	const struct ckpt_use *x = a, *y = b;

	if (x->ptr != y->ptr)
		return x->ptr < y->ptr ? -1 : 1;
	return 0;
}

/*
 * The tasks of the tree that use an object of a kind whose back end gives
 * a task's (the mm, file table and fs) must be all of its users: one used
 * from outside cannot be restored shared with it.  Processes may share
 * them (CLONE_VM, CLONE_FILES, CLONE_FS without CLONE_THREAD).
 */
static int ckpt_check_shared(struct ckpt_ctx *ctx, struct ckpt_use *uses,
			     const struct ckpt_obj_ops *ops)
{
	struct ckpt_frozen *f;
	unsigned int i = 0, j, n = 0;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie)
			continue;
		uses[n].ptr = ops->task_obj(f->task);
		uses[n++].f = f;
	}
	sort(uses, n, sizeof(*uses), ckpt_use_cmp, NULL);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && uses[j].ptr == uses[i].ptr; j++)
			;
		if (ops->nr_users(uses[i].ptr) > j - i)
			return ckpt_err(ctx, -EBUSY,
					"task %d shares its %s with a task outside the tree",
					uses[i].f->pid, ops->what);
	}
	return 0;
}

/*
 * Restart gives a process the mm of its parent when it creates it, so a
 * process can share only its parent's.
 */
static int ckpt_check_shared_mm(struct ckpt_ctx *ctx)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_of(CKPT_OBJ_mm);
	struct ckpt_frozen *f;

	list_for_each_entry(f, &ctx->tasks, list) {
		struct task_struct *parent;
		bool ok;

		if (f->zombie || !thread_group_leader(f->task) || f->task == ctx->root ||
		    ops->nr_users(f->task->mm) == get_nr_threads(f->task))
			continue;
		rcu_read_lock();
		parent = rcu_dereference(f->task->real_parent);
		ok = parent->mm == f->task->mm;
		rcu_read_unlock();
		if (!ok)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d shares its address space with a process other than its parent (not supported yet)",
					f->pid);
	}
	return 0;
}

/*
 * What tasks share.  Threads share their signal handlers with their
 * leader; no other process does (CLONE_SIGHAND without CLONE_THREAD is
 * not supported yet).
 */
static int ckpt_check_sharing(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f, *t;
	struct ckpt_use *uses;
	int n, kind, ret = 0;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (!thread_group_leader(f->task) || f->zombie)
			continue;
		n = 0;
		t = f;
		list_for_each_entry_from(t, &ctx->tasks, list) {
			if (!same_thread_group(t->task, f->task))
				break;
			n++;
		}
		if (refcount_read(&ckpt_sighand(f->task)->count) > n)
			return ckpt_err(ctx, -EBUSY,
					"process %d shares its signal handlers with another process (not supported yet)",
					f->pid);
	}
	uses = kvmalloc_array(ctx->nr_tasks, sizeof(*uses), GFP_KERNEL);
	if (!uses)
		return -ENOMEM;
	for (kind = 0; !ret && kind < CKPT_OBJ_NR; kind++)
		if (ckpt_obj_ops_of(kind)->task_obj)
			ret = ckpt_check_shared(ctx, uses, ckpt_obj_ops_of(kind));
	kvfree(uses);
	return ret ?: ckpt_check_shared_mm(ctx);
}

/*
 * @f exits as it is being frozen.  The tree changed under us, as with a
 * fork: the caller may try again (EAGAIN); unless it is the root, which is
 * gone (ESRCH).
 */
static int ckpt_exited(struct ckpt_ctx *ctx, struct ckpt_frozen *f, const char *what)
{
	bool root = f == list_first_entry(&ctx->tasks, struct ckpt_frozen, list);

	return ckpt_err(ctx, root ? -ESRCH : -EAGAIN, "task %d %s", f->pid, what);
}

/* Is @t in a state this version can save?  Checked before and after freezing. */
static int ckpt_check_task(struct ckpt_ctx *ctx, struct ckpt_frozen *f)
{
	struct task_struct *t = f->task;
	struct pid_namespace *ns;
	int ret;

	if (t->flags & (PF_KTHREAD | PF_IO_WORKER))
		return ckpt_err(ctx, -EINVAL, "task %d is a kernel thread", f->pid);
	if (same_thread_group(t, current))
		return ckpt_err(ctx, -EINVAL, "task %d is the caller itself", f->pid);
	if (f->zombie) {
		if (READ_ONCE(t->exit_state) != EXIT_ZOMBIE)
			return ckpt_err(ctx, -EAGAIN, "zombie %d is being reaped; try again",
					f->pid);
		if (!f->live && t == ctx->root)
			return ckpt_err(ctx, -ESRCH, "task %d has exited", f->pid);
	} else if (t->exit_state || (t->flags & PF_EXITING)) {
		/* The tree changed under us, as with a fork; only the root is final */
		return ckpt_err(ctx, t == ctx->root ? -ESRCH : -EAGAIN, "task %d is exiting",
				f->pid);
	}
	if (t->ptrace)
		return ckpt_err(ctx, -EBUSY, "task %d is being traced", f->pid);
	/*
	 * Every task is read as if the caller attached to it with ptrace.
	 * Checked again once the task is frozen, when neither its
	 * credentials nor its dumpable state can change any more (an exec
	 * of a setuid program in between is seen then), and before anything
	 * of any task is written.
	 */
	if (!ptrace_may_access(t, PTRACE_MODE_ATTACH_REALCREDS))
		return ckpt_err(ctx, -EPERM, "not allowed to ptrace task %d", f->pid);
	ret = security_checkpoint_task(t);
	if (ret)
		return ckpt_err(ctx, ret, "task %d: checkpoint denied by a security module",
				f->pid);
	rcu_read_lock();
	ns = task_active_pid_ns(t);
	rcu_read_unlock();
	/* Its pid is gone: reaped meanwhile */
	if (!ns)
		return ckpt_err(ctx, -EAGAIN, "task %d was reaped meanwhile; try again", f->pid);
	if (ns != ctx->pidns)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"task %d is in a nested pid namespace (not supported yet)",
				f->pid);
	if (f->zombie)
		return 0;
	if (t->signal->group_exec_task || (t->signal->flags & SIGNAL_GROUP_EXIT))
		return ckpt_exited(ctx, f, "is exec'ing or exiting");
	if (t->vfork_done)
		return ckpt_err(ctx, -EBUSY, "task %d is a vfork child that has not exec'ed",
				f->pid);
	if (task_is_traced(t))
		return ckpt_err(ctx, -EBUSY, "task %d is traced", f->pid);
	if (!t->mm)
		return ckpt_err(ctx, -EINVAL, "task %d has no address space", f->pid);
	return ckpt_arch_check_task(ctx, t);
}

static struct ckpt_frozen *ckpt_frozen_add(struct ckpt_ctx *ctx,
					   struct task_struct *t,
					   struct pid_namespace *ns, pid_t ppid)
{
	struct ckpt_frozen *f;
	int ret;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->task = get_task_struct(t);
	refcount_set(&f->ref, 1);
	init_waitqueue_head(&f->wq);
	f->state = CKPT_FREEZING;
	f->pid = task_pid_nr_ns(t, ns);
	f->tgid = task_tgid_nr_ns(t, ns);
	f->ppid = ppid;
	list_add_tail(&f->list, &ctx->tasks);
	ctx->nr_tasks++;
	/* In tree_pids first: once held, ckpt_tree_exited() may look it up */
	ret = xa_err(xa_store(&ctx->tree_pids, f->pid, f, GFP_KERNEL));
	if (!ret)
		ret = ckpt_hold(ctx, f);
	return ret ? ERR_PTR(ret) : f;
}

/*
 * Add the process of @leader (leader first, then its other threads) and
 * return, with a reference each, its child processes, in the order they
 * must be restored.
 */
static int ckpt_collect_process(struct ckpt_ctx *ctx, struct task_struct *leader,
				pid_t ppid, struct task_struct ***children,
				unsigned int *nr_children)
{
	struct pid_namespace *ns = ctx->pidns;
	struct task_struct *t, *c, **threads, **kids = NULL;
	unsigned int i, n = 0, nk = 0, max = 0, max_kids = 0;
	struct ckpt_frozen *f;
	int ret = 0;

	/* A zombie has no threads left and its children went to a reaper */
	if (READ_ONCE(leader->exit_state) && thread_group_empty(leader)) {
		f = ckpt_frozen_add(ctx, leader, ns, ppid);
		if (IS_ERR(f))
			return PTR_ERR(f);
		f->zombie = true;
		*children = NULL;
		*nr_children = 0;
		return 0;
	}

	/* Count, allocate, then collect; growing in between means "too fast" */
	read_lock(&tasklist_lock);
	for_each_thread(leader, t) {
		max++;
		list_for_each_entry(c, &t->children, sibling)
			max_kids++;
	}
	read_unlock(&tasklist_lock);
	max += 8;
	max_kids += 8;
	threads = kvcalloc(max, sizeof(*threads), GFP_KERNEL);
	kids = kvcalloc(max_kids, sizeof(*kids), GFP_KERNEL);
	if (!threads || !kids) {
		ret = -ENOMEM;
		goto out;
	}
	read_lock(&tasklist_lock);
	for_each_thread(leader, t) {
		if (n == max)
			break;
		threads[n++] = get_task_struct(t);
		list_for_each_entry(c, &t->children, sibling) {
			/* Being reaped: gone by the time we look at it */
			if (c->exit_state == EXIT_DEAD)
				continue;
			if (nk < max_kids)
				kids[nk++] = get_task_struct(c);
			else
				ret = -EAGAIN;
		}
	}
	read_unlock(&tasklist_lock);
	if (ret || n == max) {
		ret = ckpt_err(ctx, -EAGAIN, "process %d creates threads or children too fast",
			       task_pid_nr_ns(leader, ns));
		goto out;
	}
	f = ckpt_frozen_add(ctx, leader, ns, ppid);
	/* Its leader exited: saved from its first other thread */
	if (!IS_ERR(f) && READ_ONCE(leader->exit_state)) {
		f->zombie = true;
		f->live = n > 1 ? threads[threads[0] == leader ? 1 : 0] : NULL;
	}
	for (i = 0; !IS_ERR(f) && i < n; i++)
		if (threads[i] != leader)
			f = ckpt_frozen_add(ctx, threads[i], ns, ppid);
	if (IS_ERR(f))
		ret = PTR_ERR(f);
out:
	for (i = 0; i < n; i++)
		put_task_struct(threads[i]);
	kvfree(threads);
	if (ret) {
		while (nk)
			put_task_struct(kids[--nk]);
		kvfree(kids);
		return ret;
	}
	*children = kids;
	*nr_children = nk;
	return 0;
}

/*
 * Container mode: every task of the pid namespace must be in the tree, that
 * is a descendant of its init (a task that entered it with setns() is not).
 */
static int ckpt_check_pidns(struct ckpt_ctx *ctx)
{
	char comm[TASK_COMM_LEN] = "";
	pid_t nr = 1, stray = 0, parent = 0, tgid = 0;
	struct task_struct *t = NULL;
	bool exiting = false;
	struct pid *pid;

	if (!ctx->container)
		return 0;
	rcu_read_lock();
	while ((pid = find_ge_pid(nr, ctx->pidns))) {
		nr = pid_nr_ns(pid, ctx->pidns);
		t = pid_task(pid, PIDTYPE_PID);
		if (t && !xa_load(&ctx->tree_pids, nr)) {
			stray = nr;
			get_task_comm(comm, t);
			parent = task_tgid_nr_ns(rcu_dereference(t->real_parent), ctx->pidns);
			tgid = task_tgid_nr_ns(t, ctx->pidns);
			exiting = t->exit_state || (t->flags & PF_EXITING);
			break;
		}
		nr++;
	}
	rcu_read_unlock();
	if (stray && exiting)
		return ckpt_err(ctx, -EAGAIN,
				"task %d (%s) of the container's pid namespace, not in the tree, is exiting; try again",
				stray, comm);
	/* Forked or cloned by a task of the tree since it was collected */
	if (stray && (xa_load(&ctx->tree_pids, parent) || xa_load(&ctx->tree_pids, tgid)))
		return ckpt_err(ctx, -EAGAIN,
				"task %d (%s) was created by process %d while the tree was being collected; try again",
				stray, comm, tgid != stray ? tgid : parent);
	if (stray)
		return ckpt_err(ctx, -EBUSY,
				"task %d (%s, child of %d) of the container's pid namespace is not a descendant of its init",
				stray, comm, parent);
	return 0;
}

/*
 * The tree of @root's process: each process, then the subtree of each of
 * its children in turn (depth first), which is the order in which restart
 * creates them, parents first, and reads their records.
 */
static int ckpt_collect(struct ckpt_ctx *ctx, struct task_struct *root)
{
	struct pid_namespace *ns = ctx->pidns;
	struct task_struct **stack = NULL, **kids;
	unsigned int depth = 0, room = 0, nk, i;
	struct ckpt_frozen *f;
	int ret = 0;

	ctx->root = root->group_leader;
	stack = kvmalloc_array(16, sizeof(*stack), GFP_KERNEL);
	if (!stack)
		return -ENOMEM;
	room = 16;
	stack[depth++] = get_task_struct(ctx->root);
	while (depth) {
		struct task_struct *p = stack[--depth];
		pid_t ppid = p == ctx->root ? 0 :
			     task_tgid_nr_ns(rcu_dereference_raw(p->real_parent), ns);

		ret = ckpt_collect_process(ctx, p, ppid, &kids, &nk);
		put_task_struct(p);
		if (ret)
			break;
		if (depth + nk > room) {
			struct task_struct **bigger;

			room = 2 * (depth + nk);
			bigger = kvrealloc(stack, room * sizeof(*stack), GFP_KERNEL);
			if (!bigger) {
				while (nk)
					put_task_struct(kids[--nk]);
				kvfree(kids);
				ret = -ENOMEM;
				break;
			}
			stack = bigger;
		}
		/* Pushed in reverse, popped in order */
		for (i = nk; i-- > 0;)
			stack[depth++] = kids[i];
		kvfree(kids);
	}
	while (depth)
		put_task_struct(stack[--depth]);
	kvfree(stack);
	if (ret)
		return ret;
	list_for_each_entry(f, &ctx->tasks, list) {
		ret = ckpt_check_task(ctx, f);
		if (ret)
			return ret;
	}
	ret = ckpt_check_pidns(ctx);
	if (!ret)
		ret = ckpt_check_sharing(ctx);
	return ret;
}

/* Did a task of the tree fork, clone or exit since it was collected? */
static int ckpt_check_tree(struct ckpt_ctx *ctx)
{
	struct task_struct *c;
	struct ckpt_frozen *f;
	unsigned int nr = 0, kids = 0, leaders = 0;

	read_lock(&tasklist_lock);
	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie && !f->live) {
			nr++;
			leaders++;
			continue;
		}
		if (thread_group_leader(f->task)) {
			nr += get_nr_threads(f->task);
			leaders++;
		}
		list_for_each_entry(c, &f->task->children, sibling)
			kids++;
	}
	read_unlock(&tasklist_lock);
	/* Every child process is in the tree, and so is every thread */
	if (nr != ctx->nr_tasks || kids != leaders - 1)
		return ckpt_err(ctx, -EAGAIN,
				"the tree of %d changed while it was being frozen; try again",
				ctx->root_pid);
	return 0;
}

/*
 * A task parked in do_signal_stop() does not run task_work until SIGCONT:
 * take it as it is, with the switch count that tells later whether it ran.
 */
static bool ckpt_take_stopped(struct ckpt_frozen *f)
{
	if (!task_is_stopped(f->task))
		return false;
	f->ncsw = wait_task_inactive(f->task, __TASK_STOPPED);
	f->stopped = f->ncsw != 0;
	return f->stopped;
}

/* The threads of a process are all stopped by a group stop, or none is */
static int ckpt_check_stopped(struct ckpt_ctx *ctx)
{
	struct sighand_struct *sighand;
	struct ckpt_frozen *f, *t;
	unsigned long flags;
	int ret = 0;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->live && f->task->signal->flags & SIGNAL_STOP_STOPPED)
			return ckpt_err(ctx, -EOPNOTSUPP,
					"process %d is stopped and its leader exited (not supported yet)",
					f->pid);
		if (!thread_group_leader(f->task) || f->zombie)
			continue;
		t = f;
		list_for_each_entry_from(t, &ctx->tasks, list) {
			if (!same_thread_group(t->task, f->task))
				break;
			if (t->stopped != f->stopped)
				ret = -EAGAIN;
		}
		/* Killed meanwhile: its signal handlers may be gone already */
		sighand = lock_task_sighand(f->task, &flags);
		if (!sighand)
			return ckpt_err(ctx, -ESRCH, "process %d exited during checkpoint",
					f->pid);
		if (f->stopped && !(f->task->signal->flags & SIGNAL_STOP_STOPPED))
			ret = -EAGAIN;
		spin_unlock_irqrestore(&sighand->siglock, flags);
		if (ret)
			return ckpt_err(ctx, ret, "process %d is being stopped; try again",
					f->pid);
	}
	return 0;
}

/*
 * A parent waits in vfork() until its child execs or exits, and does not
 * run its freeze work meanwhile: such a tree cannot be frozen.
 */
static int ckpt_check_vfork(struct ckpt_ctx *ctx)
{
	struct task_struct *c;
	struct ckpt_frozen *f;
	pid_t child = 0;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie)
			continue;
		if (READ_ONCE(f->task->vfork_done))
			return ckpt_err(ctx, -EBUSY,
					"task %d is a vfork child that has not exec'ed", f->pid);
		/* Its child may be one it created since it was collected */
		read_lock(&tasklist_lock);
		list_for_each_entry(c, &f->task->children, sibling)
			if (READ_ONCE(c->vfork_done))
				child = task_pid_nr_ns(c, ctx->pidns);
		read_unlock(&tasklist_lock);
		if (child)
			return ckpt_err(ctx, -EBUSY,
					"task %d waits in vfork() for its child %d", f->pid, child);
	}
	return 0;
}

/* A task of the tree started to exit while held: it waits for us */
static int ckpt_tree_exited(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f = xa_load(&ctx->tree_pids, READ_ONCE(ctx->killed));

	if (WARN_ON_ONCE(!f))
		return -ESRCH;
	return ckpt_exited(ctx, f, "started to exit during checkpoint");
}

/* Wait until @f is frozen, or has exited; a vfork() in the tree ends it */
static int ckpt_wait_frozen(struct ckpt_ctx *ctx, struct ckpt_frozen *f)
{
	long ret;

	do {
		ret = wait_event_killable_timeout(f->wq, ckpt_frozen_state(f) != CKPT_FREEZING,
						  HZ / 10);
		if (ret < 0)
			return ckpt_err(ctx, -EINTR, "interrupted while freezing task %d", f->pid);
		if (READ_ONCE(ctx->killed))
			return ckpt_tree_exited(ctx);
		if (!ret && ckpt_check_vfork(ctx))
			return -EBUSY;
	} while (!ret);
	if (f->state != CKPT_FROZEN)
		return ckpt_exited(ctx, f, "exited while being frozen");
	return 0;
}

static int ckpt_freeze(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f;
	int ret;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie)
			continue;
		init_task_work(&f->work, ckpt_freeze_work);
		refcount_inc(&f->ref);
		if (task_work_add(f->task, &f->work, TWA_SIGNAL)) {
			refcount_dec(&f->ref);
			return ckpt_exited(ctx, f, "is exiting");
		}
		f->queued = true;
	}

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie || ckpt_take_stopped(f))
			goto check;
		ret = ckpt_wait_frozen(ctx, f);
		if (ret)
			return ret;
		ret = ckpt_wait_asleep(f->task);
		if (ret)
			return ckpt_err(ctx, ret, "task %d did not stay frozen", f->pid);
check:
		ret = ckpt_check_task(ctx, f);
		if (ret)
			return ret;
	}
	ret = ckpt_check_tree(ctx);
	if (!ret)
		ret = ckpt_check_pidns(ctx);
	if (!ret)
		ret = ckpt_check_stopped(ctx);
	if (!ret)
		ret = ckpt_check_sharing(ctx);
	if (ret)
		return ret;
	ckpt_log(ctx, "froze %u task(s)", ctx->nr_tasks);
	return 0;
}

/* Did every task stay frozen (or stopped) while the image was written? */
static int ckpt_check_still_frozen(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f;

	if (READ_ONCE(ctx->killed))
		return ckpt_tree_exited(ctx);
	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie)
			continue;
		/* A tracer may have read or changed what we saved */
		if (READ_ONCE(f->task->ptrace))
			return ckpt_err(ctx, -EBUSY,
					"task %d was attached by a tracer during checkpoint",
					f->pid);
		if (f->stopped) {
			if (ckpt_frozen_state(f) != CKPT_FREEZING ||
			    wait_task_inactive(f->task, __TASK_STOPPED) != f->ncsw)
				return ckpt_err(ctx, -EAGAIN,
						"stopped task %d was continued during checkpoint; try again",
						f->pid);
			continue;
		}
		if (ckpt_frozen_state(f) != CKPT_FROZEN)
			return ckpt_err(ctx, -ESRCH, "task %d was killed during checkpoint",
					f->pid);
	}
	return 0;
}

/*
 * Let the tasks go: killed, or stopped by a SIGSTOP they find pending
 * (CHECKPOINT_STOP), or on their way
 */
static void ckpt_thaw(struct ckpt_ctx *ctx, bool kill, bool stop)
{
	struct ckpt_frozen *f, *tmp;

	/* Before the SIGKILLs: the tasks exit without waiting for us */
	ckpt_unhold(ctx);
	list_for_each_entry_safe(f, tmp, &ctx->tasks, list) {
		if (kill || stop)
			do_send_sig_info(kill ? SIGKILL : SIGSTOP, SEND_SIG_PRIV, f->task,
					 PIDTYPE_TGID);
		if (f->queued && task_work_cancel(f->task, &f->work))
			ckpt_frozen_put(f);
		WRITE_ONCE(f->thaw, true);
		wake_up(&f->wq);
		list_del(&f->list);
		ckpt_frozen_put(f);
	}
}

/**
 * ckpt_visit_live_tasks() - call a function for each frozen task
 * @ctx: checkpoint context
 * @fn: called with each task of the tree but the zombies, and its pid in
 *	the tree's namespace; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or what @fn returned.
 */
int ckpt_visit_live_tasks(struct ckpt_ctx *ctx, ckpt_task_fn fn, void *arg)
{
	struct ckpt_frozen *f;
	int ret;

	list_for_each_entry(f, &ctx->tasks, list) {
		if (f->zombie)
			continue;
		ret = fn(ctx, f->task, f->pid, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int ckpt_write_header(struct ckpt_ctx *ctx)
{
	struct ckpt_image_header *h = &ctx->hdr;

	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le64(CKPT_IMAGE_MAGIC);
	h->version = cpu_to_le32(ctx->version);
	h->page_size = cpu_to_le32(PAGE_SIZE);
	h->flags = cpu_to_le32(ctx->flags & ~CHECKPOINT_VERSION_MASK);
	h->time_real_ns = cpu_to_le64(ktime_get_real_ns());
	h->time_mono_ns = cpu_to_le64(ktime_get_ns());
	h->time_boot_ns = cpu_to_le64(ktime_get_boottime_ns());
	strscpy_pad(h->release, utsname()->release, sizeof(h->release));
	h->nr_tasks = cpu_to_le32(ctx->nr_tasks);
	ckpt_arch_fill_header(h);
	return ckpt_write_rec(ctx, CKPT_REC_HEADER, h, sizeof(*h));
}

/*
 * The id of a process group or session as the image gives it: its number in
 * the namespace if its leader is in the tree or has exited (restart then
 * recreates the id), 0 if it lies outside (restart uses the caller's).
 */
static pid_t ckpt_group_nr(struct ckpt_ctx *ctx, struct pid *pid)
{
	pid_t nr = pid_nr_ns(pid, ctx->pidns);
	struct task_struct *leader;

	if (!nr)
		return 0;
	leader = pid_task(pid, PIDTYPE_PID);
	if (!leader || xa_load(&ctx->tree_pids, nr))
		return nr;
	return 0;
}

static int ckpt_fill_tree_task(struct ckpt_ctx *ctx, struct ckpt_frozen *f,
			       struct ckpt_tree_task *ent)
{
	struct task_struct *t = f->task;
	u32 flags = 0;

	ent->pid = cpu_to_le32(f->pid);
	ent->tgid = cpu_to_le32(f->tgid);
	ent->ppid = cpu_to_le32(f->ppid);
	rcu_read_lock();
	ent->pgid = cpu_to_le32(ckpt_group_nr(ctx, task_pgrp(t)));
	ent->sid = cpu_to_le32(ckpt_group_nr(ctx, task_session(t)));
	rcu_read_unlock();
	/*
	 * A session of the tree keeps a pty of the tree as its terminal;
	 * restart gives it no other.
	 */
	if (ent->sid && thread_group_leader(t) && ckpt_pty_outside_ctty(ctx, t))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"process %d has a controlling terminal from outside in a session of its own (not supported yet)",
				f->pid);
	if (f->live) {
		flags |= CKPT_TREE_EXITED;
		ent->exit_code = cpu_to_le32(READ_ONCE(t->exit_code));
	} else if (f->zombie) {
		flags |= CKPT_TREE_ZOMBIE;
		ent->exit_code = cpu_to_le32(READ_ONCE(t->exit_code));
		ent->exit_signal = cpu_to_le32(READ_ONCE(t->exit_signal));
	}
	if (f->stopped && thread_group_leader(t))
		flags |= CKPT_TREE_STOPPED;
	if (ctx->container && t == ctx->root)
		flags |= CKPT_TREE_PIDNS;
	ent->flags = cpu_to_le32(flags);
	return 0;
}

static int ckpt_write_tree(struct ckpt_ctx *ctx)
{
	struct ckpt_tree tree = { .nr_tasks = cpu_to_le32(ctx->nr_tasks) };
	struct ckpt_tree_task *ents;
	struct ckpt_frozen *f;
	unsigned int i = 0;
	int ret;

	ents = kvcalloc(ctx->nr_tasks, sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	list_for_each_entry(f, &ctx->tasks, list) {
		ret = ckpt_fill_tree_task(ctx, f, &ents[i++]);
		if (ret)
			goto out;
	}
	ret = ckpt_write_rec_var(ctx, CKPT_REC_TREE, &tree, sizeof(tree), ents,
				 ctx->nr_tasks * sizeof(*ents));
out:
	kvfree(ents);
	return ret;
}

/* The image of the frozen tree, after its header: see ckpt_do_checkpoint() */
static int ckpt_write_tasks(struct ckpt_ctx *ctx)
{
	struct ckpt_frozen *f;
	int ret;

	ret = ckpt_write_tree(ctx) ?: ckpt_write_namespaces(ctx);
	list_for_each_entry(f, &ctx->tasks, list) {
		if (ret)
			break;
		if (!f->zombie || f->live)
			ret = ckpt_checkpoint_task(ctx, f->task, f->live);
	}
	/* What the image says of a shared object may not hold */
	if (!ret)
		ret = ckpt_check_objs(ctx, ctx->container &&
				      !(ctx->flags & CHECKPOINT_SHARED_OK));
	return ret ?: ckpt_check_still_frozen(ctx) ?: ckpt_write_trailer(ctx) ?:
	       ckpt_mm_track(ctx);
}

/*
 * CHECKPOINT_PREDUMP: the pages are found and held while the tree is
 * frozen, and written once it runs again (mm/checkpoint.c)
 */
static int ckpt_predump(struct ckpt_ctx *ctx, u64 t0)
{
	int ret = ckpt_mm_predump_hold(ctx);

	ckpt_thaw(ctx, false, false);
	ckpt_log(ctx, "pre-dump: the tasks run again after %llu us frozen",
		 div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
	return ret ?: ckpt_mm_predump_write(ctx) ?: ckpt_write_trailer(ctx);
}

/**
 * ckpt_do_checkpoint() - the body of checkpoint(2)
 * @ctx: context with the image and log files set up
 * @pid: the task to checkpoint, in the caller's pid namespace
 *
 * Return: 0 or a negative error; on error the tasks are left running.
 */
long ckpt_do_checkpoint(struct ckpt_ctx *ctx, pid_t pid)
{
	enum ckpt_thaw how = CKPT_THAW_GO;
	struct task_struct *root;
	u64 t0 = ktime_get_ns();
	int ret;

	root = find_get_task_by_vpid(pid);
	if (!root)
		return ckpt_err(ctx, -ESRCH, "no task %d", pid);
	if (!ptrace_may_access(root, PTRACE_MODE_ATTACH_REALCREDS)) {
		put_task_struct(root);
		return ckpt_err(ctx, -EPERM, "not allowed to ptrace task %d", pid);
	}
	ctx->root_pid = pid;
	ctx->pidns = task_active_pid_ns(root);
	/* Container mode: the root is the init of a pid namespace below ours */
	ctx->container = ctx->pidns != task_active_pid_ns(current) &&
			 task_tgid_nr_ns(root, ctx->pidns) == 1 &&
			 !(ctx->flags & CHECKPOINT_SUBTREE);
	if (ctx->container)
		ckpt_log(ctx, "container mode: task %d is the init of a pid namespace", pid);
	/* Checked with the other namespaces (ckpt_write_namespaces()) */
	if (task_cred_xxx(root, user_ns) != current_user_ns())
		ctx->user_ns = get_user_ns(task_cred_xxx(root, user_ns));
	ctx->caller = current;
	static_branch_inc(&checkpoint_exit_key);
	ret = ckpt_collect(ctx, root);
	put_task_struct(root);
	if (!ret)
		ret = ckpt_freeze(ctx);
	if (ret)
		goto out;

	ret = ckpt_write_header(ctx) ?: ckpt_arch_checkpoint_cpu(ctx) ?:
	      ckpt_mm_write_chain(ctx);
	if (!ret)
		ret = ctx->flags & CHECKPOINT_PREDUMP ? ckpt_predump(ctx, t0) :
		      ckpt_write_tasks(ctx);
	if (!ret)
		ckpt_log_stats(ctx);
	if (!ret)
		ckpt_log(ctx,
			 "checkpoint of %u task(s) complete: %llu bytes, %u records, %llu us frozen",
			 ctx->nr_tasks, ctx->size, ctx->nr_records,
			 div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
out:
	/* Whatever failed, the first task that started to exit is the reason */
	if (ret && READ_ONCE(ctx->killed))
		ret = ckpt_tree_exited(ctx);
	if (!ret && (ctx->flags & CHECKPOINT_KILL))
		how = CKPT_THAW_KILL;
	else if (!ret && (ctx->flags & CHECKPOINT_STOP))
		how = CKPT_THAW_STOP;
	if (how == CKPT_THAW_KILL)
		ckpt_park_namespaces(ctx);
	ckpt_thaw_objs(ctx, how);
	ckpt_thaw(ctx, how == CKPT_THAW_KILL, how == CKPT_THAW_STOP);
	static_branch_dec(&checkpoint_exit_key);
	return ret;
}
