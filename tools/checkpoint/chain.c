// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: merging a chain of incremental images (chain.h).
 *
 * Nothing in an image is trusted: every length, count and address is
 * checked against the file or the record it is in before it is used, and
 * the pages a run names are found by binary search in runs checked to go
 * up, so that merging is linear in the pages written.  By reference
 * (c->refs), a run of pages is a PAGES_FILE record, whose CRC is joined
 * from those of its pages, found when their image was indexed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "image.h"

/* PAGES_COW and PAGES_PARENT that lead to each other deeper than this: a loop */
#define CHAIN_DEPTH_MAX		256

#define CHAIN_OUT_BUF		(64 << 10)
/* fs.pipe-max-size's default: what an unprivileged caller may ask for */
#define CHAIN_FEED_PIPE_SZ	(1 << 20)

enum chain_run_kind {
	RUN_DATA,		/* a PAGES: its contents are in the file */
	RUN_COW,		/* a PAGES_COW: those of another MM of the image */
	RUN_PARENT,		/* a PAGES_PARENT: those of an MM of its parent */
};

/* nr pages from addr, of one record */
struct chain_run {
	uint64_t addr;
	uint32_t nr;
	uint32_t kind;		/* enum chain_run_kind */
	uint64_t where;		/* RUN_DATA: offset of the contents, else the mm_ref */
	uint32_t crc;		/* c->refs, RUN_DATA: crcs[crc] is its first page's */
};

/* An MM of a parent image: its runs are runs[first] to runs[first + nr - 1] */
struct chain_mm {
	uint32_t objref;
	uint32_t first;
	uint32_t nr;
};

struct chain_image {
	char *path;
	int fd;			/* c->refs: the file, for restart(2); else -1 */
	dev_t dev;
	ino_t ino;
	const uint8_t *map;
	size_t size;
	uint32_t page_size;
	uint32_t page_factor;	/* crc32c_append_factor(page_size) */
	/* while indexing: the TRAILER's CRC of the bytes before crc_off */
	uint32_t crc;
	uint64_t crc_off;
	/* c->refs: the CRC of each page of its RUN_DATA (seeded ~0, not inverted) */
	uint32_t *crcs;
	uint32_t nr_crcs, crcs_cap;
	bool refd;		/* a PAGES_FILE of the last merge reads it */
	bool has_chain;
	uint64_t id;
	uint64_t parent;	/* CHAIN.parent: 0 if complete */
	int parent_idx;		/* its parent in the chain's imgs, -1 if none */
	bool used;		/* in the chain of the image merged */
	struct chain_run *runs;
	uint32_t nr_runs, runs_cap;
	struct chain_mm *mms;	/* sorted by objref once indexed */
	uint32_t nr_mms, mms_cap;
	uint32_t cur_mm;	/* while indexing: the MM being read, 0 if none */
};

/* The incremental image being merged and the image being written */
struct chain_merge {
	struct ckpt_parents *c;
	const char *name;
	int in_fd;
	uint64_t in_off;	/* bytes read */
	uint32_t in_crc;	/* of the records before the TRAILER */
	uint32_t in_records;
	uint64_t rec_off;	/* of the record being merged */
	uint32_t page_size;
	bool has_chain;
	int parent_idx;		/* the image PAGES_PARENT refer to, -1 if none */
	uint32_t cur_mm;	/* the MM being read, 0 if none */
	uint32_t prev_type;	/* of the record read before this one */
	void *buf;		/* the payload of the record being merged */
	size_t buf_size;
	/* what is written */
	int out_fd;
	uint32_t out_crc;
	/* c->refs: in_fd is a regular file, its PAGES of MMs are left there */
	bool in_refs;
	uint64_t in_base;	/* in_fd's offset of the image's first byte */
	bool rec_crc_done;	/* in_crc holds the payload of the record read */
	uint32_t page_factor;	/* crc32c_append_factor(page_size) */
	/* c->refs: the PAGES_FILE being made, of pages contiguous in one file */
	uint64_t ref_addr, ref_off;
	uint32_t ref_nr, ref_file, ref_crc;
	/* c->lazy: the contents of the PAGES record being written */
	bool in_run;
	uint32_t run_crc;	/* seeded with ~0, not inverted */
	uint64_t run_len;
	uint64_t out_size;
	uint64_t out_records;
	size_t out_len;
	uint8_t *out_buf;	/* CHAIN_OUT_BUF bytes, not yet written */
};

static int chain_fail(struct ckpt_parents *c, const char *fmt, ...) __printf(2, 3);

