// SPDX-License-Identifier: GPL-2.0-only
/*
 * restart(2): rebuild the tasks of an image.
 *
 * The caller is the coordinator.  It reads the header and the task tree,
 * then creates each task with kernel_clone() and set_tid, so that it gets
 * its old pid.  A new task starts in ckpt_restart_task_fn(), in kernel
 * mode and in its own context, and reads its own part of the image: the
 * records are read strictly in order, one task after the other, so the
 * image can be a pipe.  Each task builds its address space, file table
 * and so on as "current", then waits.
 *
 * Once every task is built and the trailer's checksum is verified, the
 * coordinator loads their CPU state through the same regsets that ptrace
 * uses (the tasks are asleep, like stopped tracees) and lets them go.  On
 * any error the new tasks exit before running a single user instruction,
 * and the coordinator reaps them.
 */
#include <linux/checkpoint.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/utsname.h>
#include <uapi/linux/wait.h>

#include "checkpoint.h"

static int ckpt_read_header(struct ckpt_ctx *ctx)
{
	struct ckpt_image_header *h = &ctx->hdr;
	char release[sizeof(h->release) + 1];
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_HEADER, h, sizeof(*h));
	if (ret)
		return ret;
	if (le64_to_cpu(h->magic) != CKPT_IMAGE_MAGIC)
		return ckpt_err(ctx, -EINVAL, "not a checkpoint image (bad magic)");
	if (!h->version)
		return ckpt_err(ctx, -EINVAL, "image format version 0");
	if (le32_to_cpu(h->version) > CKPT_IMAGE_VERSION)
		return ckpt_err(ctx, -ENOEXEC,
				"image format version %u is newer than this kernel's (%u)",
				le32_to_cpu(h->version), CKPT_IMAGE_VERSION);
	ctx->version = le32_to_cpu(h->version);
	if (le32_to_cpu(h->page_size) != PAGE_SIZE)
		return ckpt_err(ctx, -ENOEXEC, "image page size %u, this kernel uses %lu",
				le32_to_cpu(h->page_size), PAGE_SIZE);
	ret = ckpt_arch_check_header(ctx, h);
	if (ret)
		return ret;
	memcpy(release, h->release, sizeof(h->release));
	release[sizeof(h->release)] = '\0';
	ckpt_log(ctx, "image of %u task(s) from kernel %s%s",
		 le32_to_cpu(h->nr_tasks), release,
		 strcmp(release, utsname()->release) ? " (another kernel)" : "");
	return 0;
}

/*
 * Entry @i of the tree must come in the depth-first order checkpoint
 * writes: the root process; after a process its threads, then each child
 * process followed by its own subtree.  @stack holds the indices of the
 * current process and its ancestors; a process popped from it has its
 * subtree end at @i.
 */
static bool ckpt_tree_order_ok(struct ckpt_ctx *ctx, u32 i, u32 *stack,
			       u32 *depth)
{
	struct ckpt_rtask *rt = &ctx->rtasks[i];
	struct ckpt_rtask *prev = i ? &ctx->rtasks[i - 1] : NULL;

	if (i == 0) {
		if (rt->tgid != rt->pid || rt->ppid)
			return false;
		stack[(*depth)++] = i;
		return true;
	}
	/* A zombie has neither threads nor children */
	if ((prev->flags & CKPT_TREE_ZOMBIE) &&
	    (rt->tgid == prev->pid || rt->ppid == prev->pid))
		return false;
	/* A leader that exited has threads, which come right after it */
	if ((prev->flags & CKPT_TREE_EXITED) &&
	    (rt->tgid != prev->pid || rt->pid == rt->tgid))
		return false;
	if (rt->pid != rt->tgid)	/* a thread, right after its process */
		return rt->tgid == prev->tgid && rt->ppid == prev->ppid &&
		       rt->pgid == prev->pgid && rt->sid == prev->sid;
	while (*depth && ctx->rtasks[stack[*depth - 1]].pid != rt->ppid)
		ctx->rtasks[stack[--(*depth)]].end = i;
	if (!*depth)
		return false;
	stack[(*depth)++] = i;
	return true;
}

