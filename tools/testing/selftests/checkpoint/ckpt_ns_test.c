// SPDX-License-Identifier: GPL-2.0
/*
 * The namespaces of a container across checkpoint, kill and restart: its
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME neither go back nor jump by the
 * downtime, a sleep keeps its remaining time, a time namespace of its own
 * keeps its offsets, a network namespace comes back new with the loopback
 * up, a user namespace of its own comes back new with the same maps and
 * ids, and namespaces that cannot be saved are refused by name.
 *
 * The reboot test runs in two boots (see scripts/check.sh): with
 * CKPT_NS_REBOOT_DIR set, it checkpoints a container into that directory;
 * with CKPT_NS_PHASE=restore as well, it restarts it there, on a fresh
 * boot whose clocks started again from zero.
 */
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "ckpt_util.h"

#define NSEC		1000000000LL
/* The child's sleep, and what it may overrun by on a slow emulator */
#define CT_SLEEP_NS	(4 * NSEC)
#define CT_SLACK_NS	(3 * NSEC)
/* The test's downtime, and the largest step the container may see */
#define CT_DOWNTIME_MS	3000
#define CT_MAX_STEP_NS	(2 * NSEC)
/* Offsets of the container's own time namespace */
#define CT_MONO_OFFSET	100000
#define CT_BOOT_OFFSET	200000

FIXTURE(ns) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(ns)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

FIXTURE_TEARDOWN(ns)
{
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static const char *const ct_reasons[] = {
	[1] = "could not set up the container",
	[2] = "init is not pid 1 any more",
	[3] = "CLOCK_MONOTONIC went backwards",
	[4] = "CLOCK_BOOTTIME went backwards",
	[5] = "a clock jumped forward (the downtime showed)",
	[6] = "the sleeping child woke up early or far too late",
	[7] = "the loopback device is not up",
	[8] = "the time namespace lost its offsets",
	[9] = "the sleeping child did not finish",
};

/* What the container does, set before it is created */
static struct {
	char ready_path[160];
	bool lo_up;		/* bring lo up, check it is up at the end */
	bool offsets;		/* its clocks run CT_*_OFFSET ahead */
	const char *up_dev;	/* another device to bring up */
	int null_fd;		/* the test's /dev/null, to share as fd 0 */
} ct;

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* SIOCGIFFLAGS / SIOCSIFFLAGS on a device; the socket is closed at once */
static int dev_flags(const char *name, bool set_up)
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret && set_up) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret ? -1 : ifr.ifr_flags;
}

/* Sleeps CT_SLEEP_NS on the container's CLOCK_MONOTONIC, across restart */
static int ct_sleeper(void)
{
	struct timespec req = { .tv_sec = CT_SLEEP_NS / NSEC };
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), slept;

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &req) == EINTR)
		;
	slept = clock_ns(CLOCK_MONOTONIC) - t0;
	ckpt_child_note("sleeper: slept %lld ms for %lld ms", (long long)slept / 1000000,
			CT_SLEEP_NS / 1000000);
	return slept >= CT_SLEEP_NS && slept < CT_SLEEP_NS + CT_SLACK_NS ? 0 : 6;
}

/*
 * The container's init: a child sleeps, init watches its clocks until
 * told to finish.  The clocks may only move forward, in small steps.
 */
/*
 * The test's /dev/null as fd 0, the same open file, as a container manager
 * hands its container one.  ckpt_child_detach() closed what the clone
 * copied: get it again from the test over a socket.
 */
