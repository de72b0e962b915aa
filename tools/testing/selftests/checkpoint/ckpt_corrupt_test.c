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
	NEWER_VERSION,
	VERSION_0,
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

/* The version after this kernel's (3 while it writes 2) */
FIXTURE_VARIANT_ADD(corrupt, newer_version) {
	.what = NEWER_VERSION, .fix_crc = true, .err = ENOEXEC,
};

FIXTURE_VARIANT_ADD(corrupt, version_0) {
	.what = VERSION_0, .fix_crc = true, .err = EINVAL,
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
	case NEWER_VERSION:
		hdr->version = htole32(CKPT_IMAGE_VERSION + 1);
		break;
	case VERSION_0:
		hdr->version = 0;
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
	if (variant->what == NEWER_VERSION)
		EXPECT_TRUE(ckpt_log_contains(&self->ctx, "newer"))
			ckpt_dump_log(_metadata, &self->ctx);
	free(data);
}

/*
 * FILES entries and FILE paths as format version 2 writes them, made
 * wrong: a path sharing more than there is to share, or sharing in a
 * version 1 image; a descriptor number with a bit that is no flag, or out
 * of order: restart fails with EINVAL, says why on the log and leaves
 * nothing behind.  The same image with every path written whole (path_shared
 * 0, as version 2 allows) restores, and the task finds its files.
 */
enum files_corruption {
	SHARED_NOT_BELOW_PATH_LEN,
	SHARED_BEYOND_LAST_PATH,
	FIRST_PATH_SHARES,
	VERSION_1_PATH_SHARES,
	FD_BIT_30,
	FDS_OUT_OF_ORDER,
	WHOLE_PATHS,		/* not a corruption: restart must work */
};

FIXTURE(corrupt_files) {
	struct ckpt_ctx ctx;
	struct image img;
	char dir[PATH_MAX + 16];
};

FIXTURE_VARIANT(corrupt_files) {
	enum files_corruption what;
	unsigned int version;	/* of the image taken */
	const char *log;	/* what the kernel's log must say */
};

FIXTURE_VARIANT_ADD(corrupt_files, path_shared_not_below_path_len) {
	.what = SHARED_NOT_BELOW_PATH_LEN, .version = 2, .log = "shared",
};

FIXTURE_VARIANT_ADD(corrupt_files, path_shared_beyond_last_path) {
	.what = SHARED_BEYOND_LAST_PATH, .version = 2, .log = "shared",
};

FIXTURE_VARIANT_ADD(corrupt_files, first_path_shares) {
	.what = FIRST_PATH_SHARES, .version = 2, .log = "shared",
};

FIXTURE_VARIANT_ADD(corrupt_files, version_1_path_shares) {
	.what = VERSION_1_PATH_SHARES, .version = 1, .log = "shared",
};

FIXTURE_VARIANT_ADD(corrupt_files, fd_bit_30) {
	.what = FD_BIT_30, .version = 2, .log = "FILES entry",
};

FIXTURE_VARIANT_ADD(corrupt_files, fds_out_of_order) {
	.what = FDS_OUT_OF_ORDER, .version = 2, .log = "FILES entry",
};

FIXTURE_VARIANT_ADD(corrupt_files, whole_paths_restore) {
	.what = WHOLE_PATHS, .version = 2,
};

FIXTURE_SETUP(corrupt_files)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(corrupt_files)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/* Short names and long ones in turn: a long path shares all of a short one */
static const char *const file_names[] = {
	"a", "a-rather-long-name-1", "b", "b-rather-long-name-2", "c", "c-rather-long-name-3",
};

#define NR_NAMES ((int)ARRAY_SIZE(file_names))

