// SPDX-License-Identifier: GPL-2.0
/*
 * checkpoint(2) with CHECKPOINT_KILL followed by restart(2) brings a task
 * back as it was: its progress, identity, signal state, open files and
 * address space layout, as the restored task itself sees them.
 */
#include <sys/stat.h>
#include <sched.h>
#include <sys/sysmacros.h>

#include "ckpt_util.h"

FIXTURE(restart) {
	struct ckpt_ctx ctx;
};

FIXTURE_SETUP(restart)
{
	ckpt_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(restart)
{
	ckpt_ctx_teardown(&self->ctx);
}

/* Spawns @fn, checkpoints and kills it, restarts it and lets it check */
static void survives_restart(struct __test_metadata *_metadata,
			     struct ckpt_ctx *ctx, int (*fn)(void *), void *arg,
			     struct ckpt_reasons reasons)
{
	pid_t pid = ckpt_spawn(_metadata, ctx, fn, arg);

	ckpt_kill_and_restart(_metadata, ctx, pid);
	ckpt_finish(_metadata, pid, reasons);
}

static void make_path(char *buf, size_t size, struct ckpt_ctx *ctx,
		      const char *name)
{
	snprintf(buf, size, "%s/%s", ctx->dir, name);
}

/* A data file with known contents, for the file tests */
#define DATA_SIZE 8192
#define DATA_SEED 0xda7a

static void make_data_file(struct __test_metadata *_metadata, const char *path)
{
	static uint64_t data[DATA_SIZE / 8];
	int fd;

	ckpt_fill_pattern(data, sizeof(data), DATA_SEED, 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ckpt_write_all(fd, data, sizeof(data)));
	close(fd);
}

/* survives_restart() of a child that gets the path of a data file */
static void survives_restart_with_data(struct __test_metadata *_metadata,
				       struct ckpt_ctx *ctx, int (*fn)(void *),
				       struct ckpt_reasons reasons)
{
	char path[256];

	make_path(path, sizeof(path), ctx, "data");
	make_data_file(_metadata, path);
	survives_restart(_metadata, ctx, fn, path, reasons);
}

/*
 * A counting loop. The count lives in a register, a copy of it in memory;
 * every COUNT_STRIDE steps the task checks that the file still holds the
 * value it wrote last and writes the new one. A task whose memory went back
 * (or started over) finds a different value in the file.
 */
#define COUNT_STRIDE (1 << 14)

enum {
	COUNTER_OPEN = 1,
	COUNTER_READ,
	COUNTER_WRITE,
	COUNTER_FILE_MISMATCH,
	COUNTER_COPY_MISMATCH,
};

static const char *const counter_reasons[] = {
	[COUNTER_OPEN] = "could not create the counter file",
	[COUNTER_READ] = "could not read the counter file",
	[COUNTER_WRITE] = "could not write the counter file",
	[COUNTER_FILE_MISMATCH] =
		"the file does not hold the count the task wrote last: its state went back",
	[COUNTER_COPY_MISMATCH] =
		"the count in a register and its copy in memory disagree",
};

static volatile uint64_t counter_copy;

static int counter_child(void *arg)
{
	uint64_t count = 0, seen;
	int fd;

	fd = open(arg, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return COUNTER_OPEN;
	if (pwrite(fd, &count, sizeof(count), 0) != sizeof(count))
		return COUNTER_WRITE;
	counter_copy = ~count;
	ckpt_child_ready();
	while (!ckpt_child_finish) {
		if (counter_copy != ~count) {
			ckpt_child_note("count %llu, copy in memory ~%llu",
					(unsigned long long)count,
					(unsigned long long)~counter_copy);
			return COUNTER_COPY_MISMATCH;
		}
		count++;
		counter_copy = ~count;
		if (count % COUNT_STRIDE)
			continue;
		if (pread(fd, &seen, sizeof(seen), 0) != sizeof(seen))
			return COUNTER_READ;
		if (seen != count - COUNT_STRIDE) {
			ckpt_child_note("count %llu, but the file holds %llu",
					(unsigned long long)count,
					(unsigned long long)seen);
			return COUNTER_FILE_MISMATCH;
		}
		if (pwrite(fd, &count, sizeof(count), 0) != sizeof(count))
			return COUNTER_WRITE;
	}
	return 0;
}

static uint64_t read_count(struct __test_metadata *_metadata, const char *path)
{
	uint64_t count = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(count), pread(fd, &count, sizeof(count), 0));
	close(fd);
	return count;
}

/*
 * Waits until the count in the file reaches @target, asserting that it never
 * shows less than @floor meanwhile.
 */
static void wait_count(struct __test_metadata *_metadata, const char *path,
		       uint64_t floor, uint64_t target)
{
	int64_t deadline = ckpt_now_ns() + CKPT_EXIT_TIMEOUT_MS * 1000000LL;
	uint64_t count;

	for (;;) {
		count = read_count(_metadata, path);
		ASSERT_LE(floor, count)
			TH_LOG("the count went back from %llu to %llu",
			       (unsigned long long)floor,
			       (unsigned long long)count);
		if (count >= target)
			return;
		ASSERT_LT(ckpt_now_ns(), deadline)
			TH_LOG("the count is stuck at %llu",
			       (unsigned long long)count);
		ckpt_sleep_ms(10);
	}
}

/* One checkpoint/kill/restart cycle of the counting task */
static void restart_counter(struct __test_metadata *_metadata,
			    struct ckpt_ctx *ctx, pid_t pid, const char *path)
{
	uint64_t now = read_count(_metadata, path), at_checkpoint;

	/* Let it count a while first */
	wait_count(_metadata, path, now, now + 2 * COUNT_STRIDE);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	at_checkpoint = read_count(_metadata, path);
	ASSERT_LT((uint64_t)0, at_checkpoint);
	ASSERT_EQ(pid, ckpt_restart(_metadata, ctx));
	/* The restored task counts on from where it was, not from 0 */
	wait_count(_metadata, path, at_checkpoint,
		   at_checkpoint + 2 * COUNT_STRIDE);
}

TEST_F_TIMEOUT(restart, counting_loop_continues_from_last_value, 60)
{
	char path[256];
	pid_t pid;

	make_path(path, sizeof(path), &self->ctx, "count");
	pid = ckpt_spawn(_metadata, &self->ctx, counter_child, path);
	restart_counter(_metadata, &self->ctx, pid, path);
	ckpt_finish(_metadata, pid, CKPT_REASONS(counter_reasons));
}

TEST_F_TIMEOUT(restart, restored_task_can_be_checkpointed_and_restarted_again,
	       90)
{
	char path[256];
	pid_t pid;

	make_path(path, sizeof(path), &self->ctx, "count");
	pid = ckpt_spawn(_metadata, &self->ctx, counter_child, path);
	restart_counter(_metadata, &self->ctx, pid, path);
	restart_counter(_metadata, &self->ctx, pid, path);
	ckpt_finish(_metadata, pid, CKPT_REASONS(counter_reasons));
}

/* getpid() and getppid() */
static const char *const ids_reasons[] = {
	[1] = "getpid() changed",
	[2] = "getppid() changed: the restart() caller is not the parent",
};

static int ids_child(void *arg)
{
	pid_t pid = getpid(), ppid = getppid();

	(void)arg;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (getpid() != pid) {
		ckpt_child_note("getpid() %d, was %d", getpid(), pid);
		return 1;
	}
	if (getppid() != ppid) {
		ckpt_child_note("getppid() %d, was %d", getppid(), ppid);
		return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(restart, restored_task_sees_same_pid_and_parent, 60)
{
	survives_restart(_metadata, &self->ctx, ids_child, NULL,
			 CKPT_REASONS(ids_reasons));
}

/* cwd */
static const char *const cwd_reasons[] = {
	[1] = "chdir() to the test directory failed",
	[2] = "getcwd() failed",
	[3] = "getcwd() names another directory",
	[4] = "\".\" is another inode",
};

static int cwd_child(void *arg)
{
	char before[PATH_MAX], after[PATH_MAX];
	struct stat st_before, st_after;

	if (chdir(arg) || !getcwd(before, sizeof(before)) ||
	    stat(".", &st_before))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (!getcwd(after, sizeof(after)))
		return 2;
	if (strcmp(before, after)) {
		ckpt_child_note("cwd %s, was %s", after, before);
		return 3;
	}
	if (stat(".", &st_after) || st_after.st_ino != st_before.st_ino ||
	    st_after.st_dev != st_before.st_dev)
		return 4;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_task_keeps_cwd, 60)
{
	char path[256];

	make_path(path, sizeof(path), &self->ctx, "cwd.d");
	ASSERT_EQ(0, mkdir(path, 0700));
	survives_restart(_metadata, &self->ctx, cwd_child, path,
			 CKPT_REASONS(cwd_reasons));
}

/* umask */
#define TEST_UMASK 0027

static const char *const umask_reasons[] = {
	[1] = "umask changed",
};

static int umask_child(void *arg)
{
	mode_t mask;

	(void)arg;
	umask(TEST_UMASK);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	mask = umask(0);
	if (mask != TEST_UMASK) {
		ckpt_child_note("umask %04o, was %04o", mask, TEST_UMASK);
		return 1;
	}
	return 0;
}

TEST_F_TIMEOUT(restart, restored_task_keeps_umask, 60)
{
	survives_restart(_metadata, &self->ctx, umask_child, NULL,
			 CKPT_REASONS(umask_reasons));
}

/* Signal handlers: handler, flags, mask and restorer of every signal */
static const char *const handlers_reasons[] = {
	[1] = "could not install the test's handlers",
	[2] = "a signal's action (handler, flags, mask or restorer) changed",
	[3] = "the restored SIGHUP handler did not run",
};

static volatile sig_atomic_t hup_seen;

static void hup_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hup_seen = sig == SIGHUP && si->si_pid == getpid();
}

static void urg_handler(int sig)
{
	(void)sig;
}

/* Only the kernel's 64 bits of sa_mask: glibc fills the rest with garbage */
static bool same_action(const struct sigaction *a, const struct sigaction *b)
{
	return a->sa_handler == b->sa_handler && a->sa_flags == b->sa_flags &&
	       a->sa_restorer == b->sa_restorer &&
	       !memcmp(&a->sa_mask, &b->sa_mask, 8);
}

static int handlers_child(void *arg)
{
	static struct sigaction before[_NSIG], after;
	struct sigaction sa;
	int sig;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = hup_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGRTMIN + 1);
	if (sigaction(SIGHUP, &sa, NULL))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = urg_handler;
	sa.sa_flags = SA_NODEFER | SA_RESETHAND;
	if (sigaction(SIGURG, &sa, NULL) || signal(SIGPIPE, SIG_IGN) ||
	    signal(SIGTERM, SIG_DFL))
		return 1;
	for (sig = 1; sig < _NSIG; sig++) {
		memset(&before[sig], 0, sizeof(before[sig]));
		sigaction(sig, NULL, &before[sig]);
	}
	ckpt_child_ready();
	ckpt_child_wait_finish();
	for (sig = 1; sig < _NSIG; sig++) {
		memset(&after, 0, sizeof(after));
		sigaction(sig, NULL, &after);
		if (!same_action(&before[sig], &after)) {
			ckpt_child_note("signal %d: handler %p flags %#lx, was %p flags %#lx",
					sig, (void *)after.sa_handler,
					(unsigned long)after.sa_flags,
					(void *)before[sig].sa_handler,
					(unsigned long)before[sig].sa_flags);
			return 2;
		}
	}
	/* The handler must also work, sa_restorer included */
	raise(SIGHUP);
	if (!hup_seen)
		return 3;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_task_keeps_signal_handlers, 60)
{
	survives_restart(_metadata, &self->ctx, handlers_child, NULL,
			 CKPT_REASONS(handlers_reasons));
}

/* Blocked signals */
static const char *const blocked_reasons[] = {
	[1] = "could not block the test's signals",
	[2] = "the blocked mask changed",
};

static int blocked_child(void *arg)
{
	sigset_t set, before, after;
	unsigned long long mask_before, mask_after;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGRTMIN + 3);
	sigaddset(&set, SIGRTMAX);
	memset(&before, 0, sizeof(before));
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    sigprocmask(SIG_BLOCK, NULL, &before))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	memset(&after, 0, sizeof(after));
	sigprocmask(SIG_BLOCK, NULL, &after);
	/* The kernel's mask is the first 64 bits */
	memcpy(&mask_before, &before, sizeof(mask_before));
	memcpy(&mask_after, &after, sizeof(mask_after));
	if (mask_before != mask_after) {
		ckpt_child_note("blocked %#llx, was %#llx", mask_after,
				mask_before);
		return 2;
	}
	return 0;
}

