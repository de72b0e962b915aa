// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint(2) and restart(2) racing with what a tree of processes and
 * other callers do: two checkpoints of one tree at once, a checkpoint of a
 * tree that forks and execs, a checkpoint of a tree that is being killed,
 * a restart whose caller is killed midway, a checkpoint of a root that
 * changes its ids and one of a tree that a tracer attaches to and detaches
 * from. Each call either succeeds or fails with an errno that says the
 * tree changed; nothing hangs, no task stays frozen and nothing is left
 * behind. Each test does CKPT_RACE_ROUNDS rounds (default 20; make
 * torture runs 1000).
 *
 * The tree: a root with two children (or a root that forks short-lived
 * children all the time, or one that changes its ids all the time and
 * checks them). Each process answers a "ping" (SIGWINCH) with
 * SIGUSR2 to the test, which tells that it runs; on SIGUSR1 the root
 * finishes its children and checks its memory, then exits.
 *
 * Two kernel bugs these found: a frozen (or stopped) task that got
 * SIGKILL exited while checkpoint(2) still read its files and stack
 * (KASAN use-after-free); two checkpoints of one tree each waited for
 * tasks the other had frozen.  An exiting task now waits for the
 * checkpoint that holds it, which fails, and a second checkpoint of a
 * held task fails with EBUSY.
 */
#include "ckpt_util.h"

#include <dirent.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#define DEFAULT_ROUNDS	20		/* CKPT_RACE_ROUNDS overrides it */
#define NR_TREE		3		/* root and two children */
#define MAX_TRACK	64
#define HANG_S		30		/* one call may take this long */
#define PING_TIMEOUT_MS	5000
#define GONE_TIMEOUT_MS	10000
/*
 * The harness's limit on a whole test, fixed at compile time, while the
 * number of rounds comes at run time (make torture runs 1000).  arm()
 * already fails a test as soon as one call hangs for HANG_S, so this
 * only has to be long enough for 1000 rounds (about 500 s under TCG
 * with KASAN); make check bounds a run of the whole program with the
 * timeout= of the settings file anyway.
 */
#define RACE_TIMEOUT_S	7200

enum tree_mode {
	TREE_IDLE,	/* root and two children, waiting */
	TREE_FORKING,	/* a root that forks, execs and reaps all the time */
	TREE_CREDS,	/* root and two children; the root changes its ids all the time */
};

struct tree_args {
	enum tree_mode mode;
	size_t root_mem;
	size_t leaf_mem;
};

static const char *const race_reasons[] = {
	[1] = "could not build the tree",
	[2] = "the root's memory changed",
	[3] = "a child did not finish cleanly",
	[4] = "the forking root could not fork or reap",
	[5] = "the forking root did not fork at all",
	[6] = "the root could not change its ids",
	[7] = "the root's ids are not those its last change gave",
};

/* The test's pid, which the tree answers pings to (kept across restart) */
static pid_t test_pid;
static bool have_true;
static bool verbose;		/* CKPT_RACE_VERBOSE=1: one line a round */
static int rounds;		/* CKPT_RACE_ROUNDS=n, for make torture */
static volatile sig_atomic_t ping;

/* Every process the test made, killed by the alarm and by teardown */
static pid_t tracked[MAX_TRACK];
static const char *volatile hang_what = "?";
static volatile int hang_round;

static void track(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_TRACK; i++) {
		if (tracked[i] == pid)
			return;
		if (!tracked[i]) {
			tracked[i] = pid;
			return;
		}
	}
}

