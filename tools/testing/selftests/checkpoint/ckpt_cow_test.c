// SPDX-License-Identifier: GPL-2.0
/*
 * Shared stays shared: private anonymous pages that a parent and its forked
 * children share copy-on-write are written once in the image, and after
 * restart they are the same physical pages in all of them again, still
 * copy-on-write.
 *
 * The test sees the page frames in /proc/PID/pagemap (as root it sees the
 * PFNs) and the memory through /proc/PID/mem. A restored process writes a
 * byte when the test queues it SIGRTMIN, whose value says where, and
 * answers with SIGUSR2. Told to finish, every process checks its memory
 * byte for byte: the parent's pattern, its own pages and its own writes.
 * Images with broken PAGES_COW records must make restart fail cleanly.
 */
#include <sys/prctl.h>

#include "ckpt_image.h"

#define MIB		(1UL << 20)
#define HUGE_ALIGN	(2 * MIB)
#define IMAGE_SLACK	(4 * MIB)
#define NR_REGIONS	2	/* MADV_NOHUGEPAGE, MADV_HUGEPAGE */
#define MAX_DESC	3	/* descendants of the root */
#define MAX_WRITES	8
#define WRITE_AT	100	/* the byte of a page that a write command sets */
#define WAIT_MS		50000	/* TCG guests with KASAN are slow */
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define NO_FRAME	UINT64_MAX
#define UNDEFINED_REF	0xfff0	/* an objref no image of a small tree defines */

/* What the root builds; the test sets it before the root is forked */
static struct {
	size_t len[NR_REGIONS];	/* bytes of each region; 0: none */
	int nr_children;	/* of the root */
	bool writer;		/* the first child writes every 4th page first */
	bool grandchild;	/* the first child forks a grandchild */
} plan;

static size_t page_size;
static char info_path[160];	/* where the processes say who and where they are */

/* Each process's view: the regions, the seeds and its own writes */
static char *region[NR_REGIONS];
static uint64_t root_seed;
static bool wrote_own_pages;
static struct {
	int r;
	size_t off;
	unsigned char val;
} writes[MAX_WRITES];
static volatile sig_atomic_t nr_writes;

static const char *const cow_reasons[] = {
	[1] = "the parent could not set up its memory or its children",
	[2] = "the parent's memory is not what it wrote (see the notes)",
	[11] = "a child could not set up",
	[12] = "a child's memory is not what it should be (see the notes)",
	[14] = "a child did not exit in time, or died of a signal",
	[15] = "the grandchild failed (see the notes)",
};

/*
 * Process side: the root maps and fills the regions, forks, and waits
 * until every descendant said it is there.
 */

/* Whether page @page of region @r is the writer's own since before checkpoint */
static bool own_page(bool writer, int r, size_t page)
{
	return writer && !r && page % 4 == 0;
}

static uint64_t page_seed(int r, size_t page)
{
	uint64_t seed = root_seed + ((uint64_t)r << 32);

	return own_page(wrote_own_pages, r, page) ? ~seed : seed;
}

static void fill_page(int r, size_t page)
{
	size_t off = page * page_size;

	ckpt_fill_pattern(region[r] + off, page_size, page_seed(r, page), off / 8);
}

/* The last value this process wrote into page @page of region @r, or -1 */
static int own_write(int r, size_t page)
{
	int i, val = -1;

	for (i = 0; i < nr_writes; i++)
		if (writes[i].r == r && writes[i].off / page_size == page)
			val = writes[i].val;
	return val;
}

/* Whether page @page of region @r holds what it should; notes where not */
static bool page_holds(int r, size_t page, const char *who)
{
	static uint64_t copy[65536 / 8];
	size_t off = page * page_size;
	uint64_t seed = page_seed(r, page), word;
	const char *p = region[r] + off;
	int val = own_write(r, page);
	ssize_t bad;

	if (val >= 0) {
		if ((unsigned char)p[WRITE_AT] != val) {
			ckpt_child_note("%s %d: region %d page %zu: its byte is %#x, not %#x",
					who, getpid(), r, page, (unsigned char)p[WRITE_AT], val);
			return false;
		}
		/* The rest of the page is the pattern still */
		word = ckpt_pattern_word(seed, (off + WRITE_AT) / 8);
		memcpy(copy, p, page_size);
		((char *)copy)[WRITE_AT] = ((char *)&word)[WRITE_AT % 8];
		p = (const char *)copy;
	}
	bad = ckpt_check_pattern(p, page_size, seed, off / 8);
	if (bad < 0)
		return true;
	ckpt_child_note("%s %d: region %d page %zu: word at %#zx is %#llx, expected %#llx",
			who, getpid(), r, page, (size_t)bad,
			*(unsigned long long *)(p + bad),
			(unsigned long long)ckpt_pattern_word(seed, (off + bad) / 8));
	return false;
}

/* 0 if every page of every region holds what it should, else 2 */
static int check_memory(const char *who)
{
	size_t page;
	int r;

	for (r = 0; r < NR_REGIONS; r++)
		for (page = 0; page < plan.len[r] / page_size; page++)
			if (!page_holds(r, page, who))
				return 2;
	return 0;
}

/* SIGRTMIN: write the byte the value says, then answer the sender */
static void write_on_command(int sig, siginfo_t *si, void *uc)
{
	unsigned int cmd = si->si_value.sival_int;
	unsigned int r = cmd >> 30;
	size_t off = (cmd >> 8 & 0x3fffff) * page_size + WRITE_AT;
	int n = nr_writes;

	(void)sig;
	(void)uc;
	if (r < NR_REGIONS && off < plan.len[r] && n < MAX_WRITES) {
		region[r][off] = cmd & 0xff;
		writes[n].r = r;
		writes[n].off = off;
		writes[n].val = cmd & 0xff;
		nr_writes = n + 1;
	}
	kill(si->si_pid, SIGUSR2);
}

