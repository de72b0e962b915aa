// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checkpoint/restart of an address space.
 *
 * The image of an mm is an MM record, one VMA record per mapping, then the
 * contents of the pages the task has: pages of anonymous mappings that
 * exist, and pages of private file mappings that were written (anonymous
 * copies).  Never-touched pages, the zero page and unmodified file pages
 * are not saved, so a sparse mapping costs nothing.
 *
 * Shared mappings save no pages: a MAP_SHARED mapping of a regular file
 * refers to the FILE, whose page cache (dirty or not) is the file's
 * contents; shared anonymous memory refers to a SHMEM object and a memfd
 * to its FILE, which hold the pages (mm/checkpoint_shmem.c); a SysV
 * attach to a SYSV_SHM object (ipc/checkpoint_shm.c).  mlock() and
 * mlockall() state is kept.
 *
 * Pages are found by walking the page tables under mmap_lock, a batch of
 * at most CKPT_PAGES_MAX consecutive pages at a time; the lock is dropped
 * before the batch is written straight from the pages to the image.  The
 * memory used is one batch whatever the size of the task.
 *
 * At restart the task rebuilds its mm as "current": a new mm is installed
 * with exec_mmap(), mappings are recreated with vm_mmap() at their exact
 * addresses (MAP_FIXED_NOREPLACE, so that a hostile image cannot make
 * them overlap), and page contents are read from the image straight into
 * pages taken with get_user_pages_remote(FOLL_FORCE), which works in
 * read-only mappings like a debugger's write does.
 */
#include <linux/mm.h>
#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/checkpoint.h>
#include <linux/checkpoint_lazy.h>
#include <linux/file.h>
#include <linux/mman.h>
#include <linux/pagewalk.h>
#include <linux/random.h>
#include <linux/rmap.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "internal.h"

#define CKPT_VMA_BATCH		32
#define CKPT_PREDUMP_MAX_MMS	1024
#define CKPT_MM_MAX_VMAS	BIT(20)

/* vm_flags that a VMA record can carry, or that are derived on restart */
#define CKPT_VM_OK	(VM_READ | VM_WRITE | VM_EXEC | VM_MAYREAD | \
			 VM_MAYWRITE | VM_MAYEXEC | VM_GROWSDOWN | \
			 VM_NORESERVE | VM_ACCOUNT | VM_HUGEPAGE | \
			 VM_NOHUGEPAGE | VM_DONTCOPY | VM_WIPEONFORK | \
			 VM_DONTDUMP | VM_SOFTDIRTY | VM_SEQ_READ | VM_RAND_READ | \
			 VM_SHARED | VM_MAYSHARE | VM_LOCKED | VM_LOCKONFAULT)

/* madvise() calls that restore the CKPT_VMA_* flags */
static const struct {
	u32 flag;
	int advice;
} ckpt_vma_advice[] = {
	{ CKPT_VMA_HUGEPAGE,	MADV_HUGEPAGE },
	{ CKPT_VMA_NOHUGEPAGE,	MADV_NOHUGEPAGE },
	{ CKPT_VMA_DONTFORK,	MADV_DONTFORK },
	{ CKPT_VMA_WIPEONFORK,	MADV_WIPEONFORK },
	{ CKPT_VMA_DONTDUMP,	MADV_DONTDUMP },
};

#define CKPT_VMA_KNOWN_FLAGS	(CKPT_VMA_READ | CKPT_VMA_WRITE | CKPT_VMA_EXEC | \
				 CKPT_VMA_GROWSDOWN | CKPT_VMA_NORESERVE | \
				 CKPT_VMA_HUGEPAGE | CKPT_VMA_NOHUGEPAGE | \
				 CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK | \
				 CKPT_VMA_DONTDUMP | CKPT_VMA_LOCKED | \
				 CKPT_VMA_LOCKONFAULT)

/* Kinds of VMA that map a file or shmem object: file_ref and pgoff apply */
#define CKPT_VMA_HAS_FILE(kind)	((kind) == CKPT_VMA_FILE || \
				 (kind) == CKPT_VMA_SHARED_FILE || \
				 (kind) == CKPT_VMA_SHMEM || \
				 (kind) == CKPT_VMA_SYSV_SHM)

struct ckpt_vma_info {
	unsigned long start, end, pgoff;
	vm_flags_t flags;
	struct file *file;
	int special;
	bool anon_shared;	/* shared anonymous memory */
	bool sysv_shm;		/* SysV shared memory (shmat()) */
	const void *anon_root;	/* root anon_vma of a forked private mapping */
};

/*
 * The root anon_vma of a private anonymous mapping that fork() copied (or
 * that was copied from), which stands for its family: a parent's mapping
 * and its children's share it.  Only a hint, read without its lock.
 */
static const void *ckpt_vma_anon_root(struct vm_area_struct *vma)
{
	struct anon_vma *av = READ_ONCE(vma->anon_vma);

	if (!av || !vma_is_anonymous(vma) || vma->vm_flags & VM_MAYSHARE)
		return NULL;
	return READ_ONCE(av->root->num_children) > 1 ? av->root : NULL;
}

/* Snapshot up to @max VMAs from @addr on; takes a reference on their files */
static int ckpt_vma_batch(struct mm_struct *mm, unsigned long addr,
			  struct ckpt_vma_info *v, int max)
{
	VMA_ITERATOR(vmi, mm, addr);
	struct vm_area_struct *vma;
	int n = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for_each_vma(vmi, vma) {
		if (n == max)
			break;
		v[n].start = vma->vm_start;
		v[n].end = vma->vm_end;
		v[n].pgoff = vma->vm_pgoff;
		v[n].flags = vma->vm_flags;
		v[n].special = ckpt_arch_vma_special(vma);
		v[n].file = NULL;
		v[n].anon_shared = ckpt_vma_is_anon_shared(vma);
		v[n].sysv_shm = vma->vm_file && ckpt_file_is_sysv_shm(vma->vm_file);
		v[n].anon_root = ckpt_vma_anon_root(vma);
		if (vma->vm_file && !vma_is_anonymous(vma))
			v[n].file = get_file(vma->vm_file);
		n++;
	}
	mmap_read_unlock(mm);
	return n;
}

static void ckpt_vma_batch_put(struct ckpt_vma_info *v, int n)
{
	while (n--)
		if (v[n].file)
			fput(v[n].file);
}

/* The record kind of a VMA, or a negative error (logged) */
static int ckpt_vma_kind(struct ckpt_ctx *ctx, const struct ckpt_vma_info *v)
{
	if (v->special < 0)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"mapping %lx-%lx is a special mapping that cannot be saved",
				v->start, v->end);
	if (v->special)
		return v->special;
	if (v->flags & ~CKPT_VM_OK)
		return ckpt_err(ctx, -EOPNOTSUPP,
				"mapping %lx-%lx has flags %#lx that cannot be saved yet (device, hugetlb, userfaultfd, ...)",
				v->start, v->end, (unsigned long)(v->flags & ~CKPT_VM_OK));
	if (v->sysv_shm)
		return CKPT_VMA_SYSV_SHM;
	/* VM_MAYSHARE: a MAP_SHARED mapping of a file opened read-only has no VM_SHARED */
	if (!(v->flags & VM_MAYSHARE))
		return v->file ? CKPT_VMA_FILE : CKPT_VMA_ANON;
	if (v->anon_shared)
		return CKPT_VMA_SHMEM;
	if (!v->file || !S_ISREG(file_inode(v->file)->i_mode))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"mapping %lx-%lx is a shared mapping of something other than a regular file",
				v->start, v->end);
	return CKPT_VMA_SHARED_FILE;
}

static enum ckpt_obj_kind ckpt_vma_obj_kind(int kind)
{
	switch (kind) {
	case CKPT_VMA_SHMEM:
		return CKPT_OBJ_shmem;
	case CKPT_VMA_SYSV_SHM:
		return CKPT_OBJ_sysv_shm;
	default:
		return CKPT_OBJ_file;
	}
}

/* Save the file or object that a VMA of @kind maps */
static int ckpt_vma_obj(struct ckpt_ctx *ctx, const struct ckpt_vma_info *v,
			int kind, u32 *ref)
{
	if (kind == CKPT_VMA_SYSV_SHM)
		return ckpt_sysv_shm_vma(ctx, v->file, v->start, v->end, v->pgoff, ref);
	return ckpt_obj_checkpoint(ctx, ckpt_vma_obj_kind(kind), v->file, ref);
}

static u32 ckpt_vma_flags(vm_flags_t f)
{
	u32 flags = 0;

	flags |= f & VM_READ ? CKPT_VMA_READ : 0;
	flags |= f & VM_WRITE ? CKPT_VMA_WRITE : 0;
	flags |= f & VM_EXEC ? CKPT_VMA_EXEC : 0;
	flags |= f & VM_GROWSDOWN ? CKPT_VMA_GROWSDOWN : 0;
	flags |= f & VM_NORESERVE ? CKPT_VMA_NORESERVE : 0;
	flags |= f & VM_HUGEPAGE ? CKPT_VMA_HUGEPAGE : 0;
	flags |= f & VM_NOHUGEPAGE ? CKPT_VMA_NOHUGEPAGE : 0;
	flags |= f & VM_DONTCOPY ? CKPT_VMA_DONTFORK : 0;
	flags |= f & VM_WIPEONFORK ? CKPT_VMA_WIPEONFORK : 0;
	flags |= f & VM_DONTDUMP ? CKPT_VMA_DONTDUMP : 0;
	flags |= f & VM_LOCKED ? CKPT_VMA_LOCKED : 0;
	flags |= f & VM_LOCKONFAULT ? CKPT_VMA_LOCKONFAULT : 0;
	return flags;
}

/* ---- incremental checkpoints ---- */

/*
 * checkpoint(2) with CHECKPOINT_TRACK writes a complete image and then,
 * the tasks still frozen, clears the soft-dirty bits of every address
 * space it saved (mm_clear_soft_dirty(), as /proc/PID/clear_refs does),
 * and notes in each mm the image's id (CHAIN.id) and the mm's objref in
 * it.  From then on a write to a page, a new mapping, a page moved by
 * mremap() or brought back from swap sets a soft-dirty bit.  With
 * CHECKPOINT_INCREMENTAL a present page of a private mapping whose bit is
 * clear is the same as in that image: a PAGES_PARENT run names it instead
 * of a PAGES record carrying it.
 *
 * The bits are the task's too (/proc/PID/pagemap).  Once anyone clears
 * them through clear_refs, the mm says so (MM_CKPT_TRACK_FOREIGN): its
 * pages are then always written in full and checkpoint(2) leaves its bits
 * alone.  A clear_refs during a checkpoint makes it fail.  A new mm (fork,
 * exec, restart) starts untracked.
 *
 * The parent of an incremental image is the image the root task's mm was
 * tracked from; an mm tracked from another image (a subtree checkpointed
 * with CHECKPOINT_TRACK since) is written in full.  Pages that DMA may
 * write behind the page tables' back (pinned) are always written.
 * restart(2) reads complete images only: the ckpt tool merges a chain.
 */

/* The image the root task's mm counts its writes from, or 0 */
static u64 ckpt_root_track_id(struct ckpt_ctx *ctx)
{
	struct mm_struct *mm = get_task_mm(ctx->root);
	u64 id = 0;

	if (mm) {
		id = READ_ONCE(mm->ckpt_track_id);
		mmput(mm);
	}
	if (id == MM_CKPT_TRACK_FOREIGN)
		id = 0;
	if (!id)
		ckpt_log(ctx, "task %d was not tracked from an image: the image is complete",
			 ctx->root_pid);
	return id;
}

