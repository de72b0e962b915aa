// SPDX-License-Identifier: GPL-2.0
/*
 * The permission model (Documentation/checkpoint/security.rst), row by
 * row: checkpoint reads each task as if the caller ptrace-attached to it,
 * and restart creates each object as if the caller had made it by hand.
 * Callers drop to uid 1000, to chosen groups and to chosen capabilities;
 * the restored tasks check their own credentials.
 */
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ckpt_image.h"

#define USER		1000
#define OTHER_GID	3000
#define CAP_BIT(c)	(1ULL << (c))
#define READY_COMM	"ckpt-ready"

/* Exit codes of a forked caller, above those that carry an errno */
#define CALLER_TARGET_OK	128	/* + the restored target's exit code */
#define CALLER_TARGET_KILLED	250
#define CALLER_NO_DROP		251
#define CALLER_TIMEOUT		252

/* Credentials to drop to: ids, supplementary groups, capabilities */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
	uint64_t caps;		/* permitted and effective */
};

/* What a target drops to, and what it must see after restart */
struct target {
	struct who before;
	struct who after;
	bool child;		/* a child holding a secret... */
	bool child_is_user;	/* ...that drops to uid 1000, or stays uid 0 */
	bool seccomp;		/* a filter, installed as root */
	bool nnp;		/* no_new_privs before the filter */
	unsigned int securebits;	/* set as root, before the drop */
	const char *cwd;	/* its working directory, "/" if NULL */
};

FIXTURE(priv) {
	struct ckpt_ctx ctx;
	char exe[200];
};

FIXTURE_SETUP(priv)
{
	if (geteuid())
		SKIP(return, "needs root, to drop to uid %d", USER);
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* Callers of uid 1000 write the restored tasks' notes there */
	ASSERT_EQ(0, chmod(self->ctx.dir, 0777));
	self->exe[0] = 0;
}

FIXTURE_TEARDOWN(priv)
{
	if (self->exe[0])
		unlink(self->exe);
	ckpt_ctx_teardown(&self->ctx);
}

static uint64_t caps_now(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(__NR_capget, &h, d))
		return ~0ULL;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	d[0].permitted = (uint32_t)caps;
	d[0].effective = (uint32_t)caps;
	d[1].permitted = caps >> 32;
	d[1].effective = caps >> 32;
	return syscall(__NR_capset, &h, d);
}

/* Drop to @w; a task of another uid stays dumpable, as a shell would */
static int become(const struct who *w)
{
	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(w->ngroups, w->groups) ||
	    setresgid(w->gid, w->gid, w->gid) || setresuid(w->uid, w->uid, w->uid) ||
	    set_caps(w->caps) || prctl(PR_SET_DUMPABLE, 1))
		return -1;
	return 0;
}

/* Does the calling task have exactly the credentials @w? */
static int check_who(const struct who *w)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, groups[8];
	int n, i;

	if (getresuid(&r, &e, &s) || r != w->uid || e != w->uid || s != w->uid) {
		ckpt_child_note("uids %d %d %d, expected %d", r, e, s, w->uid);
		return 2;
	}
	if (getresgid(&rg, &eg, &sg) || rg != w->gid || eg != w->gid || sg != w->gid) {
		ckpt_child_note("gids %d %d %d, expected %d", rg, eg, sg, w->gid);
		return 3;
	}
	n = getgroups(8, groups);
	if (n != w->ngroups) {
		ckpt_child_note("%d supplementary groups, expected %d", n, w->ngroups);
		return 4;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] != w->groups[i]) {
			ckpt_child_note("group %d is %d, expected %d", i, groups[i],
					w->groups[i]);
			return 4;
		}
	}
	if (caps_now() != w->caps) {
		ckpt_child_note("capabilities %#llx, expected %#llx",
				(unsigned long long)caps_now(),
				(unsigned long long)w->caps);
		return 5;
	}
	return 0;
}

static const char *const target_reasons[] = {
	[1] = "setup failed",
	[2] = "the restored task has other uids",
	[3] = "the restored task has other gids",
	[4] = "the restored task has other supplementary groups",
	[5] = "the restored task has other capabilities",
	[6] = "the restored task lost no_new_privs or its seccomp filter",
};

static bool comm_is(pid_t pid, const char *comm)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return !strcmp(buf, comm);
}

/* The secret a uid-0 child of @parent holds, made at run time */
static void make_secret(char *buf, size_t size, pid_t parent)
{
	snprintf(buf, size, "ckpt-%s-%08x", "root-secret",
		 (unsigned int)parent * 2654435761U);
}

static const struct who user_plain = { USER, USER, 1, { USER }, 0 };
static const struct who user_cr = {
	USER, USER, 1, { USER }, CAP_BIT(CAP_CHECKPOINT_RESTORE)
};

