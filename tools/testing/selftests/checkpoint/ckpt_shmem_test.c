// SPDX-License-Identifier: GPL-2.0
/*
 * Every kind of memory mapping across checkpoint and restart: shared file
 * mappings, shared anonymous memory between processes, memfds and their
 * seals, locked memory, madvise() state, and private memory shared
 * copy-on-write since fork.  Each test checks what the restored processes
 * observe.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/stat.h>
#include <ctype.h>

#include "ckpt_image.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC		0x0001U
#define MFD_ALLOW_SEALING	0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS		1033
#define F_GET_SEALS		1034
#define F_SEAL_SEAL		0x0001
#define F_SEAL_SHRINK		0x0002
#define F_SEAL_GROW		0x0004
#define F_SEAL_WRITE		0x0008
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		0x01
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT		4
#endif

#define PAGES		8
#define WAIT_MS		30000	/* TCG guests on a loaded host are slow */

static size_t page_size;

FIXTURE(shmem) {
	struct ckpt_ctx ctx;
	char path[160];
	key_t key;
};

FIXTURE_SETUP(shmem)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
	snprintf(self->path, sizeof(self->path), "%s/data", self->ctx.dir);
	page_size = sysconf(_SC_PAGESIZE);
	self->key = 0x43500000 + getpid() % 0x10000;
}

FIXTURE_TEARDOWN(shmem)
{
	int id;

	ckpt_ctx_teardown(&self->ctx);
	/* A SysV segment outlives its processes */
	id = shmget(self->key, 0, 0);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
}

/* Fills page @i of @p with bytes @seed + @i */
static void fill_page(char *p, int i, int seed)
{
	memset(p + i * page_size, (seed + i) & 0xff, page_size);
}

/* Whether page @i of @p is all @seed + @i; notes the first difference */
static bool page_is(const char *p, int i, int seed, const char *what)
{
	const char *q = p + i * page_size;
	size_t j;

	for (j = 0; j < page_size; j++) {
		if ((unsigned char)q[j] != ((seed + i) & 0xff)) {
			ckpt_child_note("%s: page %d byte %zu is %#x, expected %#x",
					what, i, j, (unsigned char)q[j],
					(seed + i) & 0xff);
			return false;
		}
	}
	return true;
}

/* Polls *@word until it is @val, for at most WAIT_MS */
static bool wait_word(volatile uint64_t *word, uint64_t val)
{
	int64_t deadline = ckpt_now_ns() + WAIT_MS * 1000000LL;

	while (*word != val) {
		if (ckpt_now_ns() > deadline)
			return false;
		ckpt_sleep_ms(1);
	}
	return true;
}

/* Tells child @pid to finish and returns its exit code (or 99) */
static int finish_child(pid_t pid)
{
	int status, i;

	for (i = 0; i < 500; i++) {
		kill(pid, SIGUSR1);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
		ckpt_sleep_ms(20);
	}
	return 99;
}

/* The /proc/self/smaps entry of the VMA that holds @addr, or NULL */
static char *smaps_entry(void *addr)
{
	static char smaps[1 << 17];
	char *line, *end, *entry = NULL;

	if (ckpt_read_file("/proc/self/smaps", smaps, sizeof(smaps)) < 0)
		return NULL;
	for (line = smaps; *line; line = end) {
		end = strchrnul(line, '\n');
		/* A header line: "start-end perms ..." */
		if (isxdigit((unsigned char)*line) && !isupper((unsigned char)*line)) {
			if (entry)
				break;
			char *p;
			unsigned long start = strtoul(line, &p, 16);

			if (start <= (unsigned long)addr &&
			    strtoul(p + 1, NULL, 16) > (unsigned long)addr)
				entry = line;
		} else if (strncmp(line, "VmFlags:", 8) == 0 && entry) {
			*end = '\0';
			return entry;
		}
		if (*end)
			end++;
	}
	return entry;
}

/* Whether the VMA holding @start has VmFlags flag @flag ("lo", "wf", ...) */
static bool vma_has_flag(void *start, const char *flag)
{
	char *e = smaps_entry(start);
	char *f = e ? strstr(e, "VmFlags:") : NULL;

	if (!f)
		return false;
	for (f += 8; *f; ) {
		while (*f == ' ')
			f++;
		if (!strncmp(f, flag, 2) && (f[2] == ' ' || !f[2] || f[2] == '\n'))
			return true;
		while (*f && *f != ' ')
			f++;
	}
	return false;
}

/* The "Locked:" value of the VMA holding @start in kB, or -1 */
static long vma_locked_kb(void *start)
{
	char *e = smaps_entry(start);
	char *l = e ? strstr(e, "\nLocked:") : NULL;

	if (!l)
		return -1;
	return strtol(l + 8, NULL, 10);
}

/* ---- MAP_SHARED file mappings ---- */