static void untrack(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_TRACK; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

/* A call hung: say which, kill what we made and fail */
static void hang_alarm(int sig)
{
	int i;

	(void)sig;
	dprintf(2, "# round %d: %s has not returned after %d s\n", hang_round,
		hang_what, HANG_S);
	for (i = 0; i < MAX_TRACK; i++)
		if (tracked[i] > 0)
			kill(tracked[i], SIGKILL);
	_exit(KSFT_FAIL);
}

static void arm(const char *what, int round)
{
	hang_what = what;
	hang_round = round;
	alarm(HANG_S);
}

static void disarm(void)
{
	alarm(0);
}

/*
 * The tree's side.
 */
static void ping_handler(int sig)
{
	(void)sig;
	ping = 1;
}

static void answer_ping(void)
{
	if (ping) {
		ping = 0;
		kill(test_pid, SIGUSR2);
	}
}

static int leaf(size_t len)
{
	void *mem = NULL;
	unsigned long seed = getpid();

	if (len) {
		mem = malloc(len);
		if (!mem)
			return 1;
		ckpt_fill_pattern(mem, len, seed, 0);
	}
	while (!ckpt_child_finish) {
		answer_ping();
		pause();
	}
	return len && ckpt_check_pattern(mem, len, seed, 0) >= 0 ? 2 : 0;
}

static int finish_kid(pid_t pid)
{
	int status = 0, i;

	for (i = 0; i < 500; i++) {
		kill(pid, SIGUSR1);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 3;
		ckpt_sleep_ms(20);
	}
	return 3;
}

static int forking_loop(void)
{
	unsigned long forks = 0;
	pid_t pid;

	while (!ckpt_child_finish) {
		answer_ping();
		pid = fork();
		if (pid < 0)
			return 4;
		if (!pid) {
			if (have_true && forks % 4 == 0)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		while (waitpid(pid, NULL, 0) != pid)
			if (errno != EINTR)
				return 4;
		forks++;
	}
	return forks ? 0 : 5;
}

/*
 * The ids a TREE_CREDS root cycles through, one change a step: from
 * (0, 0, 0) with groups A to an effective uid and gid of CRED_ID with
 * groups B, and back.  Each entry is the state after its step.  The
 * real and saved ids stay 0, so that the root may come back to 0, and
 * it changes its gid and groups only while its effective uid is 0.
 */
#define CRED_ID		1000
#define MAX_GROUPS	8

enum cred_change { SET_GROUPS, SET_GID, SET_UID };

struct cred_step {
	enum cred_change change;
	uid_t euid;		/* also the fs uid */
	gid_t egid;		/* also the fs gid */
	bool groups_b;
};

static const struct cred_step cred_cycle[] = {
	{ SET_GROUPS, 0, 0, true },
	{ SET_GID, 0, CRED_ID, true },
	{ SET_UID, CRED_ID, CRED_ID, true },
	{ SET_UID, 0, CRED_ID, true },
	{ SET_GID, 0, 0, true },
	{ SET_GROUPS, 0, 0, false },
};

/* Sorted, as the kernel keeps and shows them */
static const gid_t groups_a[] = { 0 };
static const gid_t groups_b[] = { CRED_ID, CRED_ID + 1, CRED_ID + 2 };

/* A task's ids, in the order of /proc/PID/status: real, effective, saved, fs */
struct ids {
	uid_t uid[4];
	gid_t gid[4];
	gid_t groups[MAX_GROUPS];
	int ngroups;
};

static bool ids_match(const struct ids *ids, const struct cred_step *s)
{
	const gid_t *groups = s->groups_b ? groups_b : groups_a;
	int n = s->groups_b ? ARRAY_SIZE(groups_b) : ARRAY_SIZE(groups_a);

	return !ids->uid[0] && ids->uid[1] == s->euid && !ids->uid[2] &&
	       ids->uid[3] == s->euid && !ids->gid[0] && ids->gid[1] == s->egid &&
	       !ids->gid[2] && ids->gid[3] == s->egid && ids->ngroups == n &&
	       !memcmp(ids->groups, groups, n * sizeof(*groups));
}

static int cred_apply(const struct cred_step *s)
{
	switch (s->change) {
	case SET_GROUPS:
		return s->groups_b ? setgroups(ARRAY_SIZE(groups_b), groups_b) :
				     setgroups(ARRAY_SIZE(groups_a), groups_a);
	case SET_GID:
		return setresgid(0, s->egid, 0);
	default:
		return setresuid(0, s->euid, 0);
	}
}

static int own_ids(struct ids *ids)
{
	if (getresuid(&ids->uid[0], &ids->uid[1], &ids->uid[2]) ||
	    getresgid(&ids->gid[0], &ids->gid[1], &ids->gid[2]))
		return -1;
	/* -1 is no id: these change nothing and return the fs ids */
	ids->uid[3] = setfsuid(-1);
	ids->gid[3] = setfsgid(-1);
	ids->ngroups = getgroups(MAX_GROUPS, ids->groups);
	return ids->ngroups < 0 ? -1 : 0;
}

/*
 * The TREE_CREDS root: steps through cred_cycle and checks after each
 * step that it has the ids the step gives.  The step it is at and its
 * ids are saved at the same instant, so this also holds after a restart.
 */
static int creds_loop(void)
{
	unsigned int i = ARRAY_SIZE(cred_cycle) - 1;
	struct ids ids;

	/* The state at the end of the cycle, to start from */
	if (setresuid(0, 0, 0) || setresgid(0, 0, 0) || cred_apply(&cred_cycle[i]))
		return 6;
	ckpt_child_ready();
	while (!ckpt_child_finish) {
		answer_ping();
		i = (i + 1) % ARRAY_SIZE(cred_cycle);
		if (cred_apply(&cred_cycle[i]))
			return 6;
		if (own_ids(&ids) || !ids_match(&ids, &cred_cycle[i]))
			return 7;
	}
	return 0;
}

static int idle_loop(void)
{
	ckpt_child_ready();
	while (!ckpt_child_finish) {
		answer_ping();
		pause();
	}
	return 0;
}

static int tree_root(void *arg)
{
	const struct tree_args *a = arg;
	struct sigaction sa = { .sa_handler = ping_handler };
	pid_t kids[NR_TREE - 1];
	void *mem = NULL;
	unsigned long seed = getpid();
	int i, ret = 0;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGWINCH, &sa, NULL))
		return 1;
	if (a->root_mem) {
		mem = malloc(a->root_mem);
		if (!mem)
			return 1;
		ckpt_fill_pattern(mem, a->root_mem, seed, 0);
	}
	if (a->mode == TREE_FORKING) {
		ckpt_child_ready();
		return forking_loop();
	}
	for (i = 0; i < NR_TREE - 1; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (!kids[i])
			_exit(leaf(a->leaf_mem));
	}
	ret = a->mode == TREE_CREDS ? creds_loop() : idle_loop();
	if (!ret && mem && ckpt_check_pattern(mem, a->root_mem, seed, 0) >= 0)
		ret = 2;
	for (i = 0; i < NR_TREE - 1; i++)
		if (finish_kid(kids[i]) && !ret)
			ret = 3;
	return ret;
}

/*
 * The test's side.
 */

/* CKPT_RACE_ROUNDS, or the default; -1 if it is not a positive number */
static int env_rounds(void)
{
	const char *s = getenv("CKPT_RACE_ROUNDS");
	char *end;
	long n;

	if (!s || !*s)
		return DEFAULT_ROUNDS;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 1 || n > INT_MAX)
		return -1;
	return n;
}

FIXTURE(race) {
	struct ckpt_ctx ctx;
	char image2_path[160];
	char log2_path[160];
	int image2_fd;
	int log2_fd;
};

