// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of shmem files that have no path: shared anonymous
 * memory (MAP_SHARED | MAP_ANONYMOUS, or a MAP_SHARED mapping of
 * /dev/zero) and memfds.
 *
 * Shared anonymous memory is an object of its own, keyed by the file that
 * every mapping of it shares since fork, so that it is saved once however
 * many processes map it, and mapped again by all of them at restart.  A
 * memfd is a FILE of kind CKPT_FILE_MEMFD; its mappings refer to that FILE.
 *
 * Either way the contents are a SHMEM record followed by PAGES records
 * whose addresses are offsets in the file, and SHMEM_END.  Pages are taken
 * from the page cache (or swapped in) a batch of at most CKPT_PAGES_MAX
 * at a time and written straight to the image, and at restart read
 * straight into the new file's page cache: the memory used is one batch
 * whatever the size of the file.  Holes are not saved.
 */
#include <linux/checkpoint.h>
#include <linux/checkpoint_file.h>
#include <linux/fs.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include <uapi/linux/fcntl.h>

#define CKPT_MEMFD_PREFIX	"memfd:"
#define CKPT_MEMFD_NAME_MAX	(NAME_MAX + 1)	/* "memfd:" and the name, with the NUL */

#define CKPT_SHMEM_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/* The f_flags of a memfd that its FILE record keeps */
#define CKPT_MEMFD_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE)

/* An internal shmem file: no path any task can open */
static bool ckpt_shmem_internal(struct file *file)
{
	return shmem_file(file) &&
	       (file->f_path.mnt->mnt_flags & MNT_INTERNAL);
}

/**
 * ckpt_file_is_memfd() - whether a file is a memfd (not a hugetlb one)
 * @file: the file
 *
 * Return: true for a file that memfd_create(2) made on tmpfs.
 */
bool ckpt_file_is_memfd(struct file *file)
{
	return ckpt_shmem_internal(file) && !IS_PRIVATE(file_inode(file)) &&
	       !strncmp(file->f_path.dentry->d_name.name, CKPT_MEMFD_PREFIX,
			strlen(CKPT_MEMFD_PREFIX));
}

/**
 * ckpt_vma_is_anon_shared() - whether a VMA maps shared anonymous memory
 * @vma: the mapping
 *
 * Return: true for MAP_SHARED | MAP_ANONYMOUS memory (also what a
 * MAP_SHARED mapping of /dev/zero becomes), false for memfds and SysV
 * shared memory.
 */
bool ckpt_vma_is_anon_shared(struct vm_area_struct *vma)
{
	return vma->vm_file && vma_is_anon_shmem(vma) &&
	       ckpt_shmem_internal(vma->vm_file) &&
	       IS_PRIVATE(file_inode(vma->vm_file));
}

/* ---- contents ---- */

static void ckpt_put_pages(struct page **pages, unsigned int *nr)
{
	while (*nr)
		put_page(pages[--*nr]);
}

