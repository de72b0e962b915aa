// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of pipes and FIFOs.
 *
 * A pipe is one object that the files of both its ends share: a PIPE
 * record with its capacity and the data buffered in it (FILE_DATA records
 * that follow), written once, then a FILE record for each open end that
 * names it.  The buffer is read without consuming it, under the pipe's
 * mutex, while the tasks are frozen.
 *
 * At restart the PIPE record creates the pipe (a FIFO: opens it by path)
 * and refills it.  The object keeps a file on the pipe that can read and
 * write until the restart ends, so that reopening either end of a FIFO
 * never waits for the other, and the ends are opened from it as
 * /proc/PID/fd/N would be.
 */
#include <linux/bits.h>
#include <linux/checkpoint_file.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>

/* Whether @inode is an anonymous pipe (pipe(2)), not a FIFO */
static bool ckpt_is_anon_pipe(struct inode *inode)
{
	return S_ISFIFO(inode->i_mode) && inode->i_sb->s_magic == PIPEFS_MAGIC;
}

/* A buffer's bytes, page by page: it may span the pages of a folio */
static void ckpt_pipe_copy_buf(void *dst, const struct pipe_buffer *buf)
{
	size_t offset = buf->offset, left = buf->len;

	while (left) {
		size_t n = min_t(size_t, left, PAGE_SIZE - offset_in_page(offset));

		memcpy_from_page(dst, nth_page(buf->page, offset >> PAGE_SHIFT),
				 offset_in_page(offset), n);
		dst += n;
		offset += n;
		left -= n;
	}
}

/* Copy what @pipe holds into a new buffer, without consuming it */
static void *ckpt_pipe_snapshot(struct ckpt_ctx *ctx, struct pipe_inode_info *pipe,
				u32 *len, u32 *capacity)
{
	unsigned int i, head, tail;
	size_t bytes = 0, off = 0;
	void *data = NULL;
	int ret = 0;

	pipe_lock(pipe);
	if (pipe_has_watch_queue(pipe)) {
		ret = ckpt_err(ctx, -EOPNOTSUPP, "a watch queue pipe cannot be saved");
		goto out;
	}
	head = pipe->head;
	tail = pipe->tail;
	for (i = tail; i != head; i++) {
		struct pipe_buffer *buf = pipe_buf(pipe, i);

		/* O_DIRECT writes: the packet boundaries would be lost */
		if (buf->flags & PIPE_BUF_FLAG_PACKET) {
			ret = ckpt_err(ctx, -EOPNOTSUPP,
				       "a pipe in packet mode (O_DIRECT) cannot be saved");
			goto out;
		}
		bytes += buf->len;
	}
	*capacity = pipe->max_usage * PAGE_SIZE;
	data = kvmalloc(bytes ?: 1, GFP_KERNEL_ACCOUNT);
	if (!data) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = tail; i != head; i++) {
		struct pipe_buffer *buf = pipe_buf(pipe, i);

		/* Spliced page cache: wait until it is read in */
		ret = pipe_buf_confirm(pipe, buf);
		if (ret) {
			ret = ckpt_err(ctx, ret, "cannot read a pipe buffer");
			goto out;
		}
		ckpt_pipe_copy_buf(data + off, buf);
		off += buf->len;
	}
	*len = bytes;
out:
	pipe_unlock(pipe);
	if (ret) {
		kvfree(data);
		return ERR_PTR(ret);
	}
	return data;
}