TEST_F_TIMEOUT(restart, restored_task_keeps_blocked_signals, 60)
{
	survives_restart(_metadata, &self->ctx, blocked_child, NULL,
			 CKPT_REASONS(blocked_reasons));
}

/* Pending signals: two queued real-time signals and a standard one */
#define PENDING_VALUE1 0x1234
#define PENDING_VALUE2 0x5678

static const char *const pending_reasons[] = {
	[1] = "could not block the test's signals",
	[2] = "the first queued real-time signal is gone",
	[3] = "the first real-time signal lost its value or sender",
	[4] = "the second queued real-time signal is gone",
	[5] = "the second real-time signal lost its value or sender",
	[6] = "a third real-time signal appeared",
	[7] = "the pending SIGWINCH is gone",
	[8] = "the pending SIGWINCH lost its sender",
};

static int check_pending(int sig, int value, int code)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, &si, &zero) != sig)
		return code;
	if (si.si_pid != getppid() ||
	    (value >= 0 && (si.si_code != SI_QUEUE ||
			    si.si_value.sival_int != value))) {
		ckpt_child_note("signal %d: code %d pid %d value %#x",
				sig, si.si_code, si.si_pid,
				si.si_value.sival_int);
		return code + 1;
	}
	return 0;
}

static int pending_child(void *arg)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	int ret;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 4);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	ret = check_pending(SIGRTMIN + 4, PENDING_VALUE1, 2);
	if (!ret)
		ret = check_pending(SIGRTMIN + 4, PENDING_VALUE2, 4);
	if (ret)
		return ret;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 4);
	if (sigtimedwait(&set, NULL, &zero) >= 0)
		return 6;
	return check_pending(SIGWINCH, -1, 7);
}

