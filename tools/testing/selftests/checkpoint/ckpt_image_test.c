// SPDX-License-Identifier: GPL-2.0
/*
 * The image as restart(2) must take it: a real image restores; one cut
 * short anywhere, or corrupted, makes restart fail with an error number
 * and an "error:" line on the log, and leaves nothing behind, not even a
 * zombie, and no task with the saved pid.
 *
 * The corruptions other than of the checksum itself come with the
 * TRAILER's checksum recomputed, so that restart has to find what is
 * wrong with the record, not just that the bytes changed.
 */
#include "ckpt_util.h"

/* The guest kernel runs KASAN under TCG: keep the attempts bounded */
#define MAX_TRUNCATIONS 240

/* An image of a small idle task, split into its records */
struct image {
	char *data;
	size_t len;
	struct ckpt_rec *recs;
	int nr;
	pid_t pid;		/* of the task, free again */
};

FIXTURE(image) {
	struct ckpt_ctx ctx;
	struct image img;
};

static void take_image(struct __test_metadata *_metadata,
		       struct ckpt_ctx *ctx, struct image *img)
{
	const char *why = NULL;

	img->pid = ckpt_spawn(_metadata, ctx, ckpt_idle_child, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, img->pid,
				     CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, img->pid);
	img->data = ckpt_slurp(ctx->image_fd, &img->len);
	ASSERT_TRUE(!!img->data);
	img->recs = calloc(img->len / 8 + 1, sizeof(*img->recs));
	ASSERT_TRUE(!!img->recs);
	img->nr = ckpt_split_image(img->data, img->len, img->recs,
				   img->len / 8 + 1, &why);
	ASSERT_LT(0, img->nr) TH_LOG("%zu bytes of image: %s", img->len, why);
}

/* The image is taken by the tests: the harness skips the teardown when the
 * setup fails, which would leave the task behind.
 */
FIXTURE_SETUP(image)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(image)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/* The first record of a type, or NULL */
static struct ckpt_rec *find_rec(struct image *img, uint32_t type)
{
	int i;

	for (i = 0; i < img->nr; i++)
		if (img->recs[i].type == type)
			return &img->recs[i];
	return NULL;
}

static const char *rec_name(uint32_t type)
{
	switch (type) {
#define __CKPT_REC_CASE(name, nr) case nr: return #name;
	__CKPT_REC_MAPPER(__CKPT_REC_CASE)
#undef __CKPT_REC_CASE
	}
	return "?";
}

/* CRC-32C (Castagnoli), as the TRAILER has it: seed ~0, result inverted */
static uint32_t crc32c(const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t crc = ~0U, c;
	int i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static struct ckpt_image_trailer *trailer_of(struct image *img, char *data)
{
	return (void *)ckpt_payload(data, &img->recs[img->nr - 1]);
}

/*
 * Restarts from @len bytes of @data. Returns whether restart failed as it
 * must: with @expected, an "error" on the log, and nothing left behind;
 * otherwise logs what happened and cleans up after it.
 */
static bool restart_fails_cleanly(struct __test_metadata *_metadata,
				  struct ckpt_ctx *ctx, const void *data,
				  size_t len, pid_t saved_pid, int expected,
				  const char *what)
{
	int status, err;
	long ret;
	pid_t left;

	if (ckpt_reset_file(ctx->image_fd) ||
	    ckpt_write_all(ctx->image_fd, data, len) ||
	    lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd)) {
		TH_LOG("%s: cannot write the image: %s", what, strerror(errno));
		return false;
	}
	ret = ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
	err = errno;
	if (ret >= 0) {
		TH_LOG("%s: restart() succeeded, pid %ld", what, ret);
		kill(ret, SIGKILL);
		waitpid(ret, NULL, 0);
		return false;
	}
	if (err != expected) {
		TH_LOG("%s: restart() failed with %s, expected %s", what,
		       strerrorname_np(err), strerrorname_np(expected));
		ckpt_dump_log(_metadata, ctx);
		return false;
	}
	if (!ckpt_log_contains(ctx, "error")) {
		TH_LOG("%s: restart() failed with %s but logged no error", what,
		       strerrorname_np(err));
		ckpt_dump_log(_metadata, ctx);
		return false;
	}
	left = waitpid(-1, &status, WNOHANG);
	if (left != -1 || errno != ECHILD) {
		TH_LOG("%s: restart() failed but left %s behind", what,
		       left > 0 ? "a zombie" : "a running child");
		kill(saved_pid, SIGKILL);
		waitpid(saved_pid, NULL, 0);
		return false;
	}
	if (kill(saved_pid, 0) == 0 || errno != ESRCH) {
		TH_LOG("%s: restart() failed but pid %d exists", what,
		       saved_pid);
		return false;
	}
	return true;
}