/* Appends @line to the info file, opened and closed so that no image holds it */
static int say(const char *line)
{
	int fd, ret;

	fd = open(info_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ret = ckpt_write_all(fd, line, strlen(line));
	close(fd);
	return ret;
}

/* Tells a child to finish and returns its exit code: 1-5, or 4 if it did not */
static int finish_child(pid_t pid)
{
	int status, i;

	for (i = 0; i < WAIT_MS / 20; i++) {
		kill(pid, SIGUSR1);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) < 10 ?
			       WEXITSTATUS(status) : 4;
		ckpt_sleep_ms(20);
	}
	return 4;
}

static pid_t fork_descendant(const char *role, bool writer, bool grandchild);

/* A descendant: writes its own pages or not, reads all, says it is there */
static int descendant(const char *role, bool writer, bool grandchild)
{
	char line[64];
	pid_t gc = 0;
	size_t page;
	int ret;

	if (writer) {
		wrote_own_pages = true;
		for (page = 0; page < plan.len[0] / page_size; page += 4)
			fill_page(0, page);
	}
	ret = check_memory(role);
	if (!ret && grandchild)
		gc = fork_descendant("grandchild", false, false);
	if (ret || gc < 0)
		return ret ?: 1;
	snprintf(line, sizeof(line), "pid %d %s\n", getpid(), role);
	if (say(line))
		return 1;
	ckpt_child_wait_finish();
	if (gc)
		kill(gc, SIGUSR1);
	ret = check_memory(role);
	if (gc && finish_child(gc) && !ret)
		ret = 5;
	return ret;
}

static pid_t fork_descendant(const char *role, bool writer, bool grandchild)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid)
		return pid;
	/* Whatever ends the test's tree ends all of it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		_exit(1);
	ckpt_child_finish = 0;
	_exit(descendant(role, writer, grandchild));
}

/* A 2 MiB aligned mapping of @len bytes, or NULL */
static char *map_huge_aligned(size_t len)
{
	char *p, *start;

	p = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)p + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
	if (start > p)
		munmap(p, start - p);
	munmap(start + len, p + HUGE_ALIGN - start);
	return start;
}

static int map_regions(void)
{
	region[0] = mmap(NULL, plan.len[0], PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region[0] == MAP_FAILED)
		return -1;
	/* Fails where there are no huge pages, which is fine */
	madvise(region[0], plan.len[0], MADV_NOHUGEPAGE);
	if (!plan.len[1])
		return 0;
	region[1] = map_huge_aligned(plan.len[1]);
	if (!region[1] || madvise(region[1], plan.len[1], MADV_HUGEPAGE))
		return -1;
	return 0;
}

static int root_setup(void)
{
	struct sigaction sa = {
		.sa_sigaction = write_on_command,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};
	char line[96];
	size_t page;
	int r;

	sigemptyset(&sa.sa_mask);
	if (map_regions() || sigaction(SIGRTMIN, &sa, NULL))
		return -1;
	root_seed = 0xc0c0ULL << 32 ^ getpid();
	for (r = 0; r < NR_REGIONS; r++)
		for (page = 0; page < plan.len[r] / page_size; page++)
			fill_page(r, page);
	snprintf(line, sizeof(line), "mem %lx %lx\n", (unsigned long)region[0],
		 (unsigned long)region[1]);
	return say(line);
}

/* Waits until each descendant has said it is there */
static int wait_for_descendants(void)
{
	int64_t deadline = ckpt_now_ns() + WAIT_MS * 1000000LL;
	int want = plan.nr_children + plan.grandchild, n;
	static char buf[4096];
	const char *p;

	while (ckpt_now_ns() < deadline) {
		n = 0;
		if (ckpt_read_file(info_path, buf, sizeof(buf)) >= 0)
			for (p = buf; (p = strstr(p, "\npid ")); p++)
				n++;
		if (n == want)
			return 0;
		ckpt_sleep_ms(10);
	}
	ckpt_child_note("parent: not all of its %d descendants are there", want);
	return -1;
}

static int cow_root(void *arg)
{
	pid_t kids[MAX_DESC];
	const char *role;
	int i, ret, code;

	(void)arg;
	if (root_setup())
		return 1;
	for (i = 0; i < plan.nr_children; i++) {
		role = !i && plan.writer ? "writer" : "child";
		kids[i] = fork_descendant(role, plan.writer && !i, plan.grandchild && !i);
		if (kids[i] < 0)
			return 1;
	}
	if (wait_for_descendants())
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	/* They check their memory while we check ours */
	for (i = 0; i < plan.nr_children; i++)
		kill(kids[i], SIGUSR1);
	ret = check_memory("parent");
	for (i = 0; i < plan.nr_children; i++) {
		code = finish_child(kids[i]);
		if (code && !ret)
			ret = 10 + code;
	}
	return ret;
}

/*
 * Test side.
 */

struct cow_tree {
	pid_t root;
	pid_t pid[MAX_DESC];	/* the descendants, in the order they said so */
	char role[MAX_DESC][16];
	int nr;
	unsigned long addr[NR_REGIONS];
};

static void set_plan(size_t small, size_t huge, int nr_children, bool writer,
		     bool grandchild)
{
	plan.len[0] = small;
	plan.len[1] = huge;
	plan.nr_children = nr_children;
	plan.writer = writer;
	plan.grandchild = grandchild;
}

