// SPDX-License-Identifier: GPL-2.0
/*
 * A process tree with a cgroup namespace of its own, rooted at a cgroup
 * with limits, with its init and a worker in two cgroups below that have
 * limits of their own.  It is checkpointed, killed and restarted twice,
 * each time into a new cgroup the test gives (CKPT_EXT_CGROUP): inside,
 * each process sees itself in the same cgroup (/proc/self/cgroup); from
 * outside, the cgroups below the new one have the controllers and limits
 * they had.  Damaged CGROUP records are refused cleanly.
 */
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "ckpt_util.h"
#include "ckpt_image.h"

#define CG_MNT		"/sys/fs/cgroup"
#define CG_MEM_MAX	"67108864"	/* the tree's cgroup */
#define CG_WORK_PIDS	"20"		/* its /work */
#define CG_WORK_MEM	"50331648"
#define CG_INIT_HIGH	"41943040"	/* its /init */

static char cg_dir[3][96];	/* where the tree is: first, then each restart */
static int cg_at;		/* the index in cg_dir of where it is now */

static const char *const cg_reasons[] = {
	[1] = "could not join the cgroup or make a cgroup namespace",
	[2] = "could not set up the cgroups below",
	[3] = "could not start the worker",
	[4] = "init is not in /init of its cgroup namespace",
	[5] = "the worker is not in /work of its cgroup namespace",
	[6] = "the worker did not finish well",
};

FIXTURE(cgroup) {
	struct ckpt_ctx ctx;
};

static void cg_rmdir(const char *dir)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/work", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/init", dir);
	rmdir(sub);
	rmdir(dir);
}