/* Write the pages of @inode that exist, a batch at a time */
static int ckpt_shmem_write_pages(struct ckpt_ctx *ctx, struct inode *inode,
				  u64 *nr_pages)
{
	pgoff_t index = 0, first = 0, end;
	unsigned int nr = 0;
	struct page **pages;
	int ret = 0;

	pages = kvcalloc(CKPT_PAGES_MAX, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	end = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	while (index < end) {
		struct folio *folio;
		struct page *page;

		/* The next page or swap entry: holes cost nothing */
		if (!xa_find(&inode->i_mapping->i_pages, &index, end - 1, XA_PRESENT))
			break;
		ret = shmem_get_folio(inode, index, 0, &folio, SGP_READ);
		if (ret) {
			ckpt_err(ctx, ret, "cannot read page %lu of a shmem file", index);
			break;
		}
		if (!folio) {	/* a hole after all (fallocated, not written) */
			index++;
			continue;
		}
		page = folio_file_page(folio, index);
		get_page(page);
		folio_unlock(folio);
		folio_put(folio);

		if (nr && (nr == CKPT_PAGES_MAX || first + nr != index)) {
			ret = ckpt_write_pages(ctx, (unsigned long)first << PAGE_SHIFT,
					       pages, nr);
			*nr_pages += nr;
			ckpt_put_pages(pages, &nr);
			if (ret) {
				put_page(page);
				break;
			}
		}
		if (!nr)
			first = index;
		pages[nr++] = page;
		index++;
		if (fatal_signal_pending(current)) {
			ret = ckpt_err(ctx, -EINTR, "interrupted");
			break;
		}
		cond_resched();
	}
	if (!ret && nr) {
		ret = ckpt_write_pages(ctx, (unsigned long)first << PAGE_SHIFT, pages, nr);
		*nr_pages += nr;
	}
	ckpt_put_pages(pages, &nr);
	kvfree(pages);
	return ret;
}

/* SHMEM, PAGES..., SHMEM_END for @inode */
static int ckpt_shmem_write(struct ckpt_ctx *ctx, struct inode *inode,
			    u32 objref, u32 seals)
{
	struct ckpt_shmem rec = {};
	struct ckpt_shmem_end end;
	u64 nr_pages = 0;
	int ret;

	rec.objref = cpu_to_le32(objref);
	rec.seals = cpu_to_le32(seals);
	rec.size = cpu_to_le64(i_size_read(inode));
	ret = ckpt_write_rec(ctx, CKPT_REC_SHMEM, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_shmem_write_pages(ctx, inode, &nr_pages);
	if (ret)
		return ret;
	end.nr_pages = cpu_to_le64(nr_pages);
	return ckpt_write_rec(ctx, CKPT_REC_SHMEM_END, &end, sizeof(end));
}

/* Read one PAGES record of a SHMEM straight into the page cache of @inode */
static int ckpt_shmem_read_pages(struct ckpt_ctx *ctx, struct inode *inode,
				 struct page **pages, pgoff_t *next, u64 *nr_pages)
{
	struct ckpt_pages rec;
	pgoff_t index, limit;
	u64 off;
	u32 len, nr, done;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_PAGES, &len);
	if (!ret)
		ret = ckpt_read(ctx, &rec, sizeof(rec));
	if (ret)
		return ret;
	off = le64_to_cpu(rec.addr);
	nr = le32_to_cpu(rec.nr_pages);
	limit = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	index = off >> PAGE_SHIFT;
	if (!nr || nr > CKPT_PAGES_MAX || rec.__pad ||
	    len != sizeof(rec) + nr * PAGE_SIZE || !PAGE_ALIGNED(off) ||
	    index < *next || index >= limit || nr > limit - index)
		return ckpt_err(ctx, -EINVAL,
				"PAGES at offset %llu (%u pages) of a SHMEM: invalid, out of order or beyond its size",
				off, nr);
	for (done = 0; done < nr; done++) {
		struct folio *folio;

		ret = shmem_get_folio(inode, index + done, 0, &folio, SGP_CACHE);
		if (ret) {
			ckpt_err(ctx, ret, "cannot allocate page %lu of a shmem file",
				 index + done);
			goto out;
		}
		pages[done] = folio_file_page(folio, index + done);
		get_page(pages[done]);
		folio_unlock(folio);
		folio_put(folio);
	}
	ret = ckpt_read_pages(ctx, pages, nr);
	if (!ret)
		ret = ckpt_read_end(ctx);
	if (!ret) {
		for (done = 0; done < nr; done++) {
			struct folio *folio = page_folio(pages[done]);

			folio_lock(folio);
			folio_mark_dirty(folio);
			folio_unlock(folio);
		}
		*next = index + nr;
		*nr_pages += nr;
	}
out:
	ckpt_put_pages(pages, &done);
	return ret;
}

/* The PAGES and SHMEM_END after a SHMEM record, into @inode */
static int ckpt_shmem_read_contents(struct ckpt_ctx *ctx, struct inode *inode)
{
	struct ckpt_shmem_end end;
	struct page **pages;
	pgoff_t next = 0;
	u64 nr_pages = 0;
	int ret;

	pages = kvcalloc(CKPT_PAGES_MAX, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while ((ret = ckpt_peek_rec(ctx)) == CKPT_REC_PAGES) {
		ret = ckpt_shmem_read_pages(ctx, inode, pages, &next, &nr_pages);
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(pages);
	if (ret < 0)
		return ret;
	ret = ckpt_read_rec(ctx, CKPT_REC_SHMEM_END, &end, sizeof(end));
	if (!ret && le64_to_cpu(end.nr_pages) != nr_pages)
		ret = ckpt_err(ctx, -EINVAL, "SHMEM_END says %llu pages, the image had %llu",
			       le64_to_cpu(end.nr_pages), nr_pages);
	return ret;
}

static int ckpt_shmem_read_rec(struct ckpt_ctx *ctx, struct ckpt_shmem *rec,
			       bool memfd)
{
	int ret = ckpt_read_rec(ctx, CKPT_REC_SHMEM, rec, sizeof(*rec));

	if (ret)
		return ret;
	if (le64_to_cpu(rec->size) > MAX_LFS_FILESIZE ||
	    le32_to_cpu(rec->seals) & ~CKPT_SHMEM_SEALS ||
	    (!memfd && (rec->seals || !rec->size)) || (memfd && rec->objref))
		return ckpt_err(ctx, -EINVAL, "SHMEM record has invalid fields");
	return 0;
}

/**
 * ckpt_shmem_save() - write the contents of a shmem file after its record
 * @ctx: checkpoint context
 * @inode: the shmem inode (a SysV segment's)
 *
 * A SHMEM record without an objref, the pages, SHMEM_END.
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_shmem_save(struct ckpt_ctx *ctx, struct inode *inode)
{
	return ckpt_shmem_write(ctx, inode, 0, 0);
}

/**
 * ckpt_shmem_load() - read what ckpt_shmem_save() wrote into a shmem file
 * @ctx: restart context
 * @inode: the new shmem inode, of the size the image says
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_shmem_load(struct ckpt_ctx *ctx, struct inode *inode)
{
	struct ckpt_shmem rec;
	int ret;

	ret = ckpt_shmem_read_rec(ctx, &rec, true);
	if (ret)
		return ret;
	if (rec.seals || le64_to_cpu(rec.size) != i_size_read(inode))
		return ckpt_err(ctx, -EINVAL, "SHMEM record: seals, or a size other than %lld",
				i_size_read(inode));
	return ckpt_shmem_read_contents(ctx, inode);
}

/* ---- shared anonymous memory: the shmem object ---- */

static int ckpt_shmem_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct inode *inode = file_inode(ptr);

	if (SHMEM_I(inode)->flags & VM_LOCKED)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"shared anonymous memory locked with SHM_LOCK cannot be saved");
	return ckpt_shmem_write(ctx, inode, objref, 0);
}

static void *ckpt_shmem_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_shmem rec;
	struct file *file;
	int ret;

	ret = ckpt_shmem_read_rec(ctx, &rec, false);
	if (!ret)
		ret = ckpt_check_objref(ctx, rec.objref, objref);
	if (ret)
		return ERR_PTR(ret);
	/*
	 * As shmem_zero_setup() makes it, but accounted as one whole object
	 * (as if it had been mapped with MAP_NORESERVE, which is rare for
	 * shared memory): the pages in use are what counts.
	 */
	file = shmem_kernel_file_setup("dev/zero", le64_to_cpu(rec.size), VM_NORESERVE);
	if (IS_ERR(file))
		return ERR_PTR(ckpt_err(ctx, PTR_ERR(file),
					"cannot create %llu bytes of shared memory",
					le64_to_cpu(rec.size)));
	ret = ckpt_shmem_read_contents(ctx, file_inode(file));
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

static int ckpt_shmem_leak(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	struct address_space *mapping = ((struct file *)ptr)->f_mapping;
	struct vm_area_struct *vma;
	unsigned long nr = 0;

	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(vma, &mapping->i_mmap, 0, ULONG_MAX)
		nr++;
	i_mmap_unlock_read(mapping);
	/* Each saved mapping named the object twice: to check it, to save it */
	if (nr <= users / 2)
		return 0;
	return ckpt_err(ctx, -EBUSY,
			"shared anonymous memory (object %u) is also mapped outside the container",
			objref);
}

/*
 * Shared anonymous memory that a process outside the container maps too
 * would be shared no more after restart: the restored copy and the
 * outside one would go separate ways.
 */
const struct ckpt_obj_ops ckpt_obj_shmem_ops = {
	.name = "shmem",
	.rec = CKPT_REC_SHMEM,
	.checkpoint = ckpt_shmem_checkpoint,
	.restart = ckpt_shmem_restart,
	.grab = ckpt_obj_get_file,
	.drop = ckpt_obj_put_file,
	.leak = ckpt_shmem_leak,
};

/* ---- memfd ---- */

/*
 * The FILE record of a memfd and its contents.  The path is "/memfd:NAME"
 * (NAME as given to memfd_create(2)); a SHMEM record with the seals and
 * the contents follows.  Another open file of the same memfd (opened
 * again through /proc/PID/fd) names the first one's FILE in obj_ref and
 * has no SHMEM: restart opens the same inode again.
 */
static int ckpt_memfd_checkpoint(struct ckpt_ctx *ctx, struct file *file, u32 objref)
{
	struct inode *inode = file_inode(file);
	char name[CKPT_MEMFD_NAME_MAX + 1];
	struct ckpt_file rec = {};
	u32 len, seals, first = 0;
	int ret;

	len = snprintf(name, sizeof(name), "/%s", file->f_path.dentry->d_name.name) + 1;
	if (len > sizeof(name))
		return ckpt_err(ctx, -ENAMETOOLONG, "memfd name too long");
	if (SHMEM_I(inode)->flags & VM_LOCKED)
		return ckpt_err(ctx, -EOPNOTSUPP, "memfd %s is locked (SHM_LOCK)", name);
	if (!ckpt_obj_key_find(ctx, CKPT_OBJ_file, inode, &first) &&
	    IS_ERR(ckpt_obj_key_add(ctx, CKPT_OBJ_file, inode, objref)))
		return -ENOMEM;
	inode_lock_shared(inode);
	seals = SHMEM_I(inode)->seals;
	rec.size = cpu_to_le64(i_size_read(inode));
	inode_unlock_shared(inode);
	rec.objref = cpu_to_le32(objref);
	rec.kind = cpu_to_le32(CKPT_FILE_MEMFD);
	rec.f_flags = cpu_to_le32(file->f_flags & CKPT_MEMFD_FLAGS);
	rec.mode = cpu_to_le32(inode->i_mode);
	rec.pos = cpu_to_le64(file->f_pos);
	rec.ino = cpu_to_le64(inode->i_ino);
	rec.fd_hint = cpu_to_le32(ctx->fd_hint);
	rec.obj_ref = cpu_to_le32(first);
	ret = ckpt_write_file_rec(ctx, &rec, name, len);
	if (!ret && !first)
		ret = ckpt_shmem_write(ctx, inode, 0, seals);
	return ret;
}

/*
 * Open @memfd again with @flags, as an open of /proc/self/fd/N would,
 * at @pos; @memfd is put.
 */
static struct file *ckpt_memfd_reopen(struct ckpt_ctx *ctx, struct file *memfd,
				      u32 flags, loff_t pos, const char *path)
{
	int mask = ((flags & O_ACCMODE) != O_WRONLY ? MAY_READ : 0) |
		   ((flags & O_ACCMODE) != O_RDONLY ? MAY_WRITE : 0);
	struct file *file;
	int ret;

	ret = inode_permission(file_mnt_idmap(memfd), file_inode(memfd), mask);
	file = ret ? ERR_PTR(ret) :
	       dentry_open(&memfd->f_path, flags & CKPT_MEMFD_FLAGS, current_cred());
	fput(memfd);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot open memfd %s again", path);
		return file;
	}
	if (pos && vfs_llseek(file, pos, SEEK_SET) != pos) {
		fput(file);
		ckpt_err(ctx, -EINVAL, "cannot restore the position of %s", path);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/* Another open file of a memfd restored already */
static struct file *ckpt_memfd_restart_ref(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
					   const char *path)
{
	struct file *first = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(rec->obj_ref));

	if (!first)
		return ERR_PTR(-EINVAL);
	if (!ckpt_file_is_memfd(first) || strcmp(first->f_path.dentry->d_name.name, path + 1)) {
		ckpt_err(ctx, -EINVAL, "FILE %s: obj_ref does not name the memfd's first FILE",
			 path);
		return ERR_PTR(-EINVAL);
	}
	return ckpt_memfd_reopen(ctx, get_file(first), le32_to_cpu(rec->f_flags),
				 le64_to_cpu(rec->pos), path);
}

/* Apply the seals, which the restored contents were not subject to */
static int ckpt_memfd_seal(struct ckpt_ctx *ctx, struct file *file, umode_t mode,
			   u32 seals, const char *path)
{
	struct inode *inode = file_inode(file);
	int ret = 0;

	inode_lock(inode);
	inode->i_mode = (inode->i_mode & ~0777) | (mode & 0777);
	if (seals & F_SEAL_WRITE)
		ret = mapping_deny_writable(file->f_mapping);
	if (!ret)
		SHMEM_I(inode)->seals = seals;
	inode_unlock(inode);
	if (ret)
		ckpt_err(ctx, ret, "cannot seal memfd %s", path);
	return ret;
}

/* Whether memfd_create(2) would make a memfd of such a FILE record */
static int ckpt_memfd_check(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
			    const char *path)
{
	umode_t mode = le32_to_cpu(rec->mode);

	if (strncmp(path + 1, CKPT_MEMFD_PREFIX, strlen(CKPT_MEMFD_PREFIX)) ||
	    strlen(path) > CKPT_MEMFD_NAME_MAX || !S_ISREG(mode) ||
	    (le32_to_cpu(rec->f_flags) & O_ACCMODE) == 3)
		return ckpt_err(ctx, -EINVAL, "FILE %s: not a memfd as memfd_create() makes",
				path);
	/*
	 * memfd_create() with vm.memfd_noexec = 2 refuses an executable
	 * memfd, and fchmod() cannot make one later.
	 */
	if ((mode & 0111) &&
	    pidns_memfd_noexec_scope(task_active_pid_ns(current)) >=
	    MEMFD_NOEXEC_SCOPE_NOEXEC_ENFORCED)
		return ckpt_err(ctx, -EACCES,
				"memfd %s is executable, which vm.memfd_noexec forbids", path);
	return 0;
}

/*
 * Create the memfd of a FILE record and fill it: read the SHMEM record and
 * the contents that follow the FILE record, then apply the seals.  The
 * memfd is created read-write, as memfd_create() makes it, and opened
 * again if this file of it has another access mode.
 */
static struct file *ckpt_memfd_restart(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
				       const char *path)
{
	u32 flags = le32_to_cpu(rec->f_flags);
	loff_t pos = le64_to_cpu(rec->pos);
	struct ckpt_shmem shm;
	struct file *file;
	int ret;

	if (!rec->obj_ref && ckpt_peek_rec(ctx) != CKPT_REC_SHMEM)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"a FILE of kind MEMFD is not followed by SHMEM"));
	ret = ckpt_memfd_check(ctx, rec, path);
	if (ret)
		return ERR_PTR(ret);
	if (rec->obj_ref)
		return ckpt_memfd_restart_ref(ctx, rec, path);
	ret = ckpt_shmem_read_rec(ctx, &shm, true);
	if (ret)
		return ERR_PTR(ret);
	if (shm.size != rec->size) {
		ckpt_err(ctx, -EINVAL, "memfd %s: FILE and SHMEM sizes differ", path);
		return ERR_PTR(-EINVAL);
	}
	file = shmem_file_setup(path + 1, le64_to_cpu(shm.size), VM_NORESERVE);
	if (IS_ERR(file)) {
		ckpt_err(ctx, PTR_ERR(file), "cannot create memfd %s", path);
		return file;
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE | (flags & (O_APPEND | O_NONBLOCK));
	ret = ckpt_shmem_read_contents(ctx, file_inode(file)) ?:
	      ckpt_memfd_seal(ctx, file, le32_to_cpu(rec->mode), le32_to_cpu(shm.seals), path);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	if ((flags & O_ACCMODE) != O_RDWR)
		return ckpt_memfd_reopen(ctx, file, flags, pos, path);
	if (pos && vfs_llseek(file, pos, SEEK_SET) != pos) {
		fput(file);
		ckpt_err(ctx, -EINVAL, "cannot restore the position of %s", path);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

static bool ckpt_memfd_match(struct ckpt_ctx *ctx, struct file *file)
{
	return ckpt_file_is_memfd(file) && ckpt_file_flags_ok(file, CKPT_MEMFD_FLAGS);
}

CKPT_FILE_OPS(MEMFD) = {
	.f_flags = CKPT_MEMFD_FLAGS,
	.props = CKPT_FOPS_PATH | CKPT_FOPS_REF_OPT,
	.match = ckpt_memfd_match,
	.checkpoint = ckpt_memfd_checkpoint,
	.restart = ckpt_memfd_restart,
};

#ifndef CONFIG_SYSVIPC
/* Without SysV IPC no task has a segment, and an image with one is refused */
static int ckpt_no_sysv_shm_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	return ckpt_err(ctx, -EOPNOTSUPP, "SysV IPC is not configured");
}

static void *ckpt_no_sysv_shm_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	return ERR_PTR(ckpt_err(ctx, -EOPNOTSUPP,
				"the image has SysV shared memory, and this kernel no SysV IPC"));
}

static void ckpt_no_sysv_shm_ref(void *ptr)
{
}

const struct ckpt_obj_ops ckpt_obj_sysv_shm_ops = {
	.name = "sysv_shm",
	.rec = CKPT_REC_SYSV_SHM,
	.checkpoint = ckpt_no_sysv_shm_checkpoint,
	.restart = ckpt_no_sysv_shm_restart,
	.grab = ckpt_no_sysv_shm_ref,
	.drop = ckpt_no_sysv_shm_ref,
};
#endif
