// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of anonymous-inode files: eventfd, timerfd, signalfd,
 * epoll and inotify.
 *
 * Such a file has no path to reopen.  Its FILE record (path_len 0) says
 * which kind it is and is followed by a record of that kind with the
 * state the kind's own interface shows (counter, timer, mask, interest
 * list).  Restart creates a new file of the kind with that state, without
 * a descriptor: fs/checkpoint.c installs it in the descriptor tables.
 *
 * An epoll's target files are saved as FILE objects before the epoll, so
 * at restart they exist when the epoll is filled; its items are added by
 * file and by the descriptor number they were added under, which need not
 * be installed yet.  An inotify's watches are saved by the path of their
 * inode and keep their watch descriptors.  Other anonymous files
 * (io_uring, perf events, bpf, userfaultfd, fanotify, pidfd, ...) make
 * checkpoint fail, named by fs/checkpoint.c as "anon_inode:[kind]".
 */
#include <linux/checkpoint_file.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/inotify.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/uaccess.h>
#include <linux/eventpoll.h>	/* after fs.h and uaccess.h, which it uses */
#include <linux/magic.h>
#include <linux/signalfd.h>
#include <linux/slab.h>
#include <linux/time.h>
#include <linux/timerfd.h>

#include "mount.h"

/* f_flags of an anonymous file that the image holds */
#define CKPT_ANON_FLAGS	(O_ACCMODE | O_NONBLOCK)

/* epoll_event.events bits that an item may have */
#define CKPT_EPOLL_EVENTS (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR |	\
			   EPOLLHUP | EPOLLNVAL | EPOLLRDNORM |		\
			   EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |	\
			   EPOLLMSG | EPOLLRDHUP | EPOLLEXCLUSIVE |	\
			   EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)

/* Whether @file is the anonymous-inode file called @name */
static bool ckpt_anon_is(struct file *file, const char *name)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, name);
}

/* The FILE record of an anonymous file: no path, no position */
static int ckpt_anon_write_file(struct ckpt_ctx *ctx, struct file *file,
				u32 objref, u32 kind)
{
	struct ckpt_file rec = {
		.objref = cpu_to_le32(objref),
		.kind = cpu_to_le32(kind),
		.f_flags = cpu_to_le32(file->f_flags & CKPT_ANON_FLAGS),
		.mode = cpu_to_le32(file_inode(file)->i_mode),
		.fd_hint = cpu_to_le32(ctx->fd_hint),
	};

	return ckpt_write_rec(ctx, CKPT_REC_FILE, &rec, sizeof(rec));
}

/* A kind this kernel is built without */
static struct file *ckpt_anon_missing(struct ckpt_ctx *ctx, const struct ckpt_file *rec)
{
	ckpt_err(ctx, -EOPNOTSUPP, "FILE kind %u is not in this kernel", le32_to_cpu(rec->kind));
	return ERR_PTR(-EOPNOTSUPP);
}

/* What an anonymous file's FILE record must be beyond its kind's table entry */
static int ckpt_anon_check(struct ckpt_ctx *ctx, const struct ckpt_file *rec)
{
	if (rec->pos || (le32_to_cpu(rec->f_flags) & O_ACCMODE) == 3)
		return ckpt_err(ctx, -EINVAL, "FILE of kind %u: invalid path, position or flags",
				le32_to_cpu(rec->kind));
	return 0;
}

/* ---- eventfd ---- */

static int ckpt_eventfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   u32 objref)
{
	struct ckpt_eventfd rec = {};
	struct eventfd_ctx *efd;
	unsigned int flags;
	u64 count;
	int ret;

	if (!IS_ENABLED(CONFIG_EVENTFD))
		return -EOPNOTSUPP;
	efd = eventfd_ctx_fileget(file);
	if (IS_ERR(efd))
		return PTR_ERR(efd);
	eventfd_ctx_get_state(efd, &count, &flags);
	eventfd_ctx_put(efd);
	rec.count = cpu_to_le64(count);
	rec.flags = cpu_to_le32(flags & EFD_SEMAPHORE ? CKPT_EFD_SEMAPHORE : 0);
	ret = ckpt_anon_write_file(ctx, file, objref, CKPT_FILE_EVENTFD);
	if (!ret)
		ret = ckpt_write_rec(ctx, CKPT_REC_EVENTFD, &rec, sizeof(rec));
	return ret;
}

