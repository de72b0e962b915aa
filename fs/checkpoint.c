// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of open files, file descriptor tables and fs_struct
 * (cwd, umask).
 *
 * A file is saved by path and reopened by path with the same flags and
 * position.  A regular file must be unchanged (same size and mtime) at
 * restart.  A terminal is not recreated: the restart caller's terminal
 * takes its place, as with CRIU's --shell-job.  Every other kind of file
 * makes checkpoint fail and names the descriptor.
 */
#include <linux/checkpoint.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

/* f_flags that a reopen can reproduce */
#define CKPT_FILE_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
			 __O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
			 O_NOFOLLOW | O_NOATIME | O_PATH)
/* f_flags that say nothing about the open file description */
#define CKPT_FILE_IGNORED (O_CLOEXEC | __FMODE_EXEC | O_CREAT | O_EXCL | \
			   O_NOCTTY | O_TRUNC)

static bool ckpt_is_tty(struct inode *inode)
{
	unsigned int major;

	if (!S_ISCHR(inode->i_mode))
		return false;
	major = imajor(inode);
	return major == TTY_MAJOR || major == TTYAUX_MAJOR ||
	       (major >= UNIX98_PTY_SLAVE_MAJOR &&
		major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT) ||
	       major == 229 /* hvc */;
}

static bool ckpt_is_mem_dev(struct inode *inode)
{
	if (!S_ISCHR(inode->i_mode) || imajor(inode) != MEM_MAJOR)
		return false;
	switch (iminor(inode)) {
	case 3: /* null */
	case 5: /* zero */
	case 7: /* full */
	case 8: /* random */
	case 9: /* urandom */
		return true;
	}
	return false;
}

/* Which CKPT_FILE_* kind @file is, or 0 if it cannot be saved yet */
static u32 ckpt_file_kind(struct ckpt_ctx *ctx, struct file *file)
{
	struct inode *inode = file_inode(file);
	u32 kind = ckpt_pty_kind(ctx, file);

	if (kind)
		return kind;
	if (ckpt_is_tty(inode))
		return CKPT_FILE_TTY;
	if (file->f_flags & ~(CKPT_FILE_FLAGS | CKPT_FILE_IGNORED))
		return 0;
	if (S_ISREG(inode->i_mode))
		return CKPT_FILE_REG;
	if (S_ISDIR(inode->i_mode))
		return CKPT_FILE_DIR;
	if (ckpt_is_mem_dev(inode))
		return CKPT_FILE_CHR;
	return 0;
}

static int ckpt_file_unsupported(struct ckpt_ctx *ctx, struct file *file,
				 int fd)
{
	char *buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	char *p = buf ? d_path(&file->f_path, buf, CKPT_PATH_MAX) : NULL;
	int ret;

	ret = ckpt_err(ctx, -EOPNOTSUPP, "fd %d: %s (mode %07o, flags %#x) cannot be saved yet",
		       fd, IS_ERR_OR_NULL(p) ? "?" : p, file_inode(file)->i_mode,
		       file->f_flags);
	kfree(buf);
	return ret;
}

/* ---- struct file ---- */