static const char *const shared_file_reasons[] = {
	[1] = "setup failed",
	[2] = "the private mapping lost its written pages",
	[3] = "the private mapping does not show the file where it was not written",
	[4] = "the shared mapping does not show the file",
	[5] = "a write through the shared mapping after restart is not in the file",
	[6] = "a write through the private mapping reached the file",
	[7] = "the mappings are not private and shared as before",
	[10] = "the child with the shared mapping failed (+ its code)",
};

/*
 * Child: maps the file MAP_SHARED, writes page 1 through the mapping
 * before the checkpoint, page 2 after the restart, and checks with pread().
 */
static int shared_file_child(int fd, const char *path)
{
	char *buf = malloc(page_size);
	char *shared;
	int i;

	(void)path;
	shared = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED || !buf)
		return 1;
	fill_page(shared, 1, 0x40);
	ckpt_child_wait_finish();
	if (!vma_has_flag(shared, "sh"))
		return 7;
	for (i = 0; i < PAGES; i++)
		if (!page_is(shared, i, i == 1 ? 0x40 : 0x10, "shared"))
			return 4;
	fill_page(shared, 2, 0x60);
	if (pread(fd, buf, page_size, 2 * page_size) != (ssize_t)page_size ||
	    !page_is(buf, 0, 0x62, "pread after restart"))
		return 5;
	return 0;
}

static int shared_file_root(void *arg)
{
	const char *path = arg;
	char *buf, *priv;
	pid_t child;
	int fd, i, ret;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	buf = malloc(PAGES * page_size);
	if (fd < 0 || !buf)
		return 1;
	for (i = 0; i < PAGES; i++)
		fill_page(buf, i, 0x10);
	if (write(fd, buf, PAGES * page_size) != (ssize_t)(PAGES * page_size))
		return 1;
	priv = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE, fd, 0);
	if (priv == MAP_FAILED)
		return 1;
	fill_page(priv, 3, 0x20);
	fill_page(priv, 5, 0x20);

	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		ckpt_child_finish = 0;
		_exit(shared_file_child(fd, path));
	}
	/* The child is ready once its write through the mapping is in */
	for (i = 0; i < 1000; i++) {
		if (pread(fd, buf, page_size, page_size) == (ssize_t)page_size &&
		    (unsigned char)buf[0] == 0x41)
			break;
		ckpt_sleep_ms(5);
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (!page_is(priv, 3, 0x20, "private") || !page_is(priv, 5, 0x20, "private"))
		return 2;
	for (i = 0; i < PAGES; i++) {
		if (i == 3 || i == 5)
			continue;
		/* The child's page 1, written before we saw it, shows through */
		if (!page_is(priv, i, i == 1 ? 0x40 : 0x10, "private, unwritten"))
			return 3;
	}
	if (vma_has_flag(priv, "sh"))
		return 7;
	ret = finish_child(child);
	if (ret)
		return 10 + ret;
	/* The private pages never reached the file */
	if (pread(fd, buf, PAGES * page_size, 0) != (ssize_t)(PAGES * page_size))
		return 6;
	if (!page_is(buf, 3, 0x10, "file") || !page_is(buf, 2, 0x60, "file"))
		return 6;
	return 0;
}

TEST_F_TIMEOUT(shmem, shared_file_mapping_writes_reach_the_file_after_restart, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, shared_file_root, self->path);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(shared_file_reasons));
}

/* ---- shared anonymous memory ---- */

static const char *const anon_shared_reasons[] = {
	[1] = "setup failed",
	[2] = "the shared memory lost its contents",
	[3] = "the child's value never came through the shared memory",
	[4] = "the mapping is not shared anonymous memory any more",
	[10] = "the child failed (+ its code)",
};

#define WORD_PARENT	0
#define WORD_CHILD	1

/*
 * 600 pages, written in two runs with a hole between: more than one
 * batch (CKPT_PAGES_MAX) of PAGES, and holes that cost nothing.
 */
#define ANON_PAGES	600
#define ANON_RUN2	300

static bool anon_written(int i)
{
	return (i >= 1 && i < PAGES) || i >= ANON_RUN2;
}

static bool anon_shared_holds(const char *p, const char *who)
{
	int i;

	for (i = 1; i < ANON_PAGES; i++) {
		if (anon_written(i) ? !page_is(p, i, 0x30, who) :
				      p[i * page_size] || p[(i + 1) * page_size - 1]) {
			ckpt_child_note("%s: page %d is wrong", who, i);
			return false;
		}
	}
	return true;
}

static int anon_shared_child(uint64_t *shm)
{
	ckpt_child_wait_finish();
	if (!anon_shared_holds((char *)shm, "child"))
		return 2;
	/* The parent's value after restart, then ours */
	if (!wait_word(&shm[WORD_PARENT], 0x1234))
		return 3;
	shm[WORD_CHILD] = 0x5678;
	return 0;
}