static int become(const struct who *w);

static void secret_child(pid_t parent, bool user)
{
	char *secret = malloc(64);

	if (!secret)
		_exit(1);
	make_secret(secret, 64, parent);
	/* A change of uid clears the parent-death signal: set it after */
	if ((user && become(&user_plain)) || prctl(PR_SET_PDEATHSIG, SIGKILL) ||
	    getppid() != parent || prctl(PR_SET_NAME, "ckpt-secret"))
		_exit(1);
	for (;;)
		pause();
}

static int install_filter(bool nnp)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * A target: optionally a uid-0 child or a seccomp filter, then the drop to
 * its credentials. Ready when its name says so (a task of uid 1000 may not
 * signal the test); after restart, it checks what it has.
 */
static int target_fn(void *arg)
{
	const struct target *t = arg;
	pid_t me = getpid(), child;

	if (chdir(t->cwd ?: "/"))
		return 1;
	if (t->securebits && prctl(PR_SET_SECUREBITS, t->securebits))
		return 1;
	if (t->child) {
		child = fork();
		if (!child)
			secret_child(me, t->child_is_user);
		while (child > 0 && !comm_is(child, "ckpt-secret"))
			usleep(1000);
	}
	if (t->seccomp && install_filter(t->nnp))
		return 1;
	if (become(&t->before) || prctl(PR_SET_NAME, READY_COMM))
		return 1;
	ckpt_child_wait_finish();
	if (t->seccomp && (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != t->nnp ||
			   prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != SECCOMP_MODE_FILTER))
		return 6;
	return check_who(&t->after);
}

/* Like ckpt_spawn(), but ready when the child's name is READY_COMM */
static pid_t spawn_target(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			  int (*fn)(void *), void *arg)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	pid_t pid;
	int ret;

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		ret = ckpt_child_detach();
		_exit(ret ? ret : fn(arg));
	}
	ckpt_ctx_track(ctx, pid);
	while (!comm_is(pid, READY_COMM)) {
		ASSERT_TRUE(ckpt_child_running(pid)) {
			TH_LOG("target %d died before it was ready", pid);
			ckpt_dump_file(_metadata, "target", ckpt_note_path, 20);
		}
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("target %d not ready", pid);
		ckpt_sleep_ms(10);
	}
	return pid;
}

/* Checkpoint @pid with CHECKPOINT_KILL, as root, and reap it */
static void image_of(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		     pid_t pid)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
}

/*
 * In a child that drops to @caller: restart the image with @flags. Returns
 * its exit status: an errno if restart failed, CALLER_TARGET_OK plus the
 * restored target's exit code if it ran, told to finish, and exited.
 */
static int restart_as(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		      const struct who *caller, unsigned long flags)
{
	pid_t pid, restored;
	int status;

	ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (become(caller))
			_exit(CALLER_NO_DROP);
		restored = sys_restart(0, ctx->image_fd, flags, ctx->log_fd);
		if (restored < 0)
			_exit(errno);
		status = ckpt_wait_child(restored, CKPT_EXIT_TIMEOUT_MS, true);
		if (status == -1) {
			kill(restored, SIGKILL);
			waitpid(restored, NULL, 0);
			_exit(CALLER_TIMEOUT);
		}
		_exit(WIFEXITED(status) ? CALLER_TARGET_OK + WEXITSTATUS(status) :
					  CALLER_TARGET_KILLED);
	}
	ckpt_ctx_track(ctx, pid);
	status = ckpt_wait_child(pid, 2 * CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(status != -1 && WIFEXITED(status)) TH_LOG("the caller hung or died");
	ASSERT_NE(CALLER_NO_DROP, WEXITSTATUS(status)) TH_LOG("could not drop privileges");
	return WEXITSTATUS(status);
}

/* The caller's exit status must say the restored target checked out */
static void assert_target_ok(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			     int code)
{
	if (code < CALLER_TARGET_OK) {
		TH_LOG("restart failed: %s", strerrorname_np(code));
		ckpt_dump_log(_metadata, ctx);
	} else if (code > CALLER_TARGET_OK && code < CALLER_TARGET_KILLED) {
		code -= CALLER_TARGET_OK;
		TH_LOG("the restored target exited with %d: %s", code,
		       code < 7 && target_reasons[code] ? target_reasons[code] : "?");
		ckpt_dump_file(_metadata, "target", ckpt_note_path, 20);
		code += CALLER_TARGET_OK;
	}
	ASSERT_EQ(CALLER_TARGET_OK, code);
}

