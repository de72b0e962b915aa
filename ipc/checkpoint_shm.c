// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of SysV shared memory segments and their attaches.
 *
 * A segment is an object, keyed by its kern_ipc_perm: a SYSV_SHM record
 * (id, key, mode, owner, creator, size) followed by its contents as a
 * SHMEM record without an objref, PAGES at file offsets and SHMEM_END
 * (mm/checkpoint_shmem.c streams them).  An attach is a VMA of kind
 * CKPT_VMA_SYSV_SHM that names the segment.
 *
 * At restart the segment is created again in the restoring task's IPC
 * namespace with its old id (ids->next_id, as the kernel.shm_next_id
 * sysctl sets it) and key, given its owner and creator, and filled; each
 * attach is a shmat() at the old address.  A segment with the same id
 * must not exist.  If the restart fails, the segments it made are
 * removed.
 *
 * Segments marked for removal (IPC_RMID while attached) and locked ones
 * (SHM_LOCK) are refused, and so are hugetlb segments and attaches that
 * do not map the whole segment any more.
 */
#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/file.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/nsproxy.h>
#include <linux/shm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <uapi/linux/shm.h>

/* Built into shm.c, whose internals it uses (see the end of shm.c) */

#define ckpt_shm_ids(ns)	(&(ns)->ids[IPC_SHM_IDS])

static struct shmid_kernel *ckpt_shp(void *ptr)
{
	return container_of((struct kern_ipc_perm *)ptr, struct shmid_kernel, shm_perm);
}

/**
 * ckpt_file_is_sysv_shm() - whether a file is what shmat() maps
 * @file: the file of a VMA
 *
 * Return: true for an attach of a SysV shared memory segment.
 */
bool ckpt_file_is_sysv_shm(struct file *file)
{
	return file->f_op == &shm_file_operations ||
	       file->f_op == &shm_file_operations_huge;
}

/* ---- checkpoint ---- */

static int ckpt_sysv_shm_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct kern_ipc_perm *perm = ptr;
	struct user_namespace *uns = current_user_ns();
	struct shmid_kernel *shp = ckpt_shp(ptr);
	struct ckpt_sysv_shm rec = {};
	struct file *file = NULL;
	int ret;

	rcu_read_lock();
	ipc_lock_object(perm);
	if (ipc_valid_object(perm) && !(perm->mode & (SHM_DEST | SHM_LOCKED)) &&
	    shmem_file(shp->shm_file)) {
		rec.objref = cpu_to_le32(objref);
		rec.id = cpu_to_le32(perm->id);
		rec.key = cpu_to_le32(perm->key);
		rec.mode = cpu_to_le32(perm->mode & 0777);
		rec.uid = cpu_to_le32(from_kuid_munged(uns, perm->uid));
		rec.gid = cpu_to_le32(from_kgid_munged(uns, perm->gid));
		rec.cuid = cpu_to_le32(from_kuid_munged(uns, perm->cuid));
		rec.cgid = cpu_to_le32(from_kgid_munged(uns, perm->cgid));
		rec.size = cpu_to_le64(shp->shm_segsz);
		file = get_file(shp->shm_file);
	}
	ipc_unlock_object(perm);
	rcu_read_unlock();
	if (!file)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"SysV shared memory segment %d is removed (IPC_RMID), locked (SHM_LOCK) or hugetlb: not supported",
				perm->id);
	ret = ckpt_write_rec(ctx, CKPT_REC_SYSV_SHM, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_shmem_save(ctx, file_inode(file));
	fput(file);
	return ret;
}

