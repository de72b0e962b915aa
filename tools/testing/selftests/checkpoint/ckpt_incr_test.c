// SPDX-License-Identifier: GPL-2.0
/*
 * Incremental checkpoints: a checkpoint with CHECKPOINT_TRACK counts the
 * task's writes from then on, and one with CHECKPOINT_INCREMENTAL writes
 * only the pages changed since, naming the others in PAGES_PARENT records.
 * restart(2) refuses such an image; `ckpt merge` makes a chain one complete
 * image again, from which the task comes back with every byte it had.
 *
 * The task keeps, in its own memory, which round last wrote each page of
 * its region (or that it dropped the page): told to finish, it checks every
 * page against that.  Each round writes about 1% of the pages, drops some
 * with MADV_DONTNEED and maps a new region.  A task that clears its own
 * soft-dirty bits (/proc/PID/clear_refs) is written in full, and its bits
 * are left as it set them.
 */
#include "ckpt_image.h"

#include <spawn.h>
#include <unistd.h>

#define NR_PAGES	2048	/* the region: 8 MiB of 4 KiB pages */
#define EXTRA_PAGES	64	/* mapped anew by round 2 */
#define DROPPED		0xff	/* gen[]: dropped with MADV_DONTNEED, reads zero */
#define WAIT_MS		50000
#define PM_SOFT_DIRTY	(1ULL << 55)

/* The child's state: in its own memory, saved with it */
static size_t page_size;
static char *mem;
static char *extra;
static uint8_t gen[NR_PAGES];
static bool clear_own;		/* the child clears its own soft-dirty bits */
static volatile int writer_stop;
static pthread_t writer_thread;	/* rewrites pages all the time, if started */

static uint64_t seed_of(size_t page, unsigned int g)
{
	return 0x5eedULL + page * 1000 + g;
}

static void write_page(size_t p, unsigned int g)
{
	ckpt_fill_pattern(mem + p * page_size, page_size, seed_of(p, g), 0);
	gen[p] = g;
}

/* The writer: every 13th page over and over, each pass a new round */
static void *writer(void *arg)
{
	unsigned int g = 100;
	size_t p;

	(void)arg;
	while (!writer_stop) {
		for (p = 0; p < NR_PAGES && !writer_stop; p += 13)
			write_page(p, g);
		g = g < 200 ? g + 1 : 100;
	}
	return NULL;
}

