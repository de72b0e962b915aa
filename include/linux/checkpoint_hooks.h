/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hooks of checkpoint/restart in the rest of the kernel, kept apart from
 * <linux/checkpoint.h> (the back ends' interface) so that core code
 * includes little.
 */
#ifndef _LINUX_CHECKPOINT_HOOKS_H
#define _LINUX_CHECKPOINT_HOOKS_H

#include <linux/jump_label.h>

struct task_struct;

#ifdef CONFIG_CHECKPOINT
DECLARE_STATIC_KEY_FALSE(checkpoint_exit_key);
void __checkpoint_task_exit(struct task_struct *tsk);

/**
 * checkpoint_task_exit() - an exiting task waits for its checkpoint
 * @tsk: current, at the start of do_exit()
 *
 * A task that checkpoint(2) holds (it is frozen, stopped, or being frozen)
 * keeps its address space, files and stack until the checkpoint lets it
 * go: the checkpoint fails as soon as it sees the task exit.  Costs a
 * patched-out branch while no checkpoint runs.
 */
static inline void checkpoint_task_exit(struct task_struct *tsk)
{
	if (static_branch_unlikely(&checkpoint_exit_key))
		__checkpoint_task_exit(tsk);
}
#else
static inline void checkpoint_task_exit(struct task_struct *tsk) { }
#endif

#endif /* _LINUX_CHECKPOINT_HOOKS_H */
