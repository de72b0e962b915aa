// SPDX-License-Identifier: GPL-2.0
/*
 * A tree of processes survives checkpoint, kill and restart: every process
 * comes back with its pid under the same parent, a file shared across
 * fork keeps one offset, and parents can still wait for their children.
 *
 * The tree: root -> A -> A1, root -> B (B has a second thread).
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "ckpt_util.h"

FIXTURE(tree) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(tree)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* Killed grandchildren come to us, so that their pids are free again */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(tree)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static const char *const tree_reasons[] = {
	[1] = "could not build the tree",
	[2] = "a process has another parent",
	[3] = "a process has another pid",
	[4] = "a process's memory changed",
	[5] = "the shared file offset is not shared any more",
	[6] = "a thread stopped running",
	[10] = "child A failed",
	[20] = "child B failed",
	[30] = "grandchild A1 failed (reported by A)",
};

#define NR_PROCS	4

static pid_t my_pid, my_ppid;
static unsigned long marker[64];
static unsigned long thread_ticks;

static void set_identity(void)
{
	int i;

	my_pid = getpid();
	my_ppid = getppid();
	for (i = 0; i < 64; i++)
		marker[i] = (unsigned long)my_pid * 1000003UL + i;
}

static int check_identity(void)
{
	int i;

	if (getppid() != my_ppid)
		return 2;
	if (getpid() != my_pid)
		return 3;
	for (i = 0; i < 64; i++)
		if (marker[i] != (unsigned long)my_pid * 1000003UL + i)
			return 4;
	return 0;
}

/* Tell @pid to finish and collect its verdict, scaled by @base */
static int finish_child(pid_t pid, int base)
{
	int status = 0, i;

	for (i = 0; i < 200; i++) {
		kill(pid, SIGUSR1);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 :
			       base + (WIFEXITED(status) ? WEXITSTATUS(status) % 10 : 9);
		ckpt_sleep_ms(20);
	}
	return base + 9;
}

static void *ticker(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		__atomic_fetch_add(&thread_ticks, 1, __ATOMIC_RELAXED);
		ckpt_sleep_ms(5);
	}
	return NULL;
}

static int leaf(int shared_fd, bool with_thread, pid_t (*grandchild)(int))
{
	pid_t gc = 0;
	unsigned long t0;
	int ret;

	set_identity();
	if (grandchild) {
		gc = grandchild(shared_fd);
		if (gc < 0)
			return 1;
	}
	if (with_thread) {
		pthread_t t;

		if (pthread_create(&t, NULL, ticker, NULL))
			return 1;
	}
	ckpt_child_wait_finish();
	ret = check_identity();
	if (!ret && with_thread) {
		t0 = __atomic_load_n(&thread_ticks, __ATOMIC_RELAXED);
		ckpt_sleep_ms(100);
		if (__atomic_load_n(&thread_ticks, __ATOMIC_RELAXED) == t0)
			ret = 6;
	}
	/* One byte through the offset shared with the root since fork */
	if (!ret && write(shared_fd, "x", 1) != 1)
		ret = 5;
	if (!ret && gc)
		ret = finish_child(gc, 20) ? 3 : 0;
	return ret;
}

static pid_t fork_leaf(int shared_fd, bool with_thread, pid_t (*grandchild)(int))
{
	pid_t pid = fork();

	if (!pid)
		_exit(leaf(shared_fd, with_thread, grandchild));
	return pid;
}

static pid_t fork_a1(int shared_fd)
{
	return fork_leaf(shared_fd, false, NULL);
}

static int tree_root(void *arg)
{
	const char *path = arg;
	pid_t a, b;
	off_t before;
	int fd, ret;

	set_identity();
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	a = fork_leaf(fd, false, fork_a1);
	b = fork_leaf(fd, true, NULL);
	if (a < 0 || b < 0)
		return 1;
	/* Give the tree time to settle before saying it is ready */
	ckpt_sleep_ms(300);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_identity();
	if (ret)
		return ret;
	before = lseek(fd, 0, SEEK_CUR);
	ret = finish_child(a, 10);
	if (!ret)
		ret = finish_child(b, 20);
	/* A, A1 and B each wrote one byte through the shared offset */
	if (!ret && lseek(fd, 0, SEEK_CUR) != before + 3)
		ret = 5;
	return ret;
}