static int anon_shared_root(void *arg)
{
	volatile uint64_t *shm;
	char *p;
	pid_t child;
	int i, ret;

	(void)arg;
	p = mmap(NULL, ANON_PAGES * page_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	shm = (volatile uint64_t *)p;
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		ckpt_child_finish = 0;
		_exit(anon_shared_child((uint64_t *)p));
	}
	/* Written after the fork: only sharing makes the child see it */
	for (i = 1; i < ANON_PAGES; i++)
		if (anon_written(i))
			fill_page(p, i, 0x30);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (!anon_shared_holds(p, "parent"))
		return 2;
	if (!vma_has_flag(p, "sh"))
		return 4;
	shm[WORD_PARENT] = 0x1234;
	kill(child, SIGUSR1);
	if (!wait_word(&shm[WORD_CHILD], 0x5678))
		return 3;
	ret = finish_child(child);
	return ret ? 10 + ret : 0;
}

/*
 * 1000 * the number of PAGES records in the image's first SHMEM, plus the
 * pages they hold; -1 if the image cannot be read
 */
static long shmem_pages(struct ckpt_ctx *ctx)
{
	struct ckpt_rec *recs;
	const char *why;
	size_t size;
	void *image = ckpt_slurp(ctx->image_fd, &size);
	long found = -1, nr = 0, pages = 0;
	bool in = false;
	int i, n;

	if (!image)
		return -1;
	recs = calloc(size / 8 + 1, sizeof(*recs));
	n = recs ? ckpt_split_image(image, size, recs, size / 8 + 1, &why) : -1;
	for (i = 0; i < n && found < 0; i++) {
		struct ckpt_pages *pg = ckpt_payload(image, &recs[i]);

		if (recs[i].type == CKPT_REC_SHMEM) {
			in = true;
		} else if (in && recs[i].type == CKPT_REC_PAGES) {
			nr++;
			pages += le32toh(pg->nr_pages);
		} else if (in && recs[i].type == CKPT_REC_SHMEM_END) {
			found = nr * 1000 + pages;
		}
	}
	free(recs);
	free(image);
	return found;
}

/* The number of records of @type in the image file */
static int count_recs(struct ckpt_ctx *ctx, uint32_t type)
{
	struct ckpt_rec *recs;
	const char *why;
	size_t size;
	void *image = ckpt_slurp(ctx->image_fd, &size);
	int i, n, count = 0;

	if (!image)
		return -1;
	recs = calloc(size / 8 + 1, sizeof(*recs));
	n = recs ? ckpt_split_image(image, size, recs, size / 8 + 1, &why) : -1;
	for (i = 0; i < n; i++)
		count += recs[i].type == type;
	free(recs);
	free(image);
	return n < 0 ? -1 : count;
}

TEST_F_TIMEOUT(shmem, anonymous_shared_memory_stays_shared_between_processes, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, anon_shared_root, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	/* One copy of the memory in the image for the two processes */
	EXPECT_EQ(1, count_recs(&self->ctx, CKPT_REC_SHMEM));
	/* 7 + 300 pages written: 3 PAGES records, in batches of 256 */
	EXPECT_EQ(3 * 1000 + 307, shmem_pages(&self->ctx));
	ckpt_finish(_metadata, pid, CKPT_REASONS(anon_shared_reasons));
}

/* ---- memfd ---- */

static const char *const memfd_reasons[] = {
	[1] = "setup failed",
	[2] = "a write to the sealed memfd did not fail with EPERM",
	[3] = "the sealed memfd lost its contents",
	[4] = "the seals changed",
	[5] = "the mapped memfd lost its contents",
	[6] = "the memfd lost its size, offset or close-on-exec flag",
	[7] = "the mapped memfd does not take writes any more",
	[8] = "a writable shared mapping of the sealed memfd was allowed",
};

#define SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

static int memfd_child(void *arg)
{
	int sealed, mapped, i;
	char *buf, *map;

	(void)arg;
	buf = malloc(3 * page_size);
	sealed = syscall(__NR_memfd_create, "ckpt-sealed",
			 MFD_CLOEXEC | MFD_ALLOW_SEALING);
	mapped = syscall(__NR_memfd_create, "ckpt-mapped", 0);
	if (!buf || sealed < 0 || mapped < 0)
		return 1;
	for (i = 0; i < 3; i++)
		fill_page(buf, i, 0x70);
	if (write(sealed, buf, 3 * page_size) != (ssize_t)(3 * page_size) ||
	    fcntl(sealed, F_ADD_SEALS, SEALS) ||
	    lseek(sealed, 100, SEEK_SET) != 100 ||
	    ftruncate(mapped, PAGES * page_size))
		return 1;
	map = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   mapped, 0);
	if (map == MAP_FAILED)
		return 1;
	/* Only the mapping keeps the second memfd */
	close(mapped);
	for (i = 0; i < PAGES; i += 2)
		fill_page(map, i, 0x50);
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (write(sealed, "x", 1) != -1 || errno != EPERM)
		return 2;
	if (pread(sealed, buf, 3 * page_size, 0) != (ssize_t)(3 * page_size))
		return 3;
	for (i = 0; i < 3; i++)
		if (!page_is(buf, i, 0x70, "sealed memfd"))
			return 3;
	if (fcntl(sealed, F_GET_SEALS) != SEALS)
		return 4;
	if (lseek(sealed, 0, SEEK_CUR) != 100 ||
	    lseek(sealed, 0, SEEK_END) != (off_t)(3 * page_size) ||
	    !(fcntl(sealed, F_GETFD) & FD_CLOEXEC))
		return 6;
	if (mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, sealed, 0) !=
	    MAP_FAILED)
		return 8;
	for (i = 0; i < PAGES; i++) {
		if (i % 2) {
			if (map[i * page_size])
				return 5;
		} else if (!page_is(map, i, 0x50, "mapped memfd")) {
			return 5;
		}
	}
	fill_page(map, 1, 0x50);
	return page_is(map, 1, 0x50, "mapped memfd after restart") ? 0 : 7;
}

