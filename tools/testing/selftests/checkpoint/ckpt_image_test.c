// SPDX-License-Identifier: GPL-2.0
/*
 * The image as restart(2) must take it: a real image restores and says
 * what it holds; one cut short anywhere makes restart fail with EINVAL and
 * an "error:" line on the log, and leaves nothing behind, not even a
 * zombie, and no task with the saved pid.
 */
#include "ckpt_image.h"

/* The guest kernel runs KASAN under TCG: keep the attempts bounded */
#define MAX_TRUNCATIONS 240

FIXTURE(image) {
	struct ckpt_ctx ctx;
	struct image img;
};

/* The image is taken by the tests: the harness skips the teardown when the
 * setup fails, which would leave the task behind.
 */
FIXTURE_SETUP(image)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(image)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
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

	/* Every type is known here, optional ones (X86_VDSO) included */
	for (i = 0; i < img->nr; i++)
		ASSERT_GT((uint32_t)__CKPT_REC_NR, img->recs[i].type & ~CKPT_REC_OPTIONAL)
			TH_LOG("record %d at offset %zu has type %#x", i,
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
	enum ckpt_outcome outcome;
	int i, failed = 0;
	char what[96];

	take_image(_metadata, &self->ctx, img);
	choose_cuts(img, &cuts);
	TH_LOG("%zu bytes, %d records, %d truncations", img->len, img->nr,
	       cuts.nr);
	for (i = 0; i < cuts.nr; i++) {
		snprintf(what, sizeof(what), "cut at %zu of %zu (in %s)",
			 cuts.at[i], img->len, rec_at(img, cuts.at[i]));
		outcome = restart_from_broken_image(_metadata, &self->ctx,
						    img->data, cuts.at[i],
						    img->pid, EINVAL, what);
		if (outcome == CKPT_FAILED_CLEANLY)
			continue;
		/* Say what the first few were; a hang would only repeat */
		if (++failed >= 10 || outcome == CKPT_HUNG) {
			TH_LOG("... stopping after %d failed truncations",
			       failed);
			break;
		}
	}
	ASSERT_EQ(0, failed);
}

/*
 * The image with a record of @type and 16 bytes of payload inserted after
 * the HEADER, the TRAILER's count, size and checksum made right again.
 */
static char *with_record(struct image *img, uint32_t type, size_t *len)
{
	struct ckpt_rec_hdr rec = { htole32(type), htole32(16) };
	size_t at = img->recs[1].off, extra = sizeof(rec) + 16;
	struct ckpt_image_trailer *tr;
	char *data = calloc(1, img->len + extra);
	struct ckpt_rec last;

	if (!data)
		return NULL;
	memcpy(data, img->data, at);
	memcpy(data + at, &rec, sizeof(rec));
	memset(data + at + sizeof(rec), 0x5a, 16);
	memcpy(data + at + extra, img->data + at, img->len - at);
	last = img->recs[img->nr - 1];
	last.off += extra;
	tr = ckpt_payload(data, &last);
	tr->nr_records = htole32(le32toh(tr->nr_records) + 1);
	tr->size = htole64(le64toh(tr->size) + extra);
	tr->crc32c = htole32(crc32c(data, last.off));
	*len = img->len + extra;
	return data;
}

/*
 * A record of a type this kernel does not know, that a newer writer marked
 * CKPT_REC_OPTIONAL, is skipped (and logged); the same record not marked
 * so makes the image unreadable, named by its type.
 */
