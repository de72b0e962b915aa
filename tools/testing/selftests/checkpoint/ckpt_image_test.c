// SPDX-License-Identifier: GPL-2.0
/*
 * The image as restart(2) must take it: a real image restores and says
 * what it holds; one cut short anywhere makes restart fail with EINVAL and
 * an "error:" line on the log, and leaves nothing behind, not even a
 * zombie, and no task with the saved pid.
 *
 * The format versions: checkpoint(2) writes CKPT_IMAGE_VERSION unless
 * CHECKPOINT_VERSION(v) asks for an earlier one; both versions of the
 * image of the same task restart it with its descriptors as they were.
 */
#include <sys/resource.h>

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
	EXPECT_TRUE(out == CKPT_FAILED_CLEANLY);
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
	EXPECT_TRUE(out == CKPT_FAILED_CLEANLY);
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

/* ---- format versions ---- */

/* Bytes of the file @fd refers to */
static size_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_size;
}

/* How many leading bytes @a and @b have in common */
static uint32_t common_prefix(const char *a, const char *b)
{
	uint32_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/* Creates @nr files @dir/NNNN of @size bytes each; 0 or -1 */
static int make_files(const char *dir, int nr, size_t size)
{
	char path[PATH_MAX + 16], buf[256];
	int i, fd;

	memset(buf, 'f', sizeof(buf));
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%04d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		if (size > sizeof(buf) || ckpt_write_all(fd, buf, size)) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* The scratch directory as the kernel names it, with @sub appended */
static void real_dir(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		     const char *sub, char *buf, size_t size)
{
	char real[PATH_MAX];

	ASSERT_TRUE(!!realpath(ctx->dir, real))
		TH_LOG("realpath %s: %s", ctx->dir, strerror(errno));
	ASSERT_GT((int)size, snprintf(buf, size, "%s/%s", real, sub));
}

/* A task with files 0000..NNNN of a directory open, in that fd order */
struct many_files {
	char dir[PATH_MAX];
	int nr;
};

static int many_files_child(void *arg)
{
	struct many_files *m = arg;
	struct rlimit rl;
	char path[PATH_MAX + 16];
	int i;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1;
	if (rl.rlim_cur < (rlim_t)m->nr + 16) {
		rl.rlim_cur = m->nr + 16;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			ckpt_child_note("setrlimit(RLIMIT_NOFILE, %d): %m", m->nr + 16);
			return 1;
		}
	}
	for (i = 0; i < m->nr; i++) {
		snprintf(path, sizeof(path), "%s/%04d", m->dir, i);
		if (open(path, O_RDONLY) != 3 + i) {
			ckpt_child_note("open %s: not fd %d: %m", path, 3 + i);
			return 1;
		}
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

static const char *const many_files_reasons[] = {
	[1] = "could not open its files",
};

/*
 * checkpoint(2) writes version 2 by default: 8-byte FILES entries, and
 * the FILE of each file of a directory after the first leaves out what
 * its path has in common with the path before it, exactly that much.
 */
TEST_F_TIMEOUT(image, default_image_is_version_2_with_shared_paths, 90)
{
	static struct many_files m = { .nr = 64 };
	struct image *img = &self->img;
	uint32_t shared, in_dir = 0;
	struct ckpt_files *files;
	struct ckpt_file *f;
	struct file_walk *w;
	struct ckpt_rec *rec;
	char prev[PATH_MAX];
	pid_t pid;

	real_dir(_metadata, &self->ctx, "many", m.dir, sizeof(m.dir));
	ASSERT_EQ(0, make_files(m.dir, m.nr, 0)) TH_LOG("cannot create the files: %s",
							strerror(errno));
	pid = ckpt_spawn(_metadata, &self->ctx, many_files_child, &m);
	image_of_killed(_metadata, &self->ctx, pid, img);
	ASSERT_EQ(2U, image_version(img));
	ASSERT_EQ((uint32_t)CKPT_IMAGE_VERSION, image_version(img));

	rec = find_rec(img, CKPT_REC_FILES);
	ASSERT_TRUE(rec && rec->len >= sizeof(*files));
	files = ckpt_payload(img->data, rec);
	ASSERT_EQ((uint32_t)(3 + m.nr), le32toh(files->nr_fds));
	ASSERT_EQ(sizeof(*files) + (3 + m.nr) * sizeof(struct ckpt_fd2), rec->len)
		TH_LOG("FILES entries are not 8 bytes");

	w = malloc(sizeof(*w));
	ASSERT_TRUE(!!w);
	file_walk_start(w);
	prev[0] = '\0';
	while ((f = file_walk_next(img, img->data, w))) {
		if (!f->path_len) {
			EXPECT_EQ(0U, f->path_shared);
			continue;
		}
		shared = le32toh(f->path_shared);
		EXPECT_EQ(common_prefix(prev, w->path), shared)
			TH_LOG("FILE \"%s\" after \"%s\": path_shared %u", w->path, prev, shared);
		EXPECT_EQ((sizeof(*f) + le32toh(f->path_len) - shared + 7) & ~7UL,
			  img->recs[w->at].len)
			TH_LOG("FILE \"%s\" does not hold just the rest of its path", w->path);
		if (!strncmp(w->path, m.dir, strlen(m.dir)) && shared > strlen(m.dir))
			in_dir++;
		snprintf(prev, sizeof(prev), "%s", w->path);
	}
	EXPECT_FALSE(w->bad) TH_LOG("FILE record %d: its path cannot be put together", w->at);
	free(w);
	TH_LOG("%u of %d files of one directory share its path with the FILE before",
	       in_dir, m.nr);
	ASSERT_LE((uint32_t)m.nr - 1, in_dir);
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, CKPT_REASONS(many_files_reasons));
}

/* The same task in both versions: the version 1 image is the larger */
TEST_F_TIMEOUT(image, version_1_image_of_1000_files_is_larger, 180)
{
	static struct many_files m = { .nr = 1000 };
	size_t v1, v2;
	pid_t pid;

	real_dir(_metadata, &self->ctx, "many", m.dir, sizeof(m.dir));
	ASSERT_EQ(0, make_files(m.dir, m.nr, 0)) TH_LOG("cannot create the files: %s",
							strerror(errno));
	pid = ckpt_spawn(_metadata, &self->ctx, many_files_child, &m);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_VERSION(1)));
	v1 = file_size(self->ctx.image_fd);
	read_image(_metadata, &self->ctx, pid, &self->img);
	ASSERT_EQ(1U, image_version(&self->img));
	free(self->img.data);
	free(self->img.recs);
	self->img.data = NULL;
	self->img.recs = NULL;

	image_of_killed(_metadata, &self->ctx, pid, &self->img);
	v2 = file_size(self->ctx.image_fd);
	ASSERT_EQ(2U, image_version(&self->img));
	TH_LOG("%d files in one directory: version 1 image %zu bytes, version 2 %zu bytes",
	       m.nr, v1, v2);
	ASSERT_LT(v2, v1);
	/* 8 bytes less in each FILES entry alone, and paths never longer */
	ASSERT_LE(v2 + 8 * (size_t)m.nr, v1);
}

