// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint(2) and restart(2) refuse bad arguments, callers without the
 * right, and tasks that hold what this version cannot save, each with the
 * error number the contract gives, and a task that was not checkpointed
 * runs on as if nothing had happened, even with CHECKPOINT_KILL.
 */
#include <grp.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ckpt_util.h"

#define NOBODY 65534

/*
 * Arguments, with an idle task to aim at. It is spawned by the tests, not
 * by the setup: the harness skips the teardown when the setup fails.
 */
FIXTURE(args) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(args)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

static pid_t spawn_target(struct __test_metadata *_metadata,
			  struct ckpt_ctx *ctx)
{
	return ckpt_spawn(_metadata, ctx, ckpt_idle_child, NULL);
}

FIXTURE_TEARDOWN(args)
{
	ckpt_ctx_teardown(&self->ctx);
}

/*
 * Asserts that checkpoint(2) fails with @err, with an "error:" on the log
 * if @logged, and leaves the target running.
 */
static void checkpoint_fails(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, pid_t pid, int fd,
			     unsigned long flags, int logfd, int err,
			     bool logged, pid_t target)
{
	long ret;

	ckpt_reset_file(ctx->log_fd);
	ret = ckpt_call_checkpoint(ctx, pid, fd, flags, logfd);
	ASSERT_EQ(-1, ret)
		TH_LOG("checkpoint(%d, %d, %#lx, %d) succeeded", pid, fd,
		       flags, logfd);
	ASSERT_EQ(err, errno) {
		TH_LOG("checkpoint(%d, %d, %#lx, %d): %s, expected %s", pid,
		       fd, flags, logfd, strerrorname_np(errno),
		       strerrorname_np(err));
		ckpt_explain_errno(_metadata, "checkpoint(2)", errno);
		ckpt_dump_log(_metadata, ctx);
	}
	ASSERT_TRUE(!logged || ckpt_log_contains(ctx, "error:"))
		ckpt_dump_log(_metadata, ctx);
	ASSERT_TRUE(ckpt_child_running(target))
		TH_LOG("the task is gone after a failed checkpoint");
}

TEST_F_TIMEOUT(args, checkpoint_with_unknown_flags_fails_with_einval, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);

	checkpoint_fails(_metadata, &self->ctx, target, self->ctx.image_fd,
			 CHECKPOINT_KILL | (1UL << 30), self->ctx.log_fd, EINVAL,
			 false, target);
	checkpoint_fails(_metadata, &self->ctx, target, self->ctx.image_fd,
			 CHECKPOINT_KILL | (1UL << 63), self->ctx.log_fd, EINVAL,
			 false, target);
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(args, checkpoint_to_bad_fd_fails_with_ebadf, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);
	int closed = dup(self->ctx.image_fd);

	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	checkpoint_fails(_metadata, &self->ctx, target, -1, CHECKPOINT_KILL,
			 self->ctx.log_fd, EBADF, false, target);
	checkpoint_fails(_metadata, &self->ctx, target, closed,
			 CHECKPOINT_KILL, self->ctx.log_fd, EBADF, false,
			 target);
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(args, checkpoint_to_read_only_fd_fails_with_ebadf, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);
	int fd = open(self->ctx.image_path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	checkpoint_fails(_metadata, &self->ctx, target, fd, CHECKPOINT_KILL,
			 self->ctx.log_fd, EBADF, false, target);
	close(fd);
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(args, checkpoint_with_bad_logfd_fails_with_ebadf, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);
	int fd = open(self->ctx.log_path, O_RDONLY | O_CLOEXEC);
	int closed = dup(self->ctx.log_fd);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	checkpoint_fails(_metadata, &self->ctx, target, self->ctx.image_fd,
			 CHECKPOINT_KILL, fd, EBADF, false, target);
	checkpoint_fails(_metadata, &self->ctx, target, self->ctx.image_fd,
			 CHECKPOINT_KILL, closed, EBADF, false, target);
	close(fd);
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(args, checkpoint_of_missing_pid_fails_with_esrch, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);
	pid_t gone;

	gone = fork();
	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, NULL, 0));
	checkpoint_fails(_metadata, &self->ctx, gone, self->ctx.image_fd, 0,
			 self->ctx.log_fd, ESRCH, false, target);
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

TEST_F_TIMEOUT(args, checkpoint_of_caller_fails_with_einval, 60)
{
	pid_t target = spawn_target(_metadata, &self->ctx);

	checkpoint_fails(_metadata, &self->ctx, getpid(), self->ctx.image_fd,
			 0, self->ctx.log_fd, EINVAL, false, target);
}