static bool ckpt_tree_flags_ok(u32 i, struct ckpt_rtask *rt)
{
	u32 flags = rt->flags;

	if (flags & ~(CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED | CKPT_TREE_PIDNS |
		      CKPT_TREE_EXITED))
		return false;
	/* Only the root can be a pid namespace's init, and it is pid 1 there */
	if ((flags & CKPT_TREE_PIDNS) && (i || rt->pid != 1))
		return false;
	/* Stopped and zombie are states of a process, not of a thread */
	if ((flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED | CKPT_TREE_EXITED)) &&
	    rt->pid != rt->tgid)
		return false;
	if (flags & CKPT_TREE_EXITED)
		return !(flags & (CKPT_TREE_ZOMBIE | CKPT_TREE_STOPPED)) &&
		       !(rt->exit_code & ~0xffff) && !rt->exit_signal;
	if (flags & CKPT_TREE_ZOMBIE)
		return i && !(flags & CKPT_TREE_STOPPED) &&
		       !(rt->exit_code & ~0xffff) && valid_signal(rt->exit_signal);
	return !rt->exit_code && !rt->exit_signal;
}

static int ckpt_read_tree(struct ckpt_ctx *ctx)
{
	struct ckpt_tree *tree;
	struct ckpt_tree_task *ents;
	u32 len, nr, i, depth = 0;
	u32 *stack = NULL;
	int ret = 0;

	tree = ckpt_read_rec_var(ctx, CKPT_REC_TREE, sizeof(*tree), &len);
	if (IS_ERR(tree))
		return PTR_ERR(tree);
	ret = ckpt_read_end(ctx);
	if (ret)
		goto out;
	nr = le32_to_cpu(tree->nr_tasks);
	if (nr != le32_to_cpu(ctx->hdr.nr_tasks) || tree->__pad ||
	    len != ALIGN(sizeof(*tree) + (size_t)nr * sizeof(*ents), 8)) {
		ret = ckpt_err(ctx, -EINVAL,
			       "TREE record has %u entries in %u bytes, header says %u tasks",
			       nr, len, le32_to_cpu(ctx->hdr.nr_tasks));
		goto out;
	}
	ctx->rtasks = kvcalloc(nr, sizeof(*ctx->rtasks), GFP_KERNEL_ACCOUNT);
	stack = kvcalloc(nr, sizeof(*stack), GFP_KERNEL);
	if (!ctx->rtasks || !stack) {
		ret = -ENOMEM;
		goto out;
	}
	ents = (void *)(tree + 1);
	for (i = 0; i < nr; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		rt->ctx = ctx;
		rt->pid = le32_to_cpu(ents[i].pid);
		rt->tgid = le32_to_cpu(ents[i].tgid);
		rt->ppid = le32_to_cpu(ents[i].ppid);
		rt->flags = le32_to_cpu(ents[i].flags);
		rt->pgid = le32_to_cpu(ents[i].pgid);
		rt->sid = le32_to_cpu(ents[i].sid);
		rt->exit_code = le32_to_cpu(ents[i].exit_code);
		rt->exit_signal = le32_to_cpu(ents[i].exit_signal);
		init_completion(&rt->done);
		init_completion(&rt->released);
		init_waitqueue_head(&rt->wq);
		if (rt->pid <= 0 || rt->pgid < 0 || rt->sid < 0 ||
		    !ckpt_tree_flags_ok(i, rt) || !ckpt_tree_order_ok(ctx, i, stack, &depth)) {
			ret = ckpt_err(ctx, -EINVAL,
				       "TREE entry %u is invalid (pid %d tgid %d ppid %d)",
				       i, rt->pid, rt->tgid, rt->ppid);
			goto out;
		}
		ret = xa_insert(&ctx->tree_pids, rt->pid, rt, GFP_KERNEL);
		if (ret) {
			if (ret == -EBUSY)
				ret = ckpt_err(ctx, -EINVAL, "TREE entry %u: pid %d is there twice",
					       i, rt->pid);
			goto out;
		}
	}
	while (depth)
		ctx->rtasks[stack[--depth]].end = nr;
	if (nr && (ctx->rtasks[nr - 1].flags & CKPT_TREE_EXITED)) {
		ret = ckpt_err(ctx, -EINVAL, "TREE entry %u: an exited leader without threads",
			       nr - 1);
		goto out;
	}
	ctx->nr_tasks = nr;
out:
	kvfree(stack);
	kvfree(tree);
	return ret;
}