static struct file *ckpt_eventfd_restart(struct ckpt_ctx *ctx,
					 const struct ckpt_file *frec, const char *path)
{
	u32 f_flags = le32_to_cpu(frec->f_flags);
	struct ckpt_eventfd rec;
	struct file *file;
	u32 flags;
	u64 count;
	int ret;

	if (!IS_ENABLED(CONFIG_EVENTFD))
		return ckpt_anon_missing(ctx, frec);
	ret = ckpt_anon_check(ctx, frec);
	if (ret)
		return ERR_PTR(ret);
	ret = ckpt_read_rec(ctx, CKPT_REC_EVENTFD, &rec, sizeof(rec));
	if (ret)
		return ERR_PTR(ret);
	flags = le32_to_cpu(rec.flags);
	count = le64_to_cpu(rec.count);
	if (flags & ~CKPT_EFD_SEMAPHORE || rec.__pad || count == ULLONG_MAX) {
		ckpt_err(ctx, -EINVAL, "EVENTFD record has invalid flags or counter");
		return ERR_PTR(-EINVAL);
	}
	file = eventfd_file_create(count, (flags & CKPT_EFD_SEMAPHORE ? EFD_SEMAPHORE : 0) |
				   (f_flags & O_NONBLOCK));
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot create an eventfd");
	return file;
}

static bool ckpt_eventfd_match(struct ckpt_ctx *ctx, struct file *file)
{
	return IS_ENABLED(CONFIG_EVENTFD) && ckpt_anon_is(file, "[eventfd]");
}

CKPT_FILE_OPS(EVENTFD) = {
	.follows = CKPT_REC_EVENTFD,
	.f_flags = CKPT_ANON_FLAGS,
	.match = ckpt_eventfd_match,
	.checkpoint = ckpt_eventfd_checkpoint,
	.restart = ckpt_eventfd_restart,
};

/* ---- timerfd ---- */

static int ckpt_timerfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   u32 objref)
{
	struct ckpt_timerfd rec = {};
	unsigned int settime_flags;
	struct itimerspec64 t;
	int clockid, ret;
	u64 ticks;

	if (!IS_ENABLED(CONFIG_TIMERFD))
		return -EOPNOTSUPP;
	ret = timerfd_get_state(file, &clockid, &settime_flags, &t, &ticks);
	if (ret)
		return ret;
	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC &&
	    clockid != CLOCK_BOOTTIME)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"anon_inode:[timerfd] (object %u) on alarm clock %d cannot be saved yet",
				objref, clockid);
	if (settime_flags & TFD_TIMER_CANCEL_ON_SET)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"anon_inode:[timerfd] (object %u) with TFD_TIMER_CANCEL_ON_SET cannot be saved yet",
				objref);
	rec.clockid = cpu_to_le32(clockid);
	rec.flags = cpu_to_le32(settime_flags & TFD_TIMER_ABSTIME ? CKPT_TFD_ABSTIME : 0);
	rec.value_ns = cpu_to_le64(timespec64_to_ns(&t.it_value));
	rec.interval_ns = cpu_to_le64(timespec64_to_ns(&t.it_interval));
	rec.ticks = cpu_to_le64(ticks);
	ret = ckpt_anon_write_file(ctx, file, objref, CKPT_FILE_TIMERFD);
	if (!ret)
		ret = ckpt_write_rec(ctx, CKPT_REC_TIMERFD, &rec, sizeof(rec));
	return ret;
}

