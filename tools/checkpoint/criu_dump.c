// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt criu: DUMP, with checkpoint(2).
 *
 * The tree of opts.pid (a container's init: the kernel saves the whole
 * container) goes into <images_dir>/ckpt.img; inventory.img marks the
 * directory as holding a checkpoint, ckpt-criu.img keeps what RESTORE
 * needs to know of the request (criu_img.c), stats-dump goes to the work
 * directory.  Notifications as CRIU sends them (cr-dump.c): pre-dump,
 * network-lock when the tasks have a network namespace of their own,
 * post-dump once the image is complete, network-unlock after a failure or
 * with leave_running.  checkpoint(2) kills the tasks itself with
 * CHECKPOINT_KILL, before post-dump.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criu.h"

#define CRIU_MOUNTS_MAX		CKPT_EXTERNAL_MAX

struct criu_dump {
	pid_t pid;
	unsigned long flags;		/* CHECKPOINT_* */
	bool predump;			/* PRE_DUMP: memory only, the tasks run on */
	const char *parent;		/* parent_img, or NULL */
	uint64_t parent_id;		/* its image's CHAIN id */
	bool own_netns, own_mntns;
	bool net_locked;		/* network-lock was notified */
	int netns;			/* external network namespace to enter, or -1 */
	int img;			/* ckpt.img */
	off_t log_start;		/* the kernel's lines start there */
	uint32_t wall_us;		/* checkpoint(2)'s wall time */
	CkptCriuDump info;
	CkptCriuMount mounts[CRIU_MOUNTS_MAX];
	struct CkptCriuMount *mount_ptrs[CRIU_MOUNTS_MAX];
	char *ext_copies[CRIU_MOUNTS_MAX + 1];	/* criu_parse_external()'s */
	unsigned int nr_copies;
};