/* The real image restores: what the other tests break is a working image */
TEST_F_TIMEOUT(image, untouched_image_restores, 60)
{
	pid_t pid;

	take_image(_metadata, &self->ctx, &self->img);
	pid = ckpt_restart(_metadata, &self->ctx);
	ASSERT_EQ(self->img.pid, pid);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* What the HEADER, TREE, TASK and TRAILER say agrees with the stream */
TEST_F_TIMEOUT(image, header_and_trailer_describe_the_image, 60)
{
	struct image *img = &self->img;
	struct ckpt_image_trailer *tr;
	struct ckpt_image_header *hdr;
	struct ckpt_tree_task *entry;
	struct ckpt_rec *tree, *task;
	int i;

	take_image(_metadata, &self->ctx, img);
	tr = trailer_of(img, img->data);
	ASSERT_LE(sizeof(*hdr), img->recs[0].len);
	hdr = ckpt_payload(img->data, &img->recs[0]);
	ASSERT_EQ(CKPT_IMAGE_MAGIC, le64toh(hdr->magic));
	ASSERT_EQ((uint32_t)CKPT_IMAGE_VERSION, le32toh(hdr->version));
	ASSERT_EQ((uint32_t)CKPT_ARCH_X86_64, le32toh(hdr->arch));
	ASSERT_EQ((uint32_t)sysconf(_SC_PAGESIZE), le32toh(hdr->page_size));
	ASSERT_EQ((uint32_t)CHECKPOINT_KILL, le32toh(hdr->flags));
	ASSERT_EQ((uint32_t)1, le32toh(hdr->nr_tasks));

	for (i = 0; i < img->nr; i++)
		ASSERT_GT((uint32_t)__CKPT_REC_NR, img->recs[i].type)
			TH_LOG("record %d at offset %zu has type %u", i,
			       img->recs[i].off, img->recs[i].type);

	tree = find_rec(img, CKPT_REC_TREE);
	ASSERT_TRUE(!!tree);
	ASSERT_LE(sizeof(struct ckpt_tree) + sizeof(*entry), tree->len);
	entry = (void *)((char *)ckpt_payload(img->data, tree) +
			 sizeof(struct ckpt_tree));
	ASSERT_EQ((uint32_t)img->pid, le32toh(entry->pid));
	ASSERT_EQ((uint32_t)0, le32toh(entry->ppid));
	task = find_rec(img, CKPT_REC_TASK);
	ASSERT_TRUE(!!task);
	ASSERT_EQ((uint32_t)img->pid, le32toh(((struct ckpt_task *)
				     ckpt_payload(img->data, task))->pid));

	ASSERT_EQ(sizeof(*tr), img->recs[img->nr - 1].len);
	ASSERT_EQ(img->recs[img->nr - 1].off, le64toh(tr->size));
	ASSERT_EQ((uint32_t)img->nr - 1, le32toh(tr->nr_records));
	ASSERT_EQ(crc32c(img->data, img->recs[img->nr - 1].off),
		  le32toh(tr->crc32c))
		TH_LOG("TRAILER.crc32c is not CRC-32C (~0 seed, inverted) of the image");
}

/* Truncation points: a bounded, sorted set without duplicates */
struct cuts {
	size_t at[4 * MAX_TRUNCATIONS];
	int nr;
};

static void add_cut(struct cuts *c, size_t at, size_t len)
{
	if (at < len && c->nr < (int)ARRAY_SIZE(c->at))
		c->at[c->nr++] = at;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every record boundary (0 is the empty image), a point inside the header
 * of the first records and of the TRAILER, the middle of every other
 * record, a few points in the page data of the first PAGES records, and
 * all but the last byte. Thinned out evenly beyond MAX_TRUNCATIONS.
 */
static void choose_cuts(struct image *img, struct cuts *c)
{
	size_t page = sysconf(_SC_PAGESIZE), start, len = img->len;
	struct cuts all = { .nr = 0 };
	int i, pages = 0, step;

	for (i = 0; i < img->nr; i++) {
		struct ckpt_rec *r = &img->recs[i];

		start = r->off + sizeof(struct ckpt_rec_hdr);
		add_cut(&all, r->off, len);
		if (i < 4 || r->type == CKPT_REC_TRAILER)
			add_cut(&all, r->off + 4, len);
		if (r->type != CKPT_REC_PAGES) {
			if (r->len >= 16)
				add_cut(&all, start + r->len / 2, len);
			continue;
		}
		if (pages++ >= 3)
			continue;
		add_cut(&all, start + sizeof(struct ckpt_pages), len);
		add_cut(&all, start + sizeof(struct ckpt_pages) + page / 2,
			len);
		add_cut(&all, start + r->len - 8, len);
	}
	add_cut(&all, len - 1, len);
	qsort(all.at, all.nr, sizeof(all.at[0]), cmp_size);

	step = (all.nr + MAX_TRUNCATIONS - 1) / MAX_TRUNCATIONS;
	c->nr = 0;
	for (i = 0; i < all.nr; i++) {
		if (i && all.at[i] == all.at[i - 1])
			continue;
		if (i % step == 0 || i == all.nr - 1)
			c->at[c->nr++] = all.at[i];
	}
}

/* The record that holds byte @at, for the messages */
static const char *rec_at(struct image *img, size_t at)
{
	int i;

	for (i = img->nr - 1; i > 0; i--)
		if (img->recs[i].off <= at)
			break;
	return rec_name(img->recs[i].type);
}

TEST_F_TIMEOUT(image, every_truncation_fails_with_einval, 240)
{
	struct image *img = &self->img;
	static struct cuts cuts;
	int i, failed = 0;
	char what[96];

	take_image(_metadata, &self->ctx, img);
	choose_cuts(img, &cuts);
	TH_LOG("%zu bytes, %d records, %d truncations", img->len, img->nr,
	       cuts.nr);
	for (i = 0; i < cuts.nr; i++) {
		snprintf(what, sizeof(what), "cut at %zu of %zu (in %s)",
			 cuts.at[i], img->len, rec_at(img, cuts.at[i]));
		if (restart_fails_cleanly(_metadata, &self->ctx, img->data,
					  cuts.at[i], img->pid, EINVAL, what))
			continue;
		/* Say what the first few were; count the rest */
		if (++failed >= 10) {
			TH_LOG("... stopping after %d failed truncations",
			       failed);
			break;
		}
	}
	ASSERT_EQ(0, failed);
}

/* Corruptions */
enum corruption {
	BAD_MAGIC,
	UNKNOWN_VERSION,
	OTHER_ARCH,
	OTHER_PAGE_SIZE,
	UNKNOWN_RECORD_TYPE,
	HUGE_RECORD_LENGTH,
	UNALIGNED_RECORD_LENGTH,
	NONZERO_PADDING,
	DANGLING_OBJREF,
	HEADER_NOT_FIRST,
	FLIPPED_PAGE_BYTE,
	FLIPPED_VMA_BYTE,
	BAD_TRAILER_CRC,
	BAD_TRAILER_RECORD_COUNT,
};

FIXTURE(corrupt) {
	struct ckpt_ctx ctx;
	struct image img;
};

FIXTURE_VARIANT(corrupt) {
	enum corruption what;
	bool fix_crc;	/* recompute the TRAILER's checksum afterwards */
	int err;	/* what restart must fail with */
};

FIXTURE_VARIANT_ADD(corrupt, bad_magic) {
	.what = BAD_MAGIC, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, version_99) {
	.what = UNKNOWN_VERSION, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, other_arch) {
	.what = OTHER_ARCH, .fix_crc = true, .err = ENOEXEC,
};

FIXTURE_VARIANT_ADD(corrupt, other_page_size) {
	.what = OTHER_PAGE_SIZE, .fix_crc = true, .err = ENOEXEC,
};

FIXTURE_VARIANT_ADD(corrupt, unknown_record_type) {
	.what = UNKNOWN_RECORD_TYPE, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, huge_record_length) {
	.what = HUGE_RECORD_LENGTH, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, unaligned_record_length) {
	.what = UNALIGNED_RECORD_LENGTH, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, nonzero_padding) {
	.what = NONZERO_PADDING, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, dangling_objref) {
	.what = DANGLING_OBJREF, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, header_not_first) {
	.what = HEADER_NOT_FIRST, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, flipped_page_byte) {
	.what = FLIPPED_PAGE_BYTE, .fix_crc = false, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, flipped_vma_byte) {
	.what = FLIPPED_VMA_BYTE, .fix_crc = false, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, bad_trailer_crc) {
	.what = BAD_TRAILER_CRC, .fix_crc = false, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, bad_trailer_record_count) {
	.what = BAD_TRAILER_RECORD_COUNT, .fix_crc = false, .err = EINVAL,
};

FIXTURE_SETUP(corrupt)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(corrupt)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/* The payload of the first record of @type in @data, asserting there is one */
#define PAYLOAD(type, size) ({						\
	struct ckpt_rec *__r = find_rec(img, (type));			\
	ASSERT_TRUE(!!__r)						\
		TH_LOG("the image has no %s record", rec_name(type));	\
	ASSERT_LE((size), __r->len);					\
	(void *)(data + __r->off + sizeof(struct ckpt_rec_hdr));	\
})