static struct file *ckpt_timerfd_restart(struct ckpt_ctx *ctx,
					 const struct ckpt_file *frec, const char *path)
{
	u32 f_flags = le32_to_cpu(frec->f_flags);
	struct ckpt_timerfd rec;
	struct itimerspec64 t;
	struct file *file;
	u64 value, interval;
	int clockid, ret;

	if (!IS_ENABLED(CONFIG_TIMERFD))
		return ckpt_anon_missing(ctx, frec);
	ret = ckpt_anon_check(ctx, frec);
	if (ret)
		return ERR_PTR(ret);
	ret = ckpt_read_rec(ctx, CKPT_REC_TIMERFD, &rec, sizeof(rec));
	if (ret)
		return ERR_PTR(ret);
	clockid = le32_to_cpu(rec.clockid);
	value = le64_to_cpu(rec.value_ns);
	interval = le64_to_cpu(rec.interval_ns);
	if ((clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC &&
	     clockid != CLOCK_BOOTTIME) ||
	    le32_to_cpu(rec.flags) & ~CKPT_TFD_ABSTIME ||
	    value > KTIME_MAX || interval > KTIME_MAX) {
		ckpt_err(ctx, -EINVAL, "TIMERFD record has an invalid clock, flags or time");
		return ERR_PTR(-EINVAL);
	}
	t.it_value = ns_to_timespec64(value);
	t.it_interval = ns_to_timespec64(interval);
	file = timerfd_file_create(clockid, f_flags & O_NONBLOCK);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot create a timerfd");
		return file;
	}
	ret = timerfd_set_state(file, &t, le64_to_cpu(rec.ticks));
	if (ret) {
		fput(file);
		ckpt_err(ctx, ret, "cannot arm a timerfd");
		return ERR_PTR(ret);
	}
	return file;
}

static bool ckpt_timerfd_match(struct ckpt_ctx *ctx, struct file *file)
{
	return IS_ENABLED(CONFIG_TIMERFD) && ckpt_anon_is(file, "[timerfd]");
}

CKPT_FILE_OPS(TIMERFD) = {
	.follows = CKPT_REC_TIMERFD,
	.f_flags = CKPT_ANON_FLAGS,
	.match = ckpt_timerfd_match,
	.checkpoint = ckpt_timerfd_checkpoint,
	.restart = ckpt_timerfd_restart,
};

/* ---- signalfd ---- */

static int ckpt_signalfd_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				    u32 objref)
{
	struct ckpt_signalfd rec;
	sigset_t mask;
	int ret;

	if (!IS_ENABLED(CONFIG_SIGNALFD))
		return -EOPNOTSUPP;
	BUILD_BUG_ON(_NSIG_WORDS != 1);
	ret = signalfd_get_mask(file, &mask);
	if (ret)
		return ret;
	rec.mask = cpu_to_le64(mask.sig[0]);
	ret = ckpt_anon_write_file(ctx, file, objref, CKPT_FILE_SIGNALFD);
	if (!ret)
		ret = ckpt_write_rec(ctx, CKPT_REC_SIGNALFD, &rec, sizeof(rec));
	return ret;
}

static struct file *ckpt_signalfd_restart(struct ckpt_ctx *ctx,
					  const struct ckpt_file *frec, const char *path)
{
	u32 f_flags = le32_to_cpu(frec->f_flags);
	struct ckpt_signalfd rec;
	struct file *file;
	sigset_t mask;
	int ret;

	if (!IS_ENABLED(CONFIG_SIGNALFD))
		return ckpt_anon_missing(ctx, frec);
	ret = ckpt_anon_check(ctx, frec);
	if (ret)
		return ERR_PTR(ret);
	ret = ckpt_read_rec(ctx, CKPT_REC_SIGNALFD, &rec, sizeof(rec));
	if (ret)
		return ERR_PTR(ret);
	mask.sig[0] = le64_to_cpu(rec.mask);
	file = signalfd_file_create(&mask, f_flags & O_NONBLOCK);
	if (IS_ERR(file))
		ckpt_err(ctx, PTR_ERR(file), "cannot create a signalfd");
	return file;
}

