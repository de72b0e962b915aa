// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt criu: RESTORE, with restart(2).
 *
 * <images_dir>/ckpt.img is given to restart(2) with the externals the
 * request names: the root (root: the tasks' root mount, or a chroot for
 * tasks without a mount namespace of their own), the mounts bound from
 * the host (ext_mnt, mapped through the names DUMP recorded in
 * ckpt-criu.img), the caller's files that take the place of pipes and
 * sockets to the outside (inherit_fd), veth names (veths), the cgroup to
 * restore into (cg_root), and, with orphan_pts_master, a placeholder for
 * the new master of each console (a pty whose master was outside the
 * tasks: runc run -t).  rst_sibling makes the restored root the caller's
 * child (RESTART_SIBLING).
 *
 * restart(2) returns once the tasks run: setup-namespaces,
 * orphan-pts-master (with a console's master in SCM_RIGHTS), post-restore
 * (whose pid runc takes as the container's init), network-unlock and the
 * resume notifications are sent after it, in CRIU's order (cr-restore.c,
 * tty.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "chain.h"
#include "criu.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

#define CRIU_CGROUP2_ROOT	"/sys/fs/cgroup"
#define CRIU_KEY_MAX		(sizeof(((struct ckpt_external *)0)->key) - 1)

struct criu_restore {
	struct ckpt_external ext[CKPT_EXTERNAL_MAX];
	bool ours[CKPT_EXTERNAL_MAX];	/* ext[i].fd was opened here */
	unsigned int nr_ext;
	unsigned long flags;		/* RESTART_* */
	int img;			/* ckpt.img */
	int netns;			/* inherit_fd of the external network namespace */
	const char *chroot;		/* root, for tasks without a mount namespace */
	struct ckpt_img_info info;
	CkptCriuDump *dump;		/* ckpt-criu.img, or NULL */
	uint32_t wall_us;		/* restart(2)'s wall time */
	struct ckpt_stats stats;	/* and the kernel's figures */
	/* An incremental ckpt.img: its parents, through the parent links */
	struct ckpt_parents parents;
	char *parent_paths[CKPT_CHAIN_MAX];
};

static const char *const criu_ext_kinds[] = {
	[CKPT_EXT_VETH] = "VETH", [CKPT_EXT_UNIX_SK] = "UNIX_SK", [CKPT_EXT_MOUNT] = "MOUNT",
	[CKPT_EXT_CGROUP] = "CGROUP", [CKPT_EXT_FILE] = "FILE", [CKPT_EXT_PTY] = "PTY",
	[CKPT_EXT_PAGES] = "PAGES",
};

static struct ckpt_external *criu_ext_add(struct criu_ctx *c, struct criu_restore *r,
					  unsigned int kind, const char *key)
{
	struct ckpt_external *e;

	if (r->nr_ext == CKPT_EXTERNAL_MAX) {
		criu_fail(c, E2BIG, "more than %u externals", CKPT_EXTERNAL_MAX);
		return NULL;
	}
	if (strlen(key) > CRIU_KEY_MAX) {
		criu_fail(c, ENAMETOOLONG,
			  "%s %s: longer than %zu bytes, restart(2) cannot be given it",
			  criu_ext_kinds[kind], key, CRIU_KEY_MAX);
		return NULL;
	}
	e = &r->ext[r->nr_ext++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->fd = -1;
	snprintf(e->key, sizeof(e->key), "%s", key);
	return e;
}

static bool criu_ext_has(const struct criu_restore *r, unsigned int kind, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->nr_ext; i++)
		if (r->ext[i].kind == kind && !strcmp(r->ext[i].key, key))
			return true;
	return false;
}

/* Bind what path shows at the tasks' mount point mp */
static int criu_restore_bind(struct criu_ctx *c, struct criu_restore *r, const char *mp,
			     const char *path)
{
	struct ckpt_external *e;
	int fd;

	if (criu_ext_has(r, CKPT_EXT_MOUNT, mp)) {
		criu_log(c, "external mount %s: given already, %s not used", mp, path);
		return 0;
	}
	e = criu_ext_add(c, r, CKPT_EXT_MOUNT, mp);
	if (!e)
		return -1;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		r->nr_ext--;
		return criu_fail(c, errno, "external mount %s: %s: %s", mp, path, strerror(errno));
	}
	e->fd = fd;
	r->ours[r->nr_ext - 1] = true;
	return 0;
}

/*
 * ext_mnt KEY:VAL, as CRIU means it: KEY is the name DUMP's caller gave
 * a mount (ckpt-criu.img has which), VAL what to bind there.  A KEY DUMP
 * did not name is taken as the mount point itself, which is how the
 * kernel names external mounts (and what runc gives for bind mounts).
 */
static int criu_restore_mount(struct criu_ctx *c, struct criu_restore *r, const char *key,
			      const char *val)
{
	unsigned int found = 0;
	size_t i;

	for (i = 0; r->dump && i < r->dump->n_mounts; i++) {
		if (strcmp(r->dump->mounts[i]->name, key))
			continue;
		found++;
		if (criu_restore_bind(c, r, r->dump->mounts[i]->mountpoint, val))
			return -1;
	}
	if (found)
		return 0;
	if (key[0] != '/')
		return criu_fail(c, EINVAL,
				 "ext_mnt %s: neither a name DUMP was given nor a mount point",
				 key);
	return criu_restore_bind(c, r, key, val);
}

/* inherit_fd KEY:FD, FD being ours (the caller passed it to us) */
static int criu_restore_inherit(struct criu_ctx *c, struct criu_restore *r, const char *key,
				int fd)
{
	struct ckpt_external *e;
	unsigned int kind;
	char path[64], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return criu_fail(c, EBADF, "inherit_fd %s: descriptor %d is not open", key, fd);
	target[n > 0 ? n : 0] = '\0';
	if (r->dump && r->dump->netns_key && !strcmp(key, r->dump->netns_key)) {
		criu_log(c, "inherit_fd %s = fd %d (%s): the network namespace to restore into",
			 key, fd, target);
		r->netns = fd;
		return 0;
	}
	if (!strncmp(key, "pipe:[", 6))
		kind = CKPT_EXT_FILE;
	else if (!strncmp(key, "socket:[", 8))
		kind = CKPT_EXT_UNIX_SK;
	else
		return criu_fail(c, EOPNOTSUPP,
				 "inherit_fd %s: only pipe:[INO] and socket:[INO] keys (and the key of an external network namespace given at DUMP) can be honoured",
				 key);
	/* runc gives a pipe that was both stdout and stderr twice */
	if (criu_ext_has(r, kind, key)) {
		criu_log(c, "inherit_fd %s = fd %d (%s): given already", key, fd, target);
		return 0;
	}
	e = criu_ext_add(c, r, kind, key);
	if (!e)
		return -1;
	e->fd = fd;
	criu_log(c, "inherit_fd %s = fd %d (%s)", key, fd, target);
	return 0;
}

/* cg_root on cgroup v2: dir from the root of the hierarchy, made if missing */
static int criu_restore_cgroup(struct criu_ctx *c, struct criu_restore *r, const char *dir)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	const char *at = dir;
	struct ckpt_external *e;
	char name[NAME_MAX + 1];
	struct statfs sfs;
	size_t n;
	int fd, sub;

	fd = open(CRIU_CGROUP2_ROOT, flags);
	if (fd < 0 || fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		if (fd >= 0)
			close(fd);
		return criu_fail(c, EOPNOTSUPP,
				 "cg_root %s: %s is not a cgroup2 mount (cgroup v1 is not supported)",
				 dir, CRIU_CGROUP2_ROOT);
	}
	errno = ENAMETOOLONG;
	while (*(at += strspn(at, "/"))) {
		n = strcspn(at, "/");
		if (n > NAME_MAX)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)n, at);
		if (mkdirat(fd, name, 0755) && errno != EEXIST)
			break;
		sub = openat(fd, name, flags);
		close(fd);
		fd = sub;
		if (fd < 0)
			break;
		at += n;
	}
	if (*at || fd < 0) {
		if (fd >= 0)
			close(fd);
		return criu_fail(c, errno, "cg_root %s: cannot make or open %.*s: %s", dir,
				 (int)(at - dir + strcspn(at, "/")), dir, strerror(errno));
	}
	e = criu_ext_add(c, r, CKPT_EXT_CGROUP, "/");
	if (!e) {
		close(fd);
		return -1;
	}
	e->fd = fd;
	r->ours[r->nr_ext - 1] = true;
	return 0;
}

