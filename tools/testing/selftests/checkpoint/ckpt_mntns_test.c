// SPDX-License-Identifier: GPL-2.0
/*
 * A container's mount namespace across checkpoint, kill and restart.
 *
 * The container is built as runc builds one: new mount, pid, IPC, UTS and
 * network namespaces (and, as rootless Podman does, a user namespace),
 * its mounts made inside a root directory (a bind mount of the guest's
 * root), then pivot_root(".", ".") into it.  It has proc, sysfs
 * read-only, a tmpfs /dev with files, a link, a FIFO and a hard link,
 * devpts (its own instance), a tmpfs /dev/shm, mqueue, a tmpfs /tmp, the
 * test's directory bound from outside (a volume), a host directory bound
 * read-only, a shared tmpfs with a peer and a slave.  After restart the
 * container reads /proc/self/mountinfo the same (mount ids, device
 * numbers and peer group numbers aside), its tmpfs files the same
 * (contents, owners, modes, times, an extended attribute, a POSIX ACL),
 * keeps pty 1 of its devpts (pty 0 was closed) and gets pty 0 for a new
 * one, receives the messages of its POSIX message queue in priority
 * order, and mounts still propagate from the shared mount to its peer and
 * slave, not back.  The privileged container also has a cgroup namespace
 * of its own, rooted at a cgroup with memory.max and pids.max, with
 * cgroup2 mounted on /sys/fs/cgroup as runc does: inside,
 * /proc/self/cgroup and the limits read the same after each restart into
 * a new cgroup.
 *
 * Restart binds the root, the volume and the read-only directory from what
 * the caller gives (CKPT_EXT_MOUNT), and the cgroup (CKPT_EXT_CGROUP);
 * without the volume it fails and names it.  Damaged MOUNT, TMPFS,
 * TMPFS_NODE and TMPFS_XATTR records make restart fail cleanly.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include "ckpt_image.h"

FIXTURE(mntns) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(mntns) {
	bool userns;
};

/* Root, as runc runs containers */
FIXTURE_VARIANT_ADD(mntns, privileged) { .userns = false };
/* In a user namespace of its own, as rootless Podman runs them */
FIXTURE_VARIANT_ADD(mntns, in_a_user_namespace) { .userns = true };

/* Root inside is CT_ID_BASE outside */
#define CT_ID_BASE	100000
#define CT_MAP		"0 100000 2000"

static char rootfs[160], volume[160], ready_path[160], rodata[160];
static bool ct_userns;

/*
 * Privileged: the container is in a cgroup namespace of its own rooted at
 * cg_dir[0], which has limits, and comes back in cg_dir[1], then [2]
 */
#define CG_MNT		"/sys/fs/cgroup"
#define CT_MEM_MAX	"67108864"
#define CT_PIDS_MAX	"64"
static char cg_dir[3][96];
static int cg_fd = -1, cg_at;