static int ckpt_restart_task_fn(void *arg);

/* Create the task @rt from the current one and let it read its records */
static int ckpt_spawn_one(struct ckpt_ctx *ctx, struct ckpt_rtask *rt, u64 flags)
{
	struct kernel_clone_args args = {
		.flags = flags | CLONE_UNTRACED,
		.exit_signal = 0,
		.fn = ckpt_restart_task_fn,
		.fn_arg = rt,
		.set_tid = &rt->pid,
		.set_tid_size = 1,
	};
	pid_t pid;

	pid = kernel_clone(&args);
	if (pid < 0) {
		if (pid == -EEXIST)
			return ckpt_err(ctx, -EBUSY, "pid %d is in use", rt->pid);
		if (pid == -EPERM && (flags & (CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)))
			return ckpt_err(ctx, pid,
					"creating the container's namespaces needs CAP_SYS_ADMIN");
		return ckpt_err(ctx, pid, "cannot create task %d", rt->pid);
	}
	if (rt == &ctx->rtasks[0])
		ctx->root_vpid = pid;
	/*
	 * Our child or thread: it runs ckpt_restart_task_fn() and does not
	 * exit before the coordinator lets it go, so its pid stays.
	 */
	rcu_read_lock();
	rt->task = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (rt->task)
		get_task_struct(rt->task);
	rcu_read_unlock();
	if (!rt->task)
		return ckpt_err(ctx, -ESRCH, "task %d exited as it was created", rt->pid);
	if (wait_for_completion_killable(&rt->done)) {
		/* Its read may block on the image: make it fail */
		send_sig(SIGKILL, rt->task, 1);
		wait_for_completion(&rt->done);
		return ckpt_err(ctx, -EINTR, "interrupted");
	}
	return rt->result;
}

/*
 * A leader creates its threads and children on the CPU it runs on: it only
 * waits while each one reads its records, and a task created elsewhere
 * would cost waking another CPU for it, and this one again once it is
 * done, twice per task.  The new task runs first where its creator ran,
 * then takes back the CPUs its creator had (ckpt_spawn_unpin()).  Only
 * where the task was created changes, not the CPUs it may use.
 */
static void ckpt_spawn_pin(struct ckpt_rtask *leader)
{
	leader->cpus = kmalloc(cpumask_size(), GFP_KERNEL);
	if (!leader->cpus)
		return;
	cpumask_copy(leader->cpus, current->cpus_ptr);
	leader->pin_cpu = raw_smp_processor_id();
	if (set_cpus_allowed_ptr(current, cpumask_of(leader->pin_cpu))) {
		kfree(leader->cpus);
		leader->cpus = NULL;
	}
}

/*
 * Current, created by @by, gets back the CPUs @by had before it pinned
 * itself: unless someone else (a cpuset) set others meanwhile.
 */
static void ckpt_spawn_unpin(struct ckpt_rtask *by)
{
	if (by && by->cpus && cpumask_equal(current->cpus_ptr, cpumask_of(by->pin_cpu)))
		set_cpus_allowed_ptr(current, by->cpus);
}

/*
 * Called by a restored process leader, once it has rebuilt what its threads
 * share: create its threads, then its child processes, in the order of the
 * tree, so that each one reads its records in turn.
 */
static int ckpt_spawn_family(struct ckpt_ctx *ctx, struct ckpt_rtask *leader)
{
	u32 i = leader - ctx->rtasks + 1;
	int ret = 0;

	ckpt_spawn_pin(leader);
	/* Its threads come right after it */
	for (; !ret && i < leader->end && ctx->rtasks[i].pid != ctx->rtasks[i].tgid; i++) {
		ctx->rtasks[i].parent = leader;
		ret = ckpt_spawn_one(ctx, &ctx->rtasks[i],
				     CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				     CLONE_THREAD | CLONE_SYSVSEM);
	}
	/* Then each child process, followed by its own subtree */
	for (; !ret && i < leader->end; i = ctx->rtasks[i].end) {
		ctx->rtasks[i].parent = leader;
		/* It installs an mm and a file table of its own */
		ret = ckpt_spawn_one(ctx, &ctx->rtasks[i], CLONE_VM);
	}
	/* Each task created has taken its CPUs back: no one reads them now */
	ckpt_spawn_unpin(leader);
	kfree(leader->cpus);
	leader->cpus = NULL;
	return ret;
}