/* Opens file_names[i] of the directory @arg as fd 3 + i; restored, checks them */
static int named_files_child(void *arg)
{
	char path[PATH_MAX + 32], link[64], got[PATH_MAX];
	const char *dir = arg;
	ssize_t n;
	int i;

	for (i = 0; i < NR_NAMES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, file_names[i]);
		if (open(path, O_RDONLY) != 3 + i) {
			ckpt_child_note("open %s: not fd %d: %m", path, 3 + i);
			return 1;
		}
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	for (i = 0; i < NR_NAMES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, file_names[i]);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", 3 + i);
		n = readlink(link, got, sizeof(got) - 1);
		got[n < 0 ? 0 : n] = '\0';
		if (strcmp(got, path)) {
			ckpt_child_note("fd %d is \"%s\", not \"%s\"", 3 + i, got, path);
			return 2;
		}
	}
	if (fcntl(3 + NR_NAMES, F_GETFD) >= 0) {
		ckpt_child_note("fd %d is open after restart", 3 + NR_NAMES);
		return 2;
	}
	return 0;
}

static const char *const named_files_reasons[] = {
	[1] = "could not open its files",
	[2] = "its descriptors are not what they were",
};

/* The FILE records of an image that have a path, in order, and their whole paths */
#define MAX_PATHS 64

struct image_paths {
	int nr;
	int at[MAX_PATHS];
	char path[MAX_PATHS][512];
};

static void image_paths(struct __test_metadata *_metadata, struct image *img,
			struct image_paths *p)
{
	struct file_walk *w = malloc(sizeof(*w));
	struct ckpt_file *f;

	ASSERT_TRUE(!!w);
	p->nr = 0;
	file_walk_start(w);
	while ((f = file_walk_next(img, img->data, w)) && p->nr < MAX_PATHS) {
		if (!f->path_len)
			continue;
		p->at[p->nr] = w->at;
		snprintf(p->path[p->nr++], sizeof(p->path[0]), "%s", w->path);
	}
	ASSERT_FALSE(w->bad) TH_LOG("FILE record %d: its path cannot be put together", w->at);
	free(w);
}