/**
 * ckpt_mm_write_chain() - write the CHAIN record of a tracked or incremental image
 * @ctx: checkpoint context, after the header
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mm_write_chain(struct ckpt_ctx *ctx)
{
	u32 type = CKPT_REC_CHAIN;
	struct ckpt_chain rec;

	if (!(ctx->flags & (CHECKPOINT_TRACK | CHECKPOINT_INCREMENTAL | CHECKPOINT_PREDUMP)))
		return 0;
	if (!IS_ENABLED(CONFIG_MEM_SOFT_DIRTY))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"this kernel has no soft-dirty bits to track writes with (CONFIG_MEM_SOFT_DIRTY)");
	if (ctx->flags & CHECKPOINT_INCREMENTAL)
		ctx->chain_parent = ckpt_root_track_id(ctx);
	do {
		ctx->chain_id = get_random_u64();
	} while (!ctx->chain_id || ctx->chain_id == MM_CKPT_TRACK_FOREIGN);
	rec.id = cpu_to_le64(ctx->chain_id);
	rec.parent = cpu_to_le64(ctx->chain_parent);
	if (!ctx->chain_parent)
		type |= CKPT_REC_OPTIONAL;
	ckpt_log(ctx, "image %016llx, parent %016llx", ctx->chain_id, ctx->chain_parent);
	return ckpt_write_rec(ctx, type, &rec, sizeof(rec));
}

/**
 * ckpt_mm_read_chain() - refuse an incremental image
 * @ctx: restart context, after the X86_CPUID and X86_VDSO records
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mm_read_chain(struct ckpt_ctx *ctx)
{
	struct ckpt_chain rec;
	int ret;

	if (le32_to_cpu(ctx->hdr.flags) & CHECKPOINT_PREDUMP)
		return ckpt_err(ctx, -EINVAL,
				"a pre-dump holds memory only, for the images that follow it");
	ret = ckpt_peek_rec(ctx);
	if (ret != CKPT_REC_CHAIN)
		return ret < 0 ? ret : 0;
	ret = ckpt_read_rec(ctx, CKPT_REC_CHAIN, &rec, sizeof(rec));
	if (!ret && rec.parent)
		ret = ckpt_err(ctx, -EINVAL,
			       "image %016llx holds only the pages changed since image %016llx: merge them first (ckpt restart --parent)",
			       le64_to_cpu(rec.id), le64_to_cpu(rec.parent));
	return ret;
}

/* The MM's objref in the parent image, if its pages can be named there */
static u32 ckpt_mm_parent_ref(struct ckpt_ctx *ctx, struct mm_struct *mm, u32 objref)
{
	u32 ref;
	u64 id;

	if (!ctx->chain_parent)
		return 0;
	mmap_read_lock(mm);
	id = mm->ckpt_track_id;
	ref = id == ctx->chain_parent ? mm->ckpt_track_ref : 0;
	mmap_read_unlock(mm);
	if (!ref)
		ckpt_log(ctx, "MM %u: all its pages are written: %s", objref,
			 id == MM_CKPT_TRACK_FOREIGN ? "its tasks clear its soft-dirty bits" :
			 "not tracked from the parent image");
	return ref;
}

/* Under mmap_lock: a clear_refs since the checkpoint began spoils the bits */
static int ckpt_mm_still_tracked(struct ckpt_ctx *ctx, struct mm_struct *mm,
				 u32 parent_ref, u32 objref)
{
	if (!parent_ref || mm->ckpt_track_id == ctx->chain_parent)
		return 0;
	return ckpt_err(ctx, -EAGAIN,
			"the soft-dirty bits of MM %u were cleared during the checkpoint",
			objref);
}

static int ckpt_mm_track_one(struct ckpt_ctx *ctx, void *ptr, u32 objref, u32 users)
{
	struct mm_struct *mm = ptr;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (mm->ckpt_track_id != MM_CKPT_TRACK_FOREIGN) {
		if (IS_ENABLED(CONFIG_MEM_SOFT_DIRTY))
			mm_clear_soft_dirty(mm);
		mm->ckpt_track_id = ctx->chain_id;
		mm->ckpt_track_ref = objref;
	}
	mmap_write_unlock(mm);
	return 0;
}

/**
 * ckpt_mm_track() - count the tasks' writes from this image on
 * @ctx: checkpoint context, the image complete and the tasks still frozen
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mm_track(struct ckpt_ctx *ctx)
{
	int ret;

	if (!(ctx->flags & CHECKPOINT_TRACK))
		return 0;
	ret = ckpt_obj_for_each(ctx, CKPT_OBJ_mm, ckpt_mm_track_one);
	if (ret)
		return ckpt_err(ctx, ret, "cannot track the writes from image %016llx",
				ctx->chain_id);
	ckpt_log(ctx, "writes are tracked from image %016llx", ctx->chain_id);
	return 0;
}

/* ---- page contents ---- */

struct ckpt_page_walk {
	struct page **pages;
	unsigned long start;	/* address of pages[0] */
	unsigned int nr;
	unsigned long next;	/* where the walk stopped */
	unsigned long fault;	/* a non-present entry to fault in, or 0 */
	bool anon_only;		/* private file mapping: only CoW copies */
	bool track;		/* incremental: note the pages not written since */
	unsigned long skipped;	/* mapped pages not wanted */
	DECLARE_BITMAP(clean, CKPT_PAGES_MAX);	/* as the parent image has it */
};

/*
 * Incremental checkpoint: is a page whose entry has no soft-dirty bit
 * (@dirty false) the same as in the parent image?  Not in a mapping made
 * since, nor if DMA may have written it behind the page tables' back.
 */
static bool ckpt_page_clean(struct ckpt_page_walk *w, struct vm_area_struct *vma,
			    struct page *page, bool dirty)
{
	return w->track && !dirty && !(vma->vm_flags & VM_SOFTDIRTY) &&
	       !folio_maybe_dma_pinned(page_folio(page));
}

static bool ckpt_walk_add(struct ckpt_page_walk *w, unsigned long addr,
			  struct page *page, bool clean)
{
	if (w->nr && (w->nr == CKPT_PAGES_MAX ||
		      w->start + w->nr * PAGE_SIZE != addr))
		return false;
	if (!w->nr)
		w->start = addr;
	get_page(page);
	__assign_bit(w->nr, w->clean, clean);
	w->pages[w->nr++] = page;
	return true;
}

static bool ckpt_page_wanted(struct ckpt_page_walk *w, struct page *page)
{
	return page && (!w->anon_only || PageAnon(page));
}

static int ckpt_pmd_entry(pmd_t *pmd, unsigned long addr, unsigned long end,
			  struct mm_walk *walk)
{
	struct ckpt_page_walk *w = walk->private;
	struct vm_area_struct *vma = walk->vma;
	pte_t *start_pte, *pte;
	spinlock_t *ptl;	/* page table lock of the PMD or the PTEs */

	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl) {
		pmd_t pmdval = pmdp_get(pmd);

		if (!pmd_present(pmdval)) {
			w->fault = addr;
		} else if (!is_huge_zero_pmd(pmdval)) {
			struct page *page = vm_normal_page_pmd(vma, addr, pmdval);

			if (ckpt_page_wanted(w, page)) {
				bool clean = ckpt_page_clean(w, vma, page,
							     pmd_soft_dirty(pmdval));

				page += (addr & ~PMD_MASK) >> PAGE_SHIFT;
				for (; addr < end; addr += PAGE_SIZE, page++)
					if (!ckpt_walk_add(w, addr, page, clean))
						break;
			} else {
				w->skipped += (end - addr) >> PAGE_SHIFT;
				addr = end;
			}
		} else {
			w->skipped += (end - addr) >> PAGE_SHIFT;
			addr = end;
		}
		spin_unlock(ptl);
		goto out;
	}

	start_pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!start_pte) {
		walk->action = ACTION_AGAIN;
		return 0;
	}
	for (pte = start_pte; addr < end; pte++, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get(pte);
		struct page *page;

		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			/* Swapped out or migrating: fault it in without the lock */
			w->fault = addr;
			break;
		}
		page = vm_normal_page(vma, addr, ptent);
		if (!ckpt_page_wanted(w, page)) {
			w->skipped++;
			continue;
		}
		if (!ckpt_walk_add(w, addr, page,
				   ckpt_page_clean(w, vma, page, pte_soft_dirty(ptent))))
			break;
	}
	pte_unmap_unlock(start_pte, ptl);
out:
	if (addr < end || w->fault) {
		w->next = w->fault ?: addr;
		return 1;
	}
	return 0;
}

static const struct mm_walk_ops ckpt_walk_ops = {
	.pmd_entry = ckpt_pmd_entry,
	.walk_lock = PGWALK_RDLOCK,
};

static void ckpt_walk_release(struct ckpt_page_walk *w)
{
	while (w->nr)
		put_page(w->pages[--w->nr]);
}

static int ckpt_fault_in(struct ckpt_ctx *ctx, struct mm_struct *mm,
			 unsigned long addr)
{
	struct page *page;
	long ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = get_user_pages_remote(mm, addr, 1, FOLL_FORCE, &page, NULL);
	mmap_read_unlock(mm);
	if (ret != 1)
		return ckpt_err(ctx, ret < 0 ? ret : -EFAULT,
				"cannot read the page at %lx", addr);
	put_page(page);
	return 0;
}

/*
 * Copy-on-write pages that processes of the tree share since fork() are
 * written once.  The first process found with such a page (its mapcount
 * says others may map it) writes it in a PAGES record and notes it in
 * ctx->cow_pages, indexed by pfn, with its MM and address; the xarray
 * holds a reference on the page so that the pfn stays that page's.  A
 * later process that maps the same page at the same address, in a mapping
 * of the same fork family (its VMA's cow_mm_ref), writes a PAGES_COW
 * record instead.
 */
#define CKPT_COW_MM_BITS	20

struct ckpt_mm_save {
	struct ckpt_page_walk w;
	u32 objref;		/* of the MM being saved */
	u32 parent_ref;		/* incremental: its objref in the parent image */
	const void *anon_root;	/* the current VMA's fork family, or NULL */
	u32 run_type;		/* a PAGES_COW or PAGES_PARENT run not written yet */
	unsigned long run_addr;
	u32 run_nr;
	u32 run_mm;		/* the MM it names */
	u64 nr_written, nr_cow, nr_parent;
	struct ckpt_predump_mm *pd;	/* pre-dump: keep the runs, write later */
};

static int ckpt_predump_add_run(struct ckpt_predump_mm *pd, u32 type,
				unsigned long addr, u32 nr, u32 ref);
static int ckpt_predump_hold(struct ckpt_predump_mm *pd, unsigned long addr,
			     struct page **pages, u32 nr);
static void ckpt_predump_free(struct ckpt_predump *p);

/* The MM that wrote @page at @addr already, or 0 */
static u32 ckpt_page_cow(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms,
			 unsigned long addr, struct page *page)
{
	unsigned long val;
	void *entry;
	u32 ref;

	if (!ms->anon_root || !PageAnon(page))
		return 0;
	entry = xa_load(&ctx->cow_pages, page_to_pfn(page));
	if (!entry)
		return 0;
	val = xa_to_value(entry);
	ref = val & (BIT(CKPT_COW_MM_BITS) - 1);
	return ref != ms->objref && val >> CKPT_COW_MM_BITS == addr >> PAGE_SHIFT ?
	       ref : 0;
}