/*
 * Reap the child processes of an aborted leader; it must not leave
 * zombies.  They are all restored tasks, aborted before it: wait for any
 * child until there is none.
 */
static void ckpt_reap_children(void)
{
	long ret;

	do {
		ret = kernel_wait4(-1, NULL, __WALL, NULL);
		if (ret == -ERESTARTSYS && !fatal_signal_pending(current))
			schedule_timeout_uninterruptible(1);
	} while (ret > 0 || (ret == -ERESTARTSYS && !fatal_signal_pending(current)));
}

/*
 * Wait until the coordinator lets the task go (1) or aborts it (-1).  Not
 * killable: a task of the image must not exit, nor be reaped, while the
 * coordinator still works on it; a SIGKILL sent meanwhile stays pending
 * and acts once the task is let go.
 */
static int ckpt_wait_go(struct ckpt_rtask *rt)
{
	wait_event_idle(rt->wq, READ_ONCE(rt->go));
	return READ_ONCE(rt->go);
}

/* The coordinator's side: let the task go (1) or abort it (-1) */
static void ckpt_wake(struct ckpt_rtask *rt, int go)
{
	WRITE_ONCE(rt->go, go);
	wake_up(&rt->wq);
}

/*
 * A zombie: nothing to read.  When let go it exits with its old status,
 * before any other task of the image runs; the coordinator gives it its
 * exit signal back once it is a zombie, so that the parent gets no second
 * notification.
 */
static int ckpt_restart_zombie_fn(struct ckpt_rtask *rt)
{
	int go, code = rt->exit_code;

	complete_all(&rt->done);
	go = ckpt_wait_go(rt);
	complete_all(&rt->released);
	do_exit(go < 0 ? SIGKILL : code);
}

/* The first code a restored task runs, in kernel mode */
static int ckpt_restart_task_fn(void *arg)
{
	struct ckpt_rtask *rt = arg;
	struct ckpt_resume *resume;
	bool leader, exited;
	int go, code;

	ckpt_spawn_unpin(rt->parent);
	if (rt->flags & CKPT_TREE_ZOMBIE)
		return ckpt_restart_zombie_fn(rt);
	/* The root fills its new namespaces before anything uses them */
	if (rt == &rt->ctx->rtasks[0])
		rt->result = ckpt_enter_namespaces(rt->ctx);
	if (!rt->result)
		rt->result = ckpt_restart_task(rt->ctx, rt);
	if (!rt->result && rt->pid == rt->tgid)
		rt->result = ckpt_spawn_family(rt->ctx, rt);
	complete_all(&rt->done);

	go = ckpt_wait_go(rt);
	resume = rt->resume;
	rt->resume = NULL;
	leader = rt->pid == rt->tgid;
	exited = rt->flags & CKPT_TREE_EXITED;
	code = rt->exit_code;
	/* From here on, @rt and its context may be gone */
	complete_all(&rt->released);

	if (go < 0) {
		ckpt_resume_free(resume);
		if (leader)
			ckpt_reap_children();
		do_exit(SIGKILL);
	}
	ckpt_restart_resume(resume);
	/* A leader that had exited leaves its threads running, as it did */
	if (exited)
		do_exit(code);
	/* Returns to user mode through ret_from_fork() */
	return 0;
}

/*
 * @rt asleep in the kernel, its state rebuilt: its registers and CPU time
 * are applied, and the security modules are asked whether it may run.
 */