/* The restart must have failed with @err, said @word, left nothing */
static void assert_refused(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			   int code, int err, const char *word, pid_t saved)
{
	ASSERT_EQ(err, code) {
		if (code >= CALLER_TARGET_OK)
			TH_LOG("restart succeeded; it had to fail with %s",
			       strerrorname_np(err));
		else
			TH_LOG("restart failed with %s, expected %s",
			       strerrorname_np(code), strerrorname_np(err));
		ckpt_dump_log(_metadata, ctx);
	}
	ASSERT_TRUE(ckpt_log_contains(ctx, word)) {
		TH_LOG("the log does not say \"%s\"", word);
		ckpt_dump_log(_metadata, ctx);
	}
	ASSERT_TRUE(kill(saved, 0) && errno == ESRCH) TH_LOG("task %d exists", saved);
}

/* ---- checkpoint: every task as if ptrace-attached ---- */

static int write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = ckpt_write_all(fd, str, strlen(str));
	close(fd);
	return ret;
}

/* The child processes of @pid's main thread, up to @max of them */
static int children_of(pid_t pid, pid_t *kids, int max)
{
	char path[64], buf[256], *p;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = strtok(buf, "\n "); p && n < max; p = strtok(NULL, "\n "))
		kids[n++] = atoi(p);
	return n;
}

static void checkpoint_tree_as_user(struct __test_metadata *_metadata,
				    struct ckpt_ctx *ctx, bool root_child, bool in_userns)
{
	struct target t = { .before = user_plain, .after = user_plain,
			    .child = true, .child_is_user = !root_child };
	char secret[64], *image;
	pid_t pid, caller, child;
	size_t len;
	int status;

	pid = spawn_target(_metadata, ctx, target_fn, &t);
	make_secret(secret, sizeof(secret), pid);
	caller = fork();
	ASSERT_LE(0, caller);
	if (!caller) {
		if (become(&user_plain))
			_exit(CALLER_NO_DROP);
		/* Root of a user namespace of its own, over uid 1000 only */
		if (in_userns && (unshare(CLONE_NEWUSER) ||
				  write_str("/proc/self/uid_map", "0 1000 1")))
			_exit(CALLER_NO_DROP);
		_exit(sys_checkpoint(pid, ctx->image_fd, 0, ctx->log_fd) ? errno : 0);
	}
	ckpt_ctx_track(ctx, caller);
	status = ckpt_wait_child(caller, CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(status != -1 && WIFEXITED(status));
	ASSERT_NE(CALLER_NO_DROP, WEXITSTATUS(status));
	image = ckpt_slurp(ctx->image_fd, &len);
	ASSERT_TRUE(!!image);
	if (root_child) {
		ASSERT_EQ(EPERM, WEXITSTATUS(status)) {
			TH_LOG("checkpoint of a tree with a uid-0 child by uid %d: %s",
			       USER, strerrorname_np(WEXITSTATUS(status)));
			ckpt_dump_log(_metadata, ctx);
		}
		ASSERT_TRUE(ckpt_log_contains(ctx, "ptrace"));
		ASSERT_EQ(NULL, memmem(image, len, secret, strlen(secret)))
			TH_LOG("the uid-0 child's secret is in the image of uid %d", USER);
	} else {
		ASSERT_EQ(0, WEXITSTATUS(status)) {
			TH_LOG("checkpoint by uid %d: %s", USER,
			       strerrorname_np(WEXITSTATUS(status)));
			ckpt_dump_log(_metadata, ctx);
		}
	}
	free(image);
	/*
	 * The parent-death signal of a uid-0 child is not sent by a parent
	 * of uid 1000, which may not signal it: kill the child here.
	 */
	ASSERT_EQ(1, children_of(pid, &child, 1));
	/* Left running, not frozen: it still answers */
	ASSERT_TRUE(ckpt_child_running(pid));
	ckpt_finish(_metadata, pid, CKPT_REASONS(target_reasons));
	kill(child, SIGKILL);
}

TEST_F_TIMEOUT(priv, checkpoint_of_tree_with_root_child_fails_with_eperm, 60)
{
	checkpoint_tree_as_user(_metadata, &self->ctx, true, false);
}

TEST_F_TIMEOUT(priv, checkpoint_from_user_namespace_of_tasks_outside_it_fails, 60)
{
	checkpoint_tree_as_user(_metadata, &self->ctx, true, true);
}

TEST_F_TIMEOUT(priv, checkpoint_of_own_tree_by_same_uid_succeeds, 60)
{
	checkpoint_tree_as_user(_metadata, &self->ctx, false, false);
}

/* ---- restart: credentials as setresuid(), setgroups(), capset() ---- */

TEST_F_TIMEOUT(priv, restart_with_only_cap_checkpoint_restore_cannot_restore_root, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);

	image_of(_metadata, &self->ctx, pid);
	assert_refused(_metadata, &self->ctx,
		       restart_as(_metadata, &self->ctx, &user_cr, 0), EPERM, "CRED", pid);
}