static int chain_fail(struct ckpt_parents *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *rec_name(uint32_t type)
{
	return type < __CKPT_REC_NR && rec_names[type] ? rec_names[type] : "unknown record";
}

static int chain_grow(void **p, uint32_t *cap, uint32_t nr, size_t size)
{
	uint32_t n = *cap ? *cap * 2 : 64;
	void *q;

	if (nr < *cap)
		return 0;
	if (n <= *cap)
		return -1;
	q = reallocarray(*p, n, size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* --- the parents: mapped, checked and indexed --- */

static int chain_img_fail(struct ckpt_parents *c, const struct chain_image *im, uint64_t off,
			  const char *what)
{
	return chain_fail(c, "%s: offset %llu: %s", im->path, (unsigned long long)off, what);
}

static int chain_add_mm(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			const void *p, uint32_t len)
{
	const struct ckpt_mm *mm = p;

	if (len < sizeof(*mm) || !LE32(mm->objref))
		return chain_img_fail(c, im, off, "MM: bad length or objref 0");
	if (im->cur_mm)
		return chain_img_fail(c, im, off, "MM: inside another MM");
	if (chain_grow((void **)&im->mms, &im->mms_cap, im->nr_mms, sizeof(*im->mms)))
		return chain_img_fail(c, im, off, "MM: out of memory");
	im->cur_mm = LE32(mm->objref);
	im->mms[im->nr_mms].objref = im->cur_mm;
	im->mms[im->nr_mms].first = im->nr_runs;
	im->mms[im->nr_mms].nr = 0;
	im->nr_mms++;
	return 0;
}

/* One more run of the MM being read: page-aligned, above the one before it */
static int chain_add_run(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			 const struct chain_run *r)
{
	struct chain_mm *mm = &im->mms[im->nr_mms - 1];
	const struct chain_run *prev = mm->nr ? &im->runs[im->nr_runs - 1] : NULL;
	uint64_t size = (uint64_t)r->nr * im->page_size;

	if (r->addr % im->page_size || r->addr > UINT64_MAX - size)
		return chain_fail(c, "%s: offset %llu: MM %u: addr 0x%llx is not a page address",
				  im->path, (unsigned long long)off, mm->objref,
				  (unsigned long long)r->addr);
	if (prev && r->addr < prev->addr + (uint64_t)prev->nr * im->page_size)
		return chain_fail(c,
				  "%s: offset %llu: MM %u: addr 0x%llx is below the end of the pages before it",
				  im->path, (unsigned long long)off, mm->objref,
				  (unsigned long long)r->addr);
	if (chain_grow((void **)&im->runs, &im->runs_cap, im->nr_runs, sizeof(*im->runs)))
		return chain_img_fail(c, im, off, "out of memory");
	im->runs[im->nr_runs++] = *r;
	mm->nr++;
	return 0;
}

/* The TRAILER's CRC carried over the bytes of im up to end */
static void chain_crc_to(struct chain_image *im, uint64_t end)
{
	im->crc = crc32c(im->crc, im->map + im->crc_off, end - im->crc_off);
	im->crc_off = end;
}

/*
 * c->refs: the CRC of each page of the run r of a PAGES, and the
 * TRAILER's carried over them, in one pass over the contents
 */
static int chain_index_crcs(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			    struct chain_run *r)
{
	uint64_t ps = im->page_size;
	uint32_t i, crc;

	while (im->crcs_cap - im->nr_crcs < r->nr)
		if (chain_grow((void **)&im->crcs, &im->crcs_cap, im->crcs_cap, sizeof(*im->crcs)))
			return chain_img_fail(c, im, off, "out of memory");
	chain_crc_to(im, r->where);
	r->crc = im->nr_crcs;
	for (i = 0; i < r->nr; i++) {
		crc = crc32c(~0U, im->map + r->where + i * ps, ps);
		im->crcs[im->nr_crcs++] = crc;
		im->crc = crc32c_append_op(im->crc, crc, im->page_factor);
	}
	im->crc_off = r->where + r->nr * ps;
	return 0;
}

/* A PAGES, PAGES_COW or PAGES_PARENT of an MM of a parent */
static int chain_add_pages(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			   uint32_t type, const void *p, uint32_t len)
{
	const struct ckpt_pages_parent *pp = p;	/* the three start alike */
	struct chain_run r = { .addr = LE64(pp->addr), .nr = LE32(pp->nr_pages) };
	uint32_t max = type == CKPT_REC_PAGES ? CKPT_PAGES_MAX : CKPT_PAGES_COW_MAX;

	if (len < sizeof(*pp))
		return chain_img_fail(c, im, off, "pages record too short");
	if (!r.nr || r.nr > max)
		return chain_fail(c, "%s: offset %llu: %s: nr_pages %u is out of range 1..%u",
				  im->path, (unsigned long long)off, rec_name(type), r.nr, max);
	if (type == CKPT_REC_PAGES) {
		if (len != sizeof(struct ckpt_pages) + (uint64_t)r.nr * im->page_size)
			return chain_img_fail(c, im, off,
					      "PAGES: len is not that of nr_pages pages");
		r.kind = RUN_DATA;
		r.where = off + sizeof(struct ckpt_rec_hdr) + sizeof(struct ckpt_pages);
		if (c->refs && chain_index_crcs(c, im, off, &r))
			return -1;
	} else {
		r.kind = type == CKPT_REC_PAGES_COW ? RUN_COW : RUN_PARENT;
		r.where = LE32(pp->mm_ref);
		if (len != sizeof(*pp) || !r.where)
			return chain_fail(c, "%s: offset %llu: %s: bad length or mm_ref 0",
					  im->path, (unsigned long long)off, rec_name(type));
		if (r.kind == RUN_PARENT && !im->parent)
			return chain_img_fail(c, im, off,
					      "PAGES_PARENT in an image without a parent (CHAIN.parent 0 or no CHAIN)");
	}
	return chain_add_run(c, im, off, &r);
}

/* A HEADER of ours, the first record of the image name; its page size, or 0 */
static uint32_t chain_check_header(struct ckpt_parents *c, const char *name, uint32_t type,
				   const void *p, uint32_t len)
{
	const struct ckpt_image_header *h = p;
	uint32_t page_size;

	if (type != CKPT_REC_HEADER || len < sizeof(*h) || LE64(h->magic) != CKPT_IMAGE_MAGIC) {
		chain_fail(c, "%s: not a checkpoint image (no HEADER, or a bad magic)", name);
		return 0;
	}
	if (!LE32(h->version) || LE32(h->version) > CKPT_IMAGE_VERSION) {
		chain_fail(c, "%s: unsupported image version %u (this ckpt reads versions 1 to %u)",
			   name, LE32(h->version), CKPT_IMAGE_VERSION);
		return 0;
	}
	page_size = LE32(h->page_size);
	if (!page_size || page_size % 8 || page_size > (1U << 20)) {
		chain_fail(c, "%s: bad page_size %u", name, page_size);
		return 0;
	}
	return page_size;
}

static int chain_index_chain(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			     const void *p, uint32_t len)
{
	const struct ckpt_chain *ch = p;

	if (len != sizeof(*ch))
		return chain_img_fail(c, im, off, "CHAIN: bad length");
	if (im->has_chain)
		return chain_img_fail(c, im, off, "a second CHAIN record");
	im->has_chain = true;
	im->id = LE64(ch->id);
	im->parent = LE64(ch->parent);
	if (!im->id || im->id == UINT64_MAX || im->parent == UINT64_MAX)
		return chain_img_fail(c, im, off, "CHAIN: bad id or parent");
	return 0;
}

/* What one record of a parent adds to its index */
static int chain_index_rec(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			   uint32_t type, const void *p, uint32_t len)
{
	switch (type) {
	case CKPT_REC_CHAIN:
		return chain_index_chain(c, im, off, p, len);
	case CKPT_REC_MM:
		return chain_add_mm(c, im, off, p, len);
	case CKPT_REC_MM_END:
		if (!im->cur_mm)
			return chain_img_fail(c, im, off, "MM_END outside an MM");
		im->cur_mm = 0;
		return 0;
	case CKPT_REC_PAGES:
		/* Those of a SHMEM are not an MM's */
		if (!im->cur_mm)
			return 0;
		return chain_add_pages(c, im, off, type, p, len);
	case CKPT_REC_PAGES_COW:
	case CKPT_REC_PAGES_PARENT:
		if (!im->cur_mm)
			return chain_fail(c, "%s: offset %llu: %s outside an MM", im->path,
					  (unsigned long long)off, rec_name(type));
		return chain_add_pages(c, im, off, type, p, len);
	}
	return 0;
}

/* The TRAILER at off: the image ends with it, and it covers what precedes */
static int chain_check_trailer(struct ckpt_parents *c, struct chain_image *im, uint64_t off,
			       uint32_t len, uint32_t nr_records)
{
	struct ckpt_image_trailer t;
	uint32_t crc;

	if (len != sizeof(t) || im->size - off - sizeof(struct ckpt_rec_hdr) != len)
		return chain_img_fail(c, im, off, "TRAILER: bad length, or data after it");
	memcpy(&t, im->map + off + sizeof(struct ckpt_rec_hdr), sizeof(t));
	chain_crc_to(im, off);
	crc = image_crc_end(im->crc);
	if (LE32(t.crc32c) != crc)
		return chain_fail(c,
				  "%s: TRAILER: crc32c 0x%08x, but the image before it has 0x%08x: the image is damaged",
				  im->path, LE32(t.crc32c), crc);
	if (LE64(t.size) != off || LE32(t.nr_records) != nr_records)
		return chain_img_fail(c, im, off, "TRAILER: size or nr_records does not match");
	return 0;
}

/* Walk the records of a mapped parent up to its TRAILER */
static int chain_index(struct ckpt_parents *c, struct chain_image *im)
{
	uint32_t type, len, nr_records = 0;
	struct ckpt_rec_hdr hdr;
	uint64_t off = 0;
	const void *p;

	im->crc = image_crc_start();
	im->crc_off = 0;
	/* By reference, the pages are checked one by one: too short to time the ways on */
	if (c->refs)
		crc32c_choose();
	for (;; nr_records++) {
		if (im->size - off < sizeof(hdr))
			return chain_fail(c, "%s: truncated at offset %llu: no TRAILER", im->path,
					  (unsigned long long)off);
		memcpy(&hdr, im->map + off, sizeof(hdr));
		type = LE32(hdr.type) & ~CKPT_REC_OPTIONAL;
		len = LE32(hdr.len);
		if (!off && type != CKPT_REC_HEADER)
			return chain_fail(c, "%s: not a checkpoint image (no HEADER)", im->path);
		if (len % 8 || len > CKPT_REC_MAX_LEN)
			return chain_img_fail(c, im, off, "bad record length");
		if (len > im->size - off - sizeof(hdr))
			return chain_img_fail(c, im, off,
					      "truncated image: the record ends after the file");
		p = im->map + off + sizeof(hdr);
		if (!off) {
			im->page_size = chain_check_header(c, im->path, type, p, len);
			if (!im->page_size)
				return -1;
			im->page_factor = crc32c_append_factor(im->page_size);
		}
		if (type == CKPT_REC_TRAILER)
			return chain_check_trailer(c, im, off, len, nr_records);
		if (chain_index_rec(c, im, off, type, p, len))
			return -1;
		off += sizeof(hdr) + len;
	}
}

static int chain_cmp_mm(const void *a, const void *b)
{
	const struct chain_mm *x = a, *y = b;

	return x->objref < y->objref ? -1 : x->objref > y->objref;
}

static int chain_load(struct ckpt_parents *c, struct chain_image *im)
{
	struct stat st;
	uint32_t i;
	int fd;

	fd = open(im->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return chain_fail(c, "%s: %s", im->path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return chain_fail(c, "%s: a parent image must be a regular, non-empty file",
				  im->path);
	}
	im->size = st.st_size;
	im->dev = st.st_dev;
	im->ino = st.st_ino;
	im->map = mmap(NULL, im->size, PROT_READ, MAP_PRIVATE, fd, 0);
	/* By reference, restart(2) reads the very file indexed */
	if (c->refs)
		im->fd = fd;
	else
		close(fd);
	if (im->map == MAP_FAILED) {
		im->map = NULL;
		return chain_fail(c, "%s: mmap: %s", im->path, strerror(errno));
	}
	if (chain_index(c, im))
		return -1;
	if (!im->has_chain)
		return chain_fail(c,
				  "%s: no CHAIN record: not written with --track or --incremental",
				  im->path);
	/* An image may have no MM (a damaged one): qsort() and bsearch() want one */
	if (im->nr_mms)
		qsort(im->mms, im->nr_mms, sizeof(*im->mms), chain_cmp_mm);
	for (i = 1; i < im->nr_mms; i++)
		if (im->mms[i].objref == im->mms[i - 1].objref)
			return chain_fail(c, "%s: two MMs of objref %u", im->path,
					  im->mms[i].objref);
	return 0;
}

void ckpt_chain_init(struct ckpt_parents *c, bool refs)
{
	memset(c, 0, sizeof(*c));
	c->refs = refs;
	c->in_fd = -1;
}

static void chain_free_image(struct chain_image *im)
{
	if (im->map)
		munmap((void *)im->map, im->size);
	if (im->fd >= 0)
		close(im->fd);
	free(im->runs);
	free(im->mms);
	free(im->crcs);
	free(im->path);
	memset(im, 0, sizeof(*im));
	im->fd = -1;
}

int ckpt_chain_add(struct ckpt_parents *c, const char *path)
{
	struct chain_image *im;
	unsigned int j;
	int ret = -1;

	if (c->nr_imgs == CKPT_CHAIN_MAX)
		return chain_fail(c, "more than %u parent images", CKPT_CHAIN_MAX);
	if (!c->imgs)
		c->imgs = calloc(CKPT_CHAIN_MAX, sizeof(*c->imgs));
	if (!c->imgs)
		return chain_fail(c, "out of memory");
	im = &c->imgs[c->nr_imgs];
	im->fd = -1;
	im->parent_idx = -1;
	im->path = strdup(path);
	if (!im->path)
		chain_fail(c, "out of memory");
	else if (!chain_load(c, im))
		ret = 0;
	for (j = 0; !ret && j < c->nr_imgs; j++)
		if (c->imgs[j].id == im->id)
			ret = chain_fail(c, "%s and %s have the same id 0x%016llx",
					 c->imgs[j].path, im->path, (unsigned long long)im->id);
	if (ret)
		chain_free_image(im);
	else
		c->nr_imgs++;
	return ret;
}

int ckpt_chain_open(struct ckpt_parents *c, char *const *paths, unsigned int nr)
{
	unsigned int i;

	ckpt_chain_init(c, false);
	if (nr > CKPT_CHAIN_MAX)
		return chain_fail(c, "more than %u parent images", CKPT_CHAIN_MAX);
	for (i = 0; i < nr; i++)
		if (ckpt_chain_add(c, paths[i]))
			return -1;
	return 0;
}

bool ckpt_chain_has_file(const struct ckpt_parents *c, dev_t dev, ino_t ino)
{
	unsigned int i;

	for (i = 0; i < c->nr_imgs; i++)
		if (c->imgs[i].map && c->imgs[i].dev == dev && c->imgs[i].ino == ino)
			return true;
	return false;
}

void ckpt_chain_close(struct ckpt_parents *c)
{
	unsigned int i;

	for (i = 0; c->imgs && i < c->nr_imgs; i++)
		chain_free_image(&c->imgs[i]);
	free(c->imgs);
	c->imgs = NULL;
	c->nr_imgs = 0;
}

static int chain_find(const struct ckpt_parents *c, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < c->nr_imgs; i++)
		if (c->imgs[i].id == id)
			return i;
	return -1;
}

/*
 * The images from the one of id parent on, each linked to its own parent,
 * down to a complete one.  Returns the index of the first, or -1.
 */
static int chain_link(struct ckpt_parents *c, const char *name, uint64_t parent,
		      uint32_t page_size)
{
	int first = chain_find(c, parent), cur = first, next;
	const char *child = name;
	unsigned int n;

	for (n = 0; ; n++) {
		if (cur < 0)
			return chain_fail(c,
					  "%s needs its parent image, of id 0x%016llx: it is not among the parents given",
					  child, (unsigned long long)parent);
		if (n == c->nr_imgs)
			return chain_fail(c, "the parents of %s loop: %s is its own ancestor",
					  name, c->imgs[cur].path);
		if (c->imgs[cur].page_size != page_size)
			return chain_fail(c, "%s: page_size %u, but %s has %u", c->imgs[cur].path,
					  c->imgs[cur].page_size, name, page_size);
		c->imgs[cur].used = true;
		parent = c->imgs[cur].parent;
		if (!parent)
			return first;
		child = c->imgs[cur].path;
		next = chain_find(c, parent);
		c->imgs[cur].parent_idx = next;
		cur = next;
	}
}

int ckpt_chain_check(struct ckpt_parents *c, int fd, const char *name)
{
	struct ckpt_image_header h;
	struct ckpt_rec_hdr hdr;
	uint32_t page_size = 0;
	struct ckpt_chain ch;
	uint64_t off = 0;
	unsigned int i;

	/* The CHAIN is after the HEADER, its X86_CPUID and X86_VDSO */
	for (i = 0; i < 4; i++) {
		if (pread(fd, &hdr, sizeof(hdr), off) != (ssize_t)sizeof(hdr))
			return 0;
		if (!i) {
			if (pread(fd, &h, sizeof(h), off + sizeof(hdr)) != (ssize_t)sizeof(h))
				return 0;
			page_size = chain_check_header(c, name, LE32(hdr.type), &h,
						       LE32(hdr.len));
			if (!page_size)
				return -1;
		}
		if ((LE32(hdr.type) & ~CKPT_REC_OPTIONAL) == CKPT_REC_CHAIN &&
		    LE32(hdr.len) == sizeof(ch) &&
		    pread(fd, &ch, sizeof(ch), off + sizeof(hdr)) == (ssize_t)sizeof(ch))
			return !LE64(ch.parent) ||
			       chain_link(c, name, LE64(ch.parent), page_size) >= 0 ? 0 : -1;
		off += sizeof(hdr) + LE32(hdr.len);
	}
	return 0;
}

/* --- the image written --- */

static int chain_write_fail(struct chain_merge *m, ssize_t n)
{
	if (n < 0 && errno == EPIPE)
		m->c->broken_pipe = true;
	return chain_fail(m->c, "write: %s", n ? strerror(errno) : "no progress");
}

static int chain_flush(struct chain_merge *m)
{
	size_t done = 0;
	ssize_t n;

	while (done < m->out_len) {
		n = write(m->out_fd, m->out_buf + done, m->out_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return chain_write_fail(m, n);
		done += n;
	}
	m->out_len = 0;
	return 0;
}

/* Big writes (page contents from a parent's mapping) go straight out */
static int chain_write(struct chain_merge *m, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	if (m->in_run) {
		m->run_crc = crc32c(m->run_crc, p, len);
		m->run_len += len;
	} else {
		m->out_crc = crc32c(m->out_crc, p, len);
	}
	m->out_size += len;
	if (m->out_len + len <= CHAIN_OUT_BUF) {
		memcpy(m->out_buf + m->out_len, p, len);
		m->out_len += len;
		return 0;
	}
	if (chain_flush(m))
		return -1;
	while (len) {
		n = write(m->out_fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return chain_write_fail(m, n);
		b += n;
		len -= n;
	}
	return 0;
}

static int chain_write_rec(struct chain_merge *m, uint32_t type, const void *p, uint32_t len)
{
	struct ckpt_rec_hdr hdr = { .type = htole32(type), .len = htole32(len) };

	m->out_records++;
	return chain_write(m, &hdr, sizeof(hdr)) || chain_write(m, p, len) ? -1 : 0;
}

static const struct chain_run *chain_find_run(const struct chain_image *im,
					      const struct chain_mm *mm, uint64_t addr)
{
	const struct chain_run *runs = im->runs + mm->first, *r;
	uint32_t lo = 0, hi = mm->nr, mid;

	/* The last run that starts at or below addr */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (runs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	r = &runs[lo - 1];
	return (addr - r->addr) / im->page_size < r->nr ? r : NULL;
}

static const struct chain_mm *chain_find_mm(const struct chain_image *im, uint32_t objref)
{
	struct chain_mm key = { .objref = objref };

	if (!im->nr_mms)
		return NULL;
	return bsearch(&key, im->mms, im->nr_mms, sizeof(key), chain_cmp_mm);
}

/* c->lazy: the contents of a PAGES record of an MM follow */
static void chain_run_start(struct chain_merge *m)
{
	m->in_run = m->c->lazy && m->cur_mm;
	m->run_crc = ~0U;
	m->run_len = 0;
}

/* ... and have been written: their PAGES_CRC */
static int chain_run_end(struct chain_merge *m)
{
	struct ckpt_pages_crc rec = { .crc = htole32(~m->run_crc) };

	if (!m->in_run)
		return 0;
	m->in_run = false;
	m->out_crc = crc32c_append(m->out_crc, m->run_crc, m->run_len);
	return chain_write_rec(m, CKPT_REC_PAGES_CRC | CKPT_REC_OPTIONAL, &rec, sizeof(rec));
}

/* A PAGES record read, written with its PAGES_CRC with c->lazy */
static int chain_merge_pages(struct chain_merge *m, uint32_t raw_type, const uint8_t *p,
			     uint32_t len)
{
	struct ckpt_rec_hdr hdr = { .type = htole32(raw_type), .len = htole32(len) };
	uint32_t fixed = len < sizeof(struct ckpt_pages) ? len : sizeof(struct ckpt_pages);

	m->out_records++;
	if (chain_write(m, &hdr, sizeof(hdr)) || chain_write(m, p, fixed))
		return -1;
	chain_run_start(m);
	if (chain_write(m, p + fixed, len - fixed))
		return -1;
	return chain_run_end(m);
}

/* c->refs: the PAGES_FILE made so far, written out */
static int chain_ref_flush(struct chain_merge *m)
{
	struct ckpt_pages_file rec = {
		.addr = htole64(m->ref_addr), .offset = htole64(m->ref_off),
		.nr_pages = htole32(m->ref_nr), .crc = htole32(~m->ref_crc),
		.file = htole32(m->ref_file),
	};

	if (!m->ref_nr)
		return 0;
	m->ref_nr = 0;
	m->c->nr_pages_file++;
	return chain_write_rec(m, CKPT_REC_PAGES_FILE, &rec, sizeof(rec));
}

/* c->refs: whether the page at addr, at off in file n, extends the PAGES_FILE made */
static bool chain_ref_extends(const struct chain_merge *m, uint64_t addr, uint32_t n,
			      uint64_t off)
{
	uint64_t len = (uint64_t)m->ref_nr * m->page_size;

	return m->ref_nr < CKPT_PAGES_MAX && n == m->ref_file &&
	       addr == m->ref_addr + len && off == m->ref_off + len;
}

/*
 * c->refs: nr pages from addr whose contents are at off in file n, of
 * CRCs crcs, into PAGES_FILE records: the one being made while they
 * extend it, then new ones
 */
static int chain_ref_pages(struct chain_merge *m, uint64_t addr, uint32_t n, uint64_t off,
			   uint32_t nr, const uint32_t *crcs)
{
	uint64_t ps = m->page_size;
	uint32_t i;

	for (i = 0; i < nr; i++, addr += ps, off += ps) {
		if (m->ref_nr && !chain_ref_extends(m, addr, n, off) && chain_ref_flush(m))
			return -1;
		if (!m->ref_nr) {
			m->ref_addr = addr;
			m->ref_off = off;
			m->ref_file = n;
			m->ref_crc = ~0U;
		}
		m->ref_crc = crc32c_append_op(m->ref_crc, crcs[i], m->page_factor);
		m->ref_nr++;
	}
	return 0;
}

/* The contents of k pages from addr, skip pages into the run r of PAGES of parent i */
static int chain_data(struct chain_merge *m, int i, const struct chain_run *r, uint64_t addr,
		      uint64_t skip, uint64_t k)
{
	struct chain_image *im = &m->c->imgs[i];
	uint64_t ps = im->page_size;

	if (!m->c->refs)
		return chain_write(m, im->map + r->where + skip * ps, k * ps);
	im->refd = true;
	return chain_ref_pages(m, addr, i, r->where + skip * ps, k, im->crcs + r->crc + skip);
}

/* Write the contents of nr pages from addr of MM mm_ref of parent i */
static int chain_resolve(struct chain_merge *m, int i, uint32_t mm_ref, uint64_t addr,
			 uint64_t nr, unsigned int depth)
{
	const struct chain_image *im = &m->c->imgs[i];
	uint64_t ps = im->page_size, k, skip;
	const struct chain_mm *mm;
	const struct chain_run *r;
	int ret;

	if (depth > CHAIN_DEPTH_MAX)
		return chain_fail(m->c,
				  "%s: PAGES_COW and PAGES_PARENT lead to each other more than %u times (a loop)",
				  im->path, CHAIN_DEPTH_MAX);
	mm = chain_find_mm(im, mm_ref);
	if (!mm)
		return chain_fail(m->c, "%s (id 0x%016llx) has no MM of objref %u", im->path,
				  (unsigned long long)im->id, mm_ref);
	for (; nr; nr -= k, addr += k * ps) {
		r = chain_find_run(im, mm, addr);
		if (!r)
			return chain_fail(m->c, "%s: MM %u has no page at 0x%llx", im->path,
					  mm_ref, (unsigned long long)addr);
		skip = (addr - r->addr) / ps;
		k = r->nr - skip < nr ? r->nr - skip : nr;
		if (r->kind == RUN_DATA)
			ret = chain_data(m, i, r, addr, skip, k);
		else if (r->kind == RUN_COW)
			ret = chain_resolve(m, i, r->where, addr, k, depth + 1);
		else
			ret = chain_resolve(m, im->parent_idx, r->where, addr, k, depth + 1);
		if (ret)
			return -1;
	}
	return 0;
}

/* --- the image read --- */

static ssize_t chain_read(struct chain_merge *m, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(m->in_fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return chain_fail(m->c, "%s: read: %s", m->name, strerror(errno));
		if (!n)
			break;
		done += n;
	}
	m->in_off += done;
	return done;
}

static int chain_merge_fail(struct chain_merge *m, const char *what)
{
	return chain_fail(m->c, "%s: offset %llu: %s", m->name,
			  (unsigned long long)m->rec_off, what);
}

/* The pages of a PAGES_PARENT not found, or not written: where it is, then why */
static int chain_parent_fail(struct chain_merge *m, uint32_t ref, uint64_t addr)
{
	char why[sizeof(m->c->err)];

	snprintf(why, sizeof(why), "%s", m->c->err);
	return chain_fail(m->c, "%s: offset %llu: PAGES_PARENT of MM %u at 0x%llx (mm_ref %u): %s",
			  m->name, (unsigned long long)m->rec_off, m->cur_mm,
			  (unsigned long long)addr, ref, why);
}

/* PAGES of at most CKPT_PAGES_MAX pages, their contents found along the chain */
static int chain_parent_copy(struct chain_merge *m, uint32_t ref, uint64_t addr, uint32_t nr)
{
	uint64_t ps = m->page_size;
	struct ckpt_pages pg = { 0 };
	struct ckpt_rec_hdr hdr;
	uint32_t k;

	for (; nr; nr -= k, addr += k * ps) {
		k = nr < CKPT_PAGES_MAX ? nr : CKPT_PAGES_MAX;
		pg.addr = htole64(addr);
		pg.nr_pages = htole32(k);
		hdr.type = htole32(CKPT_REC_PAGES);
		hdr.len = htole32(sizeof(pg) + k * ps);
		m->out_records++;
		if (chain_write(m, &hdr, sizeof(hdr)) || chain_write(m, &pg, sizeof(pg)))
			return -1;
		chain_run_start(m);
		if (chain_resolve(m, m->parent_idx, ref, addr, k, 0))
			return chain_parent_fail(m, ref, addr);
		if (chain_run_end(m))
			return -1;
	}
	return 0;
}

/* A PAGES_PARENT: the PAGES, or by reference the PAGES_FILE, it stands for */
static int chain_merge_parent(struct chain_merge *m, const void *p, uint32_t len)
{
	const struct ckpt_pages_parent *pp = p;
	uint64_t addr = LE64(pp->addr), ps = m->page_size;
	uint32_t nr = LE32(pp->nr_pages), ref = LE32(pp->mm_ref);

	if (m->parent_idx < 0)
		return chain_merge_fail(m,
					"PAGES_PARENT in an image without a parent (CHAIN.parent 0 or no CHAIN before it)");
	if (!m->cur_mm)
		return chain_merge_fail(m, "PAGES_PARENT outside an MM");
	if (len != sizeof(*pp) || !nr || nr > CKPT_PAGES_COW_MAX || !ref)
		return chain_merge_fail(m, "PAGES_PARENT: bad length, nr_pages or mm_ref 0");
	if (addr % ps || addr > UINT64_MAX - nr * ps)
		return chain_merge_fail(m, "PAGES_PARENT: addr is not a page address");
	if (!m->c->refs)
		return chain_parent_copy(m, ref, addr, nr);
	if (chain_resolve(m, m->parent_idx, ref, addr, nr, 0) || chain_ref_flush(m))
		return chain_parent_fail(m, ref, addr);
	return 0;
}

/*
 * c->refs: a PAGES of an MM of an in_fd that is a regular file, left
 * there: a PAGES_FILE of file c->nr_imgs.  Its contents are read once,
 * for their CRC and the TRAILER's.
 */
static int chain_merge_pages_ref(struct chain_merge *m, const uint8_t *p, uint32_t len)
{
	const struct ckpt_pages *pg = (const void *)p;
	uint64_t ps = m->page_size, size;
	struct ckpt_pages_file rec = { 0 };
	uint32_t nr, crc;

	if (len < sizeof(*pg))
		return chain_merge_fail(m, "PAGES: bad length");
	nr = LE32(pg->nr_pages);
	size = (uint64_t)nr * ps;
	if (!nr || nr > CKPT_PAGES_MAX || len != sizeof(*pg) + size)
		return chain_merge_fail(m,
					"PAGES: nr_pages is out of range 1..256, or len is not that of nr_pages pages");
	if (LE64(pg->addr) % ps)
		return chain_merge_fail(m, "PAGES: addr is not a page address");
	crc = crc32c(~0U, pg + 1, size);
	m->in_crc = crc32c(m->in_crc, pg, sizeof(*pg));
	m->in_crc = crc32c_append(m->in_crc, crc, size);
	m->rec_crc_done = true;
	rec.addr = pg->addr;
	rec.offset = htole64(m->in_base + m->rec_off + sizeof(struct ckpt_rec_hdr) + sizeof(*pg));
	rec.nr_pages = pg->nr_pages;
	rec.crc = htole32(~crc);
	rec.file = htole32(m->c->nr_imgs);
	m->c->in_fd = m->in_fd;
	m->c->nr_pages_file++;
	return chain_write_rec(m, CKPT_REC_PAGES_FILE, &rec, sizeof(rec));
}

/* The CHAIN: the parents it needs are there; written complete */
static int chain_merge_chain(struct chain_merge *m, const void *p, uint32_t len)
{
	struct ckpt_chain ch;
	unsigned int i, n = 0;

	if (len != sizeof(ch) || m->has_chain)
		return chain_merge_fail(m, "CHAIN: bad length, or a second CHAIN");
	memcpy(&ch, p, sizeof(ch));
	m->has_chain = true;
	if (LE64(ch.parent)) {
		m->parent_idx = chain_link(m->c, m->name, LE64(ch.parent), m->page_size);
		if (m->parent_idx < 0)
			return -1;
	}
	for (i = 0; i < m->c->nr_imgs; i++)
		if (!m->c->imgs[i].used && !n++)
			snprintf(m->c->warn, sizeof(m->c->warn),
				 "%s (id 0x%016llx) is not in the chain of %s: not used",
				 m->c->imgs[i].path, (unsigned long long)m->c->imgs[i].id, m->name);
	ch.parent = 0;
	return chain_write_rec(m, CKPT_REC_CHAIN | CKPT_REC_OPTIONAL, &ch, sizeof(ch));
}

/* One record of the image read, but its TRAILER */
static int chain_merge_rec(struct chain_merge *m, uint32_t raw_type, const void *p, uint32_t len)
{
	uint32_t type = raw_type & ~CKPT_REC_OPTIONAL, prev = m->prev_type;

	m->prev_type = type;
	if (!m->in_records) {
		m->page_size = chain_check_header(m->c, m->name, type, p, len);
		if (!m->page_size)
			return -1;
		m->page_factor = crc32c_append_factor(m->page_size);
	}
	switch (type) {
	case CKPT_REC_CHAIN:
		return chain_merge_chain(m, p, len);
	case CKPT_REC_PAGES_PARENT:
		return chain_merge_parent(m, p, len);
	case CKPT_REC_MM:
		if (len < sizeof(struct ckpt_mm))
			return chain_merge_fail(m, "MM: bad length");
		m->cur_mm = LE32(((const struct ckpt_mm *)p)->objref);
		break;
	case CKPT_REC_MM_END:
		m->cur_mm = 0;
		break;
	case CKPT_REC_PAGES_CRC:
		/* Copied with its PAGES, which is copied as it is: it still holds */
		if (prev != CKPT_REC_PAGES)
			return chain_merge_fail(m, "PAGES_CRC: not right after a PAGES");
		/* With c->lazy, the PAGES got one of its own; a PAGES_FILE has its CRC */
		if ((m->c->lazy || m->in_refs) && m->cur_mm)
			return 0;
		break;
	case CKPT_REC_PAGES:
		if (m->in_refs && m->cur_mm)
			return chain_merge_pages_ref(m, p, len);
		return chain_merge_pages(m, raw_type, p, len);
	}
	return chain_write_rec(m, raw_type, p, len);
}

/*
 * The TRAILER read checks out, and is written again for what was written.
 * What may follow it is not read: a stream that stays open (a socket)
 * must not hold the end of the merged image back.
 */
static int chain_merge_trailer(struct chain_merge *m, const void *p, uint32_t len)
{
	struct ckpt_image_trailer t;
	uint32_t crc = image_crc_end(m->in_crc);

	if (len != sizeof(t))
		return chain_merge_fail(m, "TRAILER: bad length");
	memcpy(&t, p, sizeof(t));
	if (LE32(t.crc32c) != crc)
		return chain_fail(m->c,
				  "%s: TRAILER: crc32c 0x%08x, but the image before it has 0x%08x: the image is damaged",
				  m->name, LE32(t.crc32c), crc);
	if (LE64(t.size) != m->rec_off || LE32(t.nr_records) != m->in_records)
		return chain_merge_fail(m, "TRAILER: size or nr_records does not match");
	if (m->out_records > UINT32_MAX)
		return chain_fail(m->c, "%s: the merged image would have more than %u records",
				  m->name, UINT32_MAX);
	t.crc32c = htole32(image_crc_end(m->out_crc));
	t.nr_records = htole32(m->out_records);
	t.size = htole64(m->out_size);
	return chain_write_rec(m, CKPT_REC_TRAILER, &t, sizeof(t)) || chain_flush(m) ? -1 : 0;
}

/* Read the next record into m->buf; 1, or 0 at the TRAILER, or -1 */
static int chain_merge_next(struct chain_merge *m)
{
	struct ckpt_rec_hdr hdr;
	uint32_t type, len;
	ssize_t n;

	m->rec_off = m->in_off;
	n = chain_read(m, &hdr, sizeof(hdr));
	if (n < 0)
		return -1;
	if (n < (ssize_t)sizeof(hdr))
		return chain_merge_fail(m, "truncated image: no TRAILER");
	type = LE32(hdr.type);
	len = LE32(hdr.len);
	if (len % 8 || len > CKPT_REC_MAX_LEN)
		return chain_merge_fail(m, "bad record length");
	if (len > m->buf_size) {
		free(m->buf);
		m->buf_size = 0;
		m->buf = malloc(len);
		if (!m->buf)
			return chain_merge_fail(m, "out of memory");
		m->buf_size = len;
	}
	n = chain_read(m, m->buf, len);
	if (n < 0)
		return -1;
	if (n < len)
		return chain_merge_fail(m, "truncated record");
	if ((type & ~CKPT_REC_OPTIONAL) == CKPT_REC_TRAILER)
		return chain_merge_trailer(m, m->buf, len) ? -1 : 0;
	m->in_crc = crc32c(m->in_crc, &hdr, sizeof(hdr));
	m->rec_crc_done = false;
	if (chain_merge_rec(m, type, m->buf, len))
		return -1;
	if (!m->rec_crc_done)
		m->in_crc = crc32c(m->in_crc, m->buf, len);
	m->in_records++;
	return 1;
}

/* c->refs: whether in_fd's PAGES of MMs are left there, and where its image starts */
static int chain_merge_in_refs(struct chain_merge *m)
{
	struct stat st;
	off_t pos;

	if (!m->c->refs || fstat(m->in_fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	pos = lseek(m->in_fd, 0, SEEK_CUR);
	if (pos < 0)
		return chain_fail(m->c, "%s: %s", m->name, strerror(errno));
	m->in_refs = true;
	m->in_base = pos;
	return 0;
}

int ckpt_chain_merge(struct ckpt_parents *c, int in_fd, const char *in_name, int out_fd)
{
	struct chain_merge m = {
		.c = c, .name = in_name, .in_fd = in_fd, .out_fd = out_fd,
		.parent_idx = -1,
	};
	unsigned int i;
	int ret;

	c->err[0] = 0;
	c->warn[0] = 0;
	c->broken_pipe = false;
	c->in_fd = -1;
	c->nr_pages_file = 0;
	for (i = 0; i < c->nr_imgs; i++) {
		c->imgs[i].used = false;
		c->imgs[i].refd = false;
	}
	if (chain_merge_in_refs(&m))
		return -1;
	m.in_crc = image_crc_start();
	m.out_crc = image_crc_start();
	m.out_buf = malloc(CHAIN_OUT_BUF);
	if (!m.out_buf)
		return chain_fail(c, "out of memory");
	while ((ret = chain_merge_next(&m)) > 0)
		;
	if (!ret && !m.has_chain && c->nr_imgs)
		snprintf(c->warn, sizeof(c->warn),
			 "%s has no CHAIN record: it is complete, the parents were not used",
			 in_name);
	free(m.out_buf);
	free(m.buf);
	return ret;
}

int ckpt_chain_externals(struct ckpt_parents *c, struct ckpt_external *ext, unsigned int max)
{
	unsigned int i, n = 0;
	int fd;

	for (i = 0; i <= c->nr_imgs; i++) {
		fd = i == c->nr_imgs ? c->in_fd : c->imgs[i].refd ? c->imgs[i].fd : -1;
		if (fd < 0)
			continue;
		if (n == max)
			return chain_fail(c, "the merged image reads more than %u files", max);
		memset(&ext[n], 0, sizeof(ext[n]));
		ext[n].kind = CKPT_EXT_PAGES;
		ext[n].fd = fd;
		snprintf(ext[n].key, sizeof(ext[n].key), "pages:%u", i);
		n++;
	}
	return n;
}

/* What the writer process of a feed tells its parent, in a shared page */
struct chain_feed_msg {
	char err[sizeof(((struct ckpt_parents *)0)->err)];
	char warn[sizeof(((struct ckpt_parents *)0)->warn)];
	bool broken_pipe;
};

/* The writer process: the merge, its outcome in the shared page */
static void __attribute__((noreturn))
chain_feed_write(struct ckpt_parents *c, struct chain_feed_msg *msg, int in_fd,
		 const char *in_name, int out)
{
	int ret;

	/* A reader that stops reading: EPIPE, said as such, not SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	ret = ckpt_chain_merge(c, in_fd, in_name, out);
	memcpy(msg->err, c->err, sizeof(msg->err));
	memcpy(msg->warn, c->warn, sizeof(msg->warn));
	msg->broken_pipe = ret && c->broken_pipe;
	_exit(ret ? 1 : 0);
}

int ckpt_chain_feed_start(struct ckpt_parents *c, int in_fd, const char *in_name,
			  struct ckpt_chain_feed *f)
{
	int pfd[2];

	f->writer = 0;
	f->fd = -1;
	f->truncated = false;
	f->msg = mmap(NULL, sizeof(*f->msg), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->msg == MAP_FAILED) {
		f->msg = NULL;
		return chain_fail(c, "mmap: %s", strerror(errno));
	}
	if (pipe2(pfd, O_CLOEXEC))
		return chain_fail(c, "pipe: %s", strerror(errno));
	/* Fewer wake-ups of either side: a larger pipe if we may */
	fcntl(pfd[1], F_SETPIPE_SZ, CHAIN_FEED_PIPE_SZ);
	fflush(stdout);
	fflush(stderr);
	f->writer = fork();
	if (f->writer < 0) {
		f->writer = 0;
		close(pfd[0]);
		close(pfd[1]);
		return chain_fail(c, "fork: %s", strerror(errno));
	}
	if (!f->writer) {
		close(pfd[0]);
		chain_feed_write(c, f->msg, in_fd, in_name, pfd[1]);
	}
	close(pfd[1]);
	f->fd = pfd[0];
	return 0;
}

/* The writer's exit, once reaped: 0 if it wrote the whole image */
static int chain_feed_status(struct ckpt_parents *c, struct ckpt_chain_feed *f, int status,
			     bool restarted)
{
	memcpy(c->warn, f->msg->warn, sizeof(c->warn));
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status) && f->msg->broken_pipe) {
		/* The reader failed first, and says why itself */
		if (!restarted)
			return 0;
		return chain_fail(c, "the reader stopped before the end of the merged image");
	}
	if (WIFSIGNALED(status))
		return chain_fail(c, "the process merging the chain was killed by signal %d",
				  WTERMSIG(status));
	f->truncated = true;
	memcpy(c->err, f->msg->err, sizeof(c->err));
	if (!c->err[0])
		return chain_fail(c, "the merged image was not written whole");
	return -1;
}

int ckpt_chain_feed_end(struct ckpt_parents *c, struct ckpt_chain_feed *f, bool restarted)
{
	int status, ret = 0;
	pid_t r;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->writer) {
		do {
			r = waitpid(f->writer, &status, 0);
		} while (r < 0 && errno == EINTR);
		ret = r < 0 ? chain_fail(c, "waiting for the merging process: %s",
					 strerror(errno)) :
			      chain_feed_status(c, f, status, restarted);
		f->writer = 0;
	}
	if (f->msg)
		munmap(f->msg, sizeof(*f->msg));
	f->msg = NULL;
	return ret;
}