static int ckpt_finish_task(struct ckpt_ctx *ctx, struct ckpt_rtask *rt)
{
	bool zombie = rt->flags & CKPT_TREE_ZOMBIE;
	int ret;

	ret = ckpt_wait_asleep(rt->task);
	if (ret)
		return ckpt_err(ctx, ret, "task %d died before it could run", rt->pid);
	ret = zombie ? 0 : ckpt_arch_restart_apply(ctx, rt);
	if (ret)
		return ret;
	if (!zombie && ckpt_restart_cputime_apply(rt))
		return ckpt_err(ctx, -EBUSY, "task %d ran before it was let go", rt->pid);
	ret = security_restart_task(rt->task);
	if (ret)
		return ckpt_err(ctx, ret, "task %d: restart denied by a security module", rt->pid);
	return 0;
}

/*
 * Check the process groups and sessions of the image against the rules
 * that setpgid(2) and setsid(2) keep, and create the ids whose leader had
 * exited: a struct pid with no task of its own, as such an id is in a live
 * system.  @own maps the pid of each process of the image to its entry.
 */
static int ckpt_prepare_groups(struct ckpt_ctx *ctx, struct pid_namespace *ns,
			       struct xarray *own, struct xarray *ph)
{
	struct xarray grp_sid;
	unsigned int i;
	int ret = 0;

	xa_init(&grp_sid);
	for (i = 0; !ret && i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i], *leader;
		pid_t nr[2] = { rt->pgid, rt->sid };
		void *old;
		int k;

		if (rt->pid != rt->tgid)
			continue;
		/* A session leader leads its group; a group is in one session */
		if ((rt->sid == rt->pid && rt->pgid != rt->pid) || (rt->sid && !rt->pgid)) {
			ret = ckpt_err(ctx, -EINVAL,
				       "process %d: process group %d, session %d: invalid",
				       rt->pid, rt->pgid, rt->sid);
			break;
		}
		leader = rt->pgid ? xa_load(own, rt->pgid) : NULL;
		old = xa_store(&grp_sid, rt->pgid, xa_mk_value(rt->sid), GFP_KERNEL);
		if (xa_is_err(old)) {
			ret = xa_err(old);
			break;
		}
		if ((leader && leader->sid != rt->sid) ||
		    (old && xa_to_value(old) != rt->sid)) {
			ret = ckpt_err(ctx, -EINVAL,
				       "process %d: process group %d is in another session than %d",
				       rt->pid, rt->pgid, rt->sid);
			break;
		}
		for (k = 0; k < 2; k++) {
			struct pid *pid;
			bool taken;

			if (!nr[k] || xa_load(own, nr[k]) || xa_load(ph, nr[k]))
				continue;
			rcu_read_lock();
			taken = find_pid_ns(nr[k], ns);
			rcu_read_unlock();
			pid = taken ? ERR_PTR(-EEXIST) : alloc_pid(ns, &nr[k], 1);
			if (IS_ERR(pid)) {
				ret = PTR_ERR(pid);
				if (ret == -EEXIST)
					ret = ckpt_err(ctx, -EBUSY,
						       "pid %d (a %s of process %d) is in use",
						       nr[k], k ? "session" : "process group",
						       rt->pid);
				else
					ret = ckpt_err(ctx, ret,
						       "cannot create the id %d of a process group or session",
						       nr[k]);
				break;
			}
			ret = xa_err(xa_store(ph, nr[k], pid, GFP_KERNEL));
			if (ret) {
				free_pid(pid);
				break;
			}
		}
	}
	xa_destroy(&grp_sid);
	return ret;
}

/*
 * Give every restored process its process group and session.  The tasks
 * got the caller's, or their parent's, when they were created; ids outside
 * the tree (0 in the image) become the caller's.  Nothing runs yet, so the
 * change is seen by nobody but the tasks' future selves.
 */