static int criu_restore_cg_roots(struct criu_ctx *c, struct criu_restore *r, const CriuOpts *o)
{
	const CgroupRoot *cg;
	size_t i;

	for (i = 0; i < o->n_cg_root; i++) {
		cg = o->cg_root[i];
		if (cg->ctrl && *cg->ctrl)
			return criu_fail(c, EOPNOTSUPP,
					 "cg_root %s:%s: a cgroup v1 controller; only cgroup v2 is supported",
					 cg->ctrl, cg->path);
		if (criu_ext_has(r, CKPT_EXT_CGROUP, "/"))
			return criu_fail(c, EINVAL, "cg_root %s: a second cgroup v2 root",
					 cg->path);
		criu_log(c, "cg_root %s: the tasks' cgroup namespace is rooted at %s%s%s", cg->path,
			 CRIU_CGROUP2_ROOT, cg->path[0] == '/' ? "" : "/", cg->path);
		if (criu_restore_cgroup(c, r, cg->path))
			return -1;
	}
	return 0;
}

/* external KIND[KEY]:VAL entries: mnt (as ext_mnt) and veth (as veths) */
static int criu_restore_external(struct criu_ctx *c, struct criu_restore *r, const char *ext)
{
	struct ckpt_external *e;
	char *key = NULL, *val = NULL;
	bool veth = false;
	int ret;

	ret = criu_parse_external(ext, "mnt", &key, &val);
	if (!ret) {
		veth = true;
		ret = criu_parse_external(ext, "veth", &key, &val);
	}
	if (!ret)
		return criu_fail(c, EOPNOTSUPP,
				 "external %s: only mnt[NAME]:PATH and veth[DEV]:OUTER can be honoured on RESTORE",
				 ext);
	if (ret < 0 || !val) {
		ret = criu_fail(c, EINVAL, "external %s: malformed", ext);
	} else if (!veth) {
		ret = criu_restore_mount(c, r, key, val);
	} else {
		e = criu_ext_add(c, r, CKPT_EXT_VETH, key);
		ret = e ? 0 : -1;
		if (e)
			snprintf(e->name, sizeof(e->name), "%s", val);
	}
	free(key);
	return ret;
}