static struct ckpt_rec_hdr *hdr_of(char *data, struct ckpt_rec *rec)
{
	return (void *)(data + rec->off);
}

TEST_F_TIMEOUT(corrupt, restart_fails_cleanly, 60)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct image *img = &self->img;
	struct ckpt_image_header *hdr;
	struct ckpt_image_trailer *tr;
	struct ckpt_rec *rec;
	struct ckpt_vma *vma;
	struct ckpt_task *task;
	struct ckpt_tree *tree;
	char *data, *p;
	size_t len0, len1;

	take_image(_metadata, &self->ctx, img);
	data = malloc(img->len);
	ASSERT_TRUE(!!data);
	memcpy(data, img->data, img->len);
	hdr = (void *)(data + img->recs[0].off + sizeof(struct ckpt_rec_hdr));
	tr = trailer_of(img, data);

	switch (variant->what) {
	case BAD_MAGIC:
		hdr->magic ^= htole64(0xff);
		break;
	case UNKNOWN_VERSION:
		hdr->version = htole32(99);
		break;
	case OTHER_ARCH:
		hdr->arch = htole32(99);
		break;
	case OTHER_PAGE_SIZE:
		hdr->page_size = htole32(2 * page);
		break;
	case UNKNOWN_RECORD_TYPE:
		rec = find_rec(img, CKPT_REC_FS) ?: &img->recs[img->nr / 2];
		hdr_of(data, rec)->type = htole32(0x7fff);
		break;
	case HUGE_RECORD_LENGTH:
		rec = find_rec(img, CKPT_REC_MM);
		ASSERT_TRUE(!!rec);
		hdr_of(data, rec)->len = htole32(0xfffffff8);
		break;
	case UNALIGNED_RECORD_LENGTH:
		rec = find_rec(img, CKPT_REC_CRED);
		ASSERT_TRUE(!!rec);
		hdr_of(data, rec)->len = htole32(rec->len + 4);
		break;
	case NONZERO_PADDING:
		tree = PAYLOAD(CKPT_REC_TREE, sizeof(*tree));
		tree->__pad = htole32(1);
		break;
	case DANGLING_OBJREF:
		task = PAYLOAD(CKPT_REC_TASK, sizeof(*task));
		task->mm_ref = htole32(0x7fff);
		break;
	case HEADER_NOT_FIRST:
		/* Swap the HEADER with the record after it */
		len0 = img->recs[1].off;
		len1 = img->recs[2].off - img->recs[1].off;
		memcpy(data, img->data + len0, len1);
		memcpy(data + len1, img->data, len0);
		break;
	case FLIPPED_PAGE_BYTE:
		p = PAYLOAD(CKPT_REC_PAGES, sizeof(struct ckpt_pages) + page);
		p[sizeof(struct ckpt_pages) + page / 2] ^= 0x40;
		break;
	case FLIPPED_VMA_BYTE:
		/* Still a valid VMA: only the checksum can tell */
		vma = PAYLOAD(CKPT_REC_VMA, sizeof(*vma));
		vma->flags ^= htole32(CKPT_VMA_DONTDUMP);
		break;
	case BAD_TRAILER_CRC:
		tr->crc32c ^= htole32(1);
		break;
	case BAD_TRAILER_RECORD_COUNT:
		tr->nr_records = htole32(le32toh(tr->nr_records) + 1);
		break;
	}
	if (variant->fix_crc)
		tr->crc32c = htole32(crc32c(data, img->recs[img->nr - 1].off));

	ASSERT_TRUE(restart_fails_cleanly(_metadata, &self->ctx, data,
					  img->len, img->pid, variant->err,
					  "corrupted image"));
	free(data);
}

TEST_HARNESS_MAIN