/* Note the pages just written that other processes may map too */
static int ckpt_note_cow_pages(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms,
			       unsigned long addr, struct page **pages, u32 nr)
{
	unsigned long pg;
	u32 i;
	int ret;

	if (!ms->anon_root || ms->objref >= BIT(CKPT_COW_MM_BITS))
		return 0;
	for (i = 0; i < nr; i++, addr += PAGE_SIZE) {
		pg = addr >> PAGE_SHIFT;
		if (!PageAnon(pages[i]) || folio_mapcount(page_folio(pages[i])) < 2 ||
		    pg >= BIT(BITS_PER_LONG - 1 - CKPT_COW_MM_BITS))
			continue;
		ret = xa_insert(&ctx->cow_pages, page_to_pfn(pages[i]),
				xa_mk_value(pg << CKPT_COW_MM_BITS | ms->objref),
				GFP_KERNEL);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		get_page(pages[i]);
	}
	return 0;
}

/**
 * ckpt_mm_fini() - drop what the checkpoint kept of shared pages
 * @ctx: checkpoint or restart context
 */
void ckpt_mm_fini(struct ckpt_ctx *ctx)
{
	unsigned long pfn;
	void *entry;

	ckpt_predump_free(ctx->predump);
	ctx->predump = NULL;
	xa_for_each(&ctx->cow_pages, pfn, entry)
		put_page(pfn_to_page(pfn));
	xa_destroy(&ctx->cow_pages);
}

/*
 * Write the pending run of pages named, not carried: a PAGES_COW or a
 * PAGES_PARENT record (the same layout), if any
 */
static int ckpt_flush_run(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms)
{
	struct ckpt_pages_cow rec = {
		.addr = cpu_to_le64(ms->run_addr),
		.nr_pages = cpu_to_le32(ms->run_nr),
		.mm_ref = cpu_to_le32(ms->run_mm),
	};

	BUILD_BUG_ON(sizeof(rec) != sizeof(struct ckpt_pages_parent));
	if (!ms->run_nr)
		return 0;
	if (ms->run_type == CKPT_REC_PAGES_COW)
		ms->nr_cow += ms->run_nr;
	else
		ms->nr_parent += ms->run_nr;
	ms->run_nr = 0;
	if (ms->pd)
		return ckpt_predump_add_run(ms->pd, ms->run_type, ms->run_addr,
					    le32_to_cpu(rec.nr_pages), ms->run_mm);
	return ckpt_write_rec(ctx, ms->run_type, &rec, sizeof(rec));
}

/* Pages [@addr, +@nr) are @ref's: extend the pending run or start one */
static int ckpt_add_run(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms, u32 type,
			unsigned long addr, u32 nr, u32 ref)
{
	int ret = 0;

	if (ms->run_nr && (ms->run_addr + ms->run_nr * PAGE_SIZE != addr ||
			   ms->run_type != type || ms->run_mm != ref ||
			   ms->run_nr + nr > CKPT_PAGES_COW_MAX))
		ret = ckpt_flush_run(ctx, ms);
	if (!ms->run_nr) {
		ms->run_type = type;
		ms->run_addr = addr;
		ms->run_mm = ref;
	}
	ms->run_nr += nr;
	return ret;
}

/*
 * How page @i of the batch is saved: written (CKPT_REC_PAGES), or named
 * with the MM @ref that has it (CKPT_REC_PAGES_COW, CKPT_REC_PAGES_PARENT)
 */
static u32 ckpt_page_how(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms, u32 i, u32 *ref)
{
	struct ckpt_page_walk *w = &ms->w;

	*ref = ckpt_page_cow(ctx, ms, w->start + i * PAGE_SIZE, w->pages[i]);
	if (*ref)
		return CKPT_REC_PAGES_COW;
	*ref = ms->parent_ref;
	return test_bit(i, w->clean) ? CKPT_REC_PAGES_PARENT : CKPT_REC_PAGES;
}

/* Write a batch of pages: PAGES records, PAGES_COW and PAGES_PARENT runs */
static int ckpt_write_batch(struct ckpt_ctx *ctx, struct ckpt_mm_save *ms)
{
	struct ckpt_page_walk *w = &ms->w;
	u32 i = 0, j, how, ref, r;
	int ret = 0;

	while (!ret && i < w->nr) {
		unsigned long addr = w->start + i * PAGE_SIZE;

		how = ckpt_page_how(ctx, ms, i, &ref);
		for (j = i + 1; j < w->nr; j++)
			if (ckpt_page_how(ctx, ms, j, &r) != how || r != ref)
				break;
		if (how != CKPT_REC_PAGES) {
			ret = ckpt_add_run(ctx, ms, how, addr, j - i, ref);
		} else {
			ret = ckpt_flush_run(ctx, ms);
			if (!ret && ms->pd)
				ret = ckpt_predump_hold(ms->pd, addr, w->pages + i, j - i);
			else if (!ret)
				ret = ckpt_write_pages(ctx, addr, w->pages + i, j - i);
			ms->nr_written += j - i;
		}
		/* Those that other processes share are found here from now on */
		if (!ret && how != CKPT_REC_PAGES_COW)
			ret = ckpt_note_cow_pages(ctx, ms, addr, w->pages + i, j - i);
		i = j;
	}
	return ret;
}

static int ckpt_write_vma_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
				const struct ckpt_vma_info *v,
				struct ckpt_mm_save *ms)
{
	struct ckpt_page_walk *w = &ms->w;
	unsigned long addr = v->start, last_fault = 0;
	int ret;

	w->anon_only = !!v->file;
	while (addr < v->end) {
		w->nr = 0;
		w->fault = 0;
		w->next = v->end;
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		ret = ckpt_mm_still_tracked(ctx, mm, ms->parent_ref, ms->objref);
		if (ret) {
			mmap_read_unlock(mm);
			return ret;
		}
		ret = walk_page_range(mm, addr, v->end, &ckpt_walk_ops, w);
		mmap_read_unlock(mm);
		if (ret < 0) {
			ckpt_walk_release(w);
			return ckpt_err(ctx, ret, "cannot walk the pages of %lx-%lx",
					v->start, v->end);
		}
		ret = ckpt_write_batch(ctx, ms);
		ckpt_walk_release(w);
		if (ret)
			return ret;
		addr = w->next;
		if (w->fault) {
			/* Twice at the same place: it keeps going away */
			if (w->fault == last_fault)
				return ckpt_err(ctx, -EAGAIN, "the page at %lx keeps moving",
						w->fault);
			last_fault = w->fault;
			ret = ckpt_fault_in(ctx, mm, w->fault);
			if (ret)
				return ret;
		}
		if (fatal_signal_pending(current))
			return ckpt_err(ctx, -EINTR, "interrupted");
		cond_resched();
	}
	return ckpt_flush_run(ctx, ms);
}

/* ---- checkpoint ---- */

/* Where the vDSO is: mm->context.vdso still points there after munmap() */
static unsigned long ckpt_mm_vdso(struct mm_struct *mm)
{
	unsigned long vdso = (unsigned long)mm->context.vdso;
	struct vm_area_struct *vma;

	if (!vdso || mmap_read_lock_killable(mm))
		return 0;
	vma = vma_lookup(mm, vdso);
	if (!vma || vma->vm_start != vdso || ckpt_arch_vma_special(vma) != CKPT_VMA_VDSO)
		vdso = 0;
	mmap_read_unlock(mm);
	return vdso;
}

static int ckpt_mm_write_header(struct ckpt_ctx *ctx, struct mm_struct *mm,
				u32 objref, u32 nr_vmas)
{
	struct ckpt_mm *rec;
	struct file *exe;
	u32 exe_ref = 0;
	int i, ret = 0;

	exe = get_mm_exe_file(mm);
	if (exe) {
		ret = ckpt_obj_checkpoint(ctx, CKPT_OBJ_file, exe, &exe_ref);
		fput(exe);
		if (ret)
			return ret;
	}
	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	rec->objref = cpu_to_le32(objref);
	rec->nr_vmas = cpu_to_le32(nr_vmas);
	if (mm->def_flags & VM_LOCKED)
		rec->flags = cpu_to_le32(CKPT_MM_MLOCK_FUTURE |
					 (mm->def_flags & VM_LOCKONFAULT ?
					  CKPT_MM_MLOCK_ONFAULT : 0));
	rec->exe_file_ref = cpu_to_le32(exe_ref);
	rec->start_code = cpu_to_le64(mm->start_code);
	rec->end_code = cpu_to_le64(mm->end_code);
	rec->start_data = cpu_to_le64(mm->start_data);
	rec->end_data = cpu_to_le64(mm->end_data);
	rec->start_brk = cpu_to_le64(mm->start_brk);
	rec->brk = cpu_to_le64(mm->brk);
	rec->start_stack = cpu_to_le64(mm->start_stack);
	spin_lock(&mm->arg_lock);
	rec->arg_start = cpu_to_le64(mm->arg_start);
	rec->arg_end = cpu_to_le64(mm->arg_end);
	rec->env_start = cpu_to_le64(mm->env_start);
	rec->env_end = cpu_to_le64(mm->env_end);
	spin_unlock(&mm->arg_lock);
	rec->mmap_base = cpu_to_le64(mm->mmap_base);
	rec->vdso = cpu_to_le64(ckpt_mm_vdso(mm));
	rec->dumpable = cpu_to_le32(get_dumpable(mm));
	rec->vdso_crc = cpu_to_le32(ckpt_arch_vdso_crc());
	BUILD_BUG_ON(ARRAY_SIZE(mm->saved_auxv) > ARRAY_SIZE(rec->saved_auxv));
	rec->saved_auxv_len = cpu_to_le32(ARRAY_SIZE(mm->saved_auxv));
	for (i = 0; i < ARRAY_SIZE(mm->saved_auxv); i++)
		rec->saved_auxv[i] = cpu_to_le64(mm->saved_auxv[i]);
	ret = ckpt_write_rec(ctx, CKPT_REC_MM, rec, sizeof(*rec));
	kfree(rec);
	return ret;
}

/* Check every mapping and write the files they map; count them */
static int ckpt_mm_prepare(struct ckpt_ctx *ctx, struct mm_struct *mm,
			   struct ckpt_vma_info *v, u32 *nr_vmas)
{
	unsigned long addr = 0;
	int i, n, ret = 0;

	*nr_vmas = 0;
	if (mm->def_flags & ~(VM_LOCKED | VM_LOCKONFAULT))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"the mm has default VMA flags %#lx (not supported yet)",
				(unsigned long)mm->def_flags);
	if (test_bit(MMF_DISABLE_THP, &mm->flags) || test_bit(MMF_HAS_MDWE, &mm->flags))
		return ckpt_err(ctx, -EOPNOTSUPP,
				"prctl THP_DISABLE or MDWE is in effect (not supported yet)");
	do {
		n = ckpt_vma_batch(mm, addr, v, CKPT_VMA_BATCH);
		if (n < 0)
			return n;
		for (i = 0; !ret && i < n; i++) {
			u32 ref;
			int kind = ckpt_vma_kind(ctx, &v[i]);

			if (kind < 0)
				ret = kind;
			else if (CKPT_VMA_HAS_FILE(kind))
				ret = ckpt_vma_obj(ctx, &v[i], kind, &ref);
			addr = v[i].end;
		}
		ckpt_vma_batch_put(v, n);
		*nr_vmas += n;
	} while (!ret && n == CKPT_VMA_BATCH);
	return ret;
}

/*
 * The MM written before that holds the nearest of @av's ancestors (@av
 * itself included) in some mapping, other than MM @objref, or 0: the MM
 * whose mapping that of @av was forked from, or a fork of that.
 */
static u32 ckpt_anon_vma_holder(struct ckpt_ctx *ctx, struct anon_vma *av, u32 objref)
{
	u32 holder;

	for (; av; av = av->parent == av ? NULL : av->parent)
		if (ckpt_obj_key_find(ctx, CKPT_OBJ_mm, av, &holder) && holder != objref)
			return holder;
	return 0;
}

