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

/*
 * Checkpoint @pid with CHECKPOINT_KILL and @flags (such as
 * CHECKPOINT_VERSION(1)), reap it, and split its image
 */
static inline void image_of_killed_flags(struct __test_metadata *_metadata,
					 struct ckpt_ctx *ctx, pid_t pid,
					 unsigned long flags, struct image *img)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL | flags));
	ckpt_reap_killed(_metadata, pid);
	read_image(_metadata, ctx, pid, img);
}

/* Checkpoint @pid with CHECKPOINT_KILL, reap it, and split its image */
static inline void image_of_killed(struct __test_metadata *_metadata,
				   struct ckpt_ctx *ctx, pid_t pid,
				   struct image *img)
{
	image_of_killed_flags(_metadata, ctx, pid, 0, img);
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

/* The format version the image's HEADER says */
static inline uint32_t image_version(struct image *img)
{
	struct ckpt_image_header *hdr = ckpt_payload(img->data, &img->recs[0]);

	return le32toh(hdr->version);
}

/*
 * Walking the FILE records of an image in order.  From format version 2
 * on a FILE's payload leaves out the first path_shared bytes of its path,
 * those it has in common with the last FILE before it that has a path:
 * the walk puts them back.
 */
struct file_walk {
	int at;				/* the current FILE record; -1 before the first */
	struct ckpt_file *file;		/* its payload */
	const char *path;		/* its whole path; "" if it has none */
	bool bad;			/* a path made no sense: the walk stopped there */
	uint32_t last_len;		/* of the last path, with the NUL; 0: none yet */
	char last[CKPT_PATH_MAX];	/* the last whole path */
};

static inline void file_walk_start(struct file_walk *w)
{
	w->at = -1;
	w->file = NULL;
	w->path = "";
	w->bad = false;
	w->last_len = 0;
	w->last[0] = '\0';
}

/*
 * The next FILE record of @img, whose bytes are @data (the image or a copy
 * of it), and its whole path in w->path; NULL at the end, or with w->bad
 * at a record whose path cannot be put together.
 */
static inline struct ckpt_file *file_walk_next(struct image *img, char *data,
					       struct file_walk *w)
{
	bool v1 = image_version(img) < 2;
	uint32_t path_len, shared;
	struct ckpt_file *f;
	struct ckpt_rec *r;

	while (!w->bad && ++w->at < img->nr) {
		r = &img->recs[w->at];
		if (r->type != CKPT_REC_FILE)
			continue;
		if (r->len < sizeof(*f))
			break;
		f = ckpt_payload(data, r);
		w->file = f;
		w->path = "";
		path_len = le32toh(f->path_len);
		shared = v1 ? 0 : le32toh(f->path_shared);
		if (!path_len)
			return f;
		if (path_len > CKPT_PATH_MAX || shared >= path_len ||
		    (shared && shared >= w->last_len) ||
		    r->len - sizeof(*f) < path_len - shared)
			break;
		memcpy(w->last + shared, f + 1, path_len - shared);
		w->last[path_len - 1] = '\0';
		w->last_len = path_len;
		w->path = w->last;
		return f;
	}
	if (w->at < img->nr)
		w->bad = true;
	w->file = NULL;
	w->path = "";
	return NULL;
}

/* Walks to FILE record @at: its payload and whole path (w->path), or NULL */
static inline struct ckpt_file *file_walk_to(struct image *img, char *data, int at,
					     struct file_walk *w)
{
	struct ckpt_file *f;

