// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lazy restart (post-copy): private anonymous pages fetched from the image
 * on first touch.
 *
 * restart(2) with RESTART_LAZY, on a seekable image written with
 * CHECKPOINT_LAZY, does not read the contents of the PAGES records of
 * private anonymous mappings: it notes each record as a run (address,
 * file offset, pages, the CRC of its PAGES_CRC record) of the address
 * space's struct ckpt_lazy and marks the mapping VM_CKPT_LAZY.  So too
 * PAGES_FILE records, whose contents are in other files the caller gave,
 * with their CRC; each file, as the image, is denied writes until all is
 * in.  A fault on a page that is not there in such a mapping
 * (do_anonymous_page()) reads the page's whole run into new folios,
 * checks its CRC and maps every page of the run still to be fetched, as
 * do_anonymous_page() maps one.  A run that cannot be read or does not
 * match its CRC is never mapped: its pages get poisoned PTE markers, and
 * touching them raises SIGBUS, as for a page lost to a memory error.  A worker fetches the
 * other runs in the background; once none is left, the mappings lose
 * their marks and the files are let go.
 *
 * Each page of a run has a bit that says it is still to be fetched.  It is
 * cleared, under the page table lock and then ckpt_lazy.lock, by the one
 * that maps the page, and by MADV_DONTNEED and MADV_FREE before they zap,
 * so that a page dropped reads zeros, as anywhere else.  A mapping that
 * no longer has the mark at a page's address (unmapped, then mapped
 * again) drops the page too.  Whatever would copy, move or dump pages
 * that are not there (fork, mremap, core dumps) or put a huge page over
 * them (khugepaged and faults are kept off by VM_NOHUGEPAGE; MADV_HUGEPAGE
 * and MADV_COLLAPSE) fetches every run first.
 *
 * The files are read with the credentials of restart's caller.
 */

#include <linux/checkpoint.h>
#include <linux/checkpoint_lazy.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/khugepaged.h>
#include <linux/memcontrol.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "internal.h"

struct ckpt_lazy_run {
	unsigned long addr;
	loff_t pos;			/* of the contents in their file */
	u32 nr;				/* pages */
	u32 crc;			/* PAGES_CRC, or PAGES_FILE's */
	u32 left;			/* bits set in pending */
	u16 file;			/* in ckpt_lazy.files */
	bool busy;			/* being read: others wait */
	DECLARE_BITMAP(pending, CKPT_PAGES_MAX);
};

struct ckpt_lazy {
	refcount_t ref;			/* the registry's, the worker's, users' */
	struct mm_struct *mm;		/* mmgrab()bed */
	struct file **files;		/* the image, files of PAGES_FILE records */
	u32 nr_files;			/* each denied writes */
	const struct cred *cred;	/* restart's caller's */
	spinlock_t lock;		/* runs, their bits, nr_pending, files */
	struct ckpt_lazy_run *runs;	/* by address */
	u32 nr_runs, max_runs;
	unsigned long nr_pending;
	struct mutex done_lock;		/* one unregisters */
	bool done;			/* unregistered */
	struct work_struct work;
	wait_queue_head_t wq;		/* for a run no longer busy */
	struct rcu_head rcu;
};

DEFINE_STATIC_KEY_FALSE(ckpt_lazy_active);

/* Address spaces with pages still in an image, by address */
static DEFINE_XARRAY(ckpt_lazy_mms);

static unsigned long ckpt_lazy_index(struct mm_struct *mm)
{
	/* No two mm_structs start in the same cache line */
	return (unsigned long)mm / L1_CACHE_BYTES;
}

static struct ckpt_lazy *ckpt_lazy_get(struct mm_struct *mm)
{
	struct ckpt_lazy *lz;

	rcu_read_lock();
	lz = xa_load(&ckpt_lazy_mms, ckpt_lazy_index(mm));
	if (lz && !refcount_inc_not_zero(&lz->ref))
		lz = NULL;
	rcu_read_unlock();
	return lz;
}

