// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy restart: an image written with CHECKPOINT_LAZY has a PAGES_CRC
 * after each PAGES record; restart(2) with RESTART_LAZY returns before
 * the private anonymous memory is in, and each run of pages (one PAGES
 * record) is read from the image, checked and mapped when it is first
 * touched, the rest in the background.
 *
 * Every check is the restored task's own: it fills a region with a
 * pattern that differs at every word, has a region it never touched, one
 * it zeroed by writing, a heap and a stack, and once restored it checks
 * every byte of them, after doing what the test is about (MADV_DONTNEED
 * and MADV_FREE of pages not fetched yet, a fork, being checkpointed
 * again, registering with userfaultfd); a region that had transparent
 * huge pages has them again once all is in.  A run whose bytes do not match
 * their PAGES_CRC is never mapped: touching it is a SIGBUS
 * (BUS_MCEERR_AR, as for memory lost to a hardware error, or BUS_ADRERR
 * without CONFIG_MEMORY_FAILURE), and the other runs are still right.
 *
 * PAGES_FILE records, whose contents are in a file the caller gives
 * (CKPT_EXT_PAGES), as `ckpt` writes them to restart a chain of images
 * without copying its pages: the same image rewritten so, its pages in
 * the original image, restores every byte, eagerly and lazily; a wrong
 * CRC, an offset past the file's end, a file not given or not regular,
 * an image cut in or after such a record fail restart cleanly.
 */
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#include "ckpt_image.h"

/* From a kernel whose exported headers predate lazy restart */
#ifndef CHECKPOINT_LAZY
#define CHECKPOINT_LAZY		(1UL << 9)
#define RESTART_LAZY		(1UL << 4)
#define CKPT_REC_PAGES_CRC	78
struct ckpt_pages_crc {
	__le32 crc;
	__le32 __pad;
};
#endif
#ifndef CKPT_EXT_PAGES
#define CKPT_EXT_PAGES		7
#define CKPT_REC_PAGES_FILE	79
struct ckpt_pages_file {
	__le64 addr;
	__le64 offset;
	__le32 nr_pages;
	__le32 crc;
	__le32 file;
	__le32 __pad;
};
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR		4
#endif

#define MIB			(1UL << 20)
#define BIG_REGION		(64 * MIB)	/* the main case */
#define SMALL_REGION		(8 * MIB)	/* the others: 32 runs of up to 1 MiB */
#define SIDE_REGION		MIB		/* untouched, zeroed, dropped, freed */
#define HEAP_BLOCKS		8
#define HEAP_BLOCK		(16 << 10)	/* below malloc's mmap threshold: brk */
#define STACK_WORDS		8192		/* 64 KiB of the child's stack */
#define WAIT_MS			60000

enum lazy_mode {
	LAZY_VERIFY,		/* check everything */
	LAZY_DROP,		/* MADV_DONTNEED and MADV_FREE first, then check */
	LAZY_FORK,		/* fork at once: both check everything */
	LAZY_DAMAGED,		/* told of a bad run: check the rest, maybe touch it */
	LAZY_HUGE,		/* 2 MiB aligned: check, then its huge pages come back */
	LAZY_UFFD,		/* register the region with userfaultfd, then check */
};

struct lazy_params {
	enum lazy_mode mode;
	size_t region_size;
};

/*
 * The child's state, in its own memory, saved with it.  The region is
 * between two PROT_NONE guard pages, so that its VMA is its own: the
 * test finds it in the image by its size.
 */
static size_t page_size;
static size_t region_size;
static char *region;
static char *untouched;
static char *zeroed;
static uint64_t *heap[HEAP_BLOCKS];
static uint64_t seed;

/* The damaged run, from the test (LAZY_DAMAGED), in pages of the region */
static volatile sig_atomic_t damaged_value;
static volatile sig_atomic_t damaged_known;
static char *bad_start, *bad_end;

/* The pages of the region not to check: [first, first + nr) twice */
struct skip {
	size_t first[2];
	size_t nr[2];
};

/*
 * sigqueue() value of LAZY_DAMAGED: the run's first page in the region,
 * its number of pages, and whether to touch it
 */
#define DAMAGED_FIRST(v)	((size_t)(v) & 0xffff)
#define DAMAGED_NR(v)		(((size_t)(v) >> 16) & 0x3ff)
#define DAMAGED_TOUCH		(1 << 26)

static const char *const lazy_reasons[] = {
	[1] = "setting up failed",
	[2] = "a page of the region differs",
	[3] = "the region never touched is not zero",
	[4] = "the region zeroed by writing is not zero",
	[5] = "a heap block differs",
	[6] = "the stack differs",
	[7] = "a page dropped with MADV_DONTNEED is not zero",
	[8] = "a page of MADV_FREE is neither zero nor what it was",
	[9] = "madvise() failed",
	[10] = "fork() failed",
	[11] = "waiting for the forked child failed",
	[12] = "SIGBUS, but its si_code is neither BUS_MCEERR_AR nor BUS_ADRERR",
	[13] = "a page of the damaged run could be read",
	[14] = "SIGBUS, but at an address outside the damaged run",
	[15] = "the forked child died of a signal",
	[16] = "userfaultfd() or its UFFDIO_API or UFFDIO_REGISTER failed",
	[17] = "UFFDIO_COPY onto a page of the image did not fail with EEXIST",
	[18] = "the region had huge pages, and none came back within 30 s",
	[19] = "THP is \"always\", but the region had no huge page before the checkpoint",
	[22] = "the forked child: a page of the region differs",
	[23] = "the forked child: the region never touched is not zero",
	[24] = "the forked child: the region zeroed by writing is not zero",
	[25] = "the forked child: a heap block differs",
	[26] = "the forked child: the stack differs",
};