TEST_F_TIMEOUT(restart, restored_task_keeps_pending_signals, 60)
{
	union sigval value;
	pid_t pid;

	pid = ckpt_spawn(_metadata, &self->ctx, pending_child, NULL);
	value.sival_int = PENDING_VALUE1;
	ASSERT_EQ(0, sigqueue(pid, SIGRTMIN + 4, value));
	value.sival_int = PENDING_VALUE2;
	ASSERT_EQ(0, sigqueue(pid, SIGRTMIN + 4, value));
	ASSERT_EQ(0, kill(pid, SIGWINCH));
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);
	ckpt_finish(_metadata, pid, CKPT_REASONS(pending_reasons));
}

/* A regular file's offset */
#define DATA_OFFSET 1232

static const char *const offset_reasons[] = {
	[1] = "could not open the data file",
	[2] = "the file offset changed",
	[3] = "reading at the offset gives other data: another file?",
};

static int offset_child(void *arg)
{
	uint64_t word;
	off_t pos;
	int fd;

	fd = open(arg, O_RDWR);
	if (fd < 0 || lseek(fd, DATA_OFFSET, SEEK_SET) != DATA_OFFSET)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos != DATA_OFFSET) {
		ckpt_child_note("offset %lld, was %d", (long long)pos,
				DATA_OFFSET);
		return 2;
	}
	if (read(fd, &word, sizeof(word)) != sizeof(word) ||
	    word != ckpt_pattern_word(DATA_SEED, DATA_OFFSET / 8))
		return 3;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_file_keeps_its_offset, 60)
{
	survives_restart_with_data(_metadata, &self->ctx, offset_child,
				   CKPT_REASONS(offset_reasons));
}