static bool thp_available(void)
{
	char buf[128];

	return ckpt_read_file("/sys/kernel/mm/transparent_hugepage/enabled",
			      buf, sizeof(buf)) > 0 && !strstr(buf, "[never]");
}

/* The frames of @n pages from @addr in @pid's pagemap; NO_FRAME where none */
static int read_frames(pid_t pid, unsigned long addr, size_t n, uint64_t *pfn)
{
	char path[64];
	ssize_t len;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = pread(fd, pfn, n * 8, addr / page_size * 8);
	close(fd);
	if (len != (ssize_t)(n * 8))
		return -1;
	for (i = 0; i < n; i++)
		pfn[i] = pfn[i] & PM_PRESENT ? pfn[i] & PM_PFN_MASK : NO_FRAME;
	return 0;
}

static uint64_t frame_of(pid_t pid, unsigned long addr)
{
	uint64_t pfn;

	return read_frames(pid, addr, 1, &pfn) ? NO_FRAME : pfn;
}

/* Whether pagemap shows us PFNs: only with CAP_SYS_ADMIN */
static bool frames_visible(void)
{
	static volatile char probe[1];
	uint64_t pfn;

	probe[0] = 1;
	pfn = frame_of(getpid(), (unsigned long)probe);
	return pfn != NO_FRAME && pfn;
}

/* The byte at @addr in @pid, read through /proc/PID/mem, or -1 */
static int peek(pid_t pid, unsigned long addr)
{
	unsigned char c;
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &c, 1, addr);
	close(fd);
	return n == 1 ? c : -1;
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

/* Has @pid write @val at byte WRITE_AT of page @page of region @r */
static void poke(struct __test_metadata *_metadata, pid_t pid, int r,
		 size_t page, int val)
{
	union sigval v = {
		.sival_int = (int)((unsigned int)r << 30 | page << 8 | val),
	};

	ASSERT_EQ(0, sigqueue(pid, SIGRTMIN, v))
		TH_LOG("sigqueue to %d: %s", pid, strerror(errno));
	ASSERT_TRUE(wait_ack(pid))
		TH_LOG("process %d did not answer a write command", pid);
}

/* Reads the info file the processes wrote */
static void read_tree(struct __test_metadata *_metadata, struct cow_tree *t)
{
	static char buf[4096];
	char *line;
	int n;

	ASSERT_LT(0, ckpt_read_file(info_path, buf, sizeof(buf)));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "mem %lx %lx", &t->addr[0], &t->addr[1]) == 2)
			continue;
		ASSERT_GT(MAX_DESC, t->nr);
		n = sscanf(line, "pid %d %15s", &t->pid[t->nr], t->role[t->nr]);
		ASSERT_EQ(2, n) TH_LOG("info line: %s", line);
		t->nr++;
	}
	ASSERT_NE(0UL, t->addr[0]);
	ASSERT_EQ(plan.nr_children + plan.grandchild, t->nr);
}

static pid_t pid_of(struct __test_metadata *_metadata, struct cow_tree *t,
		    const char *role)
{
	int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->role[i], role))
			return t->pid[i];
	ASSERT_TRUE(false) TH_LOG("no %s in the tree", role);
	return -1;
}

static void spawn_tree(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
		       struct cow_tree *t)
{
	t->root = ckpt_spawn(_metadata, ctx, cow_root, NULL);
	read_tree(_metadata, t);
}

/* Reap what CHECKPOINT_KILL killed: the root is ours, the rest come to us */
static void reap_tree(struct __test_metadata *_metadata, struct cow_tree *t)
{
	int n = 0, i;

	ckpt_reap_killed(_metadata, t->root);
	for (i = 0; i < 1000 && n < t->nr; i++) {
		if (waitpid(-1, NULL, WNOHANG) > 0)
			n++;
		else
			ckpt_sleep_ms(10);
	}
	ASSERT_EQ(t->nr, n) TH_LOG("not every killed descendant came back to us");
}

static void checkpoint_tree(struct __test_metadata *_metadata,
			    struct ckpt_ctx *ctx, struct cow_tree *t)
{
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, t->root, CHECKPOINT_KILL));
	reap_tree(_metadata, t);
}

static void restart_tree(struct __test_metadata *_metadata,
			 struct ckpt_ctx *ctx, struct cow_tree *t)
{
	ASSERT_EQ(t->root, ckpt_restart(_metadata, ctx));
}

/*
 * The pages of region @r where @pid's frame is not what it should be: the
 * parent's, or where it wrote before the checkpoint (@writer), one of its
 * own. Logs the first.
 */
static size_t wrong_frames(struct __test_metadata *_metadata,
			   struct cow_tree *t, int r, pid_t pid, bool writer)
{
	size_t n = plan.len[r] / page_size, i, bad = 0;
	uint64_t *root = calloc(n, 8), *mine = calloc(n, 8);
	bool ok;

	ASSERT_TRUE(root && mine);
	ASSERT_EQ(0, read_frames(t->root, t->addr[r], n, root))
		TH_LOG("cannot read the pagemap of %d", t->root);
	ASSERT_EQ(0, read_frames(pid, t->addr[r], n, mine))
		TH_LOG("cannot read the pagemap of %d", pid);
	for (i = 0; i < n; i++) {
		ok = root[i] != NO_FRAME && mine[i] != NO_FRAME &&
		     (root[i] == mine[i]) != own_page(writer, r, i);
		if (!ok && !bad++)
			TH_LOG("region %d page %zu: frame %#llx in %d, %#llx in the root, want %s",
			       r, i, (unsigned long long)mine[i], pid,
			       (unsigned long long)root[i],
			       own_page(writer, r, i) ? "another" : "the same");
	}
	free(root);
	free(mine);
	return bad;
}

