// SPDX-License-Identifier: GPL-2.0
/*
 * Process state and relations across checkpoint, kill and restart: zombies
 * keep their exit status, stopped tasks stay stopped, sessions and process
 * groups (one whose leader exited) keep their ids, resource limits, the
 * subreaper flag, the parent-death signal and rseq stay; a tree of 20
 * processes with 8-thread members keeps every pid, tid, TLS value and
 * counter; a pid taken at restart is reported and leaves nothing behind.
 */
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "ckpt_util.h"

FIXTURE(proc) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(proc)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* Killed grandchildren come to us, so that their pids are free again */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(proc)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Tell @pid, our child, to finish and return its exit code, 99 if none */
static int finish_child(pid_t pid)
{
	int status = 0, i;

	for (i = 0; i < 500; i++) {
		kill(pid, SIGUSR1);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
		ckpt_sleep_ms(20);
	}
	return 99;
}

/* Checkpoint with CHECKPOINT_KILL, reap the root and @others more tasks */
static void kill_and_restart(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, pid_t pid, int others)
{
	int n = 0, i;

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	for (i = 0; i < 1000 && n < others; i++) {
		if (waitpid(-1, NULL, WNOHANG) > 0)
			n++;
		else
			ckpt_sleep_ms(10);
	}
	ASSERT_EQ(others, n) TH_LOG("not every killed process came back to us");
	ASSERT_EQ(pid, ckpt_restart(_metadata, ctx));
}

/* /proc/PID/stat after the comm: " S PPID ...", in @buf; NULL if none */
static const char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ckpt_read_file(path, buf, size) < 0)
		return NULL;
	p = strrchr(buf, ')');
	return p && strlen(p) > 4 ? p + 1 : NULL;
}

/* State letter of /proc/PID/stat, or '?' */
static char proc_state(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));

	return f ? f[1] : '?';
}

/* --- zombies --- */

static const char *const zombie_reasons[] = {
	[1] = "could not set up the zombies",
	[2] = "the zombie is gone or not a zombie any more",
	[3] = "the exited zombie has another status",
	[4] = "the killed zombie has another status",
	[5] = "the live child failed",
};

static int zombie_root(void *arg)
{
	pid_t exited, killed, live;
	siginfo_t si;
	int status;

	(void)arg;
	exited = fork();
	if (!exited)
		_exit(42);
	killed = fork();
	if (!killed) {
		for (;;)
			pause();
	}
	live = fork();
	if (!live) {
		ckpt_child_wait_finish();
		_exit(0);
	}
	if (exited < 0 || killed < 0 || live < 0 || kill(killed, SIGTERM))
		return 1;
	/* Zombies, not reaped */
	if (waitid(P_PID, exited, &si, WEXITED | WNOWAIT) ||
	    waitid(P_PID, killed, &si, WEXITED | WNOWAIT))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (proc_state(exited) != 'Z' || proc_state(killed) != 'Z')
		return 2;
	if (waitpid(exited, &status, WNOHANG) != exited ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 42)
		return 3;
	if (waitpid(killed, &status, WNOHANG) != killed ||
	    !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		return 4;
	return finish_child(live) ? 5 : 0;
}

TEST_F_TIMEOUT(proc, zombie_is_reaped_with_its_status, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, zombie_root, NULL);

	/* The live child and both zombies come to us */
	kill_and_restart(_metadata, &self->ctx, pid, 3);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "restart of 4 task(s) complete"));
	ckpt_finish(_metadata, pid, CKPT_REASONS(zombie_reasons));
}

/* --- stopped tasks --- */

static const char *const stopped_reasons[] = {
	[1] = "could not stop the child",
	[2] = "the child is not stopped after restart",
	[3] = "SIGCONT did not continue the child",
	[4] = "the continued child did not run and exit",
};

static int stopped_root(void *arg)
{
	int status;
	pid_t c;

	(void)arg;
	c = fork();
	if (!c) {
		ckpt_child_wait_finish();
		_exit(7);
	}
	if (c < 0 || kill(c, SIGSTOP) || waitpid(c, &status, WUNTRACED) != c ||
	    !WIFSTOPPED(status))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* Give it time to run, if it wrongly could */
	ckpt_sleep_ms(200);
	if (proc_state(c) != 'T')
		return 2;
	if (kill(c, SIGCONT) || waitpid(c, &status, WCONTINUED) != c ||
	    !WIFCONTINUED(status))
		return 3;
	return finish_child(c) == 7 ? 0 : 4;
}