static int criu_restore_veths(struct criu_ctx *c, struct criu_restore *r, const CriuOpts *o)
{
	struct ckpt_external *e;
	size_t i;

	for (i = 0; i < o->n_veths; i++) {
		if (strlen(o->veths[i]->if_out) >= 16)
			return criu_fail(c, EINVAL, "veths %s: outer name %s is too long",
					 o->veths[i]->if_in, o->veths[i]->if_out);
		e = criu_ext_add(c, r, CKPT_EXT_VETH, o->veths[i]->if_in);
		if (!e)
			return -1;
		snprintf(e->name, sizeof(e->name), "%s", o->veths[i]->if_out);
	}
	return 0;
}

/*
 * The consoles of the image: PTYs whose master was outside the tasks and
 * whose slave was a session's controlling terminal (runc run -t).  Each
 * is a CKPT_EXT_PTY whose placeholder, /dev/null, restart(2) replaces
 * with the new master, which goes to the caller with orphan-pts-master.
 */
static int criu_restore_consoles(struct criu_ctx *c, struct criu_restore *r, const CriuOpts *o)
{
	struct ckpt_external *e;
	char key[CRIU_KEY_MAX + 1];
	uint32_t index;
	unsigned int i;

	for (i = 0; i < r->info.nr_orphan_ptys; i++) {
		index = r->info.orphan_pty[i];
		if (!o->has_orphan_pts_master || !o->orphan_pts_master)
			return criu_fail(c, EOPNOTSUPP,
					 "%s has a console, pty:[%u] (/dev/pts/%u, the tasks' controlling terminal, its master outside them): orphan_pts_master is needed to receive its new master",
					 CRIU_IMG_FILE, index, index);
		if (!c->notify)
			return criu_fail(c, EINVAL,
					 "pty:[%u]: orphan_pts_master needs notify_scripts: the new master goes with the orphan-pts-master notification",
					 index);
		snprintf(key, sizeof(key), "pty:[%u]", index);
		e = criu_ext_add(c, r, CKPT_EXT_PTY, key);
		if (!e)
			return -1;
		e->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (e->fd < 0) {
			r->nr_ext--;
			return criu_fail(c, errno, "/dev/null: %s", strerror(errno));
		}
		r->ours[r->nr_ext - 1] = true;
		criu_log(c, "console %s: its new master goes with orphan-pts-master", key);
	}
	return 0;
}