/* checkpoint(2) into the emptied image file, without logging a failure */
static long ckpt_checkpoint_quiet(struct ckpt_ctx *ctx, pid_t pid,
				  unsigned long flags)
{
	if (ckpt_reset_file(ctx->image_fd) || ckpt_reset_file(ctx->log_fd))
		return -1;
	return sys_checkpoint(pid, ctx->image_fd, flags, ctx->log_fd);
}

/* Reap what CHECKPOINT_KILL killed: the root is ours, the rest come to us */
static void reap_tree(struct __test_metadata *_metadata, pid_t root)
{
	int n = 0, i;

	ckpt_reap_killed(_metadata, root);
	for (i = 0; i < 500 && n < NR_PROCS - 1; i++) {
		if (waitpid(-1, NULL, WNOHANG) > 0)
			n++;
		else
			ckpt_sleep_ms(10);
	}
	ASSERT_EQ(NR_PROCS - 1, n) TH_LOG("not every killed process came back to us");
}

static void kill_and_restart_tree(struct __test_metadata *_metadata,
				  struct ckpt_ctx *ctx, pid_t pid)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	reap_tree(_metadata, pid);
	ASSERT_EQ(pid, ckpt_restart(_metadata, ctx));
}

/* Starts the tree, with its shared file in the test's directory */
static pid_t spawn_tree(struct __test_metadata *_metadata, struct ckpt_ctx *ctx)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/shared", ctx->dir);
	return ckpt_spawn(_metadata, ctx, tree_root, path);
}

TEST_F_TIMEOUT(tree, tree_keeps_pids_parents_and_shared_offsets, 120)
{
	pid_t pid = spawn_tree(_metadata, &self->ctx);

	kill_and_restart_tree(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(tree_reasons));
}

TEST_F_TIMEOUT(tree, tree_survives_two_restarts, 180)
{
	pid_t pid = spawn_tree(_metadata, &self->ctx);

	kill_and_restart_tree(_metadata, &self->ctx, pid);
	kill_and_restart_tree(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(tree_reasons));
}

TEST_F_TIMEOUT(tree, tree_keeps_running_after_a_checkpoint, 120)
{
	pid_t pid = spawn_tree(_metadata, &self->ctx);

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_REASONS(tree_reasons));
}

/* A root that forks and reaps short-lived children all the time */
static int forking_root(void *arg)
{
	unsigned long rounds = 0;
	pid_t pid;

	(void)arg;
	set_identity();
	ckpt_child_ready();
	while (!ckpt_child_finish) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid)
			_exit(0);
		while (waitpid(pid, NULL, 0) != pid)
			if (errno != EINTR)
				return 1;
		rounds++;
	}
	/* It kept forking after all the checkpoints (and a restart) */
	return rounds ? check_identity() : 1;
}

TEST_F_TIMEOUT(tree, forking_tree_is_saved_consistently_or_not_at_all, 300)
{
	int i, ok = 0, again = 0;
	pid_t pid;
	long ret;

	pid = ckpt_spawn(_metadata, &self->ctx, forking_root, NULL);
	for (i = 0; i < 50; i++) {
		ret = ckpt_checkpoint_quiet(&self->ctx, pid, 0);
		if (!ret) {
			ok++;
			continue;
		}
		/* A child being born, exiting or unreaped: clean failures */
		ASSERT_TRUE(errno == EAGAIN || errno == EBUSY || errno == ESRCH)
			TH_LOG("checkpoint %d failed with %s", i, strerror(errno));
		ASSERT_TRUE(ckpt_log_contains(&self->ctx, "error:"));
		again++;
	}
	TH_LOG("50 checkpoints of a forking tree: %d complete, %d refused", ok, again);
	/* Then one that kills it, and the tree forks on after restart */
	for (i = 0; i < 200; i++) {
		if (!ckpt_checkpoint_quiet(&self->ctx, pid, CHECKPOINT_KILL))
			break;
	}
	ASSERT_LT(i, 200) TH_LOG("no checkpoint of the forking tree completed");
	ckpt_reap_killed(_metadata, pid);
	/* A child it had may come to us: its pid must be free again */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_sleep_ms(200);
	ckpt_finish(_metadata, pid, CKPT_REASONS(tree_reasons));
}

TEST_HARNESS_MAIN
