/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lazy restart: the hooks of the core mm into mm/checkpoint_lazy.c.
 *
 * restart(2) with RESTART_LAZY maps a process's private anonymous memory
 * without its pages; they are read from the image on first touch, from
 * the anonymous fault path, and by a worker in the background.  Until an
 * address space has all its pages, what would make a page that is not
 * there yet read as zero (fork, mremap, THP collapse, core dumps,
 * userfaultfd registration) fetches the pages first, and what makes
 * pages read as zero (MADV_DONTNEED, MADV_FREE) drops them from what is
 * to be fetched.  All of it costs one static branch while no lazy restart
 * is going on.
 */
#ifndef _LINUX_CHECKPOINT_LAZY_H
#define _LINUX_CHECKPOINT_LAZY_H

#include <linux/jump_label.h>
#include <linux/mm_types.h>

#ifdef CONFIG_CHECKPOINT

/*
 * A private anonymous mapping whose pages may still be in the image.  It
 * keeps new mappings from merging with it: a new mapping where such a
 * mapping was reads zeros, not the image.  VM_CKPT_LAZY_NH: restart set
 * VM_NOHUGEPAGE on it (no huge page may hide pages still to be fetched),
 * to be cleared once all are in.  Bits above those of mm.h.
 */
#define VM_CKPT_LAZY		BIT(45)
#define VM_CKPT_LAZY_NH		BIT(46)

DECLARE_STATIC_KEY_FALSE(ckpt_lazy_active);

struct bio_vec;
struct ckpt_ctx;
struct ckpt_lazy;
struct cred;
struct file;

/* restart(2)'s side, for mm/checkpoint.c */
struct ckpt_lazy *ckpt_lazy_new(struct ckpt_ctx *ctx);
int ckpt_lazy_add(struct ckpt_lazy *lz, unsigned long addr, u32 nr, struct file *file,
		  loff_t pos, u32 crc);
void ckpt_lazy_start(struct ckpt_lazy *lz);
int ckpt_pages_pread(struct file *file, loff_t pos, struct page **pages, u32 nr,
		     struct bio_vec *bv, const struct cred *cred);

/* The core mm's side */

vm_fault_t ckpt_lazy_fault(struct vm_fault *vmf);
int __ckpt_lazy_finish(struct mm_struct *mm);
int __ckpt_lazy_madvise(struct mm_struct *mm, unsigned long start,
			unsigned long end, int behavior);

/* Fetch every page still in the image (fork, mremap): 0 or -errno */
static inline int ckpt_lazy_finish(struct mm_struct *mm)
{
	if (static_branch_unlikely(&ckpt_lazy_active))
		return __ckpt_lazy_finish(mm);
	return 0;
}

/* madvise() on [@start, @end): drop or fetch pages still in the image */
static inline int ckpt_lazy_madvise(struct mm_struct *mm, unsigned long start,
				    unsigned long end, int behavior)
{
	if (static_branch_unlikely(&ckpt_lazy_active))
		return __ckpt_lazy_madvise(mm, start, end, behavior);
	return 0;
}

#else /* !CONFIG_CHECKPOINT */

#define VM_CKPT_LAZY		VM_NONE

static inline vm_fault_t ckpt_lazy_fault(struct vm_fault *vmf)
{
	return 0;
}

static inline int ckpt_lazy_finish(struct mm_struct *mm)
{
	return 0;
}

static inline int ckpt_lazy_madvise(struct mm_struct *mm, unsigned long start,
				    unsigned long end, int behavior)
{
	return 0;
}

#endif /* CONFIG_CHECKPOINT */
#endif /* _LINUX_CHECKPOINT_LAZY_H */