TEST_F_TIMEOUT(image, unknown_optional_record_is_skipped_required_one_refused, 90)
{
	enum ckpt_outcome out;
	size_t len;
	char *data;
	pid_t pid;

	take_image(_metadata, &self->ctx, &self->img);
	data = with_record(&self->img, 0x7fff, &len);
	ASSERT_TRUE(!!data);
	out = restart_from_broken_image(_metadata, &self->ctx, data, len, self->img.pid,
					EINVAL, "unknown required record");
	free(data);
	EXPECT_EQ(CKPT_FAILED_CLEANLY, out);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "unknown record type 32767"))
		ckpt_dump_log(_metadata, &self->ctx);

	data = with_record(&self->img, 0x7fff | CKPT_REC_OPTIONAL, &len);
	ASSERT_TRUE(!!data);
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, data, len));
	free(data);
	pid = ckpt_restart(_metadata, &self->ctx);
	ASSERT_EQ(self->img.pid, pid);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "skipped optional record type 32767"))
		ckpt_dump_log(_metadata, &self->ctx);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* The user features of the image's CPU, as X86_CPUID has them */
static struct ckpt_x86_cpuid *cpuid_of(struct image *img, char *data)
{
	struct ckpt_rec *rec = find_rec(img, CKPT_REC_X86_CPUID);

	return rec ? ckpt_payload(data, rec) : NULL;
}

static uint32_t *cpuid_reg(struct ckpt_x86_cpuid *c, uint32_t leaf, uint32_t sub, uint32_t reg)
{
	uint32_t i;

	for (i = 0; i < le32toh(c->nr_regs); i++)
		if (le32toh(c->regs[i].leaf) == leaf && le32toh(c->regs[i].subleaf) == sub &&
		    le32toh(c->regs[i].reg) == reg)
			return &c->regs[i].value;
	return NULL;
}

/* Is @flag in /proc/cpuinfo's flags? */
static bool cpu_has_flag(const char *flag)
{
	char line[8192], *p;
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (p = strtok(line, " \t\n"); p && !found; p = strtok(NULL, " \t\n"))
			found = !strcmp(p, flag);
		break;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * An image whose CPU had an instruction-set extension this CPU lacks is
 * refused, naming it; one whose CPU had fewer features restores.
 */
TEST_F_TIMEOUT(image, cpu_feature_missing_here_is_refused_by_name, 90)
{
	static const struct { const char *flag; uint32_t leaf, sub, reg, bit; } absent[] = {
		{ "avx512f", 7, 0, 1, 16 }, { "avx512_fp16", 7, 0, 3, 23 },
		{ "amx_tile", 7, 0, 3, 24 }, { "sha_ni", 7, 0, 1, 29 },
	};
	struct image *img = &self->img;
	struct ckpt_x86_cpuid *c;
	enum ckpt_outcome out;
	unsigned int i, j;
	uint32_t *reg;
	pid_t pid;

	take_image(_metadata, &self->ctx, img);
	c = cpuid_of(img, img->data);
	ASSERT_TRUE(!!c) TH_LOG("no X86_CPUID record in the image");
	for (i = 0; i < ARRAY_SIZE(absent) && cpu_has_flag(absent[i].flag); i++)
		;
	if (i == ARRAY_SIZE(absent))
		SKIP(return, "this CPU has every feature the test would add");
	reg = cpuid_reg(c, absent[i].leaf, absent[i].sub, absent[i].reg);
	ASSERT_TRUE(!!reg);
	*reg |= htole32(1U << absent[i].bit);
	trailer_of(img, img->data)->crc32c =
		htole32(crc32c(img->data, img->recs[img->nr - 1].off));
	out = restart_from_broken_image(_metadata, &self->ctx, img->data, img->len, img->pid,
					EOPNOTSUPP, absent[i].flag);
	EXPECT_EQ(CKPT_FAILED_CLEANLY, out);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, absent[i].flag))
		ckpt_dump_log(_metadata, &self->ctx);

	/* A CPU with fewer features: a subset of this one's */
	for (j = 0; j < le32toh(c->nr_regs); j++)
		c->regs[j].value = 0;
	trailer_of(img, img->data)->crc32c =
		htole32(crc32c(img->data, img->recs[img->nr - 1].off));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img->data, img->len));
	pid = ckpt_restart(_metadata, &self->ctx);
	ASSERT_EQ(img->pid, pid);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

TEST_HARNESS_MAIN