FIXTURE_SETUP(race)
{
	struct sigaction sa = { .sa_handler = hang_alarm };

	memset(tracked, 0, sizeof(tracked));
	self->image2_fd = -1;
	self->log2_fd = -1;
	ckpt_ctx_setup(_metadata, &self->ctx);
	test_pid = getpid();
	have_true = !access("/bin/true", X_OK);
	verbose = getenv("CKPT_RACE_VERBOSE");
	rounds = env_rounds();
	ASSERT_LT(0, rounds)
		TH_LOG("CKPT_RACE_ROUNDS=%s is not a positive number",
		       getenv("CKPT_RACE_ROUNDS"));
	srand(time(NULL) ^ getpid());
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	/* Killed and orphaned tasks of the tree come to us, to be reaped */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	snprintf(self->image2_path, sizeof(self->image2_path), "%s/image2",
		 self->ctx.dir);
	snprintf(self->log2_path, sizeof(self->log2_path), "%s/log2",
		 self->ctx.dir);
	self->image2_fd = open(self->image2_path,
			       O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->image2_fd);
	self->log2_fd = open(self->log2_path,
			     O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->log2_fd);
}

/* Kills everything we made, and reaps all that comes to us */
static void kill_all_tracked(void)
{
	long long deadline = ckpt_now_ns() + GONE_TIMEOUT_MS * 1000000LL;
	int i;

	for (i = 0; i < MAX_TRACK; i++)
		if (tracked[i] > 0)
			kill(tracked[i], SIGKILL);
	while (ckpt_now_ns() < deadline) {
		if (waitpid(-1, NULL, WNOHANG) > 0)
			continue;
		if (errno == ECHILD)
			break;
		ckpt_sleep_ms(10);
	}
}

FIXTURE_TEARDOWN(race)
{
	alarm(0);
	kill_all_tracked();
	memset(tracked, 0, sizeof(tracked));
	if (self->image2_fd >= 0)
		close(self->image2_fd);
	if (self->log2_fd >= 0)
		close(self->log2_fd);
	ckpt_ctx_teardown(&self->ctx);
}

/* The state letter and parent of @pid from /proc, or 0 if it is gone */
static char proc_state(pid_t pid, pid_t *ppid)
{
	char path[64], buf[512], *p, state = 0;
	int pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", &state, &pp) != 2)
		return 0;
	if (ppid)
		*ppid = pp;
	return state;
}

/* Logs what /proc says of @pid: its state and where it sleeps */
static void log_task(struct __test_metadata *_metadata, pid_t pid)
{
	char path[64], wchan[128] = "?";
	pid_t ppid = 0;
	char state = proc_state(pid, &ppid);

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	ckpt_read_file(path, wchan, sizeof(wchan));
	TH_LOG("task %d: state %c, parent %d, wchan %s", pid, state ? state : '-',
	       ppid, wchan);
}

/* The children of @parent, found by their parent in /proc */
static int proc_children(pid_t parent, pid_t *out, int max)
{
	struct dirent *de;
	pid_t pid, ppid;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		if (proc_state(pid, &ppid) && ppid == parent)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/* Starts a tree and finds its pids: root first, then its two children */
static pid_t spawn_tree(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			struct tree_args *a, pid_t *pids)
{
	pid_t root = ckpt_spawn(_metadata, ctx, tree_root, a);

	track(root);
	pids[0] = root;
	if (a->mode == TREE_FORKING)
		return root;
	ASSERT_EQ(NR_TREE - 1, proc_children(root, pids + 1, NR_TREE - 1))
		TH_LOG("the root %d does not have its two children", root);
	track(pids[1]);
	track(pids[2]);
	return root;
}

/* Stops the tree with SIGSTOP and waits until each process is stopped */
static void stop_tree(struct __test_metadata *_metadata, pid_t *pids, int n)
{
	int i, ms;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, kill(pids[i], SIGSTOP));
		for (ms = 0; proc_state(pids[i], NULL) != 'T' && ms < 5000; ms++)
			usleep(1000);
		ASSERT_EQ('T', proc_state(pids[i], NULL));
	}
}

/* Does @pid answer a ping within @timeout_ms? */
static bool answers(pid_t pid, int timeout_ms)
{
	long long deadline = ckpt_now_ns() + timeout_ms * 1000000LL;
	struct timespec ts = { 0, 50 * 1000000L };
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	while (ckpt_now_ns() < deadline) {
		if (kill(pid, SIGWINCH))
			return false;
		memset(&si, 0, sizeof(si));
		if (sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_pid == pid)
			return true;
	}
	return false;
}

/* Every process of the tree answers */
static void assert_tree_answers(struct __test_metadata *_metadata,
				const pid_t *pids, int n, int round)
{
	int i;

	for (i = 0; i < n; i++) {
		if (answers(pids[i], PING_TIMEOUT_MS))
			continue;
		log_task(_metadata, pids[i]);
		ASSERT_TRUE(false)
			TH_LOG("round %d: task %d of the tree does not answer any more",
			       round, pids[i]);
	}
}

/* Waits until none of @pids exists any more, reaping all that comes to us */
static bool tree_gone(const pid_t *pids, int n, int timeout_ms)
{
	long long deadline = ckpt_now_ns() + timeout_ms * 1000000LL;
	int i, left;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0, left = 0; i < n; i++)
			left += !kill(pids[i], 0) || errno != ESRCH;
		if (!left)
			return true;
		if (ckpt_now_ns() > deadline)
			return false;
		ckpt_sleep_ms(10);
	}
}