/*
 * CHECKPOINT_VERSION() beyond the newest version is EINVAL, with nothing
 * written and the task left running; the newest one is what the default
 * writes, and the header's flags never have the version bits.
 */
TEST_F_TIMEOUT(image, checkpoint_version_beyond_newest_is_einval, 60)
{
	static const unsigned int bad[] = { CKPT_IMAGE_VERSION + 1, 255 };
	struct ckpt_image_header *hdr;
	unsigned int i;
	long ret;
	pid_t pid;
	int err;

	pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
		ret = ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd,
					   CHECKPOINT_KILL | CHECKPOINT_VERSION(bad[i]),
					   self->ctx.log_fd);
		err = errno;
		EXPECT_EQ(-1, ret) TH_LOG("CHECKPOINT_VERSION(%u) was taken", bad[i]);
		EXPECT_EQ(EINVAL, err) TH_LOG("CHECKPOINT_VERSION(%u): %s", bad[i],
					      strerror(err));
		EXPECT_EQ(0U, file_size(self->ctx.image_fd));
		ASSERT_TRUE(ckpt_child_running(pid))
			TH_LOG("CHECKPOINT_VERSION(%u) failed but killed the task", bad[i]);
	}
	image_of_killed_flags(_metadata, &self->ctx, pid,
			      CHECKPOINT_VERSION(CKPT_IMAGE_VERSION), &self->img);
	hdr = ckpt_payload(self->img.data, &self->img.recs[0]);
	ASSERT_EQ((uint32_t)CKPT_IMAGE_VERSION, le32toh(hdr->version));
	ASSERT_EQ((uint32_t)CHECKPOINT_KILL, le32toh(hdr->flags));
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/*
 * A task whose descriptors have gaps, close-on-exec flags, offsets and a
 * shared open file.  It notes what it has before the checkpoint and, once
 * restored, checks that it has exactly that again.
 */
#define FD_FILES	24
#define FD_DUP		900	/* F_DUPFD_CLOEXEC of fd_of(0) */
#define FD_SCAN		1024
#define FD_MAX_OPEN	(3 + FD_FILES + 1)