/* root: the tasks' root mount, or, without a mount namespace, a chroot */
static int criu_restore_root(struct criu_ctx *c, struct criu_restore *r, const char *root)
{
	struct ckpt_external *e;

	if (!r->info.mntns) {
		r->chroot = root;
		criu_log(c,
			 "root %s: the image has no mount namespace: chroot there before restart(2)",
			 root);
		return 0;
	}
	if (criu_ext_has(r, CKPT_EXT_MOUNT, "/")) {
		criu_log(c, "root %s: not used, an external mount / is given", root);
		return 0;
	}
	e = criu_ext_add(c, r, CKPT_EXT_MOUNT, "/");
	if (!e)
		return -1;
	e->fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->fd < 0) {
		r->nr_ext--;
		return criu_fail(c, errno, "root %s: %s", root, strerror(errno));
	}
	r->ours[r->nr_ext - 1] = true;
	criu_log(c, "root %s: the tasks' root mount (external mount /)", root);
	return 0;
}

static int criu_restore_externals(struct criu_ctx *c, struct criu_restore *r, const CriuOpts *o)
{
	size_t i;

	for (i = 0; i < o->n_ext_mnt; i++)
		if (criu_restore_mount(c, r, o->ext_mnt[i]->key, o->ext_mnt[i]->val))
			return -1;
	for (i = 0; i < o->n_external; i++)
		if (criu_restore_external(c, r, o->external[i]))
			return -1;
	for (i = 0; i < o->n_inherit_fd; i++)
		if (criu_restore_inherit(c, r, o->inherit_fd[i]->key, o->inherit_fd[i]->fd))
			return -1;
	if (criu_restore_veths(c, r, o) || criu_restore_cg_roots(c, r, o) ||
	    criu_restore_consoles(c, r, o))
		return -1;
	if (o->root && *o->root && criu_restore_root(c, r, o->root))
		return -1;
	if (r->dump && r->dump->netns_key && r->netns < 0)
		return criu_fail(c, EINVAL,
				 "the tasks' network namespace was external at DUMP (%s): inherit_fd %s is needed",
				 r->dump->netns_key, r->dump->netns_key);
	if (r->netns >= 0 && r->info.netns)
		return criu_fail(c, EINVAL,
				 "the image has the tasks' network namespace: it cannot be restored into an existing one");
	if (r->nr_ext)
		r->flags |= RESTART_EXTERNAL;
	if (o->has_rst_sibling && o->rst_sibling)
		r->flags |= RESTART_SIBLING;
	return 0;
}

/* The name of the image of parent link level n (1: parent/ckpt.img), or NULL */
static char *criu_parent_path(struct criu_ctx *c, unsigned int n)
{
	char rel[PATH_MAX], path[PATH_MAX + 32], *real;
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		len += snprintf(rel + len, sizeof(rel) - len, "%s/", CRIU_PARENT_LINK);
	snprintf(rel + len, sizeof(rel) - len, "%s", CRIU_IMG_FILE);
	if (faccessat(c->img_dir, rel, R_OK, 0))
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", c->img_dir, rel);
	real = realpath(path, NULL);
	return real ?: strdup(path);
}

/*
 * The parent of the image at @path, from its CHAIN record (a walk of the
 * record headers): 0 if it has none, or if it cannot be read, which
 * ckpt_chain_open() then reports.
 */
static uint64_t criu_chain_parent_of(const char *path)
{
	struct ckpt_img_info info;
	char why[256];
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ret = ckpt_img_scan(fd, false, &info, why, sizeof(why));
	close(fd);
	return ret ? 0 : info.chain_parent;
}