static int ckpt_file_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct file *file = ptr;
	struct inode *inode = file_inode(file);
	struct ckpt_file rec = {};
	struct timespec64 mtime;
	u32 kind = ckpt_file_kind(ctx, file);
	u32 path_len, data_ref = 0;
	char *buf, *path;
	int ret;

	if (!kind)
		return ckpt_file_unsupported(ctx, file, -1);
	if (kind == CKPT_FILE_PTY_MASTER || kind == CKPT_FILE_PTY_SLAVE) {
		ret = ckpt_pty_checkpoint_file(ctx, file, &data_ref);
		if (ret)
			return ret;
	}
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = ckpt_file_path(ctx, file, buf, &path_len);
	if (IS_ERR(path)) {
		ret = PTR_ERR(path);
		goto out;
	}
	mtime = inode_get_mtime(inode);
	rec.objref = cpu_to_le32(objref);
	rec.kind = cpu_to_le32(kind);
	rec.f_flags = cpu_to_le32(file->f_flags & CKPT_FILE_FLAGS);
	rec.mode = cpu_to_le32(inode->i_mode);
	rec.pos = cpu_to_le64(file->f_pos);
	rec.size = cpu_to_le64(i_size_read(inode));
	rec.mtime_sec = cpu_to_le64(mtime.tv_sec);
	rec.mtime_nsec = cpu_to_le32(mtime.tv_nsec);
	rec.rdev = cpu_to_le32(new_encode_dev(inode->i_rdev));
	rec.ino = cpu_to_le64(inode->i_ino);
	rec.fd_hint = cpu_to_le32(ctx->fd_hint);
	rec.path_len = cpu_to_le32(path_len);
	rec.data_ref = cpu_to_le32(data_ref);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_FILE, &rec, sizeof(rec), path,
				 path_len);
out:
	kfree(buf);
	return ret;
}

/* A terminal: use the restart caller's */
static struct file *ckpt_tty_inherit(struct ckpt_ctx *ctx, u32 fd_hint)
{
	static const unsigned int fds[] = { 0, 1, 2 };
	struct file *file;
	int i;

	if (fd_hint < 3) {
		file = fget_task(ctx->caller, fd_hint);
		if (file && ckpt_is_tty(file_inode(file)))
			return file;
		if (file)
			fput(file);
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		file = fget_task(ctx->caller, fds[i]);
		if (file && ckpt_is_tty(file_inode(file)))
			return file;
		if (file)
			fput(file);
	}
	ckpt_err(ctx, -ENOTTY, "the image has a terminal open but the caller has none on fd 0-2");
	return ERR_PTR(-ENOTTY);
}

static int ckpt_file_verify(struct ckpt_ctx *ctx, struct file *file,
			    const struct ckpt_file *rec, const char *path, u32 kind)
{
	struct inode *inode = file_inode(file);
	struct timespec64 mtime = inode_get_mtime(inode);
	umode_t mode = le32_to_cpu(rec->mode);

	if ((inode->i_mode & S_IFMT) != (mode & S_IFMT))
		return ckpt_err(ctx, -ESTALE, "%s is no longer the same kind of file", path);
	if (kind == CKPT_FILE_REG &&
	    (i_size_read(inode) != le64_to_cpu(rec->size) ||
	     mtime.tv_sec != le64_to_cpu(rec->mtime_sec) ||
	     mtime.tv_nsec != le32_to_cpu(rec->mtime_nsec)))
		return ckpt_err(ctx, -ESTALE, "%s changed since the checkpoint (size or mtime)",
				path);
	if (kind == CKPT_FILE_CHR &&
	    (new_encode_dev(inode->i_rdev) != le32_to_cpu(rec->rdev) ||
	     !ckpt_is_mem_dev(inode)))
		return ckpt_err(ctx, -ESTALE, "%s is not the device it was", path);
	return 0;
}