TEST_F_TIMEOUT(proc, stopped_child_stays_stopped_until_sigcont, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, stopped_root, NULL);

	kill_and_restart(_metadata, &self->ctx, pid, 1);
	ckpt_finish(_metadata, pid, CKPT_REASONS(stopped_reasons));
}

/* --- sessions, process groups, subreaper --- */

static const char *const session_reasons[] = {
	[1] = "could not build the session",
	[2] = "the root lost its session or group",
	[3] = "the root is no subreaper any more",
	[4] = "the orphan lost its group (whose leader exited)",
	[5] = "the orphan has another parent",
	[6] = "the group member lost its group or session",
	[7] = "the orphan failed",
	[8] = "the group member failed",
};

static pid_t my_pgid, my_sid, my_ppid;

static void save_ids(void)
{
	my_pgid = getpgid(0);
	my_sid = getsid(0);
	my_ppid = getppid();
}

static int ids_unchanged(void)
{
	return getpgid(0) == my_pgid && getsid(0) == my_sid &&
	       getppid() == my_ppid;
}

/* Its parent may change (an orphan): the root checks that */
static int session_member(void)
{
	save_ids();
	ckpt_child_wait_finish();
	return getpgid(0) == my_pgid && getsid(0) == my_sid ? 0 : 1;
}

static pid_t proc_ppid(pid_t pid)
{
	char buf[512];
	const char *f = proc_stat_fields(pid, buf, sizeof(buf));
	int ppid = -1;

	if (f)
		sscanf(f + 3, "%d", &ppid);
	return ppid;
}

static int session_root(void *arg)
{
	pid_t a, orphan = 0, b, root;
	int status, fds[2];

	(void)arg;
	root = getpid();
	if (setsid() != root || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) ||
	    pipe(fds))
		return 1;
	a = fork();
	if (!a) {
		/* A leads a new group, leaves a member in it and exits */
		if (setpgid(0, 0))
			_exit(1);
		orphan = fork();
		if (!orphan) {
			close(fds[0]);
			close(fds[1]);
			_exit(session_member());
		}
		_exit(write(fds[1], &orphan, sizeof(orphan)) == sizeof(orphan) ?
		      0 : 1);
	}
	b = fork();
	if (!b) {
		close(fds[0]);
		close(fds[1]);
		_exit(session_member());
	}
	if (a < 0 || b < 0 || read(fds[0], &orphan, sizeof(orphan)) != sizeof(orphan) ||
	    waitpid(a, &status, 0) != a || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	close(fds[0]);
	close(fds[1]);
	/* The orphan comes to us, the subreaper */
	if (getpgid(orphan) != a || proc_state(orphan) == '?')
		return 1;
	for (status = 0; status < 100 && proc_ppid(orphan) != root; status++)
		ckpt_sleep_ms(10);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (getsid(0) != root || getpgid(0) != root)
		return 2;
	if (prctl(PR_GET_CHILD_SUBREAPER, &status, 0, 0, 0) || status != 1)
		return 3;
	if (getpgid(orphan) != a || getsid(orphan) != root)
		return 4;
	if (proc_ppid(orphan) != root)
		return 5;
	if (getpgid(b) != root || getsid(b) != root)
		return 6;
	if (finish_child(orphan))
		return 7;
	return finish_child(b) ? 8 : 0;
}

TEST_F_TIMEOUT(proc, session_and_group_with_exited_leader_keep_their_ids, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, session_root, NULL);

	kill_and_restart(_metadata, &self->ctx, pid, 2);
	ckpt_finish(_metadata, pid, CKPT_REASONS(session_reasons));
}

/* --- resource limits, parent-death signal, rseq --- */

static const char *const limits_reasons[] = {
	[1] = "could not set the limits",
	[2] = "RLIMIT_NOFILE changed",
	[3] = "RLIMIT_CORE changed",
	[4] = "RLIMIT_STACK changed",
	[5] = "the parent-death signal changed",
	[6] = "rseq is not registered any more",
	[7] = "the cpu number in the rseq area is not valid",
};