/* Note that MM @objref holds @av, if no MM written before did */
static int ckpt_anon_vma_hold(struct ckpt_ctx *ctx, struct anon_vma *av, u32 objref)
{
	u32 holder;

	if (ckpt_obj_key_find(ctx, CKPT_OBJ_mm, av, &holder))
		return 0;
	return PTR_ERR_OR_ZERO(ckpt_obj_key_add(ctx, CKPT_OBJ_mm, av, objref));
}

/*
 * The MM written before whose mapping the private anonymous mapping of @v
 * is to be linked to at restart, as if forked from it, in @ref (0 if
 * none): the MM of the nearest anon_vma up its fork ancestry that a
 * mapping written before had, that is the one fork() copied it from.
 * Where that mapping is gone, the family's root anon_vma stands for the
 * first MM written with a mapping of the family.  A restored mapping then
 * links to as many anon_vmas as fork() gave it, not to one per process
 * written before, and can map the pages of the MMs up its ancestry.
 * Under the mmap lock: @v's anon_vma keeps its ancestors.
 */
static int ckpt_vma_cow_mm(struct ckpt_ctx *ctx, struct mm_struct *mm,
			   const struct ckpt_vma_info *v, u32 objref, u32 *ref)
{
	struct vm_area_struct *vma;
	struct anon_vma *av;
	int ret = 0;

	*ref = 0;
	if (!v->anon_root)
		return 0;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, v->start);
	av = vma ? vma->anon_vma : NULL;
	if (av) {
		*ref = ckpt_anon_vma_holder(ctx, av, objref);
		ret = ckpt_anon_vma_hold(ctx, av, objref) ?:
		      ckpt_anon_vma_hold(ctx, av->root, objref);
	}
	mmap_read_unlock(mm);
	return ret;
}

static int ckpt_mm_write_vmas(struct ckpt_ctx *ctx, struct mm_struct *mm,
			      struct ckpt_vma_info *v, u32 objref, u32 nr_vmas)
{
	unsigned long addr = 0;
	u32 seen = 0;
	int i, n, ret = 0;

	do {
		n = ckpt_vma_batch(mm, addr, v, CKPT_VMA_BATCH);
		if (n < 0)
			return n;
		for (i = 0; !ret && i < n; i++) {
			struct ckpt_vma rec = {};
			int kind = ckpt_vma_kind(ctx, &v[i]);
			u32 ref = 0;

			if (kind < 0) {
				ret = kind;
				break;
			}
			if (CKPT_VMA_HAS_FILE(kind))
				ret = ckpt_vma_obj(ctx, &v[i], kind, &ref);
			rec.start = cpu_to_le64(v[i].start);
			rec.end = cpu_to_le64(v[i].end);
			rec.pgoff = cpu_to_le64(CKPT_VMA_HAS_FILE(kind) ? v[i].pgoff : 0);
			rec.kind = cpu_to_le32(kind);
			rec.flags = cpu_to_le32(ckpt_vma_flags(v[i].flags));
			rec.file_ref = cpu_to_le32(ref);
			if (!ret && kind == CKPT_VMA_ANON)
				ret = ckpt_vma_cow_mm(ctx, mm, &v[i], objref, &ref);
			rec.cow_mm_ref = cpu_to_le32(kind == CKPT_VMA_ANON ? ref : 0);
			if (!ret)
				ret = ckpt_write_rec(ctx, CKPT_REC_VMA, &rec, sizeof(rec));
			addr = v[i].end;
		}
		ckpt_vma_batch_put(v, n);
		seen += n;
	} while (!ret && n == CKPT_VMA_BATCH);
	if (!ret && seen != nr_vmas)
		ret = ckpt_err(ctx, -EAGAIN, "the address space changed during checkpoint");
	return ret;
}

/*
 * Save (or, for a pre-dump, hold) the pages of every private mapping of
 * @mm, @v a buffer of CKPT_VMA_BATCH entries; returns the number saved
 * in @nr_pages
 */
static int ckpt_mm_walk_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			      struct ckpt_vma_info *v, u32 objref,
			      struct ckpt_predump_mm *pd, u64 *nr_pages)
{
	struct ckpt_mm_save ms = {
		.objref = objref,
		.parent_ref = ckpt_mm_parent_ref(ctx, mm, objref),
		.pd = pd,
	};
	unsigned long addr = 0;
	u64 t0 = ktime_get_ns();
	int i, n, ret = 0;

	ms.w.track = !!ms.parent_ref;
	ms.w.pages = kvcalloc(CKPT_PAGES_MAX, sizeof(*ms.w.pages), GFP_KERNEL);
	if (!ms.w.pages)
		return -ENOMEM;
	do {
		n = ckpt_vma_batch(mm, addr, v, CKPT_VMA_BATCH);
		if (n < 0) {
			ret = n;
			break;
		}
		for (i = 0; !ret && i < n; i++) {
			ms.anon_root = v[i].anon_root;
			/* Shared memory: the file or the SHMEM object has the pages */
			if (!v[i].special && !(v[i].flags & VM_MAYSHARE))
				ret = ckpt_write_vma_pages(ctx, mm, &v[i], &ms);
			addr = v[i].end;
		}
		ckpt_vma_batch_put(v, n);
	} while (!ret && n == CKPT_VMA_BATCH);
	kvfree(ms.w.pages);
	ctx->stats.memory_ns += ktime_get_ns() - t0;
	ctx->stats.pages_written += ms.nr_written;
	ctx->stats.pages_cow += ms.nr_cow;
	ctx->stats.pages_parent += ms.nr_parent;
	ctx->stats.pages_skipped += ms.w.skipped;
	ctx->stats.pages_scanned += ms.nr_written + ms.nr_cow + ms.nr_parent + ms.w.skipped;
	*nr_pages = ms.nr_written + ms.nr_cow + ms.nr_parent;
	if (!ret)
		ckpt_log(ctx, "mm: %llu pages %s, %llu shared, %llu in the parent image",
			 ms.nr_written, pd ? "held" : "saved", ms.nr_cow, ms.nr_parent);
	return ret;
}

static int ckpt_mm_write_end(struct ckpt_ctx *ctx, u64 nr_pages)
{
	struct ckpt_mm_end end = { .nr_pages = cpu_to_le64(nr_pages) };

	return ckpt_write_rec(ctx, CKPT_REC_MM_END, &end, sizeof(end));
}

static int ckpt_mm_write_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			       struct ckpt_vma_info *v, u32 objref)
{
	u64 nr_pages;
	int ret;

	/* CHECKPOINT_LAZY: each run of private pages with its own CRC */
	ctx->pages_crc = ctx->flags & CHECKPOINT_LAZY;
	ret = ckpt_mm_walk_pages(ctx, mm, v, objref, NULL, &nr_pages);
	ctx->pages_crc = false;
	return ret ?: ckpt_mm_write_end(ctx, nr_pages);
}

static int ckpt_mm_checkpoint(struct ckpt_ctx *ctx, void *ptr, u32 objref)
{
	struct mm_struct *mm = ptr;
	struct ckpt_vma_info *v;
	u32 nr_vmas;
	int ret;

	/* Pages a lazy restart left in its image are saved too */
	ret = ckpt_lazy_finish(mm);
	if (ret)
		return ckpt_err(ctx, ret, "cannot fetch the pages a lazy restart left");
	v = kcalloc(CKPT_VMA_BATCH, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	ret = ckpt_mm_prepare(ctx, mm, v, &nr_vmas);
	if (!ret)
		ret = ckpt_mm_write_header(ctx, mm, objref, nr_vmas);
	if (!ret)
		ret = ckpt_mm_write_vmas(ctx, mm, v, objref, nr_vmas);
	if (!ret)
		ret = ckpt_mm_write_pages(ctx, mm, v, objref);
	kfree(v);
	return ret;
}

/* ---- pre-dump ---- */

/*
 * CHECKPOINT_PREDUMP: a memory-only image, most of it written while the
 * tasks run, for the rounds of a pre-copy migration.  Frozen, the pages of
 * each address space are found and sorted out as for any image (written,
 * shared with an MM before, unchanged since the parent image), the pages
 * to write are held (a reference each), the soft-dirty bits are cleared
 * and the image's id noted as CHECKPOINT_TRACK does; then the tasks go on
 * and the held pages are written.  A page the tasks write meanwhile may
 * be written torn or new, but its soft-dirty bit is set again, so the
 * next image of the chain writes it; one they drop or replace is written
 * as it was.  The image has an MM record (without VMAs) and MM_END around
 * each address space's runs, and no tasks: only other images refer to it.
 */
struct ckpt_predump_run {
	unsigned long addr;
	u32 nr;
	u32 type;		/* CKPT_REC_PAGES, _PAGES_COW or _PAGES_PARENT */
	u32 ref;		/* _PAGES_COW, _PAGES_PARENT: the MM named */
};

struct ckpt_predump_mm {
	struct mm_struct *mm;	/* a reference (mmget) */
	u32 objref;
	u32 nr_runs, max_runs;
	struct ckpt_predump_run *runs;
	struct page **pages;	/* of the PAGES runs in order, held */
	u64 nr_held, max_held;
	u64 nr_pages;		/* for MM_END */
};

struct ckpt_predump {
	u32 nr_mms;
	struct ckpt_predump_mm mms[CKPT_PREDUMP_MAX_MMS];
};

/* Make room for @n more entries of @size bytes in the array at @p */
static int ckpt_predump_grow(void **p, u64 used, u64 *max, u64 n, size_t size)
{
	u64 want = max_t(u64, 2 * *max, used + n);
	void *q;

	if (used + n <= *max)
		return 0;
	if (want > (U32_MAX / size))
		return -E2BIG;
	q = kvrealloc(*p, want * size, GFP_KERNEL_ACCOUNT);
	if (!q)
		return -ENOMEM;
	*p = q;
	*max = want;
	return 0;
}

static int ckpt_predump_add_run(struct ckpt_predump_mm *pd, u32 type,
				unsigned long addr, u32 nr, u32 ref)
{
	struct ckpt_predump_run *last = pd->nr_runs ? &pd->runs[pd->nr_runs - 1] : NULL;
	u64 max = pd->max_runs;
	int ret;

	/* Consecutive held pages make one run, written in PAGES records */
	if (last && type == CKPT_REC_PAGES && last->type == type &&
	    last->addr + (unsigned long)last->nr * PAGE_SIZE == addr &&
	    last->nr + nr <= CKPT_PAGES_COW_MAX) {
		last->nr += nr;
		return 0;
	}
	ret = ckpt_predump_grow((void **)&pd->runs, pd->nr_runs, &max, 1, sizeof(*pd->runs));
	if (ret)
		return ret;
	pd->max_runs = max;
	pd->runs[pd->nr_runs++] = (struct ckpt_predump_run){
		.addr = addr, .nr = nr, .type = type, .ref = ref,
	};
	return 0;
}

static int ckpt_predump_hold(struct ckpt_predump_mm *pd, unsigned long addr,
			     struct page **pages, u32 nr)
{
	u32 i;
	int ret;

	ret = ckpt_predump_grow((void **)&pd->pages, pd->nr_held, &pd->max_held, nr,
				sizeof(*pd->pages)) ?:
	      ckpt_predump_add_run(pd, CKPT_REC_PAGES, addr, nr, 0);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		get_page(pages[i]);
		pd->pages[pd->nr_held++] = pages[i];
	}
	return 0;
}