static void ckpt_lazy_put(struct ckpt_lazy *lz)
{
	u32 i;

	if (!refcount_dec_and_test(&lz->ref))
		return;
	for (i = 0; i < lz->nr_files; i++) {
		allow_write_access(lz->files[i]);
		fput(lz->files[i]);
	}
	kfree(lz->files);
	put_cred(lz->cred);
	mmdrop(lz->mm);
	kvfree(lz->runs);
	kfree_rcu(lz, rcu);
}

/* The run holding @addr, or the first after it; under lz->lock */
static u32 ckpt_lazy_find(struct ckpt_lazy *lz, unsigned long addr)
{
	u32 lo = 0, hi = lz->nr_runs;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct ckpt_lazy_run *r = &lz->runs[mid];

		if (r->addr + ((unsigned long)r->nr << PAGE_SHIFT) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Clear the bits of [@start, @end) in run @r; under lz->lock */
static void ckpt_lazy_clear(struct ckpt_lazy *lz, struct ckpt_lazy_run *r,
			    unsigned long start, unsigned long end)
{
	unsigned long first = (max(start, r->addr) - r->addr) >> PAGE_SHIFT;
	unsigned long last = (min(end, r->addr + ((unsigned long)r->nr << PAGE_SHIFT)) -
			      r->addr) >> PAGE_SHIFT;
	unsigned long j;

	for (j = first; j < last; j++) {
		if (__test_and_clear_bit(j, r->pending)) {
			r->left--;
			lz->nr_pending--;
		}
	}
}

/* Pages of [@start, @end) are not to be fetched any more */
static void ckpt_lazy_forget(struct ckpt_lazy *lz, unsigned long start,
			     unsigned long end)
{
	u32 i;

	spin_lock(&lz->lock);
	for (i = ckpt_lazy_find(lz, start);
	     i < lz->nr_runs && lz->runs[i].addr < end; i++)
		ckpt_lazy_clear(lz, &lz->runs[i], start, end);
	spin_unlock(&lz->lock);
}

/* New folios for every page of the run, charged to the mm's memcg */
static int ckpt_lazy_alloc(struct vm_area_struct *vma, const struct ckpt_lazy_run *r,
			   struct page **pages)
{
	struct folio *folio;
	u32 j;

	for (j = 0; j < r->nr; j++) {
		folio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma,
					r->addr + ((unsigned long)j << PAGE_SHIFT), false);
		if (!folio)
			return -ENOMEM;
		pages[j] = &folio->page;
		if (mem_cgroup_charge(folio, vma->vm_mm, GFP_KERNEL))
			return -ENOMEM;
		__folio_mark_uptodate(folio);
	}
	return 0;
}

/**
 * ckpt_pages_pread() - read pages' contents from a file
 * @file: the image, or a file of PAGES_FILE records
 * @pos: where the contents start
 * @pages: @nr pages to fill
 * @nr: 1..CKPT_PAGES_MAX
 * @bv: room for @nr bio_vecs
 * @cred: whose credentials read the file: restart's caller's
 *
 * Return: 0, -EINVAL if the file ends before, or the read's error.
 */
int ckpt_pages_pread(struct file *file, loff_t pos, struct page **pages, u32 nr,
		     struct bio_vec *bv, const struct cred *cred)
{
	const struct cred *old;
	struct iov_iter iter;
	ssize_t got = 0;
	u32 j;

	for (j = 0; j < nr; j++)
		bvec_set_page(&bv[j], pages[j], PAGE_SIZE, 0);
	iov_iter_bvec(&iter, ITER_DEST, bv, nr, (size_t)nr << PAGE_SHIFT);
	old = override_creds(cred);
	while (iov_iter_count(&iter)) {
		size_t left = iov_iter_count(&iter);

		got = vfs_iter_read(file, &iter, &pos, 0);
		if (got <= 0 || left - iov_iter_count(&iter) != got)
			break;
	}
	revert_creds(old);
	if (!iov_iter_count(&iter))
		return 0;
	return got < 0 ? got : -EINVAL;
}

/* Read the run's contents into @pages: whether they match its CRC */
static bool ckpt_lazy_read(struct ckpt_lazy *lz, const struct ckpt_lazy_run *r,
			   struct page **pages, struct bio_vec *bv)
{
	struct file *file;
	int ret;

	spin_lock(&lz->lock);
	file = lz->files[r->file];
	spin_unlock(&lz->lock);
	ret = ckpt_pages_pread(file, r->pos, pages, r->nr, bv, lz->cred);
	if (ret) {
		pr_warn_ratelimited("checkpoint: lazy restart of %s[%d]: cannot read the pages at %lx from the image (%d)\n",
				    current->comm, task_pid_nr(current), r->addr, ret);
		return false;
	}
	if (!ckpt_pages_crc_ok(pages, r->nr, r->crc)) {
		pr_warn_ratelimited("checkpoint: lazy restart of %s[%d]: the pages at %lx do not match their CRC\n",
				    current->comm, task_pid_nr(current), r->addr);
		return false;
	}
	return true;
}

/*
 * Map page @j of run @r at @addr, as do_anonymous_page() maps a new one,
 * if it is still to be fetched; a poisoned marker instead without @pages.
 * Under the page table lock and lz->lock.
 */
static void ckpt_lazy_set_pte(struct ckpt_lazy *lz, struct vm_area_struct *vma,
			      struct ckpt_lazy_run *r, unsigned long addr,
			      pte_t *pte, struct page **pages)
{
	unsigned long j = (addr - r->addr) >> PAGE_SHIFT;
	struct folio *folio;
	pte_t entry;

	if (!__test_and_clear_bit(j, r->pending))
		return;
	r->left--;
	lz->nr_pending--;
	/* Someone else put a page there (UFFDIO_COPY): it stays */
	if (!pte_none(ptep_get(pte)))
		return;
	if (!pages) {
		set_pte_at(vma->vm_mm, addr, pte, make_pte_marker(PTE_MARKER_POISONED));
		return;
	}
	folio = page_folio(pages[j]);
	pages[j] = NULL;
	folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
	folio_add_lru_vma(folio, vma);
	inc_mm_counter(vma->vm_mm, MM_ANONPAGES);
	entry = pte_sw_mkyoung(mk_pte(&folio->page, vma->vm_page_prot));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(pte_mkdirty(entry), vma);
	set_pte_at(vma->vm_mm, addr, pte, entry);
	update_mmu_cache(vma, addr, pte);
}

static pmd_t *ckpt_lazy_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d = p4d_alloc(mm, pgd, addr);
	pud_t *pud = p4d ? pud_alloc(mm, p4d, addr) : NULL;
	pmd_t *pmd = pud ? pmd_alloc(mm, pud, addr) : NULL;

	if (!pmd || pte_alloc(mm, pmd))
		return NULL;
	return pmd;
}