static int ckpt_pipe_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct file *file = ptr;
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	struct ckpt_pipe rec = { .objref = cpu_to_le32(objref) };
	char *buf = NULL, *path = NULL;
	u32 path_len = 0, len = 0, capacity = 0;
	void *data;
	int ret;

	if (!pipe)
		return ckpt_err(ctx, -EOPNOTSUPP, "a FIFO without a pipe cannot be saved");
	if (!ckpt_is_anon_pipe(file_inode(file))) {
		buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		path = ckpt_file_path(ctx, file, buf, &path_len);
		if (IS_ERR(path)) {
			kfree(buf);
			return PTR_ERR(path);
		}
	}
	data = ckpt_pipe_snapshot(ctx, pipe, &len, &capacity);
	if (IS_ERR(data)) {
		kfree(buf);
		return PTR_ERR(data);
	}
	rec.capacity = cpu_to_le32(capacity);
	rec.data_len = cpu_to_le32(len);
	rec.path_len = cpu_to_le32(path_len);
	ret = ckpt_write_rec_var(ctx, CKPT_REC_PIPE, &rec, sizeof(rec), path, path_len);
	if (!ret)
		ret = ckpt_write_file_data(ctx, 0, data, len);
	kvfree(data);
	kfree(buf);
	return ret;
}

/* Saved ends of a pipe, counted in its key's word: readers high, writers low */
#define CKPT_PIPE_READER	BIT(32)
#define CKPT_PIPE_WRITER	BIT(0)

/*
 * Save the pipe a pipe or FIFO file is an end of, and return its id in
 * @ref.  The pipe is written once, when the first of its ends is saved;
 * its inode stands for it afterwards.
 */
static int ckpt_pipe_ref(struct ckpt_ctx *ctx, struct file *file, u32 *ref)
{
	unsigned long *ends;
	int ret;

	ends = ckpt_obj_key_find(ctx, CKPT_OBJ_pipe, file_inode(file), ref);
	if (!ends) {
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_pipe, file, ref);
		if (ret)
			return ret;
		ends = ckpt_obj_key_add(ctx, CKPT_OBJ_pipe, file_inode(file), *ref);
		if (IS_ERR(ends))
			return PTR_ERR(ends);
	}
	if (file->f_mode & FMODE_READ)
		*ends += CKPT_PIPE_READER;
	if (file->f_mode & FMODE_WRITE)
		*ends += CKPT_PIPE_WRITER;
	return 0;
}

/**
 * ckpt_pipe_leak() - fail if a saved pipe has an end open outside the tree
 * @ctx: checkpoint context, every task saved
 * @ptr: the pipe object (a file on the pipe)
 * @objref: its id
 * @users: unused
 *
 * A process outside the container that reads or writes the pipe would
 * not be connected to the restored one.  Every reader and writer must be
 * a saved file; a saved file that is also open outside is found by
 * ckpt_check_file_leaks().
 *
 * Return: 0 or -EBUSY, logged.
 */