TEST_F_TIMEOUT(shmem, memfd_keeps_contents_and_seals, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, memfd_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(memfd_reasons));
}

/*
 * An executable memfd, restored where vm.memfd_noexec is 2: memfd_create()
 * would refuse MFD_EXEC there, and so does restart. The sysctl is set in a
 * pid namespace of the restoring caller's own, so nothing else sees it.
 */
#define MFD_EXEC_FLAG		0x0010U

static int memfd_exec_child(void *arg)
{
	(void)arg;
	if (syscall(__NR_memfd_create, "ckpt-exec", MFD_EXEC_FLAG) < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return 0;
}

/* pid 1 of a new pid namespace: set the sysctl there, restart, give errno */
static int restart_under_noexec(struct ckpt_ctx *ctx)
{
	int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
	long ret;

	if (fd < 0 || write(fd, "2", 1) != 1)
		return 100;
	close(fd);
	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return 101;
	ret = sys_restart(0, ctx->image_fd, 0, ctx->log_fd);
	if (ret >= 0) {
		kill(ret, SIGKILL);
		waitpid(ret, NULL, 0);
		return 0;
	}
	return errno;
}

TEST_F_TIMEOUT(shmem, executable_memfd_under_memfd_noexec_2_fails_with_eacces, 120)
{
	pid_t pid, outer, init;
	int status;

	if (access("/proc/sys/vm/memfd_noexec", W_OK))
		SKIP(return, "no vm.memfd_noexec sysctl to set");
	pid = ckpt_spawn(_metadata, &self->ctx, memfd_exec_child, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);

	outer = fork();
	ASSERT_LE(0, outer);
	if (!outer) {
		if (unshare(CLONE_NEWPID))
			_exit(102);
		init = fork();
		if (init < 0)
			_exit(103);
		if (!init)
			_exit(restart_under_noexec(&self->ctx));
		if (waitpid(init, &status, 0) != init || !WIFEXITED(status))
			_exit(104);
		_exit(WEXITSTATUS(status));
	}
	ckpt_ctx_track(&self->ctx, outer);
	status = ckpt_wait_child(outer, CKPT_EXIT_TIMEOUT_MS, false);
	ASSERT_TRUE(status != -1 && WIFEXITED(status));
	ASSERT_NE(0, WEXITSTATUS(status))
		TH_LOG("an executable memfd was restored under vm.memfd_noexec = 2");
	ASSERT_EQ(EACCES, WEXITSTATUS(status)) {
		TH_LOG("restart under vm.memfd_noexec = 2: status %d",
		       WEXITSTATUS(status));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ASSERT_TRUE(ckpt_log_contains(&self->ctx, "memfd_noexec"))
		ckpt_dump_log(_metadata, &self->ctx);
}

/* ---- locked memory and madvise() state ---- */

static const char *const locked_reasons[] = {
	[1] = "setup failed",
	[2] = "the mlock()ed range is not locked any more",
	[3] = "the MLOCK_ONFAULT range is not locked on fault any more",
	[4] = "the MAP_LOCKED mapping is not locked any more",
	[5] = "the contents of locked memory changed",
	[6] = "mlockall(MCL_FUTURE) is not in effect any more",
	[7] = "a madvise() flag was lost (dc, dd, wf, gd)",
	[8] = "a PROT_NONE guard region is not PROT_NONE any more",
	[9] = "MADV_WIPEONFORK memory was not wiped in a child forked after restart",
	[10] = "MADV_WIPEONFORK memory lost its contents in the parent",
};

static int locked_child(void *arg)
{
	char *locked, *onfault, *maplocked, *wipe, *dontfork, *guard, *stack;
	bool future = !!arg;
	pid_t pid;
	int i, status;

	locked = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	onfault = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	maplocked = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	wipe = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dontfork = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guard = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	if (locked == MAP_FAILED || onfault == MAP_FAILED ||
	    maplocked == MAP_FAILED || wipe == MAP_FAILED ||
	    dontfork == MAP_FAILED || guard == MAP_FAILED || stack == MAP_FAILED)
		return 1;
	for (i = 0; i < PAGES; i++) {
		fill_page(locked, i, 0x11);
		fill_page(wipe, i, 0x22);
		fill_page(dontfork, i, 0x33);
		fill_page(stack, i, 0x44);
	}
	fill_page(onfault, 0, 0x55);
	if (mlock(locked, PAGES * page_size) ||
	    syscall(__NR_mlock2, onfault, PAGES * page_size, MLOCK_ONFAULT) ||
	    madvise(wipe, PAGES * page_size, MADV_WIPEONFORK) ||
	    madvise(dontfork, PAGES * page_size, MADV_DONTFORK) ||
	    madvise(dontfork, PAGES * page_size, MADV_DONTDUMP) ||
	    mprotect(guard + page_size, page_size, PROT_NONE))
		return 1;
	if (future && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	/* mlockall() may have merged the mappings: then only the flags tell */
	if (!vma_has_flag(locked, "lo") ||
	    (!future && vma_locked_kb(locked) != (long)(PAGES * page_size / 1024)))
		return 2;
	/* Only the page written before the checkpoint is in, and locked */
	if (!vma_has_flag(onfault, "lo") ||
	    (!future && vma_locked_kb(onfault) != (long)(page_size / 1024)))
		return 3;
	if (!vma_has_flag(maplocked, "lo") ||
	    (!future && vma_locked_kb(maplocked) != (long)(PAGES * page_size / 1024)))
		return 4;
	for (i = 0; i < PAGES; i++)
		if (!page_is(locked, i, 0x11, "locked") ||
		    !page_is(stack, i, 0x44, "growsdown"))
			return 5;
	if (!page_is(onfault, 0, 0x55, "onfault"))
		return 5;
	if (future) {
		char *later = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (later == MAP_FAILED || !vma_has_flag(later, "lo"))
			return 6;
	}
	if (!vma_has_flag(wipe, "wf") || !vma_has_flag(dontfork, "dc") ||
	    !vma_has_flag(dontfork, "dd") || !vma_has_flag(stack, "gd"))
		return 7;
	if (!smaps_entry(guard + page_size) || vma_has_flag(guard + page_size, "rd") ||
	    vma_has_flag(guard + page_size, "wr") || !vma_has_flag(guard, "wr"))
		return 8;

	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		for (i = 0; i < PAGES; i++)
			if (wipe[i * page_size] || wipe[(i + 1) * page_size - 1])
				_exit(1);
		_exit(0);
	}
	/* The test's SIGUSR1, sent until we exit, may interrupt the wait */
	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			return 9;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 9;
	for (i = 0; i < PAGES; i++)
		if (!page_is(wipe, i, 0x22, "wipeonfork"))
			return 10;
	return 0;
}

TEST_F_TIMEOUT(shmem, locked_memory_and_madvise_state_survive, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, locked_child, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(locked_reasons));
}

TEST_F_TIMEOUT(shmem, mlockall_future_survives, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, locked_child, "future");

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(locked_reasons));
}