static bool skipped(const struct skip *s, size_t p)
{
	int i;

	for (i = 0; s && i < 2; i++)
		if (p >= s->first[i] && p < s->first[i] + s->nr[i])
			return true;
	return false;
}

static bool page_is_zero(const char *page)
{
	const uint64_t *w = (const void *)page;
	size_t i;

	for (i = 0; i < page_size / 8; i++)
		if (w[i])
			return false;
	return true;
}

static bool region_page_ok(size_t p)
{
	return ckpt_check_pattern(region + p * page_size, page_size, seed,
				  p * page_size / 8) < 0;
}

/* Every byte the child set, but the pages of the region in @s; 0 or a reason */
static int check_all(const uint64_t *stack, const struct skip *s)
{
	size_t p;
	int i;

	for (p = 0; p < region_size / page_size; p++) {
		if (skipped(s, p) || region_page_ok(p))
			continue;
		ckpt_child_note("page %zu of the region (at %p) differs", p,
				region + p * page_size);
		return 2;
	}
	for (p = 0; p < SIDE_REGION / page_size; p++) {
		if (!page_is_zero(untouched + p * page_size)) {
			ckpt_child_note("page %zu of the untouched region is not zero", p);
			return 3;
		}
		if (!page_is_zero(zeroed + p * page_size)) {
			ckpt_child_note("page %zu of the zeroed region is not zero", p);
			return 4;
		}
	}
	for (i = 0; i < HEAP_BLOCKS; i++) {
		if (ckpt_check_pattern(heap[i], HEAP_BLOCK, seed + 1 + i, 0) >= 0) {
			ckpt_child_note("heap block %d (at %p) differs", i, heap[i]);
			return 5;
		}
	}
	if (ckpt_check_pattern(stack, STACK_WORDS * 8, seed + 100, 0) >= 0)
		return 6;
	return 0;
}

/* MADV_DONTNEED and MADV_FREE on pages not touched since the restart */
static int drop_then_check(const uint64_t *stack)
{
	size_t drop = region_size / 2 / page_size + 3;	/* not on a run's boundary */
	size_t freed = region_size / 4 / page_size + 5;
	size_t n = SIDE_REGION / page_size, p;
	struct skip s = { { drop, freed }, { n, n } };

	if (madvise(region + drop * page_size, SIDE_REGION, MADV_DONTNEED) ||
	    madvise(region + freed * page_size, SIDE_REGION, MADV_FREE)) {
		ckpt_child_note("madvise: %s", strerror(errno));
		return 9;
	}
	for (p = drop; p < drop + n; p++) {
		if (!page_is_zero(region + p * page_size)) {
			ckpt_child_note("page %zu, dropped, is not zero", p);
			return 7;
		}
	}
	/* Freed pages read as zero once reclaimed, as before until then */
	for (p = freed; p < freed + n; p++) {
		if (!page_is_zero(region + p * page_size) && !region_page_ok(p)) {
			ckpt_child_note("page %zu, freed, is neither zero nor its pattern", p);
			return 8;
		}
	}
	return check_all(stack, &s);
}

/* Fork at once: the new child and this one both check everything */
static int fork_then_check(const uint64_t *stack)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 10;
	if (!pid)
		_exit(check_all(stack, NULL));
	ret = check_all(stack, NULL);
	if (waitpid(pid, &status, 0) != pid)
		return 11;
	if (WIFSIGNALED(status)) {
		ckpt_child_note("the forked child died of signal %d", WTERMSIG(status));
		return 15;
	}
	if (WEXITSTATUS(status))
		return 20 + WEXITSTATUS(status);
	return ret;
}

/*
 * Register the region with userfaultfd at once: its pages must all be
 * there (a missing one would be a SIGBUS), and UFFDIO_COPY over one fail
 */
static int uffd_then_check(const uint64_t *stack)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_SIGBUS };
	struct uffdio_register reg = {
		.range = { (unsigned long)region, region_size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_copy copy = {
		.dst = (unsigned long)region + region_size / 2,
		.src = (unsigned long)zeroed,
		.len = page_size,
	};
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		ckpt_child_note("userfaultfd: %s", strerror(errno));
		return 16;
	}
	if (!ioctl(fd, UFFDIO_COPY, &copy) || errno != EEXIST) {
		ckpt_child_note("UFFDIO_COPY onto a page of the image: %s", strerror(errno));
		return 17;
	}
	return check_all(stack, NULL);
}

static void on_damaged_value(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	damaged_value = si->si_value.sival_int;
	damaged_known = 1;
}

/*
 * SA_RESETHAND: if the SIGBUS is the one expected, the access is made
 * again on return and the default action of SIGBUS ends the child
 */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	char *addr = si->si_addr;

	(void)sig;
	(void)uc;
	if (si->si_code != BUS_MCEERR_AR && si->si_code != BUS_ADRERR) {
		ckpt_child_note("SIGBUS with si_code %d at %p", si->si_code, addr);
		_exit(12);
	}
	if (addr < bad_start || addr >= bad_end) {
		ckpt_child_note("SIGBUS at %p, the damaged run is %p-%p", addr,
				bad_start, bad_end);
		_exit(14);
	}
}

