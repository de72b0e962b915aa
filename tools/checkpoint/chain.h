/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt: an incremental image (CHAIN.parent not 0) merged with the images
 * it refers to into one complete image, which restart(2) takes: `ckpt
 * merge` and `ckpt restart --parent`.
 *
 * The parents are files, mapped and indexed once (per MM, its runs of
 * pages, sorted); the incremental image is a stream, read once and
 * written out as it comes, each PAGES_PARENT replaced by the PAGES it
 * stands for.  No logging: errors are returned in err, so that the writer
 * process of `ckpt restart --parent` can say them as ckpt merge does.
 *
 * By reference (ckpt_chain_init() with refs), the merged image holds no
 * page contents of a process: each run of pages it would copy is a
 * PAGES_FILE record naming where the contents are, in a parent or in the
 * image merged, and restart(2) reads them from there (CKPT_EXT_PAGES
 * externals, ckpt_chain_externals()).  The image is then small, made in
 * no time, and restart(2) with RESTART_LAZY leaves the pages in their
 * files until they are touched.  The CRC of each page of the parents is
 * found when they are indexed, with their TRAILER's in the same pass,
 * and those of a PAGES_FILE joined from them: no page is read twice.
 */
#ifndef CKPT_CHAIN_H
#define CKPT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How many --parent images one merge takes */
#define CKPT_CHAIN_MAX		64

struct chain_image;

struct ckpt_parents {
	struct chain_image *imgs;	/* the parents, in the order given */
	unsigned int nr_imgs;
	char err[512];			/* why the last call failed */
	char warn[256];			/* set by a merge that succeeded, or "" */
	bool broken_pipe;		/* the merge failed because its reader left */
	bool lazy;			/* merge: a PAGES_CRC after each PAGES of an MM */
	bool refs;			/* by reference (set by ckpt_chain_init()) */
	int in_fd;			/* refs: the image merged, if a PAGES_FILE reads it */
	uint32_t nr_pages_file;		/* refs: PAGES_FILE records the last merge wrote */
};

/* An empty chain; with refs, merged by reference (PAGES_FILE records) */
void ckpt_chain_init(struct ckpt_parents *c, bool refs);

/*
 * Map, check (magic, version, TRAILER, a CHAIN record, its id unique) and
 * index one more parent image, at path, which must stay unchanged until
 * the chain is closed (by reference, until restart(2) has read its pages).
 * It may be added before its own parents: the chain is linked by the
 * merge.  0, or -1 with c->err set; the chain is as it was then.
 */
int ckpt_chain_add(struct ckpt_parents *c, const char *path);

/*
 * ckpt_chain_init() without refs, and ckpt_chain_add() of the nr parent
 * images at paths.  0, or -1 with c->err set; call ckpt_chain_close() in
 * both cases.
 */
int ckpt_chain_open(struct ckpt_parents *c, char *const *paths, unsigned int nr);

/*
 * Read the image in in_fd (named in_name in errors), from its start,
 * and write to out_fd the complete image it makes with the parents of
 * c: every record as it is, but its CHAIN (parent 0, optional) and its
 * PAGES_PARENT (PAGES of their contents, found along the chain), and a
 * TRAILER of its own.  With c->lazy, each PAGES record of an MM is
 * followed by a PAGES_CRC of its own (those read are dropped), as
 * checkpoint(2) writes with CHECKPOINT_LAZY: restart(2) can then leave
 * the pages in the image (RESTART_LAZY).  0, or -1 with c->err set; then
 * out_fd has no TRAILER, and restart(2) refuses what was written.
 */
int ckpt_chain_merge(struct ckpt_parents *c, int in_fd, const char *in_name, int out_fd);

/*
 * By reference, every run of pages of an MM that would be copied from a
 * parent's PAGES (through PAGES_PARENT and PAGES_COW) is written as
 * PAGES_FILE records instead, of at most CKPT_PAGES_MAX pages each, each
 * of pages contiguous in one file: file N is the parent c->imgs[N]; and
 * if in_fd is a regular file, the contents of its own PAGES of MMs are
 * left there too, as file c->nr_imgs (read from in_fd's position at the
 * start of the merge, which must be that of the image's first byte).
 * The PAGES of a SHMEM, and those of an in_fd that is not a regular file,
 * are copied (with c->lazy, with a PAGES_CRC).  No PAGES_CRC follows a
 * PAGES_FILE.
 *
 * After a merge by reference: how many CKPT_EXT_PAGES externals, "pages:N"
 * and the file's descriptor, restart(2) needs for the files that the
 * PAGES_FILE records of the image written read, in ext (the descriptors
 * are the chain's, or in_fd, valid until ckpt_chain_close()), or -1 with
 * c->err set if there would be more than max.
 */
struct ckpt_external;
int ckpt_chain_externals(struct ckpt_parents *c, struct ckpt_external *ext, unsigned int max);

/*
 * Whether the parents are all that the image in fd needs: if fd is a
 * regular file (read with pread: its position does not move), its CHAIN,
 * before its TREE, must lead through them to a complete image.  0, or -1
 * with c->err set.  A pipe is checked as it is merged.
 */
int ckpt_chain_check(struct ckpt_parents *c, int fd, const char *name);

/* Whether the file dev, ino is one of the parents (an output must not be) */
bool ckpt_chain_has_file(const struct ckpt_parents *c, dev_t dev, ino_t ino);

void ckpt_chain_close(struct ckpt_parents *c);

/*
 * A merge that restart(2) reads as it is made: a child process merges
 * the image in in_fd with the parents of c into a pipe, whose read end
 * is fd.  No copy of the whole image is stored anywhere.
 */
struct chain_feed_msg;
struct ckpt_chain_feed {
	pid_t writer;			/* the child, 0 if none */
	int fd;				/* the pipe's read end, or -1 */
	struct chain_feed_msg *msg;	/* its outcome, shared with it */
	bool truncated;			/* it failed: the reader had a cut image */
};

/* Start the child.  0, or -1 with c->err set; call ckpt_chain_feed_end() */
int ckpt_chain_feed_start(struct ckpt_parents *c, int in_fd, const char *in_name,
			  struct ckpt_chain_feed *f);

/*
 * Once the reader is done (restarted: it read the whole image and
 * succeeded): the pipe closed (a writer still writing gets EPIPE), the
 * writer reaped.  0 if it wrote the whole image, or if the reader failed
 * before reading it all (the reader says why); else -1 with c->err set.
 * c->warn is the writer's.
 */
int ckpt_chain_feed_end(struct ckpt_parents *c, struct ckpt_chain_feed *f, bool restarted);

#endif /* CKPT_CHAIN_H */