static int ckpt_pipe_leak(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	struct file *file = ptr;
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	unsigned int readers, writers, saved_readers, saved_writers;
	unsigned long *ends;
	char *buf, *path;
	u32 ref;

	ends = ckpt_obj_key_find(ctx, CKPT_OBJ_pipe, file_inode(file), &ref);
	saved_readers = ends ? *ends / CKPT_PIPE_READER : 0;
	saved_writers = ends ? *ends % CKPT_PIPE_READER : 0;
	pipe_lock(pipe);
	readers = pipe->readers;
	writers = pipe->writers;
	pipe_unlock(pipe);
	if (readers <= saved_readers && writers <= saved_writers)
		return 0;
	buf = kmalloc(CKPT_PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = d_path(&file->f_path, buf, CKPT_PATH_MAX);
	ckpt_err(ctx, -EBUSY,
		 "pipe %s (object %u) is also open outside the container (%u readers, %u writers; %u and %u saved)",
		 IS_ERR(path) ? "?" : path, objref, readers, writers, saved_readers,
		 saved_writers);
	kfree(buf);
	return -EBUSY;
}

/* Create the pipe of a PIPE record: a file that can read and write it */
static struct file *ckpt_pipe_create(struct ckpt_ctx *ctx, const char *path,
				     struct file **reader)
{
	struct file *res[2], *file;
	int ret;

	*reader = NULL;
	if (path) {
		/* A FIFO: O_RDWR never waits for a partner */
		file = filp_open(path, O_RDWR | O_NONBLOCK | O_LARGEFILE, 0);
		if (IS_ERR(file)) {
			ckpt_err(ctx, PTR_ERR(file), "cannot open the FIFO %s", path);
			return file;
		}
		if (!get_pipe_info(file, false) || ckpt_is_anon_pipe(file_inode(file))) {
			fput(file);
			ckpt_err(ctx, -ESTALE, "%s is no longer a FIFO", path);
			return ERR_PTR(-ESTALE);
		}
		if (!pipe_empty(get_pipe_info(file, false)->head,
				get_pipe_info(file, false)->tail)) {
			fput(file);
			ckpt_err(ctx, -EBUSY, "the FIFO %s already holds data", path);
			return ERR_PTR(-EBUSY);
		}
		return file;
	}
	ret = create_pipe_files(res, O_NONBLOCK);
	if (ret) {
		ckpt_err(ctx, ret, "cannot create a pipe");
		return ERR_PTR(ret);
	}
	/* The read end stays open until the pipe is filled */
	*reader = res[0];
	return res[1];
}

static void *ckpt_pipe_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct file *file = NULL, *reader = NULL;
	struct ckpt_pipe *rec;
	u32 len, path_len, capacity, data_len;
	char *path = NULL;
	long size;
	int ret;

	rec = ckpt_read_rec_var(ctx, CKPT_REC_PIPE, sizeof(*rec), &len);
	if (IS_ERR(rec))
		return rec;
	ret = ckpt_check_objref(ctx, rec->objref, objref);
	if (ret)
		goto out;
	path_len = le32_to_cpu(rec->path_len);
	capacity = le32_to_cpu(rec->capacity);
	data_len = le32_to_cpu(rec->data_len);
	if (path_len) {
		path = ckpt_read_path(ctx, "PIPE", rec, sizeof(*rec), len, path_len);
		if (IS_ERR(path)) {
			ret = PTR_ERR(path);
			goto out;
		}
	} else if (len != sizeof(*rec)) {
		ret = ckpt_err(ctx, -EINVAL, "PIPE record of a pipe has a path");
		goto out;
	}
	if (capacity < PAGE_SIZE || !is_power_of_2(capacity) || data_len > capacity) {
		ret = ckpt_err(ctx, -EINVAL, "PIPE: invalid capacity %u for %u bytes",
			       capacity, data_len);
		goto out;
	}
	file = ckpt_pipe_create(ctx, path, &reader);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		file = NULL;
		goto out;
	}
	/* With the caller's limits, as fcntl(F_SETPIPE_SZ) would */
	size = pipe_fcntl(file, F_GETPIPE_SZ, 0);
	if (size != capacity)
		size = pipe_fcntl(file, F_SETPIPE_SZ, capacity);
	if (size != capacity) {
		ret = ckpt_err(ctx, size < 0 ? size : -EINVAL,
			       "cannot give a pipe its capacity of %u bytes", capacity);
		goto out;
	}
	ret = ckpt_read_file_data(ctx, file, data_len, true);
out:
	if (reader)
		fput(reader);
	if (ret && file)
		fput(file);
	kvfree(rec);
	return ret ? ERR_PTR(ret) : file;
}

/*
 * An end of a pipe that the caller of restart(2) replaces with a file of
 * its own (CKPT_EXT_FILE "pipe:[INO]", as /proc/PID/fd showed it): the
 * tasks' standard input or output, whose other end was outside them.  The
 * file must allow the access that the saved end had (@flags, valid).
 */
static struct file *ckpt_pipe_inherited(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					u32 flags)
{
	fmode_t need = OPEN_FMODE(flags) & (FMODE_READ | FMODE_WRITE);
	struct file *file;
	char key[32];

	snprintf(key, sizeof(key), "pipe:[%llu]", le64_to_cpu(rec->ino));
	file = ckpt_external_file(ctx, CKPT_EXT_FILE, key);
	if (!file)
		return NULL;
	if ((file->f_mode & need) != need) {
		ckpt_err(ctx, -EBADF, "the file given for %s cannot be %s", key,
			 need == FMODE_READ ? "read" : need == FMODE_WRITE ? "written" :
			 "read and written");
		return ERR_PTR(-EBADF);
	}
	ckpt_log(ctx, "%s: the caller's file takes its place", key);
	return get_file(file);
}