static void *ckpt_file_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_file *rec;
	struct file *file;
	u32 len, kind, flags;
	loff_t pos;
	char *path;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FILE, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;
	path = ckpt_read_path(ctx, "FILE", rec, sizeof(*rec), len,
			      le32_to_cpu(rec->path_len));
	if (IS_ERR(path)) {
		ret = PTR_ERR(path);
		goto out;
	}
	kind = le32_to_cpu(rec->kind);
	flags = le32_to_cpu(rec->f_flags);
	pos = le64_to_cpu(rec->pos);
	if (((kind < CKPT_FILE_REG || kind > CKPT_FILE_TTY) &&
	     kind != CKPT_FILE_PTY_MASTER && kind != CKPT_FILE_PTY_SLAVE) ||
	    flags & ~CKPT_FILE_FLAGS || pos < 0 || rec->__pad ||
	    (!rec->data_ref != (kind != CKPT_FILE_PTY_MASTER && kind != CKPT_FILE_PTY_SLAVE))) {
		ret = ckpt_err(ctx, -EINVAL, "FILE %s: invalid kind, flags or position", path);
		goto out;
	}
	if (kind == CKPT_FILE_PTY_MASTER || kind == CKPT_FILE_PTY_SLAVE) {
		file = ckpt_pty_restart_file(ctx, kind, le32_to_cpu(rec->data_ref), flags);
		ret = PTR_ERR_OR_ZERO(file);
		goto out;
	}
	if (kind == CKPT_FILE_TTY) {
		file = ckpt_tty_inherit(ctx, le32_to_cpu(rec->fd_hint));
		ret = PTR_ERR_OR_ZERO(file);
		goto out;
	}
	file = filp_open(path, flags, 0);
	if (IS_ERR(file)) {
		ret = ckpt_err(ctx, PTR_ERR(file), "cannot reopen %s", path);
		goto out;
	}
	ret = ckpt_file_verify(ctx, file, rec, path, kind);
	if (!ret && pos && (kind == CKPT_FILE_REG || kind == CKPT_FILE_DIR)) {
		loff_t res = vfs_llseek(file, pos, SEEK_SET);

		if (res != pos)
			ret = ckpt_err(ctx, res < 0 ? res : -EINVAL,
				       "cannot restore the position of %s", path);
	}
	if (ret)
		fput(file);
out:
	kvfree(rec);
	return ret ? ERR_PTR(ret) : file;
}

static void ckpt_file_grab(void *ptr)
{
	get_file(ptr);
}

static void ckpt_file_drop(void *ptr)
{
	fput(ptr);
}

const struct ckpt_obj_ops ckpt_obj_file_ops = {
	.name = "file",
	.rec = CKPT_REC_FILE,
	.checkpoint = ckpt_file_checkpoint,
	.restart = ckpt_file_restart,
	.grab = ckpt_file_grab,
	.drop = ckpt_file_drop,
};

/* A task outside the tree with @file in its fd table, or 0 */
static pid_t ckpt_file_outside_user(struct ckpt_ctx *ctx, struct file *file)
{
	struct task_struct *p;
	pid_t found = 0;

	rcu_read_lock();
	for_each_process(p) {
		struct files_struct *files;
		struct fdtable *fdt;
		unsigned int fd;

		if (pid_nr_ns(task_tgid(p), ctx->pidns) &&
		    xa_load(&ctx->tree_pids, pid_nr_ns(task_tgid(p), ctx->pidns)))
			continue;
		task_lock(p);
		files = p->files;
		if (files) {
			fdt = files_fdtable(files);
			for (fd = 0; fd < fdt->max_fds && !found; fd++)
				if (rcu_access_pointer(fdt->fd[fd]) == file)
					found = task_tgid_vnr(p);
		}
		task_unlock(p);
		if (found)
			break;
	}
	rcu_read_unlock();
	return found;
}

static int ckpt_file_leak(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	struct file *file = ptr;
	char *buf, *path;
	pid_t user;

	/* The tasks' references (fds, mappings, exe) and the object hash's */
	if (file_count(file) <= users + 1)
		return 0;
	/*
	 * More: find the holder.  A file descriptor outside makes the image
	 * untrustworthy; a mapping of a private file inherited across fork
	 * (the container's init forked, not exec'ed) does not.
	 */
	user = ckpt_file_outside_user(ctx, file);
	if (!user)
		return 0;
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = d_path(&file->f_path, buf, CKPT_PATH_MAX);
	ckpt_err(ctx, -EBUSY,
		 "file %s (object %u) is also open outside the container, in process %d",
		 IS_ERR(path) ? "?" : path, objref, user);
	kfree(buf);
	return -EBUSY;
}