/* ---- SysV shared memory ---- */

static const char *const sysv_reasons[] = {
	[1] = "setup failed",
	[2] = "the segment has another id, or its key is gone",
	[3] = "the segment's mode, size or owner changed",
	[4] = "the segment lost its contents",
	[5] = "an attach moved or lost its protection",
	[6] = "the child's value never came through the segment",
	[7] = "the segment does not count its attaches",
	[10] = "the child failed (+ its code)",
};

#define SYSV_PAGES	3

static int sysv_id;

/* The child: attaches (A, B inherited, C its own) all see the parent's write */
static int sysv_child(uint64_t *a, uint64_t *b, uint64_t *c)
{
	ckpt_child_wait_finish();
	if (!wait_word(&c[WORD_PARENT], 0x1234) || a[WORD_PARENT] != 0x1234 ||
	    b[WORD_PARENT] != 0x1234)
		return 6;
	if (!page_is((char *)c, 1, 0x20, "child, attach C"))
		return 4;
	c[WORD_CHILD] = 0x5678;
	return 0;
}

static int sysv_root(void *arg)
{
	key_t key = *(key_t *)arg;
	uint64_t *a, *b, *c;
	struct shmid_ds ds;
	pid_t child;
	int i, ret;

	sysv_id = shmget(key, SYSV_PAGES * page_size, IPC_CREAT | IPC_EXCL | 0640);
	if (sysv_id < 0)
		return 1;
	a = shmat(sysv_id, NULL, 0);
	b = shmat(sysv_id, NULL, SHM_RDONLY);
	c = shmat(sysv_id, NULL, 0);
	if (a == (void *)-1 || b == (void *)-1 || c == (void *)-1)
		return 1;
	for (i = 0; i < SYSV_PAGES; i++)
		fill_page((char *)a, i, 0x20);
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		ckpt_child_finish = 0;
		_exit(sysv_child(a, b, c));
	}
	/* Three attaches here, three in the child; then C only in the child */
	if (shmdt(c))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	if (shmget(key, 0, 0) != sysv_id)
		return 2;
	if (shmctl(sysv_id, IPC_STAT, &ds) || (ds.shm_perm.mode & 0777) != 0640 ||
	    ds.shm_segsz != SYSV_PAGES * page_size || ds.shm_perm.uid != getuid() ||
	    ds.shm_perm.cuid != getuid() || ds.shm_perm.__key != key)
		return 3;
	if (ds.shm_nattch != 5) {
		ckpt_child_note("shm_nattch %lu, expected 5", (unsigned long)ds.shm_nattch);
		return 7;
	}
	for (i = 1; i < SYSV_PAGES; i++)
		if (!page_is((char *)a, i, 0x20, "attach A") ||
		    !page_is((char *)b, i, 0x20, "attach B"))
			return 4;
	if (!vma_has_flag(a, "wr") || vma_has_flag(b, "wr") ||
	    !vma_has_flag(b, "ms") || !vma_has_flag(b, "rd"))
		return 5;
	a[WORD_PARENT] = 0x1234;
	kill(child, SIGUSR1);
	if (!wait_word(&b[WORD_CHILD], 0x5678))
		return 6;
	ret = finish_child(child);
	return ret ? 10 + ret : 0;
}