TEST_F_TIMEOUT(args, checkpoint_of_kernel_thread_fails_with_einval, 60)
{
	char comm[32];
	pid_t target;

	/* pid 2 is kthreadd, unless we are in a pid namespace */
	if (ckpt_read_file("/proc/2/comm", comm, sizeof(comm)) < 0 ||
	    strcmp(comm, "kthreadd\n"))
		SKIP(return, "pid 2 is not kthreadd here");
	target = spawn_target(_metadata, &self->ctx);
	checkpoint_fails(_metadata, &self->ctx, 2, self->ctx.image_fd, 0,
			 self->ctx.log_fd, EINVAL, false, target);
}

/* A caller that may not ptrace the target: uid nobody against root */
TEST_F_TIMEOUT(args, checkpoint_without_ptrace_right_fails_with_eperm, 60)
{
	pid_t caller, target;
	int status, code;

	if (geteuid())
		SKIP(return, "needs root, to drop to uid %d", NOBODY);
	target = spawn_target(_metadata, &self->ctx);
	caller = fork();
	ASSERT_LE(0, caller);
	if (!caller) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(200);
		if (!sys_checkpoint(target, self->ctx.image_fd,
				    CHECKPOINT_KILL, self->ctx.log_fd))
			_exit(201);
		_exit(errno);
	}
	ckpt_ctx_track(&self->ctx, caller);
	status = ckpt_wait_child(caller, CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(status != -1 && WIFEXITED(status));
	code = WEXITSTATUS(status);
	ASSERT_NE(200, code) TH_LOG("could not drop to uid %d", NOBODY);
	ASSERT_NE(201, code)
		TH_LOG("uid %d checkpointed a task of uid 0", NOBODY);
	ASSERT_EQ(EPERM, code)
		TH_LOG("checkpoint by uid %d failed with %s", NOBODY,
		       strerrorname_np(code));
	ASSERT_TRUE(ckpt_child_running(target));
	ckpt_finish(_metadata, target, CKPT_NO_REASONS);
}

/* restart(2) arguments, with a real image of the target */
static void restart_fails(struct __test_metadata *_metadata,
			  struct ckpt_ctx *ctx, pid_t pid, int fd,
			  unsigned long flags, int logfd, int err,
			  pid_t saved_pid)
{
	char what[64];

	snprintf(what, sizeof(what), "restart(%d, %d, %#lx, %d)", pid, fd,
		 flags, logfd);
	ASSERT_TRUE(ckpt_restart_must_fail(_metadata, ctx, pid, fd, flags,
					   logfd, err, false, saved_pid,
					   what) == CKPT_FAILED_CLEANLY);
}

/* Returns the pid of a task whose image is in the image file, and gone */
static pid_t image_of_target(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx)
{
	pid_t target = spawn_target(_metadata, ctx);

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, target,
				     CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, target);
	return target;
}

TEST_F_TIMEOUT(args, restart_with_nonzero_pid_fails_with_einval, 60)
{
	pid_t saved = image_of_target(_metadata, &self->ctx);

	restart_fails(_metadata, &self->ctx, saved, self->ctx.image_fd, 0,
		      self->ctx.log_fd, EINVAL, saved);
}

TEST_F_TIMEOUT(args, restart_with_unknown_flags_fails_with_einval, 60)
{
	pid_t saved = image_of_target(_metadata, &self->ctx);

	restart_fails(_metadata, &self->ctx, 0, self->ctx.image_fd,
		      RESTART_FILES_CHANGED_OK << 1, self->ctx.log_fd, EINVAL, saved);
	restart_fails(_metadata, &self->ctx, 0, self->ctx.image_fd, 1UL << 63,
		      self->ctx.log_fd, EINVAL, saved);
}

TEST_F_TIMEOUT(args, restart_from_write_only_fd_fails_with_ebadf, 60)
{
	pid_t saved = image_of_target(_metadata, &self->ctx);
	int fd = open(self->ctx.image_path, O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	restart_fails(_metadata, &self->ctx, 0, fd, 0, self->ctx.log_fd,
		      EBADF, saved);
	close(fd);
}

TEST_F_TIMEOUT(args, restart_with_read_only_logfd_fails_with_ebadf, 60)
{
	pid_t saved = image_of_target(_metadata, &self->ctx);
	int fd = open(self->ctx.log_path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	restart_fails(_metadata, &self->ctx, 0, self->ctx.image_fd, 0, fd,
		      EBADF, saved);
	close(fd);
}

/*
 * Tasks that hold what this version cannot save. Each keeps using it
 * after the failed checkpoint, to show it was left as it was.
 */
static const char *const unsupported_reasons[] = {
	[1] = "could not set up what it holds",
	[2] = "what it holds stopped working after the failed checkpoint",
};

/* Whether process @pid has SIGUSR1 pending (the test's "finish") */
static int usr1_pending(pid_t pid)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) <= 0)
		return 1;
	p = strstr(buf, "ShdPnd:");
	return !p || (strtoull(p + 7, NULL, 16) & (1ULL << (SIGUSR1 - 1)));
}