/**
 * ckpt_check_file_leaks() - fail if a saved file is used outside the tree
 * @ctx: checkpoint context, every task saved
 *
 * A file that a task outside the container also has open can change
 * behind the image's back (its offset and flags, through that task); the
 * image would not be what the container sees.  CHECKPOINT_SHARED_OK
 * accepts that.  References from outside mappings or from the kernel
 * (a file in flight in a socket) are not looked for.
 *
 * Return: 0 or -EBUSY, logged with the file and the outside user.
 */
int ckpt_check_file_leaks(struct ckpt_ctx *ctx)
{
	return ckpt_obj_for_each(ctx, CKPT_OBJ_file, ckpt_file_leak);
}

/* ---- struct files_struct ---- */

struct ckpt_fd_ent {
	struct file *file;
	unsigned int fd;
	bool cloexec;
};

/* Take a reference on every open file of @files, in fd order */
static struct ckpt_fd_ent *ckpt_collect_fds(struct files_struct *files,
					    unsigned int *nr)
{
	struct ckpt_fd_ent *ents = NULL;
	unsigned int fd, n, max = 0;

	for (;;) {
		struct fdtable *fdt;

		n = 0;
		spin_lock(&files->file_lock);
		fdt = files_fdtable(files);
		for (fd = 0; fd < fdt->max_fds; fd++) {
			struct file *file = files_lookup_fd_locked(files, fd);

			if (!file)
				continue;
			if (n < max) {
				ents[n].file = get_file(file);
				ents[n].fd = fd;
				ents[n].cloexec = close_on_exec(fd, files);
			}
			n++;
		}
		spin_unlock(&files->file_lock);
		if (n <= max)
			break;
		/* Grew since we counted: drop and retry with more room */
		while (max--)
			fput(ents[max].file);
		kvfree(ents);
		max = n + 16;
		ents = kvcalloc(max, sizeof(*ents), GFP_KERNEL);
		if (!ents)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	return ents;
}

static int ckpt_files_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct ckpt_files rec = { .objref = cpu_to_le32(objref) };
	struct ckpt_fd_ent *ents;
	struct ckpt_fd *fds = NULL;
	unsigned int i, nr = 0;
	int ret = 0;

	ents = ckpt_collect_fds(ptr, &nr);
	if (IS_ERR(ents))
		return PTR_ERR(ents);
	for (i = 0; i < nr; i++) {
		if (!ckpt_file_kind(ctx, ents[i].file)) {
			ret = ckpt_file_unsupported(ctx, ents[i].file, ents[i].fd);
			goto out;
		}
	}
	fds = kvcalloc(nr ?: 1, sizeof(*fds), GFP_KERNEL);
	if (!fds) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		u32 ref;

		ctx->fd_hint = ents[i].fd;
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_file, ents[i].file, &ref);
		ctx->fd_hint = -1;
		if (ret)
			goto out;
		fds[i].fd = cpu_to_le32(ents[i].fd);
		fds[i].file_ref = cpu_to_le32(ref);
		fds[i].flags = cpu_to_le32(ents[i].cloexec ? CKPT_FD_CLOEXEC : 0);
	}
	rec.nr_fds = cpu_to_le32(nr);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_FILES, &rec, sizeof(rec), fds,
				 nr * sizeof(*fds));
out:
	for (i = 0; i < nr; i++)
		fput(ents[i].file);
	kvfree(ents);
	kvfree(fds);
	return ret;
}