static int start_writer(void)
{
	sigset_t all, old;
	int ret;

	/* Signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(&writer_thread, NULL, writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* Round @g: about 1% of the pages, drops, a new mapping */
static void mutate(unsigned int g)
{
	size_t p;
	int fd;

	for (p = 0; p < NR_PAGES; p++)
		if ((p * 7 + g) % 100 == 0)
			write_page(p, g);
	if (g == 1) {
		madvise(mem + 10 * page_size, 10 * page_size, MADV_DONTNEED);
		memset(gen + 10, DROPPED, 10);
		write_page(12, g);
	}
	if (g == 2) {
		extra = mmap(NULL, EXTRA_PAGES * page_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (extra != MAP_FAILED)
			ckpt_fill_pattern(extra, EXTRA_PAGES * page_size,
					  seed_of(NR_PAGES, g), 0);
	}
	if (clear_own && g == 1) {
		fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			ckpt_write_all(fd, "4", 1);
			close(fd);
		}
		/* Soft-dirty again in the task's own eyes */
		write_page(0, g);
	}
}

/* SIGRTMIN: do the round the value says, then answer the sender */
static void round_on_command(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	mutate(si->si_value.sival_int);
	kill(si->si_pid, SIGUSR2);
}

static int check_memory(void)
{
	static const char zero[65536];
	size_t p;
	ssize_t off;

	for (p = 0; p < NR_PAGES; p++) {
		char *page = mem + p * page_size;

		if (gen[p] == DROPPED) {
			if (memcmp(page, zero, page_size)) {
				ckpt_child_note("page %zu was dropped but is not zero", p);
				return 2;
			}
			continue;
		}
		off = ckpt_check_pattern(page, page_size, seed_of(p, gen[p]), 0);
		if (off >= 0) {
			ckpt_child_note("page %zu (round %u) differs at byte %zd",
					p, gen[p], off);
			return 3;
		}
	}
	if (extra && extra != MAP_FAILED &&
	    ckpt_check_pattern(extra, EXTRA_PAGES * page_size,
			       seed_of(NR_PAGES, 2), 0) >= 0) {
		ckpt_child_note("the region mapped in round 2 differs");
		return 4;
	}
	return 0;
}

static int incr_child(void *arg)
{
	struct sigaction sa = {
		.sa_sigaction = round_on_command,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};
	size_t p;

	clear_own = arg == (void *)1;
	page_size = sysconf(_SC_PAGESIZE);
	if (page_size > 65536)
		return 1;
	mem = mmap(NULL, NR_PAGES * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/* Small pages: the rounds' writes are a page each */
	madvise(mem, NR_PAGES * page_size, MADV_NOHUGEPAGE);
	for (p = 0; p < NR_PAGES; p++)
		write_page(p, 0);
	signal(SIGUSR1, ckpt_child_finish_handler);
	if (sigaction(SIGRTMIN, &sa, NULL))
		return 1;
	if (arg == (void *)2 && start_writer())
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (arg == (void *)2) {
		writer_stop = 1;
		pthread_join(writer_thread, NULL);
	}
	return check_memory();
}

static const char *const incr_reasons[] = {
	[1] = "setting up failed",
	[2] = "a dropped page is not zero after restart",
	[3] = "a page differs after restart",
	[4] = "the region mapped in round 2 differs after restart",
};

/*
 * Test side.
 */

struct chain {
	struct ckpt_ctx ctx;
	struct image img[3];
	char path[4][160];	/* the images, and the merged one */
	pid_t pid;
};

static void chain_setup(struct __test_metadata *_metadata, struct chain *self)
{
	int i;

	ckpt_ctx_setup(_metadata, &self->ctx);
	for (i = 0; i < 4; i++)
		snprintf(self->path[i], sizeof(self->path[i]), "%s/%c.img",
			 self->ctx.dir, "ABCM"[i]);
}

static void chain_teardown(struct chain *self)
{
	int i;

	for (i = 0; i < 3; i++) {
		free(self->img[i].data);
		free(self->img[i].recs);
	}
	for (i = 0; i < 4; i++)
		unlink(self->path[i]);
	ckpt_ctx_teardown(&self->ctx);
}

FIXTURE(incr) {
	struct chain c;
};

FIXTURE_SETUP(incr)
{
	chain_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(incr)
{
	chain_teardown(&self->c);
}

static bool wait_ack(pid_t pid)
{
	int64_t deadline = ckpt_now_ns() + WAIT_MS * 1000000LL;
	struct timespec ts = { 0, 50 * 1000000L };
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	while (ckpt_now_ns() < deadline)
		if (sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_pid == pid)
			return true;
	return false;
}

static void do_round(struct __test_metadata *_metadata, pid_t pid, int g)
{
	union sigval v = { .sival_int = g };

	ASSERT_EQ(0, sigqueue(pid, SIGRTMIN, v));
	ASSERT_TRUE(wait_ack(pid)) TH_LOG("task %d did not do round %d", pid, g);
}

/* The first record of @type, flagged optional or not */
static struct ckpt_rec *find_any(struct image *img, uint32_t type)
{
	int i;

	for (i = 0; i < img->nr; i++)
		if ((img->recs[i].type & ~CKPT_REC_OPTIONAL) == type)
			return &img->recs[i];
	return NULL;
}

static struct ckpt_chain *chain_of(struct image *img)
{
	struct ckpt_rec *rec = find_any(img, CKPT_REC_CHAIN);

	return rec && rec->len == sizeof(struct ckpt_chain) ?
	       ckpt_payload(img->data, rec) : NULL;
}

static uint64_t pages_parent(struct image *img)
{
	const struct ckpt_pages_parent *pp;
	uint64_t n = 0;
	int i;

	for (i = 0; i < img->nr; i++) {
		if (img->recs[i].type != CKPT_REC_PAGES_PARENT)
			continue;
		pp = ckpt_payload(img->data, &img->recs[i]);
		n += le32toh(pp->nr_pages);
	}
	return n;
}

static void save_file(struct __test_metadata *_metadata, const char *path,
		      const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ckpt_write_all(fd, data, len));
	close(fd);
}

/* Checkpoint with @flags into image @i, kept in its file */
static void take(struct __test_metadata *_metadata, struct chain *self,
		 int i, unsigned long flags)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, self->pid, flags));
	if (flags & CHECKPOINT_KILL)
		ckpt_reap_killed(_metadata, self->pid);
	read_image(_metadata, &self->ctx, self->pid, &self->img[i]);
	save_file(_metadata, self->path[i], self->img[i].data, self->img[i].len);
}

