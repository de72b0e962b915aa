/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checkpoint/restart of open files: what the back ends of the file kinds
 * (in fs/, mm/ and net/) share with fs/checkpoint.c, which writes and
 * checks the FILE record common to all kinds.  <linux/checkpoint.h> has
 * the interface with the core.
 */
#ifndef _LINUX_CHECKPOINT_FILE_H
#define _LINUX_CHECKPOINT_FILE_H

#include <linux/checkpoint.h>

struct inode;
struct path;

/*
 * f_flags that a reopen by path can reproduce, and those that say nothing
 * about the open file description
 */
#define CKPT_FILE_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
			 __O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
			 O_NOFOLLOW | O_NOATIME | O_PATH)
#define CKPT_FILE_IGNORED (O_CLOEXEC | __FMODE_EXEC | O_CREAT | O_EXCL | \
			   O_NOCTTY | O_TRUNC | FASYNC)	/* FASYNC: in FOWN */

/* fs/checkpoint.c */
void ckpt_file_rec_init(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			u32 kind, struct ckpt_file *rec);
int ckpt_write_file_rec(struct ckpt_ctx *ctx, struct ckpt_file *rec,
			const char *path, u32 path_len);
int ckpt_write_file_path(struct ckpt_ctx *ctx, struct file *file, u32 objref,
			 u32 kind, u32 obj_ref);
int ckpt_write_file_nopath(struct ckpt_ctx *ctx, struct file *file, u32 objref, u32 kind);
pid_t ckpt_file_user(struct ckpt_ctx *ctx, struct file *file, bool in_tree);
int ckpt_write_inode_attr(struct ckpt_ctx *ctx, struct inode *inode);
int ckpt_read_inode_attr(struct ckpt_ctx *ctx, struct ckpt_inode_attr *attr, bool mode);
int ckpt_set_inode_attr(struct ckpt_ctx *ctx, const struct path *p,
			const struct ckpt_inode_attr *attr, umode_t mode, bool times,
			const char *what);
int ckpt_write_file_data(struct ckpt_ctx *ctx, loff_t offset, const void *data,
			 size_t len);
int ckpt_read_file_data(struct ckpt_ctx *ctx, struct file *file, u64 size,
			bool pipe);

/* fs/checkpoint_fown.c */
int ckpt_fown_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref, u32 kind);
int ckpt_fown_restart(struct ckpt_ctx *ctx, struct file *file, u32 kind);

/* fs/checkpoint_proc.c */
pid_t ckpt_proc_pid_nr(struct ckpt_ctx *ctx, struct file *file);

/* ipc/checkpoint_mqueue.c */
#ifdef CONFIG_POSIX_MQUEUE
bool ckpt_file_is_mqueue(struct file *file);
#else
static inline bool ckpt_file_is_mqueue(struct file *file)
{
	return false;
}
#endif

/* fs/checkpoint_tmpfs.c */
int ckpt_save_xattrs(struct ckpt_ctx *ctx, const struct path *p, const char *what);
int ckpt_load_xattrs(struct ckpt_ctx *ctx, const struct path *p, const char *what);
int ckpt_tmpfs_checkpoint(struct ckpt_ctx *ctx, u32 id, struct vfsmount *mnt);
int ckpt_tmpfs_restart(struct ckpt_ctx *ctx, u32 id, const struct path *root);

#endif /* _LINUX_CHECKPOINT_FILE_H */