TEST_F_TIMEOUT(priv, restart_with_cap_checkpoint_restore_restores_own_image, 60)
{
	struct target t = { .before = user_plain, .after = user_plain };
	pid_t pid = spawn_target(_metadata, &self->ctx, target_fn, &t);

	image_of(_metadata, &self->ctx, pid);
	assert_target_ok(_metadata, &self->ctx,
			 restart_as(_metadata, &self->ctx, &user_cr, 0));
}

TEST_F_TIMEOUT(priv, unprivileged_restart_keeps_callers_supplementary_groups, 60)
{
	const struct who two_groups = {
		USER, USER, 2, { USER, OTHER_GID }, CAP_BIT(CAP_CHECKPOINT_RESTORE)
	};
	struct target t = { .before = user_plain, .after = two_groups };
	pid_t pid;

	t.after.caps = 0;
	pid = spawn_target(_metadata, &self->ctx, target_fn, &t);
	image_of(_metadata, &self->ctx, pid);
	assert_target_ok(_metadata, &self->ctx,
			 restart_as(_metadata, &self->ctx, &two_groups, 0));
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "supplementary"));
}

TEST_F_TIMEOUT(priv, privileged_restart_restores_image_groups, 60)
{
	struct target t = { .before = user_plain, .after = user_plain };
	pid_t pid = spawn_target(_metadata, &self->ctx, target_fn, &t);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(target_reasons));
}

TEST_F_TIMEOUT(priv, restart_with_supplementary_gid_as_egid_fails_with_eperm, 60)
{
	const struct who caller = {
		USER, USER, 2, { USER, OTHER_GID }, CAP_BIT(CAP_CHECKPOINT_RESTORE)
	};
	struct target t = { .before = { USER, OTHER_GID, 1, { OTHER_GID }, 0 } };
	pid_t pid = spawn_target(_metadata, &self->ctx, target_fn, &t);

	image_of(_metadata, &self->ctx, pid);
	assert_refused(_metadata, &self->ctx,
		       restart_as(_metadata, &self->ctx, &caller, 0), EPERM, "CRED", pid);
}

/* The caller's securebits, or CAP_SETPCAP: as PR_SET_SECUREBITS */
TEST_F_TIMEOUT(priv, restart_of_other_securebits_needs_cap_setpcap, 60)
{
	struct target t = { .before = user_plain, .after = user_plain,
			    .securebits = SECBIT_KEEP_CAPS | SECBIT_NOROOT };
	pid_t pid = spawn_target(_metadata, &self->ctx, target_fn, &t);

	image_of(_metadata, &self->ctx, pid);
	assert_refused(_metadata, &self->ctx,
		       restart_as(_metadata, &self->ctx, &user_cr, 0), EPERM, "securebits",
		       pid);
}

/* SUID_DUMP_ROOT writes core dumps as root: CAP_SYS_ADMIN only */
TEST_F_TIMEOUT(priv, restart_of_dumpable_2_needs_cap_sys_admin, 60)
{
	struct target t = { .before = user_plain, .after = user_plain };
	pid_t pid = spawn_target(_metadata, &self->ctx, target_fn, &t);
	struct image img;
	struct ckpt_mm *mm;
	struct ckpt_rec *rec;

	image_of_killed(_metadata, &self->ctx, pid, &img);
	rec = find_rec(&img, CKPT_REC_MM);
	ASSERT_TRUE(!!rec);
	mm = ckpt_payload(img.data, rec);
	mm->dumpable = htole32(2);
	trailer_of(&img, img.data)->crc32c =
		htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img.data, img.len));
	free(img.data);
	free(img.recs);
	assert_refused(_metadata, &self->ctx,
		       restart_as(_metadata, &self->ctx, &user_cr, 0), EINVAL, "MM", pid);
}

/* cwd as chdir(2): search permission on the directory itself */
TEST_F_TIMEOUT(priv, restart_into_cwd_without_search_permission_fails, 60)
{
	struct target t = { .before = user_plain, .after = user_plain };
	char dir[200];
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/cwd", self->ctx.dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	t.cwd = dir;
	pid = spawn_target(_metadata, &self->ctx, target_fn, &t);
	image_of(_metadata, &self->ctx, pid);
	/* Root's own now: uid 1000 may look it up, not enter it */
	ASSERT_EQ(0, chmod(dir, 0700));
	assert_refused(_metadata, &self->ctx,
		       restart_as(_metadata, &self->ctx, &user_cr, 0), EACCES, "cwd", pid);
	ASSERT_EQ(0, chmod(dir, 0755));
	assert_target_ok(_metadata, &self->ctx,
			 restart_as(_metadata, &self->ctx, &user_cr, 0));
}