/* Restart from the file at @path */
static void restart_from(struct __test_metadata *_metadata,
			 struct chain *self, const char *path)
{
	size_t len;
	void *data;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	data = ckpt_slurp(fd, &len);
	close(fd);
	ASSERT_TRUE(!!data);
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, data, len));
	free(data);
	ASSERT_EQ(self->pid, ckpt_restart(_metadata, &self->ctx));
}

static bool have_ckpt(void)
{
	return !access("/usr/bin/ckpt", X_OK) || !access("/bin/ckpt", X_OK);
}

/* Runs ckpt merge -o @out @image..., its output in the notes; returns its status */
static int ckpt_merge(const char *out, const char *c, const char *b, const char *a)
{
	static const char *const fixed[] = { "ckpt", "merge", "-o" };
	posix_spawn_file_actions_t fa;
	const char *argv[8];
	int status = -1;
	pid_t pid;

	memcpy(argv, fixed, sizeof(fixed));
	argv[3] = out;
	argv[4] = c;
	argv[5] = b;
	argv[6] = a;
	argv[7] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, ckpt_note_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (!posix_spawnp(&pid, "ckpt", &fa, NULL, (char **)argv, environ))
		waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	return status;
}

/* The task's soft-dirty bit of page @p of its region, from its pagemap */
static int soft_dirty(pid_t pid, unsigned long addr)
{
	char path[64];
	uint64_t e;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &e, 8, addr / sysconf(_SC_PAGESIZE) * 8);
	close(fd);
	return n == 8 ? !!(e & PM_SOFT_DIRTY) : -1;
}

/* The region's address, from the task's first MM's VMA of its size */
static unsigned long region_of(struct image *img)
{
	const struct ckpt_vma *v = vma_of_size(img, NR_PAGES * sysconf(_SC_PAGESIZE), -1);

	return v ? le64toh(v->start) : 0;
}

TEST_F_TIMEOUT(incr, chain_of_three_restores_byte_for_byte, 240)
{
	struct chain *ch = &self->c;
	enum ckpt_outcome outcome;
	struct ckpt_chain *a, *b, *c;

	if (!have_ckpt())
		SKIP(return, "no ckpt command to merge the chain with");
	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, NULL);

	take(_metadata, ch, 0, CHECKPOINT_TRACK);
	a = chain_of(&ch->img[0]);
	ASSERT_TRUE(a && a->id && !a->parent) TH_LOG("a tracked image names itself, no parent");
	ASSERT_TRUE(ckpt_log_contains(&ch->ctx, "writes are tracked from image"));
	ASSERT_EQ(0UL, pages_parent(&ch->img[0]));

	do_round(_metadata, ch->pid, 1);
	take(_metadata, ch, 1, CHECKPOINT_TRACK | CHECKPOINT_INCREMENTAL);
	b = chain_of(&ch->img[1]);
	ASSERT_TRUE(b && b->id && b->parent == a->id)
		TH_LOG("the second image's parent is not the first");
	EXPECT_LT((uint64_t)NR_PAGES * 9 / 10, pages_parent(&ch->img[1]));
	EXPECT_GT(ch->img[0].len / 8, ch->img[1].len)
		TH_LOG("the incremental image has %zu bytes, the full one %zu",
		       ch->img[1].len, ch->img[0].len);

	do_round(_metadata, ch->pid, 2);
	take(_metadata, ch, 2, CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL);
	c = chain_of(&ch->img[2]);
	ASSERT_TRUE(c && c->parent == b->id);
	EXPECT_GT(ch->img[0].len / 4, ch->img[2].len);

	/* restart(2) alone cannot read it */
	outcome = restart_from_broken_image(_metadata, &ch->ctx, ch->img[2].data,
					    ch->img[2].len, ch->pid, EINVAL,
					    "an incremental image");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&ch->ctx, "merge them first"));

	ASSERT_EQ(0, ckpt_merge(ch->path[3], ch->path[2], ch->path[1], ch->path[0])) {
		ckpt_dump_file(_metadata, "ckpt merge", ckpt_note_path, 20);
	}
	restart_from(_metadata, ch, ch->path[3]);
	ckpt_finish(_metadata, ch->pid, CKPT_REASONS(incr_reasons));
}

/*
 * Pre-dumps copy the memory while a thread rewrites it: whatever they
 * catch half-written is written again by the images after them.
 */