FIXTURE_SETUP(cgroup)
{
	struct statfs sfs;
	int i;

	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	if (statfs(CG_MNT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir(CG_MNT, 0755);
		ASSERT_EQ(0, mount("cgroup2", CG_MNT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2: %s", strerror(errno));
	}
	if (ckpt_cg_write(CG_MNT, "cgroup.subtree_control", "+memory +pids"))
		SKIP(return, "the memory and pids controllers are not available");
	for (i = 0; i < 3; i++) {
		snprintf(cg_dir[i], sizeof(cg_dir[i]), CG_MNT "/ckpt-cg-%d-%d", getpid(), i);
		ASSERT_EQ(0, mkdir(cg_dir[i], 0755))
			TH_LOG("mkdir %s: %s", cg_dir[i], strerror(errno));
	}
	ASSERT_EQ(0, ckpt_cg_write(cg_dir[0], "memory.max", CG_MEM_MAX));
	cg_at = 0;
}

FIXTURE_TEARDOWN(cgroup)
{
	int i;

	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = 0; i < 3; i++)
		cg_rmdir(cg_dir[i]);
}

/* Reap the worker too: killed with init, it was left to the test */
static void reap_all(void)
{
	while (wait(NULL) > 0)
		;
}

static bool cg_in(const char *want)
{
	char buf[128], exp[128];

	snprintf(exp, sizeof(exp), "0::%s\n", want);
	return ckpt_read_file("/proc/self/cgroup", buf, sizeof(buf)) > 0 && !strcmp(buf, exp);
}

static int cg_worker(void)
{
	ckpt_child_finish = 0;
	if (ckpt_cg_write("/proc/self/cwd/work", "cgroup.procs", "0"))
		return 3;
	kill(getppid(), SIGUSR2);
	ckpt_child_wait_finish();
	return cg_in("/work") ? 0 : 5;
}

/* Init: in the tree's cgroup, its own namespace, then in /init; a worker in /work */
static int cg_init(void *arg)
{
	struct timespec ts = { 5, 0 };
	sigset_t set;
	pid_t worker;
	int status;

	(void)arg;
	if (ckpt_cg_write(cg_dir[0], "cgroup.procs", "0") || unshare(CLONE_NEWCGROUP) ||
	    chdir(cg_dir[0]))
		return 1;
	if (mkdir("init", 0755) || mkdir("work", 0755) ||
	    ckpt_cg_write("init", "cgroup.procs", "0") ||
	    ckpt_cg_write(".", "cgroup.subtree_control", "+memory +pids") ||
	    ckpt_cg_write("work", "pids.max", CG_WORK_PIDS) ||
	    ckpt_cg_write("work", "memory.max", CG_WORK_MEM) ||
	    ckpt_cg_write("init", "memory.high", CG_INIT_HIGH) || chdir("/"))
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	worker = fork();
	if (worker < 0)
		return 3;
	if (!worker) {
		/* The worker finds its cgroup from where init was */
		if (chdir(cg_dir[0]))
			_exit(3);
		_exit(cg_worker());
	}
	if (sigtimedwait(&set, NULL, &ts) != SIGUSR2)
		return 3;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (!cg_in("/init"))
		return 4;
	kill(worker, SIGUSR1);
	if (waitpid(worker, &status, 0) != worker || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 6;
	return 0;
}

/* restart(2) with the cgroup @dir for the root of the tasks' cgroup namespace */
static long restart_into(struct ckpt_ctx *ctx, const char *dir, unsigned long flags)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_CGROUP, .key = "/" };
	long ret;

	ext.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ext.fd < 0 || lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return -1;
	ret = syscall(__NR_restart, 0, ctx->image_fd, RESTART_EXTERNAL | flags, ctx->log_fd,
		      &ext, 1);
	close(ext.fd);
	return ret;
}

/* What the test sees of process @pid's cgroup, below its cgroup namespace's root */
static void expect_proc_in(struct __test_metadata *_metadata, pid_t pid, const char *sub)
{
	char path[64], buf[192], exp[192];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	snprintf(exp, sizeof(exp), "0::%s%s\n", cg_dir[cg_at] + strlen(CG_MNT), sub);
	ASSERT_LT(0, ckpt_read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ(exp, buf);
}

static void expect_limits(struct __test_metadata *_metadata)
{
	char sub[160];

	EXPECT_STREQ(CG_MEM_MAX, ckpt_cg_read(cg_dir[cg_at], "memory.max"));
	EXPECT_STREQ("memory pids", ckpt_cg_read(cg_dir[cg_at], "cgroup.subtree_control"));
	snprintf(sub, sizeof(sub), "%s/work", cg_dir[cg_at]);
	EXPECT_STREQ(CG_WORK_PIDS, ckpt_cg_read(sub, "pids.max"));
	EXPECT_STREQ(CG_WORK_MEM, ckpt_cg_read(sub, "memory.max"));
	EXPECT_STREQ("max", ckpt_cg_read(sub, "memory.high"));
	/* The worker: the one process there */
	EXPECT_EQ(strlen(ckpt_cg_read(sub, "cgroup.procs")),
		  strspn(ckpt_cg_read(sub, "cgroup.procs"), "0123456789"));
	EXPECT_STRNE("", ckpt_cg_read(sub, "cgroup.procs"));
	snprintf(sub, sizeof(sub), "%s/init", cg_dir[cg_at]);
	EXPECT_STREQ(CG_INIT_HIGH, ckpt_cg_read(sub, "memory.high"));
}

TEST_F_TIMEOUT(cgroup, tree_comes_back_in_its_cgroups_with_their_limits, 120)
{
	struct ckpt_reasons reasons = { cg_reasons, ARRAY_SIZE(cg_reasons) };
	pid_t pid, restored;
	int i;

	pid = ckpt_spawn(_metadata, &self->ctx, cg_init, NULL);
	expect_proc_in(_metadata, pid, "/init");
	expect_limits(_metadata);
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		reap_all();
		restored = restart_into(&self->ctx, cg_dir[i], 0);
		ASSERT_EQ(pid, restored) ckpt_dump_log(_metadata, &self->ctx);
		ckpt_ctx_track(&self->ctx, pid);
		cg_at = i;
		expect_proc_in(_metadata, pid, "/init");
		expect_limits(_metadata);
	}
	ckpt_finish(_metadata, pid, reasons);
}

/* Whether cgroup @dir/work reads frozen (@frozen) within 5 s */
static bool work_frozen(const char *dir, bool frozen)
{
	char sub[128];
	int i;

	snprintf(sub, sizeof(sub), "%s/work", dir);
	for (i = 0; i < 500; i++) {
		if (strstr(ckpt_cg_read(sub, "cgroup.events"), frozen ? "frozen 1" : "frozen 0"))
			return true;
		ckpt_sleep_ms(10);
	}
	return false;
}

/* Frozen at checkpoint: frozen again after restart, or thawed if asked */
TEST_F_TIMEOUT(cgroup, frozen_cgroup_comes_back_frozen_or_thawed, 120)
{
	struct ckpt_reasons reasons = { cg_reasons, ARRAY_SIZE(cg_reasons) };
	char sub[128];
	pid_t pid;
	int i;

	pid = ckpt_spawn(_metadata, &self->ctx, cg_init, NULL);
	snprintf(sub, sizeof(sub), "%s/work", cg_dir[0]);
	ASSERT_EQ(0, ckpt_cg_write(sub, "cgroup.freeze", "1"));
	ASSERT_TRUE(work_frozen(cg_dir[0], true));
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		reap_all();
		ASSERT_EQ(pid, restart_into(&self->ctx, cg_dir[i], i == 2 ? RESTART_THAW : 0))
			ckpt_dump_log(_metadata, &self->ctx);
		ckpt_ctx_track(&self->ctx, pid);
		cg_at = i;
		snprintf(sub, sizeof(sub), "%s/work", cg_dir[i]);
		EXPECT_STREQ(i == 2 ? "0" : "1", ckpt_cg_read(sub, "cgroup.freeze"));
		EXPECT_TRUE(work_frozen(cg_dir[i], i == 1));
		expect_proc_in(_metadata, pid, "/init");
	}
	ckpt_finish(_metadata, pid, reasons);
}