/* SIGKILLs the tree and reaps it; every process must be gone */
static void kill_tree(struct __test_metadata *_metadata, const pid_t *pids,
		      int n, int round)
{
	int i;

	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	if (!tree_gone(pids, n, GONE_TIMEOUT_MS)) {
		for (i = 0; i < n; i++)
			log_task(_metadata, pids[i]);
		ASSERT_TRUE(false)
			TH_LOG("round %d: the tree did not die of SIGKILL within %d ms",
			       round, GONE_TIMEOUT_MS);
	}
	for (i = 0; i < n; i++)
		untrack(pids[i]);
}

static void log_file(struct __test_metadata *_metadata, const char *what,
		     const char *path)
{
	ckpt_dump_file(_metadata, what, path, 20);
}

/* Did the kernel log an error in @path? */
static bool log_says_error(const char *path)
{
	static char buf[1 << 14];

	return ckpt_read_tail(path, buf, sizeof(buf)) > 0 &&
	       strcasestr(buf, "error");
}

/* Restarts the tree from @fd; it must come back with its pids and answer */
static void restart_tree(struct __test_metadata *_metadata, int fd, int logfd,
			 const char *log_path, const pid_t *pids, int round)
{
	long ret;
	int err;

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(logfd));
	arm("restart()", round);
	ret = sys_restart(0, fd, 0, logfd);
	err = errno;
	disarm();
	if (ret > 0)
		track(ret);
	ASSERT_EQ(pids[0], ret) {
		TH_LOG("round %d: restart() = %ld (%s), expected the root %d",
		       round, ret, ret < 0 ? strerror(err) : "", pids[0]);
		log_file(_metadata, "kernel log", log_path);
	}
	track(pids[1]);
	track(pids[2]);
	assert_tree_answers(_metadata, pids, NR_TREE, round);
}

struct ckpt_call {
	pthread_barrier_t *barrier;
	pid_t pid;
	int fd;
	int logfd;
	long ret;
	int err;
};

static void *checkpoint_thread(void *arg)
{
	struct ckpt_call *c = arg;

	pthread_barrier_wait(c->barrier);
	c->ret = sys_checkpoint(c->pid, c->fd, 0, c->logfd);
	c->err = errno;
	return NULL;
}

TEST_F_TIMEOUT(race, two_checkpoints_at_once, RACE_TIMEOUT_S)
{
	struct tree_args a = { .mode = TREE_IDLE, .leaf_mem = 64 << 10 };
	int fds[2] = { self->ctx.image_fd, self->image2_fd };
	int logs[2] = { self->ctx.log_fd, self->log2_fd };
	const char *log_paths[2] = { self->ctx.log_path, self->log2_path };
	int round, i, j, ok[2] = { 0, 0 }, busy = 0, restarted = 0;
	struct ckpt_call calls[2];
	struct timespec deadline;
	pthread_barrier_t barrier;
	pthread_t threads[2];
	pid_t pids[NR_TREE];

	spawn_tree(_metadata, &self->ctx, &a, pids);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
	for (round = 0; round < rounds; round++) {
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, ckpt_reset_file(fds[i]));
			ASSERT_EQ(0, ckpt_reset_file(logs[i]));
			calls[i] = (struct ckpt_call){ .barrier = &barrier,
				.pid = pids[0], .fd = fds[i], .logfd = logs[i] };
		}
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, pthread_create(&threads[i], NULL,
						    checkpoint_thread, &calls[i]));
		/* A hang: say where everyone waits; exiting ends the calls */
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += HANG_S;
		for (i = 0; i < 2; i++) {
			if (!pthread_timedjoin_np(threads[i], NULL, &deadline))
				continue;
			for (j = 0; j < NR_TREE; j++)
				log_task(_metadata, pids[j]);
			log_file(_metadata, "kernel log 1", log_paths[0]);
			log_file(_metadata, "kernel log 2", log_paths[1]);
			ASSERT_TRUE(false)
				TH_LOG("round %d: both checkpoint() calls still running after %d s",
				       round, HANG_S);
		}
		for (i = 0; i < 2; i++) {
			if (!calls[i].ret) {
				ok[i]++;
				continue;
			}
			busy++;
			ASSERT_TRUE(calls[i].ret == -1 && (calls[i].err == EBUSY ||
							   calls[i].err == EAGAIN)) {
				TH_LOG("round %d: checkpoint() %d = %ld: %s", round, i,
				       calls[i].ret, strerror(calls[i].err));
				log_file(_metadata, "kernel log", log_paths[i]);
			}
			ASSERT_TRUE(log_says_error(log_paths[i]))
				TH_LOG("round %d: checkpoint() %d refused, but logged no error",
				       round, i);
		}
		assert_tree_answers(_metadata, pids, NR_TREE, round);
		/* Restart what the racing calls saved, once, or twice if both did */
		if ((restarted == 0 && (!calls[0].ret || !calls[1].ret)) ||
		    (restarted == 1 && !calls[0].ret && !calls[1].ret)) {
			for (i = 0; i < 2; i++) {
				if (calls[i].ret)
					continue;
				kill_tree(_metadata, pids, NR_TREE, round);
				restart_tree(_metadata, fds[i], logs[i], log_paths[i],
					     pids, round);
			}
			restarted = !calls[0].ret && !calls[1].ret ? 2 : restarted + 1;
		}
	}
	pthread_barrier_destroy(&barrier);
	TH_LOG("%d rounds: %d + %d checkpoints complete, %d refused, %d restart check(s)",
	       rounds, ok[0], ok[1], busy, restarted);
	ASSERT_LT(0, ok[0] + ok[1]) TH_LOG("no checkpoint of the tree completed");
	ASSERT_LT(0, restarted);
	ckpt_finish(_metadata, pids[0], CKPT_REASONS(race_reasons));
	untrack(pids[0]);
	ASSERT_TRUE(tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS));
}