/**
 * ckpt_sysv_shm_vma() - save the segment an attach maps
 * @ctx: checkpoint context
 * @file: the file of the VMA, one that shmat() made
 * @start: start of the VMA
 * @end: its end
 * @pgoff: its offset in the segment, in pages
 * @objref: returns the id of the segment's object
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_sysv_shm_vma(struct ckpt_ctx *ctx, struct file *file, unsigned long start,
		      unsigned long end, unsigned long pgoff, u32 *objref)
{
	struct shm_file_data *sfd = shm_file_data(file);
	struct kern_ipc_perm *perm;
	bool whole;
	int ret;

	rcu_read_lock();
	perm = ipc_obtain_object_check(ckpt_shm_ids(sfd->ns), sfd->id);
	if (IS_ERR(perm) || ckpt_shp(perm)->shm_file != sfd->file ||
	    !ipc_rcu_getref(perm)) {
		rcu_read_unlock();
		return ckpt_err(ctx, -EOPNOTSUPP,
				"mapping %lx-%lx: SysV shared memory segment %d was removed (IPC_RMID): not supported",
				start, end, sfd->id);
	}
	rcu_read_unlock();
	/* sfd->file is the segment's, held by the attach */
	whole = !pgoff && end - start == PAGE_ALIGN(i_size_read(file_inode(sfd->file)));
	if (whole)
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_sysv_shm, perm, objref);
	else
		ret = ckpt_err(ctx, -EOPNOTSUPP,
			       "mapping %lx-%lx maps part of SysV shared memory segment %d: not supported",
			       start, end, sfd->id);
	ipc_rcu_putref(perm, shm_rcu_free);
	return ret;
}

/**
 * ckpt_checkpoint_shm_ns() - save every SysV shared memory segment of a namespace
 * @ctx: checkpoint context
 * @ns: the IPC namespace of the saved tasks, when they have their own
 *
 * Segments that no task has attached are saved too: a container's
 * namespace is restored whole.  Each is an object, written once.
 *
 * Return: the number of segments saved, or a negative error, logged.
 */
int ckpt_checkpoint_shm_ns(struct ckpt_ctx *ctx, struct ipc_namespace *ns)
{
	struct ipc_ids *ids = ckpt_shm_ids(ns);
	struct kern_ipc_perm **segs, *perm;
	int i, n = 0, max, id, ret = 0;
	u32 objref;

	down_read(&ids->rwsem);
	max = ids->in_use;
	segs = kvcalloc(max ?: 1, sizeof(*segs), GFP_KERNEL);
	if (!segs) {
		up_read(&ids->rwsem);
		return -ENOMEM;
	}
	rcu_read_lock();
	idr_for_each_entry(&ids->ipcs_idr, perm, id) {
		if (n < max && ipc_rcu_getref(perm))
			segs[n++] = perm;
	}
	rcu_read_unlock();
	up_read(&ids->rwsem);
	for (i = 0; i < n; i++) {
		if (!ret)
			ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_sysv_shm, segs[i], &objref);
		ipc_rcu_putref(segs[i], shm_rcu_free);
	}
	kvfree(segs);
	return ret ?: n;
}

/* ---- restart ---- */

static int ckpt_sysv_shm_check(struct ckpt_ctx *ctx, const struct ckpt_sysv_shm *rec,
			       kuid_t *uid, kgid_t *gid, kuid_t *cuid, kgid_t *cgid)
{
	/* The caller's view, even in the tasks' own user namespace */
	struct user_namespace *uns = ctx->caller_cred->user_ns;
	const struct cred *cred = ctx->caller_cred;

	*uid = make_kuid(uns, le32_to_cpu(rec->uid));
	*gid = make_kgid(uns, le32_to_cpu(rec->gid));
	*cuid = make_kuid(uns, le32_to_cpu(rec->cuid));
	*cgid = make_kgid(uns, le32_to_cpu(rec->cgid));
	if (le32_to_cpu(rec->mode) & ~0777 || (int)le32_to_cpu(rec->id) < 0 ||
	    !rec->size || le64_to_cpu(rec->size) > ULONG_MAX - PAGE_SIZE ||
	    !uid_valid(*uid) || !gid_valid(*gid) || !uid_valid(*cuid) ||
	    !gid_valid(*cgid))
		return ckpt_err(ctx, -EINVAL, "SYSV_SHM record has invalid fields");
	/*
	 * Owners other than the caller need what IPC_SET on a segment of
	 * someone else needs.
	 */
	if (!ckpt_caller_capable(ctx, current->nsproxy->ipc_ns->user_ns, CAP_SYS_ADMIN) &&
	    (!uid_eq(*uid, cred->euid) || !uid_eq(*cuid, cred->euid) ||
	     !gid_eq(*gid, cred->egid) || !gid_eq(*cgid, cred->egid)))
		return ckpt_err(ctx, -EPERM,
				"SysV shared memory segment %u belongs to another user",
				le32_to_cpu(rec->id));
	return 0;
}

