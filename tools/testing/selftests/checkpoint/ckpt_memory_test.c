// SPDX-License-Identifier: GPL-2.0
/*
 * Anonymous memory survives checkpoint and restart byte for byte, with its
 * protections, and untouched memory costs nothing in the image.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "ckpt_util.h"

FIXTURE(memory) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(memory)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	/* 256 MiB go through crc32c twice, under KASAN */
	self->ctx.call_timeout_s = 150;
}

FIXTURE_TEARDOWN(memory)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* Returns the permissions ("rw-p") of the VMA that starts at @start, or NULL */
static const char *vma_perms(void *start)
{
	static char maps[1 << 16];
	char *line, *end, *p;

	if (ckpt_read_file("/proc/self/maps", maps, sizeof(maps)) < 0)
		return NULL;
	for (line = maps; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		if (strtoul(line, &p, 16) != (unsigned long)start)
			continue;
		/* "start-end perms ..." */
		strtoul(p + 1, &p, 16);
		p[5] = '\0';
		return p + 1;
	}
	return NULL;
}

/* Logs where the pattern broke; returns whether it held */
static bool pattern_holds(const char *mem, size_t off, size_t len,
			  uint64_t seed)
{
	ssize_t bad = ckpt_check_pattern(mem + off, len, seed, off / 8);

	if (bad < 0)
		return true;
	ckpt_child_note("word at offset %#zx is %#llx, expected %#llx",
			off + bad, *(unsigned long long *)(mem + off + bad),
			(unsigned long long)ckpt_pattern_word(seed,
							      (off + bad) / 8));
	return false;
}

/*
 * 256 MiB with a pattern: read-write, then 32 MiB read-only, 16 MiB
 * PROT_NONE (written before the mprotect()) and 16 MiB read-write again.
 */
#define BIG_SIZE	(256UL << 20)
#define BIG_RO_OFF	(192UL << 20)
#define BIG_RO_LEN	(32UL << 20)
#define BIG_NONE_OFF	(BIG_RO_OFF + BIG_RO_LEN)
#define BIG_NONE_LEN	(16UL << 20)
#define BIG_TAIL_OFF	(BIG_NONE_OFF + BIG_NONE_LEN)

static const char *const big_reasons[] = {
	[1] = "could not map 256 MiB",
	[2] = "could not mprotect() a range",
	[3] = "a page of a read-write range differs",
	[4] = "the read-only range is not a read-only VMA any more",
	[5] = "a page of the read-only range differs",
	[6] = "the PROT_NONE range is not a PROT_NONE VMA any more",
	[7] = "a page of the PROT_NONE range differs",
};

static uint64_t big_seed;

static int big_child(void *arg)
{
	const char *perms;
	char *mem;

	(void)arg;
	mem = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	big_seed = 0xb16b00b5ULL ^ getpid();
	ckpt_fill_pattern(mem, BIG_SIZE, big_seed, 0);
	if (mprotect(mem + BIG_RO_OFF, BIG_RO_LEN, PROT_READ) ||
	    mprotect(mem + BIG_NONE_OFF, BIG_NONE_LEN, PROT_NONE))
		return 2;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (!pattern_holds(mem, 0, BIG_RO_OFF, big_seed) ||
	    !pattern_holds(mem, BIG_TAIL_OFF, BIG_SIZE - BIG_TAIL_OFF,
			   big_seed))
		return 3;
	perms = vma_perms(mem + BIG_RO_OFF);
	if (!perms || strcmp(perms, "r--p")) {
		ckpt_child_note("read-only range: %s", perms ?: "no VMA");
		return 4;
	}
	if (!pattern_holds(mem, BIG_RO_OFF, BIG_RO_LEN, big_seed))
		return 5;
	perms = vma_perms(mem + BIG_NONE_OFF);
	if (!perms || strcmp(perms, "---p")) {
		ckpt_child_note("PROT_NONE range: %s", perms ?: "no VMA");
		return 6;
	}
	if (mprotect(mem + BIG_NONE_OFF, BIG_NONE_LEN, PROT_READ))
		return 2;
	if (!pattern_holds(mem, BIG_NONE_OFF, BIG_NONE_LEN, big_seed))
		return 7;
	return 0;
}

