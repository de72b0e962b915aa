// SPDX-License-Identifier: GPL-2.0
/*
 * The inputs that the restart(2) fuzzer (ckpt_fuzz) found to break the
 * kernel restart without breaking it now.
 *
 * fuzz-regress/ holds them (its README says how they get there).  Each is
 * restarted by the init of a pid namespace of its own: restart(2) must
 * return (within CKPT_CALL_TIMEOUT_S) and either fail and leave no task
 * behind, or succeed, when the tasks are killed.  The kernel's reports
 * (KASAN, lockdep, WARNING) show on the console, where make check looks.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>

#include "ckpt_util.h"

#define REGRESS_DIR "fuzz-regress"

/* Other tasks in the pid namespace (whose /proc this is) than the caller */
static int other_tasks(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    atoi(de->d_name) != getpid())
			n++;
	closedir(d);
	return n;
}

static bool tasks_gone(int timeout_ms)
{
	int64_t deadline = ckpt_now_ns() + timeout_ms * 1000000LL;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
			;
		if (!other_tasks())
			return true;
		if (ckpt_now_ns() > deadline)
			return false;
		ckpt_sleep_ms(10);
	}
}

/* In the namespace's init: restarts @path, returns 0 if it went well */
static int replay(const char *path, int logfd)
{
	long ret;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("# %s: %s\n", path, strerror(errno));
		return 1;
	}
	alarm(CKPT_CALL_TIMEOUT_S);
	ret = sys_restart(0, fd, 0, logfd);
	alarm(0);
	close(fd);
	if (ret >= 0) {
		printf("# %s: restart succeeded (pid %ld); killed\n", path, ret);
		kill(-1, SIGKILL);
		return tasks_gone(10000) ? 0 : 1;
	}
	printf("# %s: restart failed with %s\n", path, strerrorname_np(errno));
	if (!tasks_gone(1000)) {
		printf("# %s: restart failed but left %d tasks behind\n", path,
		       other_tasks());
		kill(-1, SIGKILL);
		tasks_gone(10000);
		return 1;
	}
	return 0;
}

static int replay_all(const char *dir, int logfd)
{
	struct dirent *de;
	char path[512];
	int bad = 0, n = 0;
	size_t len;
	DIR *d;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL))
		return 100;
	d = opendir(dir);
	if (!d)
		return 101;
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".img"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		bad += replay(path, logfd);
		n++;
	}
	closedir(d);
	printf("# %d images replayed, %d misbehaved\n", n, bad);
	if (!n)
		return 102;
	return bad ? 1 : 0;
}

FIXTURE(regress) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(regress)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(regress)
{
	ckpt_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(regress, images_restart_or_fail_cleanly, 600)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int status;
	pid_t pid;

	ASSERT_EQ(0, unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
			     CLONE_NEWUTS | CLONE_NEWNET))
		TH_LOG("unshare: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sigaction(SIGALRM, &sa, NULL);
		_exit(replay_all(REGRESS_DIR, self->ctx.log_fd));
	}
	ckpt_ctx_track(&self->ctx, pid);
	status = ckpt_wait_child(pid, 590 * 1000, false);
	ASSERT_NE(-1, status) TH_LOG("the replay did not finish");
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("the replay died of signal %d (a restart hung?)",
		       WTERMSIG(status));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ASSERT_NE(101, WEXITSTATUS(status)) TH_LOG("no %s/", REGRESS_DIR);
	ASSERT_NE(100, WEXITSTATUS(status)) TH_LOG("cannot mount /proc");
	if (WEXITSTATUS(status) == 102)
		SKIP(return, "no image in %s/ yet", REGRESS_DIR);
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("see the lines above");
}

TEST_HARNESS_MAIN