/* Descriptors of one open file share its offset; another open does not */
static const char *const shared_offset_reasons[] = {
	[1] = "could not open the data file",
	[2] = "a dup()ed descriptor no longer shares the offset",
	[3] = "a separately opened descriptor now shares the offset",
};

static int shared_offset_child(void *arg)
{
	int fd, dupfd, other;

	fd = open(arg, O_RDONLY);
	other = open(arg, O_RDONLY);
	if (fd < 0 || other < 0)
		return 1;
	dupfd = dup(fd);
	if (dupfd < 0 || lseek(fd, 100, SEEK_SET) != 100 ||
	    lseek(other, 300, SEEK_SET) != 300)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (lseek(dupfd, 0, SEEK_CUR) != 100)
		return 2;
	lseek(fd, 200, SEEK_SET);
	if (lseek(dupfd, 0, SEEK_CUR) != 200)
		return 2;
	if (lseek(other, 0, SEEK_CUR) != 300)
		return 3;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_dup_fds_still_share_one_open_file, 60)
{
	survives_restart_with_data(_metadata, &self->ctx, shared_offset_child,
				   CKPT_REASONS(shared_offset_reasons));
}

/* O_APPEND */
static const char *const append_reasons[] = {
	[1] = "could not open the data file",
	[2] = "O_APPEND or the access mode was lost",
	[3] = "the write failed",
	[4] = "the write did not go to the end of the file",
};