/* Each address space of the tree once, with an objref of its own */
static int ckpt_predump_add_mm(struct ckpt_ctx *ctx, struct task_struct *t,
			       pid_t pid, void *arg)
{
	struct ckpt_predump *p = arg;
	struct mm_struct *mm = t->mm;
	u32 i;

	if (!mm)
		return 0;
	for (i = 0; i < p->nr_mms; i++)
		if (p->mms[i].mm == mm)
			return 0;
	if (p->nr_mms == CKPT_PREDUMP_MAX_MMS)
		return ckpt_err(ctx, -E2BIG, "a pre-dump takes at most %u address spaces",
				CKPT_PREDUMP_MAX_MMS);
	mmget(mm);
	p->mms[p->nr_mms].mm = mm;
	/* Not in the object hash: nothing else refers to it */
	p->mms[p->nr_mms++].objref = ctx->next_objref++;
	return 0;
}

/**
 * ckpt_mm_predump_hold() - find and hold the pages of a pre-dump
 * @ctx: checkpoint context, the tasks frozen, after the CHAIN record
 *
 * Also clears the soft-dirty bits, so that the next image counts from
 * this one.
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mm_predump_hold(struct ckpt_ctx *ctx)
{
	struct ckpt_predump *p;
	struct ckpt_vma_info *v;
	u32 i;
	int ret;

	p = kvzalloc(sizeof(*p), GFP_KERNEL);
	v = kcalloc(CKPT_VMA_BATCH, sizeof(*v), GFP_KERNEL);
	ctx->predump = p;
	if (!p || !v) {
		kfree(v);
		return -ENOMEM;
	}
	ret = ckpt_visit_live_tasks(ctx, ckpt_predump_add_mm, p);
	for (i = 0; !ret && i < p->nr_mms; i++)
		ret = ckpt_lazy_finish(p->mms[i].mm);
	for (i = 0; !ret && i < p->nr_mms; i++)
		ret = ckpt_mm_walk_pages(ctx, p->mms[i].mm, v, p->mms[i].objref,
					 &p->mms[i], &p->mms[i].nr_pages);
	for (i = 0; !ret && i < p->nr_mms; i++)
		ret = ckpt_mm_track_one(ctx, p->mms[i].mm, p->mms[i].objref, 0);
	kfree(v);
	if (ret)
		return ckpt_err(ctx, ret, "cannot take the pre-dump's pages");
	return 0;
}

/*
 * Write @n held pages through @bounce: the tasks may write them meanwhile,
 * and the checksum must be of the bytes written
 */
static int ckpt_predump_write_pages(struct ckpt_ctx *ctx, unsigned long addr,
				    struct page **pages, struct page **bounce, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		copy_highpage(bounce[i], pages[i]);
	return ckpt_write_pages(ctx, addr, bounce, n);
}

static int ckpt_predump_write_mm(struct ckpt_ctx *ctx, struct ckpt_predump_mm *pd,
				 struct page **bounce)
{
	struct ckpt_pages_parent rec;
	u64 held = 0;
	u32 i, done, n;
	int ret;

	ret = ckpt_mm_write_header(ctx, pd->mm, pd->objref, 0);
	for (i = 0; !ret && i < pd->nr_runs; i++) {
		const struct ckpt_predump_run *r = &pd->runs[i];

		if (r->type != CKPT_REC_PAGES) {
			rec.addr = cpu_to_le64(r->addr);
			rec.nr_pages = cpu_to_le32(r->nr);
			rec.mm_ref = cpu_to_le32(r->ref);
			ret = ckpt_write_rec(ctx, r->type, &rec, sizeof(rec));
			continue;
		}
		for (done = 0; !ret && done < r->nr; done += n, held += n) {
			unsigned long addr = r->addr + (unsigned long)done * PAGE_SIZE;

			n = min_t(u32, r->nr - done, CKPT_PAGES_MAX);
			ret = ckpt_predump_write_pages(ctx, addr, pd->pages + held, bounce, n);
		}
		if (!ret && fatal_signal_pending(current))
			ret = ckpt_err(ctx, -EINTR, "interrupted");
		cond_resched();
	}
	return ret ?: ckpt_mm_write_end(ctx, pd->nr_pages);
}

/**
 * ckpt_mm_predump_write() - write the pages a pre-dump held
 * @ctx: checkpoint context, the tasks running again
 *
 * Return: 0 or a negative error, already logged.
 */
int ckpt_mm_predump_write(struct ckpt_ctx *ctx)
{
	struct ckpt_predump *p = ctx->predump;
	u64 t0 = ktime_get_ns();
	struct page **bounce;
	u32 i, n = 0;
	int ret = 0;

	bounce = kcalloc(CKPT_PAGES_MAX, sizeof(*bounce), GFP_KERNEL);
	for (; bounce && n < CKPT_PAGES_MAX; n++) {
		bounce[n] = alloc_page(GFP_KERNEL);
		if (!bounce[n])
			break;
	}
	if (n < CKPT_PAGES_MAX)
		ret = -ENOMEM;
	for (i = 0; !ret && i < p->nr_mms; i++)
		ret = ckpt_predump_write_mm(ctx, &p->mms[i], bounce);
	while (n)
		__free_page(bounce[--n]);
	kfree(bounce);
	ctx->stats.memory_ns += ktime_get_ns() - t0;
	return ret;
}

static void ckpt_predump_free(struct ckpt_predump *p)
{
	struct ckpt_predump_mm *pd;
	u32 i;

	for (i = 0; p && i < p->nr_mms; i++) {
		pd = &p->mms[i];
		while (pd->nr_held)
			put_page(pd->pages[--pd->nr_held]);
		kvfree(pd->pages);
		kvfree(pd->runs);
		mmput(pd->mm);
	}
	kvfree(p);
}

/* ---- restart ---- */

struct ckpt_mm_restore {
	unsigned long vdso, vdso_len, vvar, vvar_len;
	unsigned long next_page;
	u64 nr_pages;		/* of PAGES and PAGES_COW records */
	u64 nr_cow, nr_cow_copied;
	u64 nr_lazy;		/* of PAGES(_FILE) records left in their file */
	struct ckpt_lazy *lazy;	/* RESTART_LAZY, once a record is left there */
	bool lazy_off;		/* RESTART_LAZY, but the image is open for writing */
	bool file_busy;		/* ... a PAGES_FILE's file is: logged */
	struct page **pages;
	struct bio_vec *bv;	/* for PAGES_FILE, once one is read */
};

/*
 * mlock() the new mapping [@start, @end) as mlock_fixup() does, before its
 * pages are restored: they are then locked as they are faulted in.  It
 * may have merged with the mapping before it, which is not locked: the
 * VMA is split again.  Locked mappings are populated once their pages
 * are in (ckpt_populate_locked()).
 */
static int ckpt_lock_vma(struct ckpt_ctx *ctx, struct mm_struct *mm,
			 unsigned long start, unsigned long end, u32 vflags)
{
	vm_flags_t lock = VM_LOCKED |
			  (vflags & CKPT_VMA_LOCKONFAULT ? VM_LOCKONFAULT : 0);
	struct vm_area_struct *vma, *prev;
	const char *why = NULL;
	int ret = 0;

	VMA_ITERATOR(vmi, mm, start);

	if (!can_do_mlock())
		return ckpt_err(ctx, -EPERM,
				"VMA %lx-%lx: locked memory needs CAP_IPC_LOCK or RLIMIT_MEMLOCK",
				start, end);
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	/* The log is a file of the caller's: not written under mmap_lock */
	vma = vma_find(&vmi, end);
	if (!vma || vma->vm_start > start || vma->vm_end < end ||
	    vma->vm_flags & (VM_SPECIAL | VM_LOCKED)) {
		ret = -EINVAL;
		why = "cannot be locked";
		goto out;
	}
	if (!mlock_future_ok(mm, vma->vm_flags | VM_LOCKED, end - start)) {
		ret = -EAGAIN;
		why = "is over RLIMIT_MEMLOCK";
		goto out;
	}
	prev = vma_prev(&vmi);
	if (start > vma->vm_start)
		prev = vma;
	vma = vma_next(&vmi);
	vma = vma_modify_flags(&vmi, prev, vma, start, end, vma->vm_flags | lock);
	if (IS_ERR(vma)) {
		ret = PTR_ERR(vma);
		why = "cannot be locked now";
		goto out;
	}
	vma_start_write(vma);
	vm_flags_reset(vma, vma->vm_flags | lock);
	mm->locked_vm += (end - start) >> PAGE_SHIFT;
out:
	mmap_write_unlock(mm);
	if (ret)
		ckpt_err(ctx, ret, "VMA %lx-%lx %s", start, end, why);
	return ret;
}

/* Fault in the locked mappings that are not MLOCK_ONFAULT, as mlock() does */
static int ckpt_populate_locked(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	unsigned long addr = 0, start, end;
	struct vm_area_struct *vma;
	int ret;

	for (;;) {
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		vma = find_vma(mm, addr);
		while (vma && (vma->vm_flags & (VM_LOCKED | VM_LOCKONFAULT)) != VM_LOCKED)
			vma = find_vma(mm, vma->vm_end);
		start = vma ? vma->vm_start : 0;
		end = vma ? vma->vm_end : 0;
		mmap_read_unlock(mm);
		if (!vma)
			return 0;
		ret = __mm_populate(start, end - start, 1);
		if (ret)
			return ckpt_err(ctx, ret, "cannot fault in locked memory at %lx-%lx",
					start, end);
		addr = end;
	}
}

/* The mapping of a VMA record of a kind backed by memory: NULL for anonymous */
static struct file *ckpt_vma_file(struct ckpt_ctx *ctx, const struct ckpt_vma *rec,
				  unsigned long *flags)
{
	u32 kind = le32_to_cpu(rec->kind);
	struct file *file;

	if (kind == CKPT_VMA_ANON) {
		*flags |= MAP_ANONYMOUS |
			  (le32_to_cpu(rec->flags) & CKPT_VMA_GROWSDOWN ? MAP_GROWSDOWN : 0);
		return NULL;
	}
	file = ckpt_obj_lookup(ctx, ckpt_vma_obj_kind(kind), le32_to_cpu(rec->file_ref));
	if (!file)
		return ERR_PTR(-EINVAL);
	if (kind == CKPT_VMA_FILE)
		return file;
	if (!S_ISREG(file_inode(file)->i_mode)) {
		ckpt_err(ctx, -EINVAL, "VMA %llx-%llx: a shared mapping of no regular file",
			 le64_to_cpu(rec->start), le64_to_cpu(rec->end));
		return ERR_PTR(-EINVAL);
	}
	*flags = MAP_SHARED | MAP_FIXED_NOREPLACE;
	return file;
}

/* Map a VMA record of kind ANON, FILE, SHARED_FILE or SHMEM */
static int ckpt_map_vma(struct ckpt_ctx *ctx, const struct ckpt_vma *rec)
{
	unsigned long start = le64_to_cpu(rec->start), end = le64_to_cpu(rec->end);
	u32 vflags = le32_to_cpu(rec->flags);
	unsigned long addr, flags;
	struct file *file;
	int prot;

	prot = (vflags & CKPT_VMA_READ ? PROT_READ : 0) |
	       (vflags & CKPT_VMA_WRITE ? PROT_WRITE : 0) |
	       (vflags & CKPT_VMA_EXEC ? PROT_EXEC : 0);
	flags = MAP_PRIVATE | MAP_FIXED_NOREPLACE |
		(vflags & CKPT_VMA_NORESERVE ? MAP_NORESERVE : 0);
	file = ckpt_vma_file(ctx, rec, &flags);
	if (IS_ERR(file))
		return PTR_ERR(file);
	addr = vm_mmap(file, start, end - start, prot, flags,
		       le64_to_cpu(rec->pgoff) << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr))
		return ckpt_err(ctx, (long)addr, "cannot map %lx-%lx", start, end);
	if (WARN_ON_ONCE(addr != start))
		return ckpt_err(ctx, -EINVAL, "mapping %lx-%lx landed at %lx", start, end, addr);
	return 0;
}