/*
 * Told which run is damaged: check the others, say so to the test, then
 * touch it if told to, which must be a SIGBUS
 */
static int damaged_then_check(const uint64_t *stack)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	struct skip s = { { 0, 0 }, { 0, 0 } };
	volatile char *p;
	sigset_t none;
	int ret;

	/*
	 * SIGRTMIN is blocked but while waiting: one that came between a
	 * test of damaged_known and pause() would leave the child waiting
	 */
	sigemptyset(&none);
	while (!damaged_known)
		sigsuspend(&none);
	s.first[0] = DAMAGED_FIRST(damaged_value);
	s.nr[0] = DAMAGED_NR(damaged_value);
	ret = check_all(stack, &s);
	if (ret)
		return ret;
	kill(getppid(), SIGUSR2);
	if (!(damaged_value & DAMAGED_TOUCH))
		return 0;
	bad_start = region + s.first[0] * page_size;
	bad_end = bad_start + s.nr[0] * page_size;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		return 1;
	p = bad_start + s.nr[0] / 2 * page_size + 7;
	ckpt_child_note("read 0x%02x at %p, in the damaged run", *p, p);
	return 13;
}

#define HUGE_SIZE		(2 * MIB)

static long huge_kb_before;

/* AnonHugePages of the mapping at @region, from /proc/self/smaps; -1 if not found */
static long region_huge_kb(void)
{
	char line[256], want[32];
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)region);
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = true;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Whether transparent huge pages are "always" */
static bool thp_always(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return strstr(buf, "[always]");
}

/*
 * Everything right, then the huge pages the region had (THP "always")
 * come back once all is in, from the background: not one per run
 */
static int huge_then_check(const uint64_t *stack)
{
	int ret = check_all(stack, NULL), i;
	long kb = 0;

	if (ret)
		return ret;
	if (huge_kb_before <= 0)
		return thp_always() ? 19 : 0;
	for (i = 0; i < 300 && (kb = region_huge_kb()) <= 0; i++)
		usleep(100000);
	if (kb <= 0)
		return 18;
	ckpt_child_note("AnonHugePages %ld kB before, %ld kB after", huge_kb_before, kb);
	return check_all(stack, NULL);
}