/* restart(2) of the image, expected to fail: nothing logged */
static long restart_quietly(struct ckpt_ctx *ctx)
{
	if (lseek(ctx->image_fd, 0, SEEK_SET) || ckpt_reset_file(ctx->log_fd))
		return -2;
	return ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
}

/* What the kernel.shm_next_id sysctl does: the next segment gets @id */
static int set_shm_next_id(int id)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/shm_next_id", O_WRONLY);
	int len = snprintf(buf, sizeof(buf), "%d\n", id), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(shmem, sysv_segment_keeps_id_key_mode_contents_and_attaches, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, sysv_root, &self->key);
	void *image;
	size_t size;
	int id, ret;

	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	/* Restart makes the segment again: the old one must be gone */
	id = shmget(self->key, 0, 0);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	/* While its id is taken, restart fails */
	ret = set_shm_next_id(id) ? -1 : shmget(IPC_PRIVATE, page_size, IPC_CREAT | 0600);
	/* (Another may be there: one an earlier test left, going away) */
	if (ret >= 0 && ret == id) {
		EXPECT_EQ(-1, restart_quietly(&self->ctx));
		EXPECT_EQ(EBUSY, errno);
		EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart"));
	}
	if (ret >= 0)
		shmctl(ret, IPC_RMID, NULL);
	/* A restart that fails after making the segment removes it */
	image = ckpt_slurp(self->ctx.image_fd, &size);
	ASSERT_TRUE(!!image);
	ASSERT_EQ(0, ftruncate(self->ctx.image_fd, size - 24));
	EXPECT_EQ(-1, restart_quietly(&self->ctx));
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart"));
	EXPECT_EQ(-1, shmget(self->key, 0, 0)) TH_LOG("the failed restart left the segment");
	ASSERT_EQ((ssize_t)size, pwrite(self->ctx.image_fd, image, size, 0));
	free(image);
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_finish(_metadata, pid, CKPT_REASONS(sysv_reasons));
	id = shmget(self->key, 0, 0);
	EXPECT_LE(0, id);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
}

/* ---- private memory shared copy-on-write since fork ---- */

static const char *const cow_reasons[] = {
	[1] = "setup failed",
	[2] = "the parent sees the child's writes or lost its own",
	[3] = "the parent's write after restart reached the child",
	[10] = "the child failed (+ its code)",
};

static int cow_child(char *p, volatile uint64_t *flag)
{
	int i;

	/* Half the pages are its own from before the checkpoint */
	for (i = 0; i < PAGES; i += 2)
		fill_page(p, i, 0x90);
	*flag = 1;
	ckpt_child_wait_finish();
	for (i = 0; i < PAGES; i++)
		if (!page_is(p, i, i % 2 ? 0x80 : 0x90, "child"))
			return 2;
	/* The parent writes page 1 after restart: not here */
	ckpt_sleep_ms(50);
	return page_is(p, 1, 0x80, "child after the parent's write") ? 0 : 3;
}

static int cow_root(void *arg)
{
	volatile uint64_t *flag;
	pid_t child;
	char *p;
	int i, ret;

	(void)arg;
	p = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	flag = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || flag == MAP_FAILED)
		return 1;
	for (i = 0; i < PAGES; i++)
		fill_page(p, i, 0x80);
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		ckpt_child_finish = 0;
		_exit(cow_child(p, flag));
	}
	if (!wait_word(flag, 1))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();

	for (i = 0; i < PAGES; i++)
		if (!page_is(p, i, 0x80, "parent"))
			return 2;
	fill_page(p, 1, 0xa0);
	ret = finish_child(child);
	return ret ? 10 + ret : 0;
}