/* The child, the image in tmpfs and the restored copy must fit together */
static long mem_available_mib(void)
{
	static char meminfo[8192];
	char *p;

	if (ckpt_read_file("/proc/meminfo", meminfo, sizeof(meminfo)) < 0)
		return -1;
	p = strstr(meminfo, "MemAvailable:");
	return p ? strtol(p + strlen("MemAvailable:"), NULL, 10) / 1024 : -1;
}

TEST_F_TIMEOUT(memory, anonymous_256mib_survive_byte_for_byte, 180)
{
	long avail = mem_available_mib();
	pid_t pid;

	if (avail >= 0 && avail < 3 * (long)(BIG_SIZE >> 20))
		SKIP(return, "needs %ld MiB of free memory, %ld available",
		     3 * (long)(BIG_SIZE >> 20), avail);
	pid = ckpt_spawn(_metadata, &self->ctx, big_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(big_reasons));
}

/*
 * A 1 GiB mapping of which 10 pages were written: those pages and the VMA
 * are all the image should grow by.
 */
#define SPARSE_SIZE	(1UL << 30)
#define SPARSE_PAGES	10
#define SPARSE_SLACK	(1L << 20)

static const char *const sparse_reasons[] = {
	[1] = "could not map 1 GiB",
	[2] = "a written page differs",
	[3] = "a page never written is not zero",
};

static bool all_zero(const char *p, size_t len, size_t *bad)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i]) {
			*bad = i;
			return false;
		}
	}
	return true;
}

static size_t sparse_page_off(int i, size_t page)
{
	/* Spread out, and not all at the same offset in a page table */
	return i * (SPARSE_SIZE / SPARSE_PAGES) + i * 7 * page;
}

static int sparse_child(void *arg)
{
	size_t page = sysconf(_SC_PAGESIZE), off, bad;
	char *mem;
	int i;

	(void)arg;
	mem = mmap(NULL, SPARSE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/*
	 * A transparent huge page would make a whole 2 MiB written memory;
	 * where there are none this fails, which is fine.
	 */
	madvise(mem, SPARSE_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < SPARSE_PAGES; i++) {
		off = sparse_page_off(i, page);
		ckpt_fill_pattern(mem + off, page, getpid(), off / 8);
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	for (i = 0; i < SPARSE_PAGES; i++) {
		off = sparse_page_off(i, page);
		if (!pattern_holds(mem, off, page, getpid()))
			return 2;
	}
	/* The pages after the written ones, and some far from them */
	for (i = 0; i < SPARSE_PAGES + 16; i++) {
		if (i < SPARSE_PAGES)
			off = sparse_page_off(i, page) + page;
		else
			off = (i - SPARSE_PAGES) * (SPARSE_SIZE / 16) + 3 * page;
		if (!all_zero(mem + off, page, &bad)) {
			ckpt_child_note("byte at %#zx is %#x", off + bad,
					mem[off + bad]);
			return 3;
		}
	}
	return 0;
}

static off_t image_size(struct __test_metadata *_metadata,
			struct ckpt_ctx *ctx)
{
	struct stat st;

	ASSERT_EQ(0, fstat(ctx->image_fd, &st));
	return st.st_size;
}

TEST_F_TIMEOUT(memory, untouched_pages_of_1gib_mapping_stay_out_of_image, 90)
{
	off_t baseline, sparse;
	pid_t pid;

	/* The same task without the mapping */
	pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid,
				     CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	baseline = image_size(_metadata, &self->ctx);

	pid = ckpt_spawn(_metadata, &self->ctx, sparse_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	sparse = image_size(_metadata, &self->ctx);
	ASSERT_LT(sparse, baseline + SPARSE_SLACK)
		TH_LOG("image with 10 of 1 GiB written: %lld bytes, without: %lld",
		       (long long)sparse, (long long)baseline);
	ckpt_finish(_metadata, pid, CKPT_REASONS(sparse_reasons));
}

TEST_HARNESS_MAIN