static int limits_child(void *arg)
{
	struct rlimit nofile = { 77, 99 }, core = { 0, 4096 }, stack, r;
	struct rseq *rs = NULL;
	int sig;

	(void)arg;
	if (setrlimit(RLIMIT_NOFILE, &nofile) || setrlimit(RLIMIT_CORE, &core) ||
	    getrlimit(RLIMIT_STACK, &stack) || prctl(PR_SET_PDEATHSIG, SIGHUP))
		return 1;
	if (__rseq_size)
		rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur != 77 || r.rlim_max != 99)
		return 2;
	if (getrlimit(RLIMIT_CORE, &r) || r.rlim_cur != 0 || r.rlim_max != 4096)
		return 3;
	if (getrlimit(RLIMIT_STACK, &r) || r.rlim_cur != stack.rlim_cur ||
	    r.rlim_max != stack.rlim_max)
		return 4;
	if (prctl(PR_GET_PDEATHSIG, &sig) || sig != SIGHUP)
		return 5;
	if (rs) {
		/*
		 * Registering the same area again fails with EBUSY while it is
		 * registered (EINVAL if with another length than glibc's).
		 */
		long r32 = syscall(__NR_rseq, rs, 32, 0, RSEQ_SIG);
		int e32 = errno;

		if (r32 != -1 || e32 != EBUSY) {
			ckpt_child_note("rseq(area, 32): %ld, %s (__rseq_size %u)",
					r32, strerror(e32), __rseq_size);
			return 6;
		}
		if ((int)rs->cpu_id < 0)
			return 7;
	}
	return 0;
}

TEST_F_TIMEOUT(proc, limits_pdeath_signal_and_rseq_stay, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, limits_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(limits_reasons));
}

/* --- chroot --- */

static const char *const chroot_reasons[] = {
	[1] = "could not chroot",
	[2] = "the root directory changed",
	[3] = "the cwd changed",
};

static int chroot_child(void *arg)
{
	const char *jail = arg;
	struct stat before, after;
	char cwd[64];

	if (chroot(jail) || chdir("/sub") || stat("/", &before))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (stat("/", &after) || after.st_ino != before.st_ino ||
	    after.st_dev != before.st_dev || access("/marker", F_OK))
		return 2;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/sub"))
		return 3;
	return 0;
}