static bool ckpt_signalfd_match(struct ckpt_ctx *ctx, struct file *file)
{
	return IS_ENABLED(CONFIG_SIGNALFD) && ckpt_anon_is(file, "[signalfd]");
}

CKPT_FILE_OPS(SIGNALFD) = {
	.follows = CKPT_REC_SIGNALFD,
	.f_flags = CKPT_ANON_FLAGS,
	.match = ckpt_signalfd_match,
	.checkpoint = ckpt_signalfd_checkpoint,
	.restart = ckpt_signalfd_restart,
};

/* ---- epoll ---- */

/* The interest list, each item with a reference on its file */
static struct epoll_item_state *ckpt_epoll_items(struct file *file, int *nr)
{
	struct epoll_item_state *items = NULL;
	int n, max = 0;

	for (;;) {
		n = epoll_get_items(file, items, max);
		if (n < 0) {
			kvfree(items);
			return ERR_PTR(n);
		}
		if (n <= max)
			break;
		while (max--)
			fput(items[max].file);
		kvfree(items);
		max = n + 16;
		items = kvcalloc(max, sizeof(*items), GFP_KERNEL);
		if (!items)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return items;
}

static int ckpt_epoll_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				 u32 objref)
{
	struct ckpt_epoll rec = {};
	struct ckpt_epoll_item *out = NULL;
	struct epoll_item_state *items;
	int i, nr = 0, fd_hint = ctx->fd_hint;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_EPOLL))
		return -EOPNOTSUPP;
	items = ckpt_epoll_items(file, &nr);
	if (IS_ERR(items))
		return PTR_ERR(items);
	out = kvcalloc(nr ?: 1, sizeof(*out), GFP_KERNEL);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	/* The targets first, so that restart finds them when it fills the epoll */
	for (i = 0; i < nr; i++) {
		u32 ref;

		ctx->fd_hint = items[i].fd;
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_file, items[i].file, &ref);
		ctx->fd_hint = fd_hint;
		if (ret) {
			/* The error itself was logged: say where it comes from */
			ckpt_log(ctx,
				 "anon_inode:[eventpoll] (object %u): its item for fd %d cannot be saved",
				 objref, items[i].fd);
			goto out;
		}
		out[i].file_ref = cpu_to_le32(ref);
		out[i].fd = cpu_to_le32(items[i].fd);
		out[i].events = cpu_to_le32((__force u32)items[i].events);
		out[i].data = cpu_to_le64(items[i].data);
	}
	ret = ckpt_anon_write_file(ctx, file, objref, CKPT_FILE_EPOLL);
	if (ret)
		goto out;
	rec.nr_items = cpu_to_le32(nr);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_EPOLL, &rec, sizeof(rec), out,
				 nr * sizeof(*out));
out:
	for (i = 0; i < nr; i++)
		fput(items[i].file);
	kvfree(items);
	kvfree(out);
	return ret;
}

static int ckpt_epoll_add(struct ckpt_ctx *ctx, struct file *file,
			  const struct ckpt_epoll_item *item, u32 i)
{
	u32 events = le32_to_cpu(item->events), fd = le32_to_cpu(item->fd);
	struct epoll_event epds;
	struct file *tfile;
	int ret;

	if (events & ~(__force u32)CKPT_EPOLL_EVENTS || fd > INT_MAX ||
	    item->__pad)
		return ckpt_err(ctx, -EINVAL, "EPOLL item %u (fd %u) is invalid", i, fd);
	tfile = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(item->file_ref));
	if (!tfile)
		return -EINVAL;
	epds.events = (__force __poll_t)events;
	epds.data = le64_to_cpu(item->data);
	ret = epoll_ctl_file(file, EPOLL_CTL_ADD, fd, tfile, &epds, false);
	if (ret)
		return ckpt_err(ctx, ret, "EPOLL item %u (fd %u) cannot be added", i, fd);
	return 0;
}