/*
 * An incremental ckpt.img (a DUMP with parent_img): the images it builds
 * on are found as CRIU finds them, through the parent link of each images
 * directory, up to the first that has no parent (older links are not
 * read), then mapped and checked before anything is restored.  They are
 * merged by reference (criu_restore_merge()).
 */
static int criu_restore_parents(struct criu_ctx *c, struct criu_restore *r)
{
	uint64_t parent = r->info.chain_parent;
	unsigned int nr = 0, i;

	if (!parent)
		return 0;
	while (parent && nr < CKPT_CHAIN_MAX &&
	       (r->parent_paths[nr] = criu_parent_path(c, nr + 1)))
		parent = criu_chain_parent_of(r->parent_paths[nr++]);
	if (!nr)
		return criu_fail(c, ENOENT,
				 "%s is incremental (its parent is image %016" PRIx64
				 "), but the images directory has no %s link to its parent's",
				 CRIU_IMG_FILE, r->info.chain_parent, CRIU_PARENT_LINK);
	ckpt_chain_init(&r->parents, true);
	for (i = 0; i < nr; i++)
		if (ckpt_chain_add(&r->parents, r->parent_paths[i]))
			break;
	if (i < nr || ckpt_chain_check(&r->parents, r->img, CRIU_IMG_FILE))
		return criu_fail(c, EINVAL, "the chain of %s: %s", CRIU_IMG_FILE, r->parents.err);
	criu_log(c, "%s is incremental: %u parent image(s) through %s links, merged for restart(2)",
		 CRIU_IMG_FILE, nr, CRIU_PARENT_LINK);
	return 0;
}

/*
 * The chain merged by reference (ckpt merge --refs) into a memfd, small:
 * the pages stay in ckpt.img and its parents, which restart(2) reads as
 * CKPT_EXT_PAGES externals (the chain's descriptors).  The memfd, or -1.
 */
static int criu_restore_merge(struct criu_ctx *c, struct criu_restore *r)
{
	int fd = memfd_create("ckpt-merged", MFD_CLOEXEC), n = -1;

	if (fd < 0)
		return criu_fail(c, errno, "merging the chain: memfd_create: %s", strerror(errno));
	if (lseek(r->img, 0, SEEK_SET) || lseek(fd, 0, SEEK_SET))
		snprintf(r->parents.err, sizeof(r->parents.err), "lseek: %s", strerror(errno));
	else if (!ckpt_chain_merge(&r->parents, r->img, CRIU_IMG_FILE, fd) &&
		 !lseek(fd, 0, SEEK_SET))
		n = ckpt_chain_externals(&r->parents, r->ext + r->nr_ext,
					 CKPT_EXTERNAL_MAX - r->nr_ext);
	if (n < 0) {
		close(fd);
		return criu_fail(c, EIO, "merging the chain: %s", r->parents.err);
	}
	r->nr_ext += n;
	if (n)
		r->flags |= RESTART_EXTERNAL;
	if (r->parents.warn[0])
		criu_log(c, "merging the chain: %s", r->parents.warn);
	criu_log(c, "the chain merged by reference: %u PAGES_FILE record(s)",
		 r->parents.nr_pages_file);
	return fd;
}