TEST_F_TIMEOUT(incr, predumps_while_writing_restore_byte_for_byte, 240)
{
	struct chain *ch = &self->c;
	enum ckpt_outcome outcome;
	struct ckpt_chain *a, *b, *c;

	if (!have_ckpt())
		SKIP(return, "no ckpt command to merge the chain with");
	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, (void *)2);

	take(_metadata, ch, 0, CHECKPOINT_PREDUMP);
	a = chain_of(&ch->img[0]);
	ASSERT_TRUE(a && a->id && !a->parent);
	ASSERT_TRUE(ckpt_log_contains(&ch->ctx, "pre-dump: the tasks run again after"));
	ASSERT_EQ(NULL, find_rec(&ch->img[0], CKPT_REC_TREE)) TH_LOG("a pre-dump has no tasks");
	ASSERT_TRUE(!!find_rec(&ch->img[0], CKPT_REC_PAGES));
	ASSERT_TRUE(ckpt_child_running(ch->pid));

	ckpt_sleep_ms(200);
	take(_metadata, ch, 1, CHECKPOINT_PREDUMP | CHECKPOINT_INCREMENTAL);
	b = chain_of(&ch->img[1]);
	ASSERT_TRUE(b && b->parent == a->id);
	EXPECT_LT(0UL, pages_parent(&ch->img[1]));

	ckpt_sleep_ms(200);
	take(_metadata, ch, 2, CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL);
	c = chain_of(&ch->img[2]);
	ASSERT_TRUE(c && c->parent == b->id);

	/* A pre-dump alone is memory only */
	outcome = restart_from_broken_image(_metadata, &ch->ctx, ch->img[0].data,
					    ch->img[0].len, ch->pid, EINVAL, "a pre-dump");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
	ASSERT_TRUE(ckpt_log_contains(&ch->ctx, "memory only"));

	ASSERT_EQ(0, ckpt_merge(ch->path[3], ch->path[2], ch->path[1], ch->path[0])) {
		ckpt_dump_file(_metadata, "ckpt merge", ckpt_note_path, 20);
	}
	restart_from(_metadata, ch, ch->path[3]);
	ckpt_finish(_metadata, ch->pid, CKPT_REASONS(incr_reasons));
}

TEST_F_TIMEOUT(incr, own_soft_dirty_use_is_left_alone, 180)
{
	struct chain *ch = &self->c;
	unsigned long region;
	struct ckpt_chain *b;
	size_t ps = sysconf(_SC_PAGESIZE);

	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, (void *)1);
	take(_metadata, ch, 0, CHECKPOINT_TRACK);
	region = region_of(&ch->img[0]);
	ASSERT_NE(0UL, region);
	/* The task clears its bits, then writes page 0 only */
	do_round(_metadata, ch->pid, 1);
	ASSERT_EQ(1, soft_dirty(ch->pid, region));
	ASSERT_EQ(0, soft_dirty(ch->pid, region + 50 * ps));

	take(_metadata, ch, 1, CHECKPOINT_TRACK | CHECKPOINT_INCREMENTAL);
	b = chain_of(&ch->img[1]);
	ASSERT_TRUE(b && !b->parent) TH_LOG("the image must be complete");
	EXPECT_EQ(0UL, pages_parent(&ch->img[1]));
	/* Its bits are as it left them */
	EXPECT_EQ(1, soft_dirty(ch->pid, region));
	EXPECT_EQ(0, soft_dirty(ch->pid, region + 50 * ps));

	ckpt_kill_and_restart(_metadata, &ch->ctx, ch->pid);
	ckpt_finish(_metadata, ch->pid, CKPT_REASONS(incr_reasons));
}

TEST_F_TIMEOUT(incr, untracked_incremental_is_complete, 120)
{
	struct chain *ch = &self->c;
	struct ckpt_chain *a;

	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, NULL);
	do_round(_metadata, ch->pid, 1);
	take(_metadata, ch, 0, CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL);
	a = chain_of(&ch->img[0]);
	ASSERT_TRUE(a && a->id && !a->parent);
	ASSERT_TRUE(!!find_rec(&ch->img[0], CKPT_REC_CHAIN | CKPT_REC_OPTIONAL))
		TH_LOG("a complete image's CHAIN must be optional");
	EXPECT_EQ(0UL, pages_parent(&ch->img[0]));
	ASSERT_EQ(ch->pid, ckpt_restart(_metadata, &ch->ctx));
	ckpt_finish(_metadata, ch->pid, CKPT_REASONS(incr_reasons));
}

