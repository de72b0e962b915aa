// SPDX-License-Identifier: GPL-2.0-only
/*
 * A security module for the selftests of checkpoint(2) and restart(2)
 * only (CONFIG_CHECKPOINT_TEST_LSM): it shows that a module can deny them
 * through the checkpoint/restart LSM hooks.  Root writes one rule to
 * /sys/kernel/security/checkpoint_test/deny:
 *
 *	checkpoint_task PID	restart_task PID
 *	checkpoint_object TYPE	restart_object TYPE
 *
 * PID is a task's pid in the initial pid namespace, TYPE the record type
 * of an object kind (CKPT_REC_* of <uapi/linux/checkpoint.h>); the hook
 * then fails with EACCES for that task or kind.  "none" allows everything
 * again.  A real policy comes from SELinux, AppArmor or a BPF LSM program
 * attached to the same hooks.
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/lsm_hooks.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/lsm.h>

enum ckpt_test_hook {
	CKPT_TEST_NONE,
	CKPT_TEST_CHECKPOINT_TASK,
	CKPT_TEST_CHECKPOINT_OBJECT,
	CKPT_TEST_RESTART_TASK,
	CKPT_TEST_RESTART_OBJECT,
	CKPT_TEST_NR
};

static const char *const ckpt_test_names[CKPT_TEST_NR] = {
	[CKPT_TEST_NONE] = "none",
	[CKPT_TEST_CHECKPOINT_TASK] = "checkpoint_task",
	[CKPT_TEST_CHECKPOINT_OBJECT] = "checkpoint_object",
	[CKPT_TEST_RESTART_TASK] = "restart_task",
	[CKPT_TEST_RESTART_OBJECT] = "restart_object",
};

/* The rule: the hook in the high half, the pid or type in the low one */
static atomic64_t ckpt_test_rule = ATOMIC64_INIT(0);

static int ckpt_test_deny(enum ckpt_test_hook hook, u32 value)
{
	u64 rule = atomic64_read(&ckpt_test_rule);

	return rule >> 32 == hook && (u32)rule == value ? -EACCES : 0;
}

static int ckpt_test_checkpoint_task(struct task_struct *task)
{
	return ckpt_test_deny(CKPT_TEST_CHECKPOINT_TASK, task_pid_nr(task));
}

static int ckpt_test_checkpoint_object(u32 type, void *object)
{
	return ckpt_test_deny(CKPT_TEST_CHECKPOINT_OBJECT, type);
}

static int ckpt_test_restart_task(struct task_struct *task)
{
	return ckpt_test_deny(CKPT_TEST_RESTART_TASK, task_pid_nr(task));
}

static int ckpt_test_restart_object(u32 type, void *object)
{
	return ckpt_test_deny(CKPT_TEST_RESTART_OBJECT, type);
}

static ssize_t ckpt_test_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[48], name[24];
	u32 value = 0;
	int hook;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%23s %u", name, &value) < 1)
		return -EINVAL;
	hook = match_string(ckpt_test_names, CKPT_TEST_NR, name);
	if (hook < 0)
		return hook;
	atomic64_set(&ckpt_test_rule, (u64)hook << 32 | value);
	return count;
}

static ssize_t ckpt_test_read(struct file *file, char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	u64 rule = atomic64_read(&ckpt_test_rule);
	char buf[48];
	int len;

	len = scnprintf(buf, sizeof(buf), "%s %u\n", ckpt_test_names[rule >> 32], (u32)rule);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations ckpt_test_fops = {
	.write = ckpt_test_write,
	.read = ckpt_test_read,
	.llseek = generic_file_llseek,
};

static int __init ckpt_test_securityfs_init(void)
{
	struct dentry *dir, *file;

	dir = securityfs_create_dir("checkpoint_test", NULL);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	file = securityfs_create_file("deny", 0600, dir, NULL, &ckpt_test_fops);
	if (IS_ERR(file)) {
		securityfs_remove(dir);
		return PTR_ERR(file);
	}
	return 0;
}
fs_initcall(ckpt_test_securityfs_init);

static struct security_hook_list ckpt_test_hooks[] __ro_after_init = {
	LSM_HOOK_INIT(checkpoint_task, ckpt_test_checkpoint_task),
	LSM_HOOK_INIT(checkpoint_object, ckpt_test_checkpoint_object),
	LSM_HOOK_INIT(restart_task, ckpt_test_restart_task),
	LSM_HOOK_INIT(restart_object, ckpt_test_restart_object),
};

/* A test module has no id of its own in <uapi/linux/lsm.h> */
static const struct lsm_id ckpt_test_lsmid = {
	.name = "checkpoint_test",
	.id = LSM_ID_UNDEF,
};

static int __init ckpt_test_lsm_init(void)
{
	security_add_hooks(ckpt_test_hooks, ARRAY_SIZE(ckpt_test_hooks), &ckpt_test_lsmid);
	return 0;
}

DEFINE_LSM(checkpoint_test) = {
	.name = "checkpoint_test",
	.init = ckpt_test_lsm_init,
};