static int lazy_child(void *arg)
{
	const struct lazy_params *lp = arg;
	struct sigaction sa = {
		.sa_sigaction = on_damaged_value,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};
	uint64_t stack[STACK_WORDS];
	sigset_t rt;
	char *base;
	int i;

	page_size = sysconf(_SC_PAGESIZE);
	region_size = lp->region_size;
	seed = 0x1a2b3c4dULL ^ ((uint64_t)getpid() << 32);
	base = mmap(NULL, region_size + 2 * page_size + HUGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	untouched = mmap(NULL, SIDE_REGION, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zeroed = mmap(NULL, SIDE_REGION, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || untouched == MAP_FAILED || zeroed == MAP_FAILED)
		return 1;
	region = base + page_size;
	if (lp->mode == LAZY_HUGE)
		region = (char *)(((uintptr_t)region + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (mprotect(region, region_size, PROT_READ | PROT_WRITE))
		return 1;
	ckpt_fill_pattern(region, region_size, seed, 0);
	ckpt_fill_pattern(zeroed, SIDE_REGION, seed + 200, 0);
	memset(zeroed, 0, SIDE_REGION);
	for (i = 0; i < HEAP_BLOCKS; i++) {
		heap[i] = malloc(HEAP_BLOCK);
		if (!heap[i])
			return 1;
		ckpt_fill_pattern(heap[i], HEAP_BLOCK, seed + 1 + i, 0);
	}
	ckpt_fill_pattern(stack, sizeof(stack), seed + 100, 0);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	if (sigaction(SIGRTMIN, &sa, NULL) || sigprocmask(SIG_BLOCK, &rt, NULL))
		return 1;

	huge_kb_before = region_huge_kb();
	ckpt_child_ready();
	if (lp->mode == LAZY_DAMAGED)
		return damaged_then_check(stack);
	ckpt_child_wait_finish();
	switch (lp->mode) {
	case LAZY_DROP:
		return drop_then_check(stack);
	case LAZY_FORK:
		return fork_then_check(stack);
	case LAZY_UFFD:
		return uffd_then_check(stack);
	case LAZY_HUGE:
		return huge_then_check(stack);
	default:
		return check_all(stack, NULL);
	}
}

static const struct lazy_params big_verify = { LAZY_VERIFY, BIG_REGION };
static const struct lazy_params small_verify = { LAZY_VERIFY, SMALL_REGION };
static const struct lazy_params small_drop = { LAZY_DROP, SMALL_REGION };
static const struct lazy_params small_fork = { LAZY_FORK, SMALL_REGION };
static const struct lazy_params small_damaged = { LAZY_DAMAGED, SMALL_REGION };
static const struct lazy_params small_uffd = { LAZY_UFFD, SMALL_REGION };
static const struct lazy_params small_huge = { LAZY_HUGE, SMALL_REGION };

/*
 * Test side.
 */

FIXTURE(lazy) {
	struct ckpt_ctx ctx;
	struct image img;
	char again_path[160];
	int again_fd;
};

FIXTURE_SETUP(lazy)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* 64 MiB through crc32c twice, under KASAN */
	self->ctx.call_timeout_s = 60;
	self->again_fd = -1;
	snprintf(self->again_path, sizeof(self->again_path), "%s/again.img",
		 self->ctx.dir);
}

FIXTURE_TEARDOWN(lazy)
{
	free(self->img.data);
	free(self->img.recs);
	if (self->again_fd >= 0)
		close(self->again_fd);
	ckpt_ctx_teardown(&self->ctx);
}

static uint32_t rec_type(const struct ckpt_rec *rec)
{
	return rec->type & ~CKPT_REC_OPTIONAL;
}

/* The VMA of the child's region: the ANON one of its size */
static const struct ckpt_vma *region_vma(struct image *img, size_t size)
{
	return vma_of_size(img, size, CKPT_VMA_ANON);
}

static uint64_t pages_addr(struct image *img, int i)
{
	return le64toh(((struct ckpt_pages *)ckpt_payload(img->data, &img->recs[i]))->addr);
}

static uint32_t pages_nr(struct image *img, int i)
{
	return le32toh(((struct ckpt_pages *)ckpt_payload(img->data,
							  &img->recs[i]))->nr_pages);
}

static size_t pages_len(struct image *img, int i)
{
	return (size_t)pages_nr(img, i) * sysconf(_SC_PAGESIZE);
}

/* The page contents of PAGES record @i */
static char *pages_data(struct image *img, int i)
{
	return (char *)ckpt_payload(img->data, &img->recs[i]) + sizeof(struct ckpt_pages);
}

/*
 * The image of a child with a region of @size: every PAGES_CRC is
 * optional, right after a PAGES and holds the CRC of its contents; every
 * PAGES of the region has one.  Returns the number of PAGES_CRC.
 */
static int check_pages_crc(struct __test_metadata *_metadata, struct image *img,
			   size_t size)
{
	const struct ckpt_vma *v = region_vma(img, size);
	const struct ckpt_pages_crc *c;
	uint64_t start, end, addr;
	int i, n = 0;

	ASSERT_TRUE(!!v) TH_LOG("no ANON VMA of %zu bytes in the image", size);
	start = le64toh(v->start);
	end = le64toh(v->end);
	for (i = 1; i < img->nr; i++) {
		if (rec_type(&img->recs[i - 1]) == CKPT_REC_PAGES &&
		    rec_type(&img->recs[i]) != CKPT_REC_PAGES_CRC) {
			addr = pages_addr(img, i - 1);
			ASSERT_FALSE(addr >= start && addr < end)
				TH_LOG("PAGES at %#llx, in the region, has no PAGES_CRC after it",
				       (unsigned long long)addr);
		}
		if (rec_type(&img->recs[i]) != CKPT_REC_PAGES_CRC)
			continue;
		n++;
		ASSERT_EQ(CKPT_REC_PAGES_CRC | CKPT_REC_OPTIONAL, img->recs[i].type)
			TH_LOG("a PAGES_CRC must be marked CKPT_REC_OPTIONAL");
		ASSERT_EQ(sizeof(*c), img->recs[i].len);
		ASSERT_EQ((uint32_t)CKPT_REC_PAGES, img->recs[i - 1].type)
			TH_LOG("a PAGES_CRC at offset %zu is not right after a PAGES",
			       img->recs[i].off);
		c = ckpt_payload(img->data, &img->recs[i]);
		ASSERT_EQ(0U, c->__pad);
		ASSERT_EQ(crc32c(pages_data(img, i - 1), pages_len(img, i - 1)),
			  le32toh(c->crc))
			TH_LOG("the PAGES_CRC at offset %zu does not match its PAGES",
			       img->recs[i].off);
	}
	return n;
}

static int count_pages_crc(struct image *img)
{
	int i, n = 0;

	for (i = 0; i < img->nr; i++)
		n += rec_type(&img->recs[i]) == CKPT_REC_PAGES_CRC;
	return n;
}

/*
 * A lazy restart reads its image after restart(2) returns, from a file
 * nobody may write meanwhile (the kernel denies writes to it, as to a
 * running executable; an image open for writing has its pages read at
 * once): a read-only copy of @fd, unlinked, or -1.
 */
static int read_only_copy(int fd)
{
	char path[] = "/tmp/ckpt_lazy_test.XXXXXX";
	static char buf[1 << 16];
	off_t off = 0;
	ssize_t n;
	int out, ro;

	out = mkstemp(path);
	if (out < 0)
		return -1;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		if (ckpt_write_all(out, buf, n))
			break;
		off += n;
	}
	close(out);
	ro = n ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	return ro;
}

/* The pages the kernel log says restart left in the image */
static unsigned long lazy_pages_in_log(struct ckpt_ctx *ctx)
{
	static char buf[1 << 16];
	unsigned long sum = 0, n;
	const char *at = buf;

	if (ckpt_read_tail(ctx->log_path, buf, sizeof(buf)) < 0)
		return 0;
	while ((at = strstr(at, "copied from another, "))) {
		if (sscanf(at, "copied from another, %lu lazy", &n) == 1)
			sum += n;
		at++;
	}
	return sum;
}

/*
 * restart(2) from the start of @fd with @flags (from a read-only copy
 * with RESTART_LAZY); logs why if it fails
 */
static pid_t restart_from(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			  int fd, unsigned long flags)
{
	int err, rfd = fd;
	long ret;

	if (lseek(fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd)) {
		TH_LOG("cannot rewind the image or empty the log: %s", strerror(errno));
		return -1;
	}
	if (flags & RESTART_LAZY)
		rfd = read_only_copy(fd);
	if (rfd < 0) {
		TH_LOG("cannot copy the image: %s", strerror(errno));
		return -1;
	}
	ret = ckpt_call_restart(ctx, 0, rfd, flags, ctx->log_fd);
	err = errno;
	if (rfd != fd)
		close(rfd);
	errno = err;
	if (ret < 0) {
		err = errno;
		TH_LOG("restart(0, fd, %#lx, logfd) = %ld: %s", flags, ret, strerror(err));
		ckpt_explain_errno(_metadata, "restart(2)", err);
		ckpt_dump_log(_metadata, ctx);
		return -1;
	}
	ckpt_ctx_track(ctx, ret);
	return ret;
}

/* A child with @lp, checkpointed with CHECKPOINT_KILL | @flags, its image read */
static pid_t image_of_child(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			    const struct lazy_params *lp, unsigned long flags,
			    struct image *img)
{
	pid_t pid = ckpt_spawn(_metadata, ctx, lazy_child, (void *)lp);

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL | flags));
	ckpt_reap_killed(_metadata, pid);
	read_image(_metadata, ctx, pid, img);
	return pid;
}

