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
};

/*
 * Map, check (magic, version, TRAILER, a CHAIN record, ids unique) and
 * index the nr parent images at paths.  0, or -1 with c->err set; call
 * ckpt_chain_close() in both cases.
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