TEST_F_TIMEOUT(race, checkpoint_while_forking, RACE_TIMEOUT_S)
{
	struct tree_args a = { .mode = TREE_FORKING };
	int round, ok = 0, again = 0;
	pid_t pids[NR_TREE];
	long ret;
	int err;

	if (!have_true)
		TH_LOG("no /bin/true: the short-lived children only _exit()");
	spawn_tree(_metadata, &self->ctx, &a, pids);
	for (round = 0; round < rounds; round++) {
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
		arm("checkpoint() of a forking tree", round);
		ret = sys_checkpoint(pids[0], self->ctx.image_fd, 0, self->ctx.log_fd);
		err = errno;
		disarm();
		if (!ret) {
			ok++;
		} else {
			again++;
			/* A child being born, exec'ing or exiting: try again */
			ASSERT_TRUE(ret == -1 && err == EAGAIN) {
				TH_LOG("round %d: checkpoint() = %ld: %s", round, ret,
				       strerror(err));
				ckpt_dump_log(_metadata, &self->ctx);
			}
			ASSERT_TRUE(ckpt_log_contains(&self->ctx, "error"))
				TH_LOG("round %d: EAGAIN but the log says no error", round);
		}
		assert_tree_answers(_metadata, pids, 1, round);
	}
	TH_LOG("%d rounds: %d checkpoints of a forking tree complete, %d EAGAIN",
	       rounds, ok, again);
	ckpt_finish(_metadata, pids[0], CKPT_REASONS(race_reasons));
	untrack(pids[0]);
}

struct killer {
	pthread_barrier_t *barrier;
	pid_t target;
	long delay_us;
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;

	pthread_barrier_wait(k->barrier);
	if (k->delay_us)
		usleep(k->delay_us);
	kill(k->target, SIGKILL);
	return NULL;
}

TEST_F_TIMEOUT(race, checkpoint_while_killed, RACE_TIMEOUT_S)
{
	struct tree_args a = { .mode = TREE_IDLE, .leaf_mem = 64 << 10 };
	int round, i, res[4] = { 0, 0, 0, 0 };
	pthread_barrier_t barrier;
	pid_t pids[NR_TREE];
	struct killer k;
	pthread_t thread;
	long ret;
	int err;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, 2));
	for (round = 0; round < rounds; round++) {
		spawn_tree(_metadata, &self->ctx, &a, pids);
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
		/* Every other round, the tree is stopped: SIGKILL wakes it too */
		if (round & 1)
			stop_tree(_metadata, pids, NR_TREE);
		k = (struct killer){ .barrier = &barrier,
			.target = pids[round % NR_TREE],
			.delay_us = rand() % 5001 };
		if (verbose)
			TH_LOG("round %d: SIGKILL to %s %d after %ld us", round,
			       round % NR_TREE ? "child" : "root", k.target, k.delay_us);
		arm("checkpoint() of a tree being killed", round);
		ASSERT_EQ(0, pthread_create(&thread, NULL, killer_thread, &k));
		pthread_barrier_wait(&barrier);
		ret = sys_checkpoint(pids[0], self->ctx.image_fd, 0, self->ctx.log_fd);
		err = errno;
		pthread_join(thread, NULL);
		disarm();
		if (!ret) {
			res[0]++;
		} else {
			ASSERT_TRUE(ret == -1 && (err == ESRCH || err == EAGAIN ||
						  err == EINTR)) {
				TH_LOG("round %d (kill %d after %ld us): checkpoint() = %ld: %s",
				       round, k.target, k.delay_us, ret, strerror(err));
				ckpt_dump_log(_metadata, &self->ctx);
			}
			res[err == ESRCH ? 1 : err == EAGAIN ? 2 : 3]++;
		}
		/* Whoever was not killed was let go: it answers */
		for (i = 0; (round & 1) && i < NR_TREE; i++)
			kill(pids[i], SIGCONT);
		for (i = 0; i < NR_TREE; i++) {
			if (pids[i] == k.target)
				continue;
			if (answers(pids[i], PING_TIMEOUT_MS))
				continue;
			log_task(_metadata, pids[i]);
			ASSERT_TRUE(false)
				TH_LOG("round %d: task %d stays frozen after checkpoint() = %ld",
				       round, pids[i], ret);
		}
		kill_tree(_metadata, pids, NR_TREE, round);
	}
	pthread_barrier_destroy(&barrier);
	TH_LOG("%d rounds: %d checkpoints of a dying tree complete, %d ESRCH, %d EAGAIN, %d EINTR",
	       rounds, res[0], res[1], res[2], res[3]);
}

/* The restart caller: tells through @wfd what restart() returned */
static void restarter(int fd, int logfd, int wfd)
{
	long res[2];

	lseek(fd, 0, SEEK_SET);
	res[0] = sys_restart(0, fd, 0, logfd);
	res[1] = errno;
	if (write(wfd, res, sizeof(res)) != sizeof(res))
		_exit(1);
	for (;;)
		pause();
}

/* Forks a restart caller; *@c is its pid, @pipefd what it tells */
static void fork_restarter(struct __test_metadata *_metadata,
			   struct ckpt_ctx *ctx, int pipefd[2], pid_t *c)
{
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	fflush(NULL);
	*c = fork();
	ASSERT_LE(0, *c);
	if (!*c) {
		close(pipefd[0]);
		restarter(ctx->image_fd, ctx->log_fd, pipefd[1]);
	}
	track(*c);
}