/*
 * An end of a restored pipe or FIFO (@path: a FIFO's, NULL for a pipe).
 * A FIFO is reopened by path, with the permission checks of open(2), and
 * must still be the FIFO its PIPE record refilled.
 */
static struct file *ckpt_pipe_end_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					  const char *path)
{
	struct file *pipe = ckpt_obj_lookup(ctx, CKPT_OBJ_pipe, le32_to_cpu(rec->obj_ref));
	u32 flags = le32_to_cpu(rec->f_flags);
	struct file *file;

	if (!pipe)
		return ERR_PTR(-EINVAL);
	if (!path != ckpt_is_anon_pipe(file_inode(pipe))) {
		ckpt_err(ctx, -EINVAL, "FILE of a %s names a PIPE of a %s",
			 path ? "FIFO" : "pipe", path ? "pipe" : "FIFO");
		return ERR_PTR(-EINVAL);
	}
	if ((flags & O_ACCMODE) == 3 || flags & (O_DIRECT | O_PATH | O_DIRECTORY)) {
		ckpt_err(ctx, -EINVAL, "FILE of a pipe or FIFO has invalid flags %#x", flags);
		return ERR_PTR(-EINVAL);
	}
	if (!path)
		return ckpt_pipe_inherited(ctx, rec, flags) ?:
		       dentry_open(&pipe->f_path, flags, current_cred());
	file = filp_open(path, flags, 0);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot reopen the FIFO %s", path);
		return file;
	}
	if (file_inode(file) != file_inode(pipe)) {
		fput(file);
		ckpt_err(ctx, -ESTALE, "the FIFO %s was replaced during the restart", path);
		return ERR_PTR(-ESTALE);
	}
	return file;
}

static bool ckpt_pipe_end(struct file *file)
{
	return S_ISFIFO(file_inode(file)->i_mode) &&
	       !(file->f_flags & (O_DIRECT | O_PATH)) &&
	       ckpt_file_flags_ok(file, CKPT_FILE_FLAGS);
}

static bool ckpt_pipe_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_pipe_end(file) && ckpt_is_anon_pipe(file_inode(file));
}

static bool ckpt_fifo_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_pipe_end(file) && !ckpt_is_anon_pipe(file_inode(file));
}

/* The pipe first: its PIPE record comes before the FILE */
static int ckpt_pipe_end_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct ckpt_file rec;
	u32 ref;
	int ret;

	ret = ckpt_pipe_ref(ctx, file, &ref);
	if (ret)
		return ret;
	ckpt_file_rec_init(ctx, file, objref, CKPT_FILE_PIPE, &rec);
	rec.obj_ref = cpu_to_le32(ref);
	return ckpt_write_file_rec(ctx, &rec, NULL, 0);
}

static int ckpt_fifo_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	u32 ref;

	return ckpt_pipe_ref(ctx, file, &ref) ?:
	       ckpt_write_file_path(ctx, file, objref, CKPT_FILE_FIFO, ref);
}

CKPT_FILE_OPS(PIPE) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH_OPT | CKPT_FOPS_REF,
	.match = ckpt_pipe_match,
	.checkpoint = ckpt_pipe_end_checkpoint,
	.restart = ckpt_pipe_end_restart,
};

CKPT_FILE_OPS(FIFO) = {
	.f_flags = CKPT_FILE_FLAGS,
	.props = CKPT_FOPS_PATH | CKPT_FOPS_REF,
	.match = ckpt_fifo_match,
	.checkpoint = ckpt_fifo_checkpoint,
	.restart = ckpt_pipe_end_restart,
};

/* Object: a file on the pipe (one of its ends at checkpoint) */
const struct ckpt_obj_ops ckpt_obj_pipe_ops = {
	.name = "pipe",
	.rec = CKPT_REC_PIPE,
	.checkpoint = ckpt_pipe_checkpoint,
	.restart = ckpt_pipe_restart,
	.grab = ckpt_obj_get_file,
	.drop = ckpt_obj_put_file,
	.leak = ckpt_pipe_leak,
};