static void setup_cgroups(struct __test_metadata *_metadata)
{
	struct statfs sfs;
	int i;

	if (statfs(CG_MNT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		ASSERT_EQ(0, mount("cgroup2", CG_MNT, "cgroup2", 0, NULL));
	ASSERT_EQ(0, ckpt_cg_write(CG_MNT, "cgroup.subtree_control", "+memory +pids"));
	for (i = 0; i < 3; i++) {
		snprintf(cg_dir[i], sizeof(cg_dir[i]), CG_MNT "/ckpt-ct-%d-%d", getpid(), i);
		ASSERT_EQ(0, mkdir(cg_dir[i], 0755));
	}
	ASSERT_EQ(0, ckpt_cg_write(cg_dir[0], "memory.max", CT_MEM_MAX));
	ASSERT_EQ(0, ckpt_cg_write(cg_dir[0], "pids.max", CT_PIDS_MAX));
	cg_fd = open(cg_dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cg_fd);
	cg_at = 0;
}

static void teardown_cgroups(void)
{
	int i;

	if (cg_fd < 0)
		return;
	close(cg_fd);
	cg_fd = -1;
	for (i = 0; i < 3; i++)
		rmdir(cg_dir[i]);
}

/* A new file @dir/@file holding @val */
static int cg_write_new(const char *dir, const char *file, const char *val)
{
	char path[192];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ret = ckpt_write_all(fd, val, strlen(val));
	close(fd);
	return ret;
}

/*
 * The container's root, a bind mount of ours, and its volume, a directory
 * of the test's at the same path inside, where it leaves its notes
 */
static void setup_dirs(struct __test_metadata *_metadata, struct ckpt_ctx *ctx)
{
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", ctx->dir);
	snprintf(volume, sizeof(volume), "%s/vol", ctx->dir);
	ASSERT_GT((int)sizeof(ready_path),
		  snprintf(ready_path, sizeof(ready_path), "%s/ready", volume));
	ASSERT_GT((int)sizeof(ckpt_note_path),
		  snprintf(ckpt_note_path, sizeof(ckpt_note_path), "%s/notes", volume));
	ASSERT_EQ(0, mkdir(rootfs, 0755));
	ASSERT_EQ(0, mount("/", rootfs, NULL, MS_BIND, NULL));
	/* Root inside a user namespace is another user outside */
	ASSERT_EQ(0, chmod(ctx->dir, 0711));
	ASSERT_EQ(0, mkdir(volume, 0777));
	ASSERT_EQ(0, chmod(volume, 0777));
	/* A host directory the container gets read-only */
	snprintf(rodata, sizeof(rodata), "%s/rodata", ctx->dir);
	ASSERT_EQ(0, mkdir(rodata, 0755));
	ASSERT_EQ(0, cg_write_new(rodata, "data", "ro"));
}

FIXTURE_SETUP(mntns)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	/* Nothing here reaches the guest's mounts */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	if (!variant->userns)
		setup_cgroups(_metadata);
	setup_dirs(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(mntns)
{
	teardown_cgroups();
	umount2(rootfs, MNT_DETACH);
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static const char *const ct_reasons[] = {
	[1] = "could not build the container's mounts",
	[2] = "could not pivot into its root",
	[3] = "/proc/self/mountinfo is not the same after restart",
	[4] = "a tmpfs file is not the same after restart",
	[5] = "the pty lost its number, or a new one is not the first free of its devpts",
	[6] = "mounts do not propagate as before",
	[7] = "the cgroup namespace, or the limits its root reads, changed",
	[8] = "the message queue's messages did not come back in priority order",
	[9] = "the read-only bind of a host directory is not as it was",
};

#define CT_MTIME	1234567890

static char fp_before[8192], fp_after[8192];

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * mountinfo without mount ids, device numbers and peer group numbers, in
 * mount point order (restart clones the external mounts first: their ids
 * are lower)
 */
static int mounts_fingerprint(char *out, size_t size)
{
	static char buf[8192];
	char *line, *save, *p, *lines[64];
	static const char self[] = "/proc/self/mountinfo";
	size_t len = 0, nr = 0, i;

	if (ckpt_read_file(self, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int skip;

		/* "ID PARENT MAJ:MIN ROOT ..." */
		for (p = line, skip = 0; *p && skip < 3; p++)
			skip += *p == ' ';
		if (nr == 64)
			return -1;
		lines[nr++] = p;
	}
	qsort(lines, nr, sizeof(lines[0]), cmp_lines);
	for (i = 0; i < nr; i++) {
		len += snprintf(out + len, size - len, "%s\n", lines[i]);
		if (len >= size)
			return -1;
	}
	/* shared:N and master:N -> shared:* and master:*, as the ids change */
	for (p = out; (p = strstr(p, ":")) != NULL; p++)
		if ((p - out >= 6 && !strncmp(p - 6, "shared", 6)) ||
		    (p - out >= 6 && !strncmp(p - 6, "master", 6)))
			for (p++; *p >= '0' && *p <= '9'; p++)
				*p = '*';
	return 0;
}

/* A POSIX ACL in the xattr format: user 1001 may read /dev/hello too */
static const struct {
	uint32_t version;
	struct { uint16_t tag, perm; uint32_t id; } e[5];
} ct_acl = { 2, {
	{ 0x01, 6, -1 },	/* ACL_USER_OBJ rw */
	{ 0x02, 4, 1001 },	/* ACL_USER 1001 r */
	{ 0x04, 4, -1 },	/* ACL_GROUP_OBJ r */
	{ 0x10, 4, -1 },	/* ACL_MASK r */
	{ 0x20, 0, -1 },	/* ACL_OTHER */
} };

/* What the tmpfs files are: contents, owners, modes, times, links, ACL */
static int files(char *out, size_t size)
{
	static const char *const names[] = {
		"/dev/hello", "/dev/hello2", "/dev/fd", "/dev/fifo", "/dev/null", "/dev", "/tmp",
		"/tmp/ro/x",
	};
	char data[64] = "", link[64] = "", color[16] = "", acl[64];
	size_t len = strlen(out);
	unsigned int i;
	struct stat st;

	if (ckpt_read_file("/dev/hello", data, sizeof(data)) < 0 ||
	    readlink("/dev/fd", link, sizeof(link) - 1) < 0 ||
	    getxattr("/dev/hello", "user.color", color, sizeof(color) - 1) < 0 ||
	    getxattr("/dev/hello", "system.posix_acl_access", acl, sizeof(acl)) !=
	    sizeof(ct_acl) || memcmp(acl, &ct_acl, sizeof(ct_acl)))
		return -1;
	len += snprintf(out + len, size - len, "hello: %s fd -> %s color %s acl ok\n", data,
			link, color);
	for (i = 0; i < ARRAY_SIZE(names) && len < size; i++) {
		if (lstat(names[i], &st))
			return -1;
		len += snprintf(out + len, size - len, "%s %o %u:%u n%lu r%lx %lld.%09ld\n",
				names[i], st.st_mode, st.st_uid, st.st_gid,
				(unsigned long)st.st_nlink, (unsigned long)st.st_rdev,
				(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	return len < size ? 0 : -1;
}

static int fingerprint(char *out, size_t size)
{
	return mounts_fingerprint(out, size) ?: files(out, size);
}

#define CHECK(x) do { if (x) { ckpt_child_note("failed: %s", #x); return 1; } } while (0)

/* The tmpfs /dev of the container: files of all kinds */
static int make_dev(void)
{
	struct timespec t[2] = { { CT_MTIME, 5 }, { CT_MTIME, 123456789 } };
	int fd;

	CHECK(mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=256k"));
	CHECK(mkdir("dev/pts", 0755) || mkdir("dev/shm", 01777) || mkdir("dev/mqueue", 0755));
	fd = open("dev/hello", O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd < 0 || write(fd, "hello, world", 12) != 12 || close(fd));
	CHECK(chown("dev/hello", 1000, 1001) || chmod("dev/hello", 02640));
	CHECK(utimensat(AT_FDCWD, "dev/hello", t, 0));
	CHECK(link("dev/hello", "dev/hello2"));
	CHECK(setxattr("dev/hello", "user.color", "blue", 4, XATTR_CREATE));
	CHECK(setxattr("dev/hello", "system.posix_acl_access", &ct_acl, sizeof(ct_acl), 0));
	CHECK(symlink("/proc/self/fd", "dev/fd") || mkfifo("dev/fifo", 0600));
	if (ct_userns) {
		/* No CAP_MKNOD: the host's, bound on a file */
		fd = open("dev/null", O_WRONLY | O_CREAT | O_EXCL, 0666);
		CHECK(fd < 0 || close(fd) || mount("/dev/null", "dev/null", NULL, MS_BIND, NULL));
	} else {
		CHECK(mknod("dev/null", S_IFCHR | 0666, makedev(1, 3)));
	}
	CHECK(mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620"));
	CHECK(mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "mode=1777,size=1m"));
	CHECK(mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	return 0;
}

/* Inside the root directory: the mounts a container manager makes */
static int make_mounts(void)
{
	char vol[200], ctxdir[200];

	/* A mount of its own to pivot into: in a user namespace, ours is locked */
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	      mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) || chdir(rootfs));
	CHECK(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	/* As runc makes /proc/sys read-only */
	CHECK(mount("proc/sys", "proc/sys", NULL, MS_BIND, NULL) ||
	      mount(NULL, "proc/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	CHECK(mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL));
	/* As runc mounts it, the root of the container's cgroup namespace */
	if (cg_fd >= 0)
		CHECK(mount("cgroup2", "sys/fs/cgroup", "cgroup2",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY, NULL));
	CHECK(make_dev());
	CHECK(mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=4m"));
	snprintf(vol, sizeof(vol), ".%s", volume);
	snprintf(ctxdir, sizeof(ctxdir), "%s", vol);
	*strrchr(ctxdir, '/') = 0;
	CHECK(mkdir("tmp/shared", 0755) || mkdir("tmp/peer", 0755) || mkdir("tmp/slave", 0755));
	CHECK(mount("tmpfs", "tmp/shared", "tmpfs", MS_NOATIME, "size=64k"));
	CHECK(mount(NULL, "tmp/shared", NULL, MS_SHARED, NULL));
	CHECK(mount("tmp/shared", "tmp/peer", NULL, MS_BIND, NULL));
	CHECK(mount("tmp/shared", "tmp/slave", NULL, MS_BIND, NULL));
	CHECK(mount(NULL, "tmp/slave", NULL, MS_SLAVE, NULL));
	CHECK(mkdir("tmp/shared/a", 0755) || mkdir("tmp/shared/b", 0755));
	/* A read-only tmpfs with a file */
	CHECK(mkdir("tmp/ro", 0755) || mount("tmpfs", "tmp/ro", "tmpfs", 0, "size=16k"));
	CHECK(mkdir("tmp/ro/x", 0700) ||
	      mount(NULL, "tmp/ro", NULL, MS_REMOUNT | MS_RDONLY, "size=16k"));
	/* Last: restart needs it from the caller, after the records checked first */
	CHECK(mkdir(ctxdir, 0755) || mkdir(vol, 0755) || mount(volume, vol, NULL, MS_BIND, NULL));
	/* And a read-only bind of a host directory */
	snprintf(vol, sizeof(vol), ".%s", rodata);
	CHECK(mkdir(vol, 0755) || mount(rodata, vol, NULL, MS_BIND, NULL) ||
	      mount(NULL, vol, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	return 0;
}

static bool is_mount(const char *path)
{
	struct stat a, b;
	char up[128];

	snprintf(up, sizeof(up), "%s/..", path);
	return !stat(path, &a) && !stat(up, &b) && a.st_dev != b.st_dev;
}

/* A mount on the shared one shows in its peer and slave; one on the slave does not go back */
static int propagation_works(void)
{
	CHECK(mount("tmpfs", "/tmp/shared/a", "tmpfs", 0, "size=16k"));
	CHECK(!is_mount("/tmp/peer/a") || !is_mount("/tmp/slave/a"));
	CHECK(mount("tmpfs", "/tmp/slave/b", "tmpfs", 0, "size=16k"));
	CHECK(is_mount("/tmp/shared/b") || is_mount("/tmp/peer/b"));
	return 0;
}

#define CT_EXE		"/selftests/checkpoint/ckpt_mntns_test"

/* Stage 2, exec'd inside its root as a container's process is: wait, then check */
/* In its own cgroup namespace, whose root has the limits the test gave */
static int ct_cgroup_same(void)
{
	char buf[64];

	if (!getenv("CKPT_CT_CGROUP"))
		return 0;
	if (ckpt_read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0 || strcmp(buf, "0::/\n") ||
	    strcmp(ckpt_cg_read(CG_MNT, "memory.max"), CT_MEM_MAX) ||
	    strcmp(ckpt_cg_read(CG_MNT, "pids.max"), CT_PIDS_MAX)) {
		ckpt_child_note("cgroup %s memory.max %s", buf, ckpt_cg_read(CG_MNT, "memory.max"));
		return 7;
	}
	return 0;
}

/* The host directory bound read-only: readable, not writable */
static int ct_rodata_same(void)
{
	char path[200], buf[8];
	int fd;

	snprintf(path, sizeof(path), "%s/data", getenv("CKPT_CT_RODATA"));
	if (ckpt_read_file(path, buf, sizeof(buf)) != 2 || strcmp(buf, "ro"))
		return 9;
	snprintf(path, sizeof(path), "%s/new", getenv("CKPT_CT_RODATA"));
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0 || errno != EROFS)
		return 9;
	return 0;
}

static const unsigned int ct_prios[3] = { 1, 9, 5 };

/* A queue of its /dev/mqueue, with messages of three priorities */
static mqd_t ct_queue(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	char text[16];
	mqd_t q;
	int i;

	q = mq_open("/ct-q", O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, 0600, &a);
	for (i = 0; q >= 0 && i < 3; i++) {
		snprintf(text, sizeof(text), "prio %u", ct_prios[i]);
		if (mq_send(q, text, strlen(text), ct_prios[i]))
			return -1;
	}
	return q;
}

static int ct_queue_same(mqd_t q)
{
	static const unsigned int order[3] = { 9, 5, 1 };
	char text[64], want[16];
	unsigned int prio;
	struct stat st;
	ssize_t n;
	int i;

	for (i = 0; i < 3; i++) {
		n = mq_receive(q, text, sizeof(text), &prio);
		snprintf(want, sizeof(want), "prio %u", order[i]);
		if (n != (ssize_t)strlen(want) || prio != order[i] || memcmp(text, want, n))
			return 8;
	}
	/* Empty, non-blocking, and in its /dev/mqueue */
	if (mq_receive(q, text, sizeof(text), &prio) >= 0 || errno != EAGAIN ||
	    stat("/dev/mqueue/ct-q", &st))
		return 8;
	return 0;
}

static int ct_run(void)
{
	struct sigaction sa = { .sa_handler = ckpt_child_finish_handler };
	int fd, pty = -1, m0, m1, s1, unlock = 0, ret;
	struct stat st, st1;
	size_t len;
	mqd_t q;

	snprintf(ckpt_note_path, sizeof(ckpt_note_path), "%s", getenv("CKPT_CT_NOTES"));
	snprintf(ready_path, sizeof(ready_path), "%s", getenv("CKPT_CT_READY"));
	if (sigaction(SIGUSR1, &sa, NULL) || fingerprint(fp_before, sizeof(fp_before)))
		return 1;
	/* Pty 1 of its devpts kept open, pty 0 closed again */
	m0 = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	m1 = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (m0 < 0 || m1 < 0 || ioctl(m1, TIOCSPTLCK, &unlock) || ioctl(m1, TIOCGPTN, &pty) ||
	    pty != 1 || close(m0))
		return 1;
	s1 = open("/dev/pts/1", O_RDWR | O_NOCTTY);
	q = ct_queue();
	if (s1 < 0 || q < 0 || ct_cgroup_same())
		return 1;
	fd = open(ready_path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || close(fd))
		return 1;
	ckpt_child_wait_finish();
	if (fingerprint(fp_after, sizeof(fp_after)))
		return 4;
	if (strcmp(fp_before, fp_after)) {
		ckpt_child_note("before:\n%s", fp_before);
		ckpt_child_note("after:\n%s", fp_after);
		len = strstr(fp_before, "hello:") - fp_before;
		return strncmp(fp_before, fp_after, len) ? 3 : 4;
	}
	if (ioctl(m1, TIOCGPTN, &pty) || pty != 1 || fstat(s1, &st1) ||
	    stat("/dev/pts/1", &st) || st.st_rdev != st1.st_rdev)
		return 5;
	fd = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (fd < 0 || ioctl(fd, TIOCGPTN, &pty) || pty != 0)
		return 5;
	close(fd);
	if (propagation_works())
		return 6;
	ret = ct_cgroup_same() ?: ct_queue_same(q) ?: ct_rodata_same();
	if (ret)
		return ret;
	ckpt_child_note("the same before and after:\n%s", fp_after);
	return 0;
}

/* Stage 1: build the mounts, pivot into the root, exec the container's process */
static int ct_init(void)
{
	int fd;

	if (getpid() != 1 || make_mounts())
		return 1;
	if (syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/")) {
		ckpt_child_note("pivot_root: %s", strerror(errno));
		return 2;
	}
	/* The guest's /dev/null is outside: the container's own */
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || close(fd))
		return 1;
	setenv("CKPT_CT_NOTES", ckpt_note_path, 1);
	setenv("CKPT_CT_READY", ready_path, 1);
	setenv("CKPT_CT_RODATA", rodata, 1);
	if (cg_fd >= 0)
		setenv("CKPT_CT_CGROUP", "1", 1);
	execl(CT_EXE, CT_EXE, NULL);
	ckpt_child_note("exec %s: %s", CT_EXE, strerror(errno));
	return 2;
}

static int write_pid_file(pid_t pid, const char *name, const char *s)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = ckpt_write_all(fd, s, strlen(s));
	close(fd);
	return ret;
}

static pid_t spawn_container(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			     bool userns)
{
	struct clone_args args = {
		.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET,
		.exit_signal = SIGCHLD,
	};
	int pfd[2];
	pid_t pid;

	ct_userns = userns;
	if (userns)
		args.flags |= CLONE_NEWUSER;
	if (cg_fd >= 0) {
		args.flags |= CLONE_NEWCGROUP | CLONE_INTO_CGROUP;
		args.cgroup = cg_fd;
	}
	ASSERT_EQ(0, pipe(pfd));
	unlink(ready_path);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3: %s", strerror(errno));
	if (!pid) {
		char c;
		int ret;

		close(pfd[1]);
		/* Its maps written: root inside */
		if (read(pfd[0], &c, 1) != 1 ||
		    (userns && (setresgid(0, 0, 0) || setresuid(0, 0, 0))))
			_exit(1);
		ret = ckpt_child_detach();
		_exit(ret ?: ct_init());
	}
	close(pfd[0]);
	ckpt_ctx_track(ctx, pid);
	if (userns) {
		ASSERT_EQ(0, write_pid_file(pid, "setgroups", "deny"));
		ASSERT_EQ(0, write_pid_file(pid, "uid_map", CT_MAP));
		ASSERT_EQ(0, write_pid_file(pid, "gid_map", CT_MAP));
	}
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	close(pfd[1]);
	while (access(ready_path, F_OK)) {
		ASSERT_TRUE(ckpt_child_running(pid)) {
			ckpt_dump_file(_metadata, "container", ckpt_note_path, 40);
		}
		ckpt_sleep_ms(20);
	}
	return pid;
}

/*
 * Restart, with the root, the host's /dev/null (in a user namespace) and
 * the volume bound from what we give
 */
static long restart_with(struct ckpt_ctx *ctx, bool with_volume)
{
	struct ckpt_external ext[5] = {
		{ .kind = CKPT_EXT_MOUNT, .key = "/" },
		{ .kind = CKPT_EXT_MOUNT, .key = "/dev/null" },
		{ .kind = CKPT_EXT_MOUNT },
		{ .kind = CKPT_EXT_CGROUP, .key = "/", .fd = -1 },
		{ .kind = CKPT_EXT_MOUNT },
	};
	int nr = 3;
	long ret;

	if (snprintf(ext[2].key, sizeof(ext[2].key), "%s", rodata) >= (int)sizeof(ext[2].key))
		return -1;
	ext[2].fd = open(rodata, O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* The next cgroup, for the root of its cgroup namespace */
	if (cg_fd >= 0) {
		ext[nr++].fd = open(cg_dir[++cg_at % 3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cg_at %= 3;
	}
	if (with_volume) {
		ext[nr] = ext[4];
		if (snprintf(ext[nr].key, sizeof(ext[nr].key), "%s", volume) <
		    (int)sizeof(ext[nr].key))
			ext[nr].fd = open(volume, O_PATH | O_DIRECTORY | O_CLOEXEC);
		else
			ext[nr].fd = -1;
		nr++;
	}

	ext[0].fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ext[1].fd = open("/dev/null", O_PATH | O_CLOEXEC);
	ret = ext[0].fd < 0 || ext[1].fd < 0 || ext[2].fd < 0 || ext[nr - 1].fd < 0 ||
	      lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd) ? -1 :
	      syscall(__NR_restart, 0, ctx->image_fd, RESTART_EXTERNAL, ctx->log_fd, ext, nr);
	while (nr--)
		close(ext[nr].fd);
	return ret;
}

TEST_F_TIMEOUT(mntns, container_mounts_and_tmpfs_files_come_back, 120)
{
	pid_t pid;
	int i;

	pid = spawn_container(_metadata, &self->ctx, variant->userns);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
		ckpt_reap_killed(_metadata, pid);
		pid = restart_with(&self->ctx, true);
		ASSERT_LT(0, pid) {
			TH_LOG("restart: %s", strerror(errno));
			ckpt_dump_log(_metadata, &self->ctx);
		}
		ckpt_ctx_track(&self->ctx, pid);
		if (cg_fd >= 0) {
			/* Seen from here: the limits came with it to the new cgroup */
			EXPECT_STREQ(CT_MEM_MAX, ckpt_cg_read(cg_dir[cg_at], "memory.max"));
			EXPECT_STREQ(CT_PIDS_MAX, ckpt_cg_read(cg_dir[cg_at], "pids.max"));
		}
	}
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
	ckpt_dump_file(_metadata, "container", ckpt_note_path, 60);
}

TEST_F_TIMEOUT(mntns, a_volume_the_caller_does_not_give_is_named, 120)
{
	pid_t pid;

	pid = spawn_container(_metadata, &self->ctx, variant->userns);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	EXPECT_EQ(-1, restart_with(&self->ctx, false));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "missing volume"));
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "--ext-mount"))
		ckpt_dump_log(_metadata, &self->ctx);
	pid = restart_with(&self->ctx, true);
	ASSERT_LT(0, pid) ckpt_dump_log(_metadata, &self->ctx);
	ckpt_ctx_track(&self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(ct_reasons));
}

FIXTURE(mntns_damaged) {
	struct ckpt_ctx ctx;
};

FIXTURE_VARIANT(mntns_damaged) {
	int what;
	int err;
};

FIXTURE_VARIANT_ADD(mntns_damaged, new_mount_of_another_filesystem) { .what = 0, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, mount_point_with_dot_dot) { .what = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, parent_after_it) { .what = 2, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, strings_longer_than_the_record) { .what = 3, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, peer_not_bound_from_its_group) { .what = 4, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, too_many_mounts) { .what = 5, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, truncated_in_a_mount) { .what = 6, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, tmpfs_path_with_dot_dot) { .what = 7, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, tmpfs_file_data_beyond_its_size) { .what = 8, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, tmpfs_attribute_name_unterminated) { .what = 9, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, tmpfs_contents_of_another_mount) { .what = 10, .err = EINVAL };
FIXTURE_VARIANT_ADD(mntns_damaged, truncated_in_a_tmpfs_file) { .what = 11, .err = EINVAL };

FIXTURE_SETUP(mntns_damaged)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	setup_dirs(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(mntns_damaged)
{
	umount2(rootfs, MNT_DETACH);
	ckpt_ctx_teardown(&self->ctx);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The record of @type whose path (after the fixed part @fixed) is @path */
static void *rec_at(struct image *img, uint32_t type, size_t fixed, const char *path)
{
	int i;

	for (i = 0; i < img->nr; i++) {
		char *p = ckpt_payload(img->data, &img->recs[i]);

		if (img->recs[i].type == type && !strcmp(p + fixed, path))
			return p;
	}
	return NULL;
}

/* The MOUNT record of the mount of @fstype at @mp, or NULL */
static struct ckpt_mount *mount_rec(struct image *img, const char *fstype, const char *mp)
{
	int i;

	for (i = 0; i < img->nr; i++) {
		struct ckpt_mount *m = ckpt_payload(img->data, &img->recs[i]);

		if (img->recs[i].type == CKPT_REC_MOUNT && !strcmp(m->fstype, fstype) &&
		    !strcmp((char *)(m + 1), mp))
			return m;
	}
	return NULL;
}

/* Damage a tmpfs record: restart reads those in the root, after the externals */
static size_t damage_tmpfs(struct __test_metadata *_metadata, struct image *img, int what)
{
	struct ckpt_tmpfs_node *fifo, *hello;
	struct ckpt_tmpfs_xattr *x;
	struct ckpt_tmpfs *t;

	fifo = rec_at(img, CKPT_REC_TMPFS_NODE, sizeof(*fifo), "/fifo");
	hello = rec_at(img, CKPT_REC_TMPFS_NODE, sizeof(*hello), "/hello");
	x = rec_at(img, CKPT_REC_TMPFS_XATTR, sizeof(*x), "user.color");
	t = ckpt_payload(img->data, find_rec(img, CKPT_REC_TMPFS));
	EXPECT_TRUE(fifo && hello && x && t) TH_LOG("the image lacks a tmpfs record");
	if (!fifo || !hello || !x || !t)
		return 0;
	switch (what) {
	case 7:
		memcpy((char *)(fifo + 1), "/..", 4);
		break;
	case 8:
		hello->size = htole64(1);
		break;
	case 9:
		memset((char *)(x + 1), 'x', le16toh(x->name_len));
		break;
	case 10:
		t->mount = htole32(1);
		break;
	default:
		return (char *)hello - img->data + sizeof(*hello) / 2;
	}
	return img->len;
}

TEST_F_TIMEOUT(mntns_damaged, restart_fails_cleanly, 90)
{
	struct ckpt_mount *proc, *peer;
	struct ckpt_mntns *n;
	struct image img = { 0 };
	size_t len;

	img.pid = spawn_container(_metadata, &self->ctx, false);
	image_of_killed(_metadata, &self->ctx, img.pid, &img);
	n = ckpt_payload(img.data, find_rec(&img, CKPT_REC_MNTNS));
	proc = mount_rec(&img, "proc", "/proc");
	peer = mount_rec(&img, "tmpfs", "/peer");
	ASSERT_TRUE(proc && peer) TH_LOG("the image lacks a MOUNT record");
	ASSERT_EQ(CKPT_MOUNT_NEW, le16toh(proc->kind));
	ASSERT_EQ(CKPT_MOUNT_BIND, le16toh(peer->kind));
	len = img.len;
	switch (variant->what) {
	case 0:
		snprintf(proc->fstype, sizeof(proc->fstype), "ext4");
		break;
	case 1:
		memcpy((char *)(proc + 1), "/..", 4);
		break;
	case 2:
		proc->parent = htole32(le32toh(proc->id) + 1);
		break;
	case 3:
		proc->options_len = htole16(le16toh(proc->options_len) + 64);
		break;
	case 4:
		peer->source = htole32(le32toh(peer->parent));
		break;
	case 5:
		n->nr_mounts = htole32(CKPT_MNTNS_MAX_MOUNTS + 1);
		break;
	case 6:
		len = (char *)proc - img.data + sizeof(*proc) / 2;
		break;
	default:
		len = damage_tmpfs(_metadata, &img, variant->what);
		ASSERT_NE(0U, len);
		break;
	}
	if (len == img.len)
		trailer_of(&img, img.data)->crc32c =
			htole32(crc32c(img.data, img.recs[img.nr - 1].off));
	if (variant->what < 7) {
		ASSERT_TRUE(restart_from_broken_image(_metadata, &self->ctx, img.data, len,
						      img.pid, variant->err,
						      "damaged mount record") ==
			    CKPT_FAILED_CLEANLY);
	} else {
		/* With what the mounts need, to get as far as the tmpfs records */
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
		ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img.data, len));
		EXPECT_EQ(-1, restart_with(&self->ctx, true));
		EXPECT_EQ(variant->err, errno) ckpt_dump_log(_metadata, &self->ctx);
		EXPECT_TRUE(ckpt_nothing_left(_metadata, img.pid, "damaged tmpfs record"));
	}
	free(img.recs);
	free(img.data);
}

int main(int argc, char **argv)
{
	if (getenv("CKPT_CT_READY"))
		return ct_run();
	return test_harness_run(argc, argv);
}