static int append_child(void *arg)
{
	uint64_t word = 0xa99e2dULL, back;
	struct stat before, after;
	int fd, flags;

	fd = open(arg, O_WRONLY | O_APPEND);
	if (fd < 0 || fstat(fd, &before))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || !(flags & O_APPEND) ||
	    (flags & O_ACCMODE) != O_WRONLY) {
		ckpt_child_note("file flags %#x", flags);
		return 2;
	}
	lseek(fd, 0, SEEK_SET);
	if (write(fd, &word, sizeof(word)) != sizeof(word))
		return 3;
	close(fd);
	fd = open(arg, O_RDONLY);
	if (fd < 0 || fstat(fd, &after) ||
	    after.st_size != before.st_size + (off_t)sizeof(word) ||
	    pread(fd, &back, sizeof(back), before.st_size) != sizeof(back) ||
	    back != word)
		return 4;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_file_keeps_o_append, 60)
{
	survives_restart_with_data(_metadata, &self->ctx, append_child,
				   CKPT_REASONS(append_reasons));
}

/* Descriptor numbers and FD_CLOEXEC */
#define FD_CLOEXEC_NR 42
#define FD_PLAIN_NR 43

static const char *const fd_flags_reasons[] = {
	[1] = "could not set up the descriptors",
	[2] = "the FD_CLOEXEC descriptor is gone or lost FD_CLOEXEC",
	[3] = "the plain descriptor is gone or gained FD_CLOEXEC",
	[4] = "a descriptor closed before the checkpoint is open",
	[5] = "a descriptor refers to another file",
};

static int fd_flags_child(void *arg)
{
	struct stat before, st;
	int fd;

	fd = open(arg, O_RDONLY);
	if (fd != 3 || fstat(fd, &before) ||
	    dup3(fd, FD_CLOEXEC_NR, O_CLOEXEC) != FD_CLOEXEC_NR ||
	    dup2(fd, FD_PLAIN_NR) != FD_PLAIN_NR || close(fd))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (fcntl(FD_CLOEXEC_NR, F_GETFD) != FD_CLOEXEC)
		return 2;
	if (fcntl(FD_PLAIN_NR, F_GETFD) != 0)
		return 3;
	if (fcntl(3, F_GETFD) != -1 || errno != EBADF)
		return 4;
	if (fstat(FD_CLOEXEC_NR, &st) || st.st_ino != before.st_ino ||
	    fstat(FD_PLAIN_NR, &st) || st.st_ino != before.st_ino)
		return 5;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_fds_keep_numbers_and_cloexec, 60)
{
	survives_restart_with_data(_metadata, &self->ctx, fd_flags_child,
				   CKPT_REASONS(fd_flags_reasons));
}