static struct file *ckpt_epoll_restart(struct ckpt_ctx *ctx,
				       const struct ckpt_file *frec, const char *path)
{
	u32 f_flags = le32_to_cpu(frec->f_flags);
	const struct ckpt_epoll_item *items;
	struct ckpt_epoll *rec;
	struct file *file;
	u32 i, nr, len;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_EPOLL))
		return ckpt_anon_missing(ctx, frec);
	ret = ckpt_anon_check(ctx, frec);
	if (ret)
		return ERR_PTR(ret);
	rec = ckpt_read_rec_var(ctx, CKPT_REC_EPOLL, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return ERR_CAST(rec);
	nr = le32_to_cpu(rec->nr_items);
	items = (const struct ckpt_epoll_item *)(rec + 1);
	if (len != sizeof(*rec) + (size_t)nr * sizeof(*items) || rec->__pad) {
		ret = ckpt_err(ctx, -EINVAL, "EPOLL record has a bad length");
		goto out;
	}
	file = epoll_file_create(0);
	if (IS_ERR(file)) {
		ret = ckpt_err(ctx, PTR_ERR(file), "cannot create an epoll");
		goto out;
	}
	if (f_flags & O_NONBLOCK) {
		spin_lock(&file->f_lock);
		file->f_flags |= O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
	for (i = 0; i < nr && !ret; i++)
		ret = ckpt_epoll_add(ctx, file, &items[i], i);
	if (ret)
		fput(file);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : file;
}

static bool ckpt_epoll_match(struct ckpt_ctx *ctx, struct file *file)
{
	return IS_ENABLED(CONFIG_EPOLL) && ckpt_anon_is(file, "[eventpoll]");
}

CKPT_FILE_OPS(EPOLL) = {
	.follows = CKPT_REC_EPOLL,
	.f_flags = CKPT_ANON_FLAGS,
	.match = ckpt_epoll_match,
	.checkpoint = ckpt_epoll_checkpoint,
	.restart = ckpt_epoll_restart,
};

/* ---- inotify ---- */

/* The next mount after @p in the tree under @root, as next_mnt() */
static struct mount *ckpt_next_mnt(struct mount *p, struct mount *root)
{
	struct list_head *next = p->mnt_mounts.next;

	if (next == &p->mnt_mounts) {
		for (;;) {
			if (p == root)
				return NULL;
			next = p->mnt_child.next;
			if (next != &p->mnt_parent->mnt_mounts)
				break;
			p = p->mnt_parent;
		}
	}
	return list_entry(next, struct mount, mnt_child);
}

/*
 * A path to @dentry through a mount that the caller sees (one under its
 * root mount), with a reference, or -ENOENT.  A watch knows its inode,
 * not how it was reached.
 */
static int ckpt_dentry_path(struct dentry *dentry, struct path *path)
{
	struct mount *root, *m;
	struct path myroot;
	int ret = -ENOENT;

	get_fs_root(current->fs, &myroot);
	root = real_mount(myroot.mnt);
	/* Excludes changes of the mount tree, which happen under it */
	read_seqlock_excl(&mount_lock);
	for (m = root; m; m = ckpt_next_mnt(m, root)) {
		if (m->mnt.mnt_sb == dentry->d_sb &&
		    is_subdir(dentry, m->mnt.mnt_root)) {
			path->mnt = mntget(&m->mnt);
			ret = 0;
			break;
		}
	}
	read_sequnlock_excl(&mount_lock);
	path_put(&myroot);
	if (!ret)
		path->dentry = dget(dentry);
	return ret;
}

/* The path of a watched inode, in @buf; logs what went wrong */
static char *ckpt_inotify_path(struct ckpt_ctx *ctx, struct inode *inode,
			       u32 objref, int wd, char *buf)
{
	struct dentry *dentry = d_find_alias(inode);
	char *p = ERR_PTR(-ENOENT);
	struct path path;

	/* Its name would be another file's, if any: no way to watch it again */
	if (dentry && d_unlinked(dentry)) {
		dput(dentry);
		ckpt_err(ctx, -EOPNOTSUPP,
			 "anon_inode:inotify (object %u): watch %d is on a removed file or directory (not supported)",
			 objref, wd);
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (dentry && !ckpt_dentry_path(dentry, &path)) {
		p = d_path(&path, buf, CKPT_PATH_MAX);
		path_put(&path);
	}
	dput(dentry);
	if (IS_ERR(p) || *p != '/') {
		ckpt_err(ctx, -EOPNOTSUPP,
			 "anon_inode:inotify (object %u): watch %d on inode %lu has no path the caller can see",
			 objref, wd, inode->i_ino);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return p;
}

static struct inotify_watch_state *ckpt_inotify_watches(struct file *file,
							int *nr, int *next_wd)
{
	struct inotify_watch_state *w = NULL;
	int n, max = 0;

	for (;;) {
		n = inotify_get_watches(file, w, max, next_wd);
		if (n < 0) {
			kvfree(w);
			return ERR_PTR(n);
		}
		if (n <= max)
			break;
		while (max--)
			iput(w[max].inode);
		kvfree(w);
		max = n + 16;
		w = kvcalloc(max, sizeof(*w), GFP_KERNEL);
		if (!w)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return w;
}

static int ckpt_inotify_checkpoint(struct ckpt_ctx *ctx, struct file *file,
				   u32 objref)
{
	struct ckpt_inotify rec = {};
	struct inotify_watch_state *w;
	int i, nr = 0, next_wd = 0;
	size_t len = 0, size = 0;
	char *buf, *out = NULL;
	int ret;

	if (!IS_ENABLED(CONFIG_INOTIFY_USER))
		return -EOPNOTSUPP;
	w = ckpt_inotify_watches(file, &nr, &next_wd);
	if (IS_ERR(w))
		return PTR_ERR(w);
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	ret = buf ? 0 : -ENOMEM;
	for (i = 0; i < nr && !ret; i++) {
		struct ckpt_inotify_watch *cw;
		char *path = ckpt_inotify_path(ctx, w[i].inode, objref,
					       w[i].wd, buf);
		u32 path_len;

		if (IS_ERR(path)) {
			ret = PTR_ERR(path);
			break;
		}
		path_len = strlen(path) + 1;
		if (len + sizeof(*cw) + ALIGN(path_len, 8) > size) {
			size_t nsize = max(2 * size, len + sizeof(*cw) + CKPT_PATH_MAX + 8);
			char *n = kvrealloc(out, nsize, GFP_KERNEL);

			if (!n) {
				ret = -ENOMEM;
				break;
			}
			out = n;
			memset(out + size, 0, nsize - size);
			size = nsize;
		}
		cw = (struct ckpt_inotify_watch *)(out + len);
		cw->wd = cpu_to_le32(w[i].wd);
		cw->mask = cpu_to_le32(w[i].mask);
		cw->ino = cpu_to_le64(w[i].inode->i_ino);
		cw->path_len = cpu_to_le32(path_len);
		memcpy(cw + 1, path, path_len);
		len += sizeof(*cw) + ALIGN(path_len, 8);
	}
	if (!ret && len + sizeof(rec) > CKPT_REC_MAX_LEN)
		ret = ckpt_err(ctx, -E2BIG, "anon_inode:inotify (object %u) has too many watches",
			       objref);
	if (!ret)
		ret = ckpt_anon_write_file(ctx, file, objref, CKPT_FILE_INOTIFY);
	if (!ret) {
		rec.nr_watches = cpu_to_le32(nr);
		rec.next_wd = cpu_to_le32(next_wd);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_INOTIFY, &rec, sizeof(rec),
					 out, len);
	}
	for (i = 0; i < nr; i++)
		iput(w[i].inode);
	kvfree(w);
	kvfree(out);
	kfree(buf);
	return ret;
}

/* Add the watch at @p, which has @left bytes; returns its size or an error */
static long ckpt_inotify_add(struct ckpt_ctx *ctx, struct file *file,
			     const char *p, size_t left, int next_wd)
{
	const struct ckpt_inotify_watch *cw = (const void *)p;
	u32 path_len, wd, mask;
	struct path path;
	const char *name;
	size_t size;
	int ret;

	if (left < sizeof(*cw))
		return ckpt_err(ctx, -EINVAL, "INOTIFY record is truncated");
	path_len = le32_to_cpu(cw->path_len);
	wd = le32_to_cpu(cw->wd);
	mask = le32_to_cpu(cw->mask);
	name = (const char *)(cw + 1);
	size = sizeof(*cw) + ALIGN((size_t)path_len, 8);
	if (path_len < 2 || path_len > CKPT_PATH_MAX || size > left ||
	    name[0] != '/' || strnlen(name, path_len) != path_len - 1 ||
	    memchr_inv(name + path_len, 0, size - sizeof(*cw) - path_len) ||
	    cw->__pad || !wd || wd > INT_MAX)
		return ckpt_err(ctx, -EINVAL, "INOTIFY watch %u is malformed", wd);
	ret = kern_path(name, 0, &path);
	if (ret)
		return ckpt_err(ctx, ret, "inotify watch %u: cannot find %s", wd, name);
	if (d_inode(path.dentry)->i_ino != le64_to_cpu(cw->ino))
		ret = ckpt_err(ctx, -ESTALE, "inotify watch %u: %s is another file now",
			       wd, name);
	else
		ret = inotify_add_watch_wd(file, &path, mask, wd, next_wd);
	path_put(&path);
	if (ret)
		return ckpt_err(ctx, ret, "inotify watch %u on %s cannot be restored",
				wd, name);
	return size;
}

static struct file *ckpt_inotify_restart(struct ckpt_ctx *ctx,
					 const struct ckpt_file *frec, const char *path)
{
	u32 f_flags = le32_to_cpu(frec->f_flags);
	struct ckpt_inotify *rec;
	struct file *file;
	u32 i, nr, len;
	int next_wd;
	size_t off;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_INOTIFY_USER))
		return ckpt_anon_missing(ctx, frec);
	ret = ckpt_anon_check(ctx, frec);
	if (ret)
		return ERR_PTR(ret);
	rec = ckpt_read_rec_var(ctx, CKPT_REC_INOTIFY, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return ERR_CAST(rec);
	nr = le32_to_cpu(rec->nr_watches);
	next_wd = le32_to_cpu(rec->next_wd);
	if (next_wd < 0) {
		ret = ckpt_err(ctx, -EINVAL, "INOTIFY record has an invalid next_wd");
		goto out;
	}
	file = inotify_file_create(f_flags & O_NONBLOCK);
	if (IS_ERR(file)) {
		ret = ckpt_err(ctx, PTR_ERR(file), "cannot create an inotify instance");
		goto out;
	}
	off = sizeof(*rec);
	for (i = 0; i < nr && !ret; i++) {
		long n = ckpt_inotify_add(ctx, file, (char *)rec + off, len - off,
					  next_wd);

		if (n < 0)
			ret = n;
		else
			off += n;
	}
	if (!ret && off != len)
		ret = ckpt_err(ctx, -EINVAL, "INOTIFY record has a bad length");
	if (ret)
		fput(file);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : file;
}

static bool ckpt_inotify_match(struct ckpt_ctx *ctx, struct file *file)
{
	return IS_ENABLED(CONFIG_INOTIFY_USER) && ckpt_anon_is(file, "inotify");
}

CKPT_FILE_OPS(INOTIFY) = {
	.follows = CKPT_REC_INOTIFY,
	.f_flags = CKPT_ANON_FLAGS,
	.match = ckpt_inotify_match,
	.checkpoint = ckpt_inotify_checkpoint,
	.restart = ckpt_inotify_restart,
};
