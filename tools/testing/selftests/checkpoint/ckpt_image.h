/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Looking inside images: taking one, finding its records, its checksum,
 * and restarting from a broken one.
 */
#ifndef __CKPT_IMAGE_H
#define __CKPT_IMAGE_H

#include "ckpt_util.h"

/* A restart of a small image takes seconds even under KASAN */
#define CKPT_SMALL_CALL_TIMEOUT_S 20

/* An image of a small idle task, split into its records */
struct image {
	char *data;
	size_t len;
	struct ckpt_rec *recs;
	int nr;
	pid_t pid;		/* of the task, free again */
};

/* Read the image just written to @ctx's image file, of root @pid, and split it */
static inline void read_image(struct __test_metadata *_metadata,
			      struct ckpt_ctx *ctx, pid_t pid, struct image *img)
{
	const char *why = NULL;

	img->pid = pid;
	img->data = ckpt_slurp(ctx->image_fd, &img->len);
	ASSERT_TRUE(!!img->data);
	img->recs = calloc(img->len / 8 + 1, sizeof(*img->recs));
	ASSERT_TRUE(!!img->recs);
	img->nr = ckpt_split_image(img->data, img->len, img->recs,
				   img->len / 8 + 1, &why);
	ASSERT_LT(0, img->nr) TH_LOG("%zu bytes of image: %s", img->len, why);
}

/* Checkpoint @pid with CHECKPOINT_KILL, reap it, and split its image */
static inline void image_of_killed(struct __test_metadata *_metadata,
				   struct ckpt_ctx *ctx, pid_t pid,
				   struct image *img)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	read_image(_metadata, ctx, pid, img);
}

static inline void take_image(struct __test_metadata *_metadata,
			      struct ckpt_ctx *ctx, struct image *img)
{
	image_of_killed(_metadata, ctx,
			ckpt_spawn(_metadata, ctx, ckpt_idle_child, NULL), img);
}

/* The first record of a type, or NULL */
static inline struct ckpt_rec *find_rec(struct image *img, uint32_t type)
{
	int i;

	for (i = 0; i < img->nr; i++)
		if (img->recs[i].type == type)
			return &img->recs[i];
	return NULL;
}

/* The first VMA record of @img of @size bytes, of kind @kind (-1: any) */
static inline const struct ckpt_vma *vma_of_size(struct image *img, uint64_t size,
						 int kind)
{
	const struct ckpt_vma *v;
	int i;

	for (i = 0; i < img->nr; i++) {
		if (img->recs[i].type != CKPT_REC_VMA)
			continue;
		v = ckpt_payload(img->data, &img->recs[i]);
		if ((kind < 0 || le32toh(v->kind) == (uint32_t)kind) &&
		    le64toh(v->end) - le64toh(v->start) == size)
			return v;
	}
	return NULL;
}

static inline const char *rec_name(uint32_t type)
{
	switch (type) {
#define __CKPT_REC_CASE(name, nr) case nr: return #name;
	__CKPT_REC_MAPPER(__CKPT_REC_CASE)
#undef __CKPT_REC_CASE
	}
	return "?";
}

static inline struct ckpt_image_trailer *trailer_of(struct image *img,
						    char *data)
{
	return (void *)ckpt_payload(data, &img->recs[img->nr - 1]);
}

/* Restarts from the first @len bytes of @data: see ckpt_restart_must_fail() */
static inline enum ckpt_outcome
restart_from_broken_image(struct __test_metadata *_metadata,
			  struct ckpt_ctx *ctx, const void *data, size_t len,
			  pid_t saved_pid, int expected, const char *what)
{
	if (ckpt_reset_file(ctx->image_fd) ||
	    ckpt_write_all(ctx->image_fd, data, len)) {
		TH_LOG("%s: cannot write the image: %s", what, strerror(errno));
		return CKPT_MISBEHAVED;
	}
	return ckpt_restart_must_fail(_metadata, ctx, 0, ctx->image_fd, 0,
				      ctx->log_fd, expected, true, saved_pid,
				      what);
}

#endif /* __CKPT_IMAGE_H */