/* Remove the segment @perm (a reference is held); for a failed restart */
static void ckpt_sysv_shm_abort(void *ptr)
{
	struct kern_ipc_perm *perm = ptr;
	struct ipc_namespace *ns = ckpt_shp(ptr)->ns;
	struct ipc_ids *ids = ckpt_shm_ids(ns);

	down_write(&ids->rwsem);
	rcu_read_lock();
	ipc_lock_object(perm);
	if (ipc_valid_object(perm)) {
		/* Unlocks the object and rcu */
		do_shm_rmid(ns, perm);
		__release(&perm->lock);
		__release(RCU);
	} else {
		ipc_unlock_object(perm);
		rcu_read_unlock();
	}
	up_write(&ids->rwsem);
}

/* Create the segment with id @id; returns it with a reference */
static struct kern_ipc_perm *ckpt_sysv_shm_create(struct ckpt_ctx *ctx,
						  const struct ckpt_sysv_shm *rec)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct ipc_ids *ids = ckpt_shm_ids(ns);
	int id = le32_to_cpu(rec->id);
	struct kern_ipc_perm *perm;
	bool busy;
	long ret;

	/*
	 * In a namespace restart did not create, choosing the id needs what
	 * writing kernel.shm_next_id needs.  Another task may still take
	 * the id first, as with that sysctl: restart then fails.
	 */
	if (!ckpt_ns_own(ctx, CKPT_NS_ipc) &&
	    !ckpt_caller_capable(ctx, ns->user_ns, CAP_CHECKPOINT_RESTORE) &&
	    !ckpt_caller_capable(ctx, ns->user_ns, CAP_SYS_ADMIN))
		return ERR_PTR(ckpt_err(ctx, -EPERM,
					"SysV shared memory id %d in the caller's IPC namespace needs CAP_CHECKPOINT_RESTORE",
					id));
	down_write(&ids->rwsem);
	busy = !!idr_find(&ids->ipcs_idr, ipcid_to_idx(id));
	if (!busy)
		ids->next_id = id;
	up_write(&ids->rwsem);
	if (busy)
		return ERR_PTR(ckpt_err(ctx, -EBUSY,
					"SysV shared memory id %d is in use in this IPC namespace",
					id));
	ret = ksys_shmget(le32_to_cpu(rec->key), le64_to_cpu(rec->size),
			  IPC_CREAT | IPC_EXCL | le32_to_cpu(rec->mode));
	if (ret < 0) {
		down_write(&ids->rwsem);
		ids->next_id = -1;
		up_write(&ids->rwsem);
		return ERR_PTR(ckpt_err(ctx, ret,
					"cannot create SysV shared memory segment %d (key %#x)",
					id, le32_to_cpu(rec->key)));
	}
	rcu_read_lock();
	perm = ipc_obtain_object_check(ids, ret);
	if (IS_ERR(perm) || !ipc_rcu_getref(perm)) {
		rcu_read_unlock();
		return ERR_PTR(ckpt_err(ctx, -EAGAIN,
					"SysV shared memory segment %ld went away as it was made",
					ret));
	}
	rcu_read_unlock();
	if (ret != id) {
		/* Another task took the id in between */
		ckpt_sysv_shm_abort(perm);
		ipc_rcu_putref(perm, shm_rcu_free);
		return ERR_PTR(ckpt_err(ctx, -EBUSY,
					"SysV shared memory segment %d was made as %ld",
					id, ret));
	}
	return perm;
}