static int take_null(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct cmsghdr *cm;
	int s, fd;

	/* Next to ct.ready_path, in the test's directory */
	snprintf(a.sun_path, sizeof(a.sun_path), "%.*s/null.sock",
		 (int)(strrchr(ct.ready_path, '/') - ct.ready_path), ct.ready_path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (void *)&a, sizeof(a)) || recvmsg(s, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if (dup2(fd, 0) != 0)
		return -1;
	close(fd);
	close(s);
	return 0;
}

static int ct_init(void)
{
	struct timespec tick = { .tv_nsec = 5000000 };
	int64_t mono, boot, last_mono, last_boot, step, max_step = 0;
	int fd, status = -1, ret = 0;
	pid_t sleeper;

	if (getpid() != 1)
		return 1;
	if (ct.lo_up && dev_flags("lo", true) < 0)
		return 1;
	if (ct.up_dev && dev_flags(ct.up_dev, true) < 0)
		return 1;
	if (ct.null_fd && take_null())
		return 1;
	sleeper = fork();
	if (sleeper < 0)
		return 1;
	if (!sleeper)
		_exit(ct_sleeper());
	fd = open(ct.ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);

	last_mono = clock_ns(CLOCK_MONOTONIC);
	last_boot = clock_ns(CLOCK_BOOTTIME);
	while (!ckpt_child_finish && !ret) {
		nanosleep(&tick, NULL);
		mono = clock_ns(CLOCK_MONOTONIC);
		boot = clock_ns(CLOCK_BOOTTIME);
		if (mono < last_mono)
			ret = 3;
		else if (boot < last_boot)
			ret = 4;
		step = mono - last_mono;
		if (step > max_step)
			max_step = step;
		if (!ret && step > CT_MAX_STEP_NS)
			ret = 5;
		if (ret)
			ckpt_child_note("init: monotonic %lld -> %lld, boottime %lld -> %lld",
					(long long)last_mono, (long long)mono,
					(long long)last_boot, (long long)boot);
		last_mono = mono;
		last_boot = boot;
	}
	ckpt_child_note("init: largest step of CLOCK_MONOTONIC: %lld ms",
			(long long)max_step / 1000000);
	if (!ret && getpid() != 1)
		ret = 2;
	if (!ret && ct.lo_up && !(dev_flags("lo", false) & IFF_UP))
		ret = 7;
	if (!ret && ct.offsets &&
	    (last_mono < CT_MONO_OFFSET * NSEC || last_boot < CT_BOOT_OFFSET * NSEC))
		ret = 8;
	/* SIGUSR1 keeps coming until we exit */
	while (waitpid(sleeper, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return ret ? ret : 9;
	return ret ? ret : WEXITSTATUS(status);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * The container, a child of the test.  With ct.offsets, a helper enters a
 * new time namespace with offsets first and creates it with CLONE_PARENT:
 * the test itself stays out of it, so that it can still restart (restart
 * refuses a caller whose children would get another time namespace).
 */
/* In a new time namespace with offsets, create the container as our sibling */
static int offset_helper(struct clone_args *args, int wfd)
{
	char offs[64];
	pid_t pid;

	snprintf(offs, sizeof(offs), "monotonic %d 0\nboottime %d 0\n",
		 CT_MONO_OFFSET, CT_BOOT_OFFSET);
	if (unshare(CLONE_NEWTIME) || write_str("/proc/self/timens_offsets", offs))
		return 1;
	/* clone3() wants no exit signal with CLONE_PARENT: ours is taken */
	args->flags |= CLONE_PARENT;
	args->exit_signal = 0;
	pid = syscall(__NR_clone3, args, sizeof(*args));
	if (!pid) {
		int ret;

		close(wfd);
		ret = ckpt_child_detach();
		_exit(ret ? ret : ct_init());
	}
	if (pid < 0 || write(wfd, &pid, sizeof(pid)) != sizeof(pid))
		return 2;
	return 0;
}

/*
 * The container, a child of the test.  With ct.offsets, a helper enters a
 * new time namespace with offsets first and creates it with CLONE_PARENT:
 * the test itself stays out of it, so that it can still restart (a caller
 * whose children get another time namespace cannot create the root).
 */
static pid_t spawn_container(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, __u64 flags)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWUTS | flags,
		.exit_signal = SIGCHLD,
	};
	int pfd[2], status;
	pid_t pid, helper;
	struct stat st;

	snprintf(ct.ready_path, sizeof(ct.ready_path), "%s/ready", ctx->dir);
	unlink(ct.ready_path);
	fflush(NULL);
	if (ct.offsets) {
		ASSERT_EQ(0, pipe(pfd));
		helper = fork();
		ASSERT_LE(0, helper);
		if (!helper) {
			close(pfd[0]);
			_exit(offset_helper(&args, pfd[1]));
		}
		close(pfd[1]);
		ASSERT_EQ(helper, waitpid(helper, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("could not create the container in a time namespace");
		ASSERT_EQ((ssize_t)sizeof(pid), read(pfd[0], &pid, sizeof(pid)));
		close(pfd[0]);
	} else {
		pid = syscall(__NR_clone3, &args, sizeof(args));
		ASSERT_LE(0, pid) TH_LOG("clone3(%#llx): %s", (unsigned long long)args.flags,
					 strerror(errno));
		if (!pid) {
			int ret = ckpt_child_detach();

			_exit(ret ? ret : ct_init());
		}
	}
	ckpt_ctx_track(ctx, pid);
	while (stat(ct.ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	return pid;
}

static ino_t ns_ino(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* Checkpoint and kill the container, wait @downtime_ms, restart it */
static pid_t downtime_cycle(struct __test_metadata *_metadata,
			    struct ckpt_ctx *ctx, pid_t pid, int downtime_ms)
{
	pid_t restored;

	if (ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL))
		return -1;
	ckpt_reap_killed(_metadata, pid);
	ckpt_sleep_ms(downtime_ms);
	restored = ckpt_restart(_metadata, ctx);
	if (restored > 0)
		ckpt_ctx_track(ctx, restored);
	return restored;
}

/* Let the restored container run a little, then check what it saw */
static void finish_container(struct __test_metadata *_metadata, pid_t pid)
{
	ckpt_sleep_ms(500);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 10);
}

TEST_F_TIMEOUT(ns, container_clocks_hide_the_downtime, 120)
{
	pid_t pid;

	ct.lo_up = false;
	ct.offsets = false;
	pid = spawn_container(_metadata, &self->ctx, 0);
	pid = downtime_cycle(_metadata, &self->ctx, pid, CT_DOWNTIME_MS);
	ASSERT_LT(0, pid);
	/* It got a time namespace of its own, which the test is not in */
	EXPECT_NE(ns_ino(0, "time"), ns_ino(pid, "time"));
	finish_container(_metadata, pid);
}

TEST_F_TIMEOUT(ns, container_time_namespace_keeps_its_offsets, 120)
{
	pid_t pid;

	ct.lo_up = false;
	ct.offsets = true;
	pid = spawn_container(_metadata, &self->ctx, 0);
	EXPECT_NE(ns_ino(0, "time"), ns_ino(pid, "time"));
	pid = downtime_cycle(_metadata, &self->ctx, pid, 1000);
	ASSERT_LT(0, pid);
	/*
	 * Restored twice: offsets set by restart come back the same way.  Let
	 * the sleeper resume its sleep first: a restored task checkpointed
	 * again before it ran once may lose its interrupted sleep.
	 */
	ckpt_sleep_ms(500);
	pid = downtime_cycle(_metadata, &self->ctx, pid, 1000);
	ASSERT_LT(0, pid);
	finish_container(_metadata, pid);
}

TEST_F_TIMEOUT(ns, container_net_namespace_comes_back_with_lo_up, 120)
{
	pid_t pid;

	ct.lo_up = true;
	ct.offsets = false;
	pid = spawn_container(_metadata, &self->ctx, CLONE_NEWNET);
	EXPECT_NE(ns_ino(0, "net"), ns_ino(pid, "net"));
	pid = downtime_cycle(_metadata, &self->ctx, pid, 0);
	ASSERT_LT(0, pid);
	EXPECT_NE(ns_ino(0, "net"), ns_ino(pid, "net"));
	finish_container(_metadata, pid);
}

/* A namespace checkpoint cannot save fails it, with its name in the log */
static void expect_refused(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			   __u64 flags, const char *needle)
{
	pid_t pid;

	pid = spawn_container(_metadata, ctx, flags);
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(ctx, pid, ctx->image_fd, 0, ctx->log_fd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(ckpt_log_contains(ctx, needle))
		ckpt_dump_log(_metadata, ctx);
	/* Left running, unchanged */
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
}

TEST_F_TIMEOUT(ns, container_net_device_other_than_lo_is_refused, 120)
{
	struct stat st;

	/* sit0: the fallback tunnel every namespace has, with CONFIG_IPV6_SIT */
	if (stat("/sys/class/net/sit0", &st))
		SKIP(return, "no sit0 device (CONFIG_IPV6_SIT off)");
	ct.lo_up = true;
	ct.offsets = false;
	ct.up_dev = "sit0";
	expect_refused(_metadata, &self->ctx, CLONE_NEWNET,
		       "the device sit0 (sit) is not supported");
	ct.up_dev = NULL;
}

/* Sends @fd to the container's init, which asks for it at start */
static void give_null(struct __test_metadata *_metadata, int l, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'n';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int s = accept(l, NULL, NULL);

	ASSERT_LE(0, s);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	ASSERT_EQ(1, sendmsg(s, &msg, 0));
	close(s);
}

/*
 * Its /dev/null is the test's own open file, still open here: a stateless
 * device does not trip the check for files open outside the container
 */
TEST_F_TIMEOUT(ns, container_shares_dev_null_with_its_manager, 120)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	int null = open("/dev/null", O_RDWR);
	pid_t pid;

	ASSERT_LE(0, null);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/null.sock", self->ctx.dir);
	ASSERT_EQ(0, bind(l, (void *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 1));
	ct.lo_up = false;
	ct.offsets = false;
	ct.null_fd = null;
	snprintf(ct.ready_path, sizeof(ct.ready_path), "%s/ready", self->ctx.dir);
	if (!fork()) {
		/* Hand it over while spawn_container() waits for the container */
		give_null(_metadata, l, null);
		_exit(0);
	}
	pid = spawn_container(_metadata, &self->ctx, 0);
	ct.null_fd = 0;
	pid = downtime_cycle(_metadata, &self->ctx, pid, 0);
	ASSERT_LT(0, pid);
	finish_container(_metadata, pid);
	close(null);
	close(l);
}

/*
 * Each mount point of @pid's mount namespace, given as the caller's own
 * mount at the same place: what a manager restoring a copy of its tree
 * passes (the filesystems are all the caller's).
 */
static unsigned int ext_mounts_of(pid_t pid, struct ckpt_external *ext, unsigned int max)
{
	static char buf[8192];
	char path[64], mp[256], *line, *save;
	unsigned int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%*s %*s %*s %*s %255s", mp) != 1 ||
		    strlen(mp) >= sizeof(ext->key))
			continue;
		memset(&ext[n], 0, sizeof(ext[n]));
		ext[n].kind = CKPT_EXT_MOUNT;
		memcpy(ext[n].key, mp, strlen(mp) + 1);
		ext[n].fd = open(mp, O_PATH | O_CLOEXEC);
		if (ext[n].fd >= 0)
			n++;
	}
	return n;
}

TEST_F_TIMEOUT(ns, container_mount_namespace_comes_back_with_the_mounts_given, 120)
{
	struct ckpt_external ext[64];
	unsigned int nr, i;
	pid_t pid;

	ct.lo_up = false;
	ct.offsets = false;
	pid = spawn_container(_metadata, &self->ctx, CLONE_NEWNS);
	nr = ext_mounts_of(pid, ext, 64);
	ASSERT_LT(0U, nr);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	pid = syscall(__NR_restart, 0, self->ctx.image_fd, RESTART_EXTERNAL, self->ctx.log_fd,
		      ext, nr);
	for (i = 0; i < nr; i++)
		close(ext[i].fd);
	ASSERT_LT(0, pid) ckpt_dump_log(_metadata, &self->ctx);
	ckpt_ctx_track(&self->ctx, pid);
	EXPECT_NE(ns_ino(0, "mnt"), ns_ino(pid, "mnt"));
	finish_container(_metadata, pid);
}

/* Rooted at the caller's cgroup, where the container's init is restored */
TEST_F_TIMEOUT(ns, container_cgroup_namespace_comes_back, 120)
{
	pid_t pid;

	ct.lo_up = false;
	ct.offsets = false;
	pid = spawn_container(_metadata, &self->ctx, CLONE_NEWCGROUP);
	EXPECT_NE(ns_ino(0, "cgroup"), ns_ino(pid, "cgroup"));
	pid = downtime_cycle(_metadata, &self->ctx, pid, 0);
	ASSERT_LT(0, pid);
	EXPECT_NE(ns_ino(0, "cgroup"), ns_ino(pid, "cgroup"));
	finish_container(_metadata, pid);
}

/*
 * Boot 1 (CKPT_NS_REBOOT_DIR set): checkpoint a container into that
 * directory.  Boot 2 (and CKPT_NS_PHASE=restore): restart it; its clocks
 * go on from where they were although the host's started again from zero.
 */
TEST_F_TIMEOUT(ns, container_clocks_survive_a_reboot, 120)
{
	const char *dir = getenv("CKPT_NS_REBOOT_DIR");
	const char *phase = getenv("CKPT_NS_PHASE");
	char path[PATH_MAX];
	pid_t pid;
	long ret;
	int fd;

	if (!dir || !*dir)
		SKIP(return, "CKPT_NS_REBOOT_DIR not set (scripts/check.sh runs it in two boots)");
	snprintf(path, sizeof(path), "%s/ckpt_ns_reboot.img", dir);
	/* The container's notes must outlive the first boot too */
	snprintf(ckpt_note_path, sizeof(ckpt_note_path), "%s/ckpt_ns_reboot.notes", dir);
	if (!phase || strcmp(phase, "restore")) {
		unlink(ckpt_note_path);
		ct.lo_up = false;
		ct.offsets = false;
		pid = spawn_container(_metadata, &self->ctx, 0);
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
		ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
		for (;;) {
			char buf[65536];
			ssize_t n = read(self->ctx.image_fd, buf, sizeof(buf));

			ASSERT_LE(0, n);
			if (!n)
				break;
			ASSERT_EQ(0, ckpt_write_all(fd, buf, n));
		}
		ASSERT_EQ(0, fsync(fd));
		close(fd);
		TH_LOG("saved the container in %s at CLOCK_MONOTONIC %lld s",
		       path, (long long)(clock_ns(CLOCK_MONOTONIC) / NSEC));
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ret = ckpt_call_restart(&self->ctx, 0, fd, 0, self->ctx.log_fd);
	close(fd);
	ASSERT_LT(0, ret) {
		TH_LOG("restart: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, ret);
	TH_LOG("restarted at CLOCK_MONOTONIC %lld s",
	       (long long)(clock_ns(CLOCK_MONOTONIC) / NSEC));
	finish_container(_metadata, ret);
	unlink(path);
	unlink(ckpt_note_path);
}

/* --- the container's root moves to a copy of it --- */

#define CT_ROOT_INIT	"--ct-root-init"

/* ckpt_child_unmap_shared(), for a chroot without /proc: @procfd is one */
static int unmap_shared_via(int procfd)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = openat(procfd, "self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, ckpt_maps_buf + len, sizeof(ckpt_maps_buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	ckpt_maps_buf[len] = 0;
	return ckpt_unmap_shared_in(ckpt_maps_buf);
}

/*
 * The init of a container chroot'ed into its own tree, exec'ed there from
 * the copy of this binary: fds 0-2 are the tree's /null, "ready" is a file
 * at its root, and after restart /marker says "two", the copy's.
 */
static int ct_root_init(void)
{
	struct sigaction sa = { .sa_handler = ckpt_child_finish_handler };
	char buf[16] = "", cwd[16] = "";
	pid_t child;
	int fd;

	if (getpid() != 1)
		return 1;
	/* The harness's shared mappings cannot be saved: fd 3 is /proc */
	if (unmap_shared_via(3))
		return 1;
	fd = open("/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    syscall(__NR_close_range, 3, ~0U, 0))
		return 1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		for (;;)
			pause();
	}
	fd = open("/ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	ckpt_child_wait_finish();
	kill(child, SIGKILL);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	fd = open("/marker", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) != 3)
		return 10;
	close(fd);
	if (strcmp(buf, "two"))
		return 11;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/"))
		return 12;
	return 0;
}

static const char *const root_reasons[] = {
	[1] = "could not set up the container",
	[10] = "no /marker in the container's root",
	[11] = "the container's root is still the old tree",
	[12] = "the container's cwd is not its root",
	[125] = "the restart helper failed",
};

/* A tree the container can live in: this binary, /null, /marker */
static int make_tree(const char *dir, const char *marker)
{
	char path[PATH_MAX];
	int in, out, ret = 0;
	struct timespec times[2];
	struct stat st;
	ssize_t n;

	if (mkdir(dir, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/ckpt_ns_test", dir);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (in < 0 || out < 0 || fstat(in, &st))
		return -1;
	for (;;) {
		char buf[65536];

		n = read(in, buf, sizeof(buf));
		if (n <= 0 || ckpt_write_all(out, buf, n))
			break;
	}
	if (n)
		ret = -1;
	/* The same file as far as a check of size and times can tell */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (futimens(out, times))
		ret = -1;
	close(in);
	close(out);
	snprintf(path, sizeof(path), "%s/null", dir);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)))
		return -1;
	snprintf(path, sizeof(path), "%s/marker", dir);
	out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0 || ckpt_write_all(out, marker, strlen(marker)))
		ret = -1;
	close(out);
	return ret;
}

TEST_F_TIMEOUT(ns, container_root_moves_to_a_copy_of_its_tree, 120)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWUTS,
		.exit_signal = SIGCHLD,
	};
	char dir1[PATH_MAX], dir2[PATH_MAX], ready[PATH_MAX + 8];
	int pfd[2], status;
	pid_t pid, helper;
	struct stat st;

	snprintf(dir1, sizeof(dir1), "%s/root1", self->ctx.dir);
	snprintf(dir2, sizeof(dir2), "%s/root2", self->ctx.dir);
	ASSERT_EQ(0, make_tree(dir1, "one")) TH_LOG("%s: %s", dir1, strerror(errno));
	ASSERT_EQ(0, make_tree(dir2, "two")) TH_LOG("%s: %s", dir2, strerror(errno));
	snprintf(ready, sizeof(ready), "%s/ready", dir1);

	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid);
	if (!pid) {
		static char *const argv[] = { "ckpt_ns_test", CT_ROOT_INIT, NULL };

		/* fd 3: /proc, closed once the init used it */
		int procfd = open("/proc", O_PATH | O_DIRECTORY);

		if (procfd >= 0 && dup2(procfd, 3) == 3 && !chroot(dir1) && !chdir("/"))
			execv("/ckpt_ns_test", argv);
		_exit(1);
	}
	ckpt_ctx_track(&self->ctx, pid);
	while (stat(ready, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid,
				     CHECKPOINT_KILL | CHECKPOINT_ROOT_RELATIVE));
	ckpt_reap_killed(_metadata, pid);
	/* The old tree is gone: only the copy can serve the image's paths */
	ASSERT_EQ(0, nftw(dir1, ckpt_rm_entry, 8, FTW_DEPTH | FTW_PHYS));

	/* What `ckpt restart --root DIR` does: chroot, then restart(2) */
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	helper = fork();
	ASSERT_LE(0, helper);
	if (!helper) {
		long r;

		close(pfd[0]);
		if (chroot(dir2) || chdir("/"))
			_exit(125);
		r = sys_restart(0, self->ctx.image_fd, 0, self->ctx.log_fd);
		pid = r;
		if (r < 0 || write(pfd[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(125);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
	}
	close(pfd[1]);
	ckpt_ctx_track(&self->ctx, helper);
	if (read(pfd[0], &pid, sizeof(pid)) != sizeof(pid)) {
		ckpt_dump_log(_metadata, &self->ctx);
		ASSERT_TRUE(false) TH_LOG("restart inside %s failed", dir2);
	}
	close(pfd[0]);
	/* The restored init checks its root and exits: the helper's status */
	ckpt_sleep_ms(300);
	for (deadline = ckpt_now_ns() + CKPT_EXIT_TIMEOUT_MS * 1000000LL;
	     ckpt_child_running(helper) && ckpt_now_ns() < deadline;) {
		kill(pid, SIGUSR1);
		ckpt_sleep_ms(50);
	}
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	ckpt_assert_exit_ok(_metadata, status, CKPT_REASONS(root_reasons));
}

/* The root of a restart starts in our mm, which fork keeps in one time ns */
TEST_F_TIMEOUT(ns, restart_after_unsharing_a_time_namespace_is_refused, 120)
{
	pid_t pid;

	ct.lo_up = false;
	ct.offsets = false;
	pid = spawn_container(_metadata, &self->ctx, 0);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ASSERT_EQ(0, unshare(CLONE_NEWTIME));
	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0,
					self->ctx.log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "unshared a time namespace"))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG)) TH_LOG("restart left a task behind");
}

/* A chroot'ed task that still uses files from outside its tree */
TEST_F_TIMEOUT(ns, root_relative_refuses_a_file_outside_the_root, 120)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	char dir[PATH_MAX], ready[PATH_MAX + 8];
	struct stat st;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/root", self->ctx.dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Its program and fds 0-2 stay outside the new root */
		int ret = ckpt_child_detach();

		if (ret || chroot(dir) || chdir("/"))
			_exit(ret ? ret : 1);
		ret = open("/ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (ret < 0)
			_exit(1);
		close(ret);
		ckpt_child_wait_finish();
		_exit(0);
	}
	ckpt_ctx_track(&self->ctx, pid);
	while (stat(ready, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the child died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the child is not ready");
		ckpt_sleep_ms(20);
	}
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd,
					   CHECKPOINT_ROOT_RELATIVE, self->ctx.log_fd));
	EXPECT_EQ(EXDEV, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "outside the tasks' root directory"))
		ckpt_dump_log(_metadata, &self->ctx);
	/* Without the flag, paths from the caller's root and the chroot */
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/*
 * A container in a user namespace of its own: its ids map 0..999 inside to
 * CT_ID_BASE.. outside, setgroups is denied; its init is root inside, has
 * a child with uid and gid CT_CHILD_ID and a message queue in its own IPC
 * namespace.
 */