/* Checkpoint with CHECKPOINT_LAZY, restart with RESTART_LAZY */
static pid_t lazy_cycle(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			const struct lazy_params *lp, struct image *img)
{
	pid_t pid = image_of_child(_metadata, ctx, lp, CHECKPOINT_LAZY, img);

	ASSERT_LT(0, check_pages_crc(_metadata, img, lp->region_size));
	ASSERT_EQ(pid, restart_from(_metadata, ctx, ctx->image_fd, RESTART_LAZY))
		TH_LOG("restart() must recreate the task with its saved pid");
	EXPECT_LT(0U, lazy_pages_in_log(ctx))
		TH_LOG("restart read every page: none was left in the image");
	return pid;
}

TEST_F_TIMEOUT(lazy, restored_task_sees_every_byte, 120)
{
	pid_t pid = lazy_cycle(_metadata, &self->ctx, &big_verify, &self->img);

	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(lazy, pages_dropped_before_fetched_read_zero, 90)
{
	pid_t pid = lazy_cycle(_metadata, &self->ctx, &small_drop, &self->img);

	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(lazy, fork_at_once_gives_the_child_every_byte, 90)
{
	pid_t pid = lazy_cycle(_metadata, &self->ctx, &small_fork, &self->img);

	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(lazy, userfaultfd_at_once_finds_every_page_there, 90)
{
	pid_t pid = lazy_cycle(_metadata, &self->ctx, &small_uffd, &self->img);

	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(lazy, huge_pages_come_back_once_all_is_in, 90)
{
	pid_t pid = lazy_cycle(_metadata, &self->ctx, &small_huge, &self->img);

	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(lazy, checkpoint_at_once_saves_every_byte, 120)
{
	struct ckpt_ctx *ctx = &self->ctx;
	pid_t pid = lazy_cycle(_metadata, ctx, &small_verify, &self->img);
	long ret = -1;
	int i;

	/* Not into the lazy image: its pages may still be read from it */
	self->again_fd = open(self->again_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->again_fd) TH_LOG("open %s: %s", self->again_path, strerror(errno));
	/* EAGAIN: the task changed while saved and went on; as ckpt does */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ckpt_reset_file(self->again_fd));
		ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
		ret = ckpt_call_checkpoint(ctx, pid, self->again_fd, CHECKPOINT_KILL,
					   ctx->log_fd);
		if (!ret || errno != EAGAIN)
			break;
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("checkpoint of the lazily restored task: %s", strerror(errno));
		ckpt_dump_log(_metadata, ctx);
	}
	ckpt_reap_killed(_metadata, pid);
	ASSERT_EQ(pid, restart_from(_metadata, ctx, self->again_fd, 0));
	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

static bool wait_ack(pid_t pid)
{
	int64_t deadline = ckpt_now_ns() + WAIT_MS * 1000000LL;
	struct timespec ts = { 0, 50 * 1000000L };
	siginfo_t si;
	sigset_t set;

	struct timespec now = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	while (ckpt_now_ns() < deadline) {
		if (sigtimedwait(&set, &si, &ts) == SIGUSR2 && si.si_pid == pid)
			return true;
		if (!ckpt_child_running(pid))
			break;
	}
	/* It may have said so just before it ended */
	return sigtimedwait(&set, &si, &now) == SIGUSR2 && si.si_pid == pid;
}

static void tell_damaged(struct __test_metadata *_metadata, pid_t pid, int value)
{
	union sigval v = { .sival_int = value };

	ASSERT_EQ(0, sigqueue(pid, SIGRTMIN, v));
}

/*
 * A byte of the contents of one run of the region flipped, the TRAILER
 * left as it was: restart still succeeds, the other runs are right, and
 * touching that one is a SIGBUS
 */
TEST_F_TIMEOUT(lazy, damaged_run_is_sigbus_others_are_right, 120)
{
	struct ckpt_ctx *ctx = &self->ctx;
	struct image *img = &self->img;
	size_t ps = sysconf(_SC_PAGESIZE);
	const struct ckpt_vma *v;
	uint64_t start, mid, addr;
	int i, bad = -1, value, status;
	pid_t pid;

	pid = image_of_child(_metadata, ctx, &small_damaged, CHECKPOINT_LAZY, img);
	v = region_vma(img, SMALL_REGION);
	ASSERT_TRUE(!!v);
	start = le64toh(v->start);
	mid = start + SMALL_REGION / 2;
	for (i = 0; i < img->nr - 1 && bad < 0; i++) {
		if (img->recs[i].type != CKPT_REC_PAGES)
			continue;
		addr = pages_addr(img, i);
		if (addr <= mid && mid < addr + pages_len(img, i))
			bad = i;
	}
	ASSERT_LE(0, bad) TH_LOG("no PAGES record holds the middle of the region");
	ASSERT_EQ((uint32_t)CKPT_REC_PAGES_CRC, rec_type(&img->recs[bad + 1]));
	pages_data(img, bad)[pages_len(img, bad) / 2 + 123] ^= 0x10;
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_write_all(ctx->image_fd, img->data, img->len));
	value = (pages_addr(img, bad) - start) / ps | pages_nr(img, bad) << 16;

	/* Touching it, after checking the others */
	ASSERT_EQ(pid, restart_from(_metadata, ctx, ctx->image_fd, RESTART_LAZY))
		TH_LOG("the contents of a run are checked when it is read, not by restart()");
	EXPECT_LT(0U, lazy_pages_in_log(ctx));
	tell_damaged(_metadata, pid, value | DAMAGED_TOUCH);
	if (!wait_ack(pid)) {
		ckpt_assert_exit_ok(_metadata, ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, false),
				    CKPT_REASONS(lazy_reasons));
		ASSERT_TRUE(false) TH_LOG("the task did not check the other runs");
	}
	status = ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, false);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS) {
		ckpt_assert_exit_ok(_metadata, status, CKPT_REASONS(lazy_reasons));
		ASSERT_TRUE(false) TH_LOG("touching the damaged run must be a SIGBUS");
	}

	/* The same image again, the damaged run left alone: all is well */
	ASSERT_EQ(pid, restart_from(_metadata, ctx, ctx->image_fd, RESTART_LAZY));
	tell_damaged(_metadata, pid, value);
	ckpt_assert_exit_ok(_metadata, ckpt_wait_child(pid, CKPT_EXIT_TIMEOUT_MS, false),
			    CKPT_REASONS(lazy_reasons));
}