/* A directory, /dev/zero, and /dev/null on 0-2 */
static const char *const dir_dev_reasons[] = {
	[1] = "could not open the directory or /dev/zero",
	[2] = "the directory descriptor is not the same directory",
	[3] = "openat() through the directory descriptor failed",
	[4] = "the /dev/zero descriptor is not /dev/zero",
	[5] = "reading /dev/zero gave something else than zeroes",
	[6] = "fd 1 is not /dev/null any more",
};

static int dir_dev_child(void *arg)
{
	struct stat dir_before, zero_before, null_before, st;
	char buf[64], zeroes[64] = { 0 };
	int dirfd, zero, fd;

	dirfd = open(arg, O_RDONLY | O_DIRECTORY);
	zero = open("/dev/zero", O_RDONLY);
	if (dirfd < 0 || zero < 0 || fstat(dirfd, &dir_before) ||
	    fstat(zero, &zero_before) || fstat(1, &null_before))
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (fstat(dirfd, &st) || !S_ISDIR(st.st_mode) ||
	    st.st_ino != dir_before.st_ino || st.st_dev != dir_before.st_dev)
		return 2;
	fd = openat(dirfd, "marker", O_RDONLY);
	if (fd < 0)
		return 3;
	close(fd);
	if (fstat(zero, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != zero_before.st_rdev)
		return 4;
	memset(buf, 0xff, sizeof(buf));
	if (read(zero, buf, sizeof(buf)) != sizeof(buf) ||
	    memcmp(buf, zeroes, sizeof(buf)))
		return 5;
	if (fstat(1, &st) || st.st_rdev != null_before.st_rdev ||
	    write(1, "x", 1) != 1)
		return 6;
	return 0;
}

TEST_F_TIMEOUT(restart, restored_directory_and_device_fds_work, 60)
{
	char path[256], marker[300];
	int fd;

	make_path(path, sizeof(path), &self->ctx, "dir.d");
	ASSERT_EQ(0, mkdir(path, 0700));
	snprintf(marker, sizeof(marker), "%s/marker", path);
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	survives_restart(_metadata, &self->ctx, dir_dev_child, path,
			 CKPT_REASONS(dir_dev_reasons));
}

/* /proc/self/maps, line for line */
static const char *const maps_reasons[] = {
	[1] = "could not read /proc/self/maps before the checkpoint",
	[2] = "could not read /proc/self/maps after the restart",
	[3] = "/proc/self/maps differs",
};

static char maps_before[1 << 16], maps_after[1 << 16];

/* Notes the first line that differs */
static void note_maps_difference(void)
{
	const char *b = maps_before, *a = maps_after;
	int lb, la;

	while (*b && *a) {
		lb = strchrnul(b, '\n') - b;
		la = strchrnul(a, '\n') - a;
		if (lb != la || memcmp(a, b, la)) {
			ckpt_child_note("was: %.*s", lb, b);
			ckpt_child_note("now: %.*s", la, a);
			return;
		}
		b += lb + !!b[lb];
		a += la + !!a[la];
	}
	ckpt_child_note("was: %s", *b ? b : "(end)");
	ckpt_child_note("now: %s", *a ? a : "(end)");
}

static int maps_child(void *arg)
{
	volatile char stack[64 << 10];

	(void)arg;
	/* Grow the stack now, so that nothing below changes its VMA */
	memset((char *)stack, 1, sizeof(stack));
	if (ckpt_read_file("/proc/self/maps", maps_before,
			   sizeof(maps_before)) < 0)
		return 1;
	ckpt_child_ready();
	ckpt_child_wait_finish();
	if (ckpt_read_file("/proc/self/maps", maps_after,
			   sizeof(maps_after)) < 0)
		return 2;
	if (strcmp(maps_before, maps_after)) {
		note_maps_difference();
		return 3;
	}
	return stack[0] != 1;
}

TEST_F_TIMEOUT(restart, restored_task_has_same_proc_maps, 60)
{
	survives_restart(_metadata, &self->ctx, maps_child, NULL,
			 CKPT_REASONS(maps_reasons));
}

/*
 * restart(2) refuses an image whose files changed, and leaves nothing
 * behind.
 */
static int hold_file_child(void *arg)
{
	int fd = open(arg, O_RDONLY);

	if (fd < 0)
		return 1;
	return ckpt_idle_child(NULL);
}

static void restart_fails_after(struct __test_metadata *_metadata,
				struct ckpt_ctx *ctx, const char *path,
				bool remove_file, int expected_errno)
{
	enum ckpt_outcome outcome;
	pid_t pid;
	int fd;

	make_data_file(_metadata, path);
	pid = ckpt_spawn(_metadata, ctx, hold_file_child, (void *)path);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	if (remove_file) {
		ASSERT_EQ(0, unlink(path));
	} else {
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, write(fd, "x", 1));
		close(fd);
	}
	outcome = ckpt_restart_must_fail(_metadata, ctx, 0, ctx->image_fd, 0,
					 ctx->log_fd, expected_errno, true, pid,
					 remove_file ? "file gone" :
						       "file changed");
	ASSERT_TRUE(outcome == CKPT_FAILED_CLEANLY);
}