static int ckpt_install_fds(struct ckpt_ctx *ctx, const struct ckpt_files *rec,
			    u32 len)
{
	const struct ckpt_fd *fds = (const struct ckpt_fd *)(rec + 1);
	u32 nr = le32_to_cpu(rec->nr_fds);
	long prev = -1;
	u32 i;
	int ret;

	if (len != sizeof(*rec) + (size_t)nr * sizeof(*fds))
		return ckpt_err(ctx, -EINVAL, "FILES record has a bad length");
	for (i = 0; i < nr; i++) {
		u32 fd = le32_to_cpu(fds[i].fd);
		u32 flags = le32_to_cpu(fds[i].flags);
		struct file *file;

		if ((long)fd <= prev || fd > INT_MAX || flags & ~CKPT_FD_CLOEXEC ||
		    fds[i].__pad)
			return ckpt_err(ctx, -EINVAL, "FILES entry %u (fd %u) is invalid", i, fd);
		prev = fd;
		file = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(fds[i].file_ref));
		if (!file)
			return -EINVAL;
		ret = replace_fd(fd, file, flags & CKPT_FD_CLOEXEC ? O_CLOEXEC : 0);
		if (ret < 0)
			return ckpt_err(ctx, ret, "cannot install fd %u", fd);
	}
	return 0;
}

/* Give current @files, whose reference it takes over */
static void ckpt_switch_files(struct files_struct *files)
{
	struct files_struct *old;

	task_lock(current);
	old = current->files;
	current->files = files;
	task_unlock(current);
	put_files_struct(old);
}

static void *ckpt_files_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct fd_range everything = { 0, ~0U };
	struct files_struct *newf;
	struct ckpt_files *rec;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FILES, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;

	/* A table of our own, emptied below: close_range(CLOSE_RANGE_UNSHARE) */
	newf = dup_fd(current->files, &everything);
	if (IS_ERR(newf)) {
		ret = PTR_ERR(newf);
		goto out;
	}
	ckpt_switch_files(newf);
	/* dup_fd() copied the caller's descriptors that we were born with */
	__close_range(0, ~0U, 0);

	ret = ckpt_install_fds(ctx, rec, len);
out:
	kvfree(rec);
	if (ret)
		return ERR_PTR(ret);
	atomic_inc(&current->files->count);
	return current->files;
}

static void ckpt_files_grab(void *ptr)
{
	atomic_inc(&((struct files_struct *)ptr)->count);
}

static void ckpt_files_drop(void *ptr)
{
	put_files_struct(ptr);
}

/**
 * ckpt_install_files() - use the file table another restored task built
 * @ctx: restart context
 * @ref: the table's id, from the TASK record of current
 *
 * For tasks that share a table without being threads (CLONE_FILES), or a
 * thread whose leader's table is not its own.
 *
 * Return: 0 or -EINVAL (logged) if @ref is no file table.
 */
int ckpt_install_files(struct ckpt_ctx *ctx, __le32 ref)
{
	struct files_struct *files = ckpt_obj_lookup(ctx, CKPT_OBJ_files,
						     le32_to_cpu(ref));

	if (!files)
		return -EINVAL;
	if (files != current->files) {
		atomic_inc(&files->count);
		ckpt_switch_files(files);
	}
	return 0;
}

const struct ckpt_obj_ops ckpt_obj_files_ops = {
	.name = "files",
	.rec = CKPT_REC_FILES,
	.checkpoint = ckpt_files_checkpoint,
	.restart = ckpt_files_restart,
	.grab = ckpt_files_grab,
	.drop = ckpt_files_drop,
};

/* ---- struct fs_struct ---- */

/* The path of @path as the caller sees it, in @buf; logs what went wrong */
static char *ckpt_fs_path(struct ckpt_ctx *ctx, const struct path *path,
			  char *buf, const char *what)
{
	char *p = d_path(path, buf, CKPT_PATH_MAX);

	if (IS_ERR(p) || *p != '/' || d_unlinked(path->dentry)) {
		ckpt_err(ctx, IS_ERR(p) ? PTR_ERR(p) : -EOPNOTSUPP,
			 "the %s cannot be saved (removed, or outside the caller's root?)",
			 what);
		return ERR_PTR(IS_ERR(p) ? PTR_ERR(p) : -EOPNOTSUPP);
	}
	return p;
}