/* A byte of a record that is not page contents: the TRAILER's CRC still tells */
TEST_F_TIMEOUT(lazy, damaged_metadata_fails_restart, 90)
{
	struct ckpt_ctx *ctx = &self->ctx;
	struct image *img = &self->img;
	struct ckpt_vma *v;
	enum ckpt_outcome outcome;
	pid_t pid;

	pid = image_of_child(_metadata, ctx, &small_verify, CHECKPOINT_LAZY, img);
	v = (struct ckpt_vma *)region_vma(img, SMALL_REGION);
	ASSERT_TRUE(!!v);
	/* Still a valid VMA: only the checksum can tell */
	v->flags ^= htole32(CKPT_VMA_DONTDUMP);
	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_write_all(ctx->image_fd, img->data, img->len));
	outcome = ckpt_restart_must_fail(_metadata, ctx, 0, ctx->image_fd, RESTART_LAZY,
					 ctx->log_fd, EINVAL, true, pid,
					 "a VMA byte flipped, RESTART_LAZY");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
}

struct pipe_feed {
	int fd;
	const void *data;
	size_t len;
};

static void *feed_pipe(void *arg)
{
	struct pipe_feed *f = arg;

	/* EPIPE once restart(2) has given up: SIGPIPE is ignored */
	ckpt_write_all(f->fd, f->data, f->len);
	close(f->fd);
	return NULL;
}

TEST_F_TIMEOUT(lazy, restart_from_pipe_is_invalid, 90)
{
	struct ckpt_ctx *ctx = &self->ctx;
	struct image *img = &self->img;
	enum ckpt_outcome outcome;
	struct pipe_feed feed;
	pthread_t writer;
	int pfd[2];
	pid_t pid;

	pid = image_of_child(_metadata, ctx, &small_verify, CHECKPOINT_LAZY, img);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	signal(SIGPIPE, SIG_IGN);
	feed = (struct pipe_feed){ .fd = pfd[1], .data = img->data, .len = img->len };
	ASSERT_EQ(0, pthread_create(&writer, NULL, feed_pipe, &feed));
	outcome = ckpt_restart_must_fail(_metadata, ctx, 0, pfd[0], RESTART_LAZY,
					 ctx->log_fd, EINVAL, true, pid,
					 "RESTART_LAZY from a pipe");
	close(pfd[0]);
	pthread_join(writer, NULL);
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
}

TEST_F_TIMEOUT(lazy, image_without_pages_crc_restores_eagerly, 90)
{
	struct ckpt_ctx *ctx = &self->ctx;
	pid_t pid;

	pid = image_of_child(_metadata, ctx, &small_verify, 0, &self->img);
	ASSERT_EQ(0, count_pages_crc(&self->img))
		TH_LOG("an image without CHECKPOINT_LAZY has PAGES_CRC records");
	ASSERT_EQ(pid, restart_from(_metadata, ctx, ctx->image_fd, RESTART_LAZY));
	EXPECT_EQ(0U, lazy_pages_in_log(ctx));
	ckpt_finish(_metadata, pid, CKPT_REASONS(lazy_reasons));
}