/*
 * A child in vfork() whose parent waits in it: not supported.  The parent
 * cannot take the test's signals while it waits: the child does the
 * handshake in its name, and sees the test's SIGUSR1 pending in it.
 */
static int vfork_child(void *arg)
{
	pid_t test = getppid(), self = getpid(), pid;

	(void)arg;
	pid = vfork();
	if (pid == 0) {
		siginfo_t si = { .si_signo = SIGUSR2, .si_code = SI_QUEUE };

		/* "Ready" as from the parent, which the test waits for */
		si.si_pid = self;
		si.si_uid = getuid();
		syscall(SYS_rt_sigqueueinfo, test, SIGUSR2, &si);
		while (!usr1_pending(self))
			usleep(10000);
		_exit(0);
	}
	return pid < 0;
}

/* An inotify watch on a directory removed since (held open) */
static int inotify_removed_child(void *arg)
{
	char dir[] = "/tmp/ckpt-inotify-XXXXXX";
	int in, fd;

	(void)arg;
	in = inotify_init1(0);
	if (in < 0 || !mkdtemp(dir))
		return 1;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || inotify_add_watch(in, dir, IN_CREATE) < 0 || rmdir(dir))
		return 2;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

/* A connected pair: bytes still go through afterwards */
static int pass_byte(int wfd, int rfd)
{
	char c = 'c';

	if (write(wfd, &c, 1) != 1 || read(rfd, &c, 1) != 1 || c != 'c')
		return 2;
	return 0;
}

/* A raw socket, which cannot be saved yet (UNIX sockets can) */
static int socket_child(void *arg)
{
	int sv[2];

	(void)arg;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return pass_byte(sv[0], sv[1]);
}

/* An io_uring instance: it still takes requests afterwards */
static int io_uring_child(void *arg)
{
	struct io_uring_params p;
	int fd;

	(void)arg;
	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* No submission queued: entering the ring returns 0 */
	return syscall(__NR_io_uring_enter, fd, 0, 0, 0, NULL, 0) ? 2 : 0;
}

/* A SysV shared memory segment removed while attached: not supported */
static int sysv_shm_removed_child(void *arg)
{
	char *shared;
	int id;

	(void)arg;
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0)
		return 1;
	shared = shmat(id, NULL, 0);
	/* Gone once detached, and so not restorable by key or id */
	shmctl(id, IPC_RMID, NULL);
	if (shared == (void *)-1)
		return 1;
	shared[0] = 0x42;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return shared[0] == 0x42 ? 0 : 2;
}

FIXTURE(unsupported) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(unsupported) {
	int (*child)(void *arg);
	int err;
	const char *log_names;	/* what the log's error must name, if set */
};

FIXTURE_VARIANT_ADD(unsupported, vfork) {
	.child = vfork_child, .err = EBUSY, .log_names = "vfork",
};

FIXTURE_VARIANT_ADD(unsupported, inotify_removed_dir) {
	.child = inotify_removed_child, .err = EOPNOTSUPP, .log_names = "removed",
};

FIXTURE_VARIANT_ADD(unsupported, socket) {
	.child = socket_child, .err = EOPNOTSUPP, .log_names = "socket",
};

FIXTURE_VARIANT_ADD(unsupported, io_uring) {
	.child = io_uring_child, .err = EOPNOTSUPP, .log_names = "io_uring",
};

FIXTURE_VARIANT_ADD(unsupported, sysv_shm_removed) {
	.child = sysv_shm_removed_child, .err = EOPNOTSUPP, .log_names = "SysV shared memory",
};

FIXTURE_SETUP(unsupported)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(unsupported)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(unsupported, checkpoint_fails_and_task_runs_on, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, variant->child, NULL);

	/* With CHECKPOINT_KILL, which must not kill what it did not save */
	checkpoint_fails(_metadata, &self->ctx, pid, self->ctx.image_fd,
			 CHECKPOINT_KILL, self->ctx.log_fd, variant->err, true,
			 pid);
	ASSERT_TRUE(!variant->log_names ||
		    ckpt_log_contains(&self->ctx, variant->log_names)) {
		TH_LOG("the log does not name the %s", variant->log_names);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_finish(_metadata, pid, CKPT_REASONS(unsupported_reasons));
}

TEST_HARNESS_MAIN