/* The pages of all regions where @pid's frames are wrong; logs how many */
static size_t all_wrong_frames(struct __test_metadata *_metadata,
			       struct cow_tree *t, pid_t pid, bool writer,
			       const char *when)
{
	size_t bad, total = 0;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		if (!plan.len[r])
			continue;
		bad = wrong_frames(_metadata, t, r, pid, writer);
		if (bad)
			TH_LOG("%s: %zu of %zu pages of region %d of %d are not %s",
			       when, bad, plan.len[r] / page_size, r, pid,
			       writer ? "shared where it did not write, its own where it did" :
					"the parent's");
		total += bad;
	}
	return total;
}

static bool is_writer(struct cow_tree *t, int i)
{
	return !strcmp(t->role[i], "writer");
}

/* Before the checkpoint fork() shared the pages: else the test is wrong */
static void assert_shared_since_fork(struct __test_metadata *_metadata,
				     struct cow_tree *t)
{
	int i;

	for (i = 0; i < t->nr; i++)
		ASSERT_EQ(0UL, all_wrong_frames(_metadata, t, t->pid[i],
						is_writer(t, i), "before the checkpoint"));
}

static void expect_shared_again(struct __test_metadata *_metadata,
				struct cow_tree *t)
{
	int i;

	for (i = 0; i < t->nr; i++)
		EXPECT_EQ(0UL, all_wrong_frames(_metadata, t, t->pid[i],
						is_writer(t, i), "after restart"));
}

/*
 * @writer writes a byte of page @page of region @r: the byte changes for
 * it alone, and its frame for the page changes if and only if the page was
 * shared (@shared: copy-on-write); no other process's frame changes.
 */
static void write_and_check(struct __test_metadata *_metadata,
			    struct cow_tree *t, pid_t writer, int r,
			    size_t page, bool shared)
{
	unsigned long addr = t->addr[r] + page * page_size + WRITE_AT;
	uint64_t before[MAX_DESC + 1];
	int old[MAX_DESC + 1], n = t->nr + 1, i, w;
	pid_t all[MAX_DESC + 1];

	all[0] = t->root;
	memcpy(all + 1, t->pid, t->nr * sizeof(pid_t));
	for (i = 0; i < n; i++) {
		before[i] = frame_of(all[i], addr);
		old[i] = peek(all[i], addr);
		ASSERT_LE(0, old[i]) TH_LOG("cannot read the memory of %d", all[i]);
	}
	for (w = 0; all[w] != writer; w++)
		ASSERT_GT(n - 1, w) TH_LOG("%d is not in the tree", writer);
	poke(_metadata, writer, r, page, old[w] ^ 0xff);
	for (i = 0; i < n; i++) {
		bool me = i == w;

		EXPECT_EQ(me ? old[w] ^ 0xff : old[i], peek(all[i], addr))
			TH_LOG("%d wrote region %d page %zu: the byte %s in %d",
			       writer, r, page, me ? "did not change" : "changed", all[i]);
		EXPECT_EQ(me && shared, frame_of(all[i], addr) != before[i])
			TH_LOG("%d wrote region %d page %zu: the frame of %d %s",
			       writer, r, page, all[i], me && shared ?
			       "is still the shared one" : "changed");
	}
}

static long long image_size(struct ckpt_ctx *ctx)
{
	struct stat st;

	return fstat(ctx->image_fd, &st) ? -1 : (long long)st.st_size;
}

static void tree_ctx_setup(struct __test_metadata *_metadata, struct ckpt_ctx *ctx)
{
	ckpt_ctx_setup(_metadata, ctx);
	/* Four copies of 24 MiB through crc32c under KASAN, without sharing */
	ctx->call_timeout_s = 120;
	snprintf(info_path, sizeof(info_path), "%s/tree", ctx->dir);
	/* Killed descendants come to us, so that their pids are free again */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

static void tree_ctx_teardown(struct ckpt_ctx *ctx)
{
	int i;

	/* Killing the root kills the rest (PR_SET_PDEATHSIG); reap them */
	ckpt_ctx_teardown(ctx);
	for (i = 0; i < 500; i++) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			break;
		ckpt_sleep_ms(10);
	}
}

FIXTURE(cow) {
	struct ckpt_ctx ctx;
	struct cow_tree t;
};