static int fd_of(int i)
{
	return i < FD_FILES / 2 ? 3 + 2 * i : 100 + 31 * i;
}

static bool fd_cloexec(int i)
{
	return i % 3 == 1;
}

static off_t fd_pos(int i)
{
	return 5 * i + 1;
}

struct fd_state {
	int fd;
	int fdflags;
	off_t pos;
	char path[256];
};

static struct fd_state fds_before[FD_MAX_OPEN], fds_after[FD_MAX_OPEN];

/* The open descriptors below FD_SCAN and what they are; -1 if too many */
static int fd_scan(struct fd_state *st)
{
	char link[64];
	ssize_t n;
	int fd, nr = 0;

	for (fd = 0; fd < FD_SCAN; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl < 0)
			continue;
		if (nr == FD_MAX_OPEN)
			return -1;
		st[nr].fd = fd;
		st[nr].fdflags = fl;
		st[nr].pos = lseek(fd, 0, SEEK_CUR);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, st[nr].path, sizeof(st[nr].path) - 1);
		st[nr].path[n < 0 ? 0 : n] = '\0';
		nr++;
	}
	return nr;
}

static int fds_child(void *arg)
{
	const char *dir = arg;
	char path[PATH_MAX + 16];
	int i, fd, ret, nr, after;

	for (i = 0; i < FD_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%04d", dir, i);
		fd = open(path, (i % 4 ? O_RDONLY : O_RDWR) | (fd_cloexec(i) ? O_CLOEXEC : 0));
		if (fd >= 0 && fd != fd_of(i)) {
			ret = dup3(fd, fd_of(i), fd_cloexec(i) ? O_CLOEXEC : 0);
			close(fd);
			fd = ret;
		}
		if (fd < 0 || lseek(fd_of(i), fd_pos(i), SEEK_SET) != fd_pos(i)) {
			ckpt_child_note("setting up fd %d of %s: %m", fd_of(i), path);
			return 1;
		}
	}
	if (fcntl(fd_of(0), F_DUPFD_CLOEXEC, FD_DUP) != FD_DUP) {
		ckpt_child_note("F_DUPFD_CLOEXEC %d: %m", FD_DUP);
		return 1;
	}
	nr = fd_scan(fds_before);
	if (nr != FD_MAX_OPEN) {
		ckpt_child_note("%d descriptors open, expected %d", nr, FD_MAX_OPEN);
		return 1;
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();

	after = fd_scan(fds_after);
	if (after != nr) {
		ckpt_child_note("%d descriptors open after restart, %d before", after, nr);
		return 2;
	}
	for (i = 0; i < nr; i++) {
		struct fd_state *b = &fds_before[i], *a = &fds_after[i];

		if (a->fd != b->fd) {
			ckpt_child_note("fd %d open after restart instead of fd %d", a->fd, b->fd);
			return 2;
		}
		if (a->fdflags != b->fdflags) {
			ckpt_child_note("fd %d: F_GETFD %#x after restart, %#x before", a->fd,
					a->fdflags, b->fdflags);
			return 3;
		}
		if (a->pos != b->pos) {
			ckpt_child_note("fd %d: offset %lld after restart, %lld before", a->fd,
					(long long)a->pos, (long long)b->pos);
			return 4;
		}
		if (strcmp(a->path, b->path)) {
			ckpt_child_note("fd %d: \"%s\" after restart, \"%s\" before", a->fd,
					a->path, b->path);
			return 5;
		}
	}
	return 0;
}

static const char *const fds_reasons[] = {
	[1] = "could not set up its descriptors",
	[2] = "its descriptors are not the same numbers after restart",
	[3] = "a close-on-exec flag changed",
	[4] = "a file offset changed",
	[5] = "a descriptor names another file after restart",
};

FIXTURE(format) {
	struct ckpt_ctx ctx;
	struct image img;
	char dir[PATH_MAX];
};

FIXTURE_VARIANT(format) {
	unsigned int version;	/* for CHECKPOINT_VERSION(); 0: the default */
};

FIXTURE_VARIANT_ADD(format, default_version) {
	.version = 0,
};

FIXTURE_VARIANT_ADD(format, version_1) {
	.version = 1,
};

FIXTURE_VARIANT_ADD(format, version_2) {
	.version = 2,
};

FIXTURE_SETUP(format)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(format)
{
	free(self->img.data);
	free(self->img.recs);
	ckpt_ctx_teardown(&self->ctx);
}

/* Expected FILES entry @n: its fd, whether close-on-exec, its file's path */
static int expected_fd(int n, bool *cloexec, const char *dir, char *path, size_t size)
{
	*cloexec = false;
	if (n < 3) {
		snprintf(path, size, "/dev/null");
		return n;
	}
	if (n == 3 + FD_FILES) {
		*cloexec = true;
		snprintf(path, size, "%s/0000", dir);
		return FD_DUP;
	}
	n -= 3;
	*cloexec = fd_cloexec(n);
	snprintf(path, size, "%s/%04d", dir, n);
	return fd_of(n);
}

/*
 * The image has the version asked for, and FILES and FILE records as that
 * version writes them, naming the task's descriptors; restarted, the task
 * finds its descriptors as they were.
 */
TEST_F_TIMEOUT(format, descriptors_are_saved_and_restored, 90)
{
	uint32_t want = variant->version ?: CKPT_IMAGE_VERSION, shared, nr_shared = 0;
	struct image *img = &self->img;
	struct ckpt_image_header *hdr;
	char path[PATH_MAX + 16];
	struct ckpt_files *files;
	struct ckpt_file *f;
	struct file_walk *w;
	struct ckpt_rec *rec;
	struct fd_entry e;
	bool cloexec;
	pid_t pid;
	int n, fd;

	real_dir(_metadata, &self->ctx, "fds", self->dir, sizeof(self->dir));
	ASSERT_EQ(0, make_files(self->dir, FD_FILES, 200)) TH_LOG("cannot create the files: %s",
								  strerror(errno));
	pid = ckpt_spawn(_metadata, &self->ctx, fds_child, self->dir);
	image_of_killed_flags(_metadata, &self->ctx, pid, CHECKPOINT_VERSION(variant->version),
			      img);
	hdr = ckpt_payload(img->data, &img->recs[0]);
	ASSERT_EQ(want, image_version(img));
	ASSERT_EQ((uint32_t)CHECKPOINT_KILL, le32toh(hdr->flags))
		TH_LOG("the header's flags must not hold the version");

	rec = find_rec(img, CKPT_REC_FILES);
	ASSERT_TRUE(rec && rec->len >= sizeof(*files));
	files = ckpt_payload(img->data, rec);
	ASSERT_EQ((uint32_t)FD_MAX_OPEN, le32toh(files->nr_fds));
	ASSERT_EQ(sizeof(*files) + FD_MAX_OPEN * (want < 2 ? 16 : 8), rec->len)
		TH_LOG("FILES entries are not of version %u's size", want);

	w = malloc(sizeof(*w));
	ASSERT_TRUE(!!w);
	for (n = 0; n < FD_MAX_OPEN; n++) {
		fd = expected_fd(n, &cloexec, self->dir, path, sizeof(path));
		ASSERT_TRUE(files_entry(img, img->data, rec, n, &e));
		EXPECT_EQ((uint32_t)fd, e.fd);
		EXPECT_EQ(cloexec, e.cloexec) TH_LOG("fd %d: close-on-exec", fd);
		EXPECT_FALSE(e.bad) TH_LOG("fd %d: flags other than CKPT_FD_CLOEXEC", fd);
		if (want >= 2)
			EXPECT_EQ(fd | (cloexec ? CKPT_FD2_CLOEXEC : 0),
				  le32toh(((struct ckpt_fd2 *)files_entry_at(img, img->data,
									     rec, n))->fd));
		f = file_walk_to_ref(img, img->data, e.file_ref, w);
		EXPECT_TRUE(f && !strcmp(path, w->path))
			TH_LOG("fd %d: FILE %u is \"%s\", expected \"%s\"", fd, e.file_ref,
			       f ? w->path : "(none)", path);
	}

	/* Version 1 has whole paths; version 2 shares those of the directory */
	file_walk_start(w);
	while ((f = file_walk_next(img, img->data, w))) {
		shared = le32toh(f->path_shared);
		if (want < 2) {
			EXPECT_EQ(0U, shared) TH_LOG("version 1 FILE \"%s\"", w->path);
			EXPECT_EQ((sizeof(*f) + le32toh(f->path_len) + 7) & ~7UL,
				  img->recs[w->at].len) TH_LOG("FILE \"%s\"", w->path);
			EXPECT_EQ(0, strcmp(w->path, (char *)(f + 1)));
		}
		if (shared > strlen(self->dir))
			nr_shared++;
	}
	EXPECT_FALSE(w->bad) TH_LOG("FILE record %d: its path cannot be put together", w->at);
	free(w);
	if (want >= 2)
		EXPECT_LE(FD_FILES - 1, (int)nr_shared);

	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, CKPT_REASONS(fds_reasons));
}

TEST_HARNESS_MAIN
