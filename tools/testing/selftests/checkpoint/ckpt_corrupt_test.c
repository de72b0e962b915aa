// SPDX-License-Identifier: GPL-2.0
/*
 * A corrupted image makes restart(2) fail with the error number the
 * contract gives, an "error:" line on the log, and nothing left behind.
 *
 * The corruptions other than of the checksum itself come with the
 * TRAILER's checksum recomputed, so that restart has to find what is
 * wrong with the record, not just that the bytes changed.
 */
#include "ckpt_image.h"

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
	UNKNOWN_VMA_FLAG,
	PAGES_OUTSIDE_VMA,
	WRONG_MM_END_COUNT,
	FLIPPED_PAGE_BYTE,
	FLIPPED_VMA_BYTE,
	BAD_TRAILER_CRC,
	BAD_TRAILER_RECORD_COUNT,
	DATA_AFTER_TRAILER,
	BAD_CPUID_REGISTER,
	ZERO_CPUID_COUNT,
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
	.what = UNKNOWN_VERSION, .fix_crc = true, .err = ENOEXEC,
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

FIXTURE_VARIANT_ADD(corrupt, unknown_vma_flag) {
	.what = UNKNOWN_VMA_FLAG, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, pages_outside_vma) {
	.what = PAGES_OUTSIDE_VMA, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, wrong_mm_end_count) {
	.what = WRONG_MM_END_COUNT, .fix_crc = true, .err = EINVAL,
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

FIXTURE_VARIANT_ADD(corrupt, cpuid_register_7) {
	.what = BAD_CPUID_REGISTER, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, cpuid_count_0) {
	.what = ZERO_CPUID_COUNT, .fix_crc = true, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(corrupt, data_after_trailer) {
	.what = DATA_AFTER_TRAILER, .fix_crc = false, .err = EINVAL,
};

FIXTURE_SETUP(corrupt)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
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

TEST_F_TIMEOUT(corrupt, restart_fails_cleanly, 40)
{
	size_t page = sysconf(_SC_PAGESIZE);
	enum ckpt_outcome outcome;
	struct image *img = &self->img;
	struct ckpt_image_header *hdr;
	struct ckpt_image_trailer *tr;
	struct ckpt_mm_end *mm_end;
	struct ckpt_pages *pages;
	struct ckpt_rec *rec;
	struct ckpt_vma *vma;
	struct ckpt_task *task;
	struct ckpt_tree *tree;
	struct ckpt_x86_cpuid *cpuid;
	size_t len0, len1, len;
	char *data, *p;

	take_image(_metadata, &self->ctx, img);
	len = img->len;
	/* Room for a record header after the TRAILER */
	data = calloc(1, img->len + sizeof(struct ckpt_rec_hdr));
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
	case BAD_CPUID_REGISTER:
		cpuid = PAYLOAD(CKPT_REC_X86_CPUID, sizeof(*cpuid) + sizeof(cpuid->regs[0]));
		cpuid->regs[0].reg = htole32(7);
		break;
	case ZERO_CPUID_COUNT:
		cpuid = PAYLOAD(CKPT_REC_X86_CPUID, sizeof(*cpuid));
		cpuid->nr_regs = 0;
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
	case UNKNOWN_VMA_FLAG:
		vma = PAYLOAD(CKPT_REC_VMA, sizeof(*vma));
		vma->flags |= htole32(1U << 31);
		break;
	case PAGES_OUTSIDE_VMA:
		/* Page 0 is below mmap_min_addr: in no VMA */
		pages = PAYLOAD(CKPT_REC_PAGES, sizeof(*pages));
		pages->addr = 0;
		break;
	case WRONG_MM_END_COUNT:
		mm_end = PAYLOAD(CKPT_REC_MM_END, sizeof(*mm_end));
		mm_end->nr_pages = htole64(le64toh(mm_end->nr_pages) + 1);
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
	case DATA_AFTER_TRAILER:
		/* The header of an empty HEADER record */
		((struct ckpt_rec_hdr *)(data + len))->type =
			htole32(CKPT_REC_HEADER);
		len += sizeof(struct ckpt_rec_hdr);
		break;
	}
	if (variant->fix_crc)
		tr->crc32c = htole32(crc32c(data, img->recs[img->nr - 1].off));

	outcome = restart_from_broken_image(_metadata, &self->ctx, data, len,
					    img->pid, variant->err,
					    "corrupted image");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	free(data);
}

TEST_HARNESS_MAIN