#define CT_ID_BASE	100000U
#define CT_CHILD_ID	5
#define CT_MAP		"0 100000 1000"

static const char *const userns_reasons[] = {
	[1] = "could not set up the container",
	[2] = "init's ids inside changed",
	[3] = "the uid map changed",
	[4] = "the gid map changed",
	[5] = "setgroups is no longer denied",
	[6] = "init lost CAP_SYS_ADMIN in its user namespace (sethostname failed)",
	[7] = "the host name changed",
	[8] = "the child's ids inside changed",
	[9] = "the child did not finish",
	[10] = "the message queue or its message changed",
};

/* A message queue of the container's IPC namespace, owned by its root */
#define CT_MSQ_KEY	0x5ec7
#define CT_MSG		"kept"

static char userns_maps[3][128];	/* uid_map, gid_map, setgroups */
static bool userns_nested;		/* the child unshares another one */
static const char *const userns_files[3] = {
	"/proc/self/uid_map", "/proc/self/gid_map", "/proc/self/setgroups",
};

static int userns_read(int i, char *buf, size_t size)
{
	return ckpt_read_file(userns_files[i], buf, size) < 0 ? -1 : 0;
}

/* uid and gid CT_CHILD_ID inside; checks them after restart */
static int userns_child(void)
{
	if (userns_nested && unshare(CLONE_NEWUSER))
		return 1;
	while (!ckpt_child_finish)
		pause();
	if (userns_nested)
		return 0;
	if (getuid() != CT_CHILD_ID || geteuid() != CT_CHILD_ID ||
	    getgid() != CT_CHILD_ID || getegid() != CT_CHILD_ID)
		return 8;
	return 0;
}