static int ckpt_restore_groups(struct ckpt_ctx *ctx)
{
	struct pid_namespace *ns = task_active_pid_ns(ctx->rtasks[0].task);
	struct xarray own, ph;
	struct pid *pid;
	unsigned long nr;
	unsigned int i;
	int ret = 0;

	xa_init(&own);
	xa_init(&ph);
	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		if (ctx->rtasks[i].pid == ctx->rtasks[i].tgid)
			ret = xa_err(xa_store(&own, ctx->rtasks[i].pid, &ctx->rtasks[i],
					      GFP_KERNEL));
	if (!ret)
		ret = ckpt_prepare_groups(ctx, ns, &own, &ph);
	if (ret) {
		xa_for_each(&ph, nr, pid)
			free_pid(pid);
		goto out;
	}

	/* Attached ids stay while a task uses them, placeholders included */
	write_lock_irq(&tasklist_lock);
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];
		struct task_struct *t = rt->task;
		struct pid *pgrp, *session;

		if (rt->pid != rt->tgid)
			continue;
		pgrp = rt->pgid ? find_pid_ns(rt->pgid, ns) : task_pgrp(current);
		session = rt->sid ? find_pid_ns(rt->sid, ns) : task_session(current);
		if (task_session(t) != session)
			change_pid(t, PIDTYPE_SID, session);
		if (task_pgrp(t) != pgrp)
			change_pid(t, PIDTYPE_PGID, pgrp);
		t->signal->leader = rt->sid == rt->pid;
	}
	write_unlock_irq(&tasklist_lock);

	/* The caller's terminal is no controlling terminal of another session */
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		if (rt->pid == rt->tgid && rt->sid)
			proc_clear_tty(rt->task);
	}
out:
	xa_destroy(&own);
	xa_destroy(&ph);
	return ret;
}

/* Let an aborted task go, wait for it to die and reap it */
static void ckpt_abort_task(struct ckpt_rtask *rt)
{
	long ret;

	wait_for_completion(&rt->done);
	ckpt_wake(rt, -1);
	wait_for_completion(&rt->released);
	/*
	 * It exits at once, without running a user instruction.  A pending
	 * signal makes do_wait() return early: try again until the zombie is
	 * there.  If we are dying, init reaps it after us.  Threads reap
	 * themselves; their leader's zombie waits for them.
	 */
	for (;;) {
		/* Threads reap themselves, parents reap their children */
		if (rt != &rt->ctx->rtasks[0])
			break;
		ret = kernel_wait4(rt->ctx->root_vpid, NULL, __WALL, NULL);
		if (ret != -ERESTARTSYS || fatal_signal_pending(current))
			break;
		schedule_timeout_uninterruptible(1);
	}
	put_task_struct(rt->task);
}

/* What comes before the tasks: HEADER, TREE and the namespaces */
static int ckpt_read_prologue(struct ckpt_ctx *ctx)
{
	return ckpt_read_header(ctx) ?: ckpt_arch_restart_cpu(ctx) ?:
	       ckpt_mm_read_chain(ctx) ?: ckpt_read_tree(ctx) ?:
	       ckpt_read_namespaces(ctx);
}

/*
 * Create the root, with the namespaces the image gives the tasks; each
 * process creates its threads and children in turn, and every task has
 * read its records when this returns 0.
 */
static int ckpt_spawn_root(struct ckpt_ctx *ctx)
{
	const struct cred *root_cred, *old_cred = NULL;
	u64 flags = CLONE_VM;
	int ret;

	if (ctx->rtasks[0].flags & CKPT_TREE_PIDNS)
		flags |= CLONE_NEWPID;
	flags |= ckpt_namespaces_clone_flags(ctx);
	/*
	 * In the tasks' new user namespace, if any: the root's credentials
	 * and the namespaces created with it come from ours at clone time.
	 */
	root_cred = ckpt_namespaces_root_cred(ctx);
	if (root_cred)
		old_cred = override_creds(root_cred);
	ret = ckpt_spawn_one(ctx, &ctx->rtasks[0], flags);
	if (root_cred)
		revert_creds(old_cred);
	return ret;
}

/*
 * Every task has read its records, asleep until let go: check the end of
 * the image, then set what only the coordinator can (registers, CPU time,
 * process groups, the deferred work, controlling terminals).
 */
static int ckpt_finish_tasks(struct ckpt_ctx *ctx)
{
	unsigned int i;
	int ret;

	ret = ckpt_read_trailer(ctx);
	for (i = 0; !ret && i < ctx->nr_tasks; i++)
		ret = ckpt_finish_task(ctx, &ctx->rtasks[i]);
	return ret ?: ckpt_finish_objs(ctx) ?: ckpt_restore_groups(ctx) ?:
	       ckpt_run_deferred(ctx) ?: ckpt_pty_restore_cttys(ctx) ?:
	       ckpt_namespaces_finish(ctx);
}