TEST_F(lazy, lazy_with_predump_or_incremental_is_invalid)
{
	struct ckpt_ctx *ctx = &self->ctx;
	pid_t pid = ckpt_spawn(_metadata, ctx, ckpt_idle_child, NULL);

	EXPECT_EQ(-1, sys_checkpoint(pid, ctx->image_fd, CHECKPOINT_LAZY | CHECKPOINT_PREDUMP,
				     ctx->log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_checkpoint(pid, ctx->image_fd,
				     CHECKPOINT_LAZY | CHECKPOINT_INCREMENTAL, ctx->log_fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(ckpt_child_running(pid));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* --- PAGES_FILE: the pages in a file the caller gives --- */

enum pf_damage {
	PF_NONE,
	PF_BAD_CRC,		/* the record holding the region's middle */
	PF_PAST_EOF,		/* its offset at the end of the file */
};

static void *pf_put(char *out, size_t *o, uint32_t type, const void *p, uint32_t len)
{
	struct ckpt_rec_hdr hdr = { .type = htole32(type), .len = htole32(len) };

	memcpy(out + *o, &hdr, sizeof(hdr));
	memcpy(out + *o + sizeof(hdr), p, len);
	*o += sizeof(hdr) + len;
	return out + *o - len;
}

/*
 * @img rewritten into @out (as large): each PAGES with a PAGES_CRC after
 * it (those of an MM) becomes a PAGES_FILE naming its contents in @img's
 * file as "pages:0", the one holding @mid damaged as told; a new TRAILER.
 * Returns the length, or 0 if no record holds @mid.
 */
static size_t pages_file_image(struct image *img, char *out, uint64_t mid,
			       enum pf_damage damage)
{
	struct ckpt_image_trailer tr = { 0 };
	struct ckpt_pages_file pf;
	const struct ckpt_pages_crc *c;
	struct ckpt_rec *r;
	bool hit = false;
	uint32_t n = 0;
	size_t o = 0;
	uint64_t addr;
	int i;

	for (i = 0; i < img->nr - 1; i++, n++) {
		r = &img->recs[i];
		if (rec_type(r) == CKPT_REC_PAGES &&
		    rec_type(&img->recs[i + 1]) == CKPT_REC_PAGES_CRC) {
			c = ckpt_payload(img->data, &img->recs[++i]);
			addr = pages_addr(img, i - 1);
			pf = (struct ckpt_pages_file){
				.addr = htole64(addr), .nr_pages = htole32(pages_nr(img, i - 1)),
				.offset = htole64(pages_data(img, i - 1) - img->data),
				.crc = c->crc,
			};
			if (addr <= mid && mid < addr + pages_len(img, i - 1)) {
				hit = true;
				if (damage == PF_BAD_CRC)
					pf.crc ^= htole32(1);
				else if (damage == PF_PAST_EOF)
					pf.offset = htole64(img->len);
			}
			pf_put(out, &o, CKPT_REC_PAGES_FILE, &pf, sizeof(pf));
			continue;
		}
		pf_put(out, &o, r->type, ckpt_payload(img->data, r), r->len);
	}
	tr.crc32c = htole32(crc32c(out, o));
	tr.nr_records = htole32(n);
	tr.size = htole64(o);
	pf_put(out, &o, CKPT_REC_TRAILER, &tr, sizeof(tr));
	return hit ? o : 0;
}

/* A read-only, unlinked file of @len bytes of @data, or -1 */
static int ro_file_of(const void *data, size_t len)
{
	char path[] = "/tmp/ckpt_pages_file.XXXXXX";
	int fd = mkstemp(path), ro = -1;

	if (fd < 0)
		return -1;
	if (!ckpt_write_all(fd, data, len))
		ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	unlink(path);
	return ro;
}

/* restart(2) of @fd with "pages:0" = @pages_fd (none if -1) */
static long restart_pages_file(struct ckpt_ctx *ctx, int fd, int pages_fd,
			       unsigned long flags)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_PAGES, .fd = pages_fd, .key = "pages:0" };
	long ret;

	if (lseek(fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return -1;
	ckpt_watch_start(ctx, "restart(0, fd, RESTART_EXTERNAL, logfd, pages:0, 1)");
	if (pages_fd < 0)
		ret = syscall(__NR_restart, 0, fd, flags, ctx->log_fd);
	else
		ret = syscall(__NR_restart, 0, fd, flags | RESTART_EXTERNAL, ctx->log_fd,
			      &ext, 1);
	if (ckpt_watch_stop() && ret < 0)
		errno = ETIMEDOUT;
	return ret;
}

FIXTURE(pages_file) {
	struct ckpt_ctx ctx;
	struct image img;
	char *out;
	int orig_fd;		/* the image, read-only: "pages:0" */
	int new_fd;		/* the one with PAGES_FILE, read-only */
	pid_t pid;
	uint64_t mid;		/* the region's middle */
};

FIXTURE_SETUP(pages_file)
{
	const struct ckpt_vma *v;

	ckpt_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = 60;
	self->orig_fd = -1;
	self->new_fd = -1;
	self->pid = image_of_child(_metadata, &self->ctx, &small_verify, CHECKPOINT_LAZY,
				   &self->img);
	v = region_vma(&self->img, SMALL_REGION);
	ASSERT_TRUE(!!v);
	self->mid = le64toh(v->start) + SMALL_REGION / 2;
	self->out = malloc(self->img.len);
	ASSERT_TRUE(!!self->out);
	self->orig_fd = ro_file_of(self->img.data, self->img.len);
	ASSERT_LE(0, self->orig_fd) TH_LOG("cannot copy the image: %s", strerror(errno));
}

FIXTURE_TEARDOWN(pages_file)
{
	free(self->img.data);
	free(self->img.recs);
	free(self->out);
	if (self->orig_fd >= 0)
		close(self->orig_fd);
	if (self->new_fd >= 0)
		close(self->new_fd);
	ckpt_ctx_teardown(&self->ctx);
}

/* FIXTURE_DATA(pages_file), for the helpers */
#define pf_self _test_data_pages_file

/* The rewritten image, damaged as told, in self->new_fd */
static void make_pages_file_image(struct __test_metadata *_metadata,
				  struct pf_self *self, enum pf_damage damage)
{
	size_t len = pages_file_image(&self->img, self->out, self->mid, damage);

	ASSERT_LT(0U, len) TH_LOG("no PAGES record holds the middle of the region");
	ASSERT_GT(self->img.len / 2, len) TH_LOG("the pages are still in the image");
	self->new_fd = ro_file_of(self->out, len);
	ASSERT_LE(0, self->new_fd);
}

static void pages_file_restores(struct __test_metadata *_metadata,
				struct pf_self *self, unsigned long flags)
{
	long ret;

	make_pages_file_image(_metadata, self, PF_NONE);
	ret = restart_pages_file(&self->ctx, self->new_fd, self->orig_fd, flags);
	ASSERT_EQ(self->pid, ret) {
		TH_LOG("restart with PAGES_FILE (flags %#lx): %s", flags, strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, ret);
	if (flags & RESTART_LAZY)
		EXPECT_LT(0U, lazy_pages_in_log(&self->ctx))
			TH_LOG("restart read every page: none was left in the file");
	ckpt_finish(_metadata, self->pid, CKPT_REASONS(lazy_reasons));
}

TEST_F_TIMEOUT(pages_file, restores_every_byte, 90)
{
	pages_file_restores(_metadata, self, 0);
}

TEST_F_TIMEOUT(pages_file, restores_every_byte_lazily, 90)
{
	pages_file_restores(_metadata, self, RESTART_LAZY);
}

/* restart(2) must fail with EINVAL, say why, and leave nothing behind */
static void pages_file_fails(struct __test_metadata *_metadata,
			     struct pf_self *self, int pages_fd, const char *why,
			     const char *what)
{
	long ret = restart_pages_file(&self->ctx, self->new_fd, pages_fd, 0);
	int err = errno;

	if (ret >= 0) {
		kill(ret, SIGKILL);
		waitpid(ret, NULL, 0);
	}
	ASSERT_EQ(-1, ret) TH_LOG("%s: restart succeeded", what);
	ASSERT_EQ(EINVAL, err) {
		TH_LOG("%s: %s, not EINVAL", what, strerror(err));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, why)) {
		TH_LOG("%s: the log does not say \"%s\"", what, why);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	EXPECT_TRUE(ckpt_nothing_left(_metadata, self->pid, what));
}

TEST_F_TIMEOUT(pages_file, bad_crc_fails_restart, 90)
{
	make_pages_file_image(_metadata, self, PF_BAD_CRC);
	pages_file_fails(_metadata, self, self->orig_fd, "CRC mismatch", "a wrong CRC");
}

TEST_F_TIMEOUT(pages_file, offset_past_the_end_fails_restart, 90)
{
	make_pages_file_image(_metadata, self, PF_PAST_EOF);
	pages_file_fails(_metadata, self, self->orig_fd, "cannot read", "past the end");
}

/* Cut inside a PAGES_FILE record, or right after one */
TEST_F_TIMEOUT(pages_file, truncated_image_fails_restart, 90)
{
	size_t len = pages_file_image(&self->img, self->out, self->mid, PF_NONE);
	const struct ckpt_rec_hdr *hdr;
	size_t off = 0, cut[2] = { 0, 0 };

	ASSERT_LT(0U, len);
	while (off < len && !cut[0]) {
		hdr = (const void *)(self->out + off);
		if (le32toh(hdr->type) == CKPT_REC_PAGES_FILE) {
			cut[0] = off + sizeof(*hdr) + 12;
			cut[1] = off + sizeof(*hdr) + sizeof(struct ckpt_pages_file);
		}
		off += sizeof(*hdr) + le32toh(hdr->len);
	}
	ASSERT_NE(0U, cut[0]) TH_LOG("no PAGES_FILE record in the rewritten image");
	for (off = 0; off < 2; off++) {
		if (self->new_fd >= 0)
			close(self->new_fd);
		self->new_fd = ro_file_of(self->out, cut[off]);
		ASSERT_LE(0, self->new_fd);
		pages_file_fails(_metadata, self, self->orig_fd, "truncated",
				 off ? "cut after a PAGES_FILE" : "cut inside a PAGES_FILE");
	}
}

TEST_F_TIMEOUT(pages_file, file_missing_or_not_regular_fails_restart, 90)
{
	int pfd[2];

	make_pages_file_image(_metadata, self, PF_NONE);
	pages_file_fails(_metadata, self, -1, "no file pages:0 given", "no file given");
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	pages_file_fails(_metadata, self, pfd[0], "not a regular file", "a pipe given");
	close(pfd[0]);
	close(pfd[1]);
}

TEST_HARNESS_MAIN