/* What a mapped VMA gets afterwards: its lock and its madvise() advice */
static int ckpt_vma_finish(struct ckpt_ctx *ctx, struct mm_struct *mm,
			   unsigned long start, unsigned long end, u32 vflags)
{
	int i, ret;

	if (vflags & CKPT_VMA_LOCKED) {
		ret = ckpt_lock_vma(ctx, mm, start, end, vflags);
		if (ret)
			return ret;
	}
	for (i = 0; i < ARRAY_SIZE(ckpt_vma_advice); i++) {
		if (!(vflags & ckpt_vma_advice[i].flag))
			continue;
		ret = do_madvise(mm, start, end - start, ckpt_vma_advice[i].advice);
		if (ret)
			return ckpt_err(ctx, ret, "cannot restore the advice of %lx-%lx",
					start, end);
	}
	return 0;
}

/* A vDSO or vvar VMA: only noted, mapped with the whole mm */
static int ckpt_note_special_vma(struct ckpt_ctx *ctx, struct ckpt_mm_restore *st,
				 u32 kind, unsigned long start, unsigned long len)
{
	unsigned long *where = kind == CKPT_VMA_VDSO ? &st->vdso : &st->vvar;

	if (*where)
		return ckpt_err(ctx, -EINVAL, "two %s mappings",
				kind == CKPT_VMA_VDSO ? "vDSO" : "vvar");
	*where = start;
	if (kind == CKPT_VMA_VDSO)
		st->vdso_len = len;
	else
		st->vvar_len = len;
	return 0;
}

/*
 * Copy-on-write sharing between restored MMs.  Both mmap_locks are taken
 * for writing, the other MM's first, as fork() takes the parent's and
 * then the child's; the other MM's tasks wait for their turn to read the
 * image, so nothing else holds them.
 */
static struct mm_struct *ckpt_lock_cow_pair(struct ckpt_ctx *ctx, struct mm_struct *mm,
					    u32 ref)
{
	struct mm_struct *src = ckpt_obj_lookup(ctx, CKPT_OBJ_mm, ref);
	int ret;

	if (!src)
		return ERR_PTR(-EINVAL);
	if (src == mm)
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "MM %u is the one being restored", ref));
	/* Pages it shares must be there: a lazy restart left them in the image */
	ret = ckpt_lazy_finish(src);
	if (ret)
		return ERR_PTR(ret);
	if (mmap_write_lock_killable(src))
		return ERR_PTR(-EINTR);
	mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING);
	return src;
}

static void ckpt_unlock_cow_pair(struct mm_struct *mm, struct mm_struct *src)
{
	mmap_write_unlock(mm);
	mmap_write_unlock(src);
}

/* Private anonymous memory whose pages are at the same index in both */
static bool ckpt_cow_alike(struct vm_area_struct *vma, struct vm_area_struct *svma)
{
	return vma_is_anonymous(vma) && vma_is_anonymous(svma) &&
	       !((vma->vm_flags | svma->vm_flags) & (VM_MAYSHARE | VM_PFNMAP | VM_HUGETLB)) &&
	       vma->vm_pgoff - (vma->vm_start >> PAGE_SHIFT) ==
	       svma->vm_pgoff - (svma->vm_start >> PAGE_SHIFT);
}

/*
 * Link the new anonymous mapping at @start to the mapping at the same
 * address in MM @ref as fork() links a child's (anon_vma_fork()), so that
 * the pages of that MM and of those it was linked to can be mapped in it.
 * Without such a mapping there, nothing is linked: PAGES_COW records
 * then copy the pages.
 */
static int ckpt_vma_link_cow(struct ckpt_ctx *ctx, struct mm_struct *mm,
			     unsigned long start, u32 ref)
{
	struct vm_area_struct *vma, *svma;
	struct mm_struct *src;
	int ret = 0;

	src = ckpt_lock_cow_pair(ctx, mm, ref);
	if (IS_ERR(src))
		return PTR_ERR(src);
	vma = vma_lookup(mm, start);
	svma = vma_lookup(src, start);
	if (vma && svma && !vma->anon_vma && svma->anon_vma && ckpt_cow_alike(vma, svma)) {
		vma_start_write(vma);
		ret = anon_vma_fork(vma, svma);
	}
	ckpt_unlock_cow_pair(mm, src);
	if (ret)
		return ckpt_err(ctx, ret, "VMA at %lx: cannot link it to MM %u", start, ref);
	return 0;
}

/* Whether @vma's anon_vmas include all of @svma's: it may map its pages */
static bool ckpt_cow_linked(struct vm_area_struct *vma, struct vm_area_struct *svma)
{
	struct anon_vma_chain *s, *d;
	bool found;

	if (!vma->anon_vma || !svma->anon_vma || !ckpt_cow_alike(vma, svma))
		return false;
	list_for_each_entry(s, &svma->anon_vma_chain, same_vma) {
		found = false;
		list_for_each_entry(d, &vma->anon_vma_chain, same_vma)
			if (d->anon_vma == s->anon_vma) {
				found = true;
				break;
			}
		if (!found)
			return false;
	}
	return true;
}

/* Copy the contents of @src's pages [@addr, @end) into @mm's (both locked) */
static int ckpt_copy_cow(struct mm_struct *mm, struct mm_struct *src,
			 unsigned long addr, unsigned long end, struct page **pages)
{
	struct page **dst = pages + CKPT_PAGES_MAX / 2;
	long n, m, i;

	while (addr < end) {
		n = min((end - addr) >> PAGE_SHIFT, CKPT_PAGES_MAX / 2UL);
		n = get_user_pages_remote(src, addr, n, FOLL_FORCE, pages, NULL);
		if (n <= 0)
			return n ?: -EFAULT;
		m = get_user_pages_remote(mm, addr, n, FOLL_WRITE | FOLL_FORCE, dst, NULL);
		for (i = 0; i < m; i++) {
			copy_highpage(dst[i], pages[i]);
			put_page(dst[i]);
		}
		for (i = 0; i < n; i++)
			put_page(pages[i]);
		if (m <= 0)
			return m ?: -EFAULT;
		addr += m << PAGE_SHIFT;
	}
	return 0;
}

/*
 * Share [@addr, @end) of @mm's mapping @vma with @src, one mapping of @src
 * at a time: as fork() does where @vma is linked to it, by copying the
 * contents elsewhere.  Whatever @vma had mapped there goes first (a huge
 * page of an earlier PAGES record), so that nothing is mapped twice.
 */
static int ckpt_share_range(struct mm_struct *mm, struct mm_struct *src,
			    struct vm_area_struct *vma, unsigned long addr, unsigned long end,
			    struct ckpt_mm_restore *st)
{
	struct vm_area_struct *svma;
	unsigned long to;
	bool shared = false;
	int ret = 0;

	while (!ret && addr < end) {
		svma = vma_lookup(src, addr);
		if (!svma)
			return -ENOENT;
		to = min(end, svma->vm_end);
		if (ckpt_cow_linked(vma, svma)) {
			zap_page_range_single(vma, addr, to - addr, NULL);
			vma_start_write(svma);
			vma_start_write(vma);
			ret = copy_page_range_partial(vma, svma, addr, to);
			st->nr_cow += (to - addr) >> PAGE_SHIFT;
			shared = true;
		} else {
			ret = ckpt_copy_cow(mm, src, addr, to, st->pages);
			st->nr_cow_copied += (to - addr) >> PAGE_SHIFT;
		}
		addr = to;
	}
	if (shared)
		flush_tlb_mm(src);
	return ret;
}

/* @nr pages from @addr, at most @max, of a record of @what, can be restored there */
static int ckpt_pages_range_ok(struct ckpt_ctx *ctx, struct ckpt_mm_restore *st,
			       const char *what, unsigned long addr, u32 nr, u32 max)
{
	unsigned long end = addr + (unsigned long)nr * PAGE_SIZE;

	if (!nr || nr > max || !PAGE_ALIGNED(addr) ||
	    addr < st->next_page || addr >= TASK_SIZE || end > TASK_SIZE)
		return ckpt_err(ctx, -EINVAL, "%s at %lx (%u pages): invalid or out of order",
				what, addr, nr);
	return 0;
}

/* Read a PAGES_COW record: pages of another MM, shared again */
static int ckpt_restore_pages_cow(struct ckpt_ctx *ctx, struct mm_struct *mm,
				  struct ckpt_mm_restore *st)
{
	struct vm_area_struct *vma;
	struct ckpt_pages_cow rec;
	struct mm_struct *src;
	unsigned long addr, end;
	u32 nr;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_PAGES_COW, &rec, sizeof(rec));
	if (ret)
		return ret;
	addr = le64_to_cpu(rec.addr);
	nr = le32_to_cpu(rec.nr_pages);
	end = addr + (unsigned long)nr * PAGE_SIZE;
	ret = ckpt_pages_range_ok(ctx, st, "PAGES_COW", addr, nr, CKPT_PAGES_COW_MAX);
	if (ret)
		return ret;
	src = ckpt_lock_cow_pair(ctx, mm, le32_to_cpu(rec.mm_ref));
	if (IS_ERR(src))
		return PTR_ERR(src);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_end >= end && vma_is_anonymous(vma) &&
	    !(vma->vm_flags & VM_MAYSHARE))
		ret = ckpt_share_range(mm, src, vma, addr, end, st);
	else
		ret = -ENOENT;
	ckpt_unlock_cow_pair(mm, src);
	if (ret == -ENOENT)
		return ckpt_err(ctx, -EINVAL,
				"PAGES_COW at %lx (%u pages) are outside private anonymous mappings of MM %u or of this one",
				addr, nr, le32_to_cpu(rec.mm_ref));
	if (ret)
		return ckpt_err(ctx, ret, "cannot share the pages at %lx-%lx", addr, end);
	st->next_page = end;
	st->nr_pages += nr;
	return 0;
}

static int ckpt_restore_vma(struct ckpt_ctx *ctx, struct mm_struct *mm,
			    struct ckpt_mm_restore *st, unsigned long *prev_end)
{
	unsigned long start, end, len, pgoff;
	struct ckpt_vma rec;
	u32 kind, vflags;
	void *seg;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_VMA, &rec, sizeof(rec));
	if (ret)
		return ret;
	start = le64_to_cpu(rec.start);
	end = le64_to_cpu(rec.end);
	pgoff = le64_to_cpu(rec.pgoff);
	kind = le32_to_cpu(rec.kind);
	vflags = le32_to_cpu(rec.flags);
	len = end - start;
	if (start >= end || start < *prev_end || end > TASK_SIZE ||
	    !PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) ||
	    vflags & ~CKPT_VMA_KNOWN_FLAGS ||
	    (kind != CKPT_VMA_ANON && rec.cow_mm_ref) ||
	    pgoff > (ULONG_MAX >> PAGE_SHIFT) - (len >> PAGE_SHIFT) ||
	    (vflags & CKPT_VMA_LOCKONFAULT && !(vflags & CKPT_VMA_LOCKED)) ||
	    (!CKPT_VMA_HAS_FILE(kind) && (pgoff || rec.file_ref)))
		return ckpt_err(ctx, -EINVAL, "VMA %lx-%lx: invalid or out of order", start, end);
	*prev_end = end;

	switch (kind) {
	case CKPT_VMA_ANON:
		ret = ckpt_map_vma(ctx, &rec);
		if (!ret && rec.cow_mm_ref)
			ret = ckpt_vma_link_cow(ctx, mm, start, le32_to_cpu(rec.cow_mm_ref));
		break;
	case CKPT_VMA_FILE:
	case CKPT_VMA_SHARED_FILE:
	case CKPT_VMA_SHMEM:
		ret = ckpt_map_vma(ctx, &rec);
		break;
	case CKPT_VMA_SYSV_SHM:
		seg = ckpt_obj_lookup(ctx, CKPT_OBJ_sysv_shm, le32_to_cpu(rec.file_ref));
		if (!seg)
			return -EINVAL;
		if (pgoff)
			return ckpt_err(ctx, -EINVAL, "VMA %lx-%lx: an attach from offset %lu",
					start, end, pgoff);
		ret = ckpt_sysv_shm_attach(ctx, seg, start, end, vflags);
		break;
	case CKPT_VMA_VDSO:
	case CKPT_VMA_VVAR:
		return ckpt_note_special_vma(ctx, st, kind, start, len);
	default:
		return ckpt_err(ctx, -EINVAL, "VMA %lx-%lx: unknown kind %u", start, end, kind);
	}
	return ret ?: ckpt_vma_finish(ctx, mm, start, end, vflags);
}