TEST_F_TIMEOUT(race, restart_killed_midway, RACE_TIMEOUT_S)
{
	struct tree_args a = { .mode = TREE_IDLE, .root_mem = 8 << 20,
			       .leaf_mem = 256 << 10 };
	int round, i, pipefd[2], status, res[3] = { 0, 0, 0 };
	long long t0, restart_ms;
	pid_t pids[NR_TREE], c;
	long got[2], delay_ms;
	ssize_t n;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC | O_NONBLOCK));
	spawn_tree(_metadata, &self->ctx, &a, pids);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pids[0], CHECKPOINT_KILL));
	ASSERT_TRUE(tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS))
		TH_LOG("the tree did not die of CHECKPOINT_KILL");

	/* One full restart, to know how long it takes */
	t0 = ckpt_now_ns();
	arm("restart() in a child", -1);
	fork_restarter(_metadata, &self->ctx, pipefd, &c);
	for (;;) {
		n = read(pipefd[0], got, sizeof(got));
		if (n == sizeof(got))
			break;
		ASSERT_FALSE(n < 0 && errno != EAGAIN);
		ckpt_sleep_ms(2);
	}
	disarm();
	restart_ms = (ckpt_now_ns() - t0) / 1000000;
	ASSERT_EQ(pids[0], got[0]) {
		TH_LOG("restart() = %ld: %s", got[0], strerror(got[1]));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	kill(c, SIGKILL);
	ASSERT_EQ(c, waitpid(c, NULL, 0));
	untrack(c);
	track(pids[0]);
	track(pids[1]);
	track(pids[2]);
	assert_tree_answers(_metadata, pids, NR_TREE, -1);
	kill_tree(_metadata, pids, NR_TREE, -1);
	TH_LOG("a restart of the tree takes %lld ms", (long long)restart_ms);

	for (round = 0; round < rounds; round++) {
		delay_ms = rand() % (restart_ms + 1);
		fork_restarter(_metadata, &self->ctx, pipefd, &c);
		ckpt_sleep_ms(delay_ms);
		kill(c, SIGKILL);
		arm("reaping a killed restart() caller", round);
		ASSERT_EQ(c, waitpid(c, &status, 0));
		disarm();
		untrack(c);
		n = read(pipefd[0], got, sizeof(got));
		if (n == sizeof(got) && got[0] < 0) {
			/* It failed on its own, before the kill */
			ASSERT_TRUE(false) {
				TH_LOG("round %d: restart() failed before the kill (%ld ms): %s",
				       round, delay_ms, strerror(got[1]));
				ckpt_dump_log(_metadata, &self->ctx);
			}
		}
		if (n != sizeof(got) && tree_gone(pids, NR_TREE, 1000)) {
			res[2]++;
			continue;
		}
		/* Some task is there: a complete restart, or one being undone */
		for (i = 0; i < NR_TREE; i++)
			track(pids[i]);
		for (i = 0; i < NR_TREE; i++)
			if (!answers(pids[i], n == sizeof(got) ? PING_TIMEOUT_MS : 500))
				break;
		if (i == NR_TREE) {
			/* Complete: the whole tree runs */
			kill_tree(_metadata, pids, NR_TREE, round);
			res[n == sizeof(got) ? 0 : 1]++;
			continue;
		}
		if (n != sizeof(got) && tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS)) {
			for (i = 0; i < NR_TREE; i++)
				untrack(pids[i]);
			res[2]++;
			continue;
		}
		for (i = 0; i < NR_TREE; i++)
			log_task(_metadata, pids[i]);
		ckpt_dump_log(_metadata, &self->ctx);
		ASSERT_TRUE(false)
			TH_LOG("round %d: caller killed after %ld ms (%s): tasks left, not running",
			       round, delay_ms, n == sizeof(got) ? "it had returned" :
			       "it had not returned");
	}
	TH_LOG("%d rounds: restarts killed after 0-%lld ms: %d complete, %d unreported, %d undone",
	       rounds, (long long)restart_ms, res[0], res[1], res[2]);

	/* After all that, a restart still works, and the tree is intact */
	ASSERT_EQ(pids[0], ckpt_restart(_metadata, &self->ctx));
	track(pids[0]);
	track(pids[1]);
	track(pids[2]);
	assert_tree_answers(_metadata, pids, NR_TREE, rounds);
	ckpt_finish(_metadata, pids[0], CKPT_REASONS(race_reasons));
	untrack(pids[0]);
	ASSERT_TRUE(tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* /proc/PID/status of @pid, in a static buffer, or NULL */
static const char *proc_status(pid_t pid)
{
	static char buf[4096];
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return ckpt_read_file(path, buf, sizeof(buf)) < 0 ? NULL : buf;
}

/* The ids of @pid, as /proc shows them (all from one cred); -1 if it cannot */
static int proc_ids(pid_t pid, struct ids *ids)
{
	const char *st = proc_status(pid), *p;
	char *end;
	long g;

	if (!st)
		return -1;
	p = strstr(st, "\nUid:");
	if (!p || sscanf(p, "\nUid: %u %u %u %u", &ids->uid[0], &ids->uid[1],
			 &ids->uid[2], &ids->uid[3]) != 4)
		return -1;
	p = strstr(st, "\nGid:");
	if (!p || sscanf(p, "\nGid: %u %u %u %u", &ids->gid[0], &ids->gid[1],
			 &ids->gid[2], &ids->gid[3]) != 4)
		return -1;
	p = strstr(st, "\nGroups:");
	if (!p)
		return -1;
	p += strlen("\nGroups:");
	for (ids->ngroups = 0; ids->ngroups < MAX_GROUPS; p = end) {
		g = strtol(p, &end, 10);
		if (end == p)
			break;
		ids->groups[ids->ngroups++] = g;
	}
	return 0;
}

/* The TracerPid of @pid, or -1 if /proc does not say */
static pid_t proc_tracer(pid_t pid)
{
	const char *st = proc_status(pid), *p;
	int tracer;

	p = st ? strstr(st, "\nTracerPid:") : NULL;
	if (!p || sscanf(p, "\nTracerPid: %d", &tracer) != 1)
		return -1;
	return tracer;
}

/*
 * The (restarted) TREE_CREDS root has, as often as we look, the ids of a
 * step of its cycle: a restart gave it ids it had, with real and saved
 * ids 0 from which it can go on.
 */
static void assert_ids_in_cycle(struct __test_metadata *_metadata, pid_t pid,
				int round)
{
	struct ids ids;
	int i, j;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, proc_ids(pid, &ids))
			TH_LOG("round %d: cannot read the ids of %d", round, pid);
		for (j = 0; j < (int)ARRAY_SIZE(cred_cycle); j++)
			if (ids_match(&ids, &cred_cycle[j]))
				break;
		ASSERT_GT((int)ARRAY_SIZE(cred_cycle), j) {
			TH_LOG("round %d: task %d has ids of no step of its cycle:",
			       round, pid);
			TH_LOG("uids %u %u %u %u, gids %u %u %u %u, %d groups (%u...)",
			       ids.uid[0], ids.uid[1], ids.uid[2], ids.uid[3],
			       ids.gid[0], ids.gid[1], ids.gid[2], ids.gid[3],
			       ids.ngroups, ids.ngroups ? ids.groups[0] : 0);
		}
		ckpt_sleep_ms(5);
	}
}