/* Open files held for the tasks count as if each task had opened its own */
#define MANY_FILES	48
#define FEW_FILES	32

static int many_files_fn(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < MANY_FILES; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

TEST_F_TIMEOUT(priv, restart_of_more_files_than_rlimit_nofile_fails_with_emfile, 60)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, many_files_fn, NULL);
	struct rlimit few = { FEW_FILES, FEW_FILES };
	pid_t caller;
	int status;

	image_of(_metadata, &self->ctx, pid);
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	caller = fork();
	ASSERT_LE(0, caller);
	if (!caller) {
		if (setrlimit(RLIMIT_NOFILE, &few) ||
		    lseek(self->ctx.image_fd, 0, SEEK_SET))
			_exit(CALLER_NO_DROP);
		if (sys_restart(0, self->ctx.image_fd, 0, self->ctx.log_fd) >= 0)
			_exit(0);
		_exit(errno);
	}
	ckpt_ctx_track(&self->ctx, caller);
	status = ckpt_wait_child(caller, CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(status != -1 && WIFEXITED(status));
	assert_refused(_metadata, &self->ctx, WEXITSTATUS(status), EMFILE, "RLIMIT_NOFILE",
		       pid);
}

/* ---- restart: seccomp filters as seccomp(2) ---- */

/* Root without CAP_SYS_ADMIN: the target drops it after its filter */
static void seccomp_case(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			 bool nnp)
{
	struct who root = { 0, 0, 0, {}, 0 };
	struct target t = { .seccomp = true, .nnp = nnp };
	pid_t pid;
	int code;

	root.caps = caps_now() & ~CAP_BIT(CAP_SYS_ADMIN);
	t.before = root;
	t.after = root;
	pid = spawn_target(_metadata, ctx, target_fn, &t);
	image_of(_metadata, ctx, pid);
	code = restart_as(_metadata, ctx, &root, 0);
	if (nnp)
		assert_target_ok(_metadata, ctx, code);
	else
		assert_refused(_metadata, ctx, code, EACCES, "seccomp", pid);
}

TEST_F_TIMEOUT(priv, restart_of_seccomp_filter_without_nnp_needs_cap_sys_admin, 60)
{
	seccomp_case(_metadata, &self->ctx, false);
}

TEST_F_TIMEOUT(priv, restart_of_seccomp_filter_with_nnp_needs_no_privilege, 60)
{
	seccomp_case(_metadata, &self->ctx, true);
}

/* ---- restart: the executable as PR_SET_MM_EXE_FILE ---- */

/* A copy of this program, run with --idle, as a child of the test */
static pid_t spawn_copy(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			char *exe, size_t size)
{
	int in, out;
	pid_t pid;
	char buf[65536];
	ssize_t n;

	snprintf(exe, size, "%s/exe", ctx->dir);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	out = open(exe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ASSERT_TRUE(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ASSERT_EQ(0, ckpt_write_all(out, buf, n));
	close(in);
	ASSERT_EQ(0, close(out));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(exe, exe, "--idle", NULL);
		_exit(127);
	}
	ckpt_ctx_track(ctx, pid);
	while (!comm_is(pid, READY_COMM)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the copy did not start");
		ckpt_sleep_ms(10);
	}
	return pid;
}

TEST_F_TIMEOUT(priv, restart_of_non_executable_exe_fails_with_eacces, 60)
{
	pid_t pid = spawn_copy(_metadata, &self->ctx, self->exe, sizeof(self->exe));
	enum ckpt_outcome outcome;

	image_of(_metadata, &self->ctx, pid);
	/* Readable, mappable, not executable: even root may not exec it */
	ASSERT_EQ(0, chmod(self->exe, 0644));
	outcome = ckpt_restart_must_fail(_metadata, &self->ctx, 0, self->ctx.image_fd,
					 RESTART_FILES_CHANGED_OK, self->ctx.log_fd,
					 EACCES, true, pid, "exe without x bits");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "executable"));
}

TEST_F_TIMEOUT(priv, restart_of_executable_exe_succeeds, 60)
{
	pid_t pid = spawn_copy(_metadata, &self->ctx, self->exe, sizeof(self->exe));

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* ---- the tasks of an image killed while they are being restored ---- */

#define KILL_TREE_CHILDREN	4
#define KILL_TREE_THREADS	6
#define KILL_TREE_MEM		(4 << 20)
#define KILL_ROUNDS		3
#define KILL_MS			2000

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int touch_memory(void)
{
	char *mem = malloc(KILL_TREE_MEM);

	if (!mem)
		return -1;
	memset(mem, 0x5a, KILL_TREE_MEM);
	return 0;
}

/* Threads, children and memory: a restore that takes a while */
static int kill_tree_fn(void *arg)
{
	pthread_t th;
	int i;

	(void)arg;
	for (i = 0; i < KILL_TREE_CHILDREN; i++) {
		if (!fork()) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || touch_memory())
				_exit(1);
			for (;;)
				pause();
		}
	}
	for (i = 0; i < KILL_TREE_THREADS; i++)
		if (pthread_create(&th, NULL, idle_thread, NULL))
			return 1;
	if (touch_memory() || prctl(PR_SET_NAME, READY_COMM))
		return 1;
	ckpt_child_wait_finish();
	return 0;
}