TEST_F(incr, track_and_kill_is_invalid)
{
	struct chain *ch = &self->c;

	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, NULL);
	EXPECT_EQ(-1, sys_checkpoint(ch->pid, ch->ctx.image_fd,
				     CHECKPOINT_TRACK | CHECKPOINT_KILL,
				     ch->ctx.log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_checkpoint(ch->pid, ch->ctx.image_fd,
				     CHECKPOINT_STOP | CHECKPOINT_KILL, ch->ctx.log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_checkpoint(ch->pid, ch->ctx.image_fd,
				     CHECKPOINT_PREDUMP | CHECKPOINT_KILL, ch->ctx.log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(ckpt_child_running(ch->pid));
}

/* The state letter of @pid in /proc/PID/stat, or 0 */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static bool wait_state(pid_t pid, char want, bool is)
{
	int i;

	for (i = 0; i < 500; i++) {
		if ((state_of(pid) == want) == is)
			return true;
		ckpt_sleep_ms(10);
	}
	return false;
}

/* The last image of a migration leaves the tasks stopped, not killed */
TEST_F_TIMEOUT(incr, stop_leaves_the_tasks_stopped, 120)
{
	struct chain *ch = &self->c;

	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, NULL);
	take(_metadata, ch, 0, CHECKPOINT_STOP);
	ASSERT_TRUE(wait_state(ch->pid, 'T', true))
		TH_LOG("task %d is in state %c, not stopped", ch->pid, state_of(ch->pid));
	ASSERT_EQ(0, kill(ch->pid, SIGCONT));
	ASSERT_TRUE(wait_state(ch->pid, 'T', false));
	ckpt_finish(_metadata, ch->pid, CKPT_REASONS(incr_reasons));
}

/* Broken chain records make restart fail cleanly */
enum chain_damage { CHAIN_SHORT, CHAIN_PARENT_SET, PARENT_PAGES_IN_COMPLETE };

FIXTURE(damaged) {
	struct chain c;
};

FIXTURE_VARIANT(damaged) {
	enum chain_damage what;
};

FIXTURE_VARIANT_ADD(damaged, chain_short) { .what = CHAIN_SHORT };
FIXTURE_VARIANT_ADD(damaged, chain_parent_set) { .what = CHAIN_PARENT_SET };
FIXTURE_VARIANT_ADD(damaged, parent_pages_in_complete) {
	.what = PARENT_PAGES_IN_COMPLETE,
};

FIXTURE_SETUP(damaged)
{
	chain_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(damaged)
{
	chain_teardown(&self->c);
}

TEST_F_TIMEOUT(damaged, restart_fails_cleanly, 180)
{
	struct chain *ch = &self->c;
	struct image *img = &ch->img[1];
	struct ckpt_rec_hdr *h;
	struct ckpt_chain *cr;
	enum ckpt_outcome outcome;
	struct ckpt_rec *rec;
	unsigned long flags = CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL;

	ch->pid = ckpt_spawn(_metadata, &ch->ctx, incr_child, NULL);
	if (variant->what == PARENT_PAGES_IN_COMPLETE) {
		take(_metadata, ch, 0, CHECKPOINT_TRACK);
		do_round(_metadata, ch->pid, 1);
	}
	take(_metadata, ch, 1, flags);
	rec = find_any(img, CKPT_REC_CHAIN);
	ASSERT_TRUE(!!rec);
	h = (void *)(img->data + rec->off);
	cr = ckpt_payload(img->data, rec);
	switch (variant->what) {
	case CHAIN_SHORT:
		/* 8 bytes: the id, then the parent read as the next header */
		h->len = htole32(8);
		break;
	case CHAIN_PARENT_SET:
		cr->parent = htole64(0x1234);
		h->type = htole32(CKPT_REC_CHAIN);
		break;
	case PARENT_PAGES_IN_COMPLETE:
		/* Said complete, it still has PAGES_PARENT records */
		ASSERT_LT(0UL, pages_parent(img));
		cr->parent = 0;
		break;
	}
	trailer_of(img, img->data)->crc32c =
		htole32(crc32c(img->data, img->recs[img->nr - 1].off));
	outcome = restart_from_broken_image(_metadata, &ch->ctx, img->data,
					    img->len, ch->pid, EINVAL,
					    "a damaged chain record");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
}

TEST_HARNESS_MAIN