TEST_F_TIMEOUT(shmem, private_memory_shared_since_fork_stays_private, 120)
{
	pid_t pid = ckpt_spawn(_metadata, &self->ctx, cow_root, NULL);

	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(cow_reasons));
}

/* ---- a container's shared memory mapped outside ---- */

static char ct_ready_path[192];

/* The container's init: shared anonymous memory, whose address it says */
static int ct_shm_init(void)
{
	char tmp[200], addr[32];
	char *shm;
	int fd, len;

	shm = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 1;
	fill_page(shm, 0, 0x77);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ct_ready_path);
	len = snprintf(addr, sizeof(addr), "%lx", (unsigned long)shm);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, addr, len) != len || close(fd) ||
	    rename(tmp, ct_ready_path))
		return 1;
	ckpt_child_wait_finish();
	return page_is(shm, 0, 0x77, "container") ? 0 : 2;
}

TEST_F_TIMEOUT(shmem, container_shared_memory_mapped_outside_is_a_leak, 120)
{
	int64_t deadline = ckpt_now_ns() + CKPT_READY_TIMEOUT_MS * 1000000LL;
	struct clone_args args = {
		.flags = CLONE_NEWPID,
		.exit_signal = SIGCHLD,
	};
	char path[96], addr[32] = "";
	unsigned long shm;
	struct stat st;
	void *outside;
	pid_t pid;
	int fd;

	snprintf(ct_ready_path, sizeof(ct_ready_path), "%s/ready", self->ctx.dir);
	fflush(NULL);
	pid = syscall(__NR_clone3, &args, sizeof(args));
	ASSERT_LE(0, pid) TH_LOG("clone3(CLONE_NEWPID): %s", strerror(errno));
	if (!pid) {
		int ret = ckpt_child_detach();

		_exit(ret ? ret : ct_shm_init());
	}
	ckpt_ctx_track(&self->ctx, pid);
	while (stat(ct_ready_path, &st)) {
		ASSERT_TRUE(ckpt_child_running(pid)) TH_LOG("the container's init died");
		ASSERT_LT(ckpt_now_ns(), deadline) TH_LOG("the container is not ready");
		ckpt_sleep_ms(20);
	}

	/* The test maps the container's memory too, through map_files */
	ASSERT_LT(0, ckpt_read_file(ct_ready_path, addr, sizeof(addr)));
	shm = strtoul(addr, NULL, 16);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid, shm,
		 shm + 2 * page_size);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	outside = mmap(NULL, 2 * page_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, outside);
	ASSERT_TRUE(page_is(outside, 0, 0x77, "outside"));

	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	EXPECT_EQ(-1, ckpt_call_checkpoint(&self->ctx, pid, self->ctx.image_fd, 0,
					   self->ctx.log_fd));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, "also mapped outside the container"))
		ckpt_dump_log(_metadata, &self->ctx);

	/* Accepted with the flag; and without it once the test lets go */
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_SHARED_OK));
	munmap(outside, 2 * page_size);
	EXPECT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, 0));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* ---- hostile images ---- */

/* Shared anonymous memory, a memfd and a locked range: one of each record */
static int hostile_child(void *arg)
{
	char *shm, *locked;
	int fd;

	(void)arg;
	shm = mmap(NULL, 4 * page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	locked = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = syscall(__NR_memfd_create, "ckpt-hostile", 0);
	if (shm == MAP_FAILED || locked == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, 2 * page_size) || pwrite(fd, "m", 1, page_size) != 1 ||
	    mlock(locked, page_size))
		return 1;
	fill_page(shm, 0, 0x10);
	fill_page(shm, 2, 0x10);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return page_is(shm, 2, 0x10, "shared") ? 0 : 2;
}

struct hostile_recs {
	struct ckpt_shmem *anon, *memfd;	/* the SHMEM records */
	struct ckpt_shmem_end *anon_end;
	struct ckpt_pages *anon_pages;		/* its first PAGES */
	struct ckpt_vma *shmem_vma, *locked_vma;
	struct ckpt_file *memfd_file;
	int memfd_file_at;			/* its record */
	uint32_t reg_file_ref;			/* a FILE that is no SHMEM */
};

static void find_hostile_recs(struct image *img, char *data, struct hostile_recs *r)
{
	void *cur_shmem = NULL;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < img->nr; i++) {
		void *p = ckpt_payload(data, &img->recs[i]);

		switch (img->recs[i].type) {
		case CKPT_REC_SHMEM:
			cur_shmem = p;
			if (((struct ckpt_shmem *)p)->objref)
				r->anon = r->anon ?: p;
			else
				r->memfd = r->memfd ?: p;
			break;
		case CKPT_REC_PAGES:
			if (cur_shmem && cur_shmem == r->anon && !r->anon_pages)
				r->anon_pages = p;
			break;
		case CKPT_REC_SHMEM_END:
			if (cur_shmem == r->anon)
				r->anon_end = p;
			cur_shmem = NULL;
			break;
		case CKPT_REC_FILE:
			if (le32toh(((struct ckpt_file *)p)->kind) == CKPT_FILE_MEMFD) {
				r->memfd_file = p;
				r->memfd_file_at = i;
			} else {
				r->reg_file_ref = le32toh(((struct ckpt_file *)p)->objref);
			}
			break;
		case CKPT_REC_VMA:
			if (le32toh(((struct ckpt_vma *)p)->kind) == CKPT_VMA_SHMEM)
				r->shmem_vma = p;
			if (le32toh(((struct ckpt_vma *)p)->flags) & CKPT_VMA_LOCKED)
				r->locked_vma = p;
			break;
		}
	}
}