/* Is @pid in a pid namespace below ours (two ids or more on NSpid:)? */
static bool in_nested_pidns(pid_t pid)
{
	char path[64], buf[2048], *line, *end, *tab;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	line = strstr(buf, "NSpid:\t");
	if (!line)
		return false;
	end = strchrnul(line, '\n');
	tab = strchr(line + strlen("NSpid:\t"), '\t');
	return tab && tab < end;
}

/* Waits up to 10 s until no process is left in a nested pid namespace */
static bool nested_gone(void)
{
	int64_t end = ckpt_now_ns() + 10000 * 1000000LL;
	struct dirent *d;
	bool found;
	DIR *proc;

	do {
		found = false;
		proc = opendir("/proc");
		while (proc && (d = readdir(proc)))
			if (atoi(d->d_name) > 1 && in_nested_pidns(atoi(d->d_name)))
				found = true;
		if (proc)
			closedir(proc);
		if (!found)
			return true;
		ckpt_sleep_ms(20);
	} while (ckpt_now_ns() < end);
	return false;
}

/* For KILL_MS: SIGKILL @pids, and every process in a nested pid namespace */
static int killer(const pid_t *pids, int n, pid_t spare)
{
	int64_t end = ckpt_now_ns() + KILL_MS * 1000000LL;
	DIR *proc;
	struct dirent *d;
	pid_t pid;
	int i;

	while (ckpt_now_ns() < end) {
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		proc = opendir("/proc");
		while (proc && (d = readdir(proc))) {
			pid = atoi(d->d_name);
			if (pid > 1 && pid != getpid() && pid != spare && in_nested_pidns(pid))
				kill(pid, SIGKILL);
		}
		if (proc)
			closedir(proc);
		sched_yield();
	}
	return 0;
}

/* The pids of the tree of @root: its threads and its children */
static int tree_pids(pid_t root, pid_t *pids, int max)
{
	struct dirent *d;
	int n = 0, kids;
	char path[64];
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", root);
	dir = opendir(path);
	while (dir && (d = readdir(dir)) && n < max)
		if (atoi(d->d_name) > 0)
			pids[n++] = atoi(d->d_name);
	if (dir)
		closedir(dir);
	kids = children_of(root, pids + n, max - n);
	return kids > 0 ? n + kids : n;
}

static bool pids_gone(const pid_t *pids, int n)
{
	int64_t end = ckpt_now_ns() + 10000 * 1000000LL;
	int i;

	for (i = 0; i < n; i++) {
		while (!kill(pids[i], 0) || errno != ESRCH) {
			if (ckpt_now_ns() > end)
				return false;
			ckpt_sleep_ms(20);
		}
	}
	return true;
}

static int kill_ct_init(void *arg)
{
	(void)arg;
	return kill_tree_fn(NULL);
}

static void restart_under_kill(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			       bool container)
{
	pid_t pids[64], pid, killer_pid, restored;
	int n, round, status;

	if (container) {
		struct clone_args args = { .flags = CLONE_NEWPID, .exit_signal = SIGCHLD };

		fflush(NULL);
		pid = syscall(__NR_clone3, &args, sizeof(args));
		ASSERT_LE(0, pid);
		if (!pid) {
			status = ckpt_child_detach();
			_exit(status ? status : kill_ct_init(NULL));
		}
		ckpt_ctx_track(ctx, pid);
		while (!comm_is(pid, READY_COMM)) {
			ASSERT_TRUE(ckpt_child_running(pid));
			ckpt_sleep_ms(10);
		}
	} else {
		pid = spawn_target(_metadata, ctx, kill_tree_fn, NULL);
	}
	n = tree_pids(pid, pids, 64);
	ASSERT_LE(1 + KILL_TREE_THREADS, n);
	image_of(_metadata, ctx, pid);
	ASSERT_TRUE(pids_gone(pids, n)) TH_LOG("the tree outlived CHECKPOINT_KILL");

	for (round = 0; round < KILL_ROUNDS; round++) {
		fflush(NULL);
		killer_pid = fork();
		ASSERT_LE(0, killer_pid);
		if (!killer_pid)
			_exit(killer(container ? NULL : pids, container ? 0 : n, getppid()));
		ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET));
		restored = ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
		ASSERT_EQ(killer_pid, waitpid(killer_pid, &status, 0));
		if (restored > 0) {
			/* Let go, then killed: it must die of SIGKILL */
			kill(restored, SIGKILL);
			status = ckpt_wait_child(restored, CKPT_EXIT_TIMEOUT_MS, false);
			ASSERT_TRUE(status != -1 && WIFSIGNALED(status))
				TH_LOG("round %d: the restored root did not die", round);
		} else {
			ASSERT_NE(ETIMEDOUT, errno) TH_LOG("round %d: restart hung", round);
		}
		ASSERT_TRUE(container ? nested_gone() : pids_gone(pids, n))
			TH_LOG("round %d: a task of the image is left", round);
		ASSERT_EQ(-1, waitpid(-1, NULL, WNOHANG))
			TH_LOG("round %d: a child is left", round);
	}
}