/* Does pid have a namespace of its own, other than ours?  1, 0, or -1 */
static int criu_ns_own(struct criu_ctx *c, pid_t pid, const char *ns, ino_t *ino)
{
	char path[64];
	struct stat st, self;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	if (stat(path, &st))
		return criu_fail(c, errno, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	if (stat(path, &self))
		return criu_fail(c, errno, "%s: %s", path, strerror(errno));
	if (ino)
		*ino = st.st_ino;
	return st.st_ino != self.st_ino || st.st_dev != self.st_dev;
}

static void criu_flags_str(unsigned long flags, char *buf, size_t len)
{
	snprintf(buf, len, "0x%lx%s%s%s%s%s%s%s%s", flags,
		 flags & CHECKPOINT_PREDUMP ? " PREDUMP" : "",
		 flags & CHECKPOINT_INCREMENTAL ? " INCREMENTAL" : "",
		 flags & CHECKPOINT_TRACK ? " TRACK" : "",
		 flags & CHECKPOINT_KILL ? " KILL" : "",
		 flags & CHECKPOINT_SUBTREE ? " SUBTREE" : "",
		 flags & CHECKPOINT_SHARED_OK ? " SHARED_OK" : "",
		 flags & CHECKPOINT_ROOT_RELATIVE ? " ROOT_RELATIVE" : "",
		 flags & CHECKPOINT_EXT_UNIX_SK ? " EXT_UNIX_SK" : "");
}

/* A mount the caller named (ext_mnt, external mnt[]): kept for RESTORE */
static int criu_dump_mount(struct criu_ctx *c, struct criu_dump *d, const char *mp,
			   const char *name)
{
	CkptCriuMount *m;

	if (d->info.n_mounts == CRIU_MOUNTS_MAX)
		return criu_fail(c, E2BIG, "more than %d external mounts", CRIU_MOUNTS_MAX);
	if (mp[0] != '/')
		return criu_fail(c, EINVAL, "external mount %s: not an absolute path", mp);
	if (strlen(mp) >= sizeof(((struct ckpt_external *)0)->key))
		criu_log(c,
			 "external mount %s: longer than 63 bytes, restart(2) cannot be given it if the kernel finds it external",
			 mp);
	m = &d->mounts[d->info.n_mounts];
	ckpt_criu_mount__init(m);
	m->mountpoint = (char *)mp;
	m->name = (char *)name;
	d->mount_ptrs[d->info.n_mounts++] = m;
	criu_log(c, "external mount %s, named %s", mp, name);
	return 0;
}

/* external "net[INO]:KEY": the tasks' network namespace stays outside the image */
static int criu_dump_ext_net(struct criu_ctx *c, struct criu_dump *d, const char *key,
			     const char *val)
{
	char path[64], *end;
	ino_t ino;
	unsigned long long want;

	errno = 0;
	want = strtoull(key, &end, 10);
	if (errno || end == key || *end || !val || !*val)
		return criu_fail(c, EINVAL, "external net[%s]%s%s: want net[INO]:KEY", key,
				 val ? ":" : "", val ?: "");
	if (criu_ns_own(c, d->pid, "net", &ino) < 0)
		return -1;
	if (ino != want) {
		criu_log(c,
			 "external net[%s]: not the tasks' network namespace (inode %ju): nothing to do",
			 key, (uintmax_t)ino);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", d->pid);
	d->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (d->netns < 0)
		return criu_fail(c, errno, "%s: %s", path, strerror(errno));
	d->info.netns_key = (char *)val;
	criu_log(c,
		 "external net[%s]:%s: the tasks' network namespace is external: checkpoint(2) is called from inside it, and RESTORE needs inherit_fd %s",
		 key, val, val);
	return 0;
}

static int criu_dump_external(struct criu_ctx *c, struct criu_dump *d, const char *ext)
{
	char *key = NULL, *val = NULL;
	bool net = false;
	int ret;

	ret = criu_parse_external(ext, "mnt", &key, &val);
	if (!ret) {
		net = true;
		ret = criu_parse_external(ext, "net", &key, &val);
	}
	if (!ret)
		return criu_fail(c, EOPNOTSUPP,
				 "external %s: only mnt[MOUNTPOINT]:NAME and net[INO]:KEY (the tasks' own) can be honoured",
				 ext);
	if (ret > 0)
		d->ext_copies[d->nr_copies++] = key;
	if (ret < 0 || !val)
		return criu_fail(c, EINVAL, "external %s: malformed", ext);
	if (net)
		return criu_dump_ext_net(c, d, key, val);
	return criu_dump_mount(c, d, key, val);
}

static int criu_dump_externals(struct criu_ctx *c, struct criu_dump *d, const CriuOpts *o)
{
	size_t i;

	for (i = 0; i < o->n_ext_mnt; i++)
		if (criu_dump_mount(c, d, o->ext_mnt[i]->key, o->ext_mnt[i]->val))
			return -1;
	for (i = 0; i < o->n_external; i++) {
		if (d->nr_copies == ARRAY_SIZE(d->ext_copies))
			return criu_fail(c, E2BIG, "too many external entries");
		if (criu_dump_external(c, d, o->external[i]))
			return -1;
	}
	return 0;
}

/*
 * parent_img: the images directory of the previous pre-dump, relative to
 * ours, as CRIU takes it.  Its image must be one this front end wrote
 * with tracking (a pre-dump, or a DUMP with leave_running and track_mem):
 * its CHAIN id is what our image must name as its parent.
 */
static int criu_dump_parent(struct criu_ctx *c, struct criu_dump *d, const CriuOpts *o)
{
	struct ckpt_img_info info;
	char path[PATH_MAX], why[256];
	int fd, ret;

	if (!o->parent_img || !*o->parent_img)
		return 0;
	d->parent = o->parent_img;
	if (snprintf(path, sizeof(path), "%s/%s", d->parent, CRIU_IMG_FILE) >= (int)sizeof(path))
		return criu_fail(c, ENAMETOOLONG, "parent_img %s: too long", d->parent);
	fd = openat(c->img_dir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return criu_fail(c, errno, "parent_img %s: %s: %s", d->parent, CRIU_IMG_FILE,
				 strerror(errno));
	ret = ckpt_img_scan(fd, true, &info, why, sizeof(why));
	close(fd);
	if (ret)
		return criu_fail(c, EINVAL, "parent_img %s: %s: %s", d->parent, CRIU_IMG_FILE,
				 why);
	if (!info.chain_id)
		return criu_fail(c, EINVAL,
				 "parent_img %s: its image was taken without memory tracking (no CHAIN record): not a pre-dump",
				 d->parent);
	d->parent_id = info.chain_id;
	criu_log(c, "parent_img %s: image %016" PRIx64 "%s", d->parent, d->parent_id,
		 info.flags & CHECKPOINT_PREDUMP ? " (a pre-dump)" : "");
	return 0;
}

/*
 * After checkpoint(2) with a parent: the kernel named as parent the
 * image the tasks' memory was last tracked for.  If it is not
 * parent_img's, someone else tracked them since: RESTORE would not find
 * the pages.  The image stays, for whoever has that parent.
 */
static int criu_dump_check_chain(struct criu_ctx *c, struct criu_dump *d)
{
	struct ckpt_img_info info;
	char why[256];

	if (!d->parent)
		return 0;
	if (ckpt_img_scan(d->img, true, &info, why, sizeof(why)))
		return criu_fail(c, EINVAL, "%s: %s", CRIU_IMG_FILE, why);
	if (!info.chain_parent) {
		criu_log(c,
			 "%s is complete (the tasks' memory was not tracked): parent_img %s is not needed",
			 CRIU_IMG_FILE, d->parent);
		return 0;
	}
	if (info.chain_parent != d->parent_id)
		return criu_fail(c, EINVAL,
				 "%s names image %016" PRIx64
				 " as its parent, not parent_img %s (%016" PRIx64
				 "): the tasks were checkpointed with tracking since",
				 CRIU_IMG_FILE, info.chain_parent, d->parent, d->parent_id);
	/* As CRIU: RESTORE finds the chain through it */
	unlinkat(c->img_dir, CRIU_PARENT_LINK, 0);
	if (symlinkat(d->parent, c->img_dir, CRIU_PARENT_LINK))
		return criu_fail(c, errno, "%s -> %s: %s", CRIU_PARENT_LINK, d->parent,
				 strerror(errno));
	criu_log(c, "%s: incremental, image %016" PRIx64 " on %016" PRIx64 "; %s -> %s",
		 CRIU_IMG_FILE, info.chain_id, info.chain_parent, CRIU_PARENT_LINK, d->parent);
	return 0;
}

/* The tasks, and the checkpoint(2) flags the request asks for */
static int criu_dump_plan(struct criu_ctx *c, struct criu_dump *d, const CriuOpts *o)
{
	char buf[128];
	int own;

	if (!o->has_pid || o->pid <= 0 || o->pid == getpid() || o->pid == c->peer)
		return criu_fail(c, EINVAL,
				 "pid %d: the root of the tree to dump is needed (dumping the caller is not supported)",
				 o->has_pid ? o->pid : 0);
	d->pid = o->pid;
	if (o->has_empty_ns && (o->empty_ns & ~(uint32_t)CLONE_NEWNET))
		return criu_fail(c, EINVAL, "empty_ns 0x%x: only CLONE_NEWNET can be given",
				 o->empty_ns);
	own = criu_ns_own(c, d->pid, "net", NULL);
	d->own_netns = own > 0;
	if (own >= 0)
		own = criu_ns_own(c, d->pid, "mnt", NULL);
	d->own_mntns = own > 0;
	if (own < 0)
		return -1;
	if (o->has_empty_ns && (o->empty_ns & CLONE_NEWNET))
		criu_log(c,
			 "empty_ns CLONE_NEWNET: accepted; a network namespace of the tasks' own is saved in the image with its devices, addresses and routes (its loopback at least), and restored with them");
	d->flags = CHECKPOINT_SHARED_OK;
	if (d->predump)
		d->flags |= CHECKPOINT_PREDUMP;
	else if (!(o->has_leave_running && o->leave_running))
		d->flags |= CHECKPOINT_KILL;
	else if (o->has_track_mem && o->track_mem)
		d->flags |= CHECKPOINT_TRACK;
	if (d->parent)
		d->flags |= CHECKPOINT_INCREMENTAL;
	if (o->has_ext_unix_sk && o->ext_unix_sk)
		d->flags |= CHECKPOINT_EXT_UNIX_SK;
	if (o->root && *o->root && !d->own_mntns)
		d->flags |= CHECKPOINT_ROOT_RELATIVE;
	criu_flags_str(d->flags, buf, sizeof(buf));
	criu_log(c, "pid %d: %s network namespace, %s mount namespace%s; flags %s", d->pid,
		 d->own_netns ? "its own" : "our", d->own_mntns ? "its own" : "our",
		 d->flags & CHECKPOINT_ROOT_RELATIVE ? " (root: paths from the tasks' root)" : "",
		 buf);
	return criu_dump_externals(c, d, o);
}

/*
 * checkpoint(2), again from the start of the image if the tree changed
 * meanwhile (EAGAIN, as `ckpt checkpoint` does: ckpt.h)
 */
static int criu_dump_call(struct criu_ctx *c, struct criu_dump *d)
{
	struct timespec t0;
	long ret;
	int i;

	for (i = 1; ; i++) {
		d->log_start = lseek(c->log_fd, 0, SEEK_END);
		criu_log(c, "checkpoint(2) of pid %d, flags 0x%lx (try %d)", d->pid, d->flags, i);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = ckpt_sys_checkpoint(d->pid, d->img, d->flags, c->log_fd);
		d->wall_us = criu_elapsed_us(&t0);
		if (!ret) {
			criu_log(c, "checkpoint(2): done in %" PRIu32 " us", d->wall_us);
			return 0;
		}
		if (errno != EAGAIN || i == CKPT_EAGAIN_TRIES || ftruncate(d->img, 0) ||
		    lseek(d->img, 0, SEEK_SET))
			break;
		criu_log(c, "checkpoint(2): the tree changed while it was saved (EAGAIN): again");
		ckpt_eagain_wait(i);
	}
	return criu_fail(c, errno, "checkpoint(2) of pid %d failed: %s%s", d->pid, strerror(errno),
			 errno == ENOSYS ? " (no checkpoint(2) in this kernel)" :
			 " (see the kernel's error line above)");
}

/* Enter the external network namespace for the call, and come back */
static int criu_dump_in_netns(struct criu_ctx *c, struct criu_dump *d)
{
	int self, ret;

	if (d->netns < 0)
		return criu_dump_call(c, d);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return criu_fail(c, errno, "/proc/self/ns/net: %s", strerror(errno));
	if (setns(d->netns, CLONE_NEWNET)) {
		ret = criu_fail(c, errno, "cannot enter the tasks' network namespace: %s",
				strerror(errno));
	} else {
		ret = criu_dump_call(c, d);
		if (setns(self, CLONE_NEWNET))
			criu_log(c, "cannot come back to our network namespace: %s",
				 strerror(errno));
	}
	close(self);
	return ret;
}

/*
 * What the kernel said of the checkpoint (its log, from log_start on);
 * the pages of ckpt.img if it did not say how many it wrote
 */
static void criu_dump_stats(struct criu_ctx *c, struct criu_dump *d, struct ckpt_stats *s)
{
	struct ckpt_img_info info;
	char why[256];

	ckpt_stats_init(s);
	ckpt_stat_set(s, CKPT_STAT_WALL_US, d->wall_us);
	ckpt_stats_read_log(c->log_fd, d->log_start, s);
	if (ckpt_stat_has(s, CKPT_STAT_FROZEN_US))
		criu_log(c, "the kernel saved %" PRIu64 " task(s), %" PRIu64 " bytes, %" PRIu64
			 " records; %" PRIu64 " us frozen", s->val[CKPT_STAT_TASKS],
			 s->val[CKPT_STAT_IMAGE_BYTES], s->val[CKPT_STAT_RECORDS],
			 s->val[CKPT_STAT_FROZEN_US]);
	else
		criu_log(c, "no summary line from the kernel in the log: frozen time unknown");
	if (s->stats_line)
		criu_log(c, "the kernel's figures: memory %" PRIu64 " us; pages: %" PRIu64
			 " scanned, %" PRIu64 " written, %" PRIu64 " copy-on-write, %" PRIu64
			 " skipped", s->val[CKPT_STAT_MEMORY_US], s->val[CKPT_STAT_PAGES_SCANNED],
			 s->val[CKPT_STAT_PAGES_WRITTEN], s->val[CKPT_STAT_PAGES_COW],
			 s->val[CKPT_STAT_PAGES_SKIPPED]);
	if (ckpt_stat_has(s, CKPT_STAT_PAGES_WRITTEN))
		return;
	if (!ckpt_img_scan(d->img, true, &info, why, sizeof(why)))
		ckpt_stat_set(s, CKPT_STAT_PAGES_WRITTEN, info.pages);
	else
		criu_log(c, "%s: %s: pages unknown", CRIU_IMG_FILE, why);
}

/* The files besides ckpt.img; a failure is logged, the image stays good */
static void criu_dump_files(struct criu_ctx *c, struct criu_dump *d, const CriuOpts *o)
{
	struct ckpt_stats s;
	int ret;

	criu_dump_stats(c, d, &s);
	ret = criu_write_dump_stats(c->work_dir, &s);
	if (ret)
		criu_log(c, "%s: %s", CRIU_STATS_DUMP, strerror(-ret));
	ret = criu_write_inventory(c->img_dir, o->has_network_lock ? o->network_lock : 1);
	if (ret)
		criu_fail(c, -ret, "%s: %s", CRIU_INVENTORY_FILE, strerror(-ret));
	criu_log(c, "wrote %s, %s (work directory: %s): %" PRIu64 " pages, %" PRIu64 " us frozen",
		 CRIU_INVENTORY_FILE, CRIU_DUMP_INFO_FILE, CRIU_STATS_DUMP,
		 s.val[CKPT_STAT_PAGES_WRITTEN], s.val[CKPT_STAT_FROZEN_US]);
}

static int criu_dump_info(struct criu_ctx *c, struct criu_dump *d)
{
	int ret;

	d->info.pid = d->pid;
	d->info.flags = d->flags;
	d->info.mounts = d->mount_ptrs;
	d->info.has_own_netns = true;
	d->info.has_own_mntns = true;
	d->info.own_netns = d->own_netns && d->netns < 0;
	d->info.own_mntns = d->own_mntns;
	ret = criu_write_dump_info(c->img_dir, &d->info);
	return ret ? criu_fail(c, -ret, "%s: %s", CRIU_DUMP_INFO_FILE, strerror(-ret)) : 0;
}

/*
 * checkpoint(2) into ckpt.img, then ckpt-criu.img (not for a pre-dump);
 * ckpt.img is removed if either fails.  If its chain does not lead to
 * parent_img, ckpt.img stays, for whoever has its parent.
 */
static int criu_dump_image(struct criu_ctx *c, struct criu_dump *d)
{
	int ret;

	d->img = openat(c->img_dir, CRIU_IMG_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (d->img < 0)
		return criu_fail(c, errno, "%s: %s", CRIU_IMG_FILE, strerror(errno));
	ret = criu_dump_in_netns(c, d) ?: d->predump ? 0 : criu_dump_info(c, d);
	if (ret) {
		unlinkat(c->img_dir, CRIU_IMG_FILE, 0);
		return ret;
	}
	return criu_dump_check_chain(c, d);
}

/*
 * PRE_DUMP: checkpoint(2) with CHECKPOINT_PREDUMP, the tasks frozen only
 * while their pages are found; no notification, as CRIU sends none.  The
 * image holds memory only: RESTORE refuses it, a later DUMP with
 * parent_img here builds on it.
 */
static int criu_predump_run(struct criu_ctx *c, struct criu_dump *d)
{
	struct ckpt_stats s;
	int ret;

	if (criu_dump_image(c, d))
		return -1;
	criu_dump_stats(c, d, &s);
	ret = criu_write_dump_stats(c->work_dir, &s);
	if (ret)
		criu_log(c, "%s: %s", CRIU_STATS_DUMP, strerror(-ret));
	criu_log(c, "pre-dump %s complete: %" PRIu64 " pages, %" PRIu64 " us frozen; the tasks run",
		 CRIU_IMG_FILE, s.val[CKPT_STAT_PAGES_WRITTEN], s.val[CKPT_STAT_FROZEN_US]);
	return c->err ? -1 : 0;
}

/* From the notifications before checkpoint(2) to those after it */
static int criu_dump_run(struct criu_ctx *c, struct criu_dump *d, CriuOpts *o)
{
	bool leave = o->has_leave_running && o->leave_running;
	int ret;

	if (d->predump)
		return criu_predump_run(c, d);
	if (criu_notify(c, "pre-dump", 0))
		return -1;
	if (d->own_netns) {
		if (criu_notify(c, "network-lock", 0))
			return -1;
		d->net_locked = true;
	}
	ret = criu_dump_image(c, d);
	if (ret)
		return ret;
	criu_log(c, "image %s complete; the tasks are %s", CRIU_IMG_FILE,
		 leave ? "running" : "dead (CHECKPOINT_KILL)");
	criu_dump_files(c, d, o);
	if (criu_notify(c, "post-dump", 0))
		return criu_fail(c, ECANCELED,
				 "post-dump refused: the image is complete, but the tasks are %s",
				 leave ? "running" : "already dead");
	return c->err ? -1 : 0;
}

int criu_dump(struct criu_ctx *c, CriuOpts *o, bool predump)
{
	struct criu_dump *d;
	bool leave = predump || (o->has_leave_running && o->leave_running);
	unsigned int i;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return criu_fail(c, ENOMEM, "out of memory");
	ckpt_criu_dump__init(&d->info);
	d->info.version = CKPT_CRIU_DUMP_VERSION;
	d->netns = -1;
	d->img = -1;
	d->predump = predump;
	ret = criu_setup(c, o, false) ?: criu_dump_parent(c, d, o) ?: criu_dump_plan(c, d, o) ?:
	      criu_kernel_ok(c);
	if (!ret)
		ret = criu_dump_run(c, d, o);
	if (d->net_locked && (ret || leave))
		criu_notify(c, "network-unlock", 0);
	if (d->img >= 0)
		close(d->img);
	if (d->netns >= 0)
		close(d->netns);
	for (i = 0; i < d->nr_copies; i++)
		free(d->ext_copies[i]);
	free(d);
	criu_log(c, "%s %s", predump ? "PRE_DUMP" : "DUMP", ret ? "failed" : "done");
	return ret;
}
