// SPDX-License-Identifier: GPL-2.0
/*
 * Security modules can deny checkpoint(2) and restart(2): by task and by
 * kind of object, through the checkpoint_task, checkpoint_object,
 * restart_task and restart_object LSM hooks.  The test kernel's test
 * module (CONFIG_CHECKPOINT_TEST_LSM) denies what
 * /sys/kernel/security/checkpoint_test/deny names; each denial must fail
 * the call with EACCES, name the task or object on the log, and leave
 * nothing behind: the checkpointed task runs on, no restored task is
 * left.
 */
#include <sys/mount.h>

#include "ckpt_util.h"

#define LSM_DIR		"/sys/kernel/security"
#define LSM_DENY	LSM_DIR "/checkpoint_test/deny"
#define DENIED		"denied by a security module"

FIXTURE(lsm) {
	struct ckpt_ctx ctx;
};

/* Sets the test module's rule; -1 if it is not there */
static int lsm_deny(const char *hook, unsigned int value)
{
	char buf[48];
	int fd, len, ret;

	fd = open(LSM_DENY, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%s %u", hook, value);
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

FIXTURE_SETUP(lsm)
{
	if (access(LSM_DENY, F_OK))
		mount("securityfs", LSM_DIR, "securityfs", 0, NULL);
	if (lsm_deny("none", 0))
		SKIP(return, "no checkpoint_test LSM (CONFIG_CHECKPOINT_TEST_LSM, lsm=)");
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(lsm)
{
	lsm_deny("none", 0);
	ckpt_ctx_teardown(&self->ctx);
}

/* Holds a pipe: a "pipe" object in the image */
static int pipe_child(void *arg)
{
	int fds[2];

	(void)arg;
	if (pipe(fds) || write(fds[1], "x", 1) != 1)
		return 2;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

/* A denied checkpoint fails with EACCES, logged, and the task runs on */
static void expect_checkpoint_denied(struct __test_metadata *_metadata,
				     struct ckpt_ctx *ctx, pid_t pid, const char *what)
{
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd) || ckpt_reset_file(ctx->log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(ctx, pid, ctx->image_fd, 0, ctx->log_fd));
	EXPECT_EQ(EACCES, errno);
	EXPECT_TRUE(ckpt_log_contains(ctx, DENIED) && ckpt_log_contains(ctx, what))
		ckpt_dump_log(_metadata, ctx);
	EXPECT_TRUE(ckpt_child_running(pid));
}

TEST_F_TIMEOUT(lsm, checkpoint_of_a_denied_task_is_eacces, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	char what[32];

	ASSERT_EQ(0, lsm_deny("checkpoint_task", pid));
	snprintf(what, sizeof(what), "task %d", pid);
	expect_checkpoint_denied(_metadata, &self->ctx, pid, what);
	/* Another task's rule does not concern it */
	ASSERT_EQ(0, lsm_deny("checkpoint_task", pid + 1));
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(lsm, checkpoint_of_a_denied_object_kind_is_eacces, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, pipe_child, NULL);
	pid_t idle = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);

	ASSERT_EQ(0, lsm_deny("checkpoint_object", CKPT_REC_PIPE));
	expect_checkpoint_denied(_metadata, &self->ctx, pid, "pipe");
	/* A task without a pipe is not concerned */
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, idle, 0));
	ckpt_finish(_metadata, idle, CKPT_NO_REASONS);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* Checkpoints @fn's child, kills it, and restarts it under the rule */
static void restart_denied(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			   int (*fn)(void *), const char *hook, unsigned int value)
{
	pid_t pid = ckpt_spawn(_metadata, ctx, fn, NULL);
	char what[32];
	long ret;

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ASSERT_EQ(0, lsm_deny(hook, value ?: (unsigned int)pid));
	ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd));
	ret = ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EACCES, errno);
	snprintf(what, sizeof(what), value ? "pipe" : "task %d", pid);
	EXPECT_TRUE(ckpt_log_contains(ctx, DENIED) && ckpt_log_contains(ctx, what))
		ckpt_dump_log(_metadata, ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "a denied restart"));

	ASSERT_EQ(0, lsm_deny("none", 0));
	ASSERT_EQ(pid, ckpt_restart(_metadata, ctx));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(lsm, restart_of_a_denied_task_is_eacces_and_leaves_nothing, 60)
{
	restart_denied(_metadata, &self->ctx, ckpt_idle_child, "restart_task", 0);
}

TEST_F_TIMEOUT(lsm, restart_of_a_denied_object_kind_is_eacces_and_leaves_nothing, 60)
{
	restart_denied(_metadata, &self->ctx, pipe_child, "restart_object", CKPT_REC_PIPE);
}

TEST_HARNESS_MAIN