TEST_F_TIMEOUT(restart, restart_fails_with_estale_if_a_file_changed, 60)
{
	char path[256];

	make_path(path, sizeof(path), &self->ctx, "data");
	restart_fails_after(_metadata, &self->ctx, path, false, ESTALE);
}

TEST_F_TIMEOUT(restart, restart_fails_with_enoent_if_a_file_is_gone, 60)
{
	char path[256];

	make_path(path, sizeof(path), &self->ctx, "data");
	restart_fails_after(_metadata, &self->ctx, path, true, ENOENT);
}

/* The saved pid is taken by the first restored task: EBUSY */
TEST_F_TIMEOUT(restart, restart_into_a_taken_pid_fails_with_ebusy, 60)
{
	pid_t pid;
	long ret;

	pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	ckpt_kill_and_restart(_metadata, &self->ctx, pid);

	ASSERT_EQ(0, lseek(self->ctx.image_fd, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_reset_file(self->ctx.log_fd));
	ret = ckpt_call_restart(&self->ctx, 0, self->ctx.image_fd, 0,
				self->ctx.log_fd);
	ASSERT_EQ(-1, ret)
		TH_LOG("a second restart() of the image returned %ld", ret);
	ASSERT_EQ(EBUSY, errno) {
		TH_LOG("restart() failed with %s, expected EBUSY",
		       strerrorname_np(errno));
		ckpt_explain_errno(_metadata, "restart(2)", errno);
		ckpt_dump_log(_metadata, &self->ctx);
	}
	/* The first restored task is unharmed, and it is the only child */
	ASSERT_TRUE(ckpt_child_running(pid));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
	ASSERT_TRUE(ckpt_nothing_left(_metadata, pid, "second restart"));
}

/*
 * Its fd 1 is the pipe that @arg names (/proc/PID/fd/N of the test's write
 * end; the child's own fds are closed by then); it writes "after" there at
 * the end.
 */
static int stdout_pipe_child(void *arg)
{
	int fd = open(arg, O_WRONLY);

	if (fd < 0 || dup2(fd, 1) != 1)
		return 2;
	close(fd);
	ckpt_child_ready();
	ckpt_child_wait_finish();
	return write(1, "after", 5) == 5 ? 0 : 3;
}

static const char * const stdout_pipe_reasons[] = {
	[2] = "cannot open the pipe through /proc as fd 1",
	[3] = "the write to fd 1 failed",
};

/*
 * CKPT_EXT_FILE: the caller's pipe takes the place of the task's stdout,
 * whose reader was outside the tree (as runc's inherit_fd does with a
 * container's stdio): what the restored task writes to fd 1 arrives there.
 */
TEST_F_TIMEOUT(restart, inherited_file_takes_the_place_of_a_pipe_end, 60)
{
	struct ckpt_external ext = { .kind = CKPT_EXT_FILE, .fd = -1 };
	int old[2], new[2];
	char path[64], buf[16] = "";
	pid_t pid, restored;
	ssize_t n;

	ASSERT_EQ(0, pipe(old));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), old[1]);
	pid = ckpt_spawn(_metadata, &self->ctx, stdout_pipe_child, path);
	close(old[1]);
	snprintf(path, sizeof(path), "/proc/%d/fd/1", pid);
	n = readlink(path, ext.key, sizeof(ext.key) - 1);
	ASSERT_LT(6, n);
	ASSERT_EQ(0, strncmp(ext.key, "pipe:[", 6)) TH_LOG("fd 1 is %s", ext.key);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);

	/* A read end cannot stand for a write end: refused, by its key */
	ASSERT_EQ(0, pipe(new));
	ext.fd = new[0];
	EXPECT_EQ(-1, ckpt_restart_ext(&self->ctx, &ext, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, ext.key))
		ckpt_dump_log(_metadata, &self->ctx);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart with a read end"));

	ext.fd = new[1];
	restored = ckpt_restart_ext(&self->ctx, &ext, 1);
	ASSERT_EQ(pid, restored) {
		TH_LOG("restart with the pipe: %s", strerror(errno));
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	EXPECT_TRUE(ckpt_log_contains(&self->ctx, ext.key));
	close(new[1]);
	ckpt_finish(_metadata, pid, CKPT_REASONS(stdout_pipe_reasons));
	n = read(new[0], buf, sizeof(buf) - 1);
	EXPECT_EQ(5, n);
	EXPECT_STREQ("after", buf);
	/* Nothing went to the old pipe, whose writers are all gone */
	EXPECT_EQ(0, read(old[0], buf, sizeof(buf)));
	close(new[0]);
	close(old[0]);
}