	file_walk_start(w);
	while ((f = file_walk_next(img, data, w)))
		if (w->at == at)
			return f;
	return NULL;
}

/* Walks to the FILE record of object @objref, or returns NULL */
static inline struct ckpt_file *file_walk_to_ref(struct image *img, char *data,
						 uint32_t objref, struct file_walk *w)
{
	struct ckpt_file *f;

	file_walk_start(w);
	while ((f = file_walk_next(img, data, w)))
		if (le32toh(f->objref) == objref)
			return f;
	return NULL;
}

/* A FILES entry, whatever the format version */
struct fd_entry {
	uint32_t fd;
	uint32_t file_ref;
	bool cloexec;
	bool bad;		/* version 1: flags other than CLOEXEC, or padding */
};

/* Bytes of one FILES entry in @img's format version */
static inline size_t files_entry_size(struct image *img)
{
	return image_version(img) < 2 ? sizeof(struct ckpt_fd) : sizeof(struct ckpt_fd2);
}

/* The bytes of entry @n of FILES record @rec, or NULL past its end */
static inline void *files_entry_at(struct image *img, char *data,
				   const struct ckpt_rec *rec, uint32_t n)
{
	struct ckpt_files *files = ckpt_payload(data, rec);
	size_t size = files_entry_size(img);

	if (rec->len < sizeof(*files) || n >= le32toh(files->nr_fds) ||
	    sizeof(*files) + (n + 1) * size > rec->len)
		return NULL;
	return (char *)(files + 1) + n * size;
}

/* Entry @n of FILES record @rec; false past its end */
static inline bool files_entry(struct image *img, char *data, const struct ckpt_rec *rec,
			       uint32_t n, struct fd_entry *e)
{
	void *p = files_entry_at(img, data, rec, n);
	struct ckpt_fd2 *fd2 = p;
	struct ckpt_fd *fd1 = p;
	uint32_t flags;

	if (!p)
		return false;
	if (image_version(img) < 2) {
		flags = le32toh(fd1->flags);
		e->fd = le32toh(fd1->fd);
		e->file_ref = le32toh(fd1->file_ref);
		e->cloexec = flags & CKPT_FD_CLOEXEC;
		e->bad = (flags & ~CKPT_FD_CLOEXEC) || fd1->__pad;
	} else {
		e->fd = le32toh(fd2->fd) & ~CKPT_FD2_CLOEXEC;
		e->file_ref = le32toh(fd2->file_ref);
		e->cloexec = le32toh(fd2->fd) & CKPT_FD2_CLOEXEC;
		e->bad = false;
	}
	return true;
}

/* Makes the TRAILER's checksum that of @data, the bytes of @img, again */
static inline void image_fix_crc(struct image *img, char *data)
{
	trailer_of(img, data)->crc32c = htole32(crc32c(data, img->recs[img->nr - 1].off));
}

/* A record payload that replaces another's */
struct rec_patch {
	int at;			/* the record */
	const void *payload;
	uint32_t len;		/* a multiple of 8 */
};

/*
 * A copy of @img (its bytes @data) with the payloads of the records of
 * @patches (in increasing order) replaced, the TRAILER's size and checksum
 * made right again; malloc()ed, its length in *@size.
 */
static inline char *image_with_payloads(struct image *img, const char *data,
					const struct rec_patch *patches, int nr,
					size_t *size)
{
	struct ckpt_image_trailer *tr;
	size_t len = img->len, off = 0;
	struct ckpt_rec_hdr hdr;
	char *out;
	int i, p;

	for (p = 0; p < nr; p++)
		len += (ssize_t)patches[p].len - img->recs[patches[p].at].len;
	out = calloc(1, len);
	if (!out)
		return NULL;
	for (i = 0, p = 0; i < img->nr; i++) {
		const struct ckpt_rec *r = &img->recs[i];
		const void *payload = data + r->off + sizeof(hdr);
		uint32_t plen = r->len;

		if (p < nr && patches[p].at == i) {
			payload = patches[p].payload;
			plen = patches[p++].len;
		}
		memcpy(&hdr, data + r->off, sizeof(hdr));
		hdr.len = htole32(plen);
		memcpy(out + off, &hdr, sizeof(hdr));
		memcpy(out + off + sizeof(hdr), payload, plen);
		if (r->type == CKPT_REC_TRAILER) {
			tr = (void *)(out + off + sizeof(hdr));
			tr->size = htole64(off);
			tr->crc32c = htole32(crc32c(out, off));
		}
		off += sizeof(hdr) + plen;
	}
	*size = off;
	return out;
}

/*
 * A FILE payload: the fixed part of @f with path_shared @shared, and the
 * path @path (path_len bytes with the NUL, as @f says) from byte @shared
 * on, padded to 8; malloc()ed, its length in *@len.
 */
static inline void *file_payload(const struct ckpt_file *f, const char *path,
				 uint32_t shared, uint32_t *len)
{
	uint32_t tail = le32toh(f->path_len) - shared;
	struct ckpt_file *out;

	*len = (sizeof(*f) + tail + 7) & ~7U;
	out = calloc(1, *len);
	if (!out)
		return NULL;
	*out = *f;
	out->path_shared = htole32(shared);
	memcpy(out + 1, path + shared, tail);
	return out;
}

/*
 * A copy of @img (bytes @data) in which FILE record @at has the whole path
 * @path, not sharing any of it, and so does the next FILE that has a path,
 * which then keeps its own path whatever it shared with the old one: how a
 * test changes a path in an image of either version.  malloc()ed, its
 * length in *@size; NULL if @at is no FILE with a path.
 */
static inline char *image_with_file_path(struct image *img, const char *data, int at,
					 const char *path, size_t *size)
{
	struct rec_patch patches[2];
	struct ckpt_file f0, f1;
	struct file_walk *w;
	struct ckpt_file *f;
	char *out = NULL;
	int nr = 0;

	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	if (!file_walk_to(img, (char *)data, at, w) || !w->file->path_len)
		goto out;
	f0 = *w->file;
	f0.path_len = htole32(strlen(path) + 1);
	patches[nr].at = at;
	patches[nr].payload = file_payload(&f0, path, 0, &patches[nr].len);
	nr++;
	while ((f = file_walk_next(img, (char *)data, w)) && !f->path_len)
		;
	if (f) {
		f1 = *f;
		patches[nr].at = w->at;
		patches[nr].payload = file_payload(&f1, w->path, 0, &patches[nr].len);
		nr++;
	}
	if (patches[0].payload && (nr < 2 || patches[1].payload))
		out = image_with_payloads(img, data, patches, nr, size);
	while (nr--)
		free((void *)patches[nr].payload);
out:
	free(w);
	return out;
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