TEST_F_TIMEOUT(proc, chrooted_task_keeps_its_root_and_cwd, 60)
{
	static char jail[200], path[256];
	pid_t pid;
	int fd;

	snprintf(jail, sizeof(jail), "%s/jail", self->ctx.dir);
	ASSERT_EQ(0, mkdir(jail, 0700));
	snprintf(path, sizeof(path), "%s/sub", jail);
	ASSERT_EQ(0, mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/marker", jail);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	pid = ckpt_spawn(_metadata, &self->ctx, chroot_child, jail);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(chroot_reasons));
}

/* --- a tree of 20 processes, 8 threads in some --- */

#define BIG_CHILDREN	4
#define BIG_THREADS	8	/* per child, the main thread included */
#define BIG_PROCS	20	/* root, 4 children, 15 grandchildren */

static const char *const big_reasons[] = {
	[1] = "could not build the tree",
	[2] = "a pid, tid or parent changed",
	[3] = "a thread saw its TLS or tid change",
	[4] = "a thread stopped counting, or did not stop when asked",
	[5] = "the shared counter does not match the private ones",
	[6] = "a child failed",
	[7] = "a grandchild failed",
};

static __thread long tls_tag;
static pid_t saved_pid;
static long private_count[BIG_THREADS];
static long shared_count;
static pid_t saved_tid[BIG_THREADS];
static int thread_error;
static int stop_counting, stopped_threads;

static void *counter(void *arg)
{
	long i = (long)arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	saved_tid[i] = gettid();
	tls_tag = saved_tid[i] * 7 + i;
	while (!__atomic_load_n(&stop_counting, __ATOMIC_ACQUIRE)) {
		if (tls_tag != saved_tid[i] * 7 + i || gettid() != saved_tid[i])
			__atomic_store_n(&thread_error, 3, __ATOMIC_RELAXED);
		/* Both or neither: stop_counting is only looked at here */
		__atomic_fetch_add(&private_count[i], 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&shared_count, 1, __ATOMIC_RELEASE);
		ckpt_sleep_ms(2);
	}
	__atomic_fetch_add(&stopped_threads, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

static int check_counters(void)
{
	long before[BIG_THREADS], sum = 0, shared;
	int i;

	for (i = 1; i < BIG_THREADS; i++)
		before[i] = __atomic_load_n(&private_count[i], __ATOMIC_ACQUIRE);
	ckpt_sleep_ms(200);
	/* Stop the counters, then the shared one is exactly the private sum */
	__atomic_store_n(&stop_counting, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 1000 && __atomic_load_n(&stopped_threads, __ATOMIC_ACQUIRE) <
				 BIG_THREADS - 1; i++)
		ckpt_sleep_ms(10);
	if (__atomic_load_n(&stopped_threads, __ATOMIC_ACQUIRE) != BIG_THREADS - 1)
		return 4;
	shared = __atomic_load_n(&shared_count, __ATOMIC_ACQUIRE);
	for (i = 1; i < BIG_THREADS; i++) {
		long now = __atomic_load_n(&private_count[i], __ATOMIC_ACQUIRE);

		if (now == before[i])
			return 4;
		sum += now;
	}
	if (shared != sum)
		return 5;
	return __atomic_load_n(&thread_error, __ATOMIC_RELAXED);
}

static int big_leaf(void)
{
	save_ids();
	saved_pid = getpid();
	ckpt_child_wait_finish();
	return ids_unchanged() && getpid() == saved_pid ? 0 : 2;
}

static int big_child(int nr_grandchildren)
{
	pid_t gc[4];
	pthread_t t;
	long i;
	int ret = 0;

	save_ids();
	saved_pid = getpid();
	for (i = 0; i < nr_grandchildren; i++) {
		gc[i] = fork();
		if (!gc[i])
			_exit(big_leaf());
		if (gc[i] < 0)
			return 1;
	}
	saved_tid[0] = gettid();
	for (i = 1; i < BIG_THREADS; i++)
		if (pthread_create(&t, NULL, counter, (void *)i))
			return 1;
	ckpt_child_wait_finish();
	if (!ids_unchanged() || getpid() != saved_pid || gettid() != saved_tid[0])
		ret = 2;
	if (!ret)
		ret = check_counters();
	for (i = 0; i < nr_grandchildren; i++)
		if (finish_child(gc[i]) && !ret)
			ret = 7;
	return ret;
}

static int big_root(void *arg)
{
	pid_t c[BIG_CHILDREN];
	int i, ret = 0;

	(void)arg;
	save_ids();
	saved_pid = getpid();
	for (i = 0; i < BIG_CHILDREN; i++) {
		c[i] = fork();
		if (!c[i])
			_exit(big_child(i < 3 ? 4 : 3));
		if (c[i] < 0)
			return 1;
	}
	/* Let the threads start counting */
	ckpt_sleep_ms(500);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (!ids_unchanged() || getpid() != saved_pid)
		ret = 2;
	for (i = 0; i < BIG_CHILDREN; i++) {
		int r = finish_child(c[i]);

		if (r && !ret)
			ret = r < 10 ? r : 6;
	}
	return ret;
}

TEST_F_TIMEOUT(proc, tree_of_20_processes_with_threads_keeps_ids_and_counters, 300)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, big_root, NULL);

	kill_and_restart(_metadata, &self->ctx, pid, BIG_PROCS - 1);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "restart of 48 task(s) complete"));
	ckpt_finish(_metadata, pid, CKPT_REASONS(big_reasons));
}

/* --- a pid taken at restart --- */

static int two_procs_root(void *arg)
{
	pid_t c;

	(void)arg;
	c = fork();
	if (!c) {
		ckpt_child_wait_finish();
		_exit(0);
	}
	if (c < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return finish_child(c) ? 2 : 0;
}

/* A child of ours with pid @pid (clone3 with set_tid), sleeping */
static pid_t squat_pid(pid_t pid)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};
	pid_t ret = syscall(__NR_clone3, &args, sizeof(args));

	if (!ret) {
		for (;;)
			pause();
	}
	return ret;
}