TEST_F_TIMEOUT(priv, sigkill_of_tasks_during_restart_leaves_no_task, 120)
{
	restart_under_kill(_metadata, &self->ctx, false);
}

TEST_F_TIMEOUT(priv, sigkill_of_container_during_restart_leaves_no_task, 120)
{
	restart_under_kill(_metadata, &self->ctx, true);
}

/* ---- hostile counts ---- */

#define HUGE_TREE	500000

/*
 * @img with a TREE of @nr entries, all copies of its first, and a HEADER
 * that says @nr tasks; the entries at *@ents.  Returns the new image, of
 * *@len bytes.
 */
static char *image_with_tree(struct __test_metadata *_metadata, const struct image *img,
			     size_t nr, struct ckpt_tree_task **ents, size_t *len)
{
	struct ckpt_image_header *hdr;
	struct ckpt_rec *tree_rec;
	struct ckpt_tree *tree;
	size_t before, after, tree_len, i;
	char *data, *p;

	tree_rec = find_rec(img, CKPT_REC_TREE);
	EXPECT_TRUE(!!tree_rec);
	if (!tree_rec)
		return NULL;
	before = tree_rec->off;
	after = before + sizeof(struct ckpt_rec_hdr) + tree_rec->len;
	tree_len = sizeof(*tree) + nr * sizeof(**ents);
	*len = img->len - (after - before) + sizeof(struct ckpt_rec_hdr) + tree_len;
	data = calloc(1, *len);
	EXPECT_TRUE(!!data);
	if (!data)
		return NULL;
	memcpy(data, img->data, before);
	p = data + before;
	memcpy(p, img->data + before, sizeof(struct ckpt_rec_hdr) + sizeof(*tree) +
	       sizeof(**ents));
	((struct ckpt_rec_hdr *)p)->len = htole32(tree_len);
	tree = (void *)(p + sizeof(struct ckpt_rec_hdr));
	tree->nr_tasks = htole32(nr);
	*ents = (void *)(tree + 1);
	for (i = 1; i < nr; i++)
		(*ents)[i] = (*ents)[0];
	memcpy(p + sizeof(struct ckpt_rec_hdr) + tree_len, img->data + after, img->len - after);
	hdr = (void *)(data + sizeof(struct ckpt_rec_hdr));
	hdr->nr_tasks = htole32(nr);
	return data;
}

/*
 * A TREE of 500,000 entries that are all copies of the first: allocated
 * for, then refused, without a warning and without a task left.
 */
TEST_F_TIMEOUT(priv, restart_of_tree_record_with_500000_entries_fails_cleanly, 60)
{
	struct ckpt_tree_task *ents;
	struct image img = {};
	enum ckpt_outcome outcome;
	size_t len;
	char *data;

	take_image(_metadata, &self->ctx, &img);
	data = image_with_tree(_metadata, &img, HUGE_TREE, &ents, &len);
	ASSERT_TRUE(!!data);
	outcome = restart_from_broken_image(_metadata, &self->ctx, data, len, img.pid,
					    EINVAL, "a TREE of 500000 entries");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	free(data);
	free(img.data);
	free(img.recs);
}

/*
 * A TREE whose second process has the pid of the first, its parent:
 * refused by name before any task is created.
 */
TEST_F_TIMEOUT(priv, restart_of_tree_with_a_pid_twice_fails_cleanly, 60)
{
	struct ckpt_tree_task *ents;
	struct image img = {};
	enum ckpt_outcome outcome;
	size_t len;
	char *data;

	take_image(_metadata, &self->ctx, &img);
	data = image_with_tree(_metadata, &img, 2, &ents, &len);
	ASSERT_TRUE(!!data);
	ents[1].ppid = ents[0].pid;
	outcome = restart_from_broken_image(_metadata, &self->ctx, data, len, img.pid,
					    EINVAL, "a TREE with a pid twice");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "is there twice"));
	free(data);
	free(img.data);
	free(img.recs);
}