/* ckpt.img and ckpt-criu.img */
static int criu_restore_open(struct criu_ctx *c, struct criu_restore *r, const CriuOpts *o)
{
	char why[256];
	int ret;

	if (o->has_empty_ns && (o->empty_ns & ~(uint32_t)CLONE_NEWNET))
		return criu_fail(c, EINVAL, "empty_ns 0x%x: only CLONE_NEWNET can be given",
				 o->empty_ns);
	r->img = openat(c->img_dir, CRIU_IMG_FILE, O_RDONLY | O_CLOEXEC);
	if (r->img < 0)
		return criu_fail(c, errno, "%s in the images directory: %s", CRIU_IMG_FILE,
				 strerror(errno));
	if (ckpt_img_scan(r->img, true, &r->info, why, sizeof(why)))
		return criu_fail(c, EINVAL, "%s: %s", CRIU_IMG_FILE, why);
	criu_log(c, "%s: %u task(s)%s, flags 0x%x%s%s%s, %u console(s)", CRIU_IMG_FILE,
		 r->info.nr_tasks, r->info.container ? " (a container)" : "", r->info.flags,
		 r->info.mntns ? ", mount namespace" : "",
		 r->info.netns ? ", network namespace" : "",
		 r->info.cgroupns ? ", cgroup namespace" : "", r->info.nr_orphan_ptys);
	if (r->info.flags & CHECKPOINT_PREDUMP)
		return criu_fail(c, EINVAL,
				 "%s is a pre-dump: it holds memory only, for a later DUMP with parent_img",
				 CRIU_IMG_FILE);
	if (criu_restore_parents(c, r))
		return -1;
	ret = criu_read_dump_info(c->img_dir, &r->dump);
	if (ret == -ENOENT) {
		criu_log(c, "no %s (not made by ckpt criu): ext_mnt keys are mount points",
			 CRIU_DUMP_INFO_FILE);
		return 0;
	}
	if (ret)
		return criu_fail(c, -ret, "%s: %s", CRIU_DUMP_INFO_FILE, strerror(-ret));
	criu_log(c, "%s: DUMP of pid %d, %zu named mount(s)%s%s", CRIU_DUMP_INFO_FILE,
		 r->dump->pid, r->dump->n_mounts, r->dump->netns_key ? ", external netns " : "",
		 r->dump->netns_key ?: "");
	return 0;
}

static void criu_restore_log_call(struct criu_ctx *c, const struct criu_restore *r)
{
	const struct ckpt_external *e;
	unsigned int i;

	for (i = 0; i < r->nr_ext; i++) {
		e = &r->ext[i];
		if (e->kind == CKPT_EXT_VETH)
			criu_log(c, "external %u: VETH %s, outer end %s", i, e->key, e->name);
		else
			criu_log(c, "external %u: %s %s, fd %d", i, criu_ext_kinds[e->kind], e->key,
				 e->fd);
	}
	criu_log(c, "restart(2), flags 0x%lx%s%s%s, %u external(s)%s%s", r->flags,
		 r->flags & RESTART_EXTERNAL ? " EXTERNAL" : "",
		 r->flags & RESTART_SIBLING ? " SIBLING" : "",
		 r->flags & RESTART_THAW ? " THAW" : "", r->nr_ext,
		 r->chroot ? ", in the chroot " : "", r->chroot ?: "");
}