static int userns_init(void)
{
	char buf[128], name[64];
	int fd, i, status = -1, ret = 0;
	pid_t child;

	if (getpid() != 1 || setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return 1;
	if (sethostname("ckpt-userns", 11))
		return 1;
	{
		struct { long mtype; char mtext[8]; } m = { 7, CT_MSG };
		int q = msgget(CT_MSQ_KEY, IPC_CREAT | IPC_EXCL | 0600);

		if (q < 0 || msgsnd(q, &m, sizeof(CT_MSG), 0))
			return 1;
	}
	for (i = 0; i < 3; i++)
		if (userns_read(i, userns_maps[i], sizeof(userns_maps[i])))
			return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		if (setresgid(CT_CHILD_ID, CT_CHILD_ID, CT_CHILD_ID) ||
		    setresuid(CT_CHILD_ID, CT_CHILD_ID, CT_CHILD_ID))
			_exit(1);
		_exit(userns_child());
	}
	fd = open(ct.ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	while (!ckpt_child_finish)
		pause();

	if (getuid() || geteuid() || getgid() || getegid())
		ret = 2;
	for (i = 0; !ret && i < 3; i++) {
		if (userns_read(i, buf, sizeof(buf)) || strcmp(buf, userns_maps[i])) {
			ckpt_child_note("init: %s was \"%s\", is \"%s\"", userns_files[i],
					userns_maps[i], buf);
			ret = 3 + i;
		}
	}
	if (!ret && (gethostname(name, sizeof(name)) || strcmp(name, "ckpt-userns")))
		ret = 7;
	if (!ret && sethostname("ckpt-userns-2", 13))
		ret = 6;
	if (!ret) {
		struct { long mtype; char mtext[8]; } m = {};
		struct msqid_ds ds;
		int q = msgget(CT_MSQ_KEY, 0);

		/* Owned by root inside, readable by it */
		if (q < 0 || msgctl(q, IPC_STAT, &ds) || ds.msg_perm.uid || ds.msg_perm.cuid ||
		    msgrcv(q, &m, sizeof(m.mtext), 7, IPC_NOWAIT) != sizeof(CT_MSG) ||
		    strcmp(m.mtext, CT_MSG))
			ret = 10;
	}
	kill(child, SIGUSR1);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return ret ? ret : 9;
	return ret ? ret : WEXITSTATUS(status);
}

/* Read from the test's side: the maps as its user namespace sees them */
static void read_pid_file(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (ckpt_read_file(path, buf, size) < 0)
		buf[0] = '\0';
}

static int write_pid_file(pid_t pid, const char *name, const char *s)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	return write_str(path, s);
}