TEST_F_TIMEOUT(proc, taken_pid_fails_with_ebusy_and_leaves_nothing, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, two_procs_root, NULL);
	char needle[64];
	pid_t child = 0, squatter;
	char path[64], buf[256];
	long ret;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	ASSERT_LT(0, ckpt_read_file(path, buf, sizeof(buf)));
	child = atoi(buf);
	ASSERT_LT(0, child);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ASSERT_NE(-1, ckpt_wait_child(child, CKPT_EXIT_TIMEOUT_MS, false));

	squatter = squat_pid(child);
	ASSERT_EQ(child, squatter) TH_LOG("clone3 with set_tid: %s", strerror(errno));
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	ret = ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0,
				self->ctx.log_fd);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno);
	snprintf(needle, sizeof(needle), "pid %d is in use", child);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, needle))
		ckpt_dump_log(_metadata, &self->ctx);
	/* Nothing but the squatter */
	EXPECT_EQ(-1, kill(pid, 0));
	kill(squatter, SIGKILL);
	ASSERT_EQ(squatter, waitpid(squatter, NULL, 0));
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "pid taken"));

	/* Once the pid is free again, the same image restarts */
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* --- processes sharing a file table, an fs, an address space --- */

static const char *const share_reasons[] = {
	[1] = "could not set up the sharing processes",
	[2] = "the file table is not shared any more",
	[3] = "the fs (cwd) is not shared any more",
	[4] = "the address space is not shared any more",
	[5] = "a sharing child failed",
};

static volatile int vm_go, vm_word;
static char share_dir[200], share_file[220];
static char vm_stack[64 * 1024] __attribute__((aligned(16)));

/* CLONE_VM child: no libc beyond raw syscalls, the TLS is its parent's */
static int vm_child(void *arg)
{
	(void)arg;
	while (!vm_go)
		syscall(__NR_pause);
	vm_word = 4242;
	return 0;
}

static int share_root(void *arg)
{
	struct ckpt_ctx *ctx = arg;
	pid_t cfiles, cvm;
	char cwd[256], link[256];
	int status, fd;

	snprintf(share_dir, sizeof(share_dir), "%s/sub", ctx->dir);
	snprintf(share_file, sizeof(share_file), "%s/opened-by-child", ctx->dir);
	if (mkdir(share_dir, 0700) && errno != EEXIST)
		return 1;
	cfiles = syscall(__NR_clone, CLONE_FILES | CLONE_FS | SIGCHLD, 0, 0, 0, 0);
	if (!cfiles) {
		/* After restart: open a file and move, for the parent to see */
		ckpt_child_wait_finish();
		fd = open(share_file, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || chdir(share_dir))
			_exit(255);
		_exit(fd);
	}
	cvm = clone(vm_child, vm_stack + sizeof(vm_stack), CLONE_VM | SIGCHLD, NULL);
	if (cfiles < 0 || cvm < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* The CLONE_FILES | CLONE_FS child opens a file and changes directory */
	status = finish_child(cfiles);
	if (status == 255 || status >= 98)
		return 5;
	snprintf(cwd, sizeof(cwd), "/proc/self/fd/%d", status);
	fd = readlink(cwd, link, sizeof(link) - 1);
	if (fd < 0)
		return 2;
	link[fd] = 0;
	if (strcmp(link, share_file))
		return 2;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, share_dir))
		return 3;
	/* The CLONE_VM child writes a word we must see */
	vm_go = 1;
	kill(cvm, SIGUSR1);
	if (waitpid(cvm, &status, 0) != cvm || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 5;
	return vm_word == 4242 ? 0 : 4;
}

TEST_F_TIMEOUT(proc, processes_sharing_files_fs_and_mm_share_them_again, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, share_root, &self->ctx);

	kill_and_restart(_metadata, &self->ctx, pid, 2);
	ckpt_finish(_metadata, pid, CKPT_REASONS(share_reasons));
}

/* --- container mode --- */

#define CT_CHILDREN	2

static const char *const container_reasons[] = {
	[1] = "could not set up the container",
	[2] = "init is not pid 1 any more",
	[3] = "a child has another pid or parent",
	[4] = "a child did not finish",
	[5] = "the hostname changed",
};

static char ct_ready_path[160];
static char ct_file_path[160];	/* if set, init holds it open as fd 3 */