static int ckpt_fs_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct fs_struct *fs = ptr;
	struct ckpt_fs rec = { .objref = cpu_to_le32(objref) };
	struct path root, myroot, pwd;
	char *buf, *cwd, *rootp;
	int ret = 0;

	buf = kmalloc(2 * CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	get_fs_root(fs, &root);
	get_fs_root(current->fs, &myroot);
	get_fs_pwd(fs, &pwd);
	cwd = ckpt_fs_path(ctx, &pwd, buf, "current directory");
	rootp = path_equal(&root, &myroot) ? "/" :
		ckpt_fs_path(ctx, &root, buf + CKPT_PATH_MAX, "root directory (chroot)");
	path_put(&pwd);
	path_put(&root);
	path_put(&myroot);
	if (IS_ERR(cwd) || IS_ERR(rootp)) {
		ret = IS_ERR(cwd) ? PTR_ERR(cwd) : PTR_ERR(rootp);
	} else {
		size_t cl = strlen(cwd) + 1, rl = strlen(rootp) + 1;

		/* The two paths back to back, where cwd already ends */
		memmove(cwd + cl, rootp, rl);
		rec.umask = cpu_to_le32(fs->umask);
		rec.cwd_len = cpu_to_le32(cl);
		rec.root_len = cpu_to_le32(rl);
		ret = ckpt_write_rec_var(ctx, CKPT_REC_FS, &rec, sizeof(rec), cwd,
					 cl + rl);
	}
	kfree(buf);
	return ret;
}

/* Check the two paths of an FS record: absolute, NUL-terminated, in order */
static int ckpt_fs_paths(struct ckpt_ctx *ctx, struct ckpt_fs *rec, u32 len,
			 char **cwd, char **root)
{
	u32 cl = le32_to_cpu(rec->cwd_len), rl = le32_to_cpu(rec->root_len);
	char *p = (char *)(rec + 1);

	if (cl < 2 || rl < 2 || cl > CKPT_PATH_MAX || rl > CKPT_PATH_MAX ||
	    len != ALIGN(sizeof(*rec) + cl + rl, 8))
		goto bad;
	*cwd = p;
	*root = p + cl;
	if (**cwd != '/' || **root != '/' ||
	    strnlen(*cwd, cl) != cl - 1 || strnlen(*root, rl) != rl - 1 ||
	    memchr_inv(*root + rl, 0, len - sizeof(*rec) - cl - rl))
		goto bad;
	return 0;
bad:
	return ckpt_err(ctx, -EINVAL, "FS record has a malformed path");
}

/*
 * A chroot is applied when the tasks are let go (ckpt_restart_resume()),
 * once every file of the image has been opened from the caller's root:
 * until then it waits here, by fs object.
 */