/* Map the pages of run @i that are inside @vma (poison them without @pages) */
static int ckpt_lazy_install(struct ckpt_lazy *lz, struct vm_area_struct *vma,
			     u32 i, unsigned long start, unsigned long end,
			     struct page **pages)
{
	unsigned long addr, next, a;
	spinlock_t *ptl;		/* of the PTE page */
	pte_t *pte, *p;
	pmd_t *pmd;

	for (addr = start; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd = ckpt_lazy_pmd(vma->vm_mm, addr);
		if (!pmd)
			return -ENOMEM;
		/* NULL if the PMD changed under us (a huge page): left for later */
		pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl);
		if (!pte)
			continue;
		spin_lock(&lz->lock);
		for (a = addr, p = pte; a < next; a += PAGE_SIZE, p++)
			ckpt_lazy_set_pte(lz, vma, &lz->runs[i], a, p, pages);
		spin_unlock(&lz->lock);
		pte_unmap_unlock(pte, ptl);
	}
	return 0;
}

/*
 * Take run @i to read it, if no one else is reading it and it has pages
 * still to be fetched in [@start, @end): a copy of it, 1, or 0 if there is
 * nothing to fetch there, or -EAGAIN while another reads it.
 */
static int ckpt_lazy_take(struct ckpt_lazy *lz, u32 i, unsigned long start,
			  unsigned long end, struct ckpt_lazy_run *copy)
{
	struct ckpt_lazy_run *r;
	unsigned long first, last;
	int ret = -EAGAIN;

	spin_lock(&lz->lock);
	r = &lz->runs[i];
	if (!r->busy) {
		first = (start - r->addr) >> PAGE_SHIFT;
		last = (end - r->addr) >> PAGE_SHIFT;
		ret = find_next_bit(r->pending, last, first) < last;
		r->busy = ret;
		*copy = *r;
	}
	spin_unlock(&lz->lock);
	return ret;
}