static int ct_child(void)
{
	pid_t pid = getpid();

	ckpt_child_wait_finish();
	return getpid() == pid && getppid() == 1 ? 0 : 3;
}

/* The init of the container: starts two children and reaps what comes */
static int ct_init(void)
{
	pid_t c[CT_CHILDREN];
	int i, fd, ret = 0;
	char name[65];

	if (getpid() != 1 || sethostname("ckpt-ct", 7) ||
	    setdomainname("ckpt-domain", 11))
		return 1;
	for (i = 0; i < CT_CHILDREN; i++) {
		c[i] = fork();
		if (!c[i])
			_exit(ct_child());
		if (c[i] != i + 2)
			return 1;
	}
	if (ct_file_path[0] &&
	    open(ct_file_path, O_RDWR | O_CREAT, 0600) != 3)
		return 1;
	/* getppid() is 0 here: say "ready" with a file */
	fd = open(ct_ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	ckpt_child_wait_finish();
	if (getpid() != 1)
		ret = 2;
	if (!ret && (gethostname(name, sizeof(name)) || strcmp(name, "ckpt-ct") ||
		     getdomainname(name, sizeof(name)) || strcmp(name, "ckpt-domain")))
		ret = 5;
	for (i = 0; i < CT_CHILDREN; i++) {
		int r = finish_child(c[i]);

		if (r && !ret)
			ret = r == 3 ? 3 : 4;
	}
	return ret;
}

static pid_t spawn_container(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWUTS,
		.exit_signal = SIGCHLD,
	};
	struct stat st;
	pid_t pid;

	snprintf(ct_ready_path, sizeof(ct_ready_path), "%s/ready", ctx->dir);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3(CLONE_NEWPID | CLONE_NEWUTS): %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ? ret : ct_init());
	}
	ckpt_ctx_track(ctx, pid);
	while (stat(ct_ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	return pid;
}

/* Checkpoint the container, kill it and restart it: returns its new pid */
static pid_t container_cycle(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, pid_t pid)
{
	pid_t restored;

	if (ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL))
		return -1;
	ckpt_reap_killed(_metadata, pid);
	if (!ckpt_log_contains(ctx, "container mode")) {
		TH_LOG("checkpoint did not use container mode");
		return -1;
	}
	restored = ckpt_restart(_metadata, ctx);
	if (restored > 0)
		ckpt_ctx_track(ctx, restored);
	return restored;
}

TEST_F_TIMEOUT(proc, container_restarts_twice_in_a_new_pid_namespace, 240)
{
	pid_t pid = spawn_container(_metadata, &self->ctx);

	pid = container_cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	pid = container_cycle(_metadata, &self->ctx, pid);
	ASSERT_LT(0, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(container_reasons));
}

TEST_F_TIMEOUT(proc, container_file_open_outside_is_a_leak, 120)
{
	char needle[64];
	int pidfd, fd;
	pid_t pid;

	snprintf(ct_file_path, sizeof(ct_file_path), "%s/shared", self->ctx.dir);
	pid = spawn_container(_metadata, &self->ctx);
	ct_file_path[0] = 0;

	/* The test takes the container's open file: same struct file */
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	fd = syscall(__NR_pidfd_getfd, pidfd, 3, 0);
	ASSERT_LE(0, fd) TH_LOG("pidfd_getfd: %s", strerror(errno));

	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					   self->ctx.log_fd));
	EXPECT_EQ(EBUSY, errno);
	snprintf(needle, sizeof(needle), "open outside the container, in process %d",
		 getpid());
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, needle))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "/shared"));

	/* Accepted with the flag; and without it once the test lets go */
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_SHARED_OK));
	close(fd);
	close(pidfd);
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_REASONS(container_reasons));
}

TEST_F_TIMEOUT(proc, container_init_with_subtree_flag_is_a_subtree, 120)
{
	pid_t pid = spawn_container(_metadata, &self->ctx);
	long ret;

	/* Subtree mode keeps the ids of the namespace, which are taken here */
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_SUBTREE));
	EXPECT_FALSE(ckpt_log_contains(&self->ctx, "container mode"));
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ret = ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0,
				self->ctx.log_fd);
	EXPECT_EQ(-1, ret);
	ckpt_finish(_metadata, pid, CKPT_REASONS(container_reasons));
}

TEST_HARNESS_MAIN