/* A root that checks itself exits with its reason: say it, not "no answer" */
static void assert_root_runs(struct __test_metadata *_metadata, pid_t root,
			     int round)
{
	int status;

	if (waitpid(root, &status, WNOHANG) != root)
		return;
	untrack(root);
	TH_LOG("round %d: the root %d ended", round, root);
	ckpt_assert_exit_ok(_metadata, status, CKPT_REASONS(race_reasons));
	ASSERT_TRUE(false) TH_LOG("the root exited 0 without being asked to");
}

/* An image file and the log of the call that writes it */
struct image_slot {
	int fd;
	int logfd;
	const char *log_path;
};

/*
 * One checkpoint of the tree of @root into @slot.  Returns 0 if it
 * completed, else its errno, which must be one of @allowed (0 ends the
 * list) and come with an error in the kernel's log.
 */
static int checkpoint_round(struct __test_metadata *_metadata, pid_t root,
			    const struct image_slot *slot, const int *allowed,
			    const char *what, int round)
{
	long ret;
	int err, i;

	ASSERT_EQ(0, ckpt_reset_file(slot->fd));
	ASSERT_EQ(0, ckpt_reset_file(slot->logfd));
	arm(what, round);
	ret = sys_checkpoint(root, slot->fd, 0, slot->logfd);
	err = errno;
	disarm();
	if (!ret)
		return 0;
	for (i = 0; allowed[i] && allowed[i] != err; i++)
		;
	ASSERT_TRUE(ret == -1 && allowed[i]) {
		TH_LOG("round %d: %s = %ld: %s", round, what, ret, strerror(err));
		log_file(_metadata, "kernel log", slot->log_path);
	}
	ASSERT_TRUE(log_says_error(slot->log_path))
		TH_LOG("round %d: %s failed with %s, but logged no error", round,
		       what, strerrorname_np(err));
	return err;
}

/*
 * A root that changes its uid, gid and groups all the time.  Its ids are
 * read when it is frozen, when they cannot change any more, so a change
 * is no reason to fail; EAGAIN (the tree changed, try again) is allowed
 * as for any race.  The first complete image is restarted: the root must
 * come back with the ids of a step of its cycle, and the ids its memory
 * says it set (it checks them itself), and go on changing them for the
 * rounds left.
 */
TEST_F_TIMEOUT(race, checkpoint_while_changing_creds, RACE_TIMEOUT_S)
{
	static const int allowed[] = { EAGAIN, 0 };
	struct tree_args a = { .mode = TREE_CREDS, .leaf_mem = 64 << 10 };
	struct image_slot slot = { self->ctx.image_fd, self->ctx.log_fd,
				   self->ctx.log_path };
	int round, err, res[2] = { 0, 0 }, restarted = 0;
	pid_t pids[NR_TREE];

	if (geteuid())
		SKIP(return, "only root can change its ids at will");
	spawn_tree(_metadata, &self->ctx, &a, pids);
	assert_ids_in_cycle(_metadata, pids[0], -1);
	for (round = 0; round < rounds; round++) {
		err = checkpoint_round(_metadata, pids[0], &slot, allowed,
				       "checkpoint() of a root changing its ids", round);
		res[!!err]++;
		assert_root_runs(_metadata, pids[0], round);
		assert_tree_answers(_metadata, pids, NR_TREE, round);
		if (err || restarted)
			continue;
		kill_tree(_metadata, pids, NR_TREE, round);
		restart_tree(_metadata, slot.fd, slot.logfd, slot.log_path, pids, round);
		assert_ids_in_cycle(_metadata, pids[0], round);
		restarted = 1;
	}
	TH_LOG("%d rounds: %d checkpoints complete, %d EAGAIN, %d restart(s)",
	       rounds, res[0], res[1], restarted);
	assert_root_runs(_metadata, pids[0], rounds);
	ckpt_finish(_metadata, pids[0], CKPT_REASONS(race_reasons));
	untrack(pids[0]);
	ASSERT_TRUE(tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS));
}

/* What the tracer did, in memory it shares with the test */
struct tracer_stats {
	int stop;		/* the test asks it to finish its cycle and exit */
	long cycles;		/* seized, interrupted, stopped and detached */
	long refused;		/* PTRACE_SEIZE failed */
	int seize_err;		/* with this errno, the last time */
	int err;		/* why it exited with a code from tracer_reasons */
};