/* Restarted from a cgroup with a process in it, which cannot get controllers */
TEST_F_TIMEOUT(cgroup, busy_cgroup_for_children_is_refused_clearly, 120)
{
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, cg_init, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	reap_all();
	/* The test itself in cg_dir[1], restarting into its own cgroup */
	ASSERT_EQ(0, ckpt_cg_write(cg_dir[1], "cgroup.procs", "0"));
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	EXPECT_GT(0, ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0, self->ctx.log_fd));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ckpt_cg_write(CG_MNT, "cgroup.procs", "0"));
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "while a process is in it"))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "busy cgroup"));
}

FIXTURE(cgroup_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(cgroup_damaged) {
	int what;
	const char *why;	/* in the log */
};

FIXTURE_VARIANT_ADD(cgroup_damaged, name_with_a_slash) { 0, "name is not one path component" };
FIXTURE_VARIANT_ADD(cgroup_damaged, name_dot_dot) { 1, "name is not one path component" };
FIXTURE_VARIANT_ADD(cgroup_damaged, file_not_of_the_table) { 2, "pairs of the kernel's table" };
FIXTURE_VARIANT_ADD(cgroup_damaged, value_unterminated) { 3, "pairs of the kernel's table" };
FIXTURE_VARIANT_ADD(cgroup_damaged, pid_not_of_the_tree) { 4, "not a process of the TREE" };
FIXTURE_VARIANT_ADD(cgroup_damaged, parent_after_it) { 5, "id or parent is out of order" };
FIXTURE_VARIANT_ADD(cgroup_damaged, too_many_cgroups) { 6, "CGROUPNS record is malformed" };
FIXTURE_VARIANT_ADD(cgroup_damaged, truncated_in_a_cgroup) { 7, "truncated" };

FIXTURE_SETUP(cgroup_damaged)
{
	FIXTURE_DATA(cgroup) base;

	cgroup_setup(_metadata, &base, NULL);
	self->ctx = base.ctx;
}

FIXTURE_TEARDOWN(cgroup_damaged)
{
	FIXTURE_DATA(cgroup) base = { .ctx = self->ctx };

	cgroup_teardown(_metadata, &base, NULL);
}

/* The CGROUP record of @name */
static struct ckpt_cgroup *cgroup_rec(struct image *img, const char *name)
{
	int i;

	for (i = 0; i < img->nr; i++) {
		struct ckpt_cgroup *c = ckpt_payload(img->data, &img->recs[i]);

		if (img->recs[i].type == CKPT_REC_CGROUP &&
		    !strcmp((char *)(c + 1) + le32toh(c->nr_procs) * 4, name))
			return c;
	}
	return NULL;
}

TEST_F_TIMEOUT(cgroup_damaged, restart_fails_cleanly, 90)
{
	struct ckpt_cgroup *work, *init;
	struct ckpt_cgroupns *n;
	struct image img = { 0 };
	char *name, *files;
	size_t len;

	img.pid = ckpt_spawn(_metadata, &self->ctx, cg_init, NULL);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	reap_all();
	n = ckpt_payload(img.data, find_rec(&img, CKPT_REC_CGROUPNS));
	work = cgroup_rec(&img, "work");
	init = cgroup_rec(&img, "init");
	ASSERT_TRUE(work && init && le32toh(work->nr_procs) == 1 && work->files_len)
		TH_LOG("the image lacks the CGROUP record of /work");
	name = (char *)(work + 1) + 4;
	files = name + le16toh(work->name_len);
	len = img.len;
	switch (variant->what) {
	case 0:
		name[1] = '/';
		break;
	case 1:
		memcpy(name, "..\0", 4);
		break;
	case 2:
		files[0] = 'x';
		break;
	case 3:
		files[le32toh(work->files_len) - 1] = 'x';
		break;
	case 4:
		*(__le32 *)(work + 1) = htole32(img.pid + 1000);
		break;
	case 5:
		init->parent = htole32(le32toh(init->id) + 1);
		break;
	case 6:
		n->nr_cgroups = htole32(CKPT_CGROUP_MAX + 1);
		break;
	default:
		len = (char *)work - img.data + sizeof(*work) / 2;
		break;
	}
	if (len == img.len)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img.data, len));
	EXPECT_EQ(-1, restart_into(&self->ctx, cg_dir[1], 0));
	EXPECT_EQ(EINVAL, errno) ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, variant->why))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, img.pid, "damaged cgroup record"));
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