/* ---- sockets: credentials as SCM_CREDENTIALS would check them ---- */

/*
 * As uid 1000: a socketpair with SO_PASSCRED and a message queued, which
 * carries the sender's credentials; after restart they must be the same.
 */
static int creds_target_fn(void *arg)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], c;
	struct iovec io = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	struct ucred uc;
	int sv[2];

	(void)arg;
	if (become(&user_plain) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) ||
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) ||
	    send(sv[0], "c", 1, 0) != 1 || prctl(PR_SET_NAME, READY_COMM))
		return 1;
	ckpt_child_wait_finish();
	if (recvmsg(sv[1], &mh, 0) != 1)
		return 2;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
		return 3;
	memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	return uc.uid == USER && uc.gid == USER ? 0 : 4;
}

/* Make the queued message's credentials uid 0 in the image */
static void forge_root_creds(struct __test_metadata *_metadata, struct ckpt_ctx *ctx)
{
	struct ckpt_unix_skb *m = NULL;
	struct image img = { 0 };
	const char *why = NULL;
	int i;

	img.data = ckpt_slurp(ctx->image_fd, &img.len);
	ASSERT_TRUE(!!img.data);
	img.recs = calloc(img.len / 8 + 1, sizeof(*img.recs));
	ASSERT_TRUE(!!img.recs);
	img.nr = ckpt_split_image(img.data, img.len, img.recs, img.len / 8 + 1, &why);
	ASSERT_LT(0, img.nr) TH_LOG("%s", why);
	for (i = 0; i < img.nr && !m; i++)
		if (img.recs[i].type == CKPT_REC_UNIX_SKB)
			m = ckpt_payload(img.data, &img.recs[i]);
	ASSERT_TRUE(m && (le32toh(m->flags) & CKPT_UNIX_SKB_CREDS));
	m->uid = htole32(0);
	trailer_of(&img, img.data)->crc32c =
		htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_write_all(ctx->image_fd, img.data, img.len));
	free(img.recs);
	free(img.data);
}

TEST_F_TIMEOUT(priv, restart_keeps_own_socket_credentials, 60)
{
	pid_t pid = spawn_target(_metadata, &self->ctx, creds_target_fn, NULL);

	image_of(_metadata, &self->ctx, pid);
	assert_target_ok(_metadata, &self->ctx,
			 restart_as(_metadata, &self->ctx, &user_cr, 0));
}

TEST_F_TIMEOUT(priv, restart_of_socket_message_with_root_credentials_fails_with_eperm, 60)
{
	pid_t pid = spawn_target(_metadata, &self->ctx, creds_target_fn, NULL);

	image_of(_metadata, &self->ctx, pid);
	forge_root_creds(_metadata, &self->ctx);
	assert_refused(_metadata, &self->ctx, restart_as(_metadata, &self->ctx, &user_cr, 0),
		       EPERM, "UNIX socket credentials", pid);
}

/* ---- TCP connections: restored as TCP_REPAIR would, with CAP_NET_ADMIN ---- */

#define TCP_PORT	7795

/* As uid 1000: a TCP connection over loopback, a byte queued each way */
static int tcp_target_fn(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int l, c, s;
	char x, y;

	(void)arg;
	if (become(&user_plain))
		return 1;
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 1) || connect(c, (void *)&a, sizeof(a)))
		return 1;
	s = accept(l, NULL, NULL);
	if (s < 0 || send(c, "c", 1, 0) != 1 || send(s, "s", 1, 0) != 1 ||
	    prctl(PR_SET_NAME, READY_COMM))
		return 1;
	ckpt_child_wait_finish();
	return recv(s, &x, 1, 0) == 1 && recv(c, &y, 1, 0) == 1 && x == 'c' && y == 's' ? 0 : 2;
}

TEST_F_TIMEOUT(priv, restart_of_tcp_connection_needs_cap_net_admin, 60)
{
	pid_t pid = spawn_target(_metadata, &self->ctx, tcp_target_fn, NULL);

	image_of(_metadata, &self->ctx, pid);
	assert_refused(_metadata, &self->ctx, restart_as(_metadata, &self->ctx, &user_cr, 0),
		       EPERM, "needs CAP_NET_ADMIN", pid);
}

int main(int argc, char **argv)
{
	/* The copy of spawn_copy(): an idle target of its own executable */
	if (argc == 2 && !strcmp(argv[1], "--idle")) {
		if (ckpt_child_detach() || prctl(PR_SET_NAME, READY_COMM))
			return 1;
		ckpt_child_wait_finish();
		return 0;
	}
	return test_harness_run(argc, argv);
}