static bool ckpt_lazy_busy(struct ckpt_lazy *lz, u32 i)
{
	bool busy;

	spin_lock(&lz->lock);
	busy = lz->runs[i].busy;
	spin_unlock(&lz->lock);
	return busy;
}

/* Until run @i is no longer being read: 0, or -EINTR */
static int ckpt_lazy_wait(struct ckpt_lazy *lz, u32 i)
{
	return wait_event_killable(lz->wq, !ckpt_lazy_busy(lz, i)) ? -EINTR : 0;
}

/*
 * Fetch run @i: read it whole, check it, and map its pages still to be
 * fetched that are in @vma, which has an anon_vma.  Under the mmap lock
 * or @vma's lock.  -EAGAIN while another reads it.
 */
static int ckpt_lazy_fill_run(struct ckpt_lazy *lz, struct vm_area_struct *vma, u32 i)
{
	struct ckpt_lazy_run r;
	struct page **pages;
	struct bio_vec *bv;
	unsigned long start, end;
	int ret;
	u32 j;

	spin_lock(&lz->lock);
	r = lz->runs[i];
	spin_unlock(&lz->lock);
	start = max(r.addr, vma->vm_start);
	end = min(r.addr + ((unsigned long)r.nr << PAGE_SHIFT), vma->vm_end);
	ret = ckpt_lazy_take(lz, i, start, end, &r);
	if (ret <= 0)
		return ret;
	pages = kcalloc(r.nr, sizeof(*pages) + sizeof(*bv), GFP_KERNEL);
	ret = pages ? 0 : -ENOMEM;
	if (pages) {
		bv = (struct bio_vec *)(pages + r.nr);
		ret = ckpt_lazy_alloc(vma, &r, pages);
	}
	if (!ret)
		ret = ckpt_lazy_install(lz, vma, i, start, end,
					ckpt_lazy_read(lz, &r, pages, bv) ? pages : NULL);
	for (j = 0; pages && j < r.nr; j++)
		if (pages[j])
			folio_put(page_folio(pages[j]));
	kfree(pages);
	spin_lock(&lz->lock);
	lz->runs[i].busy = false;
	spin_unlock(&lz->lock);
	wake_up_all(&lz->wq);
	return ret;
}

/**
 * ckpt_lazy_fault() - a fault on a page not there in a VM_CKPT_LAZY mapping
 * @vmf: the fault, from do_anonymous_page(), its page table allocated
 *
 * Return: 0 if the page is not to be fetched (do_anonymous_page() goes on),
 * else VM_FAULT_NOPAGE once it is mapped (or poisoned), or an error.
 */
vm_fault_t ckpt_lazy_fault(struct vm_fault *vmf)
{
	struct ckpt_lazy *lz = ckpt_lazy_get(vmf->vma->vm_mm);
	unsigned long addr = vmf->address & PAGE_MASK;
	struct ckpt_lazy_run *r;
	vm_fault_t ret = 0;
	bool pending;
	u32 i;
	int err;

	if (!lz)
		return 0;
	spin_lock(&lz->lock);
	i = ckpt_lazy_find(lz, addr);
	r = i < lz->nr_runs ? &lz->runs[i] : NULL;
	pending = r && r->addr <= addr &&
		  test_bit((addr - r->addr) >> PAGE_SHIFT, r->pending);
	spin_unlock(&lz->lock);
	if (pending) {
		ret = vmf_anon_prepare(vmf);
		if (!ret) {
			err = ckpt_lazy_fill_run(lz, vmf->vma, i);
			/* Another reads it: its pages are there once it is done */
			if (err == -EAGAIN)
				err = ckpt_lazy_wait(lz, i);
			ret = err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_NOPAGE;
		}
	}
	ckpt_lazy_put(lz);
	return ret;
}