/* The parent pid of @pid, from /proc/PID/stat, or -1 */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ckpt_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p, ") %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* restart(2) with @flags in a child of ours; returns what it returned */
static long restart_in_child(struct __test_metadata *_metadata, struct ckpt_ctx *ctx,
			     unsigned long flags, bool new_pidns)
{
	long ret = -1;
	int p[2], status;
	pid_t caller;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, lseek(ctx->image_fd, 0, SEEK_SET));
	fflush(NULL);
	if (new_pidns)
		ASSERT_EQ(0, unshare(CLONE_NEWPID));
	caller = fork();
	ASSERT_LE(0, caller);
	if (!caller) {
		ret = syscall(__NR_restart, 0, ctx->image_fd, flags, ctx->log_fd);
		if (ret < 0)
			ret = -errno;
		_exit(write(p[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(p[1]);
	EXPECT_EQ((ssize_t)sizeof(ret), read(p[0], &ret, sizeof(ret)));
	close(p[0]);
	EXPECT_EQ(caller, waitpid(caller, &status, 0));
	EXPECT_EQ(0, status);
	return ret;
}

/*
 * RESTART_SIBLING: the root becomes a child of the caller's parent, as
 * runc needs of the CRIU that it runs: it waits for the restored init.
 */
TEST_F_TIMEOUT(restart, sibling_root_is_a_child_of_the_callers_parent, 60)
{
	pid_t pid;
	long ret;

	pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);

	ret = restart_in_child(_metadata, &self->ctx, RESTART_SIBLING, false);
	ASSERT_EQ(pid, ret) {
		TH_LOG("restart: %s", ret < 0 ? strerror(-ret) : "another pid");
		ckpt_dump_log(_metadata, &self->ctx);
	}
	ckpt_ctx_track(&self->ctx, pid);
	/* Its caller has exited: it is ours, and we can wait for it */
	EXPECT_EQ(getpid(), parent_of(pid));
	ckpt_finish(_metadata, pid, CKPT_NO_REASONS);
}

/* As clone(CLONE_PARENT): the init of a pid namespace has no parent to share */
TEST_F_TIMEOUT(restart, sibling_from_a_pid_namespace_init_is_einval, 60)
{
	pid_t pid;
	long ret;

	pid = ckpt_spawn(_metadata, &self->ctx, ckpt_idle_child, NULL);
	ASSERT_EQ(0, ckpt_checkpoint(_metadata, &self->ctx, pid, CHECKPOINT_KILL));
	ckpt_reap_killed(_metadata, pid);
	ret = restart_in_child(_metadata, &self->ctx, RESTART_SIBLING, true);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_TRUE(ckpt_nothing_left(_metadata, pid, "restart from an init"));
}

TEST_HARNESS_MAIN