static const char *const tracer_reasons[] = {
	[1] = "PTRACE_INTERRUPT failed",
	[2] = "waiting for the tracee's stop failed, or it did not stop",
	[3] = "PTRACE_DETACH failed",
};

/*
 * Seizes @pid, interrupts it, waits for its stop and detaches.  A ping
 * that comes first stops it too, for its delivery: the detach delivers it.
 */
static int trace_cycle(pid_t pid, struct tracer_stats *st)
{
	int status, sig = 0;
	pid_t w;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0)) {
		st->refused++;
		st->seize_err = errno;
		return 0;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return 1;
	while ((w = waitpid(pid, &status, __WALL)) < 0 && errno == EINTR)
		;
	if (w != pid || !WIFSTOPPED(status))
		return 2;
	if (status >> 16 != PTRACE_EVENT_STOP)
		sig = WSTOPSIG(status);
	if (ptrace(PTRACE_DETACH, pid, 0, sig))
		return 3;
	st->cycles++;
	return 0;
}

/* The tracer process: cycles over the tree's tasks until told to stop */
static void tracer(const pid_t *pids, struct tracer_stats *st)
{
	int i, ret;

	srand(getpid());
	for (i = 0; !__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE); i++) {
		ret = trace_cycle(pids[i % NR_TREE], st);
		if (ret) {
			st->err = errno;
			_exit(ret);
		}
		/* Untraced now and then, so that some checkpoints complete */
		usleep(rand() % 2000);
	}
	_exit(0);
}

static pid_t start_tracer(struct __test_metadata *_metadata, const pid_t *pids,
			  struct tracer_stats *st)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (!pid)
		tracer(pids, st);
	track(pid);
	return pid;
}

/*
 * Lets the tracer finish its cycle and exit; then no task of the tree may
 * be traced, and a SIGCONT ends a group stop if one was left over.
 */
static void stop_tracer(struct __test_metadata *_metadata, pid_t pid,
			struct tracer_stats *st, const pid_t *pids)
{
	int status, i;

	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	status = ckpt_wait_child(pid, GONE_TIMEOUT_MS, false);
	if (status == -1) {
		for (i = 0; i < NR_TREE; i++)
			log_task(_metadata, pids[i]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	untrack(pid);
	ASSERT_NE(-1, status)
		TH_LOG("the tracer did not finish within %d ms", GONE_TIMEOUT_MS);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		if (WIFEXITED(status) && WEXITSTATUS(status) < ARRAY_SIZE(tracer_reasons))
			TH_LOG("the tracer: %s (%s)", tracer_reasons[WEXITSTATUS(status)],
			       strerror(st->err));
		else
			TH_LOG("the tracer ended with status %#x", status);
	}
	for (i = 0; i < NR_TREE; i++) {
		ASSERT_EQ(0, proc_tracer(pids[i]))
			TH_LOG("task %d is still traced after the tracer exited", pids[i]);
		kill(pids[i], SIGCONT);
	}
}

/*
 * A tracer seizes, interrupts, waits for and detaches from the tree's
 * tasks, one after the other, while the test checkpoints the tree.  A
 * traced task is refused with EBUSY ("task N is being traced"); EAGAIN
 * is allowed as for any race.  Afterwards the tree runs, untraced, and
 * the last complete image restarts.
 */
TEST_F_TIMEOUT(race, checkpoint_while_ptrace_attached, RACE_TIMEOUT_S)
{
	static const int allowed[] = { EBUSY, EAGAIN, 0 };
	struct tree_args a = { .mode = TREE_IDLE, .leaf_mem = 64 << 10 };
	struct image_slot slots[2] = {
		{ self->ctx.image_fd, self->ctx.log_fd, self->ctx.log_path },
		{ self->image2_fd, self->log2_fd, self->log2_path },
	};
	int round, err, w = 0, good = -1, res[3] = { 0, 0, 0 };
	struct tracer_stats *st;
	pid_t pids[NR_TREE], t;

	spawn_tree(_metadata, &self->ctx, &a, pids);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st);
	t = start_tracer(_metadata, pids, st);
	for (round = 0; round < rounds; round++) {
		err = checkpoint_round(_metadata, pids[0], &slots[w], allowed,
				       "checkpoint() of a tree being traced", round);
		res[!err ? 0 : err == EBUSY ? 1 : 2]++;
		/* Keep the complete image: the next round writes the other slot */
		if (!err) {
			good = w;
			w ^= 1;
		}
		assert_tree_answers(_metadata, pids, NR_TREE, round);
	}
	stop_tracer(_metadata, t, st, pids);
	assert_tree_answers(_metadata, pids, NR_TREE, rounds);
	TH_LOG("%d rounds: %d checkpoints complete, %d EBUSY, %d EAGAIN, %d restart(s)",
	       rounds, res[0], res[1], res[2], good >= 0);
	TH_LOG("the tracer: %ld cycles, %ld seizes refused (last: %s)",
	       st->cycles, st->refused,
	       st->refused ? strerrorname_np(st->seize_err) : "-");
	ASSERT_LT(0, st->cycles) TH_LOG("the tracer never stopped a task of the tree");
	if (good >= 0) {
		kill_tree(_metadata, pids, NR_TREE, rounds);
		restart_tree(_metadata, slots[good].fd, slots[good].logfd,
			     slots[good].log_path, pids, rounds);
	}
	ckpt_finish(_metadata, pids[0], CKPT_REASONS(race_reasons));
	untrack(pids[0]);
	ASSERT_TRUE(tree_gone(pids, NR_TREE, GONE_TIMEOUT_MS));
	munmap(st, sizeof(*st));
}

TEST_HARNESS_MAIN