static void *ckpt_sysv_shm_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_sysv_shm rec;
	struct kern_ipc_perm *perm;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	struct file *file;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_SYSV_SHM, &rec, sizeof(rec));
	if (!ret)
		ret = ckpt_check_objref(ctx, rec.objref, objref);
	if (!ret)
		ret = ckpt_sysv_shm_check(ctx, &rec, &uid, &gid, &cuid, &cgid);
	if (ret)
		return ERR_PTR(ret);
	perm = ckpt_sysv_shm_create(ctx, &rec);
	if (IS_ERR(perm))
		return perm;

	rcu_read_lock();
	ipc_lock_object(perm);
	perm->uid = uid;
	perm->gid = gid;
	perm->cuid = cuid;
	perm->cgid = cgid;
	file = get_file(ckpt_shp(perm)->shm_file);
	ipc_unlock_object(perm);
	rcu_read_unlock();

	ret = ckpt_shmem_load(ctx, file_inode(file));
	fput(file);
	if (ret) {
		ckpt_sysv_shm_abort(perm);
		ipc_rcu_putref(perm, shm_rcu_free);
		return ERR_PTR(ret);
	}
	return perm;
}

/**
 * ckpt_sysv_shm_attach() - attach a restored segment at its old address
 * @ctx: restart context
 * @seg: the segment, from the object hash
 * @start: address of the attach
 * @end: its end: the whole segment is mapped
 * @vflags: CKPT_VMA_* flags of the VMA
 *
 * Return: 0 or a negative error, logged.
 */
int ckpt_sysv_shm_attach(struct ckpt_ctx *ctx, void *seg, unsigned long start,
			 unsigned long end, u32 vflags)
{
	struct kern_ipc_perm *perm = seg;
	struct vm_area_struct *vma;
	unsigned long addr;
	int shmflg = 0;
	long ret;

	if (!(vflags & CKPT_VMA_WRITE))
		shmflg |= SHM_RDONLY;
	if (vflags & CKPT_VMA_EXEC)
		shmflg |= SHM_EXEC;
	ret = do_shmat(perm->id, (char __user *)start, shmflg, &addr, SHMLBA);
	if (ret)
		return ckpt_err(ctx, ret, "cannot attach SysV shared memory segment %d at %lx",
				perm->id, start);
	if (mmap_read_lock_killable(current->mm))
		return -EINTR;
	vma = vma_lookup(current->mm, start);
	ret = addr == start && vma && vma->vm_start == start && vma->vm_end == end &&
	      ((vflags & CKPT_VMA_READ) || !(vma->vm_flags & VM_READ));
	mmap_read_unlock(current->mm);
	if (!ret)
		return ckpt_err(ctx, -EINVAL,
				"SysV shared memory segment %d attached at %lx is not the mapping %lx-%lx",
				perm->id, addr, start, end);
	return 0;
}

static void ckpt_sysv_shm_grab(void *ptr)
{
	/* The caller holds a reference: this cannot fail */
	WARN_ON_ONCE(!ipc_rcu_getref(ptr));
}

static void ckpt_sysv_shm_drop(void *ptr)
{
	ipc_rcu_putref(ptr, shm_rcu_free);
}

const struct ckpt_obj_ops ckpt_obj_sysv_shm_ops = {
	.name = "sysv_shm",
	.rec = CKPT_REC_SYSV_SHM,
	.checkpoint = ckpt_sysv_shm_checkpoint,
	.restart = ckpt_sysv_shm_restart,
	.grab = ckpt_sysv_shm_grab,
	.drop = ckpt_sysv_shm_drop,
	.abort = ckpt_sysv_shm_abort,
};