static uint32_t common_prefix(const char *a, const char *b)
{
	uint32_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

TEST_F_TIMEOUT(corrupt_files, restart_of_changed_image, 60)
{
	struct image *img = &self->img;
	struct rec_patch patches[MAX_PATHS];
	static struct image_paths paths;
	enum ckpt_outcome outcome;
	struct ckpt_fd2 *e3, *e4, tmp;
	uint32_t cp = 0, best = 0;
	char real[PATH_MAX];
	struct ckpt_file *f;
	struct ckpt_rec *rec;
	int i, k = -1, nr = 0;
	char *data = NULL;
	size_t len = 0;
	pid_t pid;

	ASSERT_TRUE(!!realpath(self->ctx.dir, real));
	snprintf(self->dir, sizeof(self->dir), "%s/f", real);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	for (i = 0; i < NR_NAMES; i++) {
		char path[PATH_MAX + 32];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", self->dir, file_names[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		ASSERT_LE(0, fd) TH_LOG("create %s: %s", path, strerror(errno));
		close(fd);
	}
	pid = ckpt_spawn(_metadata, &self->ctx, named_files_child, self->dir);
	image_of_killed_flags(_metadata, &self->ctx, pid, CHECKPOINT_VERSION(variant->version),
			      img);
	ASSERT_EQ(variant->version, image_version(img));
	image_paths(_metadata, img, &paths);
	ASSERT_LE(NR_NAMES, paths.nr);
	rec = find_rec(img, CKPT_REC_FILES);
	ASSERT_TRUE(!!rec);

	switch (variant->what) {
	case SHARED_NOT_BELOW_PATH_LEN:
		/* A FILE that shares some of its path: it now shares all of it */
		for (i = 1; i < paths.nr && k < 0; i++) {
			f = ckpt_payload(img->data, &img->recs[paths.at[i]]);
			if (f->path_shared)
				k = i;
		}
		ASSERT_LE(0, k) TH_LOG("no FILE shares a path");
		f = ckpt_payload(img->data, &img->recs[paths.at[k]]);
		f->path_shared = f->path_len;
		break;
	case SHARED_BEYOND_LAST_PATH:
		/* A long path after a short one shares its NUL too, and beyond */
		for (i = 1; i < paths.nr && k < 0; i++)
			if (strlen(paths.path[i]) > strlen(paths.path[i - 1]) + 1)
				k = i;
		ASSERT_LE(0, k) TH_LOG("no FILE path is longer than the one before");
		cp = strlen(paths.path[k - 1]) + 1;
		break;
	case FIRST_PATH_SHARES:
		/* Its "/" is said to be that of a path before it */
		k = 0;
		cp = 1;
		break;
	case VERSION_1_PATH_SHARES:
		/* Written as version 2 would, in a version 1 image */
		for (i = 1; i < paths.nr; i++) {
			cp = common_prefix(paths.path[i - 1], paths.path[i]);
			if (cp > best) {
				best = cp;
				k = i;
			}
		}
		ASSERT_LE(0, k);
		cp = best;
		break;
	case FD_BIT_30:
		/* The last entry: still after the others */
		e3 = files_entry_at(img, img->data, rec, 3 + NR_NAMES - 1);
		ASSERT_TRUE(!!e3);
		e3->fd |= htole32(1U << 30);
		break;
	case FDS_OUT_OF_ORDER:
		/* fds 3 and 4 swapped, each still with its file */
		e3 = files_entry_at(img, img->data, rec, 3);
		e4 = files_entry_at(img, img->data, rec, 4);
		ASSERT_TRUE(e3 && e4);
		ASSERT_EQ(3U, le32toh(e3->fd));
		tmp = *e3;
		*e3 = *e4;
		*e4 = tmp;
		break;
	case WHOLE_PATHS:
		for (i = 0; i < paths.nr; i++) {
			f = ckpt_payload(img->data, &img->recs[paths.at[i]]);
			if (!f->path_shared)
				continue;
			patches[nr].at = paths.at[i];
			patches[nr].payload = file_payload(f, paths.path[i], 0,
							   &patches[nr].len);
			ASSERT_TRUE(!!patches[nr++].payload);
		}
		ASSERT_LT(0, nr) TH_LOG("no FILE shares a path");
		data = image_with_payloads(img, img->data, patches, nr, &len);
		while (nr--)
			free((void *)patches[nr].payload);
		ASSERT_TRUE(!!data);
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
		ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, data, len));
		free(data);
		ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
		ckpt_finish(_metadata, pid, CKPT_REASONS(named_files_reasons));
		return;
	}
	if (variant->what == SHARED_BEYOND_LAST_PATH || variant->what == FIRST_PATH_SHARES ||
	    variant->what == VERSION_1_PATH_SHARES) {
		/* The record holds what follows the bytes it says it shares */
		f = ckpt_payload(img->data, &img->recs[paths.at[k]]);
		ASSERT_LT(cp, le32toh(f->path_len));
		TH_LOG("FILE \"%s\" sharing %u bytes", paths.path[k], cp);
		patches[0].at = paths.at[k];
		patches[0].payload = file_payload(f, paths.path[k], cp, &patches[0].len);
		ASSERT_TRUE(!!patches[0].payload);
		data = image_with_payloads(img, img->data, patches, 1, &len);
		free((void *)patches[0].payload);
		ASSERT_TRUE(!!data);
	} else {
		image_fix_crc(img, img->data);
		data = img->data;
		len = img->len;
	}
	outcome = restart_from_broken_image(_metadata, &self->ctx, data, len, pid, EINVAL,
					    "corrupted FILES or FILE");
	if (data != img->data)
		free(data);
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, variant->log)) {
		TH_LOG("the log does not say \"%s\"", variant->log);
		ckpt_dump_log(_metadata, &self->ctx);
	}
}

TEST_HARNESS_MAIN