static int ckpt_fs_pending_root(struct ckpt_ctx *ctx, u32 objref,
				const char *root)
{
	struct path *path;
	int ret;

	if (!ns_capable(current_user_ns(), CAP_SYS_CHROOT))
		return ckpt_err(ctx, -EPERM, "restoring a chroot to %s needs CAP_SYS_CHROOT",
				root);
	path = kmalloc(sizeof(*path), GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	ret = kern_path(root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, path);
	if (ret) {
		kfree(path);
		return ckpt_err(ctx, ret, "cannot find the saved root directory %s", root);
	}
	ret = xa_err(xa_store(&ctx->fs_roots, objref, path, GFP_KERNEL));
	if (ret) {
		path_put(path);
		kfree(path);
	}
	return ret;
}

/**
 * ckpt_fs_root() - the chroot a restored task must enter when let go
 * @ctx: restart context
 * @fs_ref: id of the task's fs object
 * @root: set to the directory, with a reference, if there is one
 *
 * Return: true if @root was set.
 */
bool ckpt_fs_root(struct ckpt_ctx *ctx, u32 fs_ref, struct path *root)
{
	struct path *path = xa_load(&ctx->fs_roots, fs_ref);

	if (!path)
		return false;
	*root = *path;
	path_get(root);
	return true;
}

/**
 * ckpt_fs_roots_free() - drop the pending chroots of a restart
 * @ctx: restart context
 */
void ckpt_fs_roots_free(struct ckpt_ctx *ctx)
{
	struct path *path;
	unsigned long id;

	xa_for_each(&ctx->fs_roots, id, path) {
		path_put(path);
		kfree(path);
	}
	xa_destroy(&ctx->fs_roots);
}

static void ckpt_fs_grab(void *ptr)
{
	struct fs_struct *fs = ptr;

	spin_lock(&fs->lock);
	fs->users++;
	spin_unlock(&fs->lock);
}

/* Give current @fs, whose user count it takes over */
static void ckpt_switch_fs(struct fs_struct *fs)
{
	struct fs_struct *old;
	bool last;

	task_lock(current);
	old = current->fs;
	spin_lock(&old->lock);
	current->fs = fs;
	last = !--old->users;
	spin_unlock(&old->lock);
	task_unlock(current);
	if (last)
		free_fs_struct(old);
}

static void *ckpt_fs_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct fs_struct *fs;
	struct ckpt_fs *rec;
	char *cwd, *root;
	struct path pwd;
	u32 len;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_FS, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (!ret)
		ret = ckpt_fs_paths(ctx, rec, len, &cwd, &root);
	if (ret)
		goto out;
	if (le32_to_cpu(rec->umask) & ~0777) {
		ret = ckpt_err(ctx, -EINVAL, "FS record has an invalid umask");
		goto out;
	}
	if (strcmp(root, "/")) {
		ret = ckpt_fs_pending_root(ctx, *objref, root);
		if (ret)
			goto out;
	}
	ret = kern_path(cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &pwd);
	if (ret) {
		ckpt_err(ctx, ret, "cannot enter the saved cwd %s", cwd);
		goto out;
	}
	/* One of our own: the one we were born with may be our leader's */
	fs = copy_fs_struct(current->fs);
	if (!fs) {
		path_put(&pwd);
		ret = -ENOMEM;
		goto out;
	}
	set_fs_pwd(fs, &pwd);
	path_put(&pwd);
	fs->umask = le32_to_cpu(rec->umask);
	ckpt_switch_fs(fs);
out:
	kvfree(rec);
	if (ret)
		return ERR_PTR(ret);
	ckpt_fs_grab(fs);
	return fs;
}

/**
 * ckpt_install_fs() - use the fs_struct another restored task built
 * @ctx: restart context
 * @ref: the fs_struct's id, from the TASK record of current
 *
 * For tasks that share cwd and umask without being threads (CLONE_FS), or
 * a thread whose leader's fs is not its own.
 *
 * Return: 0 or -EINVAL (logged) if @ref is no fs_struct.
 */
int ckpt_install_fs(struct ckpt_ctx *ctx, __le32 ref)
{
	struct fs_struct *fs = ckpt_obj_lookup(ctx, CKPT_OBJ_fs, le32_to_cpu(ref));

	if (!fs)
		return -EINVAL;
	if (fs != current->fs) {
		ckpt_fs_grab(fs);
		ckpt_switch_fs(fs);
	}
	return 0;
}

static void ckpt_fs_drop(void *ptr)
{
	struct fs_struct *fs = ptr;
	bool kill;

	spin_lock(&fs->lock);
	kill = !--fs->users;
	spin_unlock(&fs->lock);
	if (kill)
		free_fs_struct(fs);
}

const struct ckpt_obj_ops ckpt_obj_fs_ops = {
	.name = "fs",
	.rec = CKPT_REC_FS,
	.checkpoint = ckpt_fs_checkpoint,
	.restart = ckpt_fs_restart,
	.grab = ckpt_fs_grab,
	.drop = ckpt_fs_drop,
};