/* Into the external network namespace and the chroot, then restart(2) */
static int criu_restore_call(struct criu_ctx *c, struct criu_restore *r, pid_t *pid)
{
	struct timespec t0;
	off_t log_start;
	int fd = r->img;
	long ret;

	if (r->netns >= 0 && setns(r->netns, CLONE_NEWNET))
		return criu_fail(c, errno, "cannot enter the network namespace to restore into: %s",
				 strerror(errno));
	if (r->chroot && (chroot(r->chroot) || chdir("/")))
		return criu_fail(c, errno, "cannot enter root %s: %s", r->chroot, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (r->parents.nr_imgs) {
		fd = criu_restore_merge(c, r);
		if (fd < 0)
			return -1;
	}
	criu_restore_log_call(c, r);
	log_start = lseek(c->log_fd, 0, SEEK_END);
	ret = ckpt_sys_restart(fd, r->flags, c->log_fd, r->ext, r->nr_ext);
	if (fd != r->img)
		close(fd);
	r->wall_us = criu_elapsed_us(&t0);
	ckpt_stats_init(&r->stats);
	ckpt_stat_set(&r->stats, CKPT_STAT_WALL_US, r->wall_us);
	if (ret >= 0 && log_start >= 0)
		ckpt_stats_read_log(c->log_fd, log_start, &r->stats);
	if (ret < 0)
		return criu_fail(c, errno, "restart(2) failed: %s%s", strerror(errno),
				 errno == ENOSYS ? " (no restart(2) in this kernel)" :
				 " (see the kernel's error line above)");
	*pid = ret;
	criu_log(c, "restart(2): pid %d, in %" PRIu32 " us; its tasks run", *pid, r->wall_us);
	if (r->stats.stats_line)
		criu_log(c, "the kernel's figures: memory %" PRIu64 " us; pages: %" PRIu64
			 " restored, %" PRIu64 " copy-on-write, %" PRIu64 " copied",
			 r->stats.val[CKPT_STAT_MEMORY_US],
			 r->stats.val[CKPT_STAT_PAGES_RESTORED],
			 r->stats.val[CKPT_STAT_PAGES_COW],
			 r->stats.val[CKPT_STAT_PAGES_COW_COPIED]);
	return 0;
}

/*
 * orphan-pts-master, with the new master of each console: restart(2) put
 * it in place of the console's placeholder.  CRIU sends it as it restores
 * the tasks' files, after setup-namespaces and before post-restore.
 */
static int criu_restore_send_consoles(struct criu_ctx *c, struct criu_restore *r)
{
	const struct ckpt_external *e;
	unsigned int i, ptn;

	for (i = 0; i < r->nr_ext; i++) {
		e = &r->ext[i];
		if (e->kind != CKPT_EXT_PTY)
			continue;
		if (ioctl(e->fd, TIOCGPTN, &ptn))
			return criu_fail(c, EIO,
					 "console %s: restart(2) did not hand over its new master (see the kernel's log)",
					 e->key);
		criu_log(c, "console %s: new master, slave /dev/pts/%u", e->key, ptn);
		if (criu_notify_fd(c, "orphan-pts-master", 0, e->fd))
			return -1;
	}
	return 0;
}

/*
 * CRIU's notifications after the tasks exist, sent once they run.  A
 * refused setup-namespaces, orphan-pts-master or post-restore kills the
 * restored root (and with it a container); the later ones only log.
 */
static int criu_restore_after(struct criu_ctx *c, struct criu_restore *r, pid_t pid)
{
	int ret;

	ret = criu_notify(c, "setup-namespaces", pid) ?: criu_notify(c, "post-setup-namespaces", 0);
	if (!ret)
		ret = criu_restore_send_consoles(c, r) ?: criu_notify(c, "post-restore", pid);
	if (ret) {
		criu_log(c, "killing the restored pid %d", pid);
		kill(pid, SIGKILL);
		return -1;
	}
	if ((r->info.netns || r->netns >= 0) && criu_notify(c, "network-unlock", 0))
		criu_log(c, "network-unlock refused: the tasks run on");
	if (criu_notify(c, "pre-resume", 0))
		criu_log(c, "pre-resume refused: the tasks run on");
	if (criu_notify(c, "post-resume", 0))
		criu_log(c, "post-resume refused: the tasks run on");
	ret = criu_write_restore_stats(c->work_dir, &r->stats);
	if (ret)
		criu_log(c, "%s: %s", CRIU_STATS_RESTORE, strerror(-ret));
	return 0;
}

/* Close the descriptors opened here, but the consoles' if keep_consoles */
static void criu_restore_close(struct criu_restore *r, bool keep_consoles)
{
	unsigned int i;

	for (i = 0; i < r->nr_ext; i++) {
		if (!r->ours[i] || (keep_consoles && r->ext[i].kind == CKPT_EXT_PTY))
			continue;
		close(r->ext[i].fd);
		r->ours[i] = false;
	}
}

int criu_restore(struct criu_ctx *c, CriuOpts *o, pid_t *pid)
{
	struct criu_restore *r;
	unsigned int i;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return criu_fail(c, ENOMEM, "out of memory");
	r->img = -1;
	r->netns = -1;
	ret = criu_setup(c, o, true) ?: criu_restore_open(c, r, o);
	if (!ret)
		ret = criu_restore_externals(c, r, o) ?: criu_kernel_ok(c) ?:
		      criu_notify(c, "pre-restore", 0);
	if (!ret)
		ret = criu_restore_call(c, r, pid);
	/* The consoles' new masters are needed until orphan-pts-master */
	criu_restore_close(r, !ret);
	if (r->img >= 0)
		close(r->img);
	if (!ret)
		ret = criu_restore_after(c, r, *pid);
	criu_restore_close(r, false);
	if (r->dump)
		ckpt_criu_dump__free_unpacked(r->dump, NULL);
	ckpt_chain_close(&r->parents);
	for (i = 0; i < CKPT_CHAIN_MAX; i++)
		free(r->parent_paths[i]);
	free(r);
	criu_log(c, "RESTORE %s", ret ? "failed" : "done");
	return ret;
}