#define NR_HOSTILE 9

static const char *const hostile_what[NR_HOSTILE] = {
	"SHMEM smaller than its PAGES",
	"SHMEM of shared memory with seals",
	"SHMEM_END with the wrong page count",
	"PAGES of a SHMEM beyond its size",
	"SHMEM VMA naming a FILE",
	"ANON VMA with a file_ref",
	"memfd contents of another size than its FILE",
	"memfd FILE without the memfd: prefix",
	"LOCKONFAULT without LOCKED",
};

static void break_image(struct hostile_recs *r, int which)
{
	switch (which) {
	case 0:
		r->anon->size = htole64(page_size);
		break;
	case 1:
		r->anon->seals = htole32(F_SEAL_WRITE);
		break;
	case 2:
		r->anon_end->nr_pages = htole64(le64toh(r->anon_end->nr_pages) + 1);
		break;
	case 3:
		r->anon_pages->addr = htole64(64 * page_size);
		break;
	case 4:
		r->shmem_vma->file_ref = htole32(r->reg_file_ref);
		break;
	case 5:
		r->shmem_vma->kind = htole32(CKPT_VMA_ANON);
		break;
	case 6:
		r->memfd->size = htole64(page_size);
		break;
	case 7:
		/* Rewritten whole by the test: see memfd_without_prefix() */
		break;
	case 8:
		r->locked_vma->flags = htole32((le32toh(r->locked_vma->flags) &
						~CKPT_VMA_LOCKED) | CKPT_VMA_LOCKONFAULT);
		break;
	}
}

/*
 * The image with the memfd's path "/memfd:..." made "/xemfd:...": written
 * whole, as in a version 2 image it may share its start with the path
 * before it.  malloc()ed, its length in *@len.
 */
static char *memfd_without_prefix(struct image *img, int at, size_t *len)
{
	struct file_walk *w = malloc(sizeof(*w));
	char *data = NULL, path[CKPT_PATH_MAX];

	if (w && file_walk_to(img, img->data, at, w) && strlen(w->path) > 1) {
		snprintf(path, sizeof(path), "%s", w->path);
		path[1] = 'x';
		data = image_with_file_path(img, img->data, at, path, len);
	}
	free(w);
	return data;
}

TEST_F_TIMEOUT(shmem, hostile_shared_memory_records_are_refused, 180)
{
	enum ckpt_outcome outcome;
	struct hostile_recs r;
	struct image img = {};
	char *data, *broken;
	size_t len;
	pid_t pid;
	int i;

	pid = ckpt_spawn(_metadata, &self->ctx, hostile_child, NULL);
	image_of_killed(_metadata, &self->ctx, pid, &img);
	data = malloc(img.len);
	ASSERT_TRUE(!!data);

	for (i = 0; i < NR_HOSTILE; i++) {
		struct ckpt_image_trailer *tr;

		memcpy(data, img.data, img.len);
		find_hostile_recs(&img, data, &r);
		ASSERT_TRUE(r.anon && r.memfd && r.anon_end && r.anon_pages &&
			    r.shmem_vma && r.locked_vma && r.memfd_file &&
			    r.reg_file_ref) TH_LOG("the image lacks a record to break");
		break_image(&r, i);
		tr = trailer_of(&img, data);
		tr->crc32c = htole32(crc32c(data, img.recs[img.nr - 1].off));
		broken = data;
		len = img.len;
		if (i == 7) {
			broken = memfd_without_prefix(&img, r.memfd_file_at, &len);
			ASSERT_TRUE(!!broken) TH_LOG("cannot rewrite the memfd's path");
		}
		outcome = restart_from_broken_image(_metadata, &self->ctx, broken, len,
						    pid, EINVAL, hostile_what[i]);
		if (broken != data)
			free(broken);
		EXPECT_TRUE(outcome == CKPT_FAILED_CLEANLY) TH_LOG("%s", hostile_what[i]);
	}

	/* The image itself is fine, and so is the image of what it restored */
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.image_fd));
	ASSERT_EQ(0, ckpt_write_all(self->ctx.image_fd, img.data, img.len));
	ASSERT_EQ(pid, ckpt_restart(_metadata, &self->ctx));
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
	free(data);
	free(img.recs);
	free(img.data);
}

TEST_HARNESS_MAIN
