/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KUnit tests of the image record rules: the table every record header is
 * checked against, and the helpers that check paths and object ids.
 * Included at the end of image.c, DAMON-style, to reach its statics.
 */
#ifndef _CHECKPOINT_IMAGE_KUNIT_H
#define _CHECKPOINT_IMAGE_KUNIT_H

#include <kunit/test.h>

static struct ckpt_ctx *ckpt_test_ctx(struct kunit *test, bool restart)
{
	struct ckpt_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	mutex_init(&ctx->log_lock);
	ctx->restart = restart;
	xa_init(&ctx->objs);
	return ctx;
}

static int ckpt_test_one_rec(struct kunit *test, u32 nr, const char *name)
{
	const struct ckpt_rec_def *d = &ckpt_rec_defs[nr];

	KUNIT_EXPECT_STREQ(test, ckpt_rec_name(nr), name);
	KUNIT_EXPECT_NE_MSG(test, d->max_len, 0, "record type %s has no bounds", name);
	KUNIT_EXPECT_LE(test, d->min_len, d->max_len);
	KUNIT_EXPECT_EQ(test, d->min_len % 8, 0);
	KUNIT_EXPECT_LE(test, d->max_len, CKPT_REC_MAX_LEN);
	return 0;
}

/* Every type of the uapi list has a definition, with sane bounds */
static void ckpt_test_rec_defs(struct kunit *test)
{
	int failed;

#define CHECK_REC(rec, nr) (ckpt_test_one_rec(test, nr, #rec)) +
	failed = __CKPT_REC_MAPPER(CHECK_REC) 0;
#undef CHECK_REC
	KUNIT_EXPECT_EQ(test, failed, 0);
	KUNIT_EXPECT_STREQ(test, ckpt_rec_name(0), "?");
	KUNIT_EXPECT_STREQ(test, ckpt_rec_name(__CKPT_REC_NR), "?");
	KUNIT_EXPECT_STREQ(test, ckpt_rec_name(~0U), "?");
}

struct ckpt_test_path {
	u64 fixed;
	char path[16];
};

static void ckpt_test_read_path(struct kunit *test)
{
	struct ckpt_ctx *ctx = ckpt_test_ctx(test, true);
	struct ckpt_test_path rec = {};
	u32 fixed = sizeof(rec.fixed);

	memcpy(rec.path, "/tmp/a", 7);
	KUNIT_EXPECT_PTR_EQ(test, ckpt_read_path(ctx, "T", &rec, fixed, 16, 7),
			    (char *)rec.path);
	/* length that does not match the record, relative, unterminated */
	KUNIT_EXPECT_TRUE(test, IS_ERR(ckpt_read_path(ctx, "T", &rec, fixed, 24, 7)));
	KUNIT_EXPECT_TRUE(test, IS_ERR(ckpt_read_path(ctx, "T", &rec, fixed, 16, 6)));
	rec.path[0] = 't';
	KUNIT_EXPECT_TRUE(test, IS_ERR(ckpt_read_path(ctx, "T", &rec, fixed, 16, 7)));
	rec.path[0] = '/';
	/* non-zero padding */
	rec.path[7] = 'x';
	KUNIT_EXPECT_TRUE(test, IS_ERR(ckpt_read_path(ctx, "T", &rec, fixed, 16, 7)));
	KUNIT_EXPECT_EQ(test, ctx->err, -EINVAL);
}

static void ckpt_test_objref(struct kunit *test)
{
	struct ckpt_ctx *ctx = ckpt_test_ctx(test, true);
	static int dummy;
	u32 id = 0;

	KUNIT_EXPECT_EQ(test, ckpt_check_objref(ctx, cpu_to_le32(0), &id), -EINVAL);
	ctx->err = 0;
	KUNIT_EXPECT_EQ(test, ckpt_check_objref(ctx, cpu_to_le32(0x80000000), &id),
			-EINVAL);
	ctx->err = 0;
	KUNIT_EXPECT_EQ(test, ckpt_check_objref(ctx, cpu_to_le32(7), &id), 0);
	KUNIT_EXPECT_EQ(test, id, 7);
	KUNIT_ASSERT_EQ(test, xa_insert(&ctx->objs, 7, &dummy, GFP_KERNEL), 0);
	/* an id is defined once */
	KUNIT_EXPECT_EQ(test, ckpt_check_objref(ctx, cpu_to_le32(7), &id), -EINVAL);
	xa_destroy(&ctx->objs);
}

/*
 * The running CRC that takes a run of pages in through the run's own CRC
 * (PAGES_CRC) is the one that reads the run, for any seed and length.
 */
static void ckpt_test_crc_append(struct kunit *test)
{
	static const size_t lens[] = { 8, 4096, 3 * 4096 + 8 };
	u8 *buf = kunit_kmalloc(test, 3 * 4096 + 8, GFP_KERNEL);
	u32 seed = ~0U, part;
	size_t i, j;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < 3 * 4096 + 8; i++)
		buf[i] = i * 131 + (i >> 9);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		for (j = 0; j < 3; j++) {
			part = crc32c(~0U, buf, lens[i]);
			KUNIT_EXPECT_EQ(test, ckpt_crc_append(seed, part, lens[i]),
					crc32c(seed, buf, lens[i]));
			seed = seed * 2654435761U + 12345;
		}
	}
}

static struct kunit_case ckpt_image_test_cases[] = {
	KUNIT_CASE(ckpt_test_crc_append),
	KUNIT_CASE(ckpt_test_rec_defs),
	KUNIT_CASE(ckpt_test_read_path),
	KUNIT_CASE(ckpt_test_objref),
	{}
};

static struct kunit_suite ckpt_image_test_suite = {
	.name = "checkpoint-image",
	.test_cases = ckpt_image_test_cases,
};

kunit_test_suite(ckpt_image_test_suite);

#endif /* _CHECKPOINT_IMAGE_KUNIT_H */