/*
 * A mapping linked to another MM's for copy-on-write sharing got its own
 * pages in the original by copy-on-write faults, one small page each: a
 * page table where a PAGES record goes makes the faults that restore
 * them take small pages too, instead of a huge page per record that the
 * PAGES_COW records around would split and leave mostly unmapped.
 */
static int ckpt_small_pages(struct mm_struct *mm, struct vm_area_struct *vma,
			    unsigned long addr, unsigned long end)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (!vma->anon_vma || list_is_singular(&vma->anon_vma_chain))
		return 0;
	for (; addr < end; addr = pmd_addr_end(addr, end)) {
		pgd = pgd_offset(mm, addr);
		p4d = p4d_alloc(mm, pgd, addr);
		pud = p4d ? pud_alloc(mm, p4d, addr) : NULL;
		pmd = pud ? pmd_alloc(mm, pud, addr) : NULL;
		if (!pmd || pte_alloc(mm, pmd))
			return -ENOMEM;
	}
	return 0;
}

/*
 * RESTART_LAZY: leave @nr pages at @addr in @file, at @pos, to be read on
 * first touch, if their mapping may wait.  Return: 1 if left, 0 if to be
 * read now, or a negative error: -ETXTBSY (not logged) if @file is open
 * for writing.
 */
static int ckpt_lazy_note(struct ckpt_ctx *ctx, struct ckpt_mm_restore *st,
			  unsigned long addr, u32 nr, struct file *file, loff_t pos, u32 crc)
{
	struct ckpt_lazy *lz;
	int ret;

	if (!st->lazy) {
		lz = ckpt_lazy_new(ctx);
		if (IS_ERR(lz))
			return ckpt_err(ctx, PTR_ERR(lz), "cannot start a lazy restart");
		st->lazy = lz;
	}
	ret = ckpt_lazy_add(st->lazy, addr, nr, file, pos, crc);
	if (ret > 0)
		st->nr_lazy += nr;
	return ret;
}

/*
 * RESTART_LAZY: leave the contents of a PAGES record in the image, to be
 * read on first touch, if it has a PAGES_CRC and its mapping may wait.
 * Return: 1 if left, 0 if to be read now, or a negative error.
 */
static int ckpt_restore_pages_lazy(struct ckpt_ctx *ctx, struct ckpt_mm_restore *st,
				   unsigned long addr, u32 nr)
{
	struct ckpt_pages_skip skip;
	int ret;

	ret = ckpt_pages_skip_peek(ctx, nr, &skip);
	if (ret <= 0 || st->lazy_off)
		return ret < 0 ? ret : 0;
	ret = ckpt_lazy_note(ctx, st, addr, nr, ctx->file, skip.pos, skip.crc);
	if (ret == -ETXTBSY) {
		/* Its pages could change under the tasks */
		ckpt_log(ctx, "mm: the image is open for writing: its pages are read now");
		st->lazy_off = true;
		return 0;
	}
	if (ret <= 0)
		return ret;
	ckpt_pages_skip(ctx, nr, &skip);
	return 1;
}

static void ckpt_restore_unpin(struct ckpt_mm_restore *st, u32 nr)
{
	while (nr)
		put_page(st->pages[--nr]);
}

/* Fault in and pin the @nr pages at @addr of a private mapping: st->pages */
static int ckpt_restore_pin(struct ckpt_ctx *ctx, struct mm_struct *mm,
			    struct ckpt_mm_restore *st, unsigned long addr, u32 nr)
{
	unsigned long end = addr + (unsigned long)nr * PAGE_SIZE;
	struct vm_area_struct *vma;
	long got = 0;
	u32 done = 0;
	int ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || vma->vm_end < end ||
	    vma->vm_flags & (VM_MAYSHARE | VM_IO | VM_PFNMAP | VM_DONTEXPAND)) {
		mmap_read_unlock(mm);
		return ckpt_err(ctx, -EINVAL,
				"PAGES at %lx (%u pages) are outside any private mapping",
				addr, nr);
	}
	ret = ckpt_small_pages(mm, vma, addr, end);
	while (!ret && done < nr) {
		got = get_user_pages_remote(mm, addr + done * PAGE_SIZE, nr - done,
					    FOLL_WRITE | FOLL_FORCE, st->pages + done, NULL);
		if (got <= 0)
			break;
		done += got;
	}
	mmap_read_unlock(mm);
	if (!ret && done == nr)
		return 0;
	ckpt_restore_unpin(st, done);
	if (ret)
		return ret;
	/* Said once the mmap lock is dropped: writing the log may fault */
	return ckpt_err(ctx, got ? got : -EFAULT, "cannot fault in the page at %lx",
			addr + done * PAGE_SIZE);
}

/* Read one PAGES record straight into the task's pages */
static int ckpt_restore_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
			      struct ckpt_mm_restore *st)
{
	struct ckpt_pages rec;
	unsigned long addr;
	u32 len, nr;
	int ret;

	ret = ckpt_read_rec_hdr(ctx, CKPT_REC_PAGES, &len);
	if (!ret)
		ret = ckpt_read(ctx, &rec, sizeof(rec));
	if (ret)
		return ret;
	addr = le64_to_cpu(rec.addr);
	nr = le32_to_cpu(rec.nr_pages);
	ret = ckpt_pages_range_ok(ctx, st, "PAGES", addr, nr, CKPT_PAGES_MAX);
	if (ret)
		return ret;
	if (rec.__pad || len != sizeof(rec) + nr * PAGE_SIZE)
		return ckpt_err(ctx, -EINVAL, "PAGES at %lx (%u pages): invalid length or padding",
				addr, nr);
	ret = ctx->flags & RESTART_LAZY ? ckpt_restore_pages_lazy(ctx, st, addr, nr) : 0;
	if (!ret) {
		ret = ckpt_restore_pin(ctx, mm, st, addr, nr);
		if (ret)
			return ret;
		ret = ckpt_read_pages(ctx, st->pages, nr);
		if (!ret)
			ret = ckpt_read_end(ctx);
		if (!ret)
			ret = ckpt_read_pages_crc(ctx);
		ckpt_restore_unpin(st, nr);
	}
	if (ret < 0)
		return ret;
	st->next_page = addr + (unsigned long)nr * PAGE_SIZE;
	st->nr_pages += nr;
	return 0;
}

/* Read a PAGES_FILE's pages from @file now, and check them */
static int ckpt_pages_file_read(struct ckpt_ctx *ctx, struct mm_struct *mm,
				struct ckpt_mm_restore *st, const struct ckpt_pages_file *rec,
				struct file *file)
{
	unsigned long addr = le64_to_cpu(rec->addr);
	u32 nr = le32_to_cpu(rec->nr_pages), idx = le32_to_cpu(rec->file);
	loff_t pos = le64_to_cpu(rec->offset);
	int ret;

	if (!st->bv) {
		st->bv = kvcalloc(CKPT_PAGES_MAX, sizeof(*st->bv), GFP_KERNEL);
		if (!st->bv)
			return -ENOMEM;
	}
	ret = ckpt_restore_pin(ctx, mm, st, addr, nr);
	if (ret)
		return ret;
	ret = ckpt_pages_pread(file, pos, st->pages, nr, st->bv, ctx->caller_cred);
	if (ret)
		ret = ckpt_err(ctx, ret,
			       "PAGES_FILE at %lx: cannot read %u pages at %lld of pages:%u",
			       addr, nr, pos, idx);
	else if (!ckpt_pages_crc_ok(st->pages, nr, le32_to_cpu(rec->crc)))
		ret = ckpt_err(ctx, -EINVAL,
			       "PAGES_FILE at %lx: %u pages at %lld of pages:%u: CRC mismatch",
			       addr, nr, pos, idx);
	ckpt_restore_unpin(st, nr);
	return ret;
}

/* The file a PAGES_FILE record names: a regular file the caller gave */
static struct file *ckpt_pages_file_get(struct ckpt_ctx *ctx,
					const struct ckpt_pages_file *rec)
{
	unsigned long addr = le64_to_cpu(rec->addr);
	char key[24];
	struct file *file;

	snprintf(key, sizeof(key), "pages:%u", le32_to_cpu(rec->file));
	file = ckpt_external_file(ctx, CKPT_EXT_PAGES, key);
	if (!file) {
		ckpt_err(ctx, -EINVAL, "PAGES_FILE at %lx: no file %s given (CKPT_EXT_PAGES)",
			 addr, key);
		return NULL;
	}
	if (!S_ISREG(file_inode(file)->i_mode) || !(file->f_mode & FMODE_READ)) {
		ckpt_err(ctx, -EINVAL,
			 "PAGES_FILE at %lx: %s is not a regular file open for reading", addr, key);
		return NULL;
	}
	return file;
}

/* A PAGES_FILE record: pages whose contents are in a file the caller gave */
static int ckpt_restore_pages_file(struct ckpt_ctx *ctx, struct mm_struct *mm,
				   struct ckpt_mm_restore *st)
{
	struct ckpt_pages_file rec;
	unsigned long addr;
	struct file *file;
	u32 nr;
	int ret;

	ret = ckpt_read_rec(ctx, CKPT_REC_PAGES_FILE, &rec, sizeof(rec));
	if (ret)
		return ret;
	addr = le64_to_cpu(rec.addr);
	nr = le32_to_cpu(rec.nr_pages);
	ret = ckpt_pages_range_ok(ctx, st, "PAGES_FILE", addr, nr, CKPT_PAGES_MAX);
	if (ret)
		return ret;
	if (rec.__pad || le64_to_cpu(rec.offset) > LLONG_MAX - ((u64)nr << PAGE_SHIFT))
		return ckpt_err(ctx, -EINVAL, "PAGES_FILE at %lx: invalid offset or padding", addr);
	file = ckpt_pages_file_get(ctx, &rec);
	if (!file)
		return -EINVAL;
	ret = ctx->flags & RESTART_LAZY ?
	      ckpt_lazy_note(ctx, st, addr, nr, file, le64_to_cpu(rec.offset),
			     le32_to_cpu(rec.crc)) : 0;
	if (ret == -ETXTBSY) {
		if (!st->file_busy)
			ckpt_log(ctx, "mm: pages:%u is open for writing: its pages are read now",
				 le32_to_cpu(rec.file));
		st->file_busy = true;
		ret = 0;
	}
	if (!ret)
		ret = ckpt_pages_file_read(ctx, mm, st, &rec, file);
	if (ret < 0)
		return ret;
	st->next_page = addr + (unsigned long)nr * PAGE_SIZE;
	st->nr_pages += nr;
	return 0;
}