static void ckpt_set_exit_signal(struct ckpt_rtask *rt)
{
	write_lock_irq(&tasklist_lock);
	rt->task->exit_signal = rt->exit_signal;
	write_unlock_irq(&tasklist_lock);
}

/*
 * RESTART_SIBLING: give the root to the caller's parent, as clone() with
 * CLONE_PARENT would have given it at its creation.  Only now that the
 * restart cannot fail: an aborted root is reaped by the coordinator.  The
 * caller's real_parent, read under tasklist_lock, has not passed
 * exit_notify(), which would have moved the caller to another parent.
 */
static void ckpt_root_to_parent(struct ckpt_ctx *ctx)
{
	struct task_struct *root = ctx->rtasks[0].task;
	struct task_struct *parent;

	write_lock_irq(&tasklist_lock);
	parent = rcu_dereference_protected(current->real_parent,
					   lockdep_is_held(&tasklist_lock));
	rcu_assign_pointer(root->real_parent, parent);
	if (!root->ptrace)
		rcu_assign_pointer(root->parent, parent);
	root->parent_exec_id = current->parent_exec_id;
	list_move_tail(&root->sibling, &parent->children);
	write_unlock_irq(&tasklist_lock);
}

/*
 * Let every task go: zombies first, since their parents may wait for them
 * at once, each given its exit signal back once it is a zombie; then the
 * others.  Returns once none of them uses the context any more.
 */
static void ckpt_let_go(struct ckpt_ctx *ctx)
{
	unsigned int i;

	if (ctx->flags & RESTART_SIBLING)
		ckpt_root_to_parent(ctx);
	ckpt_externals_hand_over(ctx);
	for (i = 0; i < ctx->nr_tasks; i++)
		if (ctx->rtasks[i].flags & CKPT_TREE_ZOMBIE)
			ckpt_wake(&ctx->rtasks[i], 1);
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		if (!(rt->flags & CKPT_TREE_ZOMBIE))
			continue;
		while (!READ_ONCE(rt->task->exit_state))
			schedule_timeout_uninterruptible(1);
		ckpt_set_exit_signal(rt);
	}
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		if (rt->flags & CKPT_TREE_ZOMBIE)
			continue;
		if (rt->pid == rt->tgid)
			ckpt_set_exit_signal(rt);
		/* It stops again on its way to user mode */
		if (rt->flags & CKPT_TREE_STOPPED)
			do_send_sig_info(SIGSTOP, SEND_SIG_PRIV, rt->task, PIDTYPE_TGID);
		ckpt_wake(rt, 1);
	}
	for (i = 0; i < ctx->nr_tasks; i++) {
		struct ckpt_rtask *rt = &ctx->rtasks[i];

		wait_for_completion(&rt->released);
		ckpt_arch_restart_free(rt);
		put_task_struct(rt->task);
	}
}

/* Abort every task created; threads first, their leader's zombie waits */
static void ckpt_abort_all(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for (i = ctx->nr_tasks; i-- > 0;) {
		if (ctx->rtasks[i].task)
			ckpt_abort_task(&ctx->rtasks[i]);
		ckpt_arch_restart_free(&ctx->rtasks[i]);
	}
}

/**
 * ckpt_do_restart() - the body of restart(2)
 * @ctx: context with the image and log files set up
 *
 * Return: the pid of the restored root, or a negative error; on error no
 * task of the image is left.
 */
long ckpt_do_restart(struct ckpt_ctx *ctx)
{
	int ret;

	ret = ckpt_read_prologue(ctx);
	if (ret)
		return ret;
	ret = ckpt_spawn_root(ctx) ?: ckpt_finish_tasks(ctx);
	if (ret) {
		ckpt_abort_all(ctx);
		return ret;
	}
	ckpt_let_go(ctx);
	ckpt_log_stats(ctx);
	ckpt_log(ctx, "restart of %u task(s) complete: %llu bytes, %u records",
		 ctx->nr_tasks, ctx->size, ctx->nr_records);
	return ctx->root_vpid;
}