/*
 * Fetch the runs of [@start, @end) in the mappings between; in the
 * background, a run another reads is left to it
 */
static int ckpt_lazy_fill_range(struct ckpt_lazy *lz, u32 i, unsigned long start,
				unsigned long end, bool bg)
{
	struct mm_struct *mm = lz->mm;
	struct vm_area_struct *vma;
	unsigned long next;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (; !ret && start < end; start = next) {
		vma = find_vma(mm, start);
		if (!vma || vma->vm_start >= end) {
			ckpt_lazy_forget(lz, start, end);
			break;
		}
		if (vma->vm_start > start) {
			ckpt_lazy_forget(lz, start, vma->vm_start);
			start = vma->vm_start;
		}
		next = min(vma->vm_end, end);
		if (!(vma->vm_flags & VM_CKPT_LAZY) || !vma_is_anonymous(vma))
			ckpt_lazy_forget(lz, start, next);
		else if (unlikely(anon_vma_prepare(vma)))
			ret = -ENOMEM;
		else
			ret = ckpt_lazy_fill_run(lz, vma, i);
		if (ret == -EAGAIN) {
			ret = bg ? 0 : ckpt_lazy_wait(lz, i);
			if (!bg && !ret)
				next = start;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Fetch every run that has pages of [@start, @end) still to be fetched;
 * in the background, only while tasks use the address space, and from
 * the top down: a task that goes through its memory upwards, faulting,
 * meets the worker halfway instead of waiting behind it run after run.
 */
static int ckpt_lazy_fill(struct ckpt_lazy *lz, unsigned long start, unsigned long end,
			  bool bg)
{
	unsigned long addr, rend;
	u32 i, k, first, nr, left;
	int ret;

	spin_lock(&lz->lock);
	first = ckpt_lazy_find(lz, start);
	nr = lz->nr_runs;
	spin_unlock(&lz->lock);
	for (k = first; k < nr; k++) {
		i = bg ? nr - 1 - (k - first) : k;
		spin_lock(&lz->lock);
		addr = lz->runs[i].addr;
		rend = addr + ((unsigned long)lz->runs[i].nr << PAGE_SHIFT);
		left = lz->runs[i].left;
		spin_unlock(&lz->lock);
		if (addr >= end) {
			if (bg)
				continue;
			return 0;
		}
		if (left) {
			ret = ckpt_lazy_fill_range(lz, i, max(addr, start), min(rend, end), bg);
			if (ret)
				return ret;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		if (bg && atomic_read(&lz->mm->mm_users) <= 1)
			return -ESRCH;
		cond_resched();
	}
	return 0;
}

/*
 * All pages are in: the mappings lose their marks, and the VM_NOHUGEPAGE
 * restart gave them, which kept khugepaged away: it may come now.  The
 * caller holds the mm.
 */
static void ckpt_lazy_unmark(struct ckpt_lazy *lz)
{
	struct vm_area_struct *vma;

	VMA_ITERATOR(vmi, lz->mm, 0);

	mmap_write_lock(lz->mm);
	for_each_vma(vmi, vma) {
		vm_flags_t clear = VM_CKPT_LAZY | VM_CKPT_LAZY_NH;

		if (!(vma->vm_flags & VM_CKPT_LAZY))
			continue;
		if (vma->vm_flags & VM_CKPT_LAZY_NH)
			clear |= VM_NOHUGEPAGE;
		vm_flags_clear(vma, clear);
		if (clear & VM_NOHUGEPAGE)
			khugepaged_enter_vma(vma, vma->vm_flags);
	}
	mmap_write_unlock(lz->mm);
}

/* How much one MADV_COLLAPSE call takes: a finish waits for one at most */
#define CKPT_LAZY_COLLAPSE_CHUNK	SZ_32M

/*
 * Collapse what huge pages fit in [@start, @end), a chunk at a time under
 * the mmap lock; stop once @lz is done
 */
static void ckpt_lazy_collapse_range(struct ckpt_lazy *lz, unsigned long start,
				     unsigned long end)
{
	struct vm_area_struct *vma, *prev;
	unsigned long next;

	start = ALIGN(start, PMD_SIZE);
	while (start + PMD_SIZE <= end && !READ_ONCE(lz->done)) {
		mmap_read_lock(lz->mm);
		vma = vma_lookup(lz->mm, start);
		next = vma ? min3(start + CKPT_LAZY_COLLAPSE_CHUNK, end, vma->vm_end) : end;
		/* It may drop the lock, and returns with it held */
		if (vma && thp_vma_allowable_order(vma, vma->vm_flags, TVA_ENFORCE_SYSFS,
						   PMD_ORDER))
			madvise_collapse(vma, &prev, start, next);
		mmap_read_unlock(lz->mm);
		start = ALIGN(next, PMD_SIZE);
	}
}

/*
 * All is in, each run in small pages: give the lazy mappings the huge
 * pages that the faults of an eager restart would have given them, where
 * the THP policy allows them (MADV_COLLAPSE's work, in the background),
 * over each 2 MiB that runs next to each other fill.  A finish (fork,
 * checkpoint...) meanwhile stops it.  The runs no longer change.  The
 * caller holds the mm.
 */
static void ckpt_lazy_collapse(struct ckpt_lazy *lz)
{
	unsigned long start, end;
	u32 i = 0;

	while (i < lz->nr_runs && !READ_ONCE(lz->done)) {
		start = lz->runs[i].addr;
		end = start + ((unsigned long)lz->runs[i].nr << PAGE_SHIFT);
		for (i++; i < lz->nr_runs && lz->runs[i].addr == end; i++)
			end += (unsigned long)lz->runs[i].nr << PAGE_SHIFT;
		ckpt_lazy_collapse_range(lz, start, end);
	}
}

/* The address space leaves the registry: all is in, or it is gone */
static void ckpt_lazy_unregister(struct ckpt_lazy *lz)
{
	bool done;

	mutex_lock(&lz->done_lock);
	done = lz->done;
	if (!done) {
		xa_erase(&ckpt_lazy_mms, ckpt_lazy_index(lz->mm));
		WRITE_ONCE(lz->done, true);
	}
	mutex_unlock(&lz->done_lock);
	if (!done) {
		static_branch_dec(&ckpt_lazy_active);
		ckpt_lazy_put(lz);
	}
}

/*
 * The background fill, until all is in or the address space is gone.  It
 * lets the mm go before it leaves the registry, so that one who finds the
 * registry without it also finds the mm without the worker's reference
 * (checkpoint(2) counts the mm's users).
 */
static void ckpt_lazy_work(struct work_struct *work)
{
	struct ckpt_lazy *lz = container_of(work, struct ckpt_lazy, work);
	bool filled;
	int ret;

	while (!READ_ONCE(lz->done) && mmget_not_zero(lz->mm)) {
		ret = ckpt_lazy_fill(lz, 0, TASK_SIZE, true);
		filled = !ret && !READ_ONCE(lz->nr_pending);
		if (filled) {
			ckpt_lazy_unmark(lz);
			ckpt_lazy_collapse(lz);
		}
		mmput(lz->mm);
		if (filled)
			break;
		/* Out of memory, or pages under a PMD that changed: again */
		if (ret != -ESRCH)
			msleep(ret ? 100 : 10);
	}
	/* All in, or gone: nothing can fault any more */
	ckpt_lazy_unregister(lz);
	ckpt_lazy_put(lz);
}

/**
 * __ckpt_lazy_finish() - fetch every page still in the image
 * @mm: an address space
 *
 * Before fork(), mremap() and checkpoint(2), which would copy, move or
 * save pages that are not there.  Once it returns 0, the background
 * worker has let @mm go too.
 *
 * Return: 0, or -EINTR or -ENOMEM.
 */
int __ckpt_lazy_finish(struct mm_struct *mm)
{
	struct ckpt_lazy *lz = ckpt_lazy_get(mm);
	int ret = 0;

	if (!lz)
		return 0;
	if (mmget_not_zero(mm)) {
		ret = ckpt_lazy_fill(lz, 0, TASK_SIZE, false);
		if (!ret && !READ_ONCE(lz->nr_pending))
			ckpt_lazy_unmark(lz);
		mmput(mm);
	}
	if (!ret && !READ_ONCE(lz->nr_pending)) {
		ckpt_lazy_unregister(lz);
		flush_work(&lz->work);
	}
	ckpt_lazy_put(lz);
	return ret;
}

/**
 * __ckpt_lazy_madvise() - madvise() on pages that may still be in the image
 * @mm: the address space
 * @start: first address
 * @end: end of the range
 * @behavior: MADV_*
 *
 * MADV_DONTNEED and MADV_FREE make pages read as zero: those still in the
 * image are dropped.  MADV_HUGEPAGE, MADV_NOHUGEPAGE and MADV_COLLAPSE
 * change the VM_NOHUGEPAGE that keeps huge pages off: all is fetched.
 *
 * Return: 0, or -EINTR or -ENOMEM.
 */
int __ckpt_lazy_madvise(struct mm_struct *mm, unsigned long start,
			unsigned long end, int behavior)
{
	struct ckpt_lazy *lz;

	switch (behavior) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		lz = ckpt_lazy_get(mm);
		if (lz) {
			ckpt_lazy_forget(lz, start, end);
			ckpt_lazy_put(lz);
		}
		return 0;
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_COLLAPSE:
		return __ckpt_lazy_finish(mm);
	}
	return 0;
}

/**
 * ckpt_lazy_new() - start a lazy restart of the caller's address space
 * @ctx: restart context, reading a seekable image
 *
 * Return: the new context, or an ERR_PTR.
 */
struct ckpt_lazy *ckpt_lazy_new(struct ckpt_ctx *ctx)
{
	struct mm_struct *mm = current->mm;
	struct ckpt_lazy *lz;
	int ret;

	lz = kzalloc(sizeof(*lz), GFP_KERNEL);
	if (!lz)
		return ERR_PTR(-ENOMEM);
	/* The registry's, and restart's for the worker */
	refcount_set(&lz->ref, 2);
	spin_lock_init(&lz->lock);
	mutex_init(&lz->done_lock);
	INIT_WORK(&lz->work, ckpt_lazy_work);
	init_waitqueue_head(&lz->wq);
	lz->cred = get_cred(ctx->caller_cred);
	mmgrab(mm);
	lz->mm = mm;
	ret = xa_insert(&ckpt_lazy_mms, ckpt_lazy_index(mm), lz, GFP_KERNEL);
	if (ret) {
		refcount_set(&lz->ref, 1);
		ckpt_lazy_put(lz);
		return ERR_PTR(ret);
	}
	static_branch_inc(&ckpt_lazy_active);
	return lz;
}

/*
 * The index of @file in lz->files, where it is added, denied writes, if
 * new: nobody may change the pages under the tasks, as for an executable.
 * -ETXTBSY if it is open for writing.
 */
static int ckpt_lazy_file(struct ckpt_lazy *lz, struct file *file)
{
	struct file **files, **old;
	u32 i;
	int ret;

	for (i = 0; i < lz->nr_files; i++)
		if (lz->files[i] == file)
			return i;
	if (lz->nr_files > U16_MAX)
		return -E2BIG;
	ret = deny_write_access(file);
	if (ret)
		return ret;
	files = kmalloc_array(lz->nr_files + 1, sizeof(*files), GFP_KERNEL);
	if (!files) {
		allow_write_access(file);
		return -ENOMEM;
	}
	/* Swapped under the lock, as the runs are: a fetch may look one up */
	spin_lock(&lz->lock);
	old = lz->files;
	if (old)
		memcpy(files, old, lz->nr_files * sizeof(*files));
	files[lz->nr_files] = get_file(file);
	lz->files = files;
	i = lz->nr_files++;
	spin_unlock(&lz->lock);
	kfree(old);
	return i;
}

/* Give the runs room for one more, outside the lock */
static int ckpt_lazy_grow(struct ckpt_lazy *lz)
{
	struct ckpt_lazy_run *runs, *old;
	u32 max = lz->max_runs ? lz->max_runs * 2 : 64;

	if (lz->nr_runs < lz->max_runs)
		return 0;
	runs = kvmalloc_array(max, sizeof(*runs), GFP_KERNEL_ACCOUNT);
	if (!runs)
		return -ENOMEM;
	spin_lock(&lz->lock);
	old = lz->runs;
	if (old)
		memcpy(runs, old, lz->nr_runs * sizeof(*runs));
	lz->runs = runs;
	lz->max_runs = max;
	spin_unlock(&lz->lock);
	kvfree(old);
	return 0;
}

/*
 * Mark @vma lazy, with VM_NOHUGEPAGE; whether it may be: private anonymous
 * memory, not locked, not a stack, not linked to another mm's for pages
 * shared copy-on-write.  Under mmap_write_lock.
 */
static bool ckpt_lazy_mark(struct vm_area_struct *vma)
{
	vm_flags_t set = VM_CKPT_LAZY;

	if (vma->vm_flags & VM_CKPT_LAZY)
		return true;
	if (!vma_is_anonymous(vma) ||
	    vma->vm_flags & (VM_MAYSHARE | VM_LOCKED | VM_GROWSDOWN | VM_SPECIAL) ||
	    (vma->anon_vma && !list_is_singular(&vma->anon_vma_chain)))
		return false;
	if (!(vma->vm_flags & VM_NOHUGEPAGE))
		set |= VM_NOHUGEPAGE | VM_CKPT_LAZY_NH;
	vm_flags_set(vma, set);
	return true;
}

/**
 * ckpt_lazy_add() - note pages to be fetched later, if they may be
 * @lz: the lazy context of the caller's address space
 * @addr: the pages' address, inside one mapping, above the last ones'
 * @nr: how many
 * @file: the file that has their contents: the image, or a PAGES_FILE's
 * @pos: the offset of their contents in @file
 * @crc: their CRC-32C (PAGES_CRC)
 *
 * Return: 1 if noted, 0 if the mapping must get its pages now (read the
 * record), or a negative error: -ETXTBSY if @file is open for writing.
 */
int ckpt_lazy_add(struct ckpt_lazy *lz, unsigned long addr, u32 nr, struct file *file,
		  loff_t pos, u32 crc)
{
	struct mm_struct *mm = lz->mm;
	struct vm_area_struct *vma;
	struct ckpt_lazy_run *r;
	int file_idx;
	bool lazy;

	if (WARN_ON_ONCE(!nr || nr > CKPT_PAGES_MAX || mm != current->mm))
		return -EINVAL;
	if (ckpt_lazy_grow(lz))
		return -ENOMEM;
	file_idx = ckpt_lazy_file(lz, file);
	if (file_idx < 0)
		return file_idx;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	lazy = vma && vma->vm_end - addr >= ((unsigned long)nr << PAGE_SHIFT) &&
	       ckpt_lazy_mark(vma);
	mmap_write_unlock(mm);
	if (!lazy)
		return 0;
	spin_lock(&lz->lock);
	r = &lz->runs[lz->nr_runs++];
	*r = (struct ckpt_lazy_run){ .addr = addr, .pos = pos, .nr = nr, .crc = crc, .left = nr,
				     .file = file_idx };
	bitmap_set(r->pending, 0, nr);
	lz->nr_pending += nr;
	spin_unlock(&lz->lock);
	return 1;
}

/**
 * ckpt_lazy_start() - the address space is restored: fetch the rest
 * @lz: its lazy context, whose reference the worker takes over
 *
 * Also when its restart failed: the worker then finds it gone.
 */
void ckpt_lazy_start(struct ckpt_lazy *lz)
{
	queue_work(system_unbound_wq, &lz->work);
}