static int ckpt_mm_check_fields(struct ckpt_ctx *ctx, const struct ckpt_mm *rec)
{
	const __le64 *f = &rec->start_code;
	int i;

	/* start_code .. env_end, in pairs where they are ranges */
	for (i = 0; i < 11; i++)
		if (le64_to_cpu(f[i]) > TASK_SIZE)
			goto bad;
	if (le64_to_cpu(rec->start_code) > le64_to_cpu(rec->end_code) ||
	    le64_to_cpu(rec->start_data) > le64_to_cpu(rec->end_data) ||
	    le64_to_cpu(rec->start_brk) > le64_to_cpu(rec->brk) ||
	    le64_to_cpu(rec->arg_start) > le64_to_cpu(rec->arg_end) ||
	    le64_to_cpu(rec->env_start) > le64_to_cpu(rec->env_end) ||
	    le64_to_cpu(rec->mmap_base) > TASK_SIZE ||
	    !PAGE_ALIGNED(le64_to_cpu(rec->mmap_base)) ||
	    le32_to_cpu(rec->saved_auxv_len) > AT_VECTOR_SIZE ||
	    le32_to_cpu(rec->saved_auxv_len) % 2 ||
	    le32_to_cpu(rec->nr_vmas) > CKPT_MM_MAX_VMAS || rec->__pad ||
	    le32_to_cpu(rec->flags) & ~(CKPT_MM_MLOCK_FUTURE | CKPT_MM_MLOCK_ONFAULT) ||
	    (rec->flags && !(le32_to_cpu(rec->flags) & CKPT_MM_MLOCK_FUTURE)))
		goto bad;
	switch (le32_to_cpu(rec->dumpable)) {
	case SUID_DUMP_DISABLE:
	case SUID_DUMP_USER:
		break;
	case SUID_DUMP_ROOT:
		/* Its core dumps are written as root (suid_dumpable = 2) */
		if (ckpt_caller_capable(ctx, &init_user_ns, CAP_SYS_ADMIN))
			break;
		fallthrough;
	default:
		goto bad;
	}
	return 0;
bad:
	return ckpt_err(ctx, -EINVAL, "MM record has invalid fields");
}

static void ckpt_mm_set_fields(struct mm_struct *mm, const struct ckpt_mm *rec)
{
	int i;

	mmap_write_lock(mm);
	mm->start_code = le64_to_cpu(rec->start_code);
	mm->end_code = le64_to_cpu(rec->end_code);
	mm->start_data = le64_to_cpu(rec->start_data);
	mm->end_data = le64_to_cpu(rec->end_data);
	mm->start_brk = le64_to_cpu(rec->start_brk);
	mm->brk = le64_to_cpu(rec->brk);
	mm->start_stack = le64_to_cpu(rec->start_stack);
	spin_lock(&mm->arg_lock);
	mm->arg_start = le64_to_cpu(rec->arg_start);
	mm->arg_end = le64_to_cpu(rec->arg_end);
	mm->env_start = le64_to_cpu(rec->env_start);
	mm->env_end = le64_to_cpu(rec->env_end);
	spin_unlock(&mm->arg_lock);
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	for (i = 0; i < le32_to_cpu(rec->saved_auxv_len); i++)
		mm->saved_auxv[i] = le64_to_cpu(rec->saved_auxv[i]);
	if (rec->mmap_base)
		mm->mmap_base = le64_to_cpu(rec->mmap_base);
	mmap_write_unlock(mm);
	set_dumpable(mm, le32_to_cpu(rec->dumpable));
}

/* mlockall(MCL_FUTURE): the mappings themselves are locked already */
static int ckpt_restore_mlockall(struct ckpt_ctx *ctx, struct mm_struct *mm, u32 flags)
{
	if (!can_do_mlock())
		return ckpt_err(ctx, -EPERM, "mlockall() needs CAP_IPC_LOCK or RLIMIT_MEMLOCK");
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	mm->def_flags |= VM_LOCKED |
			 (flags & CKPT_MM_MLOCK_ONFAULT ? VM_LOCKONFAULT : 0);
	mmap_write_unlock(mm);
	return 0;
}

/* Give current a new, empty mm, as execve() does */
static struct mm_struct *ckpt_new_mm(struct ckpt_ctx *ctx, struct file *exe)
{
	struct rlimit rlim_stack;
	struct mm_struct *mm;
	int ret;

	mm = mm_alloc();
	if (!mm)
		return ERR_PTR(-ENOMEM);
	if (exe) {
		ret = set_mm_exe_file(mm, exe);
		if (ret) {
			mmput(mm);
			return ERR_PTR(ckpt_err(ctx, ret,
						"the executable is open for writing"));
		}
	}
	ret = exec_mmap(mm);
	if (ret) {
		mmput(mm);
		return ERR_PTR(ret);
	}
	up_write(&current->signal->exec_update_lock);

	task_lock(current->group_leader);
	rlim_stack = current->signal->rlim[RLIMIT_STACK];
	task_unlock(current->group_leader);
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &rlim_stack);
	return mm;
}

/*
 * The executable, if the MM has one, with the checks of
 * prctl(PR_SET_MM_EXE_FILE): a regular file the caller may execute, on a
 * mount that allows it; otherwise an image could deny writes to any file
 * the caller can name (even one opened with O_PATH).
 */
static struct file *ckpt_mm_exe_file(struct ckpt_ctx *ctx, const struct ckpt_mm *rec)
{
	struct file *exe;
	int ret;

	if (!rec->exe_file_ref)
		return NULL;
	exe = ckpt_obj_lookup(ctx, CKPT_OBJ_file, le32_to_cpu(rec->exe_file_ref));
	if (!exe)
		return ERR_PTR(-EINVAL);
	if (!S_ISREG(file_inode(exe)->i_mode))
		return ERR_PTR(ckpt_err(ctx, -EINVAL, "MM: the executable is not a regular file"));
	if (path_noexec(&exe->f_path))
		return ERR_PTR(ckpt_err(ctx, -EACCES, "MM: the executable is on a noexec mount"));
	ret = file_permission(exe, MAY_EXEC);
	if (ret)
		return ERR_PTR(ckpt_err(ctx, ret, "MM: the caller may not execute the executable"));
	return exe;
}

/* The PAGES, PAGES_FILE and PAGES_COW records of an MM, up to its MM_END */
static int ckpt_restore_all_pages(struct ckpt_ctx *ctx, struct mm_struct *mm,
				  struct ckpt_mm_restore *st)
{
	int ret;

	while ((ret = ckpt_peek_rec(ctx)) == CKPT_REC_PAGES || ret == CKPT_REC_PAGES_COW ||
	       ret == CKPT_REC_PAGES_FILE) {
		if (ret == CKPT_REC_PAGES)
			ret = ckpt_restore_pages(ctx, mm, st);
		else if (ret == CKPT_REC_PAGES_FILE)
			ret = ckpt_restore_pages_file(ctx, mm, st);
		else
			ret = ckpt_restore_pages_cow(ctx, mm, st);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return ret < 0 ? ret : 0;
}

static void ckpt_mm_restored(struct ckpt_ctx *ctx, const struct ckpt_mm_restore *st,
			     u32 nr_vmas, u64 t0)
{
	u64 written = st->nr_pages - st->nr_cow - st->nr_cow_copied - st->nr_lazy;

	ctx->stats.memory_ns += ktime_get_ns() - t0;
	ctx->stats.pages_written += written;
	ctx->stats.pages_cow += st->nr_cow;
	ctx->stats.pages_cow_copied += st->nr_cow_copied;
	ckpt_log(ctx,
		 "mm: %u mappings, %llu pages restored, %llu shared, %llu copied from another, %llu lazy",
		 nr_vmas, written, st->nr_cow, st->nr_cow_copied,
		 st->nr_lazy);
}

static void *ckpt_mm_restart(struct ckpt_ctx *ctx, u32 *objref)
{
	struct ckpt_mm_restore st = {};
	struct ckpt_mm_end end;
	struct ckpt_mm *rec;
	struct mm_struct *mm;
	struct file *exe = NULL;
	unsigned long prev_end = 0;
	u64 t0;
	u32 i;
	int ret;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	st.pages = kvcalloc(CKPT_PAGES_MAX, sizeof(*st.pages), GFP_KERNEL);
	if (!rec || !st.pages) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ckpt_read_rec(ctx, CKPT_REC_MM, rec, sizeof(*rec));
	if (!ret)
		ret = ckpt_check_objref(ctx, rec->objref, objref);
	/* Threads share their leader's: one of its own would split the group */
	if (!ret && !thread_group_leader(current))
		ret = ckpt_err(ctx, -EINVAL, "MM record read by a thread, not a process");
	if (!ret)
		ret = ckpt_mm_check_fields(ctx, rec);
	if (ret)
		goto out;
	exe = ckpt_mm_exe_file(ctx, rec);
	if (IS_ERR(exe)) {
		ret = PTR_ERR(exe);
		goto out;
	}

	mm = ckpt_new_mm(ctx, exe);
	if (IS_ERR(mm)) {
		ret = PTR_ERR(mm);
		goto out;
	}
	for (i = 0; !ret && i < le32_to_cpu(rec->nr_vmas); i++)
		ret = ckpt_restore_vma(ctx, mm, &st, &prev_end);
	if (!ret && (st.vdso || st.vvar))
		ret = ckpt_arch_map_vdso(ctx, st.vvar, st.vvar_len, st.vdso,
					 st.vdso_len, le32_to_cpu(rec->vdso_crc));
	if (!ret && st.vdso != le64_to_cpu(rec->vdso))
		ret = ckpt_err(ctx, -EINVAL, "MM says the vDSO is at %llx, the VMAs at %lx",
			       le64_to_cpu(rec->vdso), st.vdso);
	if (ret)
		goto out;
	ckpt_mm_set_fields(mm, rec);

	t0 = ktime_get_ns();
	ret = ckpt_restore_all_pages(ctx, mm, &st);
	if (ret)
		goto out;
	ret = ckpt_read_rec(ctx, CKPT_REC_MM_END, &end, sizeof(end));
	if (!ret && le64_to_cpu(end.nr_pages) != st.nr_pages)
		ret = ckpt_err(ctx, -EINVAL, "MM_END says %llu pages, the image had %llu",
			       le64_to_cpu(end.nr_pages), st.nr_pages);
	if (!ret)
		ret = ckpt_populate_locked(ctx, mm);
	if (!ret && rec->flags)
		ret = ckpt_restore_mlockall(ctx, mm, le32_to_cpu(rec->flags));
	if (!ret)
		ckpt_mm_restored(ctx, &st, le32_to_cpu(rec->nr_vmas), t0);
out:
	if (st.lazy)
		ckpt_lazy_start(st.lazy);
	kfree(rec);
	kvfree(st.pages);
	kvfree(st.bv);
	if (ret)
		return ERR_PTR(ret);
	mmget(current->mm);
	return current->mm;
}

static void ckpt_mm_grab(void *ptr)
{
	mmget(ptr);
}

static void ckpt_mm_drop(void *ptr)
{
	mmput(ptr);
}

static void *ckpt_mm_of(struct task_struct *t)
{
	return t->mm;
}

static long ckpt_mm_users(void *ptr)
{
	/* The worker of a lazy restart holds it while it fetches pages */
	if (ckpt_lazy_finish(ptr))
		return LONG_MAX;
	return atomic_read(&((struct mm_struct *)ptr)->mm_users);
}

const struct ckpt_obj_ops ckpt_obj_mm_ops = {
	.name = "mm",
	.rec = CKPT_REC_MM,
	.checkpoint = ckpt_mm_checkpoint,
	.restart = ckpt_mm_restart,
	.grab = ckpt_mm_grab,
	.drop = ckpt_mm_drop,
	.task_obj = ckpt_mm_of,
	.nr_users = ckpt_mm_users,
	.what = "address space",
};