FIXTURE_SETUP(cow)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (!frames_visible())
		SKIP(return, "/proc/PID/pagemap shows no PFNs: needs CAP_SYS_ADMIN");
	memset(&self->t, 0, sizeof(self->t));
	tree_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(cow)
{
	tree_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(cow, shared_pages_stay_shared, 400)
{
	struct cow_tree *t = &self->t;
	long long limit, size;

	set_plan(16 * MIB, thp_available() ? 8 * MIB : 0, 3, false, false);
	if (!plan.len[1])
		TH_LOG("no transparent huge pages: no MADV_HUGEPAGE mapping");
	spawn_tree(_metadata, &self->ctx, t);
	assert_shared_since_fork(_metadata, t);
	checkpoint_tree(_metadata, &self->ctx, t);
	/* The memory once, not once per process */
	limit = plan.len[0] + plan.len[1] + IMAGE_SLACK;
	size = image_size(&self->ctx);
	EXPECT_GT(limit, size)
		TH_LOG("%zu MiB shared by 4 processes: an image of %lld bytes",
		       (plan.len[0] + plan.len[1]) / MIB, size);
	restart_tree(_metadata, &self->ctx, t);
	expect_shared_again(_metadata, t);
	write_and_check(_metadata, t, t->pid[0], 0, 5, true);
	if (plan.len[1])
		write_and_check(_metadata, t, t->pid[1], 1, 7, true);
	write_and_check(_metadata, t, t->root, 0, 9, true);
	ckpt_finish(_metadata, t->root, CKPT_REASONS(cow_reasons));
}

TEST_F_TIMEOUT(cow, child_own_pages_stay_its_own, 300)
{
	struct cow_tree *t = &self->t;
	pid_t writer;

	set_plan(4 * MIB, 0, 2, true, false);
	spawn_tree(_metadata, &self->ctx, t);
	writer = pid_of(_metadata, t, "writer");
	assert_shared_since_fork(_metadata, t);
	checkpoint_tree(_metadata, &self->ctx, t);
	restart_tree(_metadata, &self->ctx, t);
	expect_shared_again(_metadata, t);
	/* A page of its own is copied by no write; a shared one is */
	write_and_check(_metadata, t, writer, 0, 8, false);
	write_and_check(_metadata, t, writer, 0, 9, true);
	ckpt_finish(_metadata, t->root, CKPT_REASONS(cow_reasons));
}

TEST_F_TIMEOUT(cow, grandchild_shares_with_child_and_parent, 300)
{
	struct cow_tree *t = &self->t;

	set_plan(4 * MIB, 0, 1, false, true);
	spawn_tree(_metadata, &self->ctx, t);
	assert_shared_since_fork(_metadata, t);
	checkpoint_tree(_metadata, &self->ctx, t);
	restart_tree(_metadata, &self->ctx, t);
	expect_shared_again(_metadata, t);
	write_and_check(_metadata, t, pid_of(_metadata, t, "grandchild"), 0, 3, true);
	write_and_check(_metadata, t, pid_of(_metadata, t, "child"), 0, 4, true);
	ckpt_finish(_metadata, t->root, CKPT_REASONS(cow_reasons));
}

/*
 * Inside the image.
 */

static void *payload_at(struct image *img, char *data, int i)
{
	return ckpt_payload(data, &img->recs[i]);
}

/* The objref of the MM of task @pid, or 0 */
static uint32_t task_mm_ref(struct image *img, pid_t pid)
{
	struct ckpt_task *task;
	int i;

	for (i = 0; i < img->nr; i++) {
		if (img->recs[i].type != CKPT_REC_TASK)
			continue;
		task = payload_at(img, img->data, i);
		if (le32toh(task->pid) == (uint32_t)pid)
			return le32toh(task->mm_ref);
	}
	return 0;
}

/* The index of the MM record that defines @objref, or -1 */
static int mm_index(struct image *img, uint32_t objref)
{
	struct ckpt_mm *mm;
	int i;

	for (i = 0; objref && i < img->nr; i++) {
		if (img->recs[i].type != CKPT_REC_MM)
			continue;
		mm = payload_at(img, img->data, i);
		if (le32toh(mm->objref) == objref)
			return i;
	}
	return -1;
}

/* The index of the MM_END after the MM record at @mm */
static int mm_end(struct image *img, int mm)
{
	int i;

	for (i = mm + 1; i < img->nr; i++)
		if (img->recs[i].type == CKPT_REC_MM_END)
			return i;
	return img->nr;
}

/* The VMA of the MM at record @mm that holds @addr, in @data, or NULL */
static struct ckpt_vma *vma_of(struct image *img, char *data, int mm,
			       unsigned long addr)
{
	struct ckpt_vma *vma;
	int i, end;

	for (i = mm + 1, end = mm_end(img, mm); i < end; i++) {
		if (img->recs[i].type != CKPT_REC_VMA)
			continue;
		vma = payload_at(img, data, i);
		if (le64toh(vma->start) <= addr && addr < le64toh(vma->end))
			return vma;
	}
	return NULL;
}

/* Pages of [@start, @start + @len) that a PAGES or PAGES_COW record covers */
static size_t overlap(uint64_t addr, uint32_t nr, unsigned long start,
		      size_t len)
{
	uint64_t lo = addr > start ? addr : start;
	uint64_t end = addr + (uint64_t)nr * page_size;
	uint64_t hi = end < start + len ? end : start + len;

	return hi > lo ? (hi - lo) / page_size : 0;
}

/* What the page records of an MM say about one region */
struct page_recs {
	size_t copied;		/* pages in PAGES records */
	size_t shared;		/* pages in PAGES_COW records */
	int other_mm;		/* PAGES_COW records naming another MM */
};

static void count_page_recs(struct image *img, int mm, int r, uint32_t ref,
			    unsigned long start, struct page_recs *pr)
{
	struct ckpt_pages_cow *cow;
	struct ckpt_pages *pages;
	int i, end;

	memset(pr, 0, sizeof(*pr));
	for (i = mm + 1, end = mm_end(img, mm); i < end; i++) {
		if (img->recs[i].type == CKPT_REC_PAGES) {
			pages = payload_at(img, img->data, i);
			pr->copied += overlap(le64toh(pages->addr),
					      le32toh(pages->nr_pages), start, plan.len[r]);
		} else if (img->recs[i].type == CKPT_REC_PAGES_COW) {
			cow = payload_at(img, img->data, i);
			pr->shared += overlap(le64toh(cow->addr),
					      le32toh(cow->nr_pages), start, plan.len[r]);
			pr->other_mm += le32toh(cow->mm_ref) != ref;
		}
	}
}

/* The parent writes the regions in PAGES records, forked from no MM */
static void check_parent_mm(struct __test_metadata *_metadata,
			    struct image *img, struct cow_tree *t, int mm)
{
	struct page_recs pr;
	struct ckpt_vma *vma;
	int r;

	for (r = 0; r < NR_REGIONS; r++) {
		if (!plan.len[r])
			continue;
		count_page_recs(img, mm, r, 0, t->addr[r], &pr);
		EXPECT_EQ(plan.len[r] / page_size, pr.copied)
			TH_LOG("parent, region %d: %zu pages in PAGES, %zu in PAGES_COW",
			       r, pr.copied, pr.shared);
		vma = vma_of(img, img->data, mm, t->addr[r]);
		ASSERT_TRUE(!!vma) TH_LOG("parent: no VMA at %#lx", t->addr[r]);
		EXPECT_EQ(0U, le32toh(vma->cow_mm_ref))
			TH_LOG("parent, region %d: the first MM of its family is linked to MM %u",
			       r, le32toh(vma->cow_mm_ref));
	}
}

/*
 * The VMA of the region in the MM at @mm is linked (cow_mm_ref) to the
 * parent's MM, as fork() linked it: not to a sibling's, whose restored
 * mapping would hold an anon_vma more for each sibling before it.
 */
static void check_vma_link(struct __test_metadata *_metadata,
			   struct image *img, int mm, unsigned long addr,
			   uint32_t parent_ref, pid_t pid)
{
	struct ckpt_vma *vma = vma_of(img, img->data, mm, addr);

	ASSERT_TRUE(vma && le32toh(vma->kind) == CKPT_VMA_ANON)
		TH_LOG("%d: no ANON VMA at %#lx in the MM at record %d", pid, addr, mm);
	EXPECT_EQ(parent_ref, le32toh(vma->cow_mm_ref))
		TH_LOG("%d: VMA %#lx is linked to MM %u, not to the parent's, %u",
		       pid, addr, le32toh(vma->cow_mm_ref), parent_ref);
}

/* A child writes the regions in PAGES_COW records naming the parent's MM */
static void check_child_mm(struct __test_metadata *_metadata,
			   struct image *img, struct cow_tree *t, pid_t pid,
			   uint32_t parent_ref)
{
	uint32_t ref = task_mm_ref(img, pid);
	int mm = mm_index(img, ref), r;
	struct page_recs pr;

	ASSERT_LE(0, mm) TH_LOG("no MM record for %d (MM %u)", pid, ref);
	for (r = 0; r < NR_REGIONS; r++) {
		if (!plan.len[r])
			continue;
		count_page_recs(img, mm, r, parent_ref, t->addr[r], &pr);
		EXPECT_EQ(plan.len[r] / page_size, pr.shared)
			TH_LOG("%d, region %d: %zu pages in PAGES_COW, %zu in PAGES, of %zu",
			       pid, r, pr.shared, pr.copied, plan.len[r] / page_size);
		EXPECT_EQ(0, pr.other_mm)
			TH_LOG("%d, region %d: %d PAGES_COW name another MM than the parent's, %u",
			       pid, r, pr.other_mm, parent_ref);
		check_vma_link(_metadata, img, mm, t->addr[r], parent_ref, pid);
	}
}

/* The image of the tree, killed and reaped, split into its records */
static void image_of_tree(struct __test_metadata *_metadata,
			  struct ckpt_ctx *ctx, struct cow_tree *t,
			  struct image *img)
{
	checkpoint_tree(_metadata, ctx, t);
	read_image(_metadata, ctx, t->root, img);
}

/* How many "mm: N pages saved, M shared" lines of the log have M >= @pages */
static int mms_sharing(struct ckpt_ctx *ctx, unsigned long long pages)
{
	static char log[1 << 16];
	unsigned long long saved, shared;
	const char *p;
	int n = 0;

	if (ckpt_read_tail(ctx->log_path, log, sizeof(log)) < 0)
		return -1;
	for (p = log; (p = strstr(p, "mm: ")); p++)
		if (sscanf(p, "mm: %llu pages saved, %llu shared", &saved,
			   &shared) == 2 && shared >= pages)
			n++;
	return n;
}

TEST_F_TIMEOUT(cow, image_has_pages_cow_naming_the_parent_mm, 300)
{
	struct cow_tree *t = &self->t;
	struct image img = {};
	uint32_t parent_ref;
	int i;

	set_plan(2 * MIB, thp_available() ? 4 * MIB : 0, 3, false, false);
	spawn_tree(_metadata, &self->ctx, t);
	image_of_tree(_metadata, &self->ctx, t, &img);
	EXPECT_EQ(t->nr, mms_sharing(&self->ctx, (plan.len[0] + plan.len[1]) / page_size))
		ckpt_dump_log(_metadata, &self->ctx);
	parent_ref = task_mm_ref(&img, t->root);
	ASSERT_LE(0, mm_index(&img, parent_ref)) TH_LOG("no MM for the parent");
	check_parent_mm(_metadata, &img, t, mm_index(&img, parent_ref));
	for (i = 0; i < t->nr; i++)
		check_child_mm(_metadata, &img, t, t->pid[i], parent_ref);
	restart_tree(_metadata, &self->ctx, t);
	expect_shared_again(_metadata, t);
	ckpt_finish(_metadata, t->root, CKPT_REASONS(cow_reasons));
	free(img.recs);
	free(img.data);
}

/*
 * Hostile images: a good image of a parent and a child that wrote every
 * 4th page, with one record changed and the checksum made right again.
 */

enum hostile {
	COW_OWN_MM,
	COW_FILE_REF,
	COW_UNDEFINED_REF,
	COW_ZERO_PAGES,
	COW_UNALIGNED,
	COW_OUTSIDE_VMAS,
	COW_OUT_OF_ORDER,
	COW_TRUNCATED,
	VMA_UNDEFINED_COW_MM,
	FILE_VMA_WITH_COW_MM,
};

FIXTURE(cow_hostile) {
	struct ckpt_ctx ctx;
	struct cow_tree t;
	struct image img;
};

FIXTURE_VARIANT(cow_hostile) {
	enum hostile what;
	const char *word[2];	/* the error line names one of them */
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_naming_its_own_mm) {
	.what = COW_OWN_MM, .word = { "PAGES_COW", "being restored" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_naming_a_file) {
	.what = COW_FILE_REF, .word = { "PAGES_COW" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_naming_no_object) {
	.what = COW_UNDEFINED_REF, .word = { "PAGES_COW" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_of_0_pages) {
	.what = COW_ZERO_PAGES, .word = { "PAGES_COW" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_not_page_aligned) {
	.what = COW_UNALIGNED, .word = { "PAGES_COW" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_outside_the_vmas) {
	.what = COW_OUTSIDE_VMAS, .word = { "PAGES_COW", "outside" },
};

FIXTURE_VARIANT_ADD(cow_hostile, pages_cow_below_the_pages_before) {
	.what = COW_OUT_OF_ORDER, .word = { "PAGES_COW", "out of order" },
};

FIXTURE_VARIANT_ADD(cow_hostile, image_cut_in_a_pages_cow) {
	.what = COW_TRUNCATED, .word = { "" },
};

FIXTURE_VARIANT_ADD(cow_hostile, vma_linked_to_no_object) {
	.what = VMA_UNDEFINED_COW_MM, .word = { "VMA" },
};

FIXTURE_VARIANT_ADD(cow_hostile, file_vma_with_cow_mm_ref) {
	.what = FILE_VMA_WITH_COW_MM, .word = { "VMA" },
};

FIXTURE_SETUP(cow_hostile)
{
	page_size = sysconf(_SC_PAGESIZE);
	memset(&self->t, 0, sizeof(self->t));
	memset(&self->img, 0, sizeof(self->img));
	tree_ctx_setup(_metadata, &self->ctx);
	self->ctx.call_timeout_s = CKPT_SMALL_CALL_TIMEOUT_S;
}

FIXTURE_TEARDOWN(cow_hostile)
{
	free(self->img.data);
	free(self->img.recs);
	tree_ctx_teardown(&self->ctx);
}

/* The records of the child's MM that the variants change */
struct targets {
	int mm;			/* the child's MM record */
	uint32_t mm_ref;	/* its objref */
	uint32_t parent_ref;
	uint32_t file_ref;	/* of a FILE record */
	int cow;		/* a PAGES_COW after another page record */
	int prev;		/* that record */
	int file_vma;		/* a VMA of a file */
	unsigned long hole;	/* a page in no VMA, above the PAGES_COW */
};

/* The address of PAGES or PAGES_COW record @i: both start with it */
static uint64_t page_rec_addr(struct image *img, int i)
{
	return le64toh(((struct ckpt_pages_cow *)payload_at(img, img->data, i))->addr);
}

static bool in_region(uint64_t addr, unsigned long start)
{
	return addr >= start && addr < start + plan.len[0];
}

/* A PAGES_COW in the region at @start right after another page record there */
static void find_page_targets(struct image *img, struct targets *tg,
			      unsigned long start)
{
	int i, end, last = -1;

	tg->cow = -1;
	for (i = tg->mm + 1, end = mm_end(img, tg->mm); i < end; i++) {
		if (img->recs[i].type != CKPT_REC_PAGES &&
		    img->recs[i].type != CKPT_REC_PAGES_COW)
			continue;
		if (img->recs[i].type == CKPT_REC_PAGES_COW && last >= 0 &&
		    in_region(page_rec_addr(img, last), start) &&
		    in_region(page_rec_addr(img, i), start)) {
			tg->cow = i;
			tg->prev = last;
			return;
		}
		last = i;
	}
}

/* The first gap between the child's VMAs above @from */
static unsigned long find_hole(struct image *img, int mm, unsigned long from)
{
	unsigned long prev_end = 0, start;
	struct ckpt_vma *vma;
	int i, end;

	for (i = mm + 1, end = mm_end(img, mm); i < end; i++) {
		if (img->recs[i].type != CKPT_REC_VMA)
			continue;
		vma = payload_at(img, img->data, i);
		start = le64toh(vma->start);
		if (prev_end >= from && start > prev_end)
			return prev_end;
		prev_end = le64toh(vma->end);
	}
	return prev_end;
}

/* A FILE record's objref, and a VMA of a file in the child's MM */
static void find_file_targets(struct image *img, struct targets *tg)
{
	struct ckpt_file *file;
	struct ckpt_vma *vma;
	int i, end = mm_end(img, tg->mm);

	for (i = 0; i < img->nr; i++) {
		if (img->recs[i].type == CKPT_REC_FILE && !tg->file_ref) {
			file = payload_at(img, img->data, i);
			tg->file_ref = le32toh(file->objref);
		}
		if (img->recs[i].type != CKPT_REC_VMA || i < tg->mm || i > end)
			continue;
		vma = payload_at(img, img->data, i);
		if (le32toh(vma->kind) == CKPT_VMA_FILE)
			tg->file_vma = i;
	}
}

static void find_targets(struct __test_metadata *_metadata, struct image *img,
			 struct cow_tree *t, struct targets *tg)
{
	struct ckpt_pages_cow *cow;

	memset(tg, 0, sizeof(*tg));
	tg->parent_ref = task_mm_ref(img, t->root);
	tg->mm_ref = task_mm_ref(img, t->pid[0]);
	tg->mm = mm_index(img, tg->mm_ref);
	ASSERT_LE(0, tg->mm) TH_LOG("no MM record for the child");
	find_page_targets(img, tg, t->addr[0]);
	ASSERT_LE(0, tg->cow) TH_LOG("the child's region has no PAGES_COW after a PAGES");
	find_file_targets(img, tg);
	ASSERT_NE(0U, tg->file_ref) TH_LOG("the image has no FILE");
	ASSERT_NE(0, tg->file_vma) TH_LOG("the child maps no file");
	cow = payload_at(img, img->data, tg->cow);
	tg->hole = find_hole(img, tg->mm, le64toh(cow->addr) +
			     le32toh(cow->nr_pages) * page_size);
}

/* Breaks the copy @data of the image as the variant says; returns its length */
static size_t break_image(struct __test_metadata *_metadata, struct image *img,
			  char *data, struct cow_tree *t, enum hostile what)
{
	struct ckpt_pages_cow *cow, *prev;
	struct ckpt_vma *vma;
	struct targets tg;

	find_targets(_metadata, img, t, &tg);
	cow = payload_at(img, data, tg.cow);
	prev = payload_at(img, data, tg.prev);	/* a PAGES starts the same */
	switch (what) {
	case COW_OWN_MM:
		cow->mm_ref = htole32(tg.mm_ref);
		break;
	case COW_FILE_REF:
		cow->mm_ref = htole32(tg.file_ref);
		break;
	case COW_UNDEFINED_REF:
		cow->mm_ref = htole32(UNDEFINED_REF);
		break;
	case COW_ZERO_PAGES:
		cow->nr_pages = 0;
		break;
	case COW_UNALIGNED:
		cow->addr = htole64(le64toh(cow->addr) + 8);
		break;
	case COW_OUTSIDE_VMAS:
		cow->addr = htole64(tg.hole);
		cow->nr_pages = htole32(1);
		break;
	case COW_OUT_OF_ORDER:
		cow->addr = prev->addr;
		break;
	case COW_TRUNCATED:
		return img->recs[tg.cow].off + sizeof(struct ckpt_rec_hdr) + 8;
	case VMA_UNDEFINED_COW_MM:
		vma = vma_of(img, data, tg.mm, t->addr[0]);
		ASSERT_TRUE(!!vma);
		vma->cow_mm_ref = htole32(UNDEFINED_REF);
		break;
	case FILE_VMA_WITH_COW_MM:
		vma = payload_at(img, data, tg.file_vma);
		vma->cow_mm_ref = htole32(tg.parent_ref);
		break;
	}
	trailer_of(img, data)->crc32c =
		htole32(crc32c(data, img->recs[img->nr - 1].off));
	return img->len;
}

/* Whether an "error:" line of the log names @word */
static bool error_names(struct ckpt_ctx *ctx, const char *word)
{
	static char log[1 << 16];
	char *line, *end;

	if (!word || ckpt_read_tail(ctx->log_path, log, sizeof(log)) < 0)
		return false;
	for (line = log; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		if (strstr(line, "error:") && strstr(line, word))
			return true;
	}
	return false;
}

/* restart(2) of the first @len bytes of @data fails, says why, leaves nothing */
static void restart_must_fail(struct __test_metadata *_metadata,
			      struct ckpt_ctx *ctx, struct cow_tree *t,
			      const char *data, size_t len, const char *const *word)
{
	long ret;
	int err, i;

	ASSERT_EQ(0, ckpt_reset_file(ctx->image_fd));
	ASSERT_EQ(0, ckpt_write_all(ctx->image_fd, data, len));
	ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(ctx->log_fd));
	ret = ckpt_call_restart(ctx, 0, ctx->image_fd, 0, ctx->log_fd);
	err = errno;
	ASSERT_GT(0, ret) TH_LOG("restart of the broken image succeeded: pid %ld", ret);
	ASSERT_NE(ETIMEDOUT, err) TH_LOG("restart hung (see the watchdog's lines)");
	ASSERT_NE(0, err);
	if (err != EINVAL)
		TH_LOG("restart failed with %s, not EINVAL", strerrorname_np(err));
	EXPECT_TRUE(error_names(ctx, word[0]) || error_names(ctx, word[1]))
		ckpt_dump_log(_metadata, ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, t->root, "broken image"));
	for (i = 0; i < t->nr; i++)
		EXPECT_TRUE(kill(t->pid[i], 0) && errno == ESRCH)
			TH_LOG("pid %d exists after the failed restart", t->pid[i]);
}

TEST_F_TIMEOUT(cow_hostile, restart_fails_cleanly, 120)
{
	size_t len;
	char *data;

	set_plan(64 * page_size, 0, 1, true, false);
	spawn_tree(_metadata, &self->ctx, &self->t);
	image_of_tree(_metadata, &self->ctx, &self->t, &self->img);
	data = malloc(self->img.len);
	ASSERT_TRUE(!!data);
	memcpy(data, self->img.data, self->img.len);
	len = break_image(_metadata, &self->img, data, &self->t, variant->what);
	restart_must_fail(_metadata, &self->ctx, &self->t, data, len, variant->word);
	free(data);
}

TEST_HARNESS_MAIN