/* The container, with its maps written by us as its parent */
static pid_t spawn_userns_container(struct __test_metadata *_metadata,
				    struct ckpt_ctx *ctx)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
		.exit_signal = SIGCHLD,
	};
	struct stat st;
	int pfd[2];
	pid_t pid;

	/* Root inside is CT_ID_BASE outside: let it write its files */
	ASSERT_EQ(0, chmod(ctx->dir, 0777));
	snprintf(ct.ready_path, sizeof(ct.ready_path), "%s/ready", ctx->dir);
	ASSERT_EQ(0, pipe(pfd));
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3: %s", strerror(errno));
	if (!pid) {
		char c;
		int ret;

		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			_exit(1);
		ret = ckpt_child_detach();
		_exit(ret ? ret : userns_init());
	}
	close(pfd[0]);
	ckpt_ctx_track(ctx, pid);
	ASSERT_EQ(0, write_pid_file(pid, "setgroups", "deny"));
	ASSERT_EQ(0, write_pid_file(pid, "uid_map", CT_MAP));
	ASSERT_EQ(0, write_pid_file(pid, "gid_map", CT_MAP));
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	close(pfd[1]);
	while (stat(ct.ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}
	return pid;
}

TEST_F_TIMEOUT(ns, container_user_namespace_keeps_its_maps, 120)
{
	char uid_map[128], gid_map[128], after[128];
	struct stat st;
	pid_t pid;

	userns_nested = false;
	pid = spawn_userns_container(_metadata, &self->ctx);
	read_pid_file(pid, "uid_map", uid_map, sizeof(uid_map));
	read_pid_file(pid, "gid_map", gid_map, sizeof(gid_map));
	ASSERT_NE(ns_ino(0, "user"), ns_ino(pid, "user"));

	pid = downtime_cycle(_metadata, &self->ctx, pid, 0);
	ASSERT_LT(0, pid);
	/* A new user namespace, not ours, with the same maps */
	EXPECT_NE(ns_ino(0, "user"), ns_ino(pid, "user"));
	read_pid_file(pid, "uid_map", after, sizeof(after));
	EXPECT_STREQ(uid_map, after);
	read_pid_file(pid, "gid_map", after, sizeof(after));
	EXPECT_STREQ(gid_map, after);
	/* Root inside is still CT_ID_BASE outside */
	snprintf(after, sizeof(after), "/proc/%d", pid);
	ASSERT_EQ(0, stat(after, &st));
	EXPECT_EQ(CT_ID_BASE, st.st_uid);
	ckpt_sleep_ms(300);
	ckpt_finish(_metadata, pid, CKPT_REASONS(userns_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 10);
}

TEST_F_TIMEOUT(ns, container_nested_user_namespace_is_refused, 120)
{
	struct ckpt_ctx *ctx = &self->ctx;
	pid_t pid;

	userns_nested = true;
	pid = spawn_userns_container(_metadata, ctx);
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(ctx, pid, ctx->image_fd, 0, ctx->log_fd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_TRUE(ckpt_log_contains(ctx, "in another user namespace than the root"))
		ckpt_dump_log(_metadata, ctx);
	/* Left running, unchanged */
	ckpt_finish(_metadata, pid, CKPT_REASONS(userns_reasons));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], CT_ROOT_INIT))
		return ct_root_init();
	return test_harness_run(argc, argv);
}
